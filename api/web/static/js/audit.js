// The auditor page: the disclosure ledger — filtered and paged on the server, one entry per
// recipient and information category, judged then and now (each finding links to its journey and
// event) — and the client's printable log report.

import { get, getFile, journeyPath } from "./api.js";
import { byId, fill, h, table } from "./dom.js";
import { VERDICT_COLOUR, ZONE, kind, localDay, when, zoneNote } from "./format.js";
import { label, lang, loadLabels, number, t } from "./i18n.js";
import { explain, pageTitle, roleName, say, startPage } from "./shell.js";
import "./texts/audit.js";

const PAGE = 100;
let pages = []; // the cursors of the pages shown so far: pages[i] starts page i
let page = 0;

/** The finding a ledger entry makes: its key, its words and its badge colour. */
export function finding(entry) {
  if (entry.verdict_now !== "lawful") return [`${entry.verdict_now}-now`, t("audit.finding_now", word(entry.verdict_now)), VERDICT_COLOUR[entry.verdict_now]];
  if (entry.verdict_then !== "lawful") return [`${entry.verdict_then}-then`, t("audit.finding_then", word(entry.verdict_then)), VERDICT_COLOUR[entry.verdict_then]];
  return ["lawful", t("audit.finding_lawful"), "ok"];
}

/** A verdict word (lawful, unsupported, unlawful) in the chosen language. */
function word(verdict) {
  const key = `verdict.${verdict}`;
  const text = t(key);
  return text === key ? verdict : text;
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
function verdict(value, codes, explanations) {
  return [
    h("span", { class: `badge ${VERDICT_COLOUR[value] || "plain"}` }, word(value)),
    codes.length ? h("div", { class: "meta" }, codes.join(", ")) : null,
    value !== "lawful" && explanations && explanations.length
      ? h("ul", { class: "explanations meta", lang: "en" }, explanations.map((e) => h("li", {}, readable(e))))
      : null,
  ];
}

let englishNames = new Map(); // a vocabulary code → what it is called in English

/** The lawfulness explanations are the server's English sentences: the codes in them are put in
 * words (English words, as the sentence is English; the list is marked lang="en"). */
function readable(sentence) {
  return sentence.replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (code, offset) => {
    const name = englishNames.get(code);
    if (!name) return code;
    return offset === 0 ? name : name.toLowerCase();
  });
}

async function learnNames() {
  try {
    const answer = await loadLabels(get);
    for (const terms of Object.values(answer.labels || {})) {
      for (const [code, names] of Object.entries(terms)) if (names && names.en) englishNames.set(code, names.en);
    }
  } catch {
    englishNames = new Map(); // the codes stay as they are
  }
}

function party(p, org) {
  return [p, org].filter(Boolean).join(" / ") || "–";
}

function basis(e) {
  if (e.basis === "consent") return t("audit.basis_consent", e.consent_id || "").trim();
  if (e.basis === "statutory") return t("audit.basis_statute", e.statute || "").trim();
  return label("basis_kinds", e.basis);
}

/** Why someone read the data: a purpose of the vocabulary by its name, else as they wrote it. */
function why(purpose) {
  return purpose ? label("purposes", purpose) : t("audit.not_given");
}

function renderLedger(ledger) {
  const entries = ledger.entries;
  const first = page * PAGE + 1;
  byId("ledger-summary").textContent = entries.length
    ? t("audit.entries", number(first), number(first + entries.length - 1), Boolean(ledger.next_cursor))
    : t("audit.no_match");
  byId("ledger-prev").disabled = page === 0;
  byId("ledger-next").disabled = !ledger.next_cursor;
  byId("ledger-pager").hidden = page === 0 && !ledger.next_cursor;
  fill(
    byId("ledger"),
    entries.length
      ? table(
          [
            [t("audit.col.finding"), (e) => { const [, words, colour] = finding(e); return h("span", { class: `badge wrap ${colour}` }, words); }],
            [t("audit.col.disclosure"), (e) => [
              h("a", { href: journeyHref(e.client_ref), class: "journey-link" }, e.client_ref),
              h("div", {}, e.disclosure_id),
              h("div", { class: "meta" }, e.kind === "meeting" ? t("audit.meeting") : kind(e.kind)),
            ]],
            [t("audit.col.happened_recorded"), (e) => [h("div", {}, when(e.occurred_at)), h("div", { class: "meta" }, t("audit.recorded_at", when(e.recorded_at)))]],
            [t("audit.col.from_to"), (e) => [h("div", {}, party(e.from_party, e.from_org)), h("div", {}, `→ ${party(e.to_party, e.to_org)}`)]],
            [t("audit.col.what_why_basis"), (e) => [
              h("div", {}, label("information_categories", e.category)),
              h("div", { class: "meta" }, `${label("purposes", e.purpose)}; ${basis(e)}`),
            ]],
            [t("audit.col.then"), (e) => verdict(e.verdict_then, e.reasons_then, e.explanations_then)],
            [t("audit.col.now"), (e) => verdict(e.verdict_now, e.reasons_now, e.explanations_now)],
            [t("audit.col.event"), (e) => h("a", { href: journeyHref(e.client_ref, e.event_id), class: "event-link" }, t("audit.open_event"))],
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
      : h("p", {}, t("audit.no_match")),
  );
  const refs = [...new Set(entries.map((e) => e.client_ref))].sort();
  fill(byId("client-refs"), refs.map((value) => h("option", { value })));
}

/** Load page ``n`` of the ledger with the filters as they stand (the server filters and pages:
 * only the clients on the page shown are written to their access logs). */
let asked = 0; // only the answer to the latest request is drawn (an older one may come later)

async function loadLedger(n = 0) {
  const mine = ++asked;
  if (n === 0) pages = [undefined];
  byId("ledger-summary").textContent = t("loading");
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
    if (mine !== asked) return;
    page = n;
    pages[n + 1] = ledger.next_cursor || undefined;
    renderLedger(ledger);
  } catch (error) {
    if (mine !== asked) return;
    byId("ledger-summary").textContent = "";
    say(explain(error, t("audit.the_ledger")), "error");
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
    reportError(t("audit.enter_ref"));
    return;
  }
  const chosen = period(form);
  let report;
  try {
    report = await get(journeyPath(clientRef, "/log-report"), chosen);
  } catch (error) {
    reportError(explain(error, t("audit.the_report")));
    return;
  }
  drawReport(clientRef, chosen, report);
  const article = byId("log-report");
  article.hidden = false;
  article.querySelector("h2").setAttribute("tabindex", "-1");
  article.querySelector("h2").focus();
}

/** The log report comes a page at a time: the next page's reads and disclosures are added to
 * those shown (the cursor carries the period and the moment of the first page). */
async function moreReport(clientRef, chosen, shown) {
  const button = byId("report-more");
  if (button) button.disabled = true;
  try {
    const next = await get(journeyPath(clientRef, "/log-report"), { ...chosen, cursor: shown.next_cursor });
    drawReport(clientRef, chosen, {
      ...next,
      reads: [...shown.reads, ...next.reads],
      disclosures: [...shown.disclosures, ...next.disclosures],
    });
    byId("report-more")?.focus();
  } catch (error) {
    if (button) button.disabled = false;
    say(explain(error, t("audit.the_report")), "error");
  }
}

function drawReport(clientRef, chosen, report) {
  const article = byId("log-report");
  const span = `${chosen.from ? when(chosen.from) : t("audit.beginning")} – ${chosen.to ? when(chosen.to) : t("audit.until_now")}`;
  fill(
    article,
    h("h2", {}, t("audit.report_heading")),
    h("p", { class: "meta" }, t("audit.report_meta", report.client_ref, span, when(report.produced_at))),
    h("p", { class: "meta" }, zoneNote()),
    h("div", { class: "actions no-print" }, h("button", { type: "button", id: "print-report", onclick: () => window.print() }, t("audit.print"))),
    h("h3", {}, t("audit.who_read")),
    report.reads.length
      ? table(
          [
            [t("audit.col.when"), (r) => when(r.read_at)],
            [t("audit.col.who"), (r) => r.party_id],
            [t("audit.col.organisation"), (r) => r.organisation],
            [t("audit.col.role"), (r) => roleName(r.role)],
            [t("audit.col.what"), (r) => r.endpoint],
            [t("audit.col.why"), (r) => why(r.purpose)],
          ],
          report.reads,
        )
      : h("p", {}, t("audit.nobody_read")),
    h("h3", {}, t("audit.who_received")),
    report.disclosures.length
      ? table(
          [
            [t("audit.col.happened"), (d) => when(d.occurred_at)],
            [t("audit.col.recorded"), (d) => when(d.recorded_at)],
            [t("audit.col.from"), (d) => party(d.from_party, d.from_org)],
            [t("audit.col.to"), (d) => party(d.to_party, d.to_org)],
            [t("audit.col.category"), (d) => label("information_categories", d.category)],
            [t("audit.col.purpose"), (d) => label("purposes", d.purpose)],
            [t("audit.col.basis"), (d) => basis(d)],
            [t("audit.col.then"), (d) => verdict(d.then.verdict, d.then.reasons, d.then.explanations)],
            [t("audit.col.now"), (d) => verdict(d.now.verdict, d.now.reasons, d.now.explanations)],
          ],
          report.disclosures.flatMap((d) => d.verdicts.map((v) => ({ ...d, category: v.category, then: v.then, now: v.now }))),
        )
      : h("p", {}, t("audit.not_disclosed")),
    report.next_cursor
      ? h(
          "div",
          { class: "actions no-print" },
          h("button", { type: "button", id: "report-more", onclick: () => moreReport(clientRef, chosen, report) }, t("audit.report_more")),
        )
      : null,
  );
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
      ? t("audit.found", number(found.journeys.length), Boolean(found.next_after))
      : t("audit.no_journey");
    fill(
      byId("search-results"),
      found.journeys.length
        ? table(
            [
              [t("audit.col.client"), (j) => h("a", { href: journeyHref(j.client_ref), class: "journey-link" }, j.client_ref)],
              [t("audit.col.disclosures"), (j) => number(j.disclosures)],
              [t("audit.col.findings"), (j) => h("span", { class: `badge ${j.findings ? "bad" : "ok"}` }, number(j.findings))],
              [t("audit.col.first_last"), (j) => [h("div", {}, when(j.first_at)), h("div", { class: "meta" }, when(j.last_at))]],
            ],
            found.journeys,
            { caption: t("audit.found_caption") },
          )
        : null,
    );
  } catch (error) {
    say(t("audit.search_failed", error.message), "error");
  }
}

/** The printable report, as the client is given it: in the language chosen beside it (or the
 * client's own), its dates in this reader's time zone, saved as an HTML file. */
async function downloadReport() {
  const form = byId("report-form");
  const clientRef = form.elements.client.value.trim();
  reportError("");
  if (!clientRef) {
    reportError(t("audit.enter_ref"));
    return;
  }
  const chosen = form.elements.lang.value;
  let blob;
  try {
    blob = await getFile(journeyPath(clientRef, "/log-report"), { ...period(form), format: "html", lang: chosen, tz: ZONE });
  } catch (error) {
    reportError(explain(error, t("audit.the_report")));
    return;
  }
  const link = h("a", { href: URL.createObjectURL(blob), download: `log-report-${clientRef}${chosen ? `-${chosen}` : ""}.html` });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

const who = await startPage();
if (who) {
  pageTitle("title.audit");
  byId("r-lang").value = lang();
  await learnNames();
  byId("download-report").addEventListener("click", downloadReport);
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
