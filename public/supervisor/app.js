/**
 * The 12348 supervisors' wallboard: signs a supervisor or administrator in, keeps a WebSocket to
 * /supervisors/ws (protocol: src/supervisors/protocol.ts) and shows the live board of their
 * area (tiles, a county map and regions coloured by service level, a table, charts, alerts), with
 * panels to move agents between regions, to work out staffing and to read, export and print
 * reports. Plain ES modules, no build step; charts and the map are Apache ECharts, served from
 * this host with the counties' shapes.
 *
 * Content-Security-Policy the page needs (no inline script, style or handler; ECharts styles
 * through the CSSOM and draws its tooltips inside the chart):
 *   default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:
 */

import { applyStaticText, getLang, pick, setLang, t } from './i18n.js';
import { barChart, lineChart } from './charts.js';
import { api, query } from './api.js';
import { createAgentsPanel } from './agents.js';
import { createCountyMap } from './county-map.js';
import { createStaffingPanel } from './staffing.js';
import { createReportsPanel } from './reports.js';
import { createQualityPanel } from './quality.js';
import { createKnowledgePanel } from './knowledge.js';
import { $, chinaDate, clockTime, element, minutesOfChinaDay, minutesSeconds, percent, setText, slTone, textOf } from './util.js';
import { createMessages } from '/common/dom.js';
import { endSession, readSession, renderLoginForm, resumeSession, submitLogin, writeSession } from '/common/session.js';
import { createSocket, socketUrl } from '/common/socket.js';

const PROTOCOL_VERSION = 1;
const TOKEN_KEY = 'hotline.supervisor.token';
/** Close codes of src/supervisors/protocol.ts (CLOSE). */
const CLOSE = { unauthorised: 4003, goingAway: 1001 };
const PING_INTERVAL_MS = 20_000;
/** Boards come at least every 5 s: this much silence means the socket is dead. */
const SILENCE_MS = 20_000;
const MAX_ALERTS = 100;
const MAX_MESSAGES = 4;
const MESSAGE_LIFETIME_MS = 8_000;
/** The service-level chart keeps a sample of the live figures this often. */
const SAMPLE_EVERY_MS = 30_000;
const REPORT_REFRESH_MS = 5 * 60_000;
const STATES = ['ready', 'reserved', 'on_call', 'wrap_up', 'not_ready'];

// ---- model -----------------------------------------------------------------------------------

const model = {
  token: readSession(TOKEN_KEY),
  conn: null, // { ws, helloSeen }
  connStatus: 'offline',
  refSeq: 0,
  reconnectTimer: null,
  reconnectAttempt: 0,
  preHelloFailures: 0,
  pingTimer: null,
  lastFrameAt: 0,

  user: null,
  scope: null,
  regions: [], // hello.regions, in tree order
  regionByCode: new Map(),
  childrenOf: new Map(),
  settings: null,
  catalogue: { topics: [], languages: [] },
  focus: null,
  board: null,
  alerts: [], // newest first
  samples: new Map(), // focus → [{ t, today, m30 }]
  report: { key: null, state: 'idle', points: null, at: 0 },
  mapMetric: 'today',
  tab: 'board',

  loginBusy: false,
  loginError: null, // Text
  loginNotice: null, // Text
  messages: [],
};

// ---- regions ---------------------------------------------------------------------------------

function regionName(code) {
  const r = model.regionByCode.get(code);
  return r ? pick(r.name, r.nameEn) : code ?? '';
}

function childrenOf(code) {
  return model.childrenOf.get(code) ?? [];
}

function depthBelow(code, root) {
  let depth = 0;
  for (let r = model.regionByCode.get(code); r && r.code !== root; r = model.regionByCode.get(r.parentCode)) depth++;
  return depth;
}

function subtreeOf(code) {
  const out = [];
  const walk = (c) => {
    out.push(c);
    for (const k of childrenOf(c)) walk(k);
  };
  if (model.regionByCode.has(code)) walk(code);
  return out;
}

function topicName(code) {
  const l = model.catalogue.topics.find((x) => x.code === code);
  return l ? pick(l.zh, l.en) : code ?? '';
}

// ---- messages --------------------------------------------------------------------------------

const { notify } = createMessages(model, { max: MAX_MESSAGES, lifetimeMs: MESSAGE_LIFETIME_MS, textOf, t });

// ---- sign-in ---------------------------------------------------------------------------------

function onLoginSubmit(event) {
  event.preventDefault();
  submitLogin(model, {
    render: renderLogin,
    start: startSession,
    refuse: (user) => (user?.role !== 'supervisor' && user?.role !== 'admin' ? { key: 'login.notSupervisor' } : null),
  });
}

function startSession(token) {
  model.token = token;
  writeSession(TOKEN_KEY, token);
  model.preHelloFailures = 0;
  model.reconnectAttempt = 0;
  connect();
  renderAll();
}

function signOut(noticeKey, tone = 'error') {
  model.token = null;
  writeSession(TOKEN_KEY, null);
  // The sign-in this browser keeps ends too: a tab opened next asks for the password.
  void endSession();
  detachSocket();
  clearTimeout(model.reconnectTimer);
  Object.assign(model, { user: null, scope: null, regions: [], regionByCode: new Map(), childrenOf: new Map(), board: null, focus: null, alerts: [], samples: new Map(), connStatus: 'offline' });
  model.report = { key: null, state: 'idle', points: null, at: 0 };
  structure.map = null;
  structure.table = null;
  model.loginError = tone === 'error' && noticeKey ? { key: noticeKey } : null;
  model.loginNotice = tone !== 'error' && noticeKey ? { key: noticeKey } : null;
  agents.reset();
  staffing.reset();
  reports.reset();
  quality.reset();
  renderAll();
  $('username').focus();
}

// ---- WebSocket -------------------------------------------------------------------------------

const socket = createSocket(model, {
  url: () => socketUrl('/supervisors/ws'),
  protocolVersion: PROTOCOL_VERSION,
  handlers: () => HANDLERS,
  logName: 'wallboard',
  setStatus: setConnStatus,
  onOpen: () => startPing(),
  onDetach: () => stopPing(),
  // A refused upgrade (401/403) reaches the page only as a close before hello: see checkToken.
  onClose: (_conn, event) => (event.code === CLOSE.unauthorised ? (signOut('login.sessionEnded'), true) : false),
  checkToken: () => checkTokenAfterRefusal(),
  heartbeat: { everyMs: PING_INTERVAL_MS / 4, silenceMs: SILENCE_MS, beat: () => send('ping') },
});
const { connect, scheduleReconnect, startPing, stopPing } = socket;
const detachSocket = socket.detach;

/** Twice refused before hello: ask the API whether the token still holds, rather than signing out on a mere restart. */
async function checkTokenAfterRefusal() {
  const token = model.token;
  setConnStatus('reconnecting');
  const res = await api('GET', '/api/auth/me', { token });
  if (model.token !== token || model.conn) return;
  if (res.network || res.status >= 500) return scheduleReconnect();
  if (res.ok && (res.body?.role === 'supervisor' || res.body?.role === 'admin')) return scheduleReconnect();
  signOut(res.status === 401 ? 'login.sessionEnded' : 'login.refused');
}

function setConnStatus(status) {
  model.connStatus = status;
  renderConnStatus();
}

let lastPingAt = 0;
function send(type, fields = {}) {
  if (!socket.isOpen()) {
    if (type !== 'ping') notify({ key: 'msg.notConnected' });
    return null;
  }
  if (type === 'ping') {
    if (Date.now() - lastPingAt < PING_INTERVAL_MS) return null;
    lastPingAt = Date.now();
  }
  return socket.sendFrame(type, fields);
}

const HANDLERS = {
  hello: onHello,
  board: onBoard,
  alert: onAlert,
  subscribed: () => {},
  pong: () => {},
  error: (f) => notify({ zh: f.messageZh, en: f.message }),
};

function onHello(frame, conn) {
  conn.helloSeen = true;
  model.preHelloFailures = 0;
  model.reconnectAttempt = 0;
  setConnStatus('connected');
  const scopeChanged = model.scope !== frame.scope;
  model.user = frame.user;
  model.scope = frame.scope;
  model.settings = frame.settings;
  model.capabilities = frame.capabilities ?? { monitor: [] };
  model.catalogue = { topics: frame.catalogue?.topics ?? [], languages: frame.catalogue?.languages ?? [] };
  model.regions = frame.regions ?? [];
  model.regionByCode = new Map(model.regions.map((r) => [r.code, r]));
  model.childrenOf = new Map();
  for (const r of model.regions) {
    if (r.parentCode && model.regionByCode.has(r.parentCode)) model.childrenOf.set(r.parentCode, [...(model.childrenOf.get(r.parentCode) ?? []), r.code]);
  }
  structure.map = null;
  structure.table = null;
  // A reconnect keeps the region the supervisor was looking at, when it is still in scope.
  if (scopeChanged || !model.focus || !model.regionByCode.has(model.focus)) {
    model.focus = frame.scope;
    model.board = null;
  } else if (model.focus !== frame.scope) {
    send('subscribe', { region: model.focus });
  }
  const known = new Set(model.alerts.map((a) => a.id));
  for (const a of frame.alerts ?? []) if (!known.has(a.id)) addAlert(a, false);
  renderAll();
  loadReport();
}

function onBoard(frame) {
  if (frame.focus !== model.focus) return; // an answer to an older focus
  model.board = frame;
  sample(frame);
  renderBoard();
  agents.boardChanged();
  quality.boardChanged();
}

function onAlert(frame) {
  const { v: _v, type: _type, ...alert } = frame;
  addAlert(alert, true);
  renderAlerts();
}

/** The newer alert says what the older one said, and more: a call missed again, a target's breach cleared. */
function supersedes(newer, older) {
  if (newer.kind === 'missed_call' && older.kind === 'missed_call') return newer.callId === older.callId;
  if (newer.kind === 'target' && older.kind === 'target') return newer.key === older.key;
  return false;
}

function addAlert(alert, fresh) {
  model.alerts = model.alerts.filter((a) => a.id !== alert.id && !supersedes(alert, a));
  model.alerts.unshift({ ...alert, fresh });
  model.alerts.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  model.alerts.length = Math.min(model.alerts.length, MAX_ALERTS);
}

function focusOn(code) {
  if (!code || code === model.focus || !model.regionByCode.has(code)) return;
  model.focus = code;
  model.board = null;
  structure.map = null;
  structure.table = null;
  send('subscribe', { region: code });
  renderAll();
  loadReport(true);
  if (model.tab === 'agents') agents.load();
  if (model.tab === 'quality') quality.load();
}

// ---- service level samples and the daily report ----------------------------------------------

function sample(board) {
  const list = model.samples.get(board.focus) ?? [];
  const now = Date.parse(board.at) || Date.now();
  const last = list[list.length - 1];
  if (last && now - last.t < SAMPLE_EVERY_MS) return;
  // A new China day starts a new chart.
  if (last && chinaDate(last.t) !== chinaDate(now)) list.length = 0;
  list.push({ t: now, today: board.root.serviceLevelToday, m30: board.root.serviceLevel30m });
  if (list.length > 3000) list.shift();
  model.samples.set(board.focus, list);
  structure.slChart = null;
}

/**
 * The daily report's half-hour series (GET /api/reports/daily → series: [{ intervalStart,
 * serviceLevel }]) as chart points; a few other shapes are read too. null: no series at all.
 */
function reportPoints(body) {
  const lists = [body?.series, body?.intervals, body?.hours, body?.byInterval, body?.byHour, body?.timeline];
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    const points = [];
    for (const p of list) {
      if (!p || typeof p !== 'object') continue;
      const x = minutesOf(p);
      let y = p.serviceLevel ?? p.sl ?? p.service_level;
      if (typeof y !== 'number' || x == null) continue;
      if (y > 1) y /= 100;
      points.push({ x, y });
    }
    return points;
  }
  return null;
}

function minutesOf(p) {
  for (const k of ['intervalStart', 'minute', 'minutes']) if (typeof p[k] === 'number') return p[k];
  if (typeof p.hour === 'number') return p.hour * 60;
  for (const k of ['start', 'time', 'interval', 'from', 'at']) {
    const v = p[k];
    if (typeof v !== 'string') continue;
    const hm = /^(\d{1,2}):(\d{2})/.exec(v);
    if (hm) return Number(hm[1]) * 60 + Number(hm[2]);
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return minutesOfChinaDay(ms);
  }
  return null;
}

async function loadReport(force = false) {
  if (!model.token || !model.focus) return;
  const date = chinaDate(Date.now());
  const key = `${model.focus}|${date}`;
  if (!force && model.report.key === key && Date.now() - model.report.at < REPORT_REFRESH_MS) return;
  model.report = { key, state: 'loading', points: null, at: Date.now() };
  const res = await api('GET', `/api/reports/daily${query({ date, region: model.focus })}`, { token: model.token });
  if (model.report.key !== key) return;
  if (res.ok) {
    const points = reportPoints(res.body);
    model.report = { key, state: points === null ? 'noSeries' : points.length ? 'ok' : 'empty', points, at: Date.now() };
  } else {
    model.report = { key, state: 'unavailable', points: null, at: Date.now() };
  }
  structure.slChart = null;
  renderCharts();
}

// ---- rendering -------------------------------------------------------------------------------

/** What was built for which focus and language, so boards update values instead of rebuilding. */
const structure = { map: null, table: null, slChart: null, volume: null, focusSelect: null };

function renderAll() {
  applyStaticText();
  $('lang-toggle').textContent = t('lang.toggle');
  $('lang-toggle').setAttribute('aria-label', t('lang.toggleLabel'));
  document.title = t('app.title');
  renderLogin();
  renderConnStatus();
  renderViews();
  renderUser();
  renderFocusBar();
  renderBoard();
  renderAlerts();
  agents.render();
  staffing.render();
  reports.render();
  quality.render();
}

function renderLogin() {
  renderLoginForm(model, { t, textOf });
}

function renderConnStatus() {
  const el = $('conn-status');
  el.dataset.conn = model.connStatus;
  el.textContent = t(`conn.${model.connStatus}`);
}

function renderViews() {
  const signedIn = Boolean(model.token);
  $('login-view').hidden = signedIn;
  $('connecting-view').hidden = !signedIn || Boolean(model.user);
  $('console').hidden = !signedIn || !model.user;
  $('logout').hidden = !signedIn;
  for (const tab of document.querySelectorAll('.tab')) {
    const selected = tab.dataset.tab === model.tab;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  $('board-view').hidden = model.tab !== 'board';
  $('agents-view').hidden = model.tab !== 'agents';
  $('staffing-view').hidden = model.tab !== 'staffing';
  $('reports-view').hidden = model.tab !== 'reports';
  $('quality-view').hidden = model.tab !== 'quality';
  $('knowledge-view').hidden = model.tab !== 'knowledge';
}

function renderUser() {
  $('user-box').hidden = !model.user;
  if (!model.user) return;
  setText('user-name', model.user.displayName || model.user.username);
  setText('user-role', t(`role.${model.user.role}`));
  setText('user-scope', t('user.scope', { region: regionName(model.scope) }));
}

function renderFocusBar() {
  const select = $('focus-select');
  const key = `${model.scope}|${getLang()}|${model.regions.length}`;
  if (structure.focusSelect !== key) {
    structure.focusSelect = key;
    select.replaceChildren(
      ...model.regions.map((r) => {
        const depth = depthBelow(r.code, model.scope);
        return new Option(`${'\u3000'.repeat(depth)}${pick(r.name, r.nameEn)}`, r.code);
      }),
    );
  }
  if (model.focus) select.value = model.focus;
  const parent = model.regionByCode.get(model.focus)?.parentCode;
  $('focus-up').hidden = !model.focus || model.focus === model.scope || !model.regionByCode.has(parent);
  $('board-at').textContent = model.board ? t('focus.updated', { time: clockTime(new Date(model.board.at)) }) : model.user ? t('focus.waitingBoard') : '';
}

function renderBoard() {
  renderFocusBar();
  renderTiles();
  renderMap();
  renderTable();
  renderCharts();
}

function renderTiles() {
  const f = model.board?.root;
  const value = (id, text) => {
    const el = $(id).querySelector('.tile__value');
    if (el.textContent !== text) el.textContent = text;
  };
  const none = t('common.none');
  value('tile-waiting', f ? String(f.waiting) : none);
  value('tile-longest', f ? minutesSeconds(f.longestWaitSeconds) : none);
  value('tile-sl-today', f ? percent(f.serviceLevelToday) : none);
  value('tile-sl-30m', f ? percent(f.serviceLevel30m) : none);
  value('tile-abandon', f ? percent(f.abandonmentToday) : none);
  value('tile-calls', f ? `${f.offeredToday} / ${f.answeredToday} / ${f.abandonedToday}` : none);
  value('tile-seats', f ? `${f.seatsPlanned == null ? t('tile.noPlan') : f.seatsPlanned} / ${f.seatsLoggedIn} / ${f.seatsNeeded}` : none);
  value('tile-callbacks', f ? String(f.overdueCallbacks ?? 0) : none);
  // Adherence: agents rostered for this half-hour who are signed in, of all rostered.
  value('tile-roster', f && f.rostered > 0 ? `${f.rosteredSignedIn} / ${f.rostered}` : none);
  $('tile-roster').dataset.tone = f && f.rosteredSignedIn < f.rostered ? 'warn' : 'none';
  $('tile-callbacks').dataset.tone = f && f.overdueCallbacks > 0 ? 'bad' : 'none';
  $('tile-waiting').dataset.tone = f && f.waiting > 0 ? (f.longestWaitSeconds > (model.settings?.serviceLevelThresholdSeconds ?? 15) ? 'bad' : 'warn') : 'none';
  $('tile-sl-today').dataset.sl = slTone(f?.serviceLevelToday);
  $('tile-sl-30m').dataset.sl = slTone(f?.serviceLevel30m);
  $('tile-seats').dataset.tone = f && f.seatsLoggedIn < f.seatsNeeded ? 'bad' : 'none';
  const hint = t('tile.slHint', { threshold: model.settings?.serviceLevelThresholdSeconds ?? 15, target: percent(model.settings?.targetServiceLevel ?? 0.8, 0) });
  for (const id of ['tile-sl-today', 'tile-sl-30m']) $(id).querySelector('.tile__hint').textContent = hint;

  const states = $('agent-states');
  if (states.children.length !== STATES.length || states.dataset.lang !== getLang()) {
    states.dataset.lang = getLang();
    states.replaceChildren(
      ...STATES.map((s) => {
        const li = element('li', 'state');
        li.dataset.state = s;
        li.append(element('span', 'state__count', '—'), element('span', 'state__label', t(`state.${s}`)));
        return li;
      }),
    );
  }
  for (const li of states.children) {
    const count = li.querySelector('.state__count');
    const text = f ? String(f.agents[li.dataset.state] ?? 0) : none;
    if (count.textContent !== text) count.textContent = text;
  }
}

function slOfMetric(f) {
  if (!f) return null;
  return model.mapMetric === '30m' ? f.serviceLevel30m : f.serviceLevelToday;
}

function renderMap() {
  countyMap.render({
    focus: model.focus && model.regionByCode.has(model.focus) ? model.focus : null,
    regions: model.regionByCode,
    childrenOf,
    name: regionName,
    figures: (code) => {
      const f = model.board?.regions?.[code];
      return f ? { sl: slOfMetric(f), waiting: f.waiting } : null;
    },
    metricLabel: t(`map.metric.${model.mapMetric}`),
    lang: getLang(),
  });
  renderRegionTiles();
}

/** The region tiles: the accessible list of what the map shows. */
function renderRegionTiles() {
  const container = $('region-map');
  const focus = model.focus;
  if (!focus || !model.regionByCode.has(focus)) {
    container.replaceChildren();
    structure.map = null;
    return;
  }
  const key = `${focus}|${getLang()}`;
  if (structure.map?.key !== key) {
    const tiles = new Map();
    const tile = (code, group) => {
      const b = element('button', group ? 'map-tile map-tile--group' : 'map-tile');
      b.type = 'button';
      b.dataset.code = code;
      b.append(element('span', 'map-tile__name', regionName(code)), element('span', 'map-tile__sl', '—'), element('span', 'map-tile__waiting', ''));
      b.addEventListener('click', () => focusOn(code));
      tiles.set(code, b);
      return b;
    };
    const kids = childrenOf(focus);
    const groups = kids.some((k) => childrenOf(k).length > 0) ? kids : [focus];
    const nodes = groups.map((g) => {
      const card = element('div', groups.length === 1 ? 'map-group map-group--single' : 'map-group');
      card.append(tile(g, true));
      const grid = element('div', 'map-grid');
      for (const c of childrenOf(g)) grid.append(tile(c, false));
      if (grid.children.length) card.append(grid);
      return card;
    });
    container.replaceChildren(...nodes);
    structure.map = { key, tiles };
  }
  for (const [code, el] of structure.map.tiles) {
    const f = model.board?.regions?.[code];
    const sl = slOfMetric(f);
    el.dataset.sl = f ? slTone(sl) : 'none';
    el.querySelector('.map-tile__sl').textContent = f ? percent(sl) : t('common.none');
    el.querySelector('.map-tile__waiting').textContent = f ? t('map.waiting', { n: f.waiting }) : '';
    el.dataset.waiting = f && f.waiting > 0 ? 'yes' : 'no';
    el.setAttribute('aria-label', t('map.tileLabel', { region: regionName(code), sl: percent(sl), waiting: f?.waiting ?? 0, seats: f?.seatsLoggedIn ?? 0 }));
    el.disabled = code === focus;
    el.setAttribute('aria-current', code === focus ? 'true' : 'false');
  }
}

const TABLE_COLUMNS = [
  (f) => String(f.waiting),
  (f) => minutesSeconds(f.longestWaitSeconds),
  (f) => STATES.map((s) => f.agents[s]).join(' / '),
  (f) => percent(f.serviceLevelToday),
  (f) => percent(f.serviceLevel30m),
  (f) => percent(f.abandonmentToday),
  (f) => `${f.offeredToday} / ${f.answeredToday}`,
  (f) => `${f.seatsPlanned == null ? t('common.none') : f.seatsPlanned} / ${f.seatsLoggedIn} / ${f.seatsNeeded}`,
  (f) => (f.rostered > 0 ? `${f.rosteredSignedIn} / ${f.rostered}` : t('common.none')),
];

function renderTable() {
  const body = $('region-rows');
  const focus = model.focus;
  const key = `${focus}|${getLang()}`;
  if (!focus) {
    body.replaceChildren();
    structure.table = null;
    return;
  }
  if (structure.table?.key !== key) {
    const rows = new Map();
    const nodes = subtreeOf(focus).map((code) => {
      const tr = element('tr');
      tr.dataset.code = code;
      tr.dataset.depth = String(Math.min(3, depthBelow(code, focus)));
      const th = element('th', 'region-cell');
      th.scope = 'row';
      if (childrenOf(code).length && code !== focus) {
        const link = element('button', 'link', regionName(code));
        link.type = 'button';
        link.addEventListener('click', () => focusOn(code));
        th.append(link);
      } else {
        th.textContent = regionName(code);
      }
      tr.append(th, ...TABLE_COLUMNS.map(() => element('td', 'num', t('common.none'))));
      rows.set(code, tr);
      return tr;
    });
    body.replaceChildren(...nodes);
    structure.table = { key, rows };
  }
  for (const [code, tr] of structure.table.rows) {
    const f = model.board?.regions?.[code];
    const cells = tr.querySelectorAll('td');
    TABLE_COLUMNS.forEach((col, i) => {
      const text = f ? col(f) : t('common.none');
      if (cells[i].textContent !== text) cells[i].textContent = text;
    });
    cells[3].dataset.sl = slTone(f?.serviceLevelToday);
    cells[4].dataset.sl = slTone(f?.serviceLevel30m);
    tr.dataset.waiting = f && f.waiting > 0 ? 'yes' : 'no';
  }
}

function renderCharts() {
  if (model.tab !== 'board') return;
  renderSlChart();
  renderVolumeChart();
}

function renderSlChart() {
  const report = model.report.state === 'ok' && model.report.key?.startsWith(`${model.focus}|`) ? model.report.points : null;
  const samples = model.samples.get(model.focus) ?? [];
  const key = `${model.focus}|${getLang()}|${model.report.key}|${model.report.state}|${samples.length}|${samples[samples.length - 1]?.t ?? 0}`;
  if (structure.slChart === key) return;
  structure.slChart = key;
  const target = model.settings?.targetServiceLevel ?? 0.8;
  const series = report
    ? [{ name: t('charts.series.report'), className: 'series-report', points: report }]
    : [
        { name: t('charts.series.today'), className: 'series-today', points: samples.filter((s) => s.today != null).map((s) => ({ x: minutesOfChinaDay(s.t), y: s.today })) },
        { name: t('charts.series.30m'), className: 'series-30m', points: samples.filter((s) => s.m30 != null).map((s) => ({ x: minutesOfChinaDay(s.t), y: s.m30 })) },
      ];
  const xTicks = [0, 240, 480, 720, 960, 1200, 1440].map((m) => ({ value: m, label: `${String(Math.floor(m / 60)).padStart(2, '0')}:00` }));
  const chart = lineChart({
    label: t('charts.sl'),
    series,
    xDomain: [0, 1440],
    xTicks,
    target: { y: target, label: t('charts.target', { target: percent(target, 0) }) },
    emptyText: t('charts.slEmpty'),
  });
  $('chart-sl').replaceChildren(chart);
  $('chart-sl-note').textContent = report
    ? t('charts.slReport', { region: regionName(model.focus) })
    : model.report.state === 'noSeries'
      ? t('charts.slSamplesNoSeries')
      : model.report.state === 'empty'
        ? t('charts.slSamplesEmpty')
      : model.report.state === 'unavailable'
        ? t('charts.slSamples')
        : '';
}

function renderVolumeChart() {
  const focus = model.focus;
  const board = model.board;
  const kids = childrenOf(focus);
  const codes = kids.length ? kids : focus ? [focus] : [];
  const groups = board ? codes.map((c) => ({ label: regionName(c), values: [board.regions[c]?.offeredToday ?? 0, board.regions[c]?.answeredToday ?? 0] })) : [];
  const key = `${focus}|${getLang()}|${JSON.stringify(groups)}`;
  if (structure.volume === key) return;
  structure.volume = key;
  $('chart-volume').replaceChildren(
    barChart({
      label: t('charts.volume'),
      groups,
      series: [
        { name: t('charts.offered'), className: 'series-offered' },
        { name: t('charts.answered'), className: 'series-answered' },
      ],
      emptyText: t('charts.volumeEmpty'),
    }),
  );
}

function alertText(a) {
  switch (a.kind) {
    case 'referral_overdue':
      return t('alert.referral_overdue.text', {
        ticket: a.ticketNumber,
        kind: t(`alert.referralKind.${a.referralKind}`),
        org: a.organisation ? pick(a.organisation.nameZh, a.organisation.nameEn) : t('alert.org.unknown'),
        deadline: t(`alert.deadline.${a.deadline}`),
      });
    case 'risk_call':
      return t('alert.risk_call.text', { ticket: a.ticketNumber, topic: topicName(a.topic) || t('common.none') });
    case 'missed_call':
      return t('alert.missed_call.text', { n: a.missedBy, wait: minutesSeconds(a.waitedSeconds), topic: topicName(a.topic) });
    case 'topic_spike':
      return t('alert.topic_spike.text', { topic: topicName(a.topic), today: a.today, ratio: a.ratio, baseline: a.baseline });
    case 'target': {
      const shown = (x) => (a.metric === 'longest_wait' ? minutesSeconds(x) : a.metric.startsWith('overdue_') ? String(x) : percent(x));
      const low = a.metric === 'service_level' || a.metric === 'answer_rate';
      return t(`alert.target.${a.state}.text`, {
        metric: t(`alert.metric.${a.metric}`),
        value: shown(a.value),
        target: shown(a.target),
        direction: t(low ? 'alert.target.below' : 'alert.target.above'),
        window: a.windowMinutes ? t('alert.target.window', { n: a.windowMinutes }) : '',
      });
    }
    default:
      return '';
  }
}

function renderAlerts() {
  const list = $('alerts');
  $('alerts-empty').hidden = model.alerts.length > 0;
  list.replaceChildren(
    ...model.alerts.map((a) => {
      const li = element('li', 'alert');
      li.dataset.kind = a.kind;
      li.dataset.id = a.id;
      if (a.kind === 'target') {
        li.dataset.state = a.state;
        li.dataset.metric = a.metric;
      }
      if (a.fresh) li.dataset.fresh = 'yes';
      const head = element('div', 'alert__head');
      head.append(element('span', 'alert__kind', t(a.kind === 'target' && a.state === 'cleared' ? 'alert.target.cleared' : `alert.${a.kind}`)), element('span', 'alert__region', regionName(a.regionCode)), element('time', 'alert__time', clockTime(new Date(a.at))));
      head.querySelector('time').dateTime = a.at;
      li.append(head, element('p', 'alert__text', alertText(a)));
      return li;
    }),
  );
}

// ---- panels ----------------------------------------------------------------------------------

const context = {
  token: () => model.token,
  regions: () => model.regions,
  regionName,
  focus: () => model.focus,
  scope: () => model.scope,
  board: () => model.board,
  settings: () => model.settings,
  catalogue: () => model.catalogue,
  capabilities: () => model.capabilities ?? { monitor: [] },
  notify,
  onUnauthorised: () => signOut('login.sessionEnded'),
};
const agents = createAgentsPanel(context);
const countyMap = createCountyMap($('county-map'), { onFocus: (code) => focusOn(code) });
const staffing = createStaffingPanel(context);
const reports = createReportsPanel(context);
const quality = createQualityPanel(context);
const knowledge = createKnowledgePanel(context, { tab: $('tab-knowledge'), view: $('knowledge-view') });

// ---- start -----------------------------------------------------------------------------------

function selectTab(tab) {
  model.tab = tab;
  renderViews();
  if (tab === 'agents') agents.load();
  if (tab === 'staffing') staffing.render();
  if (tab === 'reports') reports.render();
  if (tab === 'quality') quality.load();
  if (tab === 'knowledge') knowledge.load();
  if (tab === 'board') {
    structure.slChart = null;
    structure.volume = null;
    renderCharts();
  }
}

async function init() {
  $('login-form').addEventListener('submit', onLoginSubmit);
  $('lang-toggle').addEventListener('click', () => {
    setLang(getLang() === 'zh' ? 'en' : 'zh');
    structure.map = null;
    structure.table = null;
    structure.slChart = null;
    structure.volume = null;
    renderAll();
    for (const m of model.messages) m.node.querySelector('.message__text').textContent = textOf(m.text);
  });
  $('logout').addEventListener('click', () => signOut('login.loggedOut', 'info'));
  for (const tab of document.querySelectorAll('.tab')) tab.addEventListener('click', () => selectTab(tab.dataset.tab));
  $('focus-select').addEventListener('change', (e) => focusOn(e.target.value));
  $('focus-up').addEventListener('click', () => focusOn(model.regionByCode.get(model.focus)?.parentCode));
  $('map-metric').addEventListener('change', (e) => {
    model.mapMetric = e.target.value === '30m' ? '30m' : 'today';
    renderMap();
  });
  $('alerts-clear').addEventListener('click', () => {
    model.alerts = [];
    renderAlerts();
  });
  setInterval(() => {
    if (model.user) loadReport();
  }, 60_000);
  if (model.token) connect();
  renderAll();
  if (model.token) return;
  // A tab closed and opened again: the sign-in this browser keeps gives a token back, unless it
  // belongs to someone who may not open the wallboard.
  const resumed = await resumeSession();
  if (resumed && !model.token && (resumed.user?.role === 'supervisor' || resumed.user?.role === 'admin')) startSession(resumed.token);
  else if (!model.token) $('username').focus();
}

void init();
