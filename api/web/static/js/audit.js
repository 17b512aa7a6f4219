// The auditor page: the disclosure ledger — filtered and paged on the server, one entry per
// recipient and information category, judged then and now (each finding links to its journey and
// event) — and the client's printable log report.

import { get, journeyPath } from "./api.js";
import { byId, fill, h, table } from "./dom.js";
import { VERDICT_COLOUR, localDay, term, when, zoneNote } from "./format.js";
import { explain, say, startPage } from "./shell.js";

const PAGE = 100;
let pages = []; // the cursors of the pages shown so far: pages[i] starts page i
let page = 0;

/** The finding a ledger entry makes: its key, its words and its badge colour. */
export function finding(entry) {
  if (entry.verdict_now !== "lawful") return [`${entry.verdict_now}-now`, `${entry.verdict_now} now`, VERDICT_COLOUR[entry.verdict_now]];
  if (entry.verdict_then !== "lawful") return [`${entry.verdict_then}-then`, `lawful now, ${entry.verdict_then} then`, VERDICT_COLOUR[entry.verdict_then]];
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

/** A verdict word as the API gives it, with the reason codes and the explanations (both times). */
function verdict(word, codes, explanations) {
  return [
    h("span", { class: `badge ${VERDICT_COLOUR[word] || "plain"}` }, word),
    codes.length ? h("div", { class: "meta" }, codes.join(", ")) : null,
    word !== "lawful" && explanations && explanations.length
      ? h("ul", { class: "explanations meta" }, explanations.map((e) => h("li", {}, e)))
      : null,
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

function renderLedger(ledger) {
  const entries = ledger.entries;
  const first = page * PAGE + 1;
  byId("ledger-summary").textContent = entries.length
    ? `Entries ${first}–${first + entries.length - 1}` + (ledger.next_cursor ? ", more follow." : ", the last of them.") +
      " One entry per recipient and category."
    : "No disclosure matches.";
  byId("ledger-prev").disabled = page === 0;
  byId("ledger-next").disabled = !ledger.next_cursor;
  byId("ledger-pager").hidden = page === 0 && !ledger.next_cursor;
  fill(
    byId("ledger"),
    entries.length
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
              h("div", {}, term(e.category)),
              h("div", { class: "meta" }, `${term(e.purpose)}; ${basis(e)}`),
            ]],
            ["Then", (e) => verdict(e.verdict_then, e.reasons_then, e.explanations_then)],
            ["Now", (e) => verdict(e.verdict_now, e.reasons_now, e.explanations_now)],
            ["Event", (e) => h("a", { href: journeyHref(e.client_ref, e.event_id), class: "event-link" }, "open the event")],
          ],
          entries,
          {
            rowAttrs: (e) => ({
              class: "ledger-row",
              "data-finding": finding(e)[0],
              "data-client": e.client_ref,
              "data-event": e.event_id,
              "data-disclosure": e.disclosure_id,
              "data-category": e.category,
            }),
          },
        )
      : h("p", {}, "No disclosure matches."),
  );
  const refs = [...new Set(entries.map((e) => e.client_ref))].sort();
  fill(byId("client-refs"), refs.map((value) => h("option", { value })));
}

/** Load page ``n`` of the ledger with the filters as they stand (the server filters and pages:
 * only the clients on the page shown are written to their access logs). */
async function loadLedger(n = 0) {
  if (n === 0) pages = [undefined];
  byId("ledger-summary").textContent = "Loading…";
  const form = byId("ledger-filters");
  const params = {
    ...period(form),
    verdict: form.elements.verdict.value || undefined,
    client: form.elements.client.value.trim() || undefined,
    cursor: pages[n],
    limit: PAGE,
  };
  try {
    const ledger = await get("/v1/audit/disclosures", params);
    page = n;
    pages[n + 1] = ledger.next_cursor || undefined;
    renderLedger(ledger);
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
            ["Category", (d) => term(d.category)],
            ["Purpose", (d) => term(d.purpose)],
            ["Basis", (d) => basis(d)],
            ["Then", (d) => verdict(d.then.verdict, d.then.reasons, d.then.explanations)],
            ["Now", (d) => verdict(d.now.verdict, d.now.reasons, d.now.explanations)],
          ],
          report.disclosures.flatMap((d) => d.verdicts.map((v) => ({ ...d, category: v.category, then: v.then, now: v.now }))),
        )
      : h("p", {}, "The client's data was not disclosed in this period."),
  );
  article.hidden = false;
  article.querySelector("h2").setAttribute("tabindex", "-1");
  article.querySelector("h2").focus();
}

/** The auditor's search: journeys by client ref, organisation, period and findings. Only the
 * clients listed are written to an access log, so nothing is asked until the auditor asks. */
async function searchJourneys(event) {
  event.preventDefault();
  const form = event.target;
  const params = {
    client_ref: form.elements.client_ref.value.trim(),
    organisation: form.elements.organisation.value.trim(),
    findings: form.elements.findings.checked ? "true" : undefined,
    ...period(form),
  };
  try {
    const found = await get("/v1/audit/journeys", params);
    byId("search-summary").textContent = found.journeys.length
      ? `${found.journeys.length} journeys` + (found.next_after ? " (the first of more)." : ".")
      : "No journey matches.";
    fill(
      byId("search-results"),
      found.journeys.length
        ? table(
            [
              ["Client", (j) => h("a", { href: journeyHref(j.client_ref), class: "journey-link" }, j.client_ref)],
              ["Disclosures", (j) => String(j.disclosures)],
              ["Findings", (j) => h("span", { class: `badge ${j.findings ? "bad" : "ok"}` }, String(j.findings))],
              ["First / last", (j) => [h("div", {}, when(j.first_at)), h("div", { class: "meta" }, when(j.last_at))]],
            ],
            found.journeys,
            { caption: "Journeys found" },
          )
        : null,
    );
  } catch (error) {
    say(`Could not search: ${error.message}`, "error");
  }
}

const who = await startPage();
if (who) {
  byId("ledger-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadLedger(0);
  });
  byId("f-verdict").addEventListener("change", () => loadLedger(0));
  byId("ledger-prev").addEventListener("click", () => loadLedger(Math.max(0, page - 1)));
  byId("ledger-next").addEventListener("click", () => loadLedger(page + 1));
  byId("report-form").addEventListener("submit", showReport);
  byId("journey-search").addEventListener("submit", searchJourneys);
  const asked = new URLSearchParams(location.search).get("client");
  if (asked) byId("r-client").value = asked;
  loadLedger();
}
