// @ts-check
/**
 * The page's WebSocket: connects with the session token (as a subprotocol, not in the URL), reconnects with back-off, notices a
 * socket gone silent, and after two closes before any hello asks the page to check its token
 * (a refused upgrade and a server that is down look the same from a WebSocket).
 *
 * Works on the page's state object: state.token, state.conn ({ ws, helloSeen }), refSeq,
 * reconnectTimer, reconnectAttempt, preHelloFailures, pingTimer and lastFrameAt.
 */

/**
 * @typedef {'offline' | 'connecting' | 'connected' | 'reconnecting' | 'replaced'} ConnStatus
 * @typedef {{ ws: WebSocket, helloSeen: boolean }} Conn one socket; the page sets helloSeen when its hello arrives
 */

/**
 * Frames are the server's JSON; each handler knows the shape of its own type.
 * @typedef {(frame: any, conn: Conn) => void} FrameHandler
 */

/**
 * The part of the page's state the socket keeps.
 * @typedef {object} SocketState
 * @property {string | null} token
 * @property {Conn | null} conn
 * @property {ConnStatus} connStatus set by the page, through hooks.setStatus
 * @property {number} refSeq
 * @property {ReturnType<typeof setTimeout> | null} reconnectTimer
 * @property {number} reconnectAttempt
 * @property {number} preHelloFailures
 * @property {ReturnType<typeof setInterval> | null} pingTimer
 * @property {number} lastFrameAt
 */

/**
 * @typedef {object} SocketHooks
 * @property {() => string} url the socket's URL
 * @property {number} protocolVersion the v of every frame sent
 * @property {() => Record<string, FrameHandler>} handlers frame type → handler(frame, conn)
 * @property {string} logName for the console when a handler throws
 * @property {(status: 'connecting' | 'reconnecting') => void} setStatus the page sets the others
 * @property {(conn: Conn) => void} onOpen the socket opened (start the heartbeat here)
 * @property {() => void} onDetach the socket is let go of or closed: forget what it left unanswered
 * @property {(conn: Conn, event: CloseEvent) => boolean} onClose page close codes first; true when handled
 * @property {() => void} checkToken after the second close before hello
 * @property {() => boolean} [canReconnect] false stops reconnecting (e.g. a session replaced elsewhere)
 * @property {{ everyMs: number, silenceMs: number, beat: () => void }} heartbeat beat() every everyMs; a socket silent for silenceMs is dropped
 */

/** @typedef {ReturnType<typeof createSocket>} Socket */

const GOING_AWAY = 1001;
const RECONNECT_DELAYS_S = [1, 2, 4, 8, 10];

/**
 * ws(s)://this host/path — the token never goes in the URL (socketProtocols carries it).
 * @param {string} path
 */
export function socketUrl(path) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}${path}`;
}

/**
 * The subprotocols the socket asks for: the page's, and the bearer token beside it (src/auth/plugin.ts).
 * @param {string} token
 */
export function socketProtocols(token) {
  return ['hotline.v1', `bearer.${token}`];
}

/**
 * @param {SocketState} state
 * @param {SocketHooks} hooks
 */
export function createSocket(state, hooks) {
  const canReconnect = hooks.canReconnect ?? (() => true);

  function connect() {
    clearTimeout(state.reconnectTimer ?? undefined);
    state.reconnectTimer = null;
    if (!state.token) return;
    detach();
    /** @type {WebSocket} */
    let ws;
    try {
      ws = new WebSocket(hooks.url(), socketProtocols(state.token));
    } catch {
      scheduleReconnect();
      return;
    }
    /** @type {Conn} */
    const conn = { ws, helloSeen: false };
    state.conn = conn;
    hooks.setStatus(state.reconnectAttempt > 0 ? 'reconnecting' : 'connecting');
    // Events of a socket the page has already let go of are ignored (state.conn !== conn).
    ws.addEventListener('open', () => {
      if (state.conn === conn) hooks.onOpen(conn);
    });
    ws.addEventListener('message', (event) => {
      if (state.conn === conn) onRawFrame(conn, event.data);
    });
    ws.addEventListener('close', (event) => {
      if (state.conn === conn) onClose(conn, event);
    });
  }

  /** Lets go of the current socket without reacting to its close. */
  function detach() {
    const conn = state.conn;
    state.conn = null;
    hooks.onDetach();
    if (!conn) return;
    try {
      conn.ws.close(1000);
    } catch {
      // already closing
    }
  }

  /**
   * @param {Conn} conn
   * @param {CloseEvent} event
   */
  function onClose(conn, event) {
    state.conn = null;
    hooks.onDetach();
    if (hooks.onClose(conn, event)) return;
    // A refused upgrade reaches the page only as a close before any hello (1006); so does a
    // server that is down. Two in a row: the page asks the HTTP API whether the token holds.
    if (!conn.helloSeen && event.code !== GOING_AWAY) {
      state.preHelloFailures += 1;
      if (state.preHelloFailures >= 2) {
        hooks.checkToken();
        return;
      }
    }
    scheduleReconnect();
  }

  function scheduleReconnect() {
    if (!state.token || !canReconnect()) return;
    clearTimeout(state.reconnectTimer ?? undefined);
    const delay = RECONNECT_DELAYS_S[Math.min(state.reconnectAttempt, RECONNECT_DELAYS_S.length - 1)];
    state.reconnectAttempt += 1;
    hooks.setStatus('reconnecting');
    state.reconnectTimer = setTimeout(connect, delay * 1000);
  }

  function startPing() {
    stopPing();
    const { everyMs, silenceMs, beat } = hooks.heartbeat;
    state.lastFrameAt = Date.now();
    state.pingTimer = setInterval(() => {
      // A socket that has gone silent (a laptop lid, a dead NAT mapping) may never fire close.
      if (Date.now() - state.lastFrameAt > silenceMs) {
        detach();
        scheduleReconnect();
        return;
      }
      beat();
    }, everyMs);
  }

  function stopPing() {
    clearInterval(state.pingTimer ?? undefined);
    state.pingTimer = null;
  }

  function isOpen() {
    const ws = state.conn?.ws;
    return Boolean(ws && ws.readyState === WebSocket.OPEN);
  }

  /**
   * Sends a client frame on the open socket (check isOpen first); returns its ref.
   * @param {string} type
   * @param {Record<string, unknown>} [fields]
   * @returns {string}
   */
  function sendFrame(type, fields = {}) {
    state.refSeq += 1;
    const ref = String(state.refSeq);
    /** @type {Conn} */ (state.conn).ws.send(JSON.stringify({ v: hooks.protocolVersion, type, ref, ...fields }));
    return ref;
  }

  /**
   * @param {Conn} conn
   * @param {string} data the server sends text frames only
   */
  function onRawFrame(conn, data) {
    state.lastFrameAt = Date.now();
    /** @type {any} */
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object' || typeof frame.type !== 'string') return;
    const handler = hooks.handlers()[frame.type];
    if (!handler) return; // a newer server may send frames this page does not know yet
    try {
      handler(frame, conn);
    } catch (err) {
      // One bad frame must not stop the next ones from being handled.
      console.error(`${hooks.logName}: handling ${frame.type} failed`, err);
    }
  }

  return { connect, detach, scheduleReconnect, startPing, stopPing, isOpen, sendFrame };
}
