// The UI's words live beside their features as data modules ({en: {...}, vi: {...}}); this
// module registers them, picks the language and fills templates. Templates carry the English
// text too (so the page reads before scripts run) and name the key with data-i18n /
// data-i18n-aria / data-i18n-title.
import health from "./health-strings.js";
import learn from "./learn/strings.js";
import app from "./strings/app.js";
import errors from "./strings/errors.js";
import inspector from "./strings/inspector.js";
import share from "./strings/share.js";
import steps from "./strings/steps.js";
import training from "./training/strings.js";
import heldOut from "./training/digits-strings.js";

/** Every registered string, by language then key. @type {Record<string, Record<string, string>>} */
export const STRINGS = { en: {}, vi: {} };

/**
 * Add a feature's words to the table. A key registered twice is a bug (two features would
 * fight over one string), so it throws.
 * @param {Record<string, Record<string, string>>} table  {en: {key: text}, vi: {key: text}}
 */
export function registerStrings(table) {
  for (const [lang, words] of Object.entries(table)) {
    STRINGS[lang] ??= {};
    for (const [key, text] of Object.entries(words)) {
      if (key in STRINGS[lang]) throw new Error(`i18n: the key ${key} is registered twice`);
      STRINGS[lang][key] = text;
    }
  }
}

for (const table of [app, steps, inspector, errors, share, training, heldOut, learn, health]) registerStrings(table);

/** Languages offered, in menu order. */
export const LANGUAGES = ["en", "vi"];

let current = "en";

/**
 * Choose the active language (unknown codes fall back to English).
 * @param {string} lang
 */
export function setLanguage(lang) {
  current = LANGUAGES.includes(lang) ? lang : "en";
  document.documentElement.lang = current;
}

/** @returns {string} the active language code */
export function getLanguage() {
  return current;
}

/**
 * Translate a key, filling `{name}` placeholders. Missing keys fall back to English, then the key.
 * @param {string} key
 * @param {Record<string, string|number>} [params]
 * @returns {string}
 */
export function t(key, params = {}) {
  const s = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/**
 * Apply the active language to every element under `root` that names a key:
 * data-i18n (text), data-i18n-aria (aria-label), data-i18n-title (title).
 * @param {ParentNode} [root]
 */
export function applyTranslations(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.setAttribute("title", t(el.dataset.i18nTitle));
}
