// Dates in the reader's locale and time zone (stated on every page), and readable terms.

const options = Intl.DateTimeFormat().resolvedOptions();
export const ZONE = options.timeZone || "UTC";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const shortDate = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short" });

function offsetName(date = new Date()) {
  const part = new Intl.DateTimeFormat(undefined, { timeZoneName: "shortOffset" })
    .formatToParts(date)
    .find((p) => p.type === "timeZoneName");
  return part ? part.value : "";
}

/** "Times are in Europe/Helsinki (GMT+2)". */
export function zoneNote() {
  return `Dates and times are shown in your time zone, ${ZONE} (${offsetName()}).`;
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

/** "early_childhood_education" → "Early childhood education". */
export function term(value) {
  if (!value) return "";
  const text = String(value).replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const KINDS = {
  client_registered: "Client registered",
  referral_made: "Referral made",
  referral_accepted: "Referral accepted",
  referral_declined: "Referral declined",
  consent_granted: "Consent granted",
  consent_withdrawn: "Consent withdrawn",
  disclosure_denial_registered: "Denial registered",
  disclosure_denial_lifted: "Denial lifted",
  team_member_added: "Team member added",
  team_member_role_changed: "Role changed",
  team_member_removed: "Team member removed",
  coordinator_assigned: "Coordinator assigned",
  coordinator_released: "Coordinator released",
  service_started: "Service started",
  service_ended: "Service ended",
  transition_recorded: "Transition",
  information_shared: "Information shared",
  meeting_held: "Meeting held",
  plan_agreed: "Plan agreed",
  journey_closed: "Journey closed",
  journey_reopened: "Journey reopened",
  event_retracted: "Retraction",
  personal_data_erased: "Personal data erased",
  client_wish_recorded: "The client's wish recorded",
};

export function kind(value) {
  return KINDS[value] || term(value);
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
