// The client's page ("Minun tiimini", my team): the client — or a guardian for a child — sees
// their team as a network map they can annotate with their own wishes (who matters to me,
// whom I want on my team: recorded as the client's wishes, never as team changes), their
// consents and denials (withdraw a consent, register or lift a denial), their plan and their
// log report. In Finnish, Swedish or English: the language the reader chose with the header's
// switch, else the registration's preferred language, else the browser's.

import { ApiError, get, journeyPath, me, post } from "./api.js";
import { byId, fill, h, s } from "./dom.js";
import { label, lang, loadLabels, locale, t, useLang } from "./i18n.js";
import { sectorColour } from "./network.js";
import { pageTitle, say, startPage } from "./shell.js";
import "./texts/client.js";

const state = { who: null, ref: null, page: null, vocabulary: null, report: null };

function date(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleDateString(locale());
}

function now() {
  return new Date(Date.now() - 1000).toISOString();
}

/** The language a client registered as theirs ("fi", "sv-FI", "ar"…), as the pages know it. */
function spoken(preferred) {
  return String(preferred || "").slice(0, 2).toLowerCase();
}

function wishesAbout(party) {
  const found = state.page.wishes.find((w) => w.about_party === party);
  return found ? found.wishes : [];
}

/** The parties and organisations a consent in force covers. */
function sharedWith() {
  const parties = new Set();
  const orgs = new Set();
  for (const consent of state.page.consents) {
    consent.recipient_parties.forEach((p) => parties.add(p));
    consent.recipient_orgs.forEach((o) => orgs.add(o));
  }
  return (member) => parties.has(member.party_id) || orgs.has(member.organisation);
}

function nameOf(member) {
  return member.display_name || label("roles", member.role);
}

function drawMap() {
  const container = byId("my-map");
  const team = state.page.team;
  const outside = state.page.wishes.filter((w) => w.about_name);
  const compact = container.clientWidth < 560;
  const width = compact ? 360 : 720;
  const height = compact ? 420 : 460;
  const cx = width / 2;
  const cy = height / 2;
  const radius = compact ? 115 : 170;
  const longest = compact ? 17 : 26;
  const shares = sharedWith();
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "my-map-title", class: "network client-map" });
  svg.append(s("title", { id: "my-map-title" }, `${t("client.team_title")}: ${team.length}`));
  const edges = s("g", { class: "edges" });
  const nodes = s("g", { class: "nodes" });
  svg.append(edges, nodes);
  const people = [...team.map((m) => ({ member: m })), ...outside.map((w) => ({ wish: w }))];
  people.forEach((person, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(people.length, 1);
    const x = cx + Math.cos(angle) * radius;
    const y = cy + Math.sin(angle) * radius;
    const member = person.member;
    const consented = member ? shares(member) : false;
    const wishes = member ? wishesAbout(member.party_id) : person.wish.wishes;
    edges.append(
      s("line", {
        x1: cx, y1: cy, x2: x, y2: y,
        stroke: consented ? "#1a7f37" : "#8c959f",
        "stroke-width": consented ? 4 : 1.5,
        "stroke-dasharray": member ? null : "6 4",
        class: consented ? "edge consent" : "edge",
        "data-party": member ? member.party_id : null,
      }),
    );
    const name = member ? nameOf(member) : person.wish.about_name;
    const marks = `${wishes.includes("matters_to_me") ? "♥" : ""}${wishes.includes("want_on_team") ? "+" : ""}`;
    // Names go above or below their node, centred, so that none runs off a narrow screen.
    const dy = Math.sin(angle) > 0.2 ? 32 : -22;
    const sub = member
      ? `${label("roles", member.role)}${member.is_coordinator ? `, ${t("client.coordinator")}` : ""}`
      : t("client.not_on_team");
    nodes.append(
      s(
        "g",
        { class: "person", "data-party": member ? member.party_id : null, "data-wishes": wishes.join(" ") || null, "data-consent": consented ? "yes" : "no" },
        s("title", {}, [name, sub, consented ? t("client.shares") : "", ...wishes.map((w) => t(w === "matters_to_me" ? "client.matters" : "client.want"))].filter(Boolean).join(" · ")),
        s("circle", {
          cx: x, cy: y, r: 14,
          fill: member ? sectorColour(member.sector) : "#ffffff",
          stroke: member && member.is_coordinator ? "#1b1f24" : "#57606a",
          "stroke-width": member && member.is_coordinator ? 3 : 1.5,
          "stroke-dasharray": member ? null : "4 3",
        }),
        marks ? s("text", { x, y: y + 5, "text-anchor": "middle", "font-size": 14, "font-weight": 700, fill: member ? "#fff" : "#b42318" }, marks) : null,
        s("text", { x, y: y + dy, "text-anchor": "middle", "font-size": compact ? 12 : 13, class: "halo" }, name.length > longest ? `${name.slice(0, longest - 1)}…` : name),
      ),
    );
  });
  nodes.append(
    s("g", { class: "client" },
      s("circle", { cx, cy, r: 26, fill: "#16324f" }),
      s("text", { x: cx, y: cy + 5, "text-anchor": "middle", fill: "#fff", "font-size": 14, "font-weight": 700 }, t("client.me")),
    ),
  );
  container.replaceChildren(svg);
  fill(
    byId("my-legend"),
    h("li", {}, h("span", { class: "swatch consent-swatch", "aria-hidden": "true" }), ` ${t("client.shares")}`),
    h("li", {}, `♥ ${t("client.matters")}`),
    h("li", {}, `+ ${t("client.want")}`),
  );
}

async function recordWish(about, wishes) {
  try {
    await post(`/v1/client/journeys/${encodeURIComponent(state.ref)}/wishes`, { occurred_at: now(), ...about, wishes });
    say(t("client.wished"), "ok");
    await load();
  } catch (error) {
    say(`${t("client.failed")}: ${error.message}`, "error");
  }
}

function drawPeople() {
  const rows = state.page.team.map((member) => {
    const held = wishesAbout(member.party_id);
    const toggle = (wish) => {
      const next = held.includes(wish) ? held.filter((w) => w !== wish) : [...held, wish];
      return recordWish({ about_party: member.party_id }, next);
    };
    return h(
      "li",
      { class: "person-row", "data-party": member.party_id },
      h("span", { class: "who" }, `${nameOf(member)} · ${label("roles", member.role)} · ${member.organisation}`),
      h("span", { class: "wish-buttons" },
        h("button", { type: "button", class: "secondary", "aria-pressed": String(held.includes("matters_to_me")), onclick: () => toggle("matters_to_me") }, `♥ ${t("client.matters")}`),
        h("button", { type: "button", class: "secondary", "aria-pressed": String(held.includes("want_on_team")), onclick: () => toggle("want_on_team") }, `+ ${t("client.want")}`),
      ),
    );
  });
  const outside = state.page.wishes
    .filter((w) => w.about_name)
    .map((w) =>
      h("li", { class: "person-row" },
        h("span", { class: "who" }, `${w.about_name} (${t("client.not_on_team")}) · + ${t("client.want")}`),
        h("button", { type: "button", class: "secondary", "aria-label": t("client.remove_wish", w.about_name), onclick: () => recordWish({ about_name: w.about_name }, []) }, "×"),
      ),
    );
  fill(byId("my-people"), h("ul", { class: "people" }, rows, outside));
}

function list(values, vocabulary) {
  return values.map((v) => label(vocabulary, v)).join(", ");
}

function drawConsents() {
  const consents = state.page.consents.map((c) =>
    h("li", { class: "consent", "data-consent": c.consent_id },
      h("span", {}, t("client.consent_line", {
        recipients: [...c.recipient_orgs, ...c.recipient_parties].join(", "),
        categories: list(c.categories, "information_categories"),
        purposes: list(c.purposes, "purposes"),
        from: date(c.valid_from),
      })),
      h("button", { type: "button", onclick: () => act(`/consents/${encodeURIComponent(c.consent_id)}/withdrawal`, {}, "withdrawn") }, t("client.withdraw")),
    ),
  );
  fill(byId("my-consents"), consents.length ? h("ul", { class: "choices" }, consents) : h("p", {}, t("client.no_consents")));
  const denials = state.page.denials.map((d) =>
    h("li", { class: "denial", "data-denial": d.denial_id },
      h("span", {}, t("client.denial_line", {
        categories: list(d.categories, "information_categories"),
        recipients: [...d.recipient_orgs, ...d.recipient_parties].join(", ") || t("client.everyone"),
      })),
      h("button", { type: "button", onclick: () => act(`/denials/${encodeURIComponent(d.denial_id)}/lifting`, {}, "lifted") }, t("client.lift")),
    ),
  );
  fill(byId("my-denials"), denials.length ? h("ul", { class: "choices" }, denials) : h("p", {}, t("client.no_denials")));
  const category = byId("denial-category");
  const chosen = category.value;
  fill(category, state.vocabulary.information_categories.map((c) => h("option", { value: c }, label("information_categories", c))));
  if (chosen) category.value = chosen;
  const orgs = [...new Set(state.page.team.map((m) => m.organisation))].sort();
  fill(byId("denial-org"), h("option", { value: "" }, t("client.everyone")), orgs.map((o) => h("option", { value: o }, o)));
}

async function act(rest, body, done) {
  try {
    await post(journeyPath(state.ref, rest), { occurred_at: now(), ...body });
    say(t(`client.${done}`), "ok");
    await load();
  } catch (error) {
    say(`${t("client.failed")}: ${error.message}`, "error");
  }
}

function drawPlan() {
  const plan = state.page.plan;
  if (!plan) {
    fill(byId("my-plan"), h("p", {}, t("client.no_plan")));
    return;
  }
  fill(
    byId("my-plan"),
    h("ul", {}, plan.goals.map((g) => h("li", {}, g))),
    h("p", { class: "meta" }, [t("client.plan_agreed", date(plan.agreed_at)), plan.review_on ? ` · ${t("client.review_on", date(plan.review_on))}` : ""].join("")),
  );
}

function drawLog(report) {
  const visits = report.visits.map((v) =>
    h("li", {}, t("client.read_line", { day: date(v.day), who: v.who, organisation: v.organisation, what: v.what, why: v.why, times: v.times })),
  );
  const disclosures = report.disclosures.map((d) =>
    h("li", {}, t("client.disclosure_line", { day: date(d.occurred_at), to: d.to_party || d.to_org, categories: list(d.categories, "information_categories"), purpose: label("purposes", d.purpose) })),
  );
  fill(
    byId("my-log"),
    visits.length ? h("ul", { class: "log" }, visits) : h("p", {}, t("client.no_reads")),
    h("h3", {}, t("client.received_title")),
    disclosures.length ? h("ul", { class: "log" }, disclosures) : h("p", {}, t("client.no_disclosures")),
    report.next_cursor
      ? h("div", { class: "actions" }, h("button", { type: "button", id: "log-more", onclick: moreLog }, t("client.log_more")))
      : null,
  );
}

const VISIT = ["day", "who", "organisation", "role", "what", "why"];

/** The log report shown so far with its next page after it: a visit the page boundary split in
 * two (the same reader, day, thing and reason) is one line again. */
function joinLog(before, after) {
  const visits = before.visits.map((v) => ({ ...v }));
  for (const visit of after.visits) {
    const same = visits.find((v) => VISIT.every((key) => v[key] === visit[key]));
    if (same) {
      same.times += visit.times;
      same.last_at = visit.last_at;
    } else {
      visits.push(visit);
    }
  }
  return {
    ...after,
    reads: [...before.reads, ...after.reads],
    visits,
    disclosures: [...before.disclosures, ...after.disclosures],
  };
}

/** The log report comes a page at a time: add the next page to the one shown. */
async function moreLog() {
  const button = byId("log-more");
  if (button) button.disabled = true;
  try {
    const next = await get(`${base(state.ref)}/log-report`, { lang: lang(), cursor: state.report.next_cursor });
    state.report = joinLog(state.report, next);
    drawLog(state.report);
  } catch (error) {
    if (button) button.disabled = false;
    say(`${t("client.failed")}: ${error.message}`, "error");
  }
}

function draw(report) {
  const title = t(state.who.role === "guardian" ? "client.title_guardian" : "client.title_client");
  byId("mine-title").textContent = title;
  document.title = `${title} — Polku`;
  byId("mine-facts").textContent = t("client.facts", state.page.team.length);
  drawMap();
  drawPeople();
  drawConsents();
  drawPlan();
  drawLog(report);
}

function base(ref) {
  return `/v1/client/journeys/${encodeURIComponent(ref)}`;
}

/** Read the page and the log report (``page``: the page already read, to read it only once). */
async function load(page = null) {
  const [seen, report] = await Promise.all([
    page ? Promise.resolve(page) : get(base(state.ref)),
    get(`${base(state.ref)}/log-report`, { lang: lang() }),
  ]);
  state.page = seen;
  state.report = report;
  byId("mine").hidden = false;
  draw(report);
}

/** Whose page this is: a client's own, or the child's a guardian named in the address. */
function whose(who) {
  return who.role === "client" ? who.party_id : new URLSearchParams(location.search).get("ref");
}

async function main() {
  // The client's registered language is the page's unless the reader chose one: read the page
  // first, so that the header is drawn in that language too.
  let first = null;
  const early = me();
  if (early && whose(early) && (early.role === "client" || early.role === "guardian")) {
    try {
      first = await get(base(whose(early)));
      useLang(spoken(first.preferred_language));
    } catch {
      first = null; // said below, once the page is drawn
    }
  }
  const who = await startPage();
  if (!who) return;
  state.who = who;
  pageTitle("title.client");
  byId("wish-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = byId("wish-name").value.trim();
    if (name) recordWish({ about_name: name }, ["want_on_team"]).then(() => { byId("wish-name").value = ""; });
  });
  byId("denial-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const org = byId("denial-org").value;
    act("/denials", { denial_id: `den-${crypto.randomUUID().slice(0, 8)}`, categories: [byId("denial-category").value], recipient_orgs: org ? [org] : [] }, "denied");
  });
  state.ref = whose(who);
  if (!state.ref) {
    byId("whose").hidden = false;
    return;
  }
  try {
    state.vocabulary = await loadLabels(get);
    await load(first);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 403)) say(t("client.not_found"), "error");
    else say(error.message, "error");
  }
}

main();
