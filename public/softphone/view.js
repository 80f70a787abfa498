// @ts-check
/** Small view helpers the desk's panels share: text in the page's language, times, selects. */

import { getLang, pick, t } from './i18n.js';
import { $, pad2 } from '/common/dom.js';

/**
 * @param {import('./types.js').Text | null | undefined} text
 * @returns {string}
 */
export function textOf(text) {
  if (!text) return '';
  if (text.key) return t(text.key, text.params);
  return pick(text.zh, text.en);
}

/**
 * @param {HTMLElement} el
 * @param {boolean} visible
 */
export function show(el, visible) {
  el.hidden = !visible;
}

/**
 * The element's text, or "—" for nothing; written only on change (screen readers, timers).
 * @param {string} id
 * @param {string | number | null | undefined} value
 */
export function setText(id, value) {
  const el = $(id);
  const text = value == null || value === '' ? t('common.none') : String(value);
  if (el.textContent !== text) el.textContent = text;
}

/**
 * @param {number} totalSeconds
 * @param {(minutes: number) => string} minutesText
 */
function duration(totalSeconds, minutesText) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad2(m)}:${pad2(s % 60)}` : `${minutesText(m)}:${pad2(s % 60)}`;
}

/** m:ss (h:mm:ss past an hour), for waits. @param {number} totalSeconds */
export const minutesSeconds = (totalSeconds) => duration(totalSeconds, String);

/** mm:ss (h:mm:ss past an hour), for the call timer. @param {number} totalSeconds */
export const timerText = (totalSeconds) => duration(totalSeconds, pad2);

/** @param {Date} date */
export function clockTime(date) {
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
}

/** @param {string | null | undefined} iso */
export function dateText(iso) {
  const d = new Date(iso ?? '');
  if (Number.isNaN(d.getTime())) return String(iso ?? '');
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/**
 * Labels a value the way the page's language writes it ("标签：值" or "Label: value").
 * @param {string} key
 * @param {string} value
 */
export function labelled(key, value) {
  return `${t(key)}${getLang() === 'zh' ? '：' : ': '}${value}`;
}

/** @typedef {{ value: string, label: string, title?: string }} SelectOption */

/**
 * Replaces a select's options, keeping the chosen value when it is still offered.
 * @param {HTMLSelectElement} select
 * @param {SelectOption[]} options
 * @param {string | null} [placeholder]
 */
export function fillSelect(select, options, placeholder) {
  const previous = select.value;
  const nodes = [];
  if (placeholder != null) nodes.push(new Option(placeholder, ''));
  for (const o of options) {
    const option = new Option(o.label, o.value);
    if (o.title) option.title = o.title;
    nodes.push(option);
  }
  select.replaceChildren(...nodes);
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
}
