// The journey page: the team map, consents and knowledge at (on date, as recorded on), the
// timeline of events on both time axes, and the command forms.

import { get, journeyPath, post } from "./api.js";
import { byId, fill, h, table } from "./dom.js";
import { DAY_MS, VERDICT_COLOUR, day, isoDate, isoMinute, kind as kindName, localDay, term } from "./format.js";
import { COMMAND_FORMS, GROUPS, formForKind } from "./commandforms.js";
import { loadDirectory } from "./directory.js";
import { commandForm, memberName, orgName, sendCommand } from "./forms.js";
import { label, t } from "./i18n.js";
import "./texts/journey.js";
import { drawTeam, teamLegend } from "./network.js";
import { explain, mayWrite, say, startPage } from "./shell.js";
import "./texts/journey_view.js";
import {
  drawTimeline,
  eventsTable,
  inWindow,
  journeySpan,
  panWindow,
  sameWindow,
  timelineLegend,
  windowOf,
  zoomWindow,
} from "./timeline.js";

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
let editing = null; // the entry being corrected or retracted: {eventId, editRow}
let writing = null; // what the forms need: {vocabulary, directory, who, clientRef, view}

// The view's state lives in the address: /journey?ref=…&at=…&known=…&from=…&to=…&panels=…
// (``at``/``known``: the date controls, absent when today; ``from``/``to``: the timeline's
// window, absent for the whole journey; ``panels``: the open <details> by name). Moving a
// control replaces the address (no history entry per slider step); "Today, as recorded today"
// adds one. The date controls themselves hold ``at`` and ``known``.
let span = null; // the journey's span on the timeline (journeySpan)
let win = null; // the timeline's window chosen ({from, to}), or null for the whole journey
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A yyyy-mm-dd that names a real day, as a local Date (else null). */
function parseDay(value) {
  if (typeof value !== "string" || !ISO_DAY.test(value)) return null;
  const date = localDay(value);
  return isoDate(date) === value ? date : null;
}

/** The <details> the address may open, by name: their id without "-box". */
function panels() {
  return new Map([...document.querySelectorAll("#journey details[id$='-box']")].map((d) => [d.id.slice(0, -4), d]));
}

/** The window shown: the one chosen, else the whole journey. */
function shownWindow() {
  return win || { from: span.from, to: span.to };
}

function address() {
  const params = new URLSearchParams({ ref: clientRef });
  if (highlight) params.set("event", highlight);
  const today = isoDate(new Date());
  for (const [name, control] of Object.entries(controls)) {
    if (control.date.value && control.date.value !== today) params.set(name, control.date.value);
  }
  if (win) {
    params.set("from", isoDate(win.from));
    params.set("to", isoDate(win.to));
  }
  const open = [...panels()].filter(([, details]) => details.open).map(([name]) => name);
  if (open.length) params.set("panels", open.join(","));
  return `${location.pathname}?${params.toString().replaceAll("%2C", ",")}`;
}

/** Put the view's state into the address: replacing it, or as a new history entry. */
function remember(push = false) {
  const next = address();
  if (next === `${location.pathname}${location.search}`) return;
  if (push) history.pushState(null, "", next);
  else history.replaceState(null, "", next);
}

/** Restore the view from the address; what cannot be used is left out and said so. */
function restore() {
  const params = new URLSearchParams(location.search);
  const today = midnight(new Date());
  const notes = [];
  for (const [name, control] of Object.entries(controls)) {
    const value = params.get(name);
    const date = value === null ? null : parseDay(value);
    if (value !== null && !(date && date >= first && date <= today)) {
      notes.push(t(`jv.bad.${name}`, value, day(first), day(today)));
    }
    setControl(control, date && date >= first && date <= today ? date : today);
  }
  win = null;
  const [from, to] = [params.get("from"), params.get("to")];
  if (from !== null || to !== null) {
    const [a, b] = [parseDay(from), parseDay(to)];
    if (a && b && a <= b && a <= span.max && b >= span.min) {
      win = windowOf(a < span.min ? span.min : a, b > span.max ? span.max : b, span);
    } else {
      notes.push(t("jv.bad.window", from ?? "–", to ?? "–"));
    }
  }
  const wanted = (params.get("panels") || "").split(",").filter(Boolean);
  const known = panels();
  for (const [name, details] of known) details.open = wanted.includes(name);
  // The forms are drawn later (for writers only): their names are known, not unknown.
  const unknown = wanted.filter((name) => !known.has(name) && !(name in COMMAND_FORMS));
  if (unknown.length) notes.push(t("jv.bad.panels", unknown.join(", ")));
  const note = byId("url-note");
  note.textContent = notes.join(" ");
  note.hidden = !notes.length;
  if (notes.length) remember(); // the address keeps only what is shown
}

/** Whether the journey is closed by the record as it stands (the last closing or reopening). */
function isClosed(history) {
  const turns = history
    .filter((e) => !e.retracted_by && (e.kind === "journey_closed" || e.kind === "journey_reopened"))
    .sort((a, b) => Date.parse(a.occurred_at) - Date.parse(b.occurred_at));
  return turns.length > 0 && turns[turns.length - 1].kind === "journey_closed";
}

function setWindow(next) {
  win = next && sameWindow(next, { from: span.from, to: span.to }) ? null : next;
  remember();
  if (latest) drawEvents();
}

function wireZoom() {
  const centre = () => {
    const at = localDay(controls.at.date.value);
    const shown = shownWindow();
    return at >= shown.from && at <= shown.to ? at : null;
  };
  byId("zoom-in").addEventListener("click", () => setWindow(zoomWindow(shownWindow(), span, 0.5, centre())));
  byId("zoom-out").addEventListener("click", () => setWindow(zoomWindow(shownWindow(), span, 2, centre())));
  byId("pan-earlier").addEventListener("click", () => setWindow(panWindow(shownWindow(), span, -1)));
  byId("pan-later").addEventListener("click", () => setWindow(panWindow(shownWindow(), span, 1)));
  byId("zoom-reset").addEventListener("click", () => setWindow(null));
  for (const id of ["zoom-from", "zoom-to"]) {
    byId(id).addEventListener("change", () => {
      const [a, b] = [parseDay(byId("zoom-from").value), parseDay(byId("zoom-to").value)];
      if (a && b && a <= b) setWindow(windowOf(a < span.min ? span.min : a, b > span.max ? span.max : b, span));
      else if (latest) drawEvents(); // not a period: the inputs show the window again
    });
  }
  for (const details of panels().values()) details.addEventListener("toggle", () => remember());
}

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
    remember();
    schedule();
  });
  control.date.addEventListener("change", () => {
    if (!control.date.value) return;
    setControl(control, localDay(control.date.value));
    remember();
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
    if (isoDate(knownAt) === isoDate(new Date())) {
      span = journeySpan(history, { closed: isClosed(history) }); // e.g. after a new record
      if (win) win = windowOf(win.from, win.to, span);
    }
    remember(); // the controls may have been moved by a command recorded (see onRecorded)
    draw();
  } catch (error) {
    if (mine === sequence) say(explain(error, t("view.journey")), "error");
  }
}

function draw() {
  const { view, history, at, knownAt } = latest;
  const facts = [
    t("view.language", view.preferred_language ? languageName(view.preferred_language) : t("view.no_language")),
    view.interpreter_needed ? t("view.interpreter") : null,
    view.closed ? t("view.closed") : null,
    t("view.events", view.known_version, day(knownAt)),
  ];
  byId("journey-facts").textContent = facts.filter(Boolean).join(" · ");
  const coordinator = view.coordinator.party_id
    ? t("view.coordinator", nameOf(view, view.coordinator.party_id), day(view.coordinator.since))
    : view.coordinator.since
      ? t("view.no_coordinator_since", day(view.coordinator.since))
      : t("view.no_coordinator");
  byId("map-caption").textContent = view.registered
    ? t("view.caption", day(at), day(knownAt), view.team.length, coordinator)
    : t("view.caption_unregistered", day(at), day(knownAt));
  drawTeam(byId("map"), clientRef, view.team);
  teamLegend(byId("map-legend"), view.team);
  fill(byId("team-list"), teamTable(view.team));
  fill(byId("consents"), consentCards(view.consents));
  fill(byId("denials"), denialCards(view.denials));
  fill(byId("knowledge"), knowledgeCards(view.knowledge));
  drawEvents();
  if (highlight && !highlighted) {
    highlighted = true;
    const row = document.getElementById(`event-${highlight}`);
    if (row) {
      row.scrollIntoView({ block: "center" });
      row.focus({ preventScroll: true });
    } else {
      say(t("view.not_in_record"), "info");
    }
  }
}

/** The context the forms' pickers read: the journey as it stands now, as recorded now. */
async function formContext() {
  const [view, history] = await Promise.all([get(journeyPath(clientRef)), get(journeyPath(clientRef, "/history"))]);
  const registration = history.find((e) => e.kind === "client_registered" && !e.retracted_by);
  const guardians = (registration && registration.facts.guardians) || [];
  return { ...writing, view, guardians };
}

async function recorded(result, kind) {
  say(""); // until the page shows the new record and the forms are drawn afresh
  editing = null;
  setControl(controls.at, new Date());
  setControl(controls.known, new Date());
  await load();
  await drawForms();
  say(t("recorded", kindName(kind)), "ok");
}

/** Every command's form, grouped; a closed journey offers only its reopening. */
async function drawForms() {
  const ctx = await formContext();
  writing.view = ctx.view;
  const open = new Set([...document.querySelectorAll("#forms details[open]")].map((d) => d.id));
  if (!document.querySelector("#forms details")) {
    // The first drawing opens the forms the address names.
    const asked = new URLSearchParams(location.search).get("panels") || "";
    for (const name of asked.split(",").filter(Boolean)) open.add(`${name}-box`);
  }
  const groups = GROUPS.map(([group, ids]) => {
    const shown = ids.filter((id) => {
      const spec = COMMAND_FORMS[id];
      if (ctx.view.closed) return id === "reopen";
      return spec.whenClosed !== true;
    });
    if (!shown.length) return null;
    return h(
      "section",
      { class: "form-group", "data-group": group },
      h("h3", {}, t(`group.${group}`)),
      shown.map((id) =>
        h(
          "details",
          { class: "form", id: `${id}-box`, open: open.has(`${id}-box`) },
          h("summary", {}, t(`form.${id}`)),
          commandForm(id, COMMAND_FORMS[id], ctx, { send: sendCommand(clientRef, COMMAND_FORMS[id]), onRecorded: recorded }),
        ),
      ),
    );
  });
  fill(byId("forms"), groups);
  for (const details of byId("forms").querySelectorAll("details")) details.addEventListener("toggle", () => remember());
}

const LOCAL_MINUTE = (iso) => isoMinute(new Date(iso));

/** Retract or correct an entry from its row on the timeline's table. */
function addEntryActions(history) {
  const byEvent = new Map(history.map((e) => [e.event_id, e]));
  for (const row of document.querySelectorAll("#events tr[data-event]")) {
    const entry = byEvent.get(row.dataset.event);
    if (!entry || entry.retracted_by || ["event_retracted", "personal_data_erased"].includes(entry.kind)) continue;
    const cell = h("td", { class: "entry-actions", "data-label": "" });
    const formId = formForKind(entry.kind);
    if (formId) cell.append(h("button", { type: "button", class: "secondary small", "data-action": "correct", onclick: () => openEdit(row, entry, "correct") }, t("action.correct")));
    if (entry.kind !== "client_registered") {
      cell.append(h("button", { type: "button", class: "secondary small", "data-action": "retract", onclick: () => openEdit(row, entry, "retract") }, t("action.retract")));
    }
    row.append(cell);
  }
}

function openEdit(row, entry, action) {
  const existing = row.nextElementSibling;
  if (existing && existing.classList.contains("edit-row")) existing.remove();
  const ctx = { ...writing };
  const reason = { name: "retract_reason", type: "vocab", vocab: "retraction_reasons", initial: action === "correct" ? "wrong_date" : "entered_in_error" };
  const close = () => {
    editRow.remove();
    editing = null;
  };
  let form;
  if (action === "retract") {
    const spec = { kind: "event_retracted", fields: [reason] };
    form = commandForm(`retract-${entry.event_id.slice(0, 8)}`, spec, ctx, {
      submitText: t("submit.retract"),
      send: (body) => post(journeyPath(clientRef, `/events/${entry.event_id}/retraction`), { occurred_at: body.occurred_at, reason: body.retract_reason, note: body.note }),
      onRecorded: recorded,
    });
  } else {
    const formId = formForKind(entry.kind);
    const spec = COMMAND_FORMS[formId];
    const withReason = { ...spec, kind: entry.kind, fields: [reason, ...spec.fields] };
    const start = { ...entry.facts, occurred_at: LOCAL_MINUTE(entry.occurred_at) };
    form = commandForm(`correct-${entry.event_id.slice(0, 8)}`, withReason, ctx, {
      start,
      submitText: t("submit.correct"),
      send: (body) => {
        const why = body.retract_reason;
        delete body.retract_reason;
        const note = body.note;
        delete body.note;
        const command = { ...body };
        return post(journeyPath(clientRef, `/events/${entry.event_id}/retraction`), {
          occurred_at: new Date().toISOString(),
          reason: why,
          note,
          replacement: { kind: entry.kind, command },
        });
      },
      onRecorded: recorded,
    });
  }
  const editRow = h(
    "tr",
    { class: "edit-row" },
    h(
      "td",
      { colspan: String(row.children.length) },
      h("h3", {}, t(`form.${action}`), " — ", kindName(entry.kind), ", ", day(entry.occurred_at)),
      form,
      h("button", { type: "button", class: "secondary", onclick: close }, t("action.cancel")),
    ),
  );
  row.after(editRow);
  editing = { eventId: entry.event_id, editRow };
  const first = editRow.querySelector("select, input, textarea");
  if (first) first.focus();
}

/** An organisation's name from the directory, else its id. */
function orgLabel(id) {
  return writing ? orgName(writing, id) : id;
}

function nameOf(view, party) {
  const member = view.team.find((m) => m.party_id === party);
  return (member && member.display_name) || party;
}

function languageName(code) {
  const key = `lang.${code}`;
  return t(key) === key ? code : t(key);
}

/** The timeline in its window, its caption and the events table. */
function drawEvents() {
  const { history, at, knownAt } = latest;
  const shown = shownWindow();
  const { thinned } = drawTimeline(byId("timeline"), history, { at, knownAt, highlight, win: shown });
  const inside = history.filter((e) => inWindow(e, shown)).length;
  const caption = [
    t(win ? "jv.window.part" : "jv.window.whole", day(shown.from), day(shown.to)),
    t("jv.window.events", inside, history.length),
    thinned ? t("jv.window.thinned", thinned) : null,
  ];
  byId("timeline-caption").textContent = caption.filter(Boolean).join(" ");
  const [from, to] = [byId("zoom-from"), byId("zoom-to")];
  from.value = isoDate(shown.from);
  to.value = isoDate(shown.to);
  for (const input of [from, to]) {
    input.min = isoDate(span.min);
    input.max = isoDate(span.max);
  }
  byId("zoom-reset").disabled = !win;
  const names = { org: orgLabel, party: (id) => (writing ? memberName({ ...writing, view: latest.view }, id) : id) };
  fill(byId("events"), eventsTable(history, { at, highlight, win: shown, names }));
  if (writing) addEntryActions(history);
  // A correction being written survives a redraw (a resize, a phone turned on its side).
  const row = editing && document.getElementById(`event-${editing.eventId}`);
  if (row) row.after(editing.editRow);
  else editing = null;
}

function teamTable(team) {
  if (!team.length) return h("p", {}, t("view.no_team"));
  return table(
    [
      [t("col.name"), (m) => m.display_name || m.party_id],
      [t("col.party"), (m) => m.party_id],
      [t("col.type"), (m) => label("member_types", m.member_type)],
      [t("col.role"), (m) => label("roles", m.role)],
      [t("col.organisation"), (m) => orgLabel(m.organisation)],
      [t("col.sector"), (m) => label("sectors", m.sector)],
      [t("col.since"), (m) => day(m.since)],
      [t("col.coordinator"), (m) => (m.is_coordinator ? t("view.yes") : "")],
    ],
    team,
  );
}

function tags(values, render = term) {
  return h("ul", { class: "tags" }, values.map((v) => h("li", { class: "tag" }, render(v))));
}

function consentCards(consents) {
  if (!consents.length) return h("p", {}, t("view.no_consent"));
  return h(
    "ul",
    { class: "cards" },
    consents.map((c) =>
      h(
        "li",
        { "data-consent": c.consent_id },
        h("div", { class: "title" }, c.consent_id, " ", h("span", { class: "badge plain" }, label("consent_forms", c.form))),
        h("div", { class: "meta" }, t("view.granted_by", c.grantor === "client" ? t("the_client") : c.grantor, day(c.valid_from), c.valid_until ? day(c.valid_until) : t("view.no_end"))),
        h("div", {}, t("view.to"), [...c.recipient_orgs.map(orgLabel), ...c.recipient_parties].join(", ") || "–"),
        tags(c.categories, (v) => label("information_categories", v)),
        tags(c.purposes, (v) => label("purposes", v)),
      ),
    ),
  );
}

function denialCards(denials) {
  if (!denials.length) return h("p", {}, t("view.none"));
  return h(
    "ul",
    { class: "cards" },
    denials.map((d) =>
      h(
        "li",
        {},
        h("div", { class: "title" }, d.denial_id, " ", h("span", { class: "badge bad" }, t("view.denial"))),
        h("div", { class: "meta" }, t("view.since", day(d.since))),
        h("div", {}, t("view.not_to"), [...d.recipient_orgs.map(orgLabel), ...d.recipient_parties].join(", ") || "–"),
        tags(d.categories, (v) => label("information_categories", v)),
      ),
    ),
  );
}

/** A verdict word as the API gives it, for this category to this recipient. */
function verdict(word, when) {
  return h("span", { class: `badge ${VERDICT_COLOUR[word] || "plain"}`, "data-verdict": `${when}:${word}` }, `${t(`verdict.${when}`)}: ${t(`verdict.${word}`)}`);
}

function knowledgeCards(knowledge) {
  if (!knowledge.length) return h("p", {}, t("view.nobody_knew"));
  return h(
    "ul",
    { class: "cards" },
    knowledge.map((k) =>
      h(
        "li",
        { "data-recipient": k.recipient_id },
        h("div", { class: "title" }, k.recipient_kind === "organisation" ? orgLabel(k.recipient_id) : k.recipient_id, " ", h("span", { class: "meta" }, `(${t(`view.recipient.${k.recipient_kind}`)})`)),
        h(
          "ul",
          { class: "tags" },
          k.categories.map((c) =>
            h(
              "li",
              {},
              h("span", { class: "tag" }, label("information_categories", c.category)),
              t("view.known_since", day(c.first_at), c.disclosure_ids.join(", ")),
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
    say(explain(error, t("view.journey")), "error");
    return;
  }
  byId("journey").hidden = false;
  const times = history.flatMap((e) => [Date.parse(e.occurred_at), Date.parse(e.recorded_at)]);
  const today = new Date();
  first = midnight(new Date(Math.min(...times, today.getTime())));
  span = journeySpan(history, { closed: isClosed(history) });
  for (const control of Object.values(controls)) {
    control.range.max = String(dayIndex(today));
    control.date.min = isoDate(first);
    control.date.max = isoDate(today);
    setControl(control, today);
    wire(control);
  }
  restore();
  wireZoom();
  window.addEventListener("popstate", () => {
    restore();
    load();
  });
  byId("to-now").addEventListener("click", () => {
    setControl(controls.at, new Date());
    setControl(controls.known, new Date());
    remember(true);
    load();
  });
  timelineLegend(byId("timeline-legend"));
  if (mayWrite(who)) {
    try {
      const [vocabulary, directory] = await Promise.all([get("/v1/vocabulary"), loadDirectory(get)]);
      writing = { vocabulary, directory, who, clientRef };
      await drawForms();
      byId("forms-panel").hidden = false;
    } catch (error) {
      writing = null;
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
