// @ts-check
/**
 * The 12348 agent softphone: one page that signs the agent in, keeps a WebSocket to
 * /agents/ws (protocol: src/agents/gateway/protocol.ts) and shows offers, the call, the
 * ticket and the queue. Plain ES modules, no build step. This module signs in and out, takes
 * the server's frames to the panel each belongs to and renders the page; each panel is a module
 * of its own (connection, offer, call strip, transfer, ticket, referral, history, knowledge,
 * queue figures, status, shifts, layout).
 *
 * Content-Security-Policy the page needs (it has no inline script, style or event handler,
 * and loads nothing from a CDN):
 *   default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;
 *   connect-src 'self' ws: wss: https:; media-src 'self' blob:
 * - Twilio audio: the SDK talks to wss://*.twilio.com and https://*.twilio.com (signalling,
 *   insights, its sound files); `wss: https:` covers that. If connect-src is ever narrowed,
 *   keep `wss://*.twilio.com https://*.twilio.com` in it.
 * - SIP audio: connect-src must allow the PBX's wss:// URL (hello.audio.wsUrl).
 * - WebRTC media itself is not governed by CSP; the remote stream is attached as srcObject.
 */

import { applyStaticText, getLang, setLang, t } from './i18n.js';
import { createAudio, createRinger } from './audio.js';
import { createCallStrip } from './call-strip.js';
import { createConnection } from './connection.js';
import { createHistory } from './history.js';
import { mountKnowledge } from './knowledge.js';
import { createLabels, regionLabel } from './labels.js';
import { createLayout } from './layout.js';
import { createModel, emptyCatalogue, forgetWork, STORAGE } from './model.js';
import { createOfferPanel } from './offer.js';
import { createQueueFigures } from './queue.js';
import { createReferralPanel } from './referral.js';
import { createShiftsPanel } from './shifts.js';
import { createStatusPanel } from './status.js';
import { createTicketForm } from './ticket.js';
import { createTransferPanel } from './transfer.js';
import { show, textOf, timerText } from './view.js';
import { $, createMessages } from '/common/dom.js';
import { endSession, readSession, renderLoginForm, resumeSession, submitLogin, writeSession } from '/common/session.js';

/**
 * @typedef {import('./types.js').Frame} Frame
 * @typedef {import('./types.js').CallView} CallView
 * @typedef {import('./model.js').Desk} Desk
 */

/** Information goes by itself; an error stays until the agent closes it (it may need acting on). */
const MESSAGE_LIFETIME_MS = { info: 4_000, success: 4_000, warning: 8_000, error: null };
/** More than three would cover the strip; the oldest goes first. */
const MAX_MESSAGES = 3;
/** If the server neither closes nor answers a logout, sign out locally after this. */
const LOGOUT_GRACE_MS = 5_000;
const TICK_MS = 500;

const model = createModel(readSession(STORAGE.token));
const labels = createLabels(model);
const { notify } = createMessages(model, { max: MAX_MESSAGES, lifetimeMs: MESSAGE_LIFETIME_MS, textOf, t });

/** @type {ReturnType<typeof createAudio> | null} */
let audio = null;
/** @type {string | null} the audio view the device was made for */
let audioKey = null;
const ringer = createRinger();

/** @type {Desk} */
const desk = {
  model,
  labels,
  send: (type, fields, options) => connection.send(type, fields, options),
  notify,
  audio: () => audio,
  renderLayout,
};

const connection = createConnection(model, {
  handlers: () => HANDLERS,
  notify,
  onReplaced: enterReplaced,
  signOut,
  onLost: () => ticket.forgetInFlight(),
});
/** The agent's shifts on the published duty roster. */
const shifts = createShiftsPanel({ token: () => model.token });
/** Which arrangement the desk's columns take, and the work column's tabs. */
const layout = createLayout({ desk: $('desk'), tabs: $('work-tabs') });
const queue = createQueueFigures(model);
const status = createStatusPanel(desk, { beforeWrapUpEnds: () => ticket.flush() });
const history = createHistory(desk);
const ticket = createTicketForm(desk, {
  onReset: () => referral.reset(),
  onApplied: (ticketId) => void referral.load(ticketId),
  onRender: () => {
    knowledge.render();
    referral.render();
    renderLayout();
  },
});
const referral = createReferralPanel(desk, { ticket });
const transfer = createTransferPanel(desk);
const callStrip = createCallStrip(desk, { renderControls: transfer.render });
const offer = createOfferPanel(desk, {
  ringer,
  renderHistoryList: history.renderList,
  // A new call: the previous ticket is saved if the agent changed it, then put away.
  onNewCall: () => {
    ticket.flush();
    ticket.reset();
    model.ticketVisible = false;
    model.lastCall = null;
  },
  renderAll,
});
/** The knowledge base pane (knowledge.js) in the work column's 知识库 tab. */
const knowledge = mountKnowledge($('knowledge-pane'), {
  token: () => model.token,
  call: () => model.call ?? model.lastCall,
  ticket: () => {
    const current = ticket.current();
    return current ? { id: current.id, number: current.number } : null;
  },
  topicLabel: (code) => labels.catalogueLabel('topics', code),
  lang: getLang,
});

// ---- sign-in and out -------------------------------------------------------------------------

/** @param {string} token */
function startSession(token) {
  model.token = token;
  writeSession(STORAGE.token, token);
  model.replaced = false;
  model.preHelloFailures = 0;
  model.reconnectAttempt = 0;
  connection.connect();
  renderAll();
}

/**
 * Ends the session on this page: the token is dropped and the sign-in form shown.
 * @param {string} noticeKey
 * @param {string} [tone]
 */
function signOut(noticeKey, tone = 'error') {
  model.token = null;
  writeSession(STORAGE.token, null);
  // The sign-in this browser keeps ends too: a tab opened next asks for the password.
  void endSession();
  writeSession(STORAGE.acceptedOffer, null);
  writeSession(STORAGE.lastCall, null);
  connection.detach();
  clearTimeout(model.reconnectTimer ?? undefined);
  clearTimeout(model.logoutTimer);
  model.loggingOut = false;
  model.replaced = false;
  stopAudio();
  ringer.stop();
  ticket.reset();
  shifts.stop();
  forgetWork(model);
  model.loginError = tone === 'error' && noticeKey ? { key: noticeKey } : null;
  model.loginNotice = tone !== 'error' && noticeKey ? { key: noticeKey } : null;
  renderAll();
  $('username').focus();
}

function logout() {
  ticket.flush();
  if (!connection.send('logout', {}, { quiet: true })) {
    signOut('login.loggedOut', 'info');
    return;
  }
  model.loggingOut = true;
  clearTimeout(model.logoutTimer);
  model.logoutTimer = setTimeout(() => {
    if (model.loggingOut) signOut('login.loggedOut', 'info');
  }, LOGOUT_GRACE_MS);
}

/** Another login took over: stop everything and wait for the agent to take the session back. */
function enterReplaced() {
  model.replaced = true;
  connection.detach();
  clearTimeout(model.reconnectTimer ?? undefined);
  offer.clear();
  stopAudio();
  connection.setStatus('replaced');
  renderAll();
  $('reconnect').focus();
}

// ---- audio -----------------------------------------------------------------------------------

/** @param {import('./types.js').Frame['audio']} view hello's: how the page gets the caller's voice */
function ensureAudio(view) {
  const kindView = view ?? { kind: 'none' };
  const key = JSON.stringify(kindView);
  if (audio && key === audioKey) return; // a reconnect keeps the registered device
  stopAudio();
  audioKey = key;
  const device = createAudio(kindView, {
    authToken: () => model.token,
    remoteAudio: $('remote-audio'),
    onStatus: (/** @type {import('./model.js').DeskModel['audioStatus']} */ audioStatus) => {
      model.audioStatus = audioStatus;
      renderAudioStatus();
    },
  });
  audio = device;
  device.start().catch((/** @type {any} */ err) => {
    model.audioStatus = { key: 'audio.error', params: { detail: String(err?.message ?? err) }, tone: 'error' };
    renderAudioStatus();
  });
}

function stopAudio() {
  try {
    audio?.stop();
  } catch {
    // releasing audio must not block signing out
  }
  audio = null;
  audioKey = null;
  model.audioStatus = null;
}

// ---- server frames ---------------------------------------------------------------------------

/**
 * A frame without its envelope (v, type), for frames that spread a view (state, offer, stats).
 * @param {Frame} frame
 * @returns {any}
 */
function payload(frame) {
  const { v: _v, type: _type, ...rest } = frame;
  return rest;
}

/** @type {Record<string, (frame: Frame, conn: { ws: WebSocket, helloSeen: boolean }) => void>} */
const HANDLERS = {
  hello: onHello,
  state: onState,
  offer: (frame) => offer.onOffer(payload(frame)),
  'offer.cancelled': offer.onCancelled,
  'call.connected': onCallConnected,
  'call.held': callStrip.onHeld,
  'call.forwarding': callStrip.onForwarding,
  'call.forward_failed': callStrip.onForwardFailed,
  'call.ended': onCallEnded,
  'call.leg.changed': callStrip.onLegChanged,
  ticket: onTicket,
  'queue.stats': (frame) => queue.onStats(payload(frame)),
  ack: onAck,
  pong: connection.onPong,
  error: onErrorFrame,
  'session.replaced': enterReplaced,
  directory: onDirectory,
};

/**
 * The first frame of every connection: the page takes up where the agent is (an offer still
 * ringing, a call, the ticket in wrap-up), also after a reload or a reconnect.
 * @param {Frame} frame
 * @param {{ helloSeen: boolean }} conn
 */
function onHello(frame, conn) {
  conn.helloSeen = true;
  model.preHelloFailures = 0;
  model.reconnectAttempt = 0;
  model.replaced = false;
  model.clockOffsetMs = Number(frame.serverTime) - Date.now() || 0;
  model.agent = frame.agent;
  const empty = emptyCatalogue();
  const sent = frame.catalogue ?? {};
  // Field by field: a list the server left out or sent as null is an empty one, never null.
  model.catalogue = /** @type {import('./types.js').Catalogue} */ (Object.fromEntries(Object.entries(empty).map(([field, none]) => [field, sent[field] ?? none])));
  referral.catalogueChanged();
  // Before any ticket is written into the form: its selects need their options first.
  renderCatalogueSelects();
  model.settings = frame.settings ?? null;
  transfer.applyCapabilities(frame.capabilities);
  connection.setStatus('connected');

  model.state = frame.state;

  if (frame.offer) {
    const accepted = frame.offer.offerId === readSession(STORAGE.acceptedOffer);
    offer.set(frame.offer, accepted);
  } else if (model.offer) {
    offer.clear();
  }

  if (frame.call) {
    ticket.leaveOtherCall(frame.call.callId);
    adoptCall(frame.call);
  } else if (model.call) {
    model.call = null; // ended while the page was away
    audio?.hangup();
  }

  if (frame.ticket) {
    // Wrap-up after a reload: the caller's history and region come back with the ticket.
    if (!frame.call && !model.lastCall) model.lastCall = storedLastCall(frame.ticket.callId);
    ticket.apply(frame.ticket);
    model.ticketVisible = true;
  } else if (frame.call) {
    model.ticketVisible = true;
  }

  // Edits whose save was lost with the previous socket are sent again.
  ticket.resumeAutosave();

  shifts.start();
  ensureAudio(frame.audio);
  if (model.offerAccepted || model.call) audio?.callExpected();
  if (model.call) transfer.prepare();
  renderAll();
}

/** @param {Frame} frame */
function onState(frame) {
  const state = payload(frame);
  model.state = state;
  // Ringing keeps the agent reserved (and an accepted offer turns into on_call): any other
  // state means the offer is gone, even if its offer.cancelled was missed.
  if (model.offer && state.state !== 'reserved' && state.state !== 'on_call') offer.withdraw();
  if (state.state === 'wrap_up' && ticket.current()) model.ticketVisible = true;
  status.render();
  status.renderWrapup();
  ticket.render();
  tick(); // the wrap-up countdown must not wait for the next tick to show
}

/** @param {Frame} frame */
function onCallConnected(frame) {
  /** @type {CallView} */
  const call = frame.call;
  offer.clear();
  ticket.leaveOtherCall(call.callId);
  adoptCall(call);
  // A colleague asked into a call has no ticket of their own for it.
  model.ticketVisible = call.kind !== 'leg';
  audio?.callExpected();
  transfer.prepare();
  renderAll();
}

/** @param {CallView} call */
function adoptCall(call) {
  model.call = call;
  model.lastCall = call;
  writeSession(STORAGE.lastCall, JSON.stringify(call));
}

/**
 * The view of the call a ticket belongs to, kept from before a reload; null for another call.
 * @param {string | null} callId
 * @returns {CallView | null}
 */
function storedLastCall(callId) {
  try {
    const call = JSON.parse(readSession(STORAGE.lastCall) ?? 'null');
    return call && callId && call.callId === callId ? call : null;
  } catch {
    return null;
  }
}

/** Why a call ended, as the agent is told (and how loudly). */
const ENDED_MESSAGE = /** @type {Record<string, string>} */ ({ transferred: 'call.transferred', forwarded: 'call.forwarded', caller_left: 'call.callerLeft', not_reached: 'call.notReached' });

/** @param {Frame} frame */
function onCallEnded(frame) {
  // A bridge that failed after the accept ends the call before it ever connected.
  if (model.offer?.call.callId === frame.callId) offer.clear();
  if (model.call && model.call.callId !== frame.callId) return;
  model.call = null;
  audio?.hangup();
  const key = Object.hasOwn(ENDED_MESSAGE, frame.reason) ? ENDED_MESSAGE[frame.reason] : 'call.ended';
  notify({ key, params: { time: timerText(frame.talkSeconds ?? 0) } }, frame.reason === 'caller_left' || frame.reason === 'not_reached' ? 'warning' : 'info');
  renderAll();
}

/** @param {Frame} frame */
function onTicket(frame) {
  ticket.apply(frame.ticket);
  if (!model.offer) model.ticketVisible = true;
  ticket.render();
  history.render();
}

/** @param {Frame} frame */
function onAck(frame) {
  const pendingType = connection.answered(frame.ref);
  const type = frame.of ?? pendingType;
  if (type === 'ticket.save') ticket.onSaved(frame.ref);
  else if (type === 'call.transfer') notify({ key: 'transfer.sent' }, 'info');
  else if (type === 'call.interpreter') notify({ key: 'interp.sent' }, 'info');
}

/** @param {Frame} frame */
function onErrorFrame(frame) {
  const type = connection.answered(frame.ref);
  const text = { zh: frame.messageZh, en: frame.message };
  if (type === 'ticket.save') {
    ticket.onSaveRefused(frame.ref, text); // shown next to the form, where the agent is looking
    return;
  }
  notify(text, 'error');
  if (type === 'offer.accept') offer.acceptRefused();
  if (type === 'logout') {
    clearTimeout(model.logoutTimer);
    model.loggingOut = false;
  }
}

/** @param {Frame} frame */
function onDirectory(frame) {
  model.directory = (frame.agents ?? []).filter((/** @type {{ id: string }} */ a) => a.id !== model.agent?.id);
  transfer.renderDirectory();
  // Colleagues' names on a leg come from the directory.
  callStrip.renderLeg();
}

// ---- rendering -------------------------------------------------------------------------------

/** idle / ringing: status and offer beside the queue and shifts; work: call strip, ticket, tabs. */
function deskMode() {
  if (model.call || model.ticketVisible) return 'work';
  return model.offer ? 'ringing' : 'idle';
}

function renderLayout() {
  $('desk').toggleAttribute('data-busy', Boolean(model.call) || status.busy());
  layout.render(deskMode());
}

function renderAll() {
  applyStaticText();
  offer.renderTitle();
  renderLangToggle();
  connection.render();
  renderAudioStatus();
  renderLoginForm(model, { t, textOf });
  renderViews();
  renderHeader();
  renderCatalogueSelects();
  status.render();
  queue.render();
  shifts.render();
  offer.render();
  callStrip.render();
  transfer.renderKind();
  transfer.renderDirectory();
  transfer.renderRegions();
  status.renderWrapup();
  ticket.render();
  history.render();
  renderMessages();
  renderLayout();
  tick();
}

function renderLangToggle() {
  const button = $('lang-toggle');
  button.textContent = t('lang.toggle');
  button.setAttribute('aria-label', t('lang.toggleLabel'));
  button.lang = getLang() === 'zh' ? 'en' : 'zh-CN';
}

function renderAudioStatus() {
  const el = $('audio-status');
  const audioStatus = model.audioStatus;
  el.hidden = !audioStatus;
  if (!audioStatus) return;
  el.textContent = t(audioStatus.key, audioStatus.params);
  el.dataset.tone = audioStatus.tone ?? 'info';
}

function renderViews() {
  const signedIn = Boolean(model.token);
  const hasHello = Boolean(model.agent);
  show($('login-view'), !signedIn);
  show($('connecting-view'), signedIn && !hasHello && !model.replaced);
  show($('replaced'), signedIn && model.replaced);
  show($('desk'), signedIn && hasHello);
  // The desk of a replaced session shows stale data: keep it visible but out of reach.
  $('desk').inert = model.replaced;
  $('desk').classList.toggle('is-stale', model.replaced);
  show($('logout'), signedIn);
  show($('agent-box'), hasHello);
}

function renderHeader() {
  const agent = model.agent;
  let name = '';
  if (agent) {
    // The sign-in name too: it is what colleagues and supervisors know the seat by.
    name = agent.displayName && agent.displayName !== agent.username ? `${agent.displayName}（${agent.username}）` : agent.username;
  }
  $('agent-name').textContent = name;
  $('agent-region').textContent = agent ? regionLabel(agent.region) : '';
  // The top bar never wraps: a long name is cut with an ellipsis, the whole of it in the title.
  $('agent-name').title = name;
  $('agent-box').title = agent ? `${name} · ${regionLabel(agent.region)}` : '';
  // On the rota by phone: calls ring the seat phone; this page is for the tickets.
  show($('agent-remote'), Boolean(agent?.remoteSeat));
}

function renderCatalogueSelects() {
  status.renderReasons();
  ticket.renderSelects();
  transfer.renderSelects();
}

function renderMessages() {
  for (const entry of model.messages) {
    /** @type {HTMLElement} */ (entry.node.querySelector('.message__text')).textContent = textOf(/** @type {any} */ (entry.text));
    entry.node.querySelector('.message__close')?.setAttribute('aria-label', t('msg.dismiss'));
  }
}

/** Clocks and countdowns; runs twice a second so a countdown never lags a whole second. */
function tick() {
  offer.tick();
  callStrip.tick();
  status.tick();
}

// ---- wiring ----------------------------------------------------------------------------------

function wire() {
  $('login-form').addEventListener('submit', (/** @type {Event} */ event) => {
    event.preventDefault();
    ringer.unlock();
    submitLogin(model, { render: () => renderLoginForm(model, { t, textOf }), start: startSession });
  });
  $('lang-toggle').addEventListener('click', () => {
    setLang(getLang() === 'zh' ? 'en' : 'zh');
    renderAll();
  });
  $('logout').addEventListener('click', logout);
  $('reconnect').addEventListener('click', () => {
    model.replaced = false;
    model.reconnectAttempt = 0;
    model.preHelloFailures = 0;
    connection.connect();
    renderAll();
  });

  status.wire();
  offer.wire();
  callStrip.wire();
  transfer.wire();
  ticket.wire({
    onTextEdited: (field, text) => {
      if (field === 'summary') knowledge.ticketTextChanged(text);
    },
  });
  referral.wire();

  // Browsers only let audio start after a user gesture; the first one unlocks the ring tone.
  const unlock = () => ringer.unlock();
  document.addEventListener('pointerdown', unlock, { capture: true });
  document.addEventListener('keydown', unlock, { capture: true });

  // Back online: no need to wait out the back-off.
  window.addEventListener('online', () => {
    if (model.token && !model.conn && !model.replaced && model.reconnectTimer) connection.connect();
  });
  // Last chance to keep what the agent typed (a closed tab or a reload).
  window.addEventListener('pagehide', () => ticket.flush());

  setInterval(tick, TICK_MS);
}

async function boot() {
  setLang(getLang());
  wire();
  renderAll();
  if (model.token) return connection.connect();
  // A tab closed and opened again: the sign-in this browser keeps gives a token back.
  const resumed = await resumeSession();
  if (resumed && !model.token) startSession(resumed.token);
  else if (!model.token) $('username').focus();
}

void boot();
