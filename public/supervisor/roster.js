/**
 * The duty roster (排班) in the staffing tab: the day's roster of the supervisor's area
 * (GET /api/rosters/:date), built from the saved seat plan (POST …/build), edited a shift at a
 * time (PUT /api/rosters/:date with every shift of the area) and published (POST …/publish), with
 * what the plan leaves uncovered. The day is the plan's (#plan-date).
 */

import { pick, t } from './i18n.js';
import { api, query } from './api.js';
import { $, element, textOf } from './util.js';

const TIMES = Array.from({ length: 49 }, (_, i) => `${String(Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}`);

export function createRosterPanel(ctx) {
  const state = { roster: null, date: null, busy: false, status: null, agents: null, initialised: false, seq: 0 };

  function statusOf(res) {
    if (res.network) return { key: 'staffing.network' };
    if (res.unavailable) return { key: 'staffing.unavailable' };
    if (res.rateLimited) return { key: 'staffing.rateLimited' };
    return res.message ?? { key: 'staffing.failed', params: { detail: res.status } };
  }

  const dateUrl = (date, suffix = '') => `/api/rosters/${encodeURIComponent(date)}${suffix}`;

  /** Runs one request for the roster; its answer (the roster) replaces what is shown. */
  async function act(request, done) {
    const date = ctx.date();
    if (!ctx.validDate(date)) {
      state.status = { text: { key: 'plan.badDate' }, tone: 'error' };
      return render();
    }
    void loadAgents();
    const seq = ++state.seq;
    state.busy = true;
    state.status = { text: { key: 'roster.working' }, tone: 'info' };
    render();
    const res = await request(date);
    if (seq !== state.seq) return;
    state.busy = false;
    if (res.status === 401) return ctx.onUnauthorised();
    if (res.ok) {
      state.roster = res.body;
      state.date = date;
      state.status = done ? { text: done(res.body), tone: 'success' } : null;
    } else {
      state.status = { text: statusOf(res), tone: 'error' };
    }
    render();
  }

  /** The agents of the area to add a shift for, read once. */
  async function loadAgents() {
    if (state.agents) return;
    const token = ctx.token();
    state.agents = [];
    const res = await api('GET', `/api/agents${query({ role: 'agent', limit: 500 })}`, { token });
    if (ctx.token() !== token) return;
    // A failed read is tried again with the next action.
    state.agents = res.ok ? (res.body?.items ?? []).filter((a) => !a.disabled).sort((a, b) => a.servingRegion.localeCompare(b.servingRegion) || a.username.localeCompare(b.username)) : null;
    renderAddForm();
  }

  const load = () => act((date) => api('GET', dateUrl(date), { token: ctx.token() }));
  const build = () => act((date) => api('POST', dateUrl(date, '/build'), { token: ctx.token() }), (r) => ({ key: 'roster.built', params: { date: r.date, n: r.shifts.length } }));
  const publish = () => act((date) => api('POST', dateUrl(date, '/publish'), { token: ctx.token() }), (r) => ({ key: 'roster.publishedOk', params: { date: r.date } }));

  /** The area's shifts as PUT wants them. */
  const current = () => (state.roster?.shifts ?? []).map((s) => ({ agentId: s.agentId, regionCode: s.regionCode, start: s.start, end: s.end }));

  function save(shifts, done) {
    return act((date) => api('PUT', dateUrl(date), { token: ctx.token(), body: { shifts } }), done);
  }

  function removeAt(index) {
    const shifts = current();
    const [gone] = shifts.splice(index, 1);
    if (!gone) return;
    const name = state.roster.shifts[index].displayName;
    void save(shifts, () => ({ key: 'roster.removed', params: { name, time: `${gone.start}–${gone.end}` } }));
  }

  function add(event) {
    event.preventDefault();
    const agentId = $('roster-add-agent').value;
    const regionCode = $('roster-add-region').value;
    const start = $('roster-add-start').value;
    const end = $('roster-add-end').value;
    if (!agentId || !regionCode) {
      state.status = { text: { key: 'roster.pickAgent' }, tone: 'error' };
      return render();
    }
    const agent = state.agents?.find((a) => a.id === agentId);
    void save([...current(), { agentId, regionCode, start, end }], () => ({ key: 'roster.added', params: { name: agent?.displayName ?? '', time: `${start}–${end}` } }));
  }

  // ---- rendering -----------------------------------------------------------------------------

  function languageNames(languages) {
    const catalogue = ctx.catalogue().languages;
    return Object.keys(languages ?? {})
      .map((code) => {
        const l = catalogue.find((x) => x.code === code);
        return l ? pick(l.zh, l.en) : code;
      })
      .join('、');
  }

  function statusLine(r) {
    if (!r) return '';
    const when = r.publishedAt ? new Date(r.publishedAt).toLocaleString(pick('zh-CN', 'en-GB'), { timeZone: 'Asia/Shanghai', hour12: false }) : '';
    const by = r.publishedBy?.displayName ?? '';
    return t(`roster.status.${r.status}`, { when, by, area: ctx.regionName(r.area) });
  }

  function renderAddForm() {
    const agents = $('roster-add-agent');
    const key = JSON.stringify([state.agents?.map((a) => a.id), ctx.regions().length, t('roster.pickAgentOption')]);
    if (agents.dataset.key === key) return;
    agents.dataset.key = key;
    const chosen = agents.value;
    agents.replaceChildren(
      new Option(t('roster.pickAgentOption'), ''),
      ...(state.agents ?? []).map((a) => new Option(`${a.displayName} · ${ctx.regionName(a.servingRegion)}`, a.id)),
    );
    agents.value = chosen;
    const regions = $('roster-add-region');
    const region = regions.value;
    regions.replaceChildren(...ctx.regions().map((r) => new Option(pick(r.name, r.nameEn), r.code)));
    if (region) regions.value = region;
    for (const [id, from, to, value] of [
      ['roster-add-start', 0, 48, '08:00'],
      ['roster-add-end', 1, 49, '12:00'],
    ]) {
      const select = $(id);
      if (select.options.length) continue;
      select.replaceChildren(...TIMES.slice(from, to).map((time) => new Option(time, time)));
      select.value = value;
    }
  }

  function render() {
    init();
    const r = state.roster && state.date === ctx.date() ? state.roster : null;
    const status = $('roster-status');
    status.hidden = !state.status;
    status.textContent = textOf(state.status?.text);
    status.dataset.tone = state.status?.tone ?? 'info';
    $('roster-state').textContent = statusLine(r);
    $('roster-state').dataset.status = r?.status ?? '';
    for (const id of ['roster-load', 'roster-build', 'roster-add-submit']) $(id).disabled = state.busy;
    $('roster-publish').disabled = state.busy || !r || (r.status !== 'draft' && r.status !== 'changed');
    $('roster-table').hidden = !r;
    $('roster-uncovered-block').hidden = !r;
    $('roster-add').hidden = !r;
    if (!r) return;
    renderAddForm();
    renderShifts(r);
    renderUncovered(r);
  }

  function renderShifts(r) {
    const order = new Map(ctx.regions().map((x, k) => [x.code, k]));
    const rows = r.shifts
      .map((s, index) => ({ s, index }))
      .sort((a, b) => (order.get(a.s.regionCode) ?? 0) - (order.get(b.s.regionCode) ?? 0) || a.s.start.localeCompare(b.s.start) || a.s.username.localeCompare(b.s.username))
      .map(({ s, index }) => {
        const tr = element('tr');
        tr.dataset.region = s.regionCode;
        tr.dataset.username = s.username;
        const th = element('th', null, ctx.regionName(s.regionCode));
        th.scope = 'row';
        const who = element('td', null, s.displayName);
        who.append(' ', element('span', 'muted', s.username));
        if (s.borrowed) {
          const tag = element('span', 'tag', t('roster.borrowed'));
          tag.title = t('roster.borrowedTitle', { region: ctx.regionName(s.servingRegion) });
          who.append(' ', tag);
        }
        const remove = element('button', 'btn btn--small', t('roster.remove'));
        remove.type = 'button';
        remove.disabled = state.busy;
        remove.setAttribute('aria-label', `${t('roster.remove')} · ${s.displayName} ${s.start}–${s.end}`);
        remove.addEventListener('click', () => removeAt(index));
        const actions = element('td');
        actions.append(remove);
        tr.append(th, who, element('td', 'time', `${s.start}–${s.end}`), element('td', null, languageNames(s.languages)), actions);
        return tr;
      });
    if (rows.length === 0) {
      const tr = element('tr');
      const td = element('td', 'muted', t(r.planSaved ? 'roster.empty' : 'roster.noPlan'));
      td.colSpan = 5;
      tr.append(td);
      rows.push(tr);
    }
    $('roster-rows').replaceChildren(...rows);
  }

  function renderUncovered(r) {
    const list = $('roster-uncovered');
    const items = r.uncovered.map((u) => {
      const li = element('li');
      li.dataset.region = u.regionCode;
      const parts = [];
      if (u.seatsShort > 0) parts.push(t('roster.seatsShort', { n: u.seatsShort }));
      for (const [code, n] of Object.entries(u.languagesShort ?? {})) parts.push(t('roster.speakersShort', { language: languageNames({ [code]: 1 }), n }));
      li.textContent = t('roster.uncoveredItem', { region: ctx.regionName(u.regionCode), time: `${u.start}–${u.end}`, what: parts.join(t('roster.and')) });
      return li;
    });
    $('roster-covered').hidden = items.length > 0 || !r.planSaved;
    list.replaceChildren(...items);
  }

  function init() {
    if (state.initialised) return;
    state.initialised = true;
    $('roster-load').addEventListener('click', () => void load());
    $('roster-build').addEventListener('click', () => void build());
    $('roster-publish').addEventListener('click', () => void publish());
    $('roster-add').addEventListener('submit', add);
  }

  return {
    render,
    /** Another day in the plan's date box: the roster shown was the old day's. */
    dateChanged() {
      if (state.roster) void load();
    },
    reset() {
      state.seq++;
      Object.assign(state, { roster: null, date: null, busy: false, status: null, agents: null });
      $('roster-add-agent').dataset.key = '';
      render();
    },
  };
}
