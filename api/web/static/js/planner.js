// The planner dashboard: pseudonymous analytics across journeys. A suppressed figure is shown
// as suppressed, never as zero; a figure this server does not offer yet is "not available".

import { get, token } from "./api.js";
import { byId, fill, h, s, table } from "./dom.js";
import { term } from "./format.js";
import { drawProcessMap, simplify } from "./processmap.js";
import { drawSankey } from "./sankey.js";
import { explain, startPage } from "./shell.js";

export const MIN_CLIENTS = 5; // pathways.analytics.MIN_CLIENTS (a test keeps the two equal)
const SUPPRESSED = `suppressed (<${MIN_CLIENTS} clients)`;
const TOP_VARIANTS = 10;

function suppressed(text = SUPPRESSED) {
  return h("span", { class: "suppressed" }, text);
}

/** A row's number, or "suppressed" when the row is (the first column says why). */
function figure(row, field, format = String, first = false) {
  if (row.suppressed || row[field] === null || row[field] === undefined) return suppressed(first ? SUPPRESSED : "suppressed");
  return format(row[field]);
}

function percent(value) {
  return `${Math.round(value * 1000) / 10}%`;
}

function bar(share) {
  const width = Math.max(0, Math.min(1, share)) * 100;
  return h(
    "span",
    { class: "bar", "aria-hidden": "true" },
    s("svg", { viewBox: "0 0 100 10", preserveAspectRatio: "none" }, s("rect", { x: 0, y: 0, width, height: 10, fill: "#0a5bd3" })),
  );
}

async function panel(id, path, render, params) {
  const target = byId(id);
  fill(target, h("p", { class: "meta" }, "Loading…"));
  try {
    const data = await get(path, params);
    fill(target, ...[render(data)].flat());
    target.dataset.state = "ready";
  } catch (error) {
    target.dataset.state = "unavailable";
    if (error.status === 404) fill(target, h("p", { class: "na" }, "Not available on this server yet."));
    else fill(target, h("p", { class: "error-text" }, explain(error, "these figures")));
  }
}

function transitions(cells) {
  const shown = cells.filter((c) => !c.suppressed);
  const hidden = cells.filter((c) => c.suppressed);
  const moves = shown.reduce((sum, c) => sum + c.transitions, 0);
  byId("sankey-caption").textContent = `${shown.length} flows drawn (${moves} moves); ${hidden.length} ${hidden.length === 1 ? "cell" : "cells"} suppressed.`;
  if (shown.length) drawSankey(byId("sankey"), shown);
  else fill(byId("sankey"), h("p", {}, "Every transition in this period describes fewer than 5 clients: nothing can be drawn."));
  fill(
    byId("sankey-suppressed"),
    hidden.length
      ? [
          h("h3", {}, "Suppressed transitions"),
          h(
            "ul",
            { id: "suppressed-cells" },
            hidden.map((c) => h("li", {}, `${term(c.from_sector)} → ${term(c.to_sector)}: `, suppressed())),
          ),
        ]
      : h("p", { class: "meta" }, "No transition is suppressed."),
  );
  return table(
    [
      ["From", (c) => term(c.from_sector)],
      ["To", (c) => term(c.to_sector)],
      ["Clients", (c) => figure(c, "clients", String, true), "num"],
      ["Moves", (c) => figure(c, "transitions"), "num"],
    ],
    cells,
  );
}

function variants(rows) {
  const open = rows.filter((r) => !r.suppressed).sort((a, b) => b.clients - a.clients).slice(0, TOP_VARIANTS);
  const pooled = rows.filter((r) => r.suppressed);
  return table(
    [
      ["Route", (r) => (r.route ? r.route.map(term).join(" → ") : "Rarer routes, pooled")],
      ["Clients", (r) => figure(r, "clients", String, true), "num"],
    ],
    [...open, ...pooled],
  );
}

function waiting(rows) {
  if (!rows.length) return h("p", {}, "No referral was followed by a service.");
  const longest = Math.max(1, ...rows.filter((r) => !r.suppressed).map((r) => r.p90_days));
  return table(
    [
      ["Sector", (r) => term(r.sector)],
      ["Clients", (r) => figure(r, "clients", String, true), "num"],
      ["Median days", (r) => figure(r, "median_days", (v) => v.toFixed(1)), "num"],
      ["90% within days", (r) => figure(r, "p90_days", (v) => v.toFixed(1)), "num"],
      ["", (r) => (r.suppressed ? "" : bar(r.median_days / longest))],
    ],
    rows,
  );
}

function pingPong(rows) {
  if (!rows.length) return h("p", {}, "No client went back and forth between two sectors.");
  return table(
    [
      ["Route", (r) => `${term(r.sector_a)} → ${term(r.sector_b)} → ${term(r.sector_a)}`],
      ["Clients", (r) => figure(r, "clients", String, true), "num"],
    ],
    rows,
  );
}

function gaps(data) {
  const share =
    data.suppressed || data.share_without === null
      ? [h("p", { id: "gap-share" }, suppressed()), h("p", { class: "meta" }, "Too few clients to say.")]
      : [
          h("p", { class: "figure", id: "gap-share" }, percent(data.share_without)),
          h(
            "p",
            {},
            `of the journey-days of ${data.clients} clients were without a coordinator` +
              (data.days_without !== null && data.journey_days !== null
                ? ` (${Math.round(data.days_without)} of ${Math.round(data.journey_days)} days).`
                : "."),
          ),
        ];
  return [
    ...share,
    data.gaps.length
      ? table(
          [
            ["Gap length", (g) => g.bucket],
            ["Gaps", (g) => figure(g, "gaps", String, true), "num"],
            ["Clients", (g) => figure(g, "clients"), "num"],
          ],
          data.gaps,
        )
      : null,
  ];
}

function silent(rows) {
  if (!rows.length) return h("p", {}, "No transition was recorded.");
  const known = (r) => !r.suppressed && r.transitions && r.without_sharing !== null;
  return table(
    [
      ["Transition", (r) => term(r.kind)],
      ["Clients", (r) => figure(r, "clients", String, true), "num"],
      ["Transitions", (r) => figure(r, "transitions"), "num"],
      ["Nothing shared after", (r) => figure(r, "without_sharing"), "num"],
      ["Share", (r) => (known(r) ? percent(r.without_sharing / r.transitions) : "")],
    ],
    rows,
  );
}

function conformance(rows) {
  return table(
    [
      ["Pathway", (r) => r.title || r.pathway],
      ["Clients", (r) => figure(r, "clients", String, true), "num"],
      ["Conforming", (r) => figure(r, "conforming"), "num"],
      ["Rate", (r) => figure(r, "rate", percent), "num"],
      ["", (r) => (r.suppressed || r.rate === null ? "" : bar(r.rate))],
    ],
    rows,
  );
}

function period() {
  // Release windows are calendar quarters and years in UTC, so the chosen days are UTC days.
  const form = byId("period");
  const from = form.elements.from.value;
  const to = form.elements.to.value;
  return {
    from: from ? `${from}T00:00:00Z` : undefined,
    to: to ? `${to}T23:59:59.999999Z` : undefined,
  };
}

let cells = null;

function release(chosen) {
  const target = byId("release");
  get("/v1/analytics/release", chosen).then(
    (r) => {
      target.textContent =
        r.control === "exact"
          ? `Exact figures for the period as asked (auditor).`
          : `Figures for ${r.label}: a period is widened to a whole quarter, year or the record so far; counts are perturbed by up to ±4 and durations by up to ±10% (docs/analytics-privacy.md).`;
      fill(
        byId("exports"),
        r.exports.map((kind) => {
          const button = h("button", { type: "button" }, `Download ${kind.toUpperCase()}`);
          button.addEventListener("click", () => download(kind, chosen));
          return button;
        }),
      );
    },
    (error) => {
      target.textContent = explain(error, "the period");
    },
  );
}

async function download(kind, chosen) {
  const [path, name] = {
    xes: ["/v1/analytics/export/xes", "polku.xes"],
    "ocel-json": ["/v1/analytics/export/ocel", "polku-ocel.json"],
    "ocel-sqlite": ["/v1/analytics/export/ocel?format=sqlite", "polku-ocel.sqlite"],
  }[kind];
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(chosen)) if (v) url.searchParams.set(k, v);
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token()}` }, credentials: "omit" });
  if (!response.ok) return;
  const link = h("a", { href: URL.createObjectURL(await response.blob()), download: name });
  link.click();
}

let mapEdges = [];

function redrawMap() {
  const form = byId("map-controls");
  const share = Number(form.elements.paths.value) / 100;
  byId("map-paths-value").textContent = `${form.elements.paths.value}%`;
  const drawn = simplify(mapEdges, share);
  const shown = mapEdges.filter((e) => !e.suppressed).length;
  const hidden = mapEdges.length - shown;
  byId("map-caption").textContent = drawn.length
    ? `${drawn.length} of ${shown} paths drawn (the most frequent); ${hidden} suppressed.`
    : "Every path here describes fewer than 5 clients: nothing can be drawn.";
  const target = byId("process-map");
  if (drawn.length) drawProcessMap(target, drawn, form.elements.view.value);
  else fill(target);
  target.dataset.state = "ready";
}

async function loadMap(chosen) {
  const form = byId("map-controls");
  const filters = { ...chosen };
  if (form.elements.pathway.value) filters.pathway = form.elements.pathway.value;
  else if (form.elements.sector.value) filters.sector = form.elements.sector.value;
  byId("process-map").dataset.state = "loading";
  try {
    mapEdges = await get("/v1/analytics/dfg", filters);
    redrawMap();
  } catch (error) {
    mapEdges = [];
    byId("map-caption").textContent = explain(error, "the process map");
    fill(byId("process-map"));
    byId("process-map").dataset.state = "unavailable";
  }
}

async function mapChoices() {
  const [pathways, vocabulary] = await Promise.all([get("/v1/pathways"), get("/v1/vocabulary")]);
  const pathway = byId("map-pathway");
  for (const p of pathways) pathway.append(h("option", { value: p.id }, p.title));
  const sector = byId("map-sector");
  for (const code of vocabulary.sectors) sector.append(h("option", { value: code }, (vocabulary.labels.sectors[code] || {}).en || term(code)));
  const form = byId("map-controls");
  form.elements.paths.addEventListener("input", redrawMap);
  for (const radio of form.elements.view) radio.addEventListener("change", redrawMap);
  // One filter at a time: a pathway or a sector.
  pathway.addEventListener("change", () => {
    if (pathway.value) sector.value = "";
    loadMap(period());
  });
  sector.addEventListener("change", () => {
    if (sector.value) pathway.value = "";
    loadMap(period());
  });
}

function loadAll() {
  const chosen = period();
  release(chosen);
  loadMap(chosen);
  panel("sankey-table", "/v1/analytics/transitions", (data) => {
    cells = data;
    return transitions(data);
  }, chosen).then(() => {
    if (byId("sankey-table").dataset.state !== "ready") {
      byId("sankey-caption").textContent = "";
      fill(byId("sankey"), ...byId("sankey-table").childNodes);
    }
  });
  panel("variants", "/v1/analytics/variants", variants, chosen);
  panel("waiting", "/v1/analytics/waiting-times", waiting, chosen);
  panel("pingpong", "/v1/analytics/ping-pong", pingPong, chosen);
  panel("gaps", "/v1/analytics/coordinator-gaps", gaps, chosen);
  panel("silent", "/v1/analytics/silent-transitions", silent, chosen);
  panel("conformance", "/v1/analytics/conformance", conformance, chosen);
}

const who = await startPage();
if (who) {
  mapChoices();
  byId("period").addEventListener("submit", (event) => {
    event.preventDefault();
    loadAll();
  });
  loadAll();
  let resized = null;
  window.addEventListener("resize", () => {
    clearTimeout(resized);
    resized = setTimeout(() => {
      if (cells && cells.some((c) => !c.suppressed)) drawSankey(byId("sankey"), cells.filter((c) => !c.suppressed));
    }, 200);
  });
}
