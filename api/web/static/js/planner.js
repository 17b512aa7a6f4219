// The planner dashboard: pseudonymous analytics across journeys. A suppressed figure is shown
// as suppressed, never as zero; a figure this server does not offer yet is "not available".

import { get, token } from "./api.js";
import { byId, fill, h, s, table } from "./dom.js";
import { label, number, t } from "./i18n.js";
import { drawProcessMap, simplify } from "./processmap.js";
import { drawSankey } from "./sankey.js";
import { explain, pageTitle, startPage } from "./shell.js";
import "./texts/planner.js";

export const MIN_CLIENTS = 5; // pathways.analytics.MIN_CLIENTS (a test keeps the two equal)
const TOP_VARIANTS = 10;
const sector = (code) => label("sectors", code);
const count = (value) => number(value);
const days = (value) => number(value, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

function suppressed(text = t("planner.suppressed_n", MIN_CLIENTS)) {
  return h("span", { class: "suppressed" }, text);
}

/** A row's number, or "suppressed" when the row is (the first column says why). */
function figure(row, field, format = count, first = false) {
  if (row.suppressed || row[field] === null || row[field] === undefined) {
    return suppressed(first ? t("planner.suppressed_n", MIN_CLIENTS) : t("planner.suppressed_word"));
  }
  return format(row[field]);
}

function percent(value) {
  return number(Math.round(value * 1000) / 1000, { style: "percent", maximumFractionDigits: 1 });
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
  fill(target, h("p", { class: "meta" }, t("loading")));
  try {
    const data = await get(path, params);
    fill(target, ...[render(data)].flat());
    target.dataset.state = "ready";
  } catch (error) {
    target.dataset.state = "unavailable";
    if (error.status === 404) fill(target, h("p", { class: "na" }, t("planner.not_available")));
    else fill(target, h("p", { class: "error-text" }, explain(error, t("planner.these_figures"))));
  }
}

function transitions(cells) {
  const shown = cells.filter((c) => !c.suppressed);
  const hidden = cells.filter((c) => c.suppressed);
  const moves = shown.reduce((sum, c) => sum + c.transitions, 0);
  byId("sankey-caption").textContent = t("planner.sankey_caption", shown.length, moves, hidden.length);
  if (shown.length) drawSankey(byId("sankey"), shown);
  else fill(byId("sankey"), h("p", {}, t("planner.nothing_drawn", MIN_CLIENTS)));
  fill(
    byId("sankey-suppressed"),
    hidden.length
      ? [
          h("h3", {}, t("planner.suppressed_transitions")),
          h(
            "ul",
            { id: "suppressed-cells" },
            hidden.map((c) => h("li", {}, `${sector(c.from_sector)} → ${sector(c.to_sector)}: `, suppressed())),
          ),
        ]
      : h("p", { class: "meta" }, t("planner.none_suppressed")),
  );
  return table(
    [
      [t("planner.col.from"), (c) => sector(c.from_sector)],
      [t("planner.col.to"), (c) => sector(c.to_sector)],
      [t("planner.col.clients"), (c) => figure(c, "clients", count, true), "num"],
      [t("planner.col.moves"), (c) => figure(c, "transitions"), "num"],
    ],
    cells,
  );
}

function variants(rows) {
  const open = rows.filter((r) => !r.suppressed).sort((a, b) => b.clients - a.clients).slice(0, TOP_VARIANTS);
  const pooled = rows.filter((r) => r.suppressed);
  return table(
    [
      [t("planner.col.route"), (r) => (r.route ? r.route.map(sector).join(" → ") : t("planner.pooled"))],
      [t("planner.col.clients"), (r) => figure(r, "clients", count, true), "num"],
    ],
    [...open, ...pooled],
  );
}

function waiting(rows) {
  if (!rows.length) return h("p", {}, t("planner.no_waiting"));
  const longest = Math.max(1, ...rows.filter((r) => !r.suppressed).map((r) => r.p90_days));
  return table(
    [
      [t("planner.col.sector"), (r) => sector(r.sector)],
      [t("planner.col.clients"), (r) => figure(r, "clients", count, true), "num"],
      [t("planner.col.median"), (r) => figure(r, "median_days", days), "num"],
      [t("planner.col.p90"), (r) => figure(r, "p90_days", days), "num"],
      ["", (r) => (r.suppressed ? "" : bar(r.median_days / longest))],
    ],
    rows,
  );
}

function pingPong(rows) {
  if (!rows.length) return h("p", {}, t("planner.no_pingpong"));
  return table(
    [
      [t("planner.col.route"), (r) => `${sector(r.sector_a)} → ${sector(r.sector_b)} → ${sector(r.sector_a)}`],
      [t("planner.col.clients"), (r) => figure(r, "clients", count, true), "num"],
    ],
    rows,
  );
}

function gaps(data) {
  const share =
    data.suppressed || data.share_without === null
      ? [h("p", { id: "gap-share" }, suppressed()), h("p", { class: "meta" }, t("planner.too_few"))]
      : [
          h("p", { class: "figure", id: "gap-share" }, percent(data.share_without)),
          h(
            "p",
            {},
            data.days_without !== null && data.journey_days !== null
              ? t("planner.gap_share_days", count(data.clients), count(Math.round(data.days_without)), count(Math.round(data.journey_days)))
              : t("planner.gap_share", count(data.clients)),
          ),
        ];
  return [
    ...share,
    data.gaps.length
      ? table(
          [
            [t("planner.col.gap_length"), (g) => bucket(g.bucket)],
            [t("planner.col.gaps"), (g) => figure(g, "gaps", count, true), "num"],
            [t("planner.col.clients"), (g) => figure(g, "clients"), "num"],
          ],
          data.gaps,
        )
      : null,
  ];
}

function silent(rows) {
  if (!rows.length) return h("p", {}, t("planner.no_transitions"));
  const known = (r) => !r.suppressed && r.transitions && r.without_sharing !== null;
  return table(
    [
      [t("planner.col.transition"), (r) => label("transition_kinds", r.kind)],
      [t("planner.col.clients"), (r) => figure(r, "clients", count, true), "num"],
      [t("planner.col.transitions"), (r) => figure(r, "transitions"), "num"],
      [t("planner.col.nothing_shared"), (r) => figure(r, "without_sharing"), "num"],
      [t("planner.col.share"), (r) => (known(r) ? percent(r.without_sharing / r.transitions) : "")],
    ],
    rows,
  );
}

function conformance(rows) {
  return table(
    [
      [t("planner.col.pathway"), (r) => r.title || r.pathway],
      [t("planner.col.clients"), (r) => figure(r, "clients", count, true), "num"],
      [t("planner.col.conforming"), (r) => figure(r, "conforming"), "num"],
      [t("planner.col.rate"), (r) => figure(r, "rate", percent), "num"],
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

/** A gap length (one of pathways.analytics.GAP_BUCKETS) in the chosen language. */
function bucket(name) {
  const key = `planner.gap.${name}`;
  const text = t(key);
  return text === key ? name : text;
}

/** The release window a figure describes: a quarter (2025-Q3), a year, or the record so far. */
function windowName(release) {
  if (release.kind === "record") return t("planner.window_record", release.label.replace(/^the whole record to /, ""));
  if (release.kind === "asked") return t("planner.window_asked");
  return release.label;
}

function release(chosen) {
  const target = byId("release");
  get("/v1/analytics/release", chosen).then(
    (r) => {
      target.textContent =
        r.control === "exact" ? t("planner.exact") : t("planner.figures_for", windowName(r));
      fill(
        byId("exports"),
        r.exports.map((kind) => {
          const button = h("button", { type: "button" }, t("planner.download", kind.toUpperCase()));
          button.addEventListener("click", () => download(kind, chosen));
          return button;
        }),
      );
    },
    (error) => {
      target.textContent = explain(error, t("planner.the_period"));
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
  byId("map-paths-value").textContent = number(Number(form.elements.paths.value) / 100, { style: "percent" });
  const drawn = simplify(mapEdges, share);
  const shown = mapEdges.filter((e) => !e.suppressed).length;
  const hidden = mapEdges.length - shown;
  byId("map-caption").textContent = drawn.length
    ? t("planner.map_caption", drawn.length, shown, hidden)
    : t("planner.no_paths", MIN_CLIENTS);
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
    byId("map-caption").textContent = explain(error, t("planner.the_map"));
    fill(byId("process-map"));
    byId("process-map").dataset.state = "unavailable";
  }
}

async function mapChoices() {
  const [pathways, vocabulary] = await Promise.all([get("/v1/pathways"), get("/v1/vocabulary")]);
  const pathway = byId("map-pathway");
  for (const p of pathways) pathway.append(h("option", { value: p.id }, p.title));
  const sectors = byId("map-sector");
  for (const code of vocabulary.sectors) sectors.append(h("option", { value: code }, sector(code)));
  const form = byId("map-controls");
  form.elements.paths.addEventListener("input", redrawMap);
  for (const radio of form.elements.view) radio.addEventListener("change", redrawMap);
  // One filter at a time: a pathway or a sector.
  pathway.addEventListener("change", () => {
    if (pathway.value) sectors.value = "";
    loadMap(period());
  });
  sectors.addEventListener("change", () => {
    if (sectors.value) pathway.value = "";
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
  pageTitle("title.planner");
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
