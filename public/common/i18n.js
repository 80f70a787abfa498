/**
 * The zh/en language switch both pages use. Each page keeps its own strings and builds its
 * t/pick/... from them with createI18n; the chosen language is kept in localStorage.
 */

export const LANGUAGES = /** @type {const} */ (['zh', 'en']);

/** Static text attributes: data-i18n (text), and data-i18n-<x> filling attribute <x>. */
const ATTRIBUTES = [
  ['i18nLabel', 'aria-label'],
  ['i18nPlaceholder', 'placeholder'],
  ['i18nTitle', 'title'],
];

export function createI18n(strings, { storageKey = 'hotline.lang' } = {}) {
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

  function setLang(lang) {
    current = lang === 'en' ? 'en' : 'zh';
    try {
      localStorage.setItem(storageKey, current);
    } catch {
      // Not persisting is acceptable: the switch still applies to this page.
    }
    document.documentElement.lang = htmlLang();
  }

  /** The UI string for key, with {name} placeholders filled from params. */
  function t(key, params = {}) {
    const text = strings[current][key] ?? strings.zh[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
  }

  /** Whether a UI string exists (for fallbacks of codes the catalogue may not carry). */
  function has(key) {
    return key in strings[current];
  }

  /** Picks the zh or en variant of a pair the server sent (catalogue labels, error messages). */
  function pick(zh, en) {
    return current === 'zh' ? zh || en || '' : en || zh || '';
  }

  /** Fills the page's static text, so index.html holds no language of its own. */
  function applyStaticText(root = document) {
    for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const [data, attribute] of ATTRIBUTES) {
      const selector = `[data-${data.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`;
      for (const el of root.querySelectorAll(selector)) el.setAttribute(attribute, t(el.dataset[data]));
    }
    document.documentElement.lang = htmlLang();
  }

  return { getLang, setLang, t, has, pick, applyStaticText };
}
