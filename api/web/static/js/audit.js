// The auditor page: the disclosure ledger with filters and verdicts then and now (each finding
// links to its journey and event), and the client's printable log report.

import { get, journeyPath } from "./api.js";
import { byId, fill, h, table } from "./dom.js";
import { localDay, term, when, zoneNote } from "./format.js";
import { explain, say, startPage } from "./shell.js";

const MAX_ROWS = 500;
let entries = [];

/** The finding a ledger entry makes: its key, its words and its badge colour. */
export function finding(entry) {
  if (!entry.lawful_now) return ["unlawful-now", "unlawful now", "bad"];
  if (!entry.lawful_then) return ["unsupported-then", "lawful now, unsupported then", "warn"];
  return ["lawful", "lawful then and now", "ok"];
}

function journeyHref(clientRef, eventId) {
  const query = new URLSearchParams({ ref: clientRef });
  if (eventId) query.set("event", eventId);
  return `/journey?${query}`;
}

function period(form) {
  const from = form.elements.from.value;
  const to = form.elements.to.value;
  return {
    from: from ? localDay(from).toISOString() : undefined,
    to: to ? localDay(to, true).toISOString() : undefined,
  };
}

/** A verdict: "then" is judged on the record as it stood when the disclosure happened. */
function reasons(lawful, list, when = "now") {
  const words = lawful ? "lawful" : when === "then" ? "unsupported" : "unlawful";
  return [
    h("span", { class: `badge ${lawful ? "ok" : "bad"}` }, words),
    list.length ? h("div", { class: "meta" }, list.join(", ")) : null,
  ];
}

function party(p, org) {
  return [p, org].filter(Boolean).join(" / ") || "–";
}

function basis(e) {
  if (e.basis === "consent") return `consent ${e.consent_id || ""}`.trim();
  if (e.basis === "statutory") return `statute ${e.statute || ""}`.trim();
  return term(e.basis);
}

function renderLedger() {
  const form = byId("ledger-filters");
  const wanted = form.elements.verdict.value;
  const client = form.elements.client.value.trim().toLowerCase();
  const rows = entries.filter((e) => {
    const [key] = finding(e);
    if (wanted === "findings" && key === "lawful") return false;
    if (wanted && wanted !== "findings" && key !== wanted) return false;
    return !client || e.client_ref.toLowerCase().includes(client);
  });
  const unlawful = entries.filter((e) => finding(e)[0] === "unlawful-now").length;
  const unsupported = entries.filter((e) => finding(e)[0] === "unsupported-then").length;
  const shown = rows.slice(0, MAX_ROWS);
  byId("ledger-summary").textContent =
    `${entries.length} disclosures in the period: ${unlawful} unlawful now, ${unsupported} lawful now but unsupported then. ` +
    (rows.length > shown.length ? `Showing the first ${shown.length} of ${rows.length} that match.` : `${rows.length} match the filters.`);
  fill(
    byId("ledger"),
    shown.length
      ? table(
          [
            ["Finding", (e) => { const [, words, colour] = finding(e); return h("span", { class: `badge wrap ${colour}` }, words); }],
            ["Disclosure", (e) => [
              h("a", { href: journeyHref(e.client_ref), class: "journey-link" }, e.client_ref),
              h("div", {}, e.disclosure_id),
              h("div", { class: "meta" }, term(e.kind)),
            ]],
            ["Happened / recorded", (e) => [h("div", {}, when(e.occurred_at)), h("div", { class: "meta" }, `recorded ${when(e.recorded_at)}`)]],
            ["From → to", (e) => [h("div", {}, party(e.from_party, e.from_org)), h("div", {}, `→ ${party(e.to_party, e.to_org)}`)]],
            ["What, why, basis", (e) => [
              h("div", {}, e.categories.map(term).join(", ")),
              h("div", { class: "meta" }, `${term(e.purpose)}; ${basis(e)}`),
            ]],
            ["Then", (e) => reasons(e.lawful_then, e.reasons_then, "then")],
            ["Now", (e) => reasons(e.lawful_now, e.reasons_now)],
            ["Event", (e) => h("a", { href: journeyHref(e.client_ref, e.event_id), class: "event-link" }, "open the event")],
          ],
          shown,
          {
            rowAttrs: (e) => ({
              class: "ledger-row",
              "data-finding": finding(e)[0],
              "data-client": e.client_ref,
              "data-event": e.event_id,
              "data-disclosure": e.disclosure_id,
            }),
          },
        )
      : h("p", {}, "No disclosure matches."),
  );
  const refs = [...new Set(entries.map((e) => e.client_ref))].sort();
  fill(byId("client-refs"), refs.map((value) => h("option", { value })));
}

async function loadLedger() {
  byId("ledger-summary").textContent = "Loading…";
  try {
    const ledger = await get("/v1/audit/disclosures", period(byId("ledger-filters")));
    // Newest first: the most recent disclosures are the likeliest to need attention.
    entries = [...ledger.entries].sort((a, b) => Date.parse(b.occurred_at) - Date.parse(a.occurred_at));
    renderLedger();
  } catch (error) {
    byId("ledger-summary").textContent = "";
    say(explain(error, "the disclosure ledger"), "error");
  }
}

function reportError(text) {
  const slot = byId("r-client-error");
  slot.textContent = text;
  slot.hidden = !text;
  byId("r-client").setAttribute("aria-invalid", text ? "true" : "false");
  if (text) byId("r-client").focus();
}

async function showReport(event) {
  event.preventDefault();
  const form = byId("report-form");
  const clientRef = form.elements.client.value.trim();
  reportError("");
  if (!clientRef) {
    reportError("Enter the client reference.");
    return;
  }
  const chosen = period(form);
  let report;
  try {
    report = await get(journeyPath(clientRef, "/log-report"), chosen);
  } catch (error) {
    reportError(explain(error, "log report for that client"));
    return;
  }
  const article = byId("log-report");
  const span = `${chosen.from ? when(chosen.from) : "the beginning"} – ${chosen.to ? when(chosen.to) : "now"}`;
  fill(
    article,
    h("h2", {}, "Who has processed and received your data"),
    h("p", { class: "meta" }, `Client ${report.client_ref}. Period: ${span}. Produced ${when(report.produced_at)}.`),
    h("p", { class: "meta" }, zoneNote()),
    h("div", { class: "actions no-print" }, h("button", { type: "button", id: "print-report", onclick: () => window.print() }, "Print the report")),
    h("h3", {}, "Who read your data"),
    report.reads.length
      ? table(
          [
            ["When", (r) => when(r.read_at)],
            ["Who", (r) => r.party_id],
            ["Organisation", (r) => r.organisation],
            ["Role", (r) => r.role],
            ["What", (r) => r.endpoint],
            ["Why", (r) => r.purpose || "not given"],
          ],
          report.reads,
        )
      : h("p", {}, "Nobody read the client's data in this period."),
    h("h3", {}, "Who received your data"),
    report.disclosures.length
      ? table(
          [
            ["Happened", (d) => when(d.occurred_at)],
            ["Recorded", (d) => when(d.recorded_at)],
            ["From", (d) => party(d.from_party, d.from_org)],
            ["To", (d) => party(d.to_party, d.to_org)],
            ["Categories", (d) => d.categories.map(term).join(", ")],
            ["Purpose", (d) => term(d.purpose)],
            ["Basis", (d) => basis(d)],
            ["Lawful then", (d) => reasons(d.then.lawful, d.then.reasons, "then")],
            ["Lawful now", (d) => reasons(d.now.lawful, d.now.reasons)],
          ],
          report.disclosures,
        )
      : h("p", {}, "The client's data was not disclosed in this period."),
  );
  article.hidden = false;
  article.querySelector("h2").setAttribute("tabindex", "-1");
  article.querySelector("h2").focus();
}

const who = startPage();
if (who) {
  byId("ledger-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadLedger();
  });
  byId("f-verdict").addEventListener("change", renderLedger);
  byId("f-client").addEventListener("input", renderLedger);
  byId("report-form").addEventListener("submit", showReport);
  const asked = new URLSearchParams(location.search).get("client");
  if (asked) byId("r-client").value = asked;
  loadLedger();
}
