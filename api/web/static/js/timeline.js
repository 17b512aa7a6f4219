// The journey's events on two axes: where each happened (valid time, above) joined to when
// the record learned it (record time, below). A late entry's joining line leans far to the
// right; a retracted event is crossed out. The same events follow as a table.

import { h, s, table } from "./dom.js";
import { kind, month, when } from "./format.js";
import { label, t } from "./i18n.js";
import "./texts/journey.js";

const LATE = "#c2410c";
const NORMAL = "#0a5bd3";
const RETRACTED = "#8c959f";

// What the table says of each entry: a few facts, each by its field's name and its value's
// label (vocabulary terms in the reader's language, parties by name where the record has one).
const FACT_KEYS = [
  ["display_name", null],
  ["party_id", null],
  ["role", "roles"],
  ["sector", "sectors"],
  ["organisation", null],
  ["kind", "transition_kinds"],
  ["service", "sectors"],
  ["from_org", null],
  ["to_org", null],
  ["to_party", null],
  ["categories", "information_categories"],
  ["purpose", "purposes"],
  ["basis", "basis_kinds"],
  ["decline_reason", "referral_decline_reasons"],
  ["reason", "retraction_reasons"],
];

function factValue(entry, key, vocabulary) {
  const value = entry.facts[key];
  if (key === "reason" && entry.kind !== "event_retracted") return String(value);
  const one = (v) => (vocabulary ? label(vocabulary, v) : String(v));
  return Array.isArray(value) ? value.map(one).join(", ") : one(value);
}

function summary(entry) {
  const facts = entry.facts || {};
  const shown = FACT_KEYS.filter(([k]) => facts[k] !== undefined && facts[k] !== null && facts[k] !== "" && !(k === "party_id" && facts.display_name));
  return shown
    .slice(0, 4)
    .map(([k, vocabulary]) => `${t(`fact.${k}`)}: ${factValue(entry, k, vocabulary)}`)
    .join("; ");
}

function marks(entry) {
  const out = [];
  if (entry.late) out.push(h("span", { class: "badge warn" }, t("mark.late")));
  if (entry.retracted_by) out.push(h("span", { class: "badge bad" }, t("mark.retracted", when(entry.retracted_at))));
  if (entry.kind === "event_retracted") out.push(h("span", { class: "badge plain" }, t("mark.retraction")));
  return out;
}

/** Draw ``entries`` (the history) with cursors at ``at`` and ``knownAt`` (Dates). */
export function drawTimeline(container, entries, { at, knownAt, highlight }) {
  const compact = container.clientWidth < 560;
  const width = compact ? 380 : 1000;
  const height = compact ? 150 : 160;
  const left = compact ? 8 : 16;
  const right = width - (compact ? 8 : 16);
  const validY = 42;
  const recordY = height - 38;
  const times = entries.flatMap((e) => [Date.parse(e.occurred_at), Date.parse(e.recorded_at)]);
  times.push(at.getTime(), knownAt.getTime());
  const low = Math.min(...times);
  const high = Math.max(...times);
  const pad = Math.max((high - low) * 0.03, 86_400_000);
  const x0 = low - pad;
  const x1 = high + pad;
  const x = (t) => left + ((t - x0) / (x1 - x0)) * (right - left);

  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "timeline-svg-title" });
  svg.append(s("title", { id: "timeline-svg-title" }, t("timeline.svg_title", entries.length)));
  for (const [y, text] of [
    [validY, t("axis.valid")],
    [recordY, t("axis.record")],
  ]) {
    svg.append(s("line", { x1: left, y1: y, x2: right, y2: y, stroke: "#8c959f" }));
    svg.append(s("text", { x: left, y: y === validY ? y - 26 : y + 30, "font-size": 12, fill: "#57606a" }, text));
  }
  // Ticks on the first of every month (or of every second, third… month when space is short).
  const most = compact ? 4 : 10;
  const months = (x1 - x0) / (30.44 * 86_400_000);
  const step = [1, 2, 3, 6, 12, 24].find((n) => months / n <= most) || 48;
  const first = new Date(x0);
  let tick = new Date(first.getFullYear(), first.getMonth() + 1, 1);
  while (tick.getMonth() % step) tick = new Date(tick.getFullYear(), tick.getMonth() + 1, 1);
  for (; tick.getTime() < x1; tick = new Date(tick.getFullYear(), tick.getMonth() + step, 1)) {
    const tx = x(tick.getTime());
    svg.append(s("line", { x1: tx, y1: validY - 4, x2: tx, y2: validY + 4, stroke: "#8c959f" }));
    svg.append(s("line", { x1: tx, y1: recordY - 4, x2: tx, y2: recordY + 4, stroke: "#8c959f" }));
    if (tx > left + 26 && tx < right - 26) {
      svg.append(s("text", { x: tx, y: recordY + 16, "text-anchor": "middle", "font-size": 11, fill: "#57606a" }, month(tick)));
    }
  }
  // Cursors: "on date" on the valid axis, "as recorded on" on the record axis.
  svg.append(cursor(x(at.getTime()), validY - 18, validY + 10, t("cursor.at"), false, width));
  svg.append(cursor(x(knownAt.getTime()), recordY - 22, recordY + 8, t("cursor.known"), false, width));

  for (const entry of entries) {
    const occurred = Date.parse(entry.occurred_at);
    const recorded = Date.parse(entry.recorded_at);
    const colour = entry.retracted_by ? RETRACTED : entry.late ? LATE : NORMAL;
    const group = s("g", {
      class: ["ev", occurred > at.getTime() ? "future" : null, entry.event_id === highlight ? "highlight" : null],
      "data-event": entry.event_id,
    });
    group.append(s("title", {}, t("mark.title", kind(entry.kind), when(entry.occurred_at), when(entry.recorded_at), entry.late, Boolean(entry.retracted_by))));
    group.append(s("line", { x1: x(occurred), y1: validY, x2: x(recorded), y2: recordY, stroke: colour, "stroke-width": entry.late ? 2 : 1, opacity: 0.7 }));
    if (entry.kind === "event_retracted") {
      group.append(s("rect", { x: x(occurred) - 5, y: validY - 5, width: 10, height: 10, fill: "#fff", stroke: RETRACTED, "stroke-width": 2 }));
    } else {
      group.append(s("circle", { cx: x(occurred), cy: validY, r: 5, fill: colour }));
    }
    if (entry.retracted_by) {
      const cx = x(occurred);
      group.append(s("path", { d: `M${cx - 6},${validY - 6} L${cx + 6},${validY + 6} M${cx - 6},${validY + 6} L${cx + 6},${validY - 6}`, stroke: "#b42318", "stroke-width": 2 }));
    }
    group.append(s("rect", { x: x(recorded) - 3, y: recordY - 3, width: 6, height: 6, fill: colour }));
    svg.append(group);
  }
  container.replaceChildren(svg);
}

function cursor(cx, y1, y2, text, below, width) {
  const onTheLeft = cx > width * 0.75; // near the right edge, the label goes to the left
  return s(
    "g",
    { class: "cursor" },
    s("line", { x1: cx, y1, x2: cx, y2, stroke: "#1b1f24", "stroke-width": 2 }),
    s(
      "text",
      {
        x: onTheLeft ? cx - 4 : cx + 4,
        y: below ? y2 : y1 + 2,
        "text-anchor": onTheLeft ? "end" : "start",
        "font-size": 11,
        fill: "#1b1f24",
        class: "halo",
      },
      text,
    ),
  );
}

export function timelineLegend(list) {
  const item = (shape, text) => h("li", {}, s("svg", { viewBox: "0 0 28 14", "aria-hidden": "true" }, shape), text);
  list.replaceChildren(
    item(s("line", { x1: 2, y1: 2, x2: 8, y2: 12, stroke: NORMAL, "stroke-width": 2 }), t("legend.in_time")),
    item(s("line", { x1: 2, y1: 2, x2: 26, y2: 12, stroke: LATE, "stroke-width": 2 }), t("legend.late")),
    item(s("path", { d: "M8,1 L20,13 M8,13 L20,1", stroke: "#b42318", "stroke-width": 2 }), t("legend.retracted")),
    item(s("rect", { x: 9, y: 2, width: 10, height: 10, fill: "#fff", stroke: RETRACTED, "stroke-width": 2 }), t("legend.retraction")),
  );
}

/** The history as a table (record order), one row per event, with its marks. */
export function eventsTable(entries, { at, highlight }) {
  return table(
    [
      [t("col.happened"), (e) => when(e.occurred_at)],
      [t("col.recorded"), (e) => when(e.recorded_at)],
      [t("col.event"), (e) => kind(e.kind), "kind"],
      [t("col.facts"), (e) => summary(e)],
      [t("col.recorded_by"), (e) => `${e.recorded_by.party_id} (${e.recorded_by.organisation})`],
      [t("col.marks"), (e) => marks(e)],
    ],
    entries,
    {
      rowAttrs: (e) => ({
        id: `event-${e.event_id}`,
        tabindex: e.event_id === highlight ? "-1" : null,
        class: [
          Date.parse(e.occurred_at) > at.getTime() ? "future" : null,
          e.retracted_by ? "retracted" : null,
          e.late ? "late" : null,
          e.event_id === highlight ? "highlight" : null,
        ],
        "data-event": e.event_id,
        "data-kind": e.kind,
      }),
    },
  );
}
