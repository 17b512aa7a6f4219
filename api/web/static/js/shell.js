// What every page shares: the session (or a trip to the sign-in page), the header with the
// pages the caller's role may use, the language switch, sign-out, the time-zone note and
// messages.

import { endSession, forget, get, inSession, me, token, toSignIn } from "./api.js";
import { byId, fill, h } from "./dom.js";
import { zoneNote } from "./format.js";
import { LANG_NAMES, LANGS, lang, loadLabels, setLang, t, translate } from "./i18n.js";

const LINKS = [
  ["/", "nav.journeys", ["caseworker", "coordinator", "auditor", "admin"]],
  ["/new-client", "nav.new", ["caseworker", "coordinator"]],
  ["/audit", "nav.audit", ["auditor"]],
  ["/planner", "nav.planner", ["planner", "auditor"]],
  ["/my-team", "nav.my_team", ["client", "guardian"]],
];

/** What a role is called in the chosen language. */
export function roleName(role) {
  const key = `role.${role}`;
  const text = t(key);
  return text === key ? role : text;
}

export function mayWrite(who) {
  return who.role === "caseworker" || who.role === "coordinator";
}

export function mayReadJourneys(who) {
  return mayWrite(who) || who.role === "auditor";
}

/** The landing page for a role. */
export function homeOf(who) {
  if (who.role === "auditor") return "/audit";
  if (who.role === "planner") return "/planner";
  if (who.role === "client" || who.role === "guardian") return "/my-team";
  return "/";
}

/**
 * The language switch: a choice of the pages' languages. Choosing one remembers it and draws
 * the page again (its state is in the URL, so nothing is lost).
 */
export function languageSwitch() {
  const select = h(
    "select",
    { id: "lang", "aria-label": t("language") },
    LANGS.map((code) => h("option", { value: code, lang: code, selected: code === lang() }, LANG_NAMES[code])),
  );
  select.addEventListener("change", () => {
    setLang(select.value);
    location.reload();
  });
  return h("div", { class: "lang-choice" }, select);
}

/**
 * Start a page that needs a session: the header, the page's fixed text in the chosen language
 * and the vocabulary's labels. Returns who is signed in (or null, having left for sign-in).
 */
export async function startPage() {
  const who = me();
  if (!(token() || inSession()) || !who) {
    toSignIn();
    return null;
  }
  translate();
  const nav = h(
    "nav",
    { class: "pages", "aria-label": t("nav.label") },
    LINKS.filter(([, , roles]) => roles.includes(who.role)).map(([href, key]) =>
      h("a", { href, "aria-current": location.pathname === href ? "page" : null }, t(key)),
    ),
  );
  const session = h(
    "div",
    { class: "session" },
    h("span", {}, t("signed_in", who.party_id, who.organisation, roleName(who.role))),
    h("button", { type: "button", id: "sign-out", onclick: signOut }, t("sign_out")),
  );
  const header = document.querySelector("header.top");
  header.append(nav, languageSwitch(), session);
  for (const note of document.querySelectorAll(".zone")) note.textContent = zoneNote();
  try {
    await loadLabels(get);
  } catch {
    // the terms are shown by their codes made readable; the page's own reads report errors
  }
  return who;
}

/** The page's title (the tab's name) in the chosen language: the server's stays English. */
export function pageTitle(key, ...args) {
  document.title = `${t(key, ...args)} — Polku`;
}

/**
 * Start a page that needs no session (the sign-in page): its fixed text in the chosen language
 * and the language switch in the header.
 */
export function startPublicPage() {
  translate();
  document.querySelector("header.top").append(languageSwitch());
}

export async function signOut() {
  let next = "/signin?reason=signed-out";
  if (inSession()) {
    try {
      next = (await endSession()).next || next; // the provider's sign-out, if it has one
    } catch {
      // the session is gone already (expired): nothing to end on the server
    }
  }
  forget();
  location.assign(next);
}

/** Show a message in the page's banner (kind: error, info or ok). */
export function say(text, kind = "info") {
  const banner = byId("banner");
  banner.className = `banner ${kind}`;
  banner.hidden = !text;
  fill(banner, text || "");
  if (text && kind === "error") banner.focus();
}

/** A sentence for an API error on a read. */
export function explain(error, what) {
  if (error.status === 403) return t("explain.403", what);
  if (error.status === 404) return t("explain.404", what);
  if (error.status === 503) return t("explain.503");
  if (error.status) return t("explain.other", what, error.message);
  return t("explain.offline", what);
}
