// @ts-check
/**
 * Audio for the agent softphone: the ringing tone, and one adapter per phone system that the
 * hello frame's `audio.kind` names ('none', 'twilio', 'sip').
 *
 * The WebSocket is the source of truth for calls; an adapter only carries the voice. So every
 * adapter follows one rule: the media leg is answered only once the agent has accepted the
 * offer on the page (callExpected), and any audio failure is reported through onStatus and
 * never thrown, so the desk keeps working without voice.
 *
 * Adapter interface:
 *   start()            load the library and register; resolves even on failure
 *   callExpected()     the agent accepted an offer or is on a call: answer the leg when it rings
 *   callNotExpected()  the offer went away: refuse a leg that rings for it
 *   hold(held)         follow the page's hold button
 *   hangup()           the call ended or the agent hung up: drop the leg
 *   stop()             sign-out or session replaced: unregister and release everything
 *
 * onStatus receives { key, params?, tone } where key is an i18n key and tone 'info'|'ok'|'error'.
 */

const TWILIO_SCRIPT = '/softphone/vendor/twilio.min.js';
const SIP_MODULE = '/softphone/vendor/sip/index.js';

/** Refresh the Twilio token this long before it expires, so a slow fetch still lands in time. */
const TOKEN_REFRESH_MARGIN_S = 120;
const TOKEN_RETRY_MS = 15_000;
const SIP_RECONNECT_DELAYS_S = [2, 4, 8, 15, 30];

/**
 * The hello frame's `audio` (AudioView in src/agents/gateway/protocol.ts).
 * @typedef {{ kind: 'none' }} NoAudioView
 * @typedef {{ kind: 'twilio', tokenUrl: string }} TwilioView
 * @typedef {{ kind: 'sip', wsUrl: string, domain: string, username: string, password: string }} SipView
 * @typedef {NoAudioView | TwilioView | SipView} AudioView
 */

/**
 * @typedef {{ key: string, params?: Record<string, string | number>, tone: 'info' | 'ok' | 'error' }} AudioStatus
 * @typedef {(status: AudioStatus) => void} OnStatus
 * @typedef {{ authToken: () => string | null, remoteAudio: HTMLAudioElement, onStatus: OnStatus }} AudioOptions
 */

/**
 * The adapter interface above.
 * @typedef {object} AudioAdapter
 * @property {() => Promise<void>} start
 * @property {() => void} callExpected
 * @property {() => void} callNotExpected
 * @property {(held: boolean) => void} hold
 * @property {() => void} hangup
 * @property {() => void} stop
 */

/**
 * @param {AudioView | null | undefined} view
 * @param {AudioOptions} options
 * @returns {AudioAdapter}
 */
export function createAudio(view, options) {
  try {
    switch (view?.kind) {
      case 'twilio':
        return new TwilioAudio(view, options);
      case 'sip':
        return new SipAudio(view, options);
      default:
        return new NoAudio(options);
    }
  } catch (err) {
    // A constructor must not take the page down with it; fall back to no voice.
    options.onStatus({ key: 'audio.error', params: { detail: describe(err) }, tone: 'error' });
    return new NoAudio({ onStatus: () => {} });
  }
}

/** @param {any} err whatever a library threw or reported */
function describe(err) {
  if (!err) return '?';
  if (typeof err === 'string') return err;
  // Twilio errors carry a numeric code and a description that tell support what broke.
  const code = err.code ? ` (${err.code})` : '';
  return `${err.message || err.description || err.name || String(err)}${code}`;
}

/**
 * Simulator mode: the caller is simulated, there is no voice to carry.
 * @implements {AudioAdapter}
 */
class NoAudio {
  /** @param {{ onStatus: OnStatus }} options */
  constructor({ onStatus }) {
    this.onStatus = onStatus;
  }
  async start() {
    this.onStatus({ key: 'audio.none', tone: 'info' });
  }
  callExpected() {}
  callNotExpected() {}
  hold() {}
  hangup() {}
  stop() {}
}

/** @type {Map<string, Promise<void>>} */
const scriptLoads = new Map();

/**
 * Loads a classic (UMD) script once; CSP allows it because it comes from 'self'.
 * @param {string} src
 * @returns {Promise<void>}
 */
function loadScript(src) {
  if (!scriptLoads.has(src)) {
    scriptLoads.set(
      src,
      new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = src;
        script.async = true;
        script.addEventListener('load', () => resolve());
        script.addEventListener('error', () => {
          scriptLoads.delete(src); // let a later attempt try again
          reject(new Error(`could not load ${src}`));
        });
        document.head.append(script);
      }),
    );
  }
  return /** @type {Promise<void>} */ (scriptLoads.get(src));
}

/**
 * The Twilio Voice SDK (vendor/twilio.min.js) is untyped here: its Device and Call are any.
 * @implements {AudioAdapter}
 */
class TwilioAudio {
  /**
   * @param {TwilioView} view
   * @param {Pick<AudioOptions, 'authToken' | 'onStatus'>} options
   */
  constructor(view, { authToken, onStatus }) {
    this.view = view;
    this.authToken = authToken;
    this.onStatus = onStatus;
    /** @type {any} */
    this.device = null;
    /** @type {any} */
    this.pending = null; // an incoming leg not answered yet
    /** @type {any} */
    this.active = null; // the answered leg
    this.expecting = false;
    this.stopped = false;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.refreshTimer = null;
    /** @type {Promise<void> | null} */
    this.refreshing = null;
  }

  /**
   * @param {string} key
   * @param {AudioStatus['tone']} [tone]
   * @param {AudioStatus['params']} [params]
   */
  status(key, tone = 'info', params) {
    if (!this.stopped) this.onStatus({ key, params, tone });
  }

  /** @param {any} err */
  fail(err) {
    this.status('audio.error', 'error', { detail: describe(err) });
  }

  async start() {
    try {
      this.status('audio.loading');
      await loadScript(TWILIO_SCRIPT);
      const Device = /** @type {any} */ (window).Twilio?.Device;
      if (!Device) throw new Error('Twilio.Device is missing');
      const grant = await this.fetchToken();
      if (this.stopped) return;
      const device = new Device(grant.token, { codecPreferences: ['opus', 'pcmu'] });
      this.device = device;
      this.silenceBuiltInSounds(device);
      device.on('registering', () => this.status('audio.registering'));
      device.on('registered', () => this.status(this.active ? 'audio.inCall' : 'audio.ready', 'ok'));
      device.on('unregistered', () => this.status('audio.registering'));
      device.on('error', (/** @type {any} */ err) => this.fail(err));
      device.on('incoming', (/** @type {any} */ call) => this.onIncoming(call));
      device.on('tokenWillExpire', () => this.refreshToken());
      this.scheduleRefresh(grant.ttlSeconds);
      this.status('audio.registering');
      await device.register();
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * The page rings with its own tone; Twilio's would play on top of it and comes from its CDN.
   * @param {any} device
   */
  silenceBuiltInSounds(device) {
    try {
      device.audio?.incoming(false);
      device.audio?.outgoing(false);
      device.audio?.disconnect(false);
    } catch {
      // Older SDKs without these switches just keep their sounds.
    }
  }

  /** @returns {Promise<{ token: string, ttlSeconds?: number }>} */
  async fetchToken() {
    const res = await fetch(this.view.tokenUrl, { headers: { Authorization: `Bearer ${this.authToken()}` } });
    /** @type {any} */
    let body = null;
    try {
      body = await res.json();
    } catch {
      // handled below: a body without a token is a failure either way
    }
    if (!res.ok || !body?.token) {
      throw new Error(body?.message || `token request failed (HTTP ${res.status})`);
    }
    return body;
  }

  /** @param {number | undefined} ttlSeconds */
  scheduleRefresh(ttlSeconds) {
    clearTimeout(this.refreshTimer ?? undefined);
    const seconds = Math.max(30, (Number(ttlSeconds) || 3600) - TOKEN_REFRESH_MARGIN_S);
    this.refreshTimer = setTimeout(() => this.refreshToken(), seconds * 1000);
  }

  /** Both our timer and the SDK's tokenWillExpire lead here; one refresh at a time. */
  refreshToken() {
    if (this.stopped || this.refreshing) return this.refreshing;
    this.refreshing = this.fetchToken()
      .then((grant) => {
        if (this.stopped) return;
        this.device?.updateToken(grant.token);
        this.scheduleRefresh(grant.ttlSeconds);
      })
      .catch((err) => {
        this.fail(err);
        clearTimeout(this.refreshTimer ?? undefined);
        this.refreshTimer = setTimeout(() => this.refreshToken(), TOKEN_RETRY_MS);
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  /** @param {any} call the SDK's Call */
  onIncoming(call) {
    this.pending = call;
    const forget = () => {
      if (this.pending === call) this.pending = null;
      if (this.active === call) this.active = null;
      if (!this.stopped && this.device) this.status('audio.ready', 'ok');
    };
    call.on('accept', () => {
      this.active = call;
      this.status('audio.inCall', 'ok');
    });
    call.on('cancel', forget);
    call.on('disconnect', forget);
    call.on('reject', forget);
    call.on('error', (/** @type {any} */ err) => this.fail(err));
    if (this.expecting) this.answer();
    else this.status('audio.ringing');
  }

  answer() {
    const call = this.pending;
    if (!call) return;
    this.pending = null;
    try {
      call.accept();
    } catch (err) {
      this.fail(err);
    }
  }

  callExpected() {
    this.expecting = true;
    this.answer();
  }

  callNotExpected() {
    this.expecting = false;
    const call = this.pending;
    this.pending = null;
    try {
      call?.reject();
    } catch {
      // the leg may already be gone
    }
  }

  /**
   * Hold itself happens on the server (hold music); muting keeps the desk's talk private.
   * @param {boolean} held
   */
  hold(held) {
    try {
      this.active?.mute(Boolean(held));
    } catch (err) {
      this.fail(err);
    }
  }

  hangup() {
    this.expecting = false;
    try {
      this.active?.disconnect();
      this.pending?.reject();
    } catch {
      // already ended
    }
    this.active = null;
    this.pending = null;
  }

  stop() {
    this.hangup();
    this.stopped = true;
    clearTimeout(this.refreshTimer ?? undefined);
    try {
      this.device?.destroy();
    } catch {
      // nothing left to release
    }
    this.device = null;
  }
}

/**
 * SIP.js (vendor/sip) is untyped here: its SimpleUser is any.
 * @implements {AudioAdapter}
 */
class SipAudio {
  /**
   * @param {SipView} view
   * @param {Pick<AudioOptions, 'remoteAudio' | 'onStatus'>} options
   */
  constructor(view, { remoteAudio, onStatus }) {
    this.view = view;
    this.remoteAudio = remoteAudio;
    this.onStatus = onStatus;
    /** @type {any} */
    this.user = null;
    this.expecting = false;
    this.ringing = false;
    this.inCall = false;
    this.stopped = false;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.reconnectTimer = null;
    this.reconnectAttempt = 0;
  }

  /**
   * @param {string} key
   * @param {AudioStatus['tone']} [tone]
   * @param {AudioStatus['params']} [params]
   */
  status(key, tone = 'info', params) {
    if (!this.stopped) this.onStatus({ key, params, tone });
  }

  /** @param {any} err */
  fail(err) {
    this.status('audio.error', 'error', { detail: describe(err) });
  }

  async start() {
    try {
      this.status('audio.loading');
      const { Web } = await import(SIP_MODULE);
      if (this.stopped) return;
      const { wsUrl, username, domain, password } = this.view;
      this.user = new Web.SimpleUser(wsUrl, {
        aor: `sip:${username}@${domain}`,
        media: { remote: { audio: this.remoteAudio } },
        userAgentOptions: { authorizationUsername: username, authorizationPassword: password },
        delegate: this.delegate(),
      });
      await this.register();
    } catch (err) {
      this.fail(err);
    }
  }

  async register() {
    this.status('audio.registering');
    await this.user.connect();
    await this.user.register();
    this.reconnectAttempt = 0;
  }

  delegate() {
    return {
      onRegistered: () => this.status(this.inCall ? 'audio.inCall' : 'audio.ready', 'ok'),
      onUnregistered: () => this.status('audio.registering'),
      onCallReceived: () => {
        this.ringing = true;
        if (this.expecting) this.answer();
        else this.status('audio.ringing');
      },
      onCallAnswered: () => {
        this.ringing = false;
        this.inCall = true;
        this.status('audio.inCall', 'ok');
      },
      onCallHangup: () => {
        this.ringing = false;
        this.inCall = false;
        this.status('audio.ready', 'ok');
      },
      /** @param {Error | undefined} error */
      onServerDisconnect: (error) => {
        this.ringing = false;
        this.inCall = false;
        if (this.stopped) return;
        if (error) this.fail(error);
        this.status('audio.reconnecting', 'error');
        this.scheduleReconnect();
      },
    };
  }

  scheduleReconnect() {
    clearTimeout(this.reconnectTimer ?? undefined);
    const delay = SIP_RECONNECT_DELAYS_S[Math.min(this.reconnectAttempt, SIP_RECONNECT_DELAYS_S.length - 1)];
    this.reconnectAttempt += 1;
    this.reconnectTimer = setTimeout(() => {
      if (this.stopped || !this.user) return;
      this.register().catch((err) => {
        this.fail(err);
        this.scheduleReconnect();
      });
    }, delay * 1000);
  }

  answer() {
    if (!this.ringing || !this.user) return;
    this.ringing = false;
    this.user.answer().catch((/** @type {any} */ err) => this.fail(err));
  }

  callExpected() {
    this.expecting = true;
    this.answer();
  }

  callNotExpected() {
    this.expecting = false;
    if (!this.ringing || !this.user) return;
    this.ringing = false;
    this.user.decline().catch(() => {
      // the INVITE may already be cancelled by the PBX
    });
  }

  /** @param {boolean} held */
  hold(held) {
    if (!this.inCall || !this.user) return;
    (held ? this.user.hold() : this.user.unhold()).catch((/** @type {any} */ err) => this.fail(err));
  }

  hangup() {
    this.expecting = false;
    if (!this.user || !(this.inCall || this.ringing)) return;
    this.ringing = false;
    this.user.hangup().catch(() => {
      // the PBX drops the agent's leg too when the server ends the call
    });
  }

  stop() {
    this.hangup();
    this.stopped = true;
    clearTimeout(this.reconnectTimer ?? undefined);
    const user = this.user;
    this.user = null;
    if (!user) return;
    user
      .unregister()
      .catch(() => {})
      .finally(() => user.disconnect().catch(() => {}));
  }
}

/**
 * The ringing tone, made with WebAudio so no sound file is needed. Browsers keep an
 * AudioContext suspended until the user has interacted with the page, so unlock() is called
 * from the first click or key press; before that, ringing is silent rather than an error.
 */
export function createRinger() {
  /** @type {AudioContext | null} */
  let ctx = null;
  /** @type {ReturnType<typeof setInterval> | null} */
  let timer = null;

  /** @returns {AudioContext | null} */
  function context() {
    if (ctx) return ctx;
    // Older Safari names it webkitAudioContext.
    const AudioContextClass = /** @type {typeof AudioContext | undefined} */ (window.AudioContext || /** @type {any} */ (window).webkitAudioContext);
    if (!AudioContextClass) return null;
    ctx = new AudioContextClass();
    return ctx;
  }

  /**
   * @param {AudioContext} c
   * @param {number} at
   * @param {number} frequency
   * @param {number} seconds
   */
  function beep(c, at, frequency, seconds) {
    const osc = c.createOscillator();
    const gain = c.createGain();
    osc.type = 'sine';
    osc.frequency.value = frequency;
    // Short ramps avoid clicks at the start and end of each tone.
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
    gain.gain.setValueAtTime(0.25, at + seconds - 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + seconds);
    osc.connect(gain).connect(c.destination);
    osc.start(at);
    osc.stop(at + seconds + 0.01);
  }

  function ringOnce() {
    try {
      const c = context();
      if (!c) return;
      if (c.state !== 'running') {
        c.resume().catch(() => {});
        return;
      }
      const now = c.currentTime + 0.01;
      beep(c, now, 880, 0.35);
      beep(c, now + 0.45, 660, 0.35);
      beep(c, now + 0.9, 880, 0.35);
    } catch {
      // Audio blocked or unavailable: the offer is still shown on screen.
    }
  }

  return {
    unlock() {
      try {
        const c = context();
        if (c && c.state === 'suspended') c.resume().catch(() => {});
      } catch {
        // no WebAudio: nothing to unlock
      }
    },
    start() {
      if (timer) return;
      ringOnce();
      timer = setInterval(ringOnce, 3000);
    },
    stop() {
      clearInterval(timer ?? undefined);
      timer = null;
    },
    get ringing() {
      return timer !== null;
    },
  };
}
