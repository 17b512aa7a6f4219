// What every page shares: the session (or a trip to the sign-in page), the header with the
// pages the caller's role may use, sign-out, the time-zone note and messages.

import { endSession, forget, inSession, me, token, toSignIn } from "./api.js";
import { byId, fill, h } from "./dom.js";
import { zoneNote } from "./format.js";

const LINKS = [
  ["/", "My journeys", ["caseworker", "coordinator", "auditor", "admin"]],
  ["/audit", "Audit", ["auditor"]],
  ["/planner", "Planner dashboard", ["planner", "auditor"]],
  ["/my-team", "Minun tiimini · Mitt team · My team", ["client", "guardian"]],
];

export const ROLE_NAMES = {
  caseworker: "case worker",
  coordinator: "coordinator",
  auditor: "auditor",
  planner: "planner",
  admin: "admin",
  client: "client",
  guardian: "guardian",
};

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

/** Start a page that needs a session; returns who is signed in (or null, having left). */
export function startPage() {
  const who = me();
  if (!(token() || inSession()) || !who) {
    toSignIn();
    return null;
  }
  const nav = h(
    "nav",
    { class: "pages", "aria-label": "Pages" },
    LINKS.filter(([, , roles]) => roles.includes(who.role)).map(([href, text]) =>
      h("a", { href, "aria-current": location.pathname === href ? "page" : null }, text),
    ),
  );
  const session = h(
    "div",
    { class: "session" },
    h("span", {}, `Signed in as ${who.party_id} (${who.organisation}), ${ROLE_NAMES[who.role] || who.role}`),
    h("button", { type: "button", id: "sign-out", onclick: signOut }, "Sign out"),
  );
  const header = document.querySelector("header.top");
  header.append(nav, session);
  for (const note of document.querySelectorAll(".zone")) note.textContent = zoneNote();
  return who;
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
  if (error.status === 403) return `Your role may not see ${what}.`;
  if (error.status === 404) return `No ${what} here: it does not exist, or you are not on the client's team.`;
  if (error.status === 503) return "The store is not answering just now; try again in a moment.";
  if (error.status) return `Could not load ${what}: ${error.message}`;
  return `Could not load ${what}: the server did not answer.`;
}
