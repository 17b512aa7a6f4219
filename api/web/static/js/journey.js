// The journey page: the team map, consents and knowledge at (on date, as recorded on), the
// timeline of events on both time axes, and the command forms.

import { get, journeyPath } from "./api.js";
import { byId, fill, h, table } from "./dom.js";
import { DAY_MS, VERDICT_COLOUR, day, isoDate, localDay, term } from "./format.js";
import { setUpForms, suggest } from "./forms.js";
import { drawTeam, teamLegend } from "./network.js";
import { explain, mayWrite, say, startPage } from "./shell.js";
import { drawTimeline, eventsTable, timelineLegend } from "./timeline.js";

const query = new URLSearchParams(location.search);
const clientRef = query.get("ref");
const highlight = query.get("event");

const controls = {
  at: { date: byId("at-date"), range: byId("at-range") },
  known: { date: byId("known-date"), range: byId("known-range") },
};
let first = null; // the first day the sliders reach (local midnight)
let latest = null; // what was drawn last: {view, history, at, knownAt}
let sequence = 0; // only the answer to the latest request is drawn
let highlighted = false;
let timer = null;

function midnight(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

function dayIndex(date) {
  return Math.round((midnight(date) - first) / DAY_MS);
}

function dateAt(index) {
  return new Date(first.getFullYear(), first.getMonth(), first.getDate() + Number(index));
}

function setControl(control, date) {
  const index = Math.max(0, Math.min(Number(control.range.max), dayIndex(date)));
  const clamped = dateAt(index);
  control.date.value = isoDate(clamped);
  control.range.value = String(index);
  control.range.setAttribute("aria-valuetext", day(clamped));
}

function wire(control) {
  control.range.addEventListener("input", () => {
    setControl(control, dateAt(control.range.value));
    schedule();
  });
  control.date.addEventListener("change", () => {
    if (!control.date.value) return;
    setControl(control, localDay(control.date.value));
    schedule();
  });
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(load, 150);
}

/** The chosen moments: the end of each chosen day, in the reader's time zone. */
function chosen() {
  return {
    at: localDay(controls.at.date.value, true),
    knownAt: localDay(controls.known.date.value, true),
  };
}

async function load() {
  const mine = ++sequence;
  const { at, knownAt } = chosen();
  try {
    const [view, history] = await Promise.all([
      get(journeyPath(clientRef), { at: at.toISOString(), known_at: knownAt.toISOString() }),
      get(journeyPath(clientRef, "/history"), { known_at: knownAt.toISOString() }),
    ]);
    if (mine !== sequence) return;
    latest = { view, history, at, knownAt };
    draw();
  } catch (error) {
    if (mine === sequence) say(explain(error, "journey"), "error");
  }
}

function draw() {
  const { view, history, at, knownAt } = latest;
  const facts = [
    `Preferred language: ${view.preferred_language || "not given"}`,
    view.interpreter_needed ? "interpreter needed" : null,
    view.closed ? "journey closed" : null,
    `${view.known_version} events recorded by ${day(knownAt)}`,
  ];
  byId("journey-facts").textContent = facts.filter(Boolean).join(" · ");
  const coordinator = view.coordinator.party_id
    ? `coordinator ${view.coordinator.party_id} since ${day(view.coordinator.since)}`
    : view.coordinator.since
      ? `no coordinator since ${day(view.coordinator.since)}`
      : "no coordinator";
  byId("map-caption").textContent = view.registered
    ? `On ${day(at)}, as recorded on ${day(knownAt)}: ${view.team.length} on the team; ${coordinator}.`
    : `On ${day(at)}, as recorded on ${day(knownAt)}: the client was not yet registered.`;
  drawTeam(byId("map"), clientRef, view.team);
  teamLegend(byId("map-legend"), view.team);
  fill(byId("team-list"), teamTable(view.team));
  fill(byId("consents"), consentCards(view.consents));
  fill(byId("denials"), denialCards(view.denials));
  fill(byId("knowledge"), knowledgeCards(view.knowledge));
  drawTimeline(byId("timeline"), history, { at, knownAt, highlight });
  fill(byId("events"), eventsTable(history, { at, highlight }));
  if (!byId("forms-panel").hidden) suggest(view);
  if (highlight && !highlighted) {
    highlighted = true;
    const row = document.getElementById(`event-${highlight}`);
    if (row) {
      row.scrollIntoView({ block: "center" });
      row.focus({ preventScroll: true });
    } else {
      say("The event asked for is not in the record as it stands at the chosen record time.", "info");
    }
  }
}

function teamTable(team) {
  if (!team.length) return h("p", {}, "No one on the team on this date.");
  return table(
    [
      ["Name", (m) => m.display_name || m.party_id],
      ["Party", (m) => m.party_id],
      ["Type", (m) => term(m.member_type)],
      ["Role", (m) => term(m.role)],
      ["Organisation", (m) => m.organisation],
      ["Sector", (m) => term(m.sector)],
      ["Since", (m) => day(m.since)],
      ["Coordinator", (m) => (m.is_coordinator ? "yes" : "")],
    ],
    team,
  );
}

function tags(values, render = term) {
  return h("ul", { class: "tags" }, values.map((v) => h("li", { class: "tag" }, render(v))));
}

function consentCards(consents) {
  if (!consents.length) return h("p", {}, "No consent in force on this date.");
  return h(
    "ul",
    { class: "cards" },
    consents.map((c) =>
      h(
        "li",
        { "data-consent": c.consent_id },
        h("div", { class: "title" }, c.consent_id, " ", h("span", { class: "badge plain" }, term(c.form))),
        h("div", { class: "meta" }, `Granted by ${c.grantor}; valid ${day(c.valid_from)} – ${c.valid_until ? day(c.valid_until) : "no end"}`),
        h("div", {}, "To: ", [...c.recipient_orgs, ...c.recipient_parties].join(", ") || "–"),
        tags(c.categories),
        tags(c.purposes),
      ),
    ),
  );
}

function denialCards(denials) {
  if (!denials.length) return h("p", {}, "None.");
  return h(
    "ul",
    { class: "cards" },
    denials.map((d) =>
      h(
        "li",
        {},
        h("div", { class: "title" }, d.denial_id, " ", h("span", { class: "badge bad" }, "denial")),
        h("div", { class: "meta" }, `Since ${day(d.since)}`),
        h("div", {}, "Not to: ", [...d.recipient_orgs, ...d.recipient_parties].join(", ") || "–"),
        tags(d.categories),
      ),
    ),
  );
}

/** A verdict word as the API gives it, for this category to this recipient. */
function verdict(word, when) {
  return h("span", { class: `badge ${VERDICT_COLOUR[word] || "plain"}`, "data-verdict": `${when}:${word}` }, `${when}: ${word}`);
}

function knowledgeCards(knowledge) {
  if (!knowledge.length) return h("p", {}, "Nobody had received the client's information by this date.");
  return h(
    "ul",
    { class: "cards" },
    knowledge.map((k) =>
      h(
        "li",
        { "data-recipient": k.recipient_id },
        h("div", { class: "title" }, k.recipient_id, " ", h("span", { class: "meta" }, `(${k.recipient_kind})`)),
        h(
          "ul",
          { class: "tags" },
          k.categories.map((c) =>
            h(
              "li",
              {},
              h("span", { class: "tag" }, term(c.category)),
              ` since ${day(c.first_at)} via ${c.disclosure_ids.join(", ")} `,
              verdict(c.verdict_then, "then"),
              " ",
              verdict(c.verdict_now, "now"),
            ),
          ),
        ),
      ),
    ),
  );
}

async function start() {
  const who = await startPage();
  if (!who) return;
  if (!clientRef) {
    byId("pick").hidden = false;
    return;
  }
  document.title = `${clientRef} — Polku`;
  byId("client-ref").textContent = clientRef;
  let history;
  try {
    history = await get(journeyPath(clientRef, "/history"));
  } catch (error) {
    say(explain(error, "journey"), "error");
    return;
  }
  byId("journey").hidden = false;
  const times = history.flatMap((e) => [Date.parse(e.occurred_at), Date.parse(e.recorded_at)]);
  const today = new Date();
  first = midnight(new Date(Math.min(...times, today.getTime())));
  for (const control of Object.values(controls)) {
    control.range.max = String(dayIndex(today));
    control.date.min = isoDate(first);
    control.date.max = isoDate(today);
    setControl(control, today);
    wire(control);
  }
  byId("to-now").addEventListener("click", () => {
    setControl(controls.at, new Date());
    setControl(controls.known, new Date());
    load();
  });
  timelineLegend(byId("timeline-legend"));
  if (mayWrite(who)) {
    try {
      const vocabulary = await get("/v1/vocabulary");
      setUpForms({
        forms: [...document.querySelectorAll("#forms-panel form")],
        vocabulary,
        clientRef,
        onRecorded: async (result, what) => {
          setControl(controls.at, new Date());
          setControl(controls.known, new Date());
          await load();
          say(`Recorded: ${what} (the journey is now at version ${result.version}). Showing today, as recorded today.`, "ok");
        },
      });
      byId("forms-panel").hidden = false;
    } catch (error) {
      say(explain(error, "the vocabulary"), "error");
    }
  }
  let resized = null;
  window.addEventListener("resize", () => {
    clearTimeout(resized);
    resized = setTimeout(() => latest && draw(), 200);
  });
  await load();
}

start();
