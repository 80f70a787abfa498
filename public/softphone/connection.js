// @ts-check
/**
 * The desk's connection: the WebSocket to /agents/ws (common/socket.js does the reconnecting),
 * frames sent with a ref and their answers routed back, the heartbeat that also corrects the
 * clock, and the connection badge in the top bar.
 */

import { t } from './i18n.js';
import { $ } from '/common/dom.js';
import { createSocket, socketUrl } from '/common/socket.js';

const PROTOCOL_VERSION = 1;
/** Close codes of protocol.ts (CLOSE). */
const CLOSE = { replaced: 4001, loggedOut: 4002, unauthorised: 4003 };
const PING_INTERVAL_MS = 20_000;
/** Refs are answered at most once; unanswered ones (pings before a drop) must not pile up. */
const MAX_PENDING = 200;

/**
 * @typedef {import('./model.js').DeskModel} DeskModel
 * @typedef {import('./types.js').Frame} Frame
 */

/**
 * @param {DeskModel} model
 * @param {object} hooks
 * @param {() => Record<string, (frame: Frame, conn: { ws: WebSocket, helloSeen: boolean }) => void>} hooks.handlers
 * @param {(text: import('./types.js').Text) => void} hooks.notify
 * @param {() => void} hooks.onReplaced another page took the session over
 * @param {(noticeKey: string, tone?: string) => void} hooks.signOut
 * @param {() => void} hooks.onLost frames in flight on a lost socket will never be answered
 */
export function createConnection(model, { handlers, notify, onReplaced, signOut, onLost }) {
  const socket = createSocket(model, {
    url: () => socketUrl('/agents/ws'),
    protocolVersion: PROTOCOL_VERSION,
    handlers,
    logName: 'softphone',
    setStatus,
    onOpen: () => {
      setStatus('connected');
      socket.startPing();
    },
    onDetach: forgetUnanswered,
    onClose: (/** @type {unknown} */ _conn, /** @type {CloseEvent} */ event) => {
      if (event.code === CLOSE.replaced) return onReplaced() ?? true;
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

  function forgetUnanswered() {
    socket.stopPing();
    model.pending.clear();
    model.pingSentAt.clear();
    onLost();
  }

  /**
   * The brief says a twice-refused upgrade means "unauthorised". A server that is simply down
   * looks the same from a WebSocket, and signing an agent out mid-call because of a restart
   * would be worse, so only when the API answers (token refused, or accepted yet the desk still
   * refuses) is the agent sent to the sign-in form.
   */
  async function checkTokenAfterRefusal() {
    const token = model.token;
    setStatus('reconnecting');
    let res;
    try {
      res = await fetch('/api/auth/me', { headers: { Authorization: `Bearer ${token}` } });
    } catch {
      if (model.token === token) socket.scheduleReconnect();
      return;
    }
    if (model.token !== token || model.conn) return; // signed out or reconnected meanwhile
    if (res.status >= 500) return socket.scheduleReconnect();
    signOut(res.status === 401 ? 'login.sessionEnded' : 'login.refused');
  }

  /** @param {import('/common/socket.js').ConnStatus} status */
  function setStatus(status) {
    model.connStatus = status;
    render();
  }

  /**
   * Sends a client frame; returns its ref, or null when there is no open socket (then the
   * agent is told, unless quiet).
   * @param {string} type
   * @param {Record<string, unknown>} [fields]
   * @param {{ quiet?: boolean }} [options]
   * @returns {string | null}
   */
  function send(type, fields = {}, { quiet = false } = {}) {
    if (!socket.isOpen()) {
      if (!quiet) notify({ key: 'msg.notConnected' });
      return null;
    }
    const ref = socket.sendFrame(type, fields);
    model.pending.set(ref, type);
    if (model.pending.size > MAX_PENDING) model.pending.delete(/** @type {string} */ (model.pending.keys().next().value));
    return ref;
  }

  /**
   * The type of the frame an ack or error answers (forgotten once answered).
   * @param {string | undefined} ref
   */
  function answered(ref) {
    if (ref == null) return undefined;
    const type = model.pending.get(ref);
    model.pending.delete(ref);
    return type;
  }

  /** @param {Frame} frame */
  function onPong(frame) {
    const sentAt = frame.ref == null ? undefined : model.pingSentAt.get(frame.ref);
    if (frame.ref != null) model.pingSentAt.delete(frame.ref);
    answered(frame.ref);
    if (sentAt && Number.isFinite(frame.serverTime)) {
      // The server read its clock about half-way through the round trip.
      model.clockOffsetMs = frame.serverTime - (sentAt + Date.now()) / 2;
    }
  }

  function render() {
    const el = $('conn-status');
    el.dataset.conn = model.connStatus;
    el.textContent = t(`conn.${model.connStatus}`);
    el.title = t('conn.label');
    el.hidden = !model.token && model.connStatus === 'offline';
  }

  return { connect: socket.connect, detach: socket.detach, send, answered, onPong, setStatus, render };
}
