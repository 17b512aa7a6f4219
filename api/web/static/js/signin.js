// The sign-in page: a pasted token is checked against /v1/me before it is kept.

import { ApiError, forget, remember, whoIs } from "./api.js";
import { byId } from "./dom.js";
import { homeOf, say } from "./shell.js";

const REASONS = {
  "signed-out": ["You are signed out. The token was removed from this tab.", "ok"],
  expired: ["Your token is no longer accepted (revoked or replaced). Sign in again.", "error"],
};

/** Only a path on this site (never another origin) may be where we go next. */
function nextPage(who) {
  const next = new URLSearchParams(location.search).get("next");
  if (next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/signin")) return next;
  return homeOf(who);
}

function showError(text) {
  const input = byId("token");
  const error = byId("token-error");
  error.textContent = text;
  error.hidden = !text;
  input.setAttribute("aria-invalid", text ? "true" : "false");
  if (text) input.focus();
}

async function signIn(event) {
  event.preventDefault();
  const value = byId("token").value.trim();
  if (!value) {
    showError("Paste a token first.");
    return;
  }
  const button = event.target.querySelector("button");
  button.disabled = true;
  try {
    const who = await whoIs(value);
    remember(value, who);
    location.assign(nextPage(who));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showError("This token was not accepted: it is wrong, mistyped or revoked.");
    } else {
      showError(`Could not check the token: ${error.message}`);
    }
  } finally {
    button.disabled = false;
  }
}

forget();
const reason = REASONS[new URLSearchParams(location.search).get("reason")];
if (reason) say(...reason);
byId("signin").addEventListener("submit", signIn);
