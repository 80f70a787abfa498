/**
 * The 12348 agent softphone: one page that signs the agent in, keeps a WebSocket to
 * /agents/ws (protocol: src/agents/gateway/protocol.ts) and shows offers, the call, the
 * ticket and the queue. Plain ES module, no build step.
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

import { applyStaticText, getLang, has, pick, setLang, t } from './i18n.js';
import { createAudio, createRinger } from './audio.js';
import { createShiftsPanel } from './shifts.js';
import { createLayout } from './layout.js';
import { $, createMessages, element, pad2 } from '/common/dom.js';
import { endSession, readSession, renderLoginForm, resumeSession, submitLogin, writeSession } from '/common/session.js';
import { createSocket, socketUrl } from '/common/socket.js';
import { mountKnowledge } from './knowledge.js';

const PROTOCOL_VERSION = 1;
const TOKEN_KEY = 'hotline.token';
/** Survives a reload between offer.accept and call.connected, so the voice leg is still answered. */
const ACCEPTED_OFFER_KEY = 'hotline.acceptedOffer';
/** The last call's view (caller, region, history): after a reload in wrap-up the hello has the ticket but no call. */
const LAST_CALL_KEY = 'hotline.lastCall';

/** Close codes of protocol.ts (CLOSE). */
const CLOSE = { replaced: 4001, loggedOut: 4002, unauthorised: 4003, goingAway: 1001 };

const PING_INTERVAL_MS = 20_000;
/** Information goes by itself; an error stays until the agent closes it (it may need acting on). */
const MESSAGE_LIFETIME_MS = { info: 4_000, success: 4_000, warning: 8_000, error: null };
/** More than three would cover the strip; the oldest goes first. */
const MAX_MESSAGES = 3;
const AUTOSAVE_DELAY_MS = 5_000;
/** If the server neither closes nor answers a logout, sign out locally after this. */
const LOGOUT_GRACE_MS = 5_000;
const PHONE_NUMBER = /^\+?[0-9]{3,20}$/;
/**
 * Reasons an agent may choose (protocol NOT_READY_REASONS). The catalogue also names the ones
 * only the server sets ('login', 'missed'), which state.set refuses.
 */
const SETTABLE_REASONS = ['break', 'meal', 'training', 'other'];
const REGION_CODE = /^\d{6}$/;

/** Legal aid matters by article, as the server lists them in hello (names are in i18n.js). */
const matterGroups = () => [
  { key: 'referral.art31', codes: model.catalogue.matters.art31 },
  { key: 'referral.art32', codes: model.catalogue.matters.art32 },
  { key: 'referral.otherMatters', codes: model.catalogue.matters.other },
];
/** The ticket outcome the server sets when a referral of each kind is made. */
const REFERRAL_OUTCOME = { legal_aid: 'refer_legal_aid', mediation: 'refer_mediation', diversion: 'divert' };
/** The form of a ticket not opened yet: every ticket is a consultation until the agent picks another type. */
const EMPTY_TICKET = { type: 'consultation', topic: null, summary: '', advice: '', outcome: null, riskFlag: false };
const MAX_INCOME_YUAN = 10_000_000;
const MAX_HOUSEHOLD = 30;

// ---- model -----------------------------------------------------------------------------------

/**
 * Everything the page shows is derived from this model; frames change it, render functions
 * read it. Text that must follow the language switch is kept as a "Text": { key, params } for
 * our own strings or { zh, en } for strings the server sent.
 */
const model = {
  token: readSession(TOKEN_KEY),

  // connection
  conn: null, // { ws, helloSeen }
  connStatus: 'offline',
  refSeq: 0,
  pending: new Map(), // ref → frame type, to route ack/error answers
  pingSentAt: new Map(), // ref → Date.now(), to correct the clock from pong
  pingTimer: null,
  lastFrameAt: 0,
  reconnectTimer: null,
  reconnectAttempt: 0,
  preHelloFailures: 0,
  replaced: false,
  loggingOut: false,
  logoutTimer: null,
  clockOffsetMs: 0,

  // from the server
  agent: null,
  catalogue: { topics: [], ticketTypes: [], languages: [], outcomes: [], notReadyReasons: [], matters: { art31: [], art32: [], other: [] }, departments: [] },
  settings: null,
  state: null,
  offer: null,
  offerAccepted: false,
  lastOfferId: null,
  cancelNoticeFor: null,
  call: null,
  lastCall: null, // the call whose ticket and history stay on screen after it ends
  queue: null,
  directory: [],

  ticketVisible: false,
  regions: null,
  regionsState: 'idle', // idle | loading | loaded | failed

  loginNotice: null, // Text
  loginError: null, // Text
  loginBusy: false,
  audioStatus: null, // { key, params, tone }
  messages: [],
};

/** The ticket form's own state: which ticket it edits and what the agent changed. */
let ticketForm = freshTicketForm();

function freshTicketForm() {
  return {
    ticketId: null,
    number: null,
    callId: null,
    dirty: new Set(), // fields the agent changed since the last save the server confirmed
    inFlight: new Map(), // ref → { ticketId, values } of saves not answered yet
    autosaveTimer: null,
    savedAt: null,
    error: null, // Text
  };
}

/** The referral panel's state, for the ticket in the form (reset with it). */
let referral = freshReferral();

function freshReferral() {
  return {
    checking: false,
    sending: false,
    preview: null, // the last pre-check result, cleared when the answers change
    made: [], // referrals made for this ticket (from this page, or read back after a reload), oldest first
    loadedFor: null, // the ticket whose referrals were read from the server
    error: null, // Text
    matterLang: null, // the language the matter options were built in
    verdictShown: null, // { preview, lang } last put on screen (live regions are rebuilt only on change)
    resultKey: null,
  };
}

let audio = null;
let audioKey = null;
const ringer = createRinger();
/** The agent's shifts on the published duty roster. */
const shifts = createShiftsPanel({ token: () => model.token });
/** Which arrangement the desk's columns take, and the work column's tabs. */
const layout = createLayout({ desk: $('desk'), tabs: $('work-tabs') });


// ---- small helpers ---------------------------------------------------------------------------

function textOf(text) {
  if (!text) return '';
  if (text.key) return t(text.key, text.params);
  return pick(text.zh, text.en);
}

function show(el, visible) {
  el.hidden = !visible;
}

function setText(id, value) {
  const el = $(id);
  const text = value == null || value === '' ? t('common.none') : String(value);
  if (el.textContent !== text) el.textContent = text;
}

/** m:ss (h:mm:ss past an hour), for waits. */
function minutesSeconds(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad2(m)}:${pad2(s % 60)}` : `${m}:${pad2(s % 60)}`;
}

/** mm:ss (h:mm:ss past an hour), for the call timer. */
function timerText(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad2(m)}:${pad2(s % 60)}` : `${pad2(m)}:${pad2(s % 60)}`;
}

function clockTime(date) {
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
}

function dateText(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso ?? '');
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** Server time in ms: deadlines (expiresAt, wrapUpEndsAt) are on the server's clock. */
function serverNow() {
  return Date.now() + model.clockOffsetMs;
}

/** A code's name from the hello catalogue, in the UI language (the code itself if unknown). */
function catalogueLabel(list, code) {
  if (code == null || code === '') return '';
  const item = model.catalogue[list]?.find((l) => l.code === code);
  return item ? pick(item.zh, item.en) : code;
}

function regionLabel(region) {
  if (!region) return '';
  return pick(region.name, region.nameEn);
}

function reasonLabel(code) {
  const fromCatalogue = model.catalogue.notReadyReasons.find((l) => l.code === code);
  if (fromCatalogue) return pick(fromCatalogue.zh, fromCatalogue.en);
  return has(`reason.${code}`) ? t(`reason.${code}`) : code;
}

function stateLabel(state, reason) {
  const base = has(`state.${state}`) ? t(`state.${state}`) : state;
  return state === 'not_ready' && reason ? t('state.withReason', { state: base, reason: reasonLabel(reason) }) : base;
}

/** Replaces a select's options, keeping the chosen value when it is still offered. */
function fillSelect(select, options, placeholder) {
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

// ---- messages (#messages) --------------------------------------------------------------------

/** Shows a message for a few seconds (see createMessages). */
const { notify } = createMessages(model, { max: MAX_MESSAGES, lifetimeMs: MESSAGE_LIFETIME_MS, textOf, t });

function renderMessages() {
  for (const entry of model.messages) {
    entry.node.querySelector('.message__text').textContent = textOf(entry.text);
    entry.node.querySelector('.message__close').setAttribute('aria-label', t('msg.dismiss'));
  }
}

// ---- sign-in ---------------------------------------------------------------------------------

function onLoginSubmit(event) {
  event.preventDefault();
  ringer.unlock();
  submitLogin(model, { render: renderLogin, start: startSession });
}

function startSession(token) {
  model.token = token;
  writeSession(TOKEN_KEY, token);
  model.replaced = false;
  model.preHelloFailures = 0;
  model.reconnectAttempt = 0;
  connect();
  renderAll();
}

/** Ends the session on this page: the token is dropped and the sign-in form shown. */
function signOut(noticeKey, tone = 'error') {
  model.token = null;
  writeSession(TOKEN_KEY, null);
  // The sign-in this browser keeps ends too: a tab opened next asks for the password.
  void endSession();
  writeSession(ACCEPTED_OFFER_KEY, null);
  writeSession(LAST_CALL_KEY, null);
  detachSocket();
  clearTimeout(model.reconnectTimer);
  clearTimeout(model.logoutTimer);
  model.loggingOut = false;
  model.replaced = false;
  stopAudio();
  ringer.stop();
  clearTimeout(ticketForm.autosaveTimer);
  ticketForm = freshTicketForm();
  writeTicketFields(EMPTY_TICKET, { force: true });
  resetReferral();
  shifts.stop();
  Object.assign(model, {
    agent: null,
    state: null,
    offer: null,
    offerAccepted: false,
    call: null,
    lastCall: null,
    queue: null,
    directory: [],
    ticketVisible: false,
    regions: null,
    regionsState: 'idle',
    connStatus: 'offline',
  });
  model.loginError = tone === 'error' && noticeKey ? { key: noticeKey } : null;
  model.loginNotice = tone !== 'error' && noticeKey ? { key: noticeKey } : null;
  renderAll();
  $('username').focus();
}

// ---- WebSocket -------------------------------------------------------------------------------

const socket = createSocket(model, {
  url: () => socketUrl('/agents/ws'),
  protocolVersion: PROTOCOL_VERSION,
  handlers: () => HANDLERS,
  logName: 'softphone',
  setStatus: setConnStatus,
  onOpen: () => {
    setConnStatus('connected');
    startPing();
  },
  onDetach: forgetUnanswered,
  onClose: (_conn, event) => {
    if (event.code === CLOSE.replaced) return enterReplaced() ?? true;
    if (event.code === CLOSE.loggedOut || model.loggingOut) return signOut('login.loggedOut', 'info') ?? true;
    if (event.code === CLOSE.unauthorised) return signOut('login.sessionEnded') ?? true;
    return false;
  },
  checkToken: () => checkTokenAfterRefusal(),
  canReconnect: () => !model.replaced,
  heartbeat: {
    everyMs: PING_INTERVAL_MS,
    silenceMs: PING_INTERVAL_MS * 2 + 5_000,
    beat: () => {
      const ref = send('ping', {}, { quiet: true });
      if (ref) model.pingSentAt.set(ref, Date.now());
    },
  },
});
const { connect, scheduleReconnect, startPing, stopPing } = socket;
/** Lets go of the current socket without reacting to its close. */
const detachSocket = socket.detach;

/** Frames sent on a lost socket will never be answered; their edits stay marked unsaved. */
function forgetUnanswered() {
  stopPing();
  model.pending.clear();
  model.pingSentAt.clear();
  if (ticketForm.inFlight.size) {
    ticketForm.inFlight.clear();
    renderTicket();
  }
}

/**
 * The brief says a twice-refused upgrade means "unauthorised". A server that is simply down
 * looks the same from a WebSocket, and signing an agent out mid-call because of a restart
 * would be worse, so only when the API answers (token refused, or accepted yet the desk still
 * refuses) is the agent sent to the sign-in form.
 */
async function checkTokenAfterRefusal() {
  const token = model.token;
  setConnStatus('reconnecting');
  let res;
  try {
    res = await fetch('/api/auth/me', { headers: { Authorization: `Bearer ${token}` } });
  } catch {
    if (model.token === token) scheduleReconnect();
    return;
  }
  if (model.token !== token || model.conn) return; // signed out or reconnected meanwhile
  if (res.status >= 500) return scheduleReconnect();
  signOut(res.status === 401 ? 'login.sessionEnded' : 'login.refused');
}

function setConnStatus(status) {
  model.connStatus = status;
  renderConnStatus();
}

/**
 * Sends a client frame; returns its ref, or null when there is no open socket (then the
 * agent is told, unless quiet).
 */
function send(type, fields = {}, { quiet = false } = {}) {
  if (!socket.isOpen()) {
    if (!quiet) notify({ key: 'msg.notConnected' });
    return null;
  }
  const ref = socket.sendFrame(type, fields);
  model.pending.set(ref, type);
  // Refs are answered at most once; unanswered ones (pings before a drop) must not pile up.
  if (model.pending.size > 200) model.pending.delete(model.pending.keys().next().value);
  return ref;
}

// ---- server frames ---------------------------------------------------------------------------

/** A frame without its envelope (v, type), for frames that spread a view (state, offer, stats). */
function payload(frame) {
  const { v: _v, type: _type, ...rest } = frame;
  return rest;
}

const HANDLERS = {
  hello: onHello,
  state: onState,
  offer: onOffer,
  'offer.cancelled': onOfferCancelled,
  'call.connected': onCallConnected,
  'call.held': onCallHeld,
  'call.forwarding': onCallForwarding,
  'call.forward_failed': onCallForwardFailed,
  'call.ended': onCallEnded,
  'call.leg.changed': onCallLeg,
  ticket: onTicket,
  'queue.stats': onQueueStats,
  ack: onAck,
  pong: onPong,
  error: onErrorFrame,
  'session.replaced': onSessionReplaced,
  directory: onDirectory,
};

function onHello(frame, conn) {
  conn.helloSeen = true;
  model.preHelloFailures = 0;
  model.reconnectAttempt = 0;
  model.replaced = false;
  model.clockOffsetMs = Number(frame.serverTime) - Date.now() || 0;
  model.agent = frame.agent;
  model.catalogue = {
    topics: frame.catalogue?.topics ?? [],
    ticketTypes: frame.catalogue?.ticketTypes ?? [],
    languages: frame.catalogue?.languages ?? [],
    outcomes: frame.catalogue?.outcomes ?? [],
    notReadyReasons: frame.catalogue?.notReadyReasons ?? [],
    matters: frame.catalogue?.matters ?? { art31: [], art32: [], other: [] },
    departments: frame.catalogue?.departments ?? [],
  };
  // A new catalogue: the matter list is rebuilt on the next render, the departments now.
  referral.matterLang = null;
  $('referral-departments').replaceChildren(...model.catalogue.departments.map((name) => new Option(name, name)));
  // Before any ticket is written into the form: its selects need their options first.
  renderCatalogueSelects();
  model.settings = frame.settings ?? null;
  applyCapabilities(frame.capabilities);
  setConnStatus('connected');

  model.state = frame.state;

  if (frame.offer) {
    const accepted = frame.offer.offerId === readSession(ACCEPTED_OFFER_KEY);
    setOffer(frame.offer, accepted);
  } else if (model.offer) {
    clearOffer();
  }

  if (frame.call) {
    if (ticketForm.callId && ticketForm.callId !== frame.call.callId) {
      flushTicket();
      resetTicketForm();
    }
    adoptCall(frame.call);
  } else if (model.call) {
    model.call = null; // ended while the page was away
    audio?.hangup();
  }

  if (frame.ticket) {
    // Wrap-up after a reload: the caller's history and region come back with the ticket.
    if (!frame.call && !model.lastCall) model.lastCall = storedLastCall(frame.ticket.callId);
    applyTicket(frame.ticket);
    model.ticketVisible = true;
  } else if (frame.call) {
    model.ticketVisible = true;
  }

  // Edits whose save was lost with the previous socket are sent again.
  if (ticketForm.dirty.size) scheduleAutosave();

  shifts.start();
  ensureAudio(frame.audio);
  if (model.offerAccepted || model.call) audio.callExpected();
  if (model.call) {
    requestDirectory();
    ensureRegions();
  }
  renderAll();
}

function onState(frame) {
  const state = payload(frame);
  model.state = state;
  // Ringing keeps the agent reserved (and an accepted offer turns into on_call): any other
  // state means the offer is gone, even if its offer.cancelled was missed.
  if (model.offer && state.state !== 'reserved' && state.state !== 'on_call') {
    clearOffer();
    audio?.callNotExpected();
    renderOffer();
    renderTitle();
  }
  if (state.state === 'wrap_up' && ticketForm.ticketId) model.ticketVisible = true;
  renderState();
  renderWrapup();
  renderTicket();
  tick(); // the wrap-up countdown must not wait for the next tick to show
}

function onOffer(frame) {
  setOffer(payload(frame), false);
  renderAll();
  $('accept').focus(); // Enter or Space answers
}

function setOffer(offer, accepted) {
  if (model.offer?.offerId !== offer.offerId) {
    // A new call: the previous ticket is saved if the agent changed it, then put away.
    flushTicket();
    resetTicketForm();
    model.ticketVisible = false;
    model.lastCall = null;
  }
  model.offer = offer;
  model.offerAccepted = accepted;
  model.lastOfferId = offer.offerId;
  model.cancelNoticeFor = null;
  if (accepted) ringer.stop();
  else ringer.start();
}

function clearOffer() {
  model.offer = null;
  model.offerAccepted = false;
  writeSession(ACCEPTED_OFFER_KEY, null);
  ringer.stop();
}

function onOfferCancelled(frame) {
  if (frame.offerId === model.offer?.offerId) {
    clearOffer();
    audio?.callNotExpected();
  }
  // Also when the countdown already hid the offer: the agent should learn where it went.
  if (frame.offerId === model.lastOfferId && model.cancelNoticeFor !== frame.offerId) {
    model.cancelNoticeFor = frame.offerId;
    const key = `cancelled.${frame.reason}`;
    notify(has(key) ? { key } : { key: 'cancelled.other' }, frame.reason === 'declined' ? 'info' : 'warning');
  }
  renderAll();
}

function onCallConnected(frame) {
  const call = frame.call;
  clearOffer();
  if (ticketForm.callId && ticketForm.callId !== call.callId) {
    flushTicket();
    resetTicketForm();
  }
  adoptCall(call);
  // A colleague asked into a call has no ticket of their own for it.
  model.ticketVisible = call.kind !== 'leg';
  audio?.callExpected();
  requestDirectory();
  ensureRegions();
  renderAll();
}

function adoptCall(call) {
  model.call = call;
  model.lastCall = call;
  writeSession(LAST_CALL_KEY, JSON.stringify(call));
}

/** The view of the call a ticket belongs to, kept from before a reload; null for another call. */
function storedLastCall(callId) {
  try {
    const call = JSON.parse(readSession(LAST_CALL_KEY) ?? 'null');
    return call && callId && call.callId === callId ? call : null;
  } catch {
    return null;
  }
}

/**
 * A second leg changed. The agent holding the call follows it on the leg panel; the colleague on
 * the leg sees their part (merged into a three-way call). A completed consult ends the holder's
 * part (call.ended follows) and hands the colleague the call (call.connected follows).
 */
function onCallLeg(frame) {
  const call = model.call;
  if (!call) return;
  if (call.callId === frame.callId) {
    const over = frame.phase === 'closed' || frame.phase === 'completed';
    model.call = { ...call, secondLeg: over ? null : frame.leg };
    if (frame.phase === 'closed' && frame.reason) notify({ key: `leg.closed.${frame.reason}` }, frame.reason === 'cancelled' || frame.reason === 'dropped' ? 'info' : 'warning');
    if (frame.phase === 'completed') notify({ key: 'leg.completed', params: { target: legTargetLabel(frame.leg) } }, 'info');
  } else if (call.kind === 'leg' && call.callId === frame.leg.legId) {
    model.call = { ...call, legState: frame.leg.state };
    if (frame.phase === 'completed') notify({ key: 'leg.handedOver' }, 'info');
  }
  renderCall();
}

/** Whom a leg reaches, as the agent reads it: a colleague's name, a region's or language's advisers, a number. */
function legTargetLabel(leg) {
  const to = leg.to ?? {};
  const agentId = leg.agentId ?? to.agentId;
  if (agentId) return model.directory.find((a) => a.id === agentId)?.displayName ?? t('common.none');
  if (to.region) return t('leg.target.region', { name: regionNameOf(to.region) });
  if (to.language) return t('leg.target.language', { name: catalogueLabel('languages', to.language) });
  return to.number ?? t('common.none');
}

function regionNameOf(code) {
  const walk = (node) => (node.code === code ? node : (node.children ?? []).map(walk).find(Boolean));
  const found = model.regions ? walk(model.regions) : null;
  return found ? regionName(found) : code;
}

function legAction(action) {
  const call = model.call;
  if (call?.secondLeg) send('call.leg', { callId: call.callId, action });
}

function onCallHeld(frame) {
  if (model.call?.callId !== frame.callId) return;
  model.call = { ...model.call, held: Boolean(frame.held) };
  renderCall();
}

// A transfer to an outside number stays the agent's call until the number answers: the agent
// knows it is being dialled, and hears the caller again if it fails.
function onCallForwarding(frame) {
  if (model.call?.callId !== frame.callId) return;
  notify({ key: 'call.forwarding', params: { number: frame.number } }, 'info');
}

function onCallForwardFailed(frame) {
  if (model.call?.callId !== frame.callId) return;
  const key = `forward.status.${frame.status}`;
  notify({ key: 'call.forwardFailed', params: { number: frame.number, reason: has(key) ? t(key) : frame.status } }, 'warning');
}

function onCallEnded(frame) {
  // A bridge that failed after the accept ends the call before it ever connected.
  if (model.offer?.call.callId === frame.callId) clearOffer();
  if (model.call && model.call.callId !== frame.callId) return;
  model.call = null;
  audio?.hangup();
  const key = frame.reason === 'transferred' ? 'call.transferred' : frame.reason === 'forwarded' ? 'call.forwarded' : frame.reason === 'caller_left' ? 'call.callerLeft' : frame.reason === 'not_reached' ? 'call.notReached' : 'call.ended';
  notify({ key, params: { time: timerText(frame.talkSeconds ?? 0) } }, frame.reason === 'caller_left' || frame.reason === 'not_reached' ? 'warning' : 'info');
  renderAll();
}

function onTicket(frame) {
  applyTicket(frame.ticket);
  if (!model.offer) model.ticketVisible = true;
  renderTicket();
  renderHistory();
}

function onQueueStats(frame) {
  model.queue = payload(frame);
  renderQueue();
}

function onAck(frame) {
  const type = frame.of ?? model.pending.get(frame.ref);
  model.pending.delete(frame.ref);
  switch (type) {
    case 'ticket.save':
      onTicketSaved(frame.ref);
      break;
    case 'call.transfer':
      notify({ key: 'transfer.sent' }, 'info');
      break;
    case 'call.interpreter':
      notify({ key: 'interp.sent' }, 'info');
      break;
    default:
      break;
  }
}

function onPong(frame) {
  const sentAt = model.pingSentAt.get(frame.ref);
  model.pingSentAt.delete(frame.ref);
  model.pending.delete(frame.ref);
  if (sentAt && Number.isFinite(frame.serverTime)) {
    // The server read its clock about half-way through the round trip.
    model.clockOffsetMs = frame.serverTime - (sentAt + Date.now()) / 2;
  }
}

function onErrorFrame(frame) {
  const type = model.pending.get(frame.ref);
  model.pending.delete(frame.ref);
  const text = { zh: frame.messageZh, en: frame.message };
  // A refused save is shown next to the form, where the agent is looking.
  if (type !== 'ticket.save') notify(text, 'error');
  switch (type) {
    case 'ticket.save':
      ticketForm.inFlight.delete(frame.ref);
      ticketForm.error = text;
      renderTicket();
      break;
    case 'offer.accept':
      // Still ringing as far as the page knows: let the agent try again or decline.
      model.offerAccepted = false;
      writeSession(ACCEPTED_OFFER_KEY, null);
      audio?.callNotExpected();
      renderOffer();
      break;
    case 'logout':
      clearTimeout(model.logoutTimer);
      model.loggingOut = false;
      break;
    default:
      break;
  }
}

function onSessionReplaced() {
  enterReplaced();
}

/** Another login took over: stop everything and wait for the agent to take the session back. */
function enterReplaced() {
  model.replaced = true;
  detachSocket();
  clearTimeout(model.reconnectTimer);
  clearOffer();
  stopAudio();
  setConnStatus('replaced');
  renderAll();
  $('reconnect').focus();
}

function onDirectory(frame) {
  model.directory = (frame.agents ?? []).filter((a) => a.id !== model.agent?.id);
  renderDirectory();
  // Colleagues' names on a leg come from the directory.
  renderLeg(model.call);
}

// ---- audio -----------------------------------------------------------------------------------

function ensureAudio(view) {
  const kindView = view ?? { kind: 'none' };
  const key = JSON.stringify(kindView);
  if (audio && key === audioKey) return; // a reconnect keeps the registered device
  stopAudio();
  audioKey = key;
  audio = createAudio(kindView, {
    authToken: () => model.token,
    remoteAudio: $('remote-audio'),
    onStatus: (status) => {
      model.audioStatus = status;
      renderAudioStatus();
    },
  });
  audio.start().catch((err) => {
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

// ---- actions ---------------------------------------------------------------------------------

function goReady() {
  send('state.set', { state: 'ready' });
}

function goNotReady() {
  const reason = $('not-ready-reason').value;
  send('state.set', reason ? { state: 'not_ready', reason } : { state: 'not_ready' });
}

function logout() {
  flushTicket();
  if (!send('logout', {}, { quiet: true })) {
    signOut('login.loggedOut', 'info');
    return;
  }
  model.loggingOut = true;
  clearTimeout(model.logoutTimer);
  model.logoutTimer = setTimeout(() => {
    if (model.loggingOut) signOut('login.loggedOut', 'info');
  }, LOGOUT_GRACE_MS);
}

function acceptOffer() {
  const offer = model.offer;
  if (!offer || model.offerAccepted) return;
  if (!send('offer.accept', { offerId: offer.offerId })) return;
  model.offerAccepted = true;
  writeSession(ACCEPTED_OFFER_KEY, offer.offerId);
  ringer.stop();
  audio?.callExpected();
  renderOffer();
  renderTitle();
}

function declineOffer() {
  const offer = model.offer;
  if (!offer || model.offerAccepted) return;
  if (!send('offer.decline', { offerId: offer.offerId })) return;
  clearOffer();
  audio?.callNotExpected();
  renderAll();
}

function toggleHold() {
  const call = model.call;
  if (!call) return;
  const hold = !call.held;
  if (send(hold ? 'call.hold' : 'call.unhold', { callId: call.callId })) audio?.hold(hold);
}

function hangup() {
  const call = model.call;
  if (!call) return;
  if (send('call.hangup', { callId: call.callId })) audio?.hangup();
}

function phoneNumber(raw) {
  // Agents copy numbers with spaces or dashes; the server wants digits only.
  const cleaned = raw.replace(/[\s\-()]/g, '');
  return PHONE_NUMBER.test(cleaned) ? cleaned : null;
}

function refuse(key, fieldId) {
  notify({ key });
  $(fieldId).focus();
}

function transfer() {
  const call = model.call;
  if (!call) return;
  const kind = $('transfer-kind').value;
  let to;
  if (kind === 'agent') {
    const agentId = $('transfer-agent').value;
    if (!agentId) return refuse('invalid.agent', 'transfer-agent');
    to = { agentId };
  } else if (kind === 'region') {
    const region = $('transfer-region').value;
    if (!REGION_CODE.test(region)) return refuse('invalid.region', 'transfer-region');
    to = { region };
  } else {
    const number = phoneNumber($('transfer-number').value);
    if (!number) return refuse('invalid.number', 'transfer-number');
    to = { number };
  }
  const mode = $('transfer-mode').value === 'consult' ? 'consult' : 'blind';
  send('call.transfer', { callId: call.callId, to, mode });
}

function inviteInterpreter() {
  const call = model.call;
  if (!call) return;
  const language = $('interpreter-language').value;
  const agentId = $('interpreter-agent').value;
  const rawNumber = $('interpreter-number').value.trim();
  let to;
  if (agentId) {
    // A colleague interprets the language chosen, or else the first they speak that the call is not in.
    const colleague = model.directory.find((a) => a.id === agentId);
    const spoken = language || (colleague?.languages ?? []).find((code) => code !== call.language);
    if (!spoken) return refuse('interp.needLanguage', 'interpreter-language');
    send('call.interpreter', { callId: call.callId, to: { agentId }, language: spoken });
    return;
  } else if (language && !rawNumber) {
    to = { language };
  } else if (rawNumber) {
    const number = phoneNumber(rawNumber);
    if (!number) return refuse('invalid.number', 'interpreter-number');
    to = { number };
  } else {
    return refuse('invalid.interpreter', 'interpreter-agent');
  }
  send('call.interpreter', { callId: call.callId, to });
}

function endWrapUp(next) {
  flushTicket();
  send('wrapup.end', { next });
}

function extendWrapUp() {
  send('wrapup.extend', { seconds: 60 });
}

function requestDirectory() {
  send('directory.get', {}, { quiet: true });
}

/** The region tree for transfers, loaded once per session from the HTTP API. */
async function ensureRegions() {
  if (model.regionsState === 'loading' || model.regionsState === 'loaded') return;
  const token = model.token;
  model.regionsState = 'loading';
  renderRegions();
  try {
    const res = await fetch('/api/regions', { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
    const body = await res.json().catch(() => null);
    if (model.token !== token) return;
    if (!res.ok || !body?.tree) throw new Error(body?.message || `HTTP ${res.status}`);
    model.regions = body.tree;
    model.regionsState = 'loaded';
  } catch (err) {
    if (model.token !== token) return;
    model.regionsState = 'failed'; // tried again the next time the region list is wanted
    notify({ key: 'msg.loadFailed', params: { detail: err.message } }, 'warning');
  }
  renderRegions();
}

// ---- ticket form -----------------------------------------------------------------------------

const TICKET_INPUTS = {
  type: 'ticket-type',
  topic: 'ticket-topic',
  summary: 'ticket-summary',
  advice: 'ticket-advice',
  outcome: 'ticket-outcome',
  riskFlag: 'ticket-risk',
};

function readTicketValues() {
  return {
    type: $('ticket-type').value || null,
    topic: $('ticket-topic').value || null,
    summary: $('ticket-summary').value,
    advice: $('ticket-advice').value,
    outcome: $('ticket-outcome').value || null,
    riskFlag: $('ticket-risk').checked,
  };
}

/** Writes ticket values into the form, leaving alone the fields the agent is editing. */
function writeTicketFields(ticket, { force = false } = {}) {
  for (const [field, id] of Object.entries(TICKET_INPUTS)) {
    if (!force && ticketForm.dirty.has(field)) continue;
    const el = $(id);
    const value = ticket[field];
    if (field === 'riskFlag') {
      el.checked = Boolean(value);
    } else if (el.tagName === 'SELECT') {
      el.value = value ?? '';
      if (el.value !== (value ?? '')) el.value = ''; // a code the catalogue does not offer
    } else {
      el.value = value ?? '';
    }
  }
}

function applyTicket(ticket) {
  if (!ticket) return;
  if (ticketForm.ticketId && ticketForm.ticketId !== ticket.id) resetTicketForm();
  ticketForm.ticketId = ticket.id;
  ticketForm.number = ticket.number;
  ticketForm.callId = ticket.callId ?? ticketForm.callId;
  writeTicketFields(ticket);
  // Whatever the agent typed before the ticket existed is saved now that it can be.
  if (ticketForm.dirty.size) scheduleAutosave();
  void loadReferrals(ticket.id);
}

/** The shape POST …/referrals answers with, from a row of GET /api/referrals. */
function referralFromRow(row) {
  const organisation = row.organisation ?? (row.organisation_name || row.organisation_name_en ? { code: row.organisation_code, nameZh: row.organisation_name, nameEn: row.organisation_name_en } : null);
  return { ...row, organisation };
}

/**
 * Referrals already made for the ticket (a reload mid-call or in wrap-up): read back once per
 * ticket, so the agent sees them and does not refer the caller twice.
 */
async function loadReferrals(ticketId) {
  if (referral.loadedFor === ticketId) return;
  const state = referral;
  state.loadedFor = ticketId;
  try {
    const res = await fetch(`/api/referrals?ticketId=${encodeURIComponent(ticketId)}&limit=100`, { headers: { Authorization: `Bearer ${model.token}`, Accept: 'application/json' } });
    const body = await res.json().catch(() => null);
    if (referral !== state || ticketForm.ticketId !== ticketId) return;
    if (!res.ok || !Array.isArray(body?.items)) throw new Error(body?.messageZh && getLang() === 'zh' ? body.messageZh : body?.message || `HTTP ${res.status}`);
    const known = new Set(state.made.map((r) => r.id));
    const earlier = body.items.map(referralFromRow).filter((r) => !known.has(r.id)).reverse();
    if (!earlier.length) return;
    state.made = [...earlier, ...state.made];
    state.resultKey = null;
    renderReferral();
    renderLayout();
  } catch (err) {
    if (referral !== state) return;
    state.loadedFor = null; // read again with the next ticket frame
    notify({ key: 'msg.loadFailed', params: { detail: err.message } }, 'warning');
  }
}

function resetTicketForm() {
  clearTimeout(ticketForm.autosaveTimer);
  ticketForm = freshTicketForm();
  writeTicketFields(EMPTY_TICKET, { force: true });
  resetReferral();
}

function onTicketEdited(field) {
  ticketForm.dirty.add(field);
  ticketForm.error = null;
  renderTicket();
  scheduleAutosave();
}

function scheduleAutosave() {
  clearTimeout(ticketForm.autosaveTimer);
  const talking = model.call || model.state?.state === 'wrap_up';
  if (!talking || !ticketForm.ticketId) return;
  ticketForm.autosaveTimer = setTimeout(() => saveTicket({ quiet: true }), AUTOSAVE_DELAY_MS);
}

function saveTicket({ quiet = false } = {}) {
  clearTimeout(ticketForm.autosaveTimer);
  if (!ticketForm.ticketId) return;
  const values = readTicketValues();
  const fields = { summary: values.summary, advice: values.advice, outcome: values.outcome, riskFlag: values.riskFlag };
  // topic and type are not nullable in the protocol: an unset one is simply not sent.
  if (values.topic) fields.topic = values.topic;
  if (values.type) fields.type = values.type;
  const ref = send('ticket.save', { ticketId: ticketForm.ticketId, fields }, { quiet });
  if (!ref) return;
  ticketForm.inFlight.set(ref, { ticketId: ticketForm.ticketId, values });
  ticketForm.error = null;
  renderTicket();
}

/** Saves pending edits before the form is cleared or the agent leaves. */
function flushTicket() {
  if (ticketForm.ticketId && ticketForm.dirty.size) saveTicket({ quiet: true });
}

function onTicketSaved(ref) {
  const sent = ticketForm.inFlight.get(ref);
  ticketForm.inFlight.delete(ref);
  // A ref the form does not know belongs to a save of the previous ticket (the form was reset).
  if (ref != null && !sent) return;
  if (sent && sent.ticketId !== ticketForm.ticketId) return;
  if (sent) {
    // Fields changed again while the save was on its way stay dirty.
    const now = readTicketValues();
    for (const field of [...ticketForm.dirty]) {
      if (now[field] === sent.values[field]) ticketForm.dirty.delete(field);
    }
  }
  ticketForm.savedAt = clockTime(new Date());
  ticketForm.error = null;
  renderTicket();
}

// ---- referrals -------------------------------------------------------------------------------

/**
 * The region the ticket belongs to is the call's; the pre-check uses its hardship standard.
 * After a reload in wrap-up the page no longer has the call: the agent's region stands in for
 * the preview (the referral itself is always routed by the server from the ticket's region).
 */
function referralRegion() {
  const call = model.call ?? model.lastCall;
  if (call?.region?.code && (!ticketForm.callId || call.callId === ticketForm.callId)) return { region: call.region, fromCall: true };
  return model.agent?.region?.code ? { region: model.agent.region, fromCall: false } : null;
}

function resetReferral() {
  referral = freshReferral();
  $('referral-kind').value = 'legal_aid';
  $('referral-matter').value = '';
  for (const box of document.querySelectorAll('input.referral-group')) box.checked = false;
  for (const id of ['referral-no-fixed-income', 'referral-assistance']) $(id).checked = false;
  for (const id of ['referral-income', 'referral-household', 'referral-department', 'referral-note']) $(id).value = '';
}

/** Labels a value the way the page's language writes it ("标签：值" or "Label: value"). */
function labelled(key, value) {
  return `${t(key)}${getLang() === 'zh' ? '：' : ': '}${value}`;
}

function verdictLabel(verdict) {
  const key = `referral.verdict.${verdict}`;
  return has(key) ? t(key) : String(verdict ?? '');
}

function renderMatterOptions() {
  if (referral.matterLang === getLang()) return;
  referral.matterLang = getLang();
  const select = $('referral-matter');
  const previous = select.value;
  const nodes = [new Option(t('referral.matterChoose'), '')];
  for (const group of matterGroups()) {
    const optgroup = document.createElement('optgroup');
    optgroup.label = t(group.key);
    for (const code of group.codes) optgroup.append(new Option(t(`matter.${code}`), code));
    nodes.push(optgroup);
  }
  select.replaceChildren(...nodes);
  select.value = previous;
  if (select.value !== previous) select.value = '';
}

function renderReferral() {
  show($('referral'), model.ticketVisible && Boolean(ticketForm.ticketId));
  renderMatterOptions();
  const kind = $('referral-kind').value;
  show($('referral-legal-aid'), kind === 'legal_aid');
  show($('referral-diversion'), kind === 'diversion');
  $('referral-kind-help').textContent = t(`referral.help.${kind}`);

  const place = referralRegion();
  const regionLine = $('referral-region');
  regionLine.textContent = place?.fromCall ? t('referral.region', { name: regionLabel(place.region) }) : '';
  regionLine.hidden = !place?.fromCall;

  const check = $('referral-check');
  check.textContent = t(referral.checking ? 'referral.checking' : 'referral.check');
  check.disabled = referral.checking || !ticketForm.ticketId;
  const sendButton = $('referral-send');
  sendButton.textContent = t(referral.sending ? 'referral.sending' : 'referral.send');
  sendButton.disabled = referral.sending || !ticketForm.ticketId;

  // renderTicket runs on every keystroke in the ticket: the alert is only rewritten on change.
  const error = $('referral-error');
  const errorText = textOf(referral.error);
  if (error.textContent !== errorText) error.textContent = errorText;
  error.hidden = !referral.error;

  renderVerdict();
  renderReferralResults();
}

/** The pre-check result: rebuilt only when it or the language changes (it is a live region). */
function renderVerdict() {
  const box = $('referral-verdict');
  const preview = referral.preview;
  if (referral.verdictShown?.preview === preview && referral.verdictShown?.lang === getLang()) return;
  referral.verdictShown = { preview, lang: getLang() };
  if (!preview) {
    box.replaceChildren();
    box.hidden = true;
    delete box.dataset.verdict;
    return;
  }
  box.dataset.verdict = preview.verdict;
  const reasons = element('ul', 'verdict__reasons');
  reasons.append(...(preview.reasons ?? []).map((r) => element('li', null, pick(r.zh, r.en))));
  const facts = element('dl', 'verdict__facts');
  const fact = (key, value) => {
    const row = element('div');
    row.append(element('dt', null, t(key)), element('dd', null, value));
    facts.append(row);
  };
  fact('referral.article', t(preview.article ? `referral.article.${preview.article}` : 'referral.article.none'));
  const testKey = `referral.incomeTest.${preview.incomeTest}`;
  fact('referral.incomeTest', has(testKey) ? t(testKey) : String(preview.incomeTest ?? ''));
  if (preview.standardYuan != null) fact('referral.standard', t('referral.yuanPerMonth', { amount: preview.standardYuan }));
  if (preview.incomePerPersonYuan != null) fact('referral.perPerson', t('referral.yuanPerMonth', { amount: preview.incomePerPersonYuan }));
  box.replaceChildren(element('p', 'verdict__title', verdictLabel(preview.verdict)), reasons, facts, element('p', 'verdict__note', t('referral.verdictNote')));
  box.hidden = false;
}

/** Referrals made for this ticket, each with where it went and its status. */
function renderReferralResults() {
  const box = $('referral-result');
  const key = `${getLang()}|${referral.made.map((r) => r.id).join()}`;
  if (referral.resultKey === key) return;
  referral.resultKey = key;
  box.hidden = referral.made.length === 0;
  $('referral-list').replaceChildren(
    ...referral.made.map((r) => {
      const li = element('li', 'referral-item');
      li.dataset.kind = r.kind;
      const head = element('div', 'referral-item__head');
      const kindKey = `referral.kind.${r.kind}`;
      const diverted = r.kind === 'diversion';
      const statusKey = diverted ? 'referral.status.diverted' : `referral.status.${r.status}`;
      head.append(
        element('span', 'tag', has(kindKey) ? t(kindKey) : r.kind),
        element('span', 'referral-item__status', labelled('referral.status', has(statusKey) ? t(statusKey) : r.status)),
      );
      li.append(head);
      const to = element('p', 'referral-item__to');
      to.append(
        element('span', 'muted', labelled(diverted ? 'referral.toDepartment' : 'referral.to', '')),
        element('strong', null, diverted ? r.department ?? '' : pick(r.organisation?.nameZh, r.organisation?.nameEn)),
      );
      li.append(to);
      if (r.eligibility?.verdict) {
        const verdict = element('p', 'referral-item__verdict', verdictLabel(r.eligibility.verdict));
        verdict.dataset.verdict = r.eligibility.verdict;
        li.append(verdict);
      }
      if (r.accept_due_at) li.append(element('p', 'muted referral-item__due', labelled('referral.acceptBy', dateText(r.accept_due_at))));
      return li;
    }),
  );
}

function invalid(key, fieldId) {
  referral.error = { key };
  renderReferral();
  $(fieldId).focus();
  return null;
}

/** A number input's value: undefined when empty, NaN when it is not a number. */
function numberField(id) {
  const el = $(id);
  if (el.validity.badInput) return Number.NaN;
  const raw = el.value.trim();
  return raw === '' ? undefined : Number(raw);
}

/** The legal aid answers as the API takes them, or null (with the error shown) when invalid. */
function readEligibility() {
  const matter = $('referral-matter').value;
  if (!matter) return invalid('referral.invalid.matter', 'referral-matter');
  const income = numberField('referral-income');
  if (income !== undefined && !(Number.isFinite(income) && income >= 0 && income <= MAX_INCOME_YUAN)) return invalid('referral.invalid.income', 'referral-income');
  const household = numberField('referral-household');
  if (household !== undefined && !(Number.isInteger(household) && household >= 1 && household <= MAX_HOUSEHOLD)) {
    return invalid('referral.invalid.household', 'referral-household');
  }
  const answers = {
    matter,
    groups: [...document.querySelectorAll('input.referral-group:checked')].map((box) => box.value),
    noFixedIncome: $('referral-no-fixed-income').checked,
    receivesAssistance: $('referral-assistance').checked,
  };
  if (income !== undefined) answers.householdMonthlyIncomeYuan = income;
  if (household !== undefined) answers.householdSize = household;
  return answers;
}

/** POSTs JSON with the agent's token; resolves { ok, status, body }, rejects on a network failure. */
async function postJson(url, payload) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${model.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(payload),
  });
  const body = await res.json().catch(() => null);
  return { ok: res.ok, status: res.status, body };
}

function failureText(res) {
  const body = res.body;
  return body?.message || body?.messageZh ? { zh: body.messageZh, en: body.message } : { key: 'referral.failed', params: { status: res.status } };
}

async function checkReferralEligibility() {
  if (referral.checking || !ticketForm.ticketId) return;
  referral.error = null;
  const answers = readEligibility();
  if (!answers) return;
  const place = referralRegion();
  if (!place) return;
  const state = referral;
  state.checking = true;
  renderReferral();
  try {
    const res = await postJson('/api/legal-aid/eligibility', { regionCode: place.region.code, answers });
    if (referral !== state) return; // the ticket changed meanwhile
    if (res.ok) state.preview = res.body;
    else state.error = failureText(res);
  } catch {
    if (referral !== state) return;
    state.error = { key: 'referral.network' };
  } finally {
    state.checking = false;
  }
  renderReferral();
}

async function sendReferral() {
  if (referral.sending || !ticketForm.ticketId) return;
  referral.error = null;
  const kind = $('referral-kind').value;
  const note = $('referral-note').value.trim();
  let payload;
  if (kind === 'legal_aid') {
    const eligibility = readEligibility();
    if (!eligibility) return;
    payload = { kind, eligibility };
  } else if (kind === 'diversion') {
    const department = $('referral-department').value.trim();
    if (department.length < 2) return invalid('referral.invalid.department', 'referral-department');
    payload = { kind, department };
  } else {
    payload = { kind: 'mediation' };
  }
  if (note) payload.note = note;

  const state = referral;
  const ticketId = ticketForm.ticketId;
  state.sending = true;
  renderReferral();
  try {
    const res = await postJson(`/api/tickets/${encodeURIComponent(ticketId)}/referrals`, payload);
    if (referral !== state) return;
    if (res.status === 201 && res.body) {
      state.made.push(res.body);
      $('referral-note').value = '';
      applyReferralOutcome(res.body.kind ?? kind);
    } else {
      state.error = failureText(res);
    }
  } catch {
    if (referral !== state) return;
    state.error = { key: 'referral.network' };
  } finally {
    state.sending = false;
  }
  renderTicket(); // also renders the referral panel
}

/**
 * The server set the ticket's outcome with the referral; the form follows without counting it
 * as the agent's edit. A save already on its way still carries the old outcome, and could land
 * after the referral: then the form's values are sent once more.
 */
function applyReferralOutcome(kind) {
  const outcome = REFERRAL_OUTCOME[kind];
  const select = $('ticket-outcome');
  if (!outcome || ![...select.options].some((o) => o.value === outcome)) return;
  select.value = outcome;
  ticketForm.dirty.delete('outcome');
  const stale = [...ticketForm.inFlight.values()].some((sent) => sent.ticketId === ticketForm.ticketId && sent.values.outcome !== outcome);
  if (stale) saveTicket({ quiet: true });
}

function wireReferral() {
  $('referral-kind').addEventListener('change', () => {
    referral.error = null;
    renderReferral();
  });
  // A pre-check answers the questions as they were: changing one takes its result away.
  const onAnswers = () => {
    if (!referral.preview && !referral.error) return;
    referral.preview = null;
    referral.error = null;
    renderReferral();
  };
  $('referral-legal-aid').addEventListener('input', onAnswers);
  $('referral-legal-aid').addEventListener('change', onAnswers);
  $('referral-department').addEventListener('input', () => {
    if (!referral.error) return;
    referral.error = null;
    renderReferral();
  });
  // Enter in the income fields runs the pre-check, as the agent would expect of a form.
  for (const id of ['referral-income', 'referral-household']) {
    $(id).addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        checkReferralEligibility();
      }
    });
  }
  $('referral-check').addEventListener('click', checkReferralEligibility);
  $('referral-send').addEventListener('click', sendReferral);
}

// ---- rendering -------------------------------------------------------------------------------

/** idle / ringing: status and offer beside the queue and shifts; work: call strip, ticket, tabs. */
function deskMode() {
  if (model.call || model.ticketVisible) return 'work';
  return model.offer ? 'ringing' : 'idle';
}

function renderLayout() {
  const busy = Boolean(model.call) || ['reserved', 'on_call', 'wrap_up'].includes(model.state?.state ?? '');
  $('desk').toggleAttribute('data-busy', busy);
  layout.render(deskMode());
}

function renderAll() {
  applyStaticText();
  renderTitle();
  renderLangToggle();
  renderConnStatus();
  renderAudioStatus();
  renderLogin();
  renderViews();
  renderHeader();
  renderCatalogueSelects();
  renderState();
  renderQueue();
  shifts.render();
  renderOffer();
  renderCall();
  renderTransferKind();
  renderDirectory();
  renderRegions();
  renderWrapup();
  renderTicket();
  renderHistory();
  renderMessages();
  renderLayout();
  tick();
}

function renderTitle() {
  const ringing = model.offer && !model.offerAccepted;
  document.title = t(ringing ? 'app.titleRinging' : 'app.title');
}

function renderLangToggle() {
  const button = $('lang-toggle');
  button.textContent = t('lang.toggle');
  button.setAttribute('aria-label', t('lang.toggleLabel'));
  button.lang = getLang() === 'zh' ? 'en' : 'zh-CN';
}

function renderConnStatus() {
  const el = $('conn-status');
  el.dataset.conn = model.connStatus;
  el.textContent = t(`conn.${model.connStatus}`);
  el.title = t('conn.label');
  el.hidden = !model.token && model.connStatus === 'offline';
}

function renderAudioStatus() {
  const el = $('audio-status');
  const status = model.audioStatus;
  el.hidden = !status;
  if (!status) return;
  el.textContent = t(status.key, status.params);
  el.dataset.tone = status.tone ?? 'info';
}

function renderLogin() {
  renderLoginForm(model, { t, textOf });
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
  const options = (list) => model.catalogue[list].map((l) => ({ value: l.code, label: pick(l.zh, l.en) }));
  fillSelect(
    $('not-ready-reason'),
    SETTABLE_REASONS.map((code) => ({ value: code, label: reasonLabel(code) })),
  );
  // The agent's unsaved choice survives because fillSelect keeps the selected value. The type
  // has no empty choice: every ticket has one.
  fillSelect($('ticket-type'), options('ticketTypes'));
  fillSelect($('ticket-topic'), options('topics'), t('ticket.topicNone'));
  fillSelect($('ticket-outcome'), options('outcomes'), t('ticket.outcomeNone'));
  fillSelect($('interpreter-language'), options('languages').filter((o) => o.value !== 'zh'), t('select.choose'));
}

function renderState() {
  const state = model.state;
  const code = state?.state ?? 'offline';
  const el = $('agent-state');
  el.dataset.state = code;
  el.textContent = stateLabel(code, state?.reason);
  const busy = code === 'reserved' || code === 'on_call' || code === 'wrap_up';
  $('go-ready').disabled = busy || code === 'ready';
  $('go-not-ready').disabled = busy;
  $('not-ready-reason').disabled = busy;
}

function renderQueue() {
  const q = model.queue;
  setText('queue-waiting', q?.waiting);
  setText('queue-longest', q ? minutesSeconds(q.longestWaitSeconds ?? 0) : null);
  setText('queue-ready', q?.agentsReady);
  setText('queue-estimate', q?.estimatedWaitSeconds == null ? null : minutesSeconds(q.estimatedWaitSeconds));
}

function renderOffer() {
  const offer = model.offer;
  show($('offer'), Boolean(offer));
  renderLayout();
  if (!offer) return;
  const call = offer.call;
  show($('offer-kind'), call.kind === 'callback');
  setText('offer-number', call.callerNumber);
  $('offer-number').title = call.callerNumber ?? '';
  setText('offer-region', regionLabel(call.region));
  setText('offer-language', catalogueLabel('languages', call.language));
  setText('offer-topic', catalogueLabel('topics', call.topic));
  renderHistoryList($('offer-history'), call.history, 'offer.noHistory');
  $('accept').disabled = model.offerAccepted;
  $('decline').disabled = model.offerAccepted;
  show($('offer-countdown-row'), !model.offerAccepted);
  const status = $('offer-status');
  status.textContent = model.offerAccepted ? t('offer.connecting') : '';
  status.hidden = !model.offerAccepted;
}

/**
 * Only controls the phone system can carry out are shown: a consult transfer, an interpreter or a
 * transfer to an outside number that the service would refuse as unsupported are hidden instead.
 */
function applyCapabilities(capabilities) {
  model.capabilities = capabilities ?? null;
  const can = { forward: false, consult: false, interpreter: false, ...(capabilities ?? {}) };
  show($('interpreter-panel'), can.interpreter);
  const consult = $('transfer-mode').querySelector('option[value="consult"]');
  consult.hidden = consult.disabled = !can.consult;
  if (!can.consult) $('transfer-mode').value = 'blind';
  // With blind as the only way, there is nothing to choose.
  show($('transfer-mode-field'), can.consult);
  const number = $('transfer-kind').querySelector('option[value="number"]');
  number.hidden = number.disabled = !can.forward;
  if (!can.forward && $('transfer-kind').value === 'number') {
    $('transfer-kind').value = 'agent';
    $('transfer-kind').dispatchEvent(new Event('change'));
  }
}

function renderCall() {
  const call = model.call;
  show($('call'), Boolean(call));
  renderLayout();
  const hold = $('hold');
  hold.textContent = t(call?.held ? 'call.unhold' : 'call.hold');
  hold.setAttribute('aria-pressed', String(Boolean(call?.held)));
  // One second leg at a time: no transfer or another leg while one is open.
  const busyWithLeg = Boolean(call?.secondLeg);
  for (const id of ['hold', 'hangup']) $(id).disabled = !call;
  for (const id of ['transfer', 'interpreter']) $(id).disabled = !call || busyWithLeg;
  renderLeg(call);
  if (!call) return;
  $('call').classList.toggle('is-held', Boolean(call.held));
  show($('call-held'), Boolean(call.held));
  setText('call-number', call.callerNumber);
  $('call-number').title = call.callerNumber ?? '';
  setText('call-region', regionLabel(call.region));
  setText('call-language', catalogueLabel('languages', call.language));
  setText('call-topic', catalogueLabel('topics', call.topic));
  // A callback is a promise: the agent says whether the caller was reached, or it is tried again.
  show($('callback-result'), call.kind === 'callback');
}

/** The holder's leg panel (status and the choices that apply now), or the colleague's banner on a leg. */
function renderLeg(call) {
  const leg = call?.secondLeg ?? null;
  const onLeg = call?.kind === 'leg' ? call.leg : null;
  show($('leg-panel'), Boolean(leg));
  // A colleague asked into a call neither transfers it nor brings in a third party.
  show($('transfer-panel'), Boolean(call) && !onLeg);
  if (onLeg) show($('interpreter-panel'), false);
  else applyCapabilities(model.capabilities);
  show($('leg-banner'), Boolean(onLeg));
  if (onLeg) {
    const from = model.directory.find((a) => a.id === onLeg.fromAgentId)?.displayName ?? t('common.none');
    const key = call.legState === 'merged' && onLeg.purpose === 'consult' ? 'leg.asked.merged' : `leg.asked.${onLeg.purpose}`;
    setText('leg-banner', t(key, { name: from, language: catalogueLabel('languages', call.language) }));
  }
  if (!leg) return;
  setText('leg-status', t(`leg.status.${leg.purpose}.${leg.state}`, { target: legTargetLabel(leg) }));
  const consult = leg.purpose === 'consult';
  show($('leg-complete'), consult && leg.state !== 'ringing');
  show($('leg-merge'), consult && leg.state === 'talking');
  show($('leg-cancel'), leg.state !== 'merged');
  show($('leg-drop'), leg.state === 'merged');
}

function reportCallbackResult(result) {
  const call = model.call ?? model.lastCall;
  if (!call || call.kind !== 'callback') return;
  if (send('callback.result', { callId: call.callId, result }) !== null) notify({ key: `callback.result.sent.${result}` }, 'info');
}

function renderTransferKind() {
  const kind = $('transfer-kind').value;
  show($('transfer-agent-field'), kind === 'agent');
  show($('transfer-region-field'), kind === 'region');
  show($('transfer-number-field'), kind === 'number');
}

function renderDirectory() {
  const agents = [...model.directory];
  const empty = agents.length === 0;
  const placeholder = t(empty ? 'select.noAgents' : 'select.choose');

  const readyFirst = agents.sort((a, b) => Number(b.state === 'ready') - Number(a.state === 'ready') || (a.displayName ?? '').localeCompare(b.displayName ?? ''));
  fillSelect(
    $('transfer-agent'),
    readyFirst.map((a) => ({ value: a.id, label: `${a.displayName} · ${regionLabel(a.region)} · ${stateLabel(a.state)}` })),
    placeholder,
  );

  // Colleagues who speak the caller's language are the likely interpreters: list them first.
  const callerLanguage = (model.call ?? model.lastCall)?.language;
  const speaks = (a) => Number((a.languages ?? []).includes(callerLanguage));
  const interpreters = [...agents].sort((a, b) => speaks(b) - speaks(a) || (a.displayName ?? '').localeCompare(b.displayName ?? ''));
  fillSelect(
    $('interpreter-agent'),
    interpreters.map((a) => {
      const languages = (a.languages ?? []).map((code) => catalogueLabel('languages', code)).join(getLang() === 'zh' ? '、' : ', ');
      return {
        value: a.id,
        label: `${a.displayName} · ${languages || t('common.none')} · ${stateLabel(a.state)}`,
        title: speaks(a) ? t('interp.speaksCaller') : undefined,
      };
    }),
    placeholder,
  );
}

function regionName(node) {
  return getLang() === 'zh' ? node.nameZh : node.namePinyin || node.nameZh;
}

/** Prefectures as groups, each with itself ("whole prefecture") and its counties. */
function renderRegions() {
  const select = $('transfer-region');
  const previous = select.value;
  if (model.regionsState !== 'loaded' || !model.regions) {
    const key = model.regionsState === 'failed' ? 'transfer.regionsFailed' : 'transfer.regionsLoading';
    select.replaceChildren(new Option(t(key), ''));
    return;
  }
  const nodes = [new Option(t('select.choose'), '')];
  for (const prefecture of model.regions.children ?? []) {
    const counties = prefecture.children ?? [];
    if (!counties.length) {
      nodes.push(new Option(regionName(prefecture), prefecture.code));
      continue;
    }
    const group = document.createElement('optgroup');
    group.label = regionName(prefecture);
    group.append(new Option(t('transfer.wholeRegion', { name: regionName(prefecture) }), prefecture.code));
    for (const county of counties) group.append(new Option(regionName(county), county.code));
    nodes.push(group);
  }
  select.replaceChildren(...nodes);
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
}

function renderWrapup() {
  show($('wrapup'), model.state?.state === 'wrap_up');
}

function renderTicket() {
  knowledge?.render();
  show($('ticket-form'), model.ticketVisible);
  $('ticket-number').textContent = ticketForm.number ?? (ticketForm.ticketId ? '' : t('ticket.pending'));
  $('ticket-save').disabled = !ticketForm.ticketId;
  const saved = $('ticket-saved');
  saved.textContent = ticketForm.savedAt ? t('ticket.saved', { time: ticketForm.savedAt }) : '';
  saved.hidden = !ticketForm.savedAt;
  let status = '';
  if (ticketForm.inFlight.size) status = t('ticket.saving');
  else if (ticketForm.dirty.size) status = t('ticket.unsaved');
  $('ticket-status').textContent = status;
  const error = $('ticket-error');
  error.textContent = textOf(ticketForm.error);
  error.hidden = !ticketForm.error;
  renderReferral();
  renderLayout();
}

function renderHistory() {
  const call = model.lastCall;
  show($('history-panel'), model.ticketVisible && Boolean(call));
  renderHistoryList($('history'), call?.history, 'history.none');
  renderLayout();
}

function renderHistoryList(list, items, emptyKey) {
  if (!items?.length) {
    list.replaceChildren(element('li', 'history-empty', t(emptyKey)));
    return;
  }
  list.replaceChildren(
    ...items.map((item) => {
      const li = element('li', 'history-item');
      const head = element('div', 'history-item__head');
      head.append(
        element('span', 'history-item__date', dateText(item.at)),
        element('span', 'history-item__number', item.number),
        element('span', 'history-item__topic', catalogueLabel('topics', item.topic) || t('common.none')),
        element('span', 'history-item__outcome', catalogueLabel('outcomes', item.outcome) || t('common.none')),
      );
      if (item.riskFlag) head.append(element('span', 'history-item__risk', `⚠ ${t('history.risk')}`));
      li.append(head);
      if (item.summary) li.append(element('p', 'history-item__summary', item.summary));
      return li;
    }),
  );
}

/** Clocks and countdowns; runs twice a second so a countdown never lags a whole second. */
function tick() {
  const now = serverNow();
  const offer = model.offer;
  if (offer) {
    const left = Math.ceil((offer.expiresAt - now) / 1000);
    if (!model.offerAccepted && left <= 0) {
      // The server's offer.cancelled may be late or lost; the offer is over either way.
      clearOffer();
      audio?.callNotExpected();
      renderOffer();
      renderTitle();
    } else {
      setText('offer-countdown', Math.max(0, left));
      setText('offer-wait', minutesSeconds((now - offer.call.enqueuedAt) / 1000));
    }
  }
  if (model.call) {
    const since = model.call.answeredAt ?? now;
    setText('call-timer', timerText((now - since) / 1000));
  }
  const state = model.state;
  if (state?.state === 'wrap_up') {
    setText('wrapup-countdown', state.wrapUpEndsAt == null ? null : Math.max(0, Math.ceil((state.wrapUpEndsAt - now) / 1000)));
  }
  $('state-since').textContent = state?.since ? t('state.since', { time: minutesSeconds((now - state.since) / 1000) }) : '';
}

// ---- wiring ----------------------------------------------------------------------------------

function wire() {
  $('login-form').addEventListener('submit', onLoginSubmit);
  $('lang-toggle').addEventListener('click', () => {
    setLang(getLang() === 'zh' ? 'en' : 'zh');
    renderAll();
  });
  $('logout').addEventListener('click', logout);
  $('reconnect').addEventListener('click', () => {
    model.replaced = false;
    model.reconnectAttempt = 0;
    model.preHelloFailures = 0;
    connect();
    renderAll();
  });

  $('go-ready').addEventListener('click', goReady);
  $('go-not-ready').addEventListener('click', goNotReady);

  $('accept').addEventListener('click', acceptOffer);
  $('decline').addEventListener('click', declineOffer);

  $('hold').addEventListener('click', toggleHold);
  $('hangup').addEventListener('click', hangup);
  for (const b of document.querySelectorAll('#callback-result [data-result]')) b.addEventListener('click', () => reportCallbackResult(b.dataset.result));
  $('transfer-kind').addEventListener('change', () => {
    renderTransferKind();
    const kind = $('transfer-kind').value;
    if (kind === 'agent') requestDirectory();
    if (kind === 'region') ensureRegions();
  });
  $('transfer').addEventListener('click', transfer);
  $('interpreter').addEventListener('click', inviteInterpreter);
  for (const action of ['complete', 'merge', 'cancel', 'drop']) $(`leg-${action}`).addEventListener('click', () => legAction(action));
  // Choosing an agent and typing a number are alternatives: the last one touched wins.
  $('interpreter-agent').addEventListener('change', () => {
    if ($('interpreter-agent').value) $('interpreter-number').value = '';
  });
  $('interpreter-number').addEventListener('input', () => {
    if ($('interpreter-number').value) $('interpreter-agent').value = '';
  });

  $('wrapup-end').addEventListener('click', () => endWrapUp('ready'));
  $('wrapup-not-ready').addEventListener('click', () => endWrapUp('not_ready'));
  $('wrapup-extend').addEventListener('click', extendWrapUp);

  const form = $('ticket-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    saveTicket();
  });
  form.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
      event.preventDefault();
      saveTicket();
    }
  });
  for (const [field, id] of Object.entries(TICKET_INPUTS)) {
    const onEdit = () => {
      onTicketEdited(field);
      if (field === 'summary' || field === 'advice') document.dispatchEvent(new CustomEvent('ticket-text', { detail: { field } }));
    };
    $(id).addEventListener('input', onEdit);
    $(id).addEventListener('change', onEdit);
  }

  wireReferral();
  $('ticket-summary').addEventListener('input', () => knowledge.ticketTextChanged($('ticket-summary').value));

  // Browsers only let audio start after a user gesture; the first one unlocks the ring tone.
  const unlock = () => ringer.unlock();
  document.addEventListener('pointerdown', unlock, { capture: true });
  document.addEventListener('keydown', unlock, { capture: true });

  // Back online: no need to wait out the back-off.
  window.addEventListener('online', () => {
    if (model.token && !model.conn && !model.replaced && model.reconnectTimer) connect();
  });
  // Last chance to keep what the agent typed (a closed tab or a reload).
  window.addEventListener('pagehide', flushTicket);

  setInterval(tick, 500);
}

/** The knowledge base pane (knowledge.js) in the work column's 知识库 tab, mounted once at boot. */
let knowledge = null;

async function boot() {
  setLang(getLang());
  knowledge = mountKnowledge($('knowledge-pane'), {
    token: () => model.token,
    call: () => model.call ?? model.lastCall,
    ticket: () => (ticketForm.ticketId ? { id: ticketForm.ticketId, number: ticketForm.number } : null),
    topicLabel: (code) => catalogueLabel('topics', code),
    lang: getLang,
  });
  wire();
  renderAll();
  if (model.token) return connect();
  // A tab closed and opened again: the sign-in this browser keeps gives a token back.
  const resumed = await resumeSession();
  if (resumed && !model.token) startSession(resumed.token);
  else if (!model.token) $('username').focus();
}

void boot();
