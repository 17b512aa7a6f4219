// The pages' languages: Finnish, Swedish and English. The language is the one the reader chose
// with the switch in the header (remembered in this browser), else the first of the browser's
// languages the pages speak, else English.
//
// Two kinds of text:
// - a page's fixed text is in its shell, in English, marked ``data-t="key"`` (the element's text)
//   or ``data-t-label="key"`` etc. (an attribute); translate() puts the chosen language's text in;
// - text a script writes comes from t("key", ...args), looked up in the catalogues the scripts
//   register (each a {fi: {...}, sv: {...}, en: {...}} of strings or functions).
// What each vocabulary term is called comes from the server (GET /v1/vocabulary: labels kept
// next to the vocabulary), loaded once per page by loadLabels().

export const LANGS = ["fi", "sv", "en"];
export const LANG_NAMES = { fi: "Suomi", sv: "Svenska", en: "English" };
const KEY = "polku.lang";
const LOCALES = { fi: "fi-FI", sv: "sv-FI", en: "en-GB" };

function stored() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null; // storage switched off: the browser's languages decide
  }
}

function fromBrowser() {
  for (const tag of navigator.languages || [navigator.language || "en"]) {
    const base = String(tag).slice(0, 2).toLowerCase();
    if (LANGS.includes(base)) return base;
  }
  return "en";
}

let current = LANGS.includes(stored()) ? stored() : fromBrowser();

/** The chosen language: "fi", "sv" or "en". */
export function lang() {
  return current;
}

/** The locale dates and numbers are formatted in. */
export function locale() {
  return LOCALES[current];
}

/** Choose ``value`` and remember it (the page is drawn again by its caller). */
export function setLang(value) {
  if (!LANGS.includes(value)) return;
  current = value;
  try {
    localStorage.setItem(KEY, value);
  } catch {
    // not remembered, but still used on this page
  }
  document.documentElement.lang = value;
}

/** Use ``value`` for this page without remembering it (e.g. a client's registered language). */
export function useLang(value) {
  if (LANGS.includes(value) && !LANGS.includes(stored())) {
    current = value;
    document.documentElement.lang = value;
  }
}

/** Whether the reader chose a language with the switch. */
export function chosen() {
  return LANGS.includes(stored());
}

const catalogue = { fi: {}, sv: {}, en: {} };

/** Add a script's texts: {fi: {key: text|fn}, sv: {...}, en: {...}}. */
export function register(texts) {
  for (const code of LANGS) Object.assign(catalogue[code], texts[code] || {});
}

/** The text for ``key`` in the chosen language (English if it lacks one, else the key). */
export function t(key, ...args) {
  const entry = catalogue[current][key] ?? catalogue.en[key];
  if (entry === undefined) return key;
  return typeof entry === "function" ? entry(...args) : entry;
}

/** Whether ``key`` has a text in every language (the shells' check uses this). */
export function known(key) {
  return LANGS.every((code) => catalogue[code][key] !== undefined);
}

const ATTRS = ["label", "title", "placeholder", "aria-label"];

/** Put the chosen language into the page's fixed text (``data-t`` and ``data-t-<attr>``). */
export function translate(root = document) {
  document.documentElement.lang = current;
  for (const node of root.querySelectorAll("[data-t]")) {
    if (!node.dataset.en) node.dataset.en = node.textContent;
    const text = catalogue[current][node.dataset.t];
    node.textContent = current === "en" || text === undefined ? node.dataset.en : text;
  }
  for (const attr of ATTRS) {
    for (const node of root.querySelectorAll(`[data-t-${attr}]`)) {
      const keep = `en${attr.replace("-", "")}`;
      if (!node.dataset[keep]) node.dataset[keep] = node.getAttribute(attr) || "";
      const text = catalogue[current][node.getAttribute(`data-t-${attr}`)];
      node.setAttribute(attr, current === "en" || text === undefined ? node.dataset[keep] : text);
    }
  }
}

let labels = null; // labels[vocabulary][term][lang]
let vocabularyAnswer = null;

/** Load the vocabulary and its labels once (``get`` is api.js's reader). */
export async function loadLabels(get) {
  if (!vocabularyAnswer) {
    vocabularyAnswer = await get("/v1/vocabulary");
    labels = vocabularyAnswer.labels || {};
  }
  return vocabularyAnswer;
}

function humanise(value) {
  const text = String(value).replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What ``value`` of ``vocabulary`` is called in the chosen language. */
export function label(vocabulary, value) {
  if (value === undefined || value === null || value === "") return "";
  const entry = labels && labels[vocabulary] && labels[vocabulary][value];
  return (entry && (entry[current] || entry.en)) || humanise(value);
}

/** What a term is called when its vocabulary is not known (the first vocabulary holding it). */
export function termLabel(value) {
  if (value === undefined || value === null || value === "") return "";
  for (const terms of Object.values(labels || {})) {
    const entry = !Array.isArray(terms) && terms[value];
    if (entry) return entry[current] || entry.en;
  }
  return humanise(value);
}

/** A number in the chosen language's style. */
export function number(value, options = {}) {
  return new Intl.NumberFormat(LOCALES[current], options).format(value);
}
