/**
 * The agents panel: agents serving in the focused region (GET /api/agents, which the server
 * limits to the supervisor's area), their state now (GET /api/queue/snapshot), their shifts on
 * today's published roster (GET /api/rosters/:today?stage=published: on duty now and signed in
 * or not), and a move to another region of the area (PATCH /api/agents/:id { servingRegion }),
 * which routing applies at once.
 */

import { getLang, pick, t } from './i18n.js';
import { api, query } from './api.js';
import { $, chinaDate, element, minutesOfChinaDay, textOf } from './util.js';

export function createAgentsPanel(ctx) {
  const state = {
    focus: null,
    loading: false,
    items: [],
    live: new Map(), // agent id → state
    calls: new Map(), // agent id → the call they are on
    monitoring: new Map(), // call id → the mode this supervisor joined it in
    status: null, // { text, tone }
    busy: new Set(), // agent ids being moved
    shifts: new Map(), // agent id → today's published shifts [{ start, end, regionCode }]
    seq: 0,
  };

  function statusOf(res) {
    if (res.network) return { key: 'staffing.network' };
    if (res.unavailable) return { key: 'staffing.unavailable' };
    if (res.rateLimited) return { key: 'staffing.rateLimited' };
    return res.message ?? { key: 'staffing.failed', params: { detail: res.status } };
  }

  async function load() {
    const focus = ctx.focus();
    if (!ctx.token() || !focus) return;
    const seq = ++state.seq;
    state.focus = focus;
    state.loading = true;
    state.status = null;
    render();
    const [list, snapshot, roster] = await Promise.all([
      api('GET', `/api/agents${query({ region: focus, role: 'agent', limit: 500 })}`, { token: ctx.token() }),
      api('GET', `/api/queue/snapshot${query({ region: focus })}`, { token: ctx.token() }),
      api('GET', `/api/rosters/${chinaDate(Date.now())}${query({ stage: 'published' })}`, { token: ctx.token() }),
    ]);
    if (seq !== state.seq) return;
    state.loading = false;
    if (list.status === 401) return ctx.onUnauthorised();
    if (!list.ok) {
      state.items = [];
      state.status = { text: statusOf(list), tone: 'error' };
    } else {
      state.items = [...(list.body?.items ?? [])].sort((a, b) => a.servingRegion.localeCompare(b.servingRegion) || a.username.localeCompare(b.username));
    }
    applySnapshot(snapshot.ok ? snapshot.body?.agents ?? [] : []);
    applyRoster(roster.ok ? roster.body?.shifts ?? [] : []);
    render();
  }

  function applyRoster(shifts) {
    state.shifts = new Map();
    for (const s of shifts) state.shifts.set(s.agentId, [...(state.shifts.get(s.agentId) ?? []), s]);
  }

  /** Where the agent stands against today's published roster: on duty now (signed in or not), later, or not rostered. */
  function rosterOf(agent) {
    const shifts = state.shifts.get(agent.id) ?? [];
    const minute = minutesOfChinaDay(Date.now());
    const toMinutes = (hhmm) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
    const now = shifts.find((s) => toMinutes(s.start) <= minute && minute < toMinutes(s.end));
    if (now) {
      const on = (state.live.get(agent.id) ?? 'offline') !== 'offline';
      return { kind: on ? 'on' : 'missing', text: t(on ? 'agents.rosterOn' : 'agents.rosterMissing', { time: `${now.start}–${now.end}`, region: ctx.regionName(now.regionCode) }) };
    }
    const later = shifts.find((s) => toMinutes(s.start) > minute);
    if (later) return { kind: 'later', text: t('agents.rosterLater', { time: `${later.start}–${later.end}`, region: ctx.regionName(later.regionCode) }) };
    return { kind: 'none', text: t('common.none') };
  }

  function applySnapshot(agents) {
    state.live = new Map(agents.map((a) => [a.id, a.state]));
    state.calls = new Map(agents.filter((a) => a.state === 'on_call' && a.callId).map((a) => [a.id, a.callId]));
    const current = new Set(state.calls.values());
    for (const callId of [...state.monitoring.keys()]) if (!current.has(callId)) state.monitoring.delete(callId);
  }

  /** Joins the agent's call (listen, whisper, barge) or leaves it (null); the supervisor's phone rings. */
  async function monitor(agent, callId, mode) {
    state.busy.add(agent.id);
    render();
    const path = `/api/calls/${encodeURIComponent(callId)}/monitor`;
    const res = mode ? await api('PUT', path, { token: ctx.token(), body: { mode } }) : await api('DELETE', path, { token: ctx.token() });
    state.busy.delete(agent.id);
    if (res.status === 401) return ctx.onUnauthorised();
    const name = agent.displayName || agent.username;
    if (res.ok) {
      if (mode) state.monitoring.set(callId, mode);
      else state.monitoring.delete(callId);
      state.status = { text: mode ? { key: 'monitor.started', params: { mode: t(`monitor.${mode}`), name } } : { key: 'monitor.stopped', params: { name } }, tone: 'success' };
    } else {
      state.status = { text: statusOf(res), tone: 'error' };
    }
    render();
  }

  /** Takes the agent off the phones: not ready, or signed out. */
  async function force(agent, to) {
    state.busy.add(agent.id);
    render();
    const res = await api('POST', `/api/agents/${encodeURIComponent(agent.id)}/state`, { token: ctx.token(), body: { state: to } });
    state.busy.delete(agent.id);
    if (res.status === 401) return ctx.onUnauthorised();
    if (res.ok) {
      state.live.set(agent.id, to);
      state.status = { text: { key: 'agents.forced', params: { name: agent.displayName || agent.username, state: t(`agents.forced.${to}`) } }, tone: 'success' };
    } else {
      state.status = { text: statusOf(res), tone: 'error' };
    }
    render();
  }

  function superviseCell(agent) {
    // A flex box inside the cell: a td that is itself a flex box leaves the table's row.
    const td = element('td');
    const cell = element('div', 'supervise-cell');
    td.append(cell);
    const live = state.live.get(agent.id) ?? 'offline';
    const callId = state.calls.get(agent.id);
    const busy = state.busy.has(agent.id);
    const button = (key, onClick, pressed) => {
      const b = element('button', 'btn btn--small', t(key));
      b.type = 'button';
      b.disabled = busy;
      b.dataset.action = key;
      if (pressed !== undefined) b.setAttribute('aria-pressed', String(pressed));
      b.addEventListener('click', onClick);
      return b;
    };
    if (callId) {
      const joined = state.monitoring.get(callId) ?? null;
      // Only the ways this service's phone systems can carry out.
      for (const mode of ctx.capabilities().monitor) cell.append(button(`monitor.${mode}`, () => monitor(agent, callId, mode), joined === mode));
      if (joined) cell.append(button('monitor.stop', () => monitor(agent, callId, null)));
    }
    if (live !== 'offline') {
      if (live !== 'not_ready') cell.append(button('agents.forceNotReady', () => force(agent, 'not_ready')));
      cell.append(button('agents.forceOffline', () => force(agent, 'offline')));
    }
    return td;
  }

  async function move(agent, select) {
    const to = select.value;
    if (!to || to === agent.servingRegion) {
      state.status = { text: { key: 'agents.same' }, tone: 'error' };
      render();
      return;
    }
    state.busy.add(agent.id);
    render();
    const res = await api('PATCH', `/api/agents/${encodeURIComponent(agent.id)}`, { token: ctx.token(), body: { servingRegion: to } });
    state.busy.delete(agent.id);
    if (res.status === 401) return ctx.onUnauthorised();
    if (res.ok) {
      const name = res.body?.displayName || agent.displayName || agent.username;
      state.status = { text: { key: 'agents.moved', params: { name, region: ctx.regionName(to) } }, tone: 'success' };
      ctx.notify(state.status.text, 'success');
      await load();
      // The moved agent's row may have left the focused region; the message stays.
      state.status = { text: { key: 'agents.moved', params: { name, region: ctx.regionName(to) } }, tone: 'success' };
    } else {
      state.status = { text: statusOf(res), tone: 'error' };
    }
    render();
  }

  function languageNames(languages) {
    const catalogue = ctx.catalogue().languages;
    return Object.keys(languages ?? {})
      .map((code) => {
        const l = catalogue.find((x) => x.code === code);
        return l ? pick(l.zh, l.en) : code;
      })
      .join('、');
  }

  function render() {
    const status = $('agents-status');
    const text = state.loading ? { key: 'agents.loading' } : state.status?.text ?? (state.items.length === 0 && state.focus ? { key: 'agents.empty' } : null);
    status.hidden = !text;
    status.textContent = textOf(text);
    status.dataset.tone = state.loading ? 'info' : (state.status?.tone ?? 'info');

    const body = $('agents-rows');
    // Keep a select the supervisor is using: rebuild only when something shown changed.
    const key = JSON.stringify([getLang(), ctx.capabilities().monitor, state.items.map((a) => [a.id, a.servingRegion, a.displayName, state.live.get(a.id), state.calls.get(a.id), state.monitoring.get(state.calls.get(a.id)), state.busy.has(a.id), rosterOf(a)])]);
    if (body.dataset.key === key) return;
    body.dataset.key = key;
    const regions = ctx.regions();
    body.replaceChildren(...state.items.map((agent) => row(agent, regions)));
  }

  function row(agent, regions) {
    const tr = element('tr');
    tr.dataset.agentId = agent.id;
    tr.dataset.username = agent.username;
    const name = element('th', null, agent.displayName);
    name.scope = 'row';
    if (agent.disabled) name.append(element('span', 'tag', t('agents.disabled')));
    // A remote seat answers on its own phone (issue 14): a label, nothing else changes.
    if (agent.remoteSeat) {
      const tag = element('span', 'tag tag--remote', t('agents.remote'));
      tag.title = t('agents.remoteTitle');
      name.append(tag);
    }
    const live = state.live.get(agent.id) ?? 'offline';
    const stateCell = element('td');
    stateCell.append(element('span', 'state-badge', t(`state.${live}`)));
    stateCell.firstChild.dataset.state = live;
    const moveCell = element('td', 'move-cell');
    const select = element('select');
    select.setAttribute('aria-label', `${t('agents.moveTo')} · ${agent.displayName}`);
    for (const r of regions) select.append(new Option(pick(r.name, r.nameEn), r.code));
    select.value = agent.servingRegion;
    const button = element('button', 'btn btn--small', t('agents.move'));
    button.type = 'button';
    button.disabled = state.busy.has(agent.id);
    button.addEventListener('click', () => move(agent, select));
    moveCell.append(select, button);
    const serving = element('td', 'serving', ctx.regionName(agent.servingRegion));
    serving.dataset.code = agent.servingRegion;
    const duty = rosterOf(agent);
    const rosterCell = element('td', 'roster-cell', duty.text);
    rosterCell.dataset.roster = duty.kind;
    tr.append(name, element('td', 'muted', agent.username), serving, stateCell, element('td', null, languageNames(agent.languages)), rosterCell, moveCell, superviseCell(agent));
    return tr;
  }

  return {
    load,
    render,
    /** A new board: refresh agents' states now and then while the panel is open. */
    boardChanged() {
      if (ctx.focus() !== state.focus || $('agents-view').hidden || state.loading) return;
      if (Date.now() - (state.refreshedAt ?? 0) < 10_000) return;
      state.refreshedAt = Date.now();
      void Promise.all([
        api('GET', `/api/queue/snapshot${query({ region: state.focus })}`, { token: ctx.token() }),
        api('GET', `/api/rosters/${chinaDate(Date.now())}${query({ stage: 'published' })}`, { token: ctx.token() }),
      ]).then(([res, roster]) => {
        if (res.ok) applySnapshot(res.body?.agents ?? []);
        if (roster.ok) applyRoster(roster.body?.shifts ?? []);
        render();
      });
    },
    reset() {
      state.seq++;
      Object.assign(state, { focus: null, loading: false, items: [], live: new Map(), calls: new Map(), monitoring: new Map(), status: null, busy: new Set(), shifts: new Map() });
      $('agents-rows').dataset.key = '';
      render();
    },
  };
}
