// The sign-in page: a pasted token is checked against /v1/me before it is kept.

import {
  ApiError,
  forget,
  providers,
  remember,
  rememberPurpose,
  rememberSession,
  vocabularyFor,
  whoIs,
  whoIsSession,
} from "./api.js";
import { byId, fill, h } from "./dom.js";
import { lang, t } from "./i18n.js";
import { homeOf, pageTitle, say, startPublicPage } from "./shell.js";
import "./texts/signin.js";

/** Roles that read clients' data (and so say why when they sign in). */
const READERS = new Set(["caseworker", "coordinator", "auditor"]);

const REASONS = {
  "signed-out": ["signin.signed_out", "ok"],
  expired: ["signin.expired", "error"],
};

/**
 * Where to go after signing in: `next` only if, parsed the way the browser will parse it, it is
 * a page of this very origin (never the sign-in page itself). Comparing the parsed origin, not
 * the text, also refuses `/\\host`, `/<tab>/host` and the like, which browsers read as
 * another host. The answer is an absolute URL of this origin, so it cannot be read again as
 * one of another.
 */
function nextPage(who) {
  const next = new URLSearchParams(location.search).get("next");
  if (next) {
    let target = null;
    try {
      target = new URL(next, location.origin);
    } catch {
      target = null;
    }
    if (target && target.origin === location.origin && !target.pathname.startsWith("/signin")) {
      return target.href;
    }
  }
  return new URL(homeOf(who), location.origin).href;
}

function showError(text) {
  const input = byId("token");
  const error = byId("token-error");
  error.textContent = text;
  error.hidden = !text;
  input.setAttribute("aria-invalid", text ? "true" : "false");
  if (text) input.focus();
}

/** Keep the sign-in (a token, or the provider's session when `value` is null) and go on. */
async function proceed(value, who) {
  const keep = () => (value === null ? rememberSession(who) : remember(value, who));
  if (!READERS.has(who.role)) {
    keep();
    location.assign(nextPage(who));
    return;
  }
  // Roles that read clients' data first say why, once for the session.
  await choosePurpose(value, who, keep);
}

async function signIn(event) {
  event.preventDefault();
  const value = byId("token").value.trim();
  if (!value) {
    showError(t("signin.paste_first"));
    return;
  }
  const button = event.target.querySelector("button");
  button.disabled = true;
  try {
    await proceed(value, await whoIs(value));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showError(t("signin.not_accepted"));
    } else {
      showError(t("signin.not_checked", error.message));
    }
  } finally {
    button.disabled = false;
  }
}

/** What a purpose is called in the chosen language (the vocabulary came with its labels). */
function purposeName(vocabulary, term) {
  const names = (vocabulary.labels && vocabulary.labels.purposes && vocabulary.labels.purposes[term]) || {};
  return names[lang()] || names.en || term;
}

async function choosePurpose(value, who, keep) {
  const vocabulary = await vocabularyFor(value);
  const select = byId("purpose");
  fill(
    select,
    h("option", { value: "" }, t("signin.choose_reason")),
    ...vocabulary.purposes.map((term) =>
      h("option", { value: term }, purposeName(vocabulary, term)),
    ),
  );
  byId("signin").hidden = true;
  const step = byId("purpose-step");
  step.hidden = false;
  select.focus();
  step.addEventListener("submit", (submitted) => {
    submitted.preventDefault();
    if (!select.value) {
      select.setAttribute("aria-invalid", "true");
      return;
    }
    keep();
    rememberPurpose(select.value);
    location.assign(nextPage(who));
  });
}

/** Back from the provider (/auth/callback sent us here): who the session cookie is. */
async function afterProvider() {
  try {
    await proceed(null, await whoIsSession());
  } catch (error) {
    say(t("signin.provider_failed", error.message), "error");
  }
}

/** Offer the organisation's sign-in when the server has a provider configured. */
async function offerProvider() {
  try {
    if (!(await providers()).oidc) return;
  } catch {
    return;
  }
  const next = new URLSearchParams(location.search).get("next") || "/";
  const link = byId("provider-signin");
  link.href = `/auth/login?${new URLSearchParams({ next })}`;
  byId("provider").hidden = false;
}

forget();
startPublicPage();
pageTitle("title.signin");
const reason = REASONS[new URLSearchParams(location.search).get("reason")];
if (reason) say(t(reason[0]), reason[1]);
byId("signin").addEventListener("submit", signIn);
if (new URLSearchParams(location.search).get("via") === "provider") afterProvider();
else offerProvider();
