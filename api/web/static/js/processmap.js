// The process map: the directly-follows graph of activities, drawn as process-mining tools draw
// it — activities as boxes in layers from where journeys start to where they end, an arrow for
// each "directly followed by" with its width by frequency. Two views: frequency (how many times)
// and duration (mean days between the two). A slider keeps only the most frequent paths.
// Suppressed edges are never drawn; the caption says how many there were.

import { s } from "./dom.js";
import { kind } from "./format.js";
import { label, number, t } from "./i18n.js";
import "./texts/planner.js";

/**
 * What an activity (pathways/eventlog.py names them in English, with vocabulary terms) is called
 * in the chosen language: "referral to health_care" → "Lähete: Terveydenhuolto".
 */
export function activityName(activity) {
  const sector = (code) => (code === "unknown" ? t("pm.unknown_sector") : label("sectors", code));
  let match = /^referral to (.+)$/.exec(activity);
  if (match) return t("pm.referral_to", sector(match[1]));
  match = /^service started: (.+)$/.exec(activity);
  if (match) return t("pm.service_started", sector(match[1]));
  match = /^service ended: (.+)$/.exec(activity);
  if (match) return t("pm.service_ended", sector(match[1]));
  match = /^transition: (.+)$/.exec(activity);
  if (match) return t("pm.transition", label("transition_kinds", match[1]));
  return kind(activity.replace("'s", "").replaceAll(" ", "_"));
}

/** The edges to draw: the unsuppressed ones, the most frequent `share` of them (at least one). */
export function simplify(edges, share) {
  const shown = edges.filter((e) => !e.suppressed && e.count);
  const sorted = [...shown].sort((a, b) => b.count - a.count || a.source.localeCompare(b.source) || a.target.localeCompare(b.target));
  const keep = Math.max(shown.length ? 1 : 0, Math.ceil(sorted.length * share));
  return sorted.slice(0, keep);
}

/** A layer per activity: the longest path to it from an activity nothing leads to, with the
 * edges that close a cycle left out of the count (found by a depth-first walk). */
function layers(nodes, edges) {
  const out = new Map(nodes.map((n) => [n, []]));
  for (const e of edges) out.get(e.source).push(e.target);
  const state = new Map();
  const back = new Set();
  const visit = (node) => {
    state.set(node, "open");
    for (const next of out.get(node)) {
      if (state.get(next) === "open") back.add(`${node}\u0000${next}`);
      else if (!state.has(next)) visit(next);
    }
    state.set(node, "done");
  };
  const incoming = new Set(edges.map((e) => e.target));
  for (const node of [...nodes].sort((a, b) => incoming.has(a) - incoming.has(b) || a.localeCompare(b))) {
    if (!state.has(node)) visit(node);
  }
  const layer = new Map(nodes.map((n) => [n, 0]));
  const forward = edges.filter((e) => !back.has(`${e.source}\u0000${e.target}`) && e.source !== e.target);
  for (let round = 0; round < nodes.length; round += 1) {
    let moved = false;
    for (const e of forward) {
      if (layer.get(e.target) < layer.get(e.source) + 1) {
        layer.set(e.target, layer.get(e.source) + 1);
        moved = true;
      }
    }
    if (!moved) break;
  }
  return layer;
}

function days(seconds) {
  const value = seconds / 86400;
  return t("pm.days", number(value >= 10 ? Math.round(value) : Math.round(value * 10) / 10));
}

/** Draw `edges` (already simplified) into `container`, labelled by `view`. */
export function drawProcessMap(container, edges, view) {
  const nodes = [...new Set(edges.flatMap((e) => [e.source, e.target]))];
  const layer = layers(nodes, edges);
  const byLayer = new Map();
  for (const node of nodes.sort((a, b) => a.localeCompare(b))) {
    const n = layer.get(node);
    if (!byLayer.has(n)) byLayer.set(n, []);
    byLayer.get(n).push(node);
  }
  const compact = container.clientWidth < 560;
  const boxWidth = compact ? 150 : 190;
  const boxHeight = 34;
  const columnGap = compact ? 60 : 90;
  const rowGap = 26;
  const columns = Math.max(...byLayer.keys(), 0) + 1;
  const rows = Math.max(...[...byLayer.values()].map((l) => l.length), 1);
  const width = columns * boxWidth + (columns - 1) * columnGap + 20;
  const height = rows * (boxHeight + rowGap) + 20;
  const at = new Map();
  for (const [n, members] of byLayer) {
    members.forEach((node, i) => at.set(node, { x: 10 + n * (boxWidth + columnGap), y: 10 + i * (boxHeight + rowGap) }));
  }
  const most = Math.max(...edges.map((e) => e.count), 1);
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "pm-title", class: "process-map" });
  svg.append(s("title", { id: "pm-title" }, t("pm.title", nodes.length, edges.length)));
  const defs = s("defs", {});
  defs.append(
    s("marker", { id: "pm-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" },
      s("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#57606a" })),
  );
  svg.append(defs);
  for (const e of edges) {
    const from = at.get(e.source);
    const to = at.get(e.target);
    const label = view === "duration" ? (e.mean_seconds === null ? "–" : days(e.mean_seconds)) : number(e.count);
    const group = s("g", { class: "pm-edge", "data-source": e.source, "data-target": e.target });
    let path;
    let labelAt;
    if (e.source === e.target) {
      const x = from.x + boxWidth - 20;
      path = `M ${x} ${from.y} C ${x + 30} ${from.y - 30}, ${x + 50} ${from.y + 10}, ${from.x + boxWidth} ${from.y + 10}`;
      labelAt = { x: x + 34, y: from.y - 12 };
    } else {
      const x1 = from.x + boxWidth;
      const y1 = from.y + boxHeight / 2;
      const x2 = to.x;
      const y2 = to.y + boxHeight / 2;
      const backwards = x2 <= x1;
      const bend = backwards ? Math.max(60, Math.abs(x1 - x2) / 3) : (x2 - x1) / 2;
      path = backwards
        ? `M ${from.x + boxWidth / 2} ${from.y + boxHeight} C ${from.x + boxWidth / 2} ${from.y + boxHeight + bend}, ${to.x + boxWidth / 2} ${to.y + boxHeight + bend}, ${to.x + boxWidth / 2} ${to.y + boxHeight}`
        : `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
      labelAt = backwards ? { x: (from.x + to.x) / 2 + boxWidth / 2, y: Math.max(from.y, to.y) + boxHeight + bend * 0.75 } : { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4 };
    }
    group.append(s("path", { d: path, fill: "none", stroke: "#8c959f", "stroke-width": 1 + (5 * e.count) / most, "marker-end": "url(#pm-arrow)" }));
    group.append(s("text", { x: labelAt.x, y: labelAt.y, "font-size": 11, "text-anchor": "middle", fill: "#24292f", class: "pm-label" }, label));
    svg.append(group);
  }
  for (const node of nodes) {
    const { x, y } = at.get(node);
    const box = s("g", { class: "pm-node", "data-activity": node });
    box.append(s("rect", { x, y, width: boxWidth, height: boxHeight, rx: 6, fill: "#ddf4ff", stroke: "#0969da" }));
    const name = activityName(node);
    const text = name.length > (compact ? 20 : 26) ? `${name.slice(0, compact ? 19 : 25)}…` : name;
    box.append(s("text", { x: x + boxWidth / 2, y: y + boxHeight / 2 + 4, "font-size": compact ? 11 : 12, "text-anchor": "middle", fill: "#0a3069" }, text, s("title", {}, name)));
    svg.append(box);
  }
  container.replaceChildren(svg);
}
