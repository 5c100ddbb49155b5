// The portal's texts: fetched once per page from /api/i18n/{lang} and put into every element that
// names a key in data-i18n (its text) or data-i18n-label (its aria-label).

const SUPPORTED = ["en", "nl"];
let messages = {};
let current = null;

export function browserLanguage() {
  const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
  for (const tag of wanted) {
    const code = String(tag).toLowerCase().slice(0, 2);
    if (SUPPORTED.includes(code)) return code;
  }
  return "en";
}

export function language() {
  return current;
}

/** The address a page's head preloaded for `path` (<link rel="preload" as="fetch">): the same path with
 * the version the browser may keep it under (?v=, web/cache_policy.py), so a plain fetch() of it is
 * answered by the preload; `path` itself when the head asked for nothing there. */
export function preloadedAddress(path) {
  for (const link of document.querySelectorAll('link[rel="preload"][as="fetch"]')) {
    const url = new URL(link.href);
    if (url.pathname === path) return url.pathname + url.search;
  }
  return path;
}

/** Load the texts of `lang` (falling back to English) and set <html lang>. */
export async function loadMessages(lang) {
  const wanted = SUPPORTED.includes(lang) ? lang : "en";
  if (wanted === current) return;
  // A plain fetch (same-origin cookies by default): a page's head may have asked for it already
  // (<link rel="preload" as="fetch" crossorigin>, web/pages.py), and the browser hands that answer over.
  const response = await fetch(preloadedAddress(`/api/i18n/${wanted}`));
  if (!response.ok) throw new Error(`texts for ${wanted}: HTTP ${response.status}`);
  messages = await response.json();
  current = wanted;
  document.documentElement.lang = wanted;
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(messages, key);
}

/** The text of `key` with its {placeholders} filled from `params`. A key asked before the texts are in,
 * or missing from them, is a fault of the page: said on the console (the browser tests fail on it). */
export function t(key, params = {}) {
  if (current === null) console.error(`text ${key} asked for before the texts were loaded`);
  else if (!has(key)) console.error(`missing text: ${key}`);
  const text = has(key) ? messages[key] : key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** Give `element` the text of `key`; the parameters are kept so a language switch redoes it. */
export function setText(element, key, params) {
  element.dataset.i18n = key;
  if (params) element.dataset.i18nParams = JSON.stringify(params);
  else delete element.dataset.i18nParams;
  translate(element);
}

function translate(element) {
  const params = element.dataset.i18nParams ? JSON.parse(element.dataset.i18nParams) : {};
  const text = t(element.dataset.i18n, params);
  element.textContent = element.tagName === "TITLE" ? `${text} · ${t("ui.app_name")}` : text;
}

export function applyTexts(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) translate(element);
  for (const element of root.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  }
}

/** Switch to `lang` if the page is in another one (e.g. the account's language after logging in). */
export async function useLanguage(lang) {
  if (lang && lang !== current) {
    await loadMessages(lang);
    applyTexts();
  }
}
