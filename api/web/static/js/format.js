// Dates in the chosen language and the reader's time zone (stated on every page), and what
// terms and kinds of event are called.

import { locale, t, termLabel } from "./i18n.js";
import "./texts/common.js";

const options = Intl.DateTimeFormat().resolvedOptions();
export const ZONE = options.timeZone || "UTC";

const dateTime = new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(locale(), { dateStyle: "medium" });
const shortDate = new Intl.DateTimeFormat(locale(), { year: "numeric", month: "short" });

function offsetName(date = new Date()) {
  const part = new Intl.DateTimeFormat(locale(), { timeZoneName: "shortOffset" })
    .formatToParts(date)
    .find((p) => p.type === "timeZoneName");
  return part ? part.value : "";
}

/** "Dates and times are shown in your time zone, Europe/Helsinki (GMT+2)." */
export function zoneNote() {
  return t("zone", ZONE, offsetName());
}

export function when(iso) {
  return iso ? dateTime.format(new Date(iso)) : "–";
}

export function day(value) {
  return value ? dateOnly.format(value instanceof Date ? value : new Date(value)) : "–";
}

export function month(value) {
  return shortDate.format(value instanceof Date ? value : new Date(value));
}

/** What a vocabulary term is called in the chosen language ("Early childhood education"). */
export function term(value) {
  return termLabel(value);
}

/** What a kind of event is called in the chosen language. */
export function kind(value) {
  const key = `kind.${value}`;
  const text = t(key);
  return text === key ? termLabel(value) : text;
}

/** The local calendar date of ``date`` as yyyy-mm-dd (what a date input holds). */
export function isoDate(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The local date-and-minute of ``date`` as a datetime-local input holds it. */
export function isoMinute(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${isoDate(date)}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A yyyy-mm-dd date input's value as a local Date at the start or the end of that day. */
export function localDay(value, end = false) {
  const [y, m, d] = value.split("-").map(Number);
  return end ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d);
}

export const DAY_MS = 86_400_000;

/**
 * The three verdict words (docs/audit.md), used as the API gives them: lawful (a basis on record
 * covered it), unsupported (no basis on record, nothing forbade it), unlawful (something forbade
 * it). The badge colour follows the word.
 */
export const VERDICT_COLOUR = { lawful: "ok", unsupported: "warn", unlawful: "bad" };
