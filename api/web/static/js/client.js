// The client's page ("Minun tiimini", my team): the client — or a guardian for a child — sees
// their team as a network map they can annotate with their own wishes (who matters to me,
// whom I want on my team: recorded as the client's wishes, never as team changes), their
// consents and denials (withdraw a consent, register or lift a denial), their plan and their
// log report. In Finnish, Swedish or English: the registration's preferred language, or the
// switch at the top (remembered in this tab).

import { ApiError, get, journeyPath, post } from "./api.js";
import { byId, fill, h, s } from "./dom.js";
import { sectorColour } from "./network.js";
import { say, startPage } from "./shell.js";

const LANGS = ["fi", "sv", "en"];
const LANG_KEY = "polku.lang";

const TEXT = {
  fi: {
    title_client: "Minun tiimini",
    title_guardian: "Lapsen tiimi",
    whose_title: "Kenen sivu avataan?",
    whose_label: "Lapsen asiakastunnus",
    open: "Avaa",
    team_title: "Tiimini verkostokarttana",
    team_help: "Merkitse, kuka on sinulle tärkeä ja kenet haluat tiimiisi. Toiveesi tallentuvat omina toiveinasi: ne eivät muuta tiimiä.",
    me: "Minä",
    matters: "Tärkeä minulle",
    want: "Haluan tiimiini",
    not_on_team: "ei tiimissä",
    shares: "saa tietojani suostumuksellani",
    wish_name_label: "Joku muu, jonka haluan tiimiini",
    wish_add: "Lisää toive",
    consents_title: "Suostumukseni ja kieltoni",
    no_consents: "Ei voimassa olevia suostumuksia.",
    consent_line: (c) => `${c.recipients} saa tietoja: ${c.categories} (${c.purposes}), alkaen ${c.from}`,
    withdraw: "Peru suostumus",
    withdrawn: "Suostumus peruttu.",
    denials_title: "Kiellot",
    no_denials: "Ei voimassa olevia kieltoja.",
    denial_line: (d) => `Kielletty: ${d.categories} – ${d.recipients}`,
    everyone: "kaikille",
    lift: "Poista kielto",
    lifted: "Kielto poistettu.",
    denial_category: "Tieto, jonka luovutuksen kiellän",
    denial_org: "Keneltä",
    denial_add: "Kiellä",
    denied: "Kielto tallennettu.",
    wished: "Toiveesi on tallennettu.",
    plan_title: "Suunnitelmani",
    no_plan: "Suunnitelmaa ei ole vielä sovittu.",
    plan_agreed: (d) => `Sovittu ${d}`,
    review_on: (d) => `Tarkistetaan ${d}`,
    log_title: "Kuka on katsonut ja saanut tietojani",
    log_help: "Jokainen tietojesi katselu kirjataan. Tässä näet kuka, milloin ja miksi.",
    no_reads: "Tietojasi ei ole vielä katsottu.",
    read_line: (v) => `${v.day}: ${v.who} (${v.organisation}) – ${v.what}, syy: ${v.why} (${v.times}×)`,
    received_title: "Kenelle tietojasi on luovutettu",
    no_disclosures: "Tietojasi ei ole luovutettu.",
    disclosure_line: (d) => `${d.day}: ${d.to} sai ${d.categories} (${d.purpose})`,
    coordinator: "vastuuhenkilö",
    facts: (n) => `Tiimissä ${n} henkilöä`,
    not_found: "Tätä sivua ei löydy, tai sinulla ei ole siihen oikeutta.",
    failed: "Tallennus ei onnistunut",
  },
  sv: {
    title_client: "Mitt team",
    title_guardian: "Barnets team",
    whose_title: "Vems sida öppnas?",
    whose_label: "Barnets klientnummer",
    open: "Öppna",
    team_title: "Mitt team som nätverkskarta",
    team_help: "Markera vem som är viktig för dig och vem du vill ha i ditt team. Dina önskemål sparas som dina egna: de ändrar inte teamet.",
    me: "Jag",
    matters: "Viktig för mig",
    want: "Vill ha i mitt team",
    not_on_team: "inte i teamet",
    shares: "får mina uppgifter med mitt samtycke",
    wish_name_label: "Någon annan jag vill ha i mitt team",
    wish_add: "Lägg till önskemål",
    consents_title: "Mina samtycken och förbud",
    no_consents: "Inga gällande samtycken.",
    consent_line: (c) => `${c.recipients} får uppgifter: ${c.categories} (${c.purposes}), från ${c.from}`,
    withdraw: "Återkalla samtycket",
    withdrawn: "Samtycket har återkallats.",
    denials_title: "Förbud",
    no_denials: "Inga gällande förbud.",
    denial_line: (d) => `Förbjudet: ${d.categories} – ${d.recipients}`,
    everyone: "alla",
    lift: "Häv förbudet",
    lifted: "Förbudet har hävts.",
    denial_category: "Uppgifter jag förbjuder att lämnas ut",
    denial_org: "Till vem",
    denial_add: "Förbjud",
    denied: "Förbudet har sparats.",
    wished: "Ditt önskemål har sparats.",
    plan_title: "Min plan",
    no_plan: "Ingen plan har ännu avtalats.",
    plan_agreed: (d) => `Avtalad ${d}`,
    review_on: (d) => `Ses över ${d}`,
    log_title: "Vem har läst och fått mina uppgifter",
    log_help: "Varje gång någon läser dina uppgifter loggas det. Här ser du vem, när och varför.",
    no_reads: "Ingen har ännu läst dina uppgifter.",
    read_line: (v) => `${v.day}: ${v.who} (${v.organisation}) – ${v.what}, orsak: ${v.why} (${v.times}×)`,
    received_title: "Vem har fått dina uppgifter",
    no_disclosures: "Dina uppgifter har inte lämnats ut.",
    disclosure_line: (d) => `${d.day}: ${d.to} fick ${d.categories} (${d.purpose})`,
    coordinator: "ansvarsperson",
    facts: (n) => `${n} personer i teamet`,
    not_found: "Sidan finns inte, eller så har du inte rätt till den.",
    failed: "Det gick inte att spara",
  },
  en: {
    title_client: "My team",
    title_guardian: "My child's team",
    whose_title: "Whose page do you open?",
    whose_label: "The child's client reference",
    open: "Open",
    team_title: "My team as a network map",
    team_help: "Mark who matters to you and whom you want on your team. Your wishes are recorded as your own: they do not change the team.",
    me: "Me",
    matters: "Matters to me",
    want: "I want them on my team",
    not_on_team: "not on the team",
    shares: "receives my data with my consent",
    wish_name_label: "Someone else I want on my team",
    wish_add: "Add the wish",
    consents_title: "My consents and denials",
    no_consents: "No consents in force.",
    consent_line: (c) => `${c.recipients} receive: ${c.categories} (${c.purposes}), from ${c.from}`,
    withdraw: "Withdraw the consent",
    withdrawn: "The consent is withdrawn.",
    denials_title: "Denials",
    no_denials: "No denials in force.",
    denial_line: (d) => `Denied: ${d.categories} – ${d.recipients}`,
    everyone: "everyone",
    lift: "Lift the denial",
    lifted: "The denial is lifted.",
    denial_category: "Information I forbid to be shared",
    denial_org: "With whom",
    denial_add: "Deny",
    denied: "The denial is recorded.",
    wished: "Your wish is recorded.",
    plan_title: "My plan",
    no_plan: "No plan has been agreed yet.",
    plan_agreed: (d) => `Agreed on ${d}`,
    review_on: (d) => `To be reviewed on ${d}`,
    log_title: "Who has read and received my data",
    log_help: "Every read of your data is logged. Here you see who, when and why.",
    no_reads: "No one has read your data yet.",
    read_line: (v) => `${v.day}: ${v.who} (${v.organisation}) – ${v.what}, reason: ${v.why} (${v.times}×)`,
    received_title: "Who has received your data",
    no_disclosures: "Your data has not been shared.",
    disclosure_line: (d) => `${d.day}: ${d.to} received ${d.categories} (${d.purpose})`,
    coordinator: "coordinator",
    facts: (n) => `${n} people on the team`,
    not_found: "This page does not exist, or you may not open it.",
    failed: "Could not record it",
  },
};

const state = { who: null, ref: null, page: null, vocabulary: null, lang: "en" };

function t(key, arg) {
  const value = TEXT[state.lang][key];
  return typeof value === "function" ? value(arg) : value;
}

function label(vocabulary, code) {
  const entry = ((state.vocabulary && state.vocabulary.labels[vocabulary]) || {})[code];
  return (entry && entry[state.lang]) || code;
}

function date(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleDateString({ fi: "fi-FI", sv: "sv-FI", en: "en-GB" }[state.lang]);
}

function now() {
  return new Date(Date.now() - 1000).toISOString();
}

function chooseLang(preferred) {
  const chosen = sessionStorage.getItem(LANG_KEY);
  if (LANGS.includes(chosen)) return chosen;
  const base = String(preferred || "").slice(0, 2).toLowerCase();
  return LANGS.includes(base) ? base : "en";
}

function translateStatic() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const button of document.querySelectorAll(".lang-switch button")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
  }
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
  svg.append(s("title", { id: "my-map-title" }, `${t("team_title")}: ${team.length}`));
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
      ? `${label("roles", member.role)}${member.is_coordinator ? `, ${t("coordinator")}` : ""}`
      : t("not_on_team");
    nodes.append(
      s(
        "g",
        { class: "person", "data-party": member ? member.party_id : null, "data-wishes": wishes.join(" ") || null, "data-consent": consented ? "yes" : "no" },
        s("title", {}, [name, sub, consented ? t("shares") : "", ...wishes.map((w) => t(w === "matters_to_me" ? "matters" : "want"))].filter(Boolean).join(" · ")),
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
      s("text", { x: cx, y: cy + 5, "text-anchor": "middle", fill: "#fff", "font-size": 14, "font-weight": 700 }, t("me")),
    ),
  );
  container.replaceChildren(svg);
  fill(
    byId("my-legend"),
    h("li", {}, h("span", { class: "swatch consent-swatch", "aria-hidden": "true" }), ` ${t("shares")}`),
    h("li", {}, `♥ ${t("matters")}`),
    h("li", {}, `+ ${t("want")}`),
  );
}

async function recordWish(about, wishes) {
  try {
    await post(`/v1/client/journeys/${encodeURIComponent(state.ref)}/wishes`, { occurred_at: now(), ...about, wishes });
    say(t("wished"), "ok");
    await load();
  } catch (error) {
    say(`${t("failed")}: ${error.message}`, "error");
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
        h("button", { type: "button", class: "secondary", "aria-pressed": String(held.includes("matters_to_me")), onclick: () => toggle("matters_to_me") }, `♥ ${t("matters")}`),
        h("button", { type: "button", class: "secondary", "aria-pressed": String(held.includes("want_on_team")), onclick: () => toggle("want_on_team") }, `+ ${t("want")}`),
      ),
    );
  });
  const outside = state.page.wishes
    .filter((w) => w.about_name)
    .map((w) =>
      h("li", { class: "person-row" },
        h("span", { class: "who" }, `${w.about_name} (${t("not_on_team")}) · + ${t("want")}`),
        h("button", { type: "button", class: "secondary", onclick: () => recordWish({ about_name: w.about_name }, []) }, "×"),
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
      h("span", {}, t("consent_line", {
        recipients: [...c.recipient_orgs, ...c.recipient_parties].join(", "),
        categories: list(c.categories, "information_categories"),
        purposes: list(c.purposes, "purposes"),
        from: date(c.valid_from),
      })),
      h("button", { type: "button", onclick: () => act(`/consents/${encodeURIComponent(c.consent_id)}/withdrawal`, {}, "withdrawn") }, t("withdraw")),
    ),
  );
  fill(byId("my-consents"), consents.length ? h("ul", { class: "choices" }, consents) : h("p", {}, t("no_consents")));
  const denials = state.page.denials.map((d) =>
    h("li", { class: "denial", "data-denial": d.denial_id },
      h("span", {}, t("denial_line", {
        categories: list(d.categories, "information_categories"),
        recipients: [...d.recipient_orgs, ...d.recipient_parties].join(", ") || t("everyone"),
      })),
      h("button", { type: "button", onclick: () => act(`/denials/${encodeURIComponent(d.denial_id)}/lifting`, {}, "lifted") }, t("lift")),
    ),
  );
  fill(byId("my-denials"), denials.length ? h("ul", { class: "choices" }, denials) : h("p", {}, t("no_denials")));
  const category = byId("denial-category");
  const chosen = category.value;
  fill(category, state.vocabulary.information_categories.map((c) => h("option", { value: c }, label("information_categories", c))));
  if (chosen) category.value = chosen;
  const orgs = [...new Set(state.page.team.map((m) => m.organisation))].sort();
  fill(byId("denial-org"), h("option", { value: "" }, t("everyone")), orgs.map((o) => h("option", { value: o }, o)));
}

async function act(rest, body, done) {
  try {
    await post(journeyPath(state.ref, rest), { occurred_at: now(), ...body });
    say(t(done), "ok");
    await load();
  } catch (error) {
    say(`${t("failed")}: ${error.message}`, "error");
  }
}

function drawPlan() {
  const plan = state.page.plan;
  if (!plan) {
    fill(byId("my-plan"), h("p", {}, t("no_plan")));
    return;
  }
  fill(
    byId("my-plan"),
    h("ul", {}, plan.goals.map((g) => h("li", {}, g))),
    h("p", { class: "meta" }, [t("plan_agreed", date(plan.agreed_at)), plan.review_on ? ` · ${t("review_on", date(plan.review_on))}` : ""].join("")),
  );
}

function drawLog(report) {
  const visits = report.visits.map((v) =>
    h("li", {}, t("read_line", { day: date(v.day), who: v.who, organisation: v.organisation, what: v.what, why: v.why, times: v.times })),
  );
  const disclosures = report.disclosures.map((d) =>
    h("li", {}, t("disclosure_line", { day: date(d.occurred_at), to: d.to_party || d.to_org, categories: list(d.categories, "information_categories"), purpose: label("purposes", d.purpose) })),
  );
  fill(
    byId("my-log"),
    visits.length ? h("ul", { class: "log" }, visits) : h("p", {}, t("no_reads")),
    h("h3", {}, t("received_title")),
    disclosures.length ? h("ul", { class: "log" }, disclosures) : h("p", {}, t("no_disclosures")),
  );
}

function draw(report) {
  translateStatic();
  byId("mine-title").textContent = t(state.who.role === "guardian" ? "title_guardian" : "title_client");
  byId("mine-facts").textContent = t("facts", state.page.team.length);
  drawMap();
  drawPeople();
  drawConsents();
  drawPlan();
  drawLog(report);
}

async function load() {
  const base = `/v1/client/journeys/${encodeURIComponent(state.ref)}`;
  const [page, report] = await Promise.all([get(base), get(`${base}/log-report`)]);
  state.page = page;
  state.lang = chooseLang(page.preferred_language);
  state.report = report;
  byId("mine").hidden = false;
  draw(report);
}

async function main() {
  const who = await startPage();
  if (!who) return;
  state.who = who;
  state.lang = chooseLang(navigator.language);
  translateStatic();
  for (const button of document.querySelectorAll(".lang-switch button")) {
    button.addEventListener("click", () => {
      sessionStorage.setItem(LANG_KEY, button.dataset.lang);
      state.lang = button.dataset.lang;
      if (state.page) draw(state.report);
      else translateStatic();
    });
  }
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
  const asked = new URLSearchParams(location.search).get("ref");
  state.ref = who.role === "client" ? who.party_id : asked;
  if (!state.ref) {
    byId("whose").hidden = false;
    return;
  }
  try {
    state.vocabulary = await get("/v1/vocabulary");
    await load();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 403)) say(t("not_found"), "error");
    else say(error.message, "error");
  }
}

main();
