/**
 * The staffing panel: an Erlang calculator (GET /api/staffing/erlang), the seat recommendation
 * beside a population-proportional split (GET /api/staffing/recommendation), saving it as the
 * day's plan (GET|PUT /api/seat-plans/:date), the day's duty roster built from it (roster.js)
 * and simulating a day (POST /api/staffing/simulate).
 * Any of these may not be live yet: a 404 for the route shows "not available yet".
 */

import { pick, t } from './i18n.js';
import { api, query } from './api.js';
import { createRosterPanel } from './roster.js';
import { $, chinaDate, element, minutesSeconds, percent, textOf } from './util.js';

const INTERVALS = 48;

export function createStaffingPanel(ctx) {
  const state = {
    erlang: { busy: false, status: null, result: null },
    plan: { busy: false, status: null, recommendation: null, saved: null, savedStatus: null },
    sim: { busy: false, status: null, result: null },
    initialised: false,
  };
  const roster = createRosterPanel({ ...ctx, date: () => selectedDate(), validDate: (d) => validDate(d) });

  function statusOf(res) {
    if (res.network) return { key: 'staffing.network' };
    if (res.unavailable) return { key: 'staffing.unavailable' };
    if (res.rateLimited) return { key: 'staffing.rateLimited' };
    return res.message ?? { key: 'staffing.failed', params: { detail: res.status } };
  }

  function inScope(code) {
    return ctx.regions().some((r) => r.code === code);
  }

  // ---- Erlang calculator ---------------------------------------------------------------------

  function number(id) {
    const raw = $(id).value.trim();
    return raw === '' ? null : Number(raw);
  }

  async function calculate(event) {
    event.preventDefault();
    const calls = number('erlang-calls');
    const intervalSeconds = number('erlang-interval');
    const ahtSeconds = number('erlang-aht');
    const target = number('erlang-target');
    const thresholdSeconds = number('erlang-threshold');
    const patienceSeconds = number('erlang-patience');
    const invalid = [
      ['erlang.calls', calls == null || !(calls >= 0)],
      ['erlang.interval', !(intervalSeconds > 0)],
      ['erlang.aht', !(ahtSeconds > 0)],
      ['erlang.target', !(target > 0 && target < 100)],
      ['erlang.threshold', thresholdSeconds == null || !(thresholdSeconds >= 0)],
      ['erlang.patience', patienceSeconds != null && !(patienceSeconds > 0)],
    ].find(([, bad]) => bad);
    if (invalid) {
      state.erlang.status = { key: 'erlang.invalid', params: { field: t(invalid[0]) } };
      state.erlang.result = null;
      render();
      return;
    }
    state.erlang.busy = true;
    render();
    const res = await api(
      'GET',
      `/api/staffing/erlang${query({ calls, intervalSeconds, ahtSeconds, targetServiceLevel: target / 100, thresholdSeconds, patienceSeconds: patienceSeconds ?? undefined })}`,
      { token: ctx.token() },
    );
    state.erlang.busy = false;
    if (res.status === 401) return ctx.onUnauthorised();
    state.erlang.result = res.ok ? res.body : null;
    state.erlang.status = res.ok ? null : statusOf(res);
    render();
  }

  function useCurrent() {
    const board = ctx.board();
    const settings = ctx.settings();
    if (board) {
      $('erlang-calls').value = String(board.root.offered30m);
      $('erlang-aht').value = String(board.handleSeconds);
    }
    $('erlang-interval').value = '1800';
    if (settings) {
      $('erlang-threshold').value = String(settings.serviceLevelThresholdSeconds);
      $('erlang-target').value = String(Math.round((settings.targetServiceLevel ?? 0.8) * 100));
    }
    // The figures changed: an answer for the old ones would be read as theirs.
    state.erlang.result = null;
    state.erlang.status = null;
    render();
  }

  function renderErlang() {
    const s = state.erlang;
    const status = $('erlang-status');
    status.hidden = !s.status;
    status.textContent = textOf(s.status);
    status.dataset.tone = s.status?.key === 'staffing.unavailable' ? 'info' : 'error';
    $('erlang-submit').disabled = s.busy;
    const dl = $('erlang-result');
    dl.hidden = !s.result;
    if (!s.result) return dl.replaceChildren();
    const r = s.result;
    const items = [
      ['erlang.agents', r.agents],
      ['erlang.scheduled', r.scheduled],
      ['erlang.serviceLevel', percent(r.serviceLevel)],
      ['erlang.asa', r.asa == null || !Number.isFinite(r.asa) ? '∞' : minutesSeconds(r.asa)],
      ['erlang.occupancy', percent(r.occupancy)],
      ['erlang.pWait', percent(r.probabilityOfWait)],
    ];
    if (r.probabilityOfAbandon != null) items.push(['erlang.pAbandon', percent(r.probabilityOfAbandon)]);
    if (r.note) items.push(['erlang.note', pick(r.noteZh ?? r.note, r.note)]);
    dl.replaceChildren(
      ...items
        .filter(([, v]) => v !== undefined)
        .map(([key, v]) => {
          const div = element('div');
          div.dataset.field = key.split('.')[1];
          div.append(element('dt', null, t(key)), element('dd', null, v == null ? t('common.none') : String(v)));
          return div;
        }),
    );
  }

  // ---- recommendation and plan --------------------------------------------------------------

  function selectedDate() {
    return $('plan-date').value || chinaDate(Date.now());
  }

  function selectedInterval() {
    return Math.max(0, Math.min(INTERVALS - 1, Number($('plan-interval').value) || 0));
  }

  /**
   * The plan's budget, shrinkage and minimum seats as typed; null with the field named when one is
   * out of range (the API would refuse it too, but the page says which box).
   */
  function planOptions() {
    const budget = number('plan-budget');
    const shrinkage = number('plan-shrinkage');
    const minSeats = number('plan-min-seats');
    const invalid = [
      ['plan.budget', budget != null && !(Number.isInteger(budget) && budget >= 0 && budget <= 100000)],
      ['plan.shrinkage', shrinkage == null || !(shrinkage >= 0 && shrinkage < 100)],
      ['plan.minSeats', minSeats == null || !(Number.isInteger(minSeats) && minSeats >= 0 && minSeats <= 100)],
    ].find(([, bad]) => bad);
    if (invalid) return { error: { key: 'erlang.invalid', params: { field: t(invalid[0]) } } };
    return { options: { ...(budget != null ? { budget } : {}), shrinkage: shrinkage / 100, minSeats } };
  }

  function validDate(date) {
    return /^\d{4}-\d{2}-\d{2}$/.test(date) && date >= '2000-01-01' && date <= '2099-12-31';
  }

  async function loadRecommendation() {
    const date = selectedDate();
    const { options, error } = planOptions();
    if (error || !validDate(date)) {
      state.plan.recommendation = null;
      state.plan.status = error ?? { key: 'plan.badDate' };
      render();
      return;
    }
    state.plan.busy = true;
    state.plan.status = { key: 'plan.loading' };
    render();
    const [rec, saved] = await Promise.all([
      api('GET', `/api/staffing/recommendation${query({ date, ...options })}`, { token: ctx.token() }),
      api('GET', `/api/seat-plans/${encodeURIComponent(date)}`, { token: ctx.token() }),
    ]);
    state.plan.busy = false;
    if (rec.status === 401) return ctx.onUnauthorised();
    state.plan.recommendation = rec.ok ? rec.body : null;
    state.plan.status = rec.ok ? null : statusOf(rec);
    // { date, saved: false, entries: [] } (or a 404) when no plan is saved for the day yet.
    const hasPlan = saved.ok && saved.body?.saved !== false;
    state.plan.saved = hasPlan ? savedSeats(saved.body) : null;
    state.plan.savedStatus = (saved.ok && !hasPlan) || (saved.status === 404 && !saved.unavailable) ? { key: 'plan.noPlan' } : null;
    render();
  }

  /** A saved plan's entries as code → seats[48]. */
  function savedSeats(body) {
    const out = new Map();
    for (const e of body?.entries ?? []) {
      if (typeof e?.regionCode !== 'string' || typeof e?.intervalStart !== 'number') continue;
      const list = out.get(e.regionCode) ?? new Array(INTERVALS).fill(0);
      list[Math.floor(e.intervalStart / 30)] = Number(e.seats) || 0;
      out.set(e.regionCode, list);
    }
    return out;
  }

  async function savePlan() {
    const rec = state.plan.recommendation;
    if (!rec) return;
    const date = rec.date || selectedDate();
    // The compact form (region → the day's 48 half-hours): a whole province is a few KB.
    const seats = {};
    for (const r of rec.regions ?? []) if (inScope(r.code)) seats[r.code] = Array.from({ length: INTERVALS }, (_, i) => Number(r.seats?.[i]) || 0);
    state.plan.busy = true;
    render();
    const res = await api('PUT', `/api/seat-plans/${encodeURIComponent(date)}`, { token: ctx.token(), body: { seats } });
    state.plan.busy = false;
    if (res.status === 401) return ctx.onUnauthorised();
    if (res.ok) {
      state.plan.status = { key: 'plan.savedOk', params: { date } };
      ctx.notify(state.plan.status, 'success');
      const saved = await api('GET', `/api/seat-plans/${encodeURIComponent(date)}`, { token: ctx.token() });
      state.plan.saved = saved.ok ? savedSeats(saved.body) : state.plan.saved;
      state.plan.savedStatus = null;
    } else {
      state.plan.status = statusOf(res);
    }
    render();
  }

  function renderPlan() {
    const s = state.plan;
    const status = $('plan-status');
    const text = s.status ?? s.savedStatus;
    status.hidden = !text;
    status.textContent = textOf(text);
    status.dataset.tone = s.status?.key === 'staffing.unavailable' || s.status?.key === 'plan.loading' || !s.status ? 'info' : s.status?.key === 'plan.savedOk' ? 'success' : 'error';
    $('plan-load').disabled = s.busy;
    const rec = s.recommendation;
    const regions = (rec?.regions ?? []).filter((r) => inScope(r.code));
    $('plan-save').disabled = s.busy || regions.length === 0;
    const summary = $('plan-summary');
    summary.hidden = !rec?.summary;
    summary.textContent = rec?.summary ? t('plan.summary', { rec: percent(rec.summary.serviceLevel), prop: percent(rec.summary.serviceLevelProportional) }) : '';
    const table = $('plan-table');
    table.hidden = !rec;
    if (!rec) return;
    const i = selectedInterval();
    const sum = (list) => (list ?? []).reduce((a, b) => a + (Number(b) || 0), 0);
    const round1 = (x) => (Math.round(x * 10) / 10).toString();
    const order = new Map(ctx.regions().map((r, k) => [r.code, k]));
    regions.sort((a, b) => (order.get(a.code) ?? 0) - (order.get(b.code) ?? 0));
    const rows = regions.map((r) => {
      const tr = element('tr');
      tr.dataset.code = r.code;
      const th = element('th', null, ctx.regionName(r.code) || r.name || r.code);
      th.scope = 'row';
      const seats = r.seats?.[i] ?? 0;
      const proportional = r.proportional?.[i] ?? 0;
      const saved = s.saved?.get(r.code)?.[i];
      const seatsCell = element('td', 'num', String(seats));
      if (seats !== proportional) seatsCell.dataset.diff = seats > proportional ? 'more' : 'less';
      tr.append(
        th,
        element('td', 'num', round1(r.forecast?.[i] ?? 0)),
        seatsCell,
        element('td', 'num', String(proportional)),
        element('td', 'num', saved == null ? t('common.none') : String(saved)),
        element('td', 'num', round1(sum(r.forecast))),
        element('td', 'num', `${round1(sum(r.seats) / 2)} / ${round1(sum(r.proportional) / 2)}`),
      );
      return tr;
    });
    if (rows.length === 0) {
      const tr = element('tr');
      const td = element('td', 'muted', t('plan.empty'));
      td.colSpan = 7;
      tr.append(td);
      rows.push(tr);
    }
    $('plan-rows').replaceChildren(...rows);
  }

  // ---- simulation ----------------------------------------------------------------------------

  async function simulate() {
    const plan = $('sim-plan').value === 'saved' ? 'saved' : 'recommended';
    const { options, error } = planOptions();
    if (error || !validDate(selectedDate())) {
      state.sim.result = null;
      state.sim.status = error ?? { key: 'plan.badDate' };
      render();
      return;
    }
    state.sim.busy = true;
    state.sim.status = { key: 'sim.running' };
    render();
    const res = await api('POST', '/api/staffing/simulate', { token: ctx.token(), body: { date: selectedDate(), plan, ...options } });
    state.sim.busy = false;
    if (res.status === 401) return ctx.onUnauthorised();
    state.sim.result = res.ok ? res.body : null;
    state.sim.status = res.ok ? null : statusOf(res);
    render();
  }

  function renderSim() {
    const s = state.sim;
    const status = $('sim-status');
    status.hidden = !s.status;
    status.textContent = textOf(s.status);
    status.dataset.tone = s.status?.key === 'staffing.unavailable' || s.status?.key === 'sim.running' ? 'info' : 'error';
    $('sim-run').disabled = s.busy;
    const table = $('sim-table');
    table.hidden = !s.result;
    if (!s.result) return;
    const cells = (label, r, code) => {
      const tr = element('tr');
      if (code) tr.dataset.code = code;
      const th = element('th', null, label);
      th.scope = 'row';
      tr.append(
        th,
        element('td', 'num', String(r.offered ?? t('common.none'))),
        element('td', 'num', String(r.answered ?? t('common.none'))),
        element('td', 'num', String(r.abandoned ?? t('common.none'))),
        // A region without a single call has no service level, wait or abandonment to speak of.
        ...(r.offered === 0
          ? [element('td', 'num', t('common.none')), element('td', 'num', t('common.none')), element('td', 'num', t('common.none'))]
          : [element('td', 'num', percent(r.serviceLevel)), element('td', 'num', r.asa == null ? t('common.none') : minutesSeconds(r.asa)), element('td', 'num', percent(r.abandonment))]),
      );
      return tr;
    };
    const rows = ctx
      .regions()
      .filter((r) => s.result.regions?.[r.code])
      .map((r) => cells(ctx.regionName(r.code), s.result.regions[r.code], r.code));
    if (s.result.province && ctx.scope() === ctx.regions()[0]?.code && ctx.regions()[0]?.level === 'province') {
      const total = cells(t('sim.province'), s.result.province);
      total.className = 'total';
      rows.push(total);
    }
    $('sim-rows').replaceChildren(...rows);
  }

  // ---- wiring --------------------------------------------------------------------------------

  function init() {
    if (state.initialised) return;
    state.initialised = true;
    $('erlang-form').addEventListener('submit', calculate);
    $('erlang-current').addEventListener('click', useCurrent);
    $('plan-load').addEventListener('click', loadRecommendation);
    $('plan-save').addEventListener('click', savePlan);
    $('plan-interval').addEventListener('change', renderPlan);
    // Another day is another plan: what is shown was for the old one.
    $('plan-date').addEventListener('change', () => {
      state.sim.result = null;
      if (state.plan.recommendation || state.plan.status) void loadRecommendation();
      roster.dateChanged();
    });
    $('sim-run').addEventListener('click', simulate);
    $('plan-date').value = chinaDate(Date.now());
    const select = $('plan-interval');
    for (let i = 0; i < INTERVALS; i++) {
      const m = i * 30;
      select.append(new Option(`${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`, String(i)));
    }
    const now = new Date(Date.now() + 8 * 3600_000);
    select.value = String(now.getUTCHours() * 2 + (now.getUTCMinutes() >= 30 ? 1 : 0));
  }

  function render() {
    init();
    renderErlang();
    renderPlan();
    roster.render();
    renderSim();
  }

  return {
    render,
    reset() {
      state.erlang = { busy: false, status: null, result: null };
      state.plan = { busy: false, status: null, recommendation: null, saved: null, savedStatus: null };
      state.sim = { busy: false, status: null, result: null };
      roster.reset();
      render();
    },
  };
}
