// The journey's events on two axes: where each happened (valid time, above) joined to when
// the record learned it (record time, below). A late entry's joining line leans far to the
// right; a retracted event is crossed out. The same events follow as a table.

import { h, s, table } from "./dom.js";
import { fitText, keepInside } from "./fit.js";
import { DAY_MS, day, isoDate, kind, month, when } from "./format.js";
import { label, locale, t } from "./i18n.js";
import "./texts/journey.js";
import "./texts/journey_view.js";

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

const ORG_KEYS = new Set(["organisation", "from_org", "to_org"]);
const PARTY_KEYS = new Set(["party_id", "to_party"]);

function factValue(entry, key, vocabulary, names) {
  const value = entry.facts[key];
  if (key === "reason" && entry.kind !== "event_retracted") return String(value);
  const named = ORG_KEYS.has(key) ? names.org : PARTY_KEYS.has(key) ? names.party : null;
  const one = (v) => (vocabulary ? label(vocabulary, v) : named ? named(v) : String(v));
  return Array.isArray(value) ? value.map(one).join(", ") : one(value);
}

const SAME = { org: (id) => id, party: (id) => id };

function summary(entry, names = SAME) {
  const facts = entry.facts || {};
  const shown = FACT_KEYS.filter(([k]) => facts[k] !== undefined && facts[k] !== null && facts[k] !== "" && !(k === "party_id" && facts.display_name));
  return shown
    .slice(0, 4)
    .map(([k, vocabulary]) => `${t(`fact.${k}`)}: ${factValue(entry, k, vocabulary, names)}`)
    .join("; ");
}

function marks(entry) {
  const out = [];
  if (entry.late) out.push(h("span", { class: "badge warn" }, t("mark.late")));
  if (entry.retracted_by) out.push(h("span", { class: "badge bad" }, t("mark.retracted", when(entry.retracted_at))));
  if (entry.kind === "event_retracted") out.push(h("span", { class: "badge plain" }, t("mark.retraction")));
  return out;
}

const LANES = 3; // marks that would overlap are spread over up to three lanes
const MIN_DAYS = 7; // the narrowest window zooming in reaches

/** ``date`` moved by ``days`` calendar days (local midnight to local midnight). */
export function addDays(date, days) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);
}

function midnight(time) {
  const date = new Date(time);
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

/** The number of calendar days from ``from`` to ``to`` (both local midnights). */
function daysBetween(from, to) {
  return Math.round((Date.UTC(to.getFullYear(), to.getMonth(), to.getDate()) - Date.UTC(from.getFullYear(), from.getMonth(), from.getDate())) / DAY_MS);
}

/**
 * The journey's span on the timeline, as whole local days (``to`` included):
 * - ``from``/``to``: the default window: every event's valid time and its record time, with a
 *   small margin; record times and today (if the journey is open) only while they are near the
 *   last event (within half the journey's length, or 60 days): a journey entered long after it
 *   happened, or closed long ago, is not squashed into a corner (what lies beyond is pinned to
 *   the window's edge with an arrow);
 * - ``min``/``max``: the furthest a window may reach (everything, and today).
 */
export function journeySpan(entries, { closed = false, today = new Date() } = {}) {
  const now = today.getTime();
  const valid = entries.map((e) => Date.parse(e.occurred_at));
  const recorded = entries.map((e) => Date.parse(e.recorded_at));
  if (!valid.length) {
    const end = midnight(now);
    return { from: addDays(end, -30), to: end, min: addDays(end, -30), max: end };
  }
  const low = Math.min(...valid, ...recorded);
  const lastValid = Math.max(...valid);
  const reach = Math.max((lastValid - low) * 0.5, 60 * DAY_MS);
  const near = [...recorded, ...(closed ? [] : [now])].filter((time) => time <= lastValid + reach);
  const high = Math.max(lastValid, ...near);
  const margin = Math.max((high - low) * 0.03, DAY_MS);
  const everything = Math.max(...valid, ...recorded, now);
  return {
    from: midnight(low - margin),
    to: midnight(high + margin),
    min: midnight(low - margin),
    max: midnight(Math.max(everything, high) + margin),
  };
}

function clampWindow(from, days, span) {
  const total = daysBetween(span.min, span.max) + 1;
  const length = Math.min(days, total);
  let start = from;
  if (start < span.min) start = span.min;
  if (daysBetween(start, span.max) + 1 < length) start = addDays(span.max, -(length - 1));
  return { from: start, to: addDays(start, length - 1) };
}

/** The window from ``from`` to ``to`` (Dates, whole days), kept within the span. */
export function windowOf(from, to, span) {
  return clampWindow(from, daysBetween(from, to) + 1, span);
}

/** Whether two windows are the same days. */
export function sameWindow(a, b) {
  return isoDate(a.from) === isoDate(b.from) && isoDate(a.to) === isoDate(b.to);
}

/** The window ({from, to}) zoomed by ``factor`` (½ in, 2 out) around ``centre`` (a Date), kept within the span. */
export function zoomWindow(win, span, factor, centre) {
  const days = daysBetween(win.from, win.to) + 1;
  const length = Math.max(MIN_DAYS, Math.round(days * factor));
  const middle = centre && centre >= win.from && centre <= addDays(win.to, 1) ? centre : addDays(win.from, Math.floor(days / 2));
  return clampWindow(addDays(midnight(middle.getTime()), -Math.floor(length / 2)), length, span);
}

/** The window moved by half its length, earlier (-1) or later (+1), kept within the span. */
export function panWindow(win, span, direction) {
  const days = daysBetween(win.from, win.to) + 1;
  return clampWindow(addDays(win.from, direction * Math.max(1, Math.floor(days / 2))), days, span);
}

/** Whether ``entry`` happened within ``window`` (whole days). */
export function inWindow(entry, win) {
  const time = Date.parse(entry.occurred_at);
  return time >= win.from.getTime() && time < addDays(win.to, 1).getTime();
}

const STEPS = [
  ["day", 1],
  ["day", 2],
  ["day", 7],
  ["day", 14],
  ["month", 1],
  ["month", 2],
  ["month", 3],
  ["month", 6],
  ["month", 12],
  ["month", 24],
  ["month", 60],
];

/** Tick dates between x0 and x1 (ms): days or months, at most about ``most`` of them. */
function ticks(x0, x1, most) {
  const days = (x1 - x0) / DAY_MS;
  const [unit, step] = STEPS.find(([u, n]) => (u === "day" ? days / n : days / 30.44 / n) <= most) || STEPS[STEPS.length - 1];
  const out = [];
  if (unit === "day") {
    let tick = midnight(x0);
    if (tick.getTime() < x0) tick = addDays(tick, 1);
    while (Math.round(tick.getTime() / DAY_MS) % step) tick = addDays(tick, 1);
    for (; tick.getTime() < x1; tick = addDays(tick, step)) out.push(tick);
  } else {
    const start = new Date(x0);
    let tick = new Date(start.getFullYear(), start.getMonth(), 1);
    if (tick.getTime() < x0) tick = new Date(tick.getFullYear(), tick.getMonth() + 1, 1);
    while ((tick.getFullYear() * 12 + tick.getMonth()) % step) tick = new Date(tick.getFullYear(), tick.getMonth() + 1, 1);
    for (; tick.getTime() < x1; tick = new Date(tick.getFullYear(), tick.getMonth() + step, 1)) out.push(tick);
  }
  const format =
    unit === "day"
      ? new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short" })
      : step >= 12
        ? new Intl.DateTimeFormat(locale(), { year: "numeric" })
        : null;
  return out.map((date) => [date, format ? format.format(date) : month(date)]);
}

/** Spread ``xs`` (sorted pixel positions) over lanes so that marks ``gap`` apart do not overlap. */
function lanes(xs, gap) {
  const last = Array(LANES).fill(-Infinity);
  return xs.map((px) => {
    let lane = last.findIndex((end) => px - end >= gap);
    if (lane < 0) lane = last.indexOf(Math.min(...last));
    last[lane] = px;
    return lane;
  });
}

/** A small triangle at (x, y) pointing left (-1) or right (+1): a mark beyond the window. */
function arrow(x, y, direction, colour) {
  const tip = x + direction * 2;
  const back = x - direction * 5;
  return s("path", { d: `M${tip},${y} L${back},${y - 4} L${back},${y + 4} Z`, fill: colour, class: "beyond" });
}

/**
 * Draw ``entries`` (the history) in ``win`` ({from, to}: whole local days) with cursors at
 * ``at`` and ``knownAt`` (Dates). Marks that would overlap are spread over lanes; event labels
 * that would overlap are left out (counted in the answer: {shown, thinned}).
 */
export function drawTimeline(container, entries, { at, knownAt, highlight, win }) {
  const compact = container.clientWidth < 560;
  const width = compact ? 380 : 1000;
  const height = 206;
  const left = compact ? 8 : 16;
  const right = width - (compact ? 8 : 16);
  const validY = 60;
  const recordY = 150;
  const x0 = win.from.getTime();
  const x1 = addDays(win.to, 1).getTime();
  const x = (time) => left + ((time - x0) / (x1 - x0)) * (right - left);
  const inside = (px) => px >= left && px <= right;

  const svg = s("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-labelledby": "timeline-svg-title",
    "data-from": isoDate(win.from),
    "data-to": isoDate(win.to),
  });
  svg.append(
    s(
      "title",
      { id: "timeline-svg-title" },
      `${t("timeline.svg_title", entries.length)}. ${t("jv.svg.window", day(win.from), day(win.to))}`,
    ),
  );
  container.replaceChildren(svg); // in the page from here on, so that labels can be measured
  const texts = [];
  for (const [y, text, below] of [
    [validY, t("axis.valid"), false],
    [recordY, t("axis.record"), true],
  ]) {
    svg.append(s("line", { x1: left, y1: y, x2: right, y2: y, stroke: "#8c959f" }));
    const title = s("text", { x: left, y: below ? y + 48 : 13, "font-size": 12, fill: "#57606a", class: "axis-title" }, text);
    svg.append(title);
    texts.push(title);
  }

  // Ticks, their labels thinned so that none overlaps the one before or leaves the drawing.
  let lastEnd = -Infinity;
  for (const [date, text] of ticks(x0, x1, compact ? 4 : 10)) {
    const tx = x(date.getTime());
    svg.append(s("line", { x1: tx, y1: validY - 4, x2: tx, y2: validY + 4, stroke: "#8c959f" }));
    svg.append(s("line", { x1: tx, y1: recordY - 4, x2: tx, y2: recordY + 4, stroke: "#8c959f" }));
    const label = s("text", { x: tx, y: recordY + 32, "text-anchor": "middle", "font-size": 11, fill: "#57606a", class: "tick-label", "data-date": isoDate(date) }, text);
    svg.append(label);
    const box = label.getBBox();
    if (box.width && (box.x < left || box.x + box.width > right || box.x < lastEnd + 6)) label.remove();
    else lastEnd = box.x + box.width;
  }

  // Cursors: "on date" on the valid axis, "as recorded on" on the record axis; pinned to the
  // window's edge, with an arrow, when the chosen date lies outside it.
  svg.append(cursor(x(at.getTime()), validY - 8, validY + 30, validY + 42, t("cursor.at"), { left, right }));
  svg.append(cursor(x(knownAt.getTime()), recordY - 24, recordY + 8, recordY - 12, t("cursor.known"), { left, right }));

  const visible = entries
    .map((entry) => ({ entry, occurred: Date.parse(entry.occurred_at), recorded: Date.parse(entry.recorded_at) }))
    .filter(({ occurred, recorded }) => !((occurred < x0 && recorded < x0) || (occurred >= x1 && recorded >= x1)));
  const byValid = [...visible].sort((a, b) => a.occurred - b.occurred);
  lanes(byValid.map((v) => x(v.occurred)), 11).forEach((lane, i) => (byValid[i].validLane = lane));
  const byRecord = [...visible].sort((a, b) => a.recorded - b.recorded);
  lanes(byRecord.map((v) => x(v.recorded)), 8).forEach((lane, i) => (byRecord[i].recordLane = lane));

  let shown = 0;
  const labelled = [];
  for (const item of visible) {
    const { entry, occurred, recorded } = item;
    const colour = entry.retracted_by ? RETRACTED : entry.late ? LATE : NORMAL;
    const vx = x(occurred);
    const rx = x(recorded);
    const vy = validY + item.validLane * 11;
    const ry = recordY + item.recordLane * 8;
    const group = s("g", {
      class: ["ev", occurred > at.getTime() ? "future" : null, entry.event_id === highlight ? "highlight" : null],
      "data-event": entry.event_id,
    });
    const beyond = [];
    if (!inside(vx)) beyond.push(t("jv.earlier"));
    if (rx > right) beyond.push(t("jv.later"));
    group.append(
      s(
        "title",
        {},
        `${t("mark.title", kind(entry.kind), when(entry.occurred_at), when(entry.recorded_at), entry.late, Boolean(entry.retracted_by))}${beyond.length ? ` (${beyond.join("; ")})` : ""}`,
      ),
    );
    // The joining line; an end beyond the window is drawn at the window's edge on its own
    // axis, the line dashed and an arrow there.
    const [ax, bx] = [Math.min(Math.max(vx, left), right), Math.min(Math.max(rx, left), right)];
    const cut = ax !== vx || bx !== rx;
    group.append(
      s("line", { x1: ax, y1: vy, x2: bx, y2: ry, stroke: colour, "stroke-width": entry.late ? 2 : 1, opacity: 0.7, "stroke-dasharray": cut ? "4 3" : null }),
    );
    if (inside(vx)) {
      shown += 1;
      if (entry.kind === "event_retracted") {
        group.append(s("rect", { x: vx - 5, y: vy - 5, width: 10, height: 10, fill: "#fff", stroke: RETRACTED, "stroke-width": 2 }));
      } else {
        group.append(s("circle", { cx: vx, cy: vy, r: 5, fill: colour }));
      }
      if (entry.retracted_by) {
        group.append(s("path", { d: `M${vx - 6},${vy - 6} L${vx + 6},${vy + 6} M${vx - 6},${vy + 6} L${vx + 6},${vy - 6}`, stroke: "#b42318", "stroke-width": 2 }));
      }
      labelled.push({ entry, vx, group });
    } else {
      group.append(arrow(ax, vy, vx > right ? 1 : -1, colour));
    }
    if (inside(rx)) {
      group.append(s("rect", { x: rx - 3, y: ry - 3, width: 6, height: 6, fill: colour }));
    } else {
      group.append(arrow(bx, ry, rx > right ? 1 : -1, colour));
    }
    svg.append(group);
  }

  // Event labels above the valid axis, in two rows; one that fits in neither is left out.
  const rows = [validY - 28, validY - 14];
  const ends = rows.map(() => -Infinity);
  const widest = compact ? 110 : 150;
  let thinned = 0;
  for (const { entry, vx, group } of labelled.sort((a, b) => a.vx - b.vx)) {
    const whole = kind(entry.kind);
    const label = s("text", { x: vx, y: rows[0], "text-anchor": "middle", "font-size": compact ? 10 : 11, fill: "#1b1f24", class: "ev-label", "data-event": entry.event_id }, whole);
    group.append(label);
    if (fitText(label, widest)) label.append(s("title", {}, whole));
    const w = label.getComputedTextLength();
    const start = Math.min(Math.max(vx - w / 2, left), right - w);
    const row = ends.findIndex((end) => start >= end + 6);
    if (row < 0) {
      label.remove();
      thinned += 1;
      continue;
    }
    label.setAttribute("x", String(start + w / 2));
    label.setAttribute("y", String(rows[row]));
    ends[row] = start + w;
  }
  for (const node of svg.querySelectorAll("g.cursor text")) keepInside(node, 2, width - 2);
  return { shown, thinned };
}

function cursor(cx, y1, y2, labelY, text, { left, right }) {
  const before = cx < left;
  const after = cx > right;
  const px = Math.min(Math.max(cx, left), right);
  const onTheLeft = px > left + (right - left) * 0.75; // near the right edge, the label goes to the left
  const group = s("g", { class: ["cursor", before || after ? "beyond" : null] });
  group.append(s("line", { x1: px, y1, x2: px, y2, stroke: "#1b1f24", "stroke-width": 2, "stroke-dasharray": before || after ? "3 3" : null }));
  if (before || after) group.append(arrow(px, y2 - 4, after ? 1 : -1, "#1b1f24"));
  group.append(
    s(
      "text",
      { x: onTheLeft ? px - 4 : px + 4, y: labelY, "text-anchor": onTheLeft ? "end" : "start", "font-size": 11, fill: "#1b1f24", class: "halo" },
      after ? `${text} →` : before ? `← ${text}` : text,
    ),
  );
  return group;
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

/**
 * The history as a table (record order), one row per event, with its marks; ``names`` ({org, party}: id → name, e.g. from the directory) names
 * organisations and parties where it can.
 */
export function eventsTable(entries, { at, highlight, win, names = SAME }) {
  const shown = entries.filter((e) => inWindow(e, win)).length;
  const caption = h("p", { class: "meta", id: "events-caption" }, t("jv.events.caption", entries.length, shown));
  const rows = table(
    [
      [t("col.happened"), (e) => when(e.occurred_at)],
      [t("col.recorded"), (e) => when(e.recorded_at)],
      [t("col.event"), (e) => kind(e.kind), "kind"],
      [t("col.facts"), (e) => summary(e, names)],
      [t("col.recorded_by"), (e) => `${names.party(e.recorded_by.party_id)} (${names.org(e.recorded_by.organisation)})`],
      [t("col.marks"), (e) => [marks(e), inWindow(e, win) ? null : h("span", { class: "badge plain" }, t("jv.outside"))]],
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
          inWindow(e, win) ? null : "outside",
        ],
        "data-event": e.event_id,
        "data-kind": e.kind,
      }),
    },
  );
  return [caption, rows];
}
