// The JSON API, with the bearer token this tab signed in with (kept in sessionStorage: it
// lasts as long as the tab and is never sent anywhere but this app) — or, after signing in
// through the organisation's OpenID provider, with the server's session cookie (HttpOnly, so
// never seen here) and its CSRF token, read from its own cookie and sent back as X-CSRF-Token
// on every request that is not a GET.

const TOKEN = "polku.token";
const ME = "polku.me";
const PURPOSE = "polku.purpose";
const MODE = "polku.mode";
const SESSION = "session";

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN);
}

export function me() {
  const text = sessionStorage.getItem(ME);
  return text ? JSON.parse(text) : null;
}

export function remember(newToken, who) {
  sessionStorage.setItem(TOKEN, newToken);
  sessionStorage.setItem(ME, JSON.stringify(who));
}

/** Signed in through the provider: the session cookie stands for the tab. */
export function rememberSession(who) {
  sessionStorage.setItem(MODE, SESSION);
  sessionStorage.setItem(ME, JSON.stringify(who));
}

export function inSession() {
  return sessionStorage.getItem(MODE) === SESSION;
}

function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "polku_csrf") return rest.join("=");
  }
  return "";
}

/** Why this session reads clients' data (a purpose term, chosen once when signing in). It is
 * sent with every request as X-Purpose and so appears in each client's log report. */
export function purpose() {
  return sessionStorage.getItem(PURPOSE);
}

export function rememberPurpose(term) {
  sessionStorage.setItem(PURPOSE, term);
}

export function forget() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(ME);
  sessionStorage.removeItem(PURPOSE);
  sessionStorage.removeItem(MODE);
}

/** Where we are, to come back to after signing in. */
export function here() {
  return location.pathname + location.search;
}

export function toSignIn(reason) {
  const query = new URLSearchParams({ next: here() });
  if (reason) query.set("reason", reason);
  location.assign(`/signin?${query}`);
}

async function call(method, path, { params, body, key, bearer, session } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const viaCookie = session || (!bearer && inSession());
  const headers = { Accept: "application/json" };
  if (viaCookie) {
    if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  } else {
    headers.Authorization = `Bearer ${bearer || token() || ""}`;
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  if (!bearer && !session && purpose()) headers["X-Purpose"] = purpose();
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: viaCookie ? "same-origin" : "omit",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.status === 401 && !bearer && !session) {
    forget();
    toSignIn("expired");
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path, params) => call("GET", path, { params });
export const post = (path, body) => call("POST", path, { body, key: crypto.randomUUID() });
/** Ask who a token belongs to, without keeping it (the sign-in page). */
export const whoIs = (bearer) => call("GET", "/v1/me", { bearer });
/** The vocabularies, asked with a token not yet kept (the sign-in page's purpose step). */
export const vocabularyFor = (bearer) =>
  call("GET", "/v1/vocabulary", bearer ? { bearer } : { session: true });
/** Who the session cookie (after signing in through the provider) belongs to. */
export const whoIsSession = () => call("GET", "/v1/me", { session: true });
/** Whether this server offers sign-in through an OpenID provider. */
export const providers = () => call("GET", "/auth/providers", { session: true });
/** End the provider session: the server deletes it and says where to go next. */
export const endSession = () => call("POST", "/auth/logout", { session: true });

/** A GET answered with a file (a printable report, an export), as a Blob, read the way get()
 * reads: with this tab's token or session, and the session's purpose. */
export async function getFile(path, params) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const viaCookie = inSession();
  const headers = viaCookie ? {} : { Authorization: `Bearer ${token() || ""}` };
  if (purpose()) headers["X-Purpose"] = purpose();
  const response = await fetch(url, { headers, cache: "no-store", credentials: viaCookie ? "same-origin" : "omit" });
  if (!response.ok) {
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    throw new ApiError(response.status, data);
  }
  return response.blob();
}

/** The path of a journey's API resource. */
export function journeyPath(clientRef, rest = "") {
  return `/v1/journeys/${encodeURIComponent(clientRef)}${rest}`;
}
