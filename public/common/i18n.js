// @ts-check
/**
 * The zh/en language switch both pages use. Each page keeps its own strings and builds its
 * t/pick/... from them with createI18n; the chosen language is kept in localStorage.
 */

export const LANGUAGES = /** @type {const} */ (['zh', 'en']);

/**
 * @typedef {(typeof LANGUAGES)[number]} Lang
 * @typedef {Record<string, string | number>} Params
 * @typedef {Record<Lang, Record<string, string>>} Strings a page's UI strings: language → key → text with {name} placeholders
 */

/**
 * Text that must follow the language switch: { key, params } for the page's own strings, or
 * { zh, en } for strings the server sent.
 * @typedef {{ key: string, params?: Params, zh?: undefined, en?: undefined } | { key?: undefined, params?: undefined, zh?: string | null, en?: string | null }} Text
 */

/**
 * Static text attributes: data-i18n (text), and data-i18n-<x> filling attribute <x>.
 * @type {[data: string, attribute: string][]}
 */
const ATTRIBUTES = [
  ['i18nLabel', 'aria-label'],
  ['i18nPlaceholder', 'placeholder'],
  ['i18nTitle', 'title'],
];

/**
 * @param {Strings} strings
 * @param {{ storageKey?: string }} [options]
 */
export function createI18n(strings, { storageKey = 'hotline.lang' } = {}) {
  /** @returns {Lang} */
  function storedLang() {
    try {
      return localStorage.getItem(storageKey) === 'en' ? 'en' : 'zh';
    } catch {
      // Storage can be blocked (privacy settings); Chinese is the hotline's default anyway.
      return 'zh';
    }
  }

  let current = storedLang();

  const htmlLang = () => (current === 'zh' ? 'zh-CN' : 'en');

  function getLang() {
    return current;
  }

  /** @param {string} lang anything but 'en' is Chinese */
  function setLang(lang) {
    current = lang === 'en' ? 'en' : 'zh';
    try {
      localStorage.setItem(storageKey, current);
    } catch {
      // Not persisting is acceptable: the switch still applies to this page.
    }
    document.documentElement.lang = htmlLang();
  }

  /**
   * The UI string for key, with {name} placeholders filled from params.
   * @param {string} key
   * @param {Params} [params]
   */
  function t(key, params = {}) {
    const text = strings[current][key] ?? strings.zh[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
  }

  /**
   * Whether a UI string exists (for fallbacks of codes the catalogue may not carry).
   * @param {string} key
   */
  function has(key) {
    return key in strings[current];
  }

  /**
   * Picks the zh or en variant of a pair the server sent (catalogue labels, error messages).
   * @param {string | null | undefined} zh
   * @param {string | null | undefined} en
   * @returns {string}
   */
  function pick(zh, en) {
    return current === 'zh' ? zh || en || '' : en || zh || '';
  }

  /**
   * Fills the page's static text, so index.html holds no language of its own.
   * @param {ParentNode} [root]
   */
  function applyStaticText(root = document) {
    // The selectors pick only elements that carry the attribute, so each dataset entry is there.
    for (const el of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll('[data-i18n]'))) el.textContent = t(/** @type {string} */ (el.dataset.i18n));
    for (const [data, attribute] of ATTRIBUTES) {
      const selector = `[data-${data.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`;
      for (const el of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll(selector))) el.setAttribute(attribute, t(/** @type {string} */ (el.dataset[data])));
    }
    document.documentElement.lang = htmlLang();
  }

  return { getLang, setLang, t, has, pick, applyStaticText };
}
