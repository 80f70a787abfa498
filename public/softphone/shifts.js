// @ts-check
/**
 * The agent's own shifts on the published duty roster (GET /api/me/shifts; drafts never reach
 * it): today's, then the next days', shown in the idle layout. Read when the desk's socket says
 * hello and every few minutes after, so a roster published meanwhile shows up.
 */

import { getLang, t } from './i18n.js';
import { $, element } from '/common/dom.js';

const REFRESH_MS = 5 * 60_000;
const DAYS = 7;

/**
 * @typedef {{ date: string, start: string, end: string, regionCode: string, regionName: string, regionNameEn: string }} Shift one published shift; date is YYYY-MM-DD, start and end HH:MM (China time)
 * @typedef {'idle' | 'loading' | 'loaded' | 'failed'} ShiftsStatus
 */

/**
 * @param {{ token: () => string | null }} options
 */
export function createShiftsPanel({ token }) {
  /** @type {{ today: string | null, shifts: Shift[], status: ShiftsStatus, seq: number, timer: ReturnType<typeof setInterval> | null, loadedAt: number }} */
  const state = { today: null, shifts: [], status: 'idle', seq: 0, timer: null, loadedAt: 0 };

  async function load() {
    const current = token();
    if (!current) return;
    const seq = ++state.seq;
    if (state.status !== 'loaded') state.status = 'loading';
    render();
    try {
      const res = await fetch(`/api/me/shifts?days=${DAYS}`, { headers: { Authorization: `Bearer ${current}`, Accept: 'application/json' } });
      const body = await res.json().catch(() => null);
      if (seq !== state.seq) return;
      if (!res.ok || !Array.isArray(body?.shifts)) throw new Error(`HTTP ${res.status}`);
      Object.assign(state, { today: body.today, shifts: body.shifts, status: 'loaded', loadedAt: Date.now() });
    } catch {
      if (seq !== state.seq) return;
      // What was shown stays; it is read again at the next refresh.
      if (state.status !== 'loaded') state.status = 'failed';
    }
    render();
  }

  /** @param {Shift} s */
  const place = (s) => (getLang() === 'en' ? s.regionNameEn : s.regionName);
  /** @param {Shift} s */
  const line = (s) => `${s.start}–${s.end} ${place(s)}`;

  /** @param {string} date YYYY-MM-DD */
  function dayLabel(date) {
    return new Date(`${date}T00:00:00Z`).toLocaleDateString(getLang() === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'UTC', month: 'numeric', day: 'numeric', weekday: 'short' });
  }

  function render() {
    const today = $('shifts-today');
    const next = $('shifts-next');
    if (state.status !== 'loaded') {
      today.textContent = state.status === 'failed' ? t('shifts.failed') : state.status === 'loading' ? t('shifts.loading') : '';
      next.replaceChildren();
      return;
    }
    const mine = state.shifts.filter((s) => s.date === state.today);
    today.textContent = mine.length ? t('shifts.today', { shifts: mine.map(line).join(t('shifts.separator')) }) : t('shifts.noneToday');
    today.dataset.shifts = String(mine.length);
    // Loaded: the server's today came with the shifts.
    const later = state.shifts.filter((s) => s.date > /** @type {string} */ (state.today));
    next.replaceChildren(
      ...later.map((s) => {
        const li = element('li', null, `${dayLabel(s.date)} ${line(s)}`);
        li.dataset.date = s.date;
        return li;
      }),
    );
    $('shifts-next-empty').hidden = later.length > 0;
  }

  return {
    render,
    /** Signed in (hello): read now, and again every few minutes. */
    start() {
      clearInterval(state.timer ?? undefined);
      state.timer = setInterval(() => void load(), REFRESH_MS);
      if (Date.now() - state.loadedAt > 30_000) void load();
      else render();
    },
    stop() {
      clearInterval(state.timer ?? undefined);
      state.seq++;
      Object.assign(state, { today: null, shifts: [], status: 'idle', timer: null, loadedAt: 0 });
      render();
    },
  };
}
