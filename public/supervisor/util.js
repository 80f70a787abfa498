/** Small helpers shared by the page's modules. Text only ever goes in through textContent. */

import { $, element, pad2 } from '/common/dom.js';
import { pick, t } from './i18n.js';

const CST_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

export { $, element };

/**
 * Text that follows the language switch: { key, params } for the page's own strings, { zh, en }
 * for what the server sent.
 */
export function textOf(text) {
  if (!text) return '';
  if (typeof text === 'string') return text;
  if (text.key) return t(text.key, text.params);
  return pick(text.zh, text.en);
}

export function setText(id, value) {
  const el = $(id);
  const text = value == null || value === '' ? t('common.none') : String(value);
  if (el.textContent !== text) el.textContent = text;
}

/** 0.834 → "83.4%"; null → "—". */
export function percent(x, digits = 1) {
  if (x == null || !Number.isFinite(x)) return t('common.none');
  return `${(x * 100).toFixed(digits)}%`;
}

/** m:ss (h:mm:ss past an hour). */
export function minutesSeconds(totalSeconds) {
  if (totalSeconds == null || !Number.isFinite(totalSeconds)) return t('common.none');
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad2(m)}:${pad2(s % 60)}` : `${m}:${pad2(s % 60)}`;
}

export function clockTime(date) {
  if (Number.isNaN(date.getTime())) return '';
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
}

/** 'YYYY-MM-DD' of the China-time day holding `ms` (the hotline's day, wherever the browser is). */
export function chinaDate(ms) {
  return new Date(ms + CST_MS).toISOString().slice(0, 10);
}

/** Minutes since China-time midnight. */
export function minutesOfChinaDay(ms) {
  return Math.floor((((ms + CST_MS) % DAY_MS) + DAY_MS) % DAY_MS / 60_000);
}

/** Colour band of a service level: good ≥ 80 %, warn ≥ 60 %, bad below, none without calls. */
export function slTone(sl) {
  if (sl == null || !Number.isFinite(sl)) return 'none';
  if (sl >= 0.8) return 'good';
  if (sl >= 0.6) return 'warn';
  return 'bad';
}
