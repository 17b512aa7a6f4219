// The JSON API, with the bearer token this tab signed in with (kept in sessionStorage: it
// lasts as long as the tab and is never sent anywhere but this app).

const TOKEN = "polku.token";
const ME = "polku.me";
const PURPOSE = "polku.purpose";

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

async function call(method, path, { params, body, key, bearer } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { Accept: "application/json", Authorization: `Bearer ${bearer || token() || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  if (!bearer && purpose()) headers["X-Purpose"] = purpose();
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.status === 401 && !bearer) {
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
export const vocabularyFor = (bearer) => call("GET", "/v1/vocabulary", { bearer });

/** The path of a journey's API resource. */
export function journeyPath(clientRef, rest = "") {
  return `/v1/journeys/${encodeURIComponent(clientRef)}${rest}`;
}
