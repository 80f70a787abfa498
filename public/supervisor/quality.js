/**
 * The follow-up and quality tab (回访 / 质检) for the focused region of the supervisor's area:
 *  - this month's satisfaction, inspection and follow-up rates against the province's targets
 *    (GET /api/reports/monthly → serviceQuality) and the follow-ups overdue now (the board);
 *  - dissatisfied callers to follow up (GET /api/follow-ups), overdue ones marked, with 回拨
 *    (POST …/:id/callback) and 记录结果 (POST …/:id/outcome);
 *  - tickets drawn for inspection (GET /api/quality/inspections) scored on the province's form
 *    (GET /api/quality/form, PUT /api/quality/inspections/:ticket);
 *  - the per-agent quality table of the month (GET /api/quality/agents).
 */

import { getLang, pick, t } from './i18n.js';
import { api, query } from './api.js';
import { $, chinaDate, element, percent, textOf } from './util.js';

const CST_MS = 8 * 3600_000;
const SUMMARY_CHARS = 60;

/** '2026-03-10 15:00' in China time, wherever the browser is. */
function chinaTime(iso) {
  if (!iso) return t('common.none');
  return new Date(Date.parse(iso) + CST_MS).toISOString().slice(0, 16).replace('T', ' ');
}

export function createQualityPanel(ctx) {
  const state = {
    focus: null,
    month: null,
    seq: 0,
    form: null, // { criteria, maxTotal, inspectionRate }
    targets: null, // the monthly report's serviceQuality
    targetsStatus: null,
    followUps: { status: 'open', items: [], loading: false, message: null },
    inspections: { status: 'pending', items: [], rate: null, loading: false, message: null },
    agents: { items: [], criteria: [], message: null },
    outcomeFor: null, // the follow-up whose outcome is being recorded
    scoring: null, // the inspection item being scored
    busy: new Set(), // follow-up ids with a request under way
    initialised: false,
  };

  function statusOf(res) {
    if (res.network) return { key: 'staffing.network' };
    if (res.unavailable) return { key: 'staffing.unavailable' };
    if (res.rateLimited) return { key: 'staffing.rateLimited' };
    return res.message ?? { key: 'staffing.failed', params: { detail: res.status } };
  }

  const get = (url) => api('GET', url, { token: ctx.token() });

  function init() {
    if (state.initialised) return;
    state.initialised = true;
    state.month = chinaDate(Date.now()).slice(0, 7);
    $('quality-month').value = state.month;
    $('quality-month').addEventListener('change', (e) => {
      if (!/^\d{4}-\d{2}$/.test(e.target.value)) return;
      state.month = e.target.value;
      void load();
    });
    $('followups-status').addEventListener('change', (e) => {
      state.followUps.status = e.target.value;
      void loadFollowUps();
    });
    $('followups-reload').addEventListener('click', () => void load());
    $('inspections-status').addEventListener('change', (e) => {
      state.inspections.status = e.target.value === 'done' ? 'done' : 'pending';
      void loadInspections();
    });
    $('outcome-form').addEventListener('submit', saveOutcome);
    $('outcome-cancel').addEventListener('click', () => {
      state.outcomeFor = null;
      render();
    });
    $('inspection-form').addEventListener('submit', saveInspection);
    $('inspection-form').addEventListener('input', renderTotal);
    $('inspection-cancel').addEventListener('click', () => {
      state.scoring = null;
      render();
    });
  }

  // ---- loading ---------------------------------------------------------------------------------

  async function load() {
    init();
    const focus = ctx.focus();
    if (!ctx.token() || !focus) return;
    if (focus !== state.focus) {
      state.outcomeFor = null;
      state.scoring = null;
    }
    state.focus = focus;
    await Promise.all([loadForm(), loadTargets(), loadFollowUps(), loadInspections(), loadAgents()]);
  }

  /** Runs a request for one part of the panel; an answer for an older focus or month is dropped. */
  async function fetchFor(part, url) {
    const seq = (state[`${part}Seq`] = (state[`${part}Seq`] ?? 0) + 1);
    const generation = state.seq;
    const res = await get(url);
    if (seq !== state[`${part}Seq`] || generation !== state.seq) return null;
    if (res.status === 401) {
      ctx.onUnauthorised();
      return null;
    }
    return res;
  }

  /**
   * The province's evaluation form: the same for every focus and month, so an answer that comes
   * back after the focus moved is kept (dropping it left every 评分 button disabled).
   */
  async function loadForm() {
    if (state.form) return;
    const res = await get('/api/quality/form');
    if (res.status === 401) return ctx.onUnauthorised();
    if (res.ok) state.form = res.body;
    render();
  }

  async function loadTargets() {
    const res = await fetchFor('targets', `/api/reports/monthly${query({ month: state.month, region: state.focus, byTopic: 'false' })}`);
    if (!res) return;
    state.targets = res.ok ? res.body?.serviceQuality ?? null : null;
    state.targetsStatus = res.ok ? null : statusOf(res);
    render();
  }

  async function loadFollowUps() {
    state.followUps.loading = true;
    render();
    const res = await fetchFor('followUps', `/api/follow-ups${query({ region: state.focus, status: state.followUps.status, limit: 200 })}`);
    if (!res) return;
    state.followUps.loading = false;
    state.followUps.items = res.ok ? res.body?.items ?? [] : [];
    state.followUps.message = res.ok ? null : { text: statusOf(res), tone: 'error' };
    render();
  }

  async function loadInspections() {
    state.inspections.loading = true;
    render();
    const res = await fetchFor('inspections', `/api/quality/inspections${query({ region: state.focus, status: state.inspections.status, month: state.month, limit: 200 })}`);
    if (!res) return;
    state.inspections.loading = false;
    state.inspections.items = res.ok ? res.body?.items ?? [] : [];
    state.inspections.rate = res.ok ? res.body?.rate ?? null : null;
    state.inspections.message = res.ok ? null : { text: statusOf(res), tone: 'error' };
    render();
  }

  async function loadAgents() {
    const res = await fetchFor('agents', `/api/quality/agents${query({ region: state.focus, month: state.month })}`);
    if (!res) return;
    state.agents.items = res.ok ? res.body?.items ?? [] : [];
    state.agents.criteria = res.ok ? res.body?.criteria ?? [] : [];
    state.agents.message = res.ok ? null : { text: statusOf(res), tone: 'error' };
    render();
  }

  // ---- actions ---------------------------------------------------------------------------------

  async function bookCallback(item) {
    state.busy.add(item.id);
    render();
    const res = await api('POST', `/api/follow-ups/${encodeURIComponent(item.id)}/callback`, { token: ctx.token() });
    state.busy.delete(item.id);
    if (res.status === 401) return ctx.onUnauthorised();
    if (res.ok) {
      ctx.notify({ key: 'followups.callbackBooked', params: { number: item.ticket.number } }, 'success');
      replaceFollowUp(res.body);
    } else {
      ctx.notify(statusOf(res), 'error');
    }
    render();
  }

  function replaceFollowUp(updated) {
    state.followUps.items = state.followUps.items.map((f) => (f.id === updated.id ? updated : f));
  }

  function openOutcome(item) {
    state.outcomeFor = item;
    $('outcome-select').value = 'resolved';
    $('outcome-note').value = '';
    render();
    $('outcome-select').focus();
  }

  async function saveOutcome(event) {
    event.preventDefault();
    const item = state.outcomeFor;
    if (!item) return;
    const note = $('outcome-note').value.trim();
    state.busy.add(item.id);
    render();
    const res = await api('POST', `/api/follow-ups/${encodeURIComponent(item.id)}/outcome`, { token: ctx.token(), body: { outcome: $('outcome-select').value, ...(note ? { note } : {}) } });
    state.busy.delete(item.id);
    if (res.status === 401) return ctx.onUnauthorised();
    if (res.ok) {
      ctx.notify({ key: 'followups.saved', params: { number: item.ticket.number } }, 'success');
      state.outcomeFor = null;
      replaceFollowUp(res.body);
      void loadFollowUps();
      void loadTargets();
    } else {
      ctx.notify(statusOf(res), 'error');
    }
    render();
  }

  function openScoring(item) {
    state.scoring = item;
    buildCriteria(item);
    $('inspection-comment').value = item.inspection?.comment ?? '';
    render();
    $('inspection-criteria').querySelector('input')?.focus();
  }

  function criteriaOfForm() {
    return state.form?.criteria ?? [];
  }

  function buildCriteria(item) {
    state.builtLang = getLang();
    const box = $('inspection-criteria');
    box.replaceChildren(
      ...criteriaOfForm().map((c) => {
        const label = element('label', 'field');
        label.append(element('span', 'field__label', t('inspections.criterion', { name: pick(c.zh, c.en), max: c.max })));
        const input = element('input');
        input.type = 'number';
        input.min = '0';
        input.max = String(c.max);
        input.step = '1';
        input.required = true;
        input.id = `score-${c.code}`;
        input.dataset.code = c.code;
        const earlier = item.inspection?.scores?.[c.code];
        input.value = earlier == null ? '' : String(earlier);
        label.append(input);
        return label;
      }),
    );
    renderTotal();
  }

  /** The scores typed so far, and the first criterion that is not a whole number within its range. */
  function readScores() {
    const scores = {};
    let invalid = null;
    for (const c of criteriaOfForm()) {
      const raw = $(`score-${c.code}`)?.value.trim() ?? '';
      const n = Number(raw);
      if (raw === '' || !Number.isInteger(n) || n < 0 || n > c.max) invalid ??= c;
      else scores[c.code] = n;
    }
    return { scores, invalid };
  }

  function renderTotal() {
    const { scores } = readScores();
    const total = Object.values(scores).reduce((s, n) => s + n, 0);
    $('inspection-total').textContent = t('inspections.runningTotal', { total, max: state.form?.maxTotal ?? 0 });
  }

  async function saveInspection(event) {
    event.preventDefault();
    const item = state.scoring;
    if (!item) return;
    const { scores, invalid } = readScores();
    if (invalid) {
      ctx.notify({ key: 'inspections.invalid', params: { name: pick(invalid.zh, invalid.en), max: invalid.max } }, 'error');
      $(`score-${invalid.code}`)?.focus();
      return;
    }
    const comment = $('inspection-comment').value.trim();
    $('inspection-save').disabled = true;
    const res = await api('PUT', `/api/quality/inspections/${encodeURIComponent(item.ticket.id)}`, { token: ctx.token(), body: { scores, ...(comment ? { comment } : {}) } });
    $('inspection-save').disabled = false;
    if (res.status === 401) return ctx.onUnauthorised();
    if (!res.ok) {
      ctx.notify(statusOf(res), 'error');
      return;
    }
    ctx.notify({ key: 'inspections.saved', params: { number: item.ticket.number, total: res.body.inspection.total, max: res.body.inspection.maxTotal } }, 'success');
    state.scoring = null;
    render();
    await Promise.all([loadInspections(), loadAgents(), loadTargets()]);
  }

  // ---- rendering -------------------------------------------------------------------------------

  function render() {
    if (!state.initialised) return;
    renderTargets();
    renderFollowUps();
    renderInspections();
    renderAgents();
    renderForms();
  }

  function figure(label, value, hint, met) {
    const box = element('div');
    const dd = element('dd', null, value);
    if (met === true) dd.dataset.met = 'yes';
    if (met === false) dd.dataset.met = 'no';
    if (hint) dd.append(element('small', null, hint));
    box.append(element('dt', null, label), dd);
    return box;
  }

  function targetHint(target, met) {
    if (target == null) return t('quality.noTarget');
    return t(met === false ? 'quality.belowTarget' : met === true ? 'quality.meetsTarget' : 'quality.target', { target: percent(target, 0) });
  }

  function renderTargets() {
    const list = $('quality-targets');
    const q = state.targets;
    const overdue = ctx.board()?.root?.overdueFollowUps;
    const items = [];
    if (q) {
      const s = q.total;
      items.push(figure(t('quality.satisfaction'), percent(s.satisfaction), `${targetHint(q.targets.satisfaction, s.met.satisfaction)} · ${t('quality.ofAnswers', { n: s.surveyed })}`, s.met.satisfaction));
      items.push(figure(t('quality.inspectionRate'), percent(s.inspectionRate), `${targetHint(q.targets.inspectionRate, s.met.inspectionRate)} · ${t('quality.inspectedOf', { n: s.inspected, of: s.answered })}`, s.met.inspectionRate));
      items.push(figure(t('quality.followUpRate'), percent(s.followUpRate), `${targetHint(q.targets.followUpRate, s.met.followUpRate)} · ${t('quality.followedOf', { n: s.followedUp, of: s.dissatisfied })}`, s.met.followUpRate));
    } else if (state.targetsStatus) {
      items.push(figure(t('quality.targets.heading'), t('common.none'), textOf(state.targetsStatus), null));
    }
    items.push(figure(t('quality.overdueNow'), overdue == null ? t('common.none') : String(overdue), t('quality.overdueHint'), overdue == null ? null : overdue === 0));
    const key = JSON.stringify([getLang(), q, state.targetsStatus, overdue]);
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    list.replaceChildren(...items);
  }

  function setNotice(id, text, tone) {
    const el = $(id);
    el.hidden = !text;
    el.textContent = textOf(text);
    el.dataset.tone = tone ?? 'info';
  }

  function badge(text, tone) {
    const b = element('span', 'badge', text);
    if (tone) b.dataset.tone = tone;
    return b;
  }

  function actionButton(key, onClick, disabled) {
    const b = element('button', 'btn btn--small', t(key));
    b.type = 'button';
    b.dataset.action = key;
    b.disabled = Boolean(disabled);
    b.addEventListener('click', onClick);
    return b;
  }

  function renderFollowUps() {
    const f = state.followUps;
    const empty = !f.loading && !f.message && f.items.length === 0 ? { key: 'followups.empty' } : null;
    setNotice('followups-status-text', f.loading && f.items.length === 0 ? { key: 'quality.loading' } : (f.message?.text ?? empty), f.message?.tone);
    const body = $('followups-rows');
    const key = JSON.stringify([getLang(), f.items, [...state.busy]]);
    if (body.dataset.key === key) return;
    body.dataset.key = key;
    body.replaceChildren(
      ...f.items.map((item) => {
        const tr = element('tr');
        tr.dataset.id = item.id;
        tr.dataset.ticket = item.ticket.number;
        tr.dataset.overdue = item.overdue ? 'yes' : 'no';
        tr.dataset.status = item.status;
        const ticket = element('th', null, item.ticket.number);
        ticket.scope = 'row';
        const stateCell = element('td');
        if (item.status === 'done') stateCell.append(badge(t(`outcome.${item.outcome}`), 'good'));
        else stateCell.append(badge(t(item.overdue ? 'followups.overdue' : 'followups.open'), item.overdue ? 'bad' : null));
        if (item.note) stateCell.append(element('div', 'muted', item.note));
        const callbackCell = element('td', null, item.callback ? t(`callback.${item.callback.status}`) : t('common.none'));
        const actions = element('td');
        const box = element('div', 'actions-cell');
        actions.append(box);
        if (item.status === 'open') {
          const waiting = item.callback && (item.callback.status === 'pending' || item.callback.status === 'queued');
          const busy = state.busy.has(item.id);
          box.append(actionButton('followups.callBack', () => bookCallback(item), busy || waiting), actionButton('followups.record', () => openOutcome(item), busy));
        }
        tr.append(
          ticket,
          element('td', null, ctx.regionName(item.ticket.regionCode)),
          element('td', null, item.agent?.displayName ?? t('common.none')),
          element('td', 'num', item.surveyScore == null ? t('common.none') : String(item.surveyScore)),
          element('td', null, item.status === 'done' ? chinaTime(item.doneAt) : chinaTime(item.dueAt)),
          stateCell,
          callbackCell,
          actions,
        );
        return tr;
      }),
    );
  }

  function renderInspections() {
    const ins = state.inspections;
    $('inspections-help').textContent = t(ins.status === 'pending' ? 'inspections.helpPending' : 'inspections.helpDone', { rate: ins.rate == null ? t('common.none') : percent(ins.rate, 0) });
    const empty = !ins.loading && !ins.message && ins.items.length === 0 ? { key: 'inspections.empty' } : null;
    setNotice('inspections-status-text', ins.loading && ins.items.length === 0 ? { key: 'quality.loading' } : (ins.message?.text ?? empty), ins.message?.tone);
    const body = $('inspections-rows');
    const key = JSON.stringify([getLang(), ins.items]);
    if (body.dataset.key === key) return;
    body.dataset.key = key;
    body.replaceChildren(
      ...ins.items.map((item) => {
        const tr = element('tr');
        tr.dataset.ticket = item.ticket.number;
        const ticket = element('th', null, item.ticket.number);
        ticket.scope = 'row';
        const summary = item.ticket.summary.length > SUMMARY_CHARS ? `${item.ticket.summary.slice(0, SUMMARY_CHARS)}…` : item.ticket.summary;
        const actions = element('td');
        const box = element('div', 'actions-cell');
        actions.append(box);
        box.append(actionButton(item.inspection ? 'inspections.rescore' : 'inspections.score', () => openScoring(item), !state.form));
        tr.append(
          ticket,
          element('td', null, ctx.regionName(item.ticket.regionCode)),
          element('td', null, item.agent?.displayName ?? t('common.none')),
          element('td', null, chinaTime(item.call?.arrivedAt)),
          element('td', 'summary-cell', summary || t('common.none')),
          element('td', 'num', item.inspection ? `${item.inspection.total} / ${item.inspection.maxTotal}` : t('common.none')),
          actions,
        );
        return tr;
      }),
    );
  }

  function renderAgents() {
    const a = state.agents;
    const criteria = a.criteria.length ? a.criteria : criteriaOfForm();
    setNotice('agent-quality-status', a.message?.text ?? (a.items.length === 0 ? { key: 'agentQuality.empty', params: { month: state.month ?? '' } } : null), a.message?.tone);
    const key = JSON.stringify([getLang(), a.items, criteria]);
    const body = $('agent-quality-rows');
    if (body.dataset.key === key) return;
    body.dataset.key = key;
    const head = $('agent-quality-head');
    const th = (text, numeric) => {
      const cell = element('th', numeric ? 'num' : null, text);
      cell.scope = 'col';
      return cell;
    };
    head.replaceChildren(th(t('followups.agent')), th(t('agentQuality.inspected'), true), th(t('agentQuality.average'), true), ...criteria.map((c) => th(`${pick(c.zh, c.en)} (${c.max})`, true)));
    body.replaceChildren(
      ...a.items.map((item) => {
        const tr = element('tr');
        tr.dataset.username = item.agent.username;
        const name = element('th', null, item.agent.displayName);
        name.scope = 'row';
        tr.append(
          name,
          element('td', 'num', String(item.inspected)),
          element('td', 'num', `${item.averageTotal} / ${item.averageMaxTotal}`),
          ...criteria.map((c) => element('td', 'num', item.criteria[c.code] == null ? t('common.none') : String(item.criteria[c.code]))),
        );
        return tr;
      }),
    );
  }

  function renderForms() {
    const outcome = state.outcomeFor;
    $('outcome-form').hidden = !outcome;
    if (outcome) {
      $('outcome-heading').textContent = t('followups.recordFor', { number: outcome.ticket.number });
      $('outcome-save').disabled = state.busy.has(outcome.id);
    }
    const scoring = state.scoring;
    $('inspection-form').hidden = !scoring;
    if (scoring) {
      $('inspection-heading').textContent = t('inspections.formFor', { number: scoring.ticket.number });
      $('inspection-ticket').textContent = [scoring.agent?.displayName, ctx.regionName(scoring.ticket.regionCode), scoring.ticket.summary].filter(Boolean).join(' · ');
      renderTotal();
    }
  }

  return {
    load,
    render() {
      if (!state.initialised) return;
      // Labels built in code follow the language switch (typed scores are kept).
      if (state.scoring && state.builtLang !== getLang()) {
        const typed = readScores().scores;
        buildCriteria({ ...state.scoring, inspection: { ...(state.scoring.inspection ?? {}), scores: { ...(state.scoring.inspection?.scores ?? {}), ...typed } } });
      }
      render();
    },
    /** A new board: the live overdue count. */
    boardChanged() {
      if (!state.initialised || $('quality-view').hidden) return;
      renderTargets();
    },
    reset() {
      state.seq++;
      Object.assign(state, {
        focus: null,
        targets: null,
        targetsStatus: null,
        followUps: { status: state.followUps.status, items: [], loading: false, message: null },
        inspections: { status: state.inspections.status, items: [], rate: null, loading: false, message: null },
        agents: { items: [], criteria: [], message: null },
        outcomeFor: null,
        scoring: null,
        busy: new Set(),
      });
      for (const id of ['followups-rows', 'inspections-rows', 'agent-quality-rows', 'quality-targets']) $(id).dataset.key = '';
      render();
    },
  };
}
