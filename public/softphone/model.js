// @ts-check
/**
 * Everything the desk shows is derived from one model: server frames change it, each panel's
 * render reads it. What a panel keeps for itself (the ticket form's unsaved fields, the referral
 * pre-check) stays in that panel's module.
 */

/**
 * @typedef {import('./types.js').Text} Text
 * @typedef {import('./types.js').Catalogue} Catalogue
 */

/** sessionStorage keys: they survive a reload of the tab, not its closing. */
export const STORAGE = {
  token: 'hotline.token',
  /** Survives a reload between offer.accept and call.connected, so the voice leg is still answered. */
  acceptedOffer: 'hotline.acceptedOffer',
  /** The last call's view (caller, region, history): after a reload in wrap-up the hello has the ticket but no call. */
  lastCall: 'hotline.lastCall',
};

/** @returns {Catalogue} */
export const emptyCatalogue = () => ({ topics: [], ticketTypes: [], languages: [], outcomes: [], notReadyReasons: [], matters: { art31: [], art32: [], other: [] }, departments: [] });

/**
 * @typedef {object} DeskModel
 * @property {string | null} token
 * @property {{ ws: WebSocket, helloSeen: boolean } | null} conn
 * @property {import('/common/socket.js').ConnStatus} connStatus
 * @property {number} refSeq
 * @property {Map<string, string>} pending ref → frame type, to route ack/error answers
 * @property {Map<string, number>} pingSentAt ref → Date.now(), to correct the clock from pong
 * @property {ReturnType<typeof setInterval> | null} pingTimer
 * @property {number} lastFrameAt
 * @property {ReturnType<typeof setTimeout> | null} reconnectTimer
 * @property {number} reconnectAttempt
 * @property {number} preHelloFailures
 * @property {boolean} replaced
 * @property {boolean} loggingOut
 * @property {ReturnType<typeof setTimeout> | undefined} logoutTimer
 * @property {number} clockOffsetMs server clock minus this browser's
 * @property {import('./types.js').Agent | null} agent
 * @property {Catalogue} catalogue
 * @property {Record<string, unknown> | null} settings
 * @property {import('./types.js').Capabilities | null} capabilities
 * @property {import('./types.js').StateView | null} state
 * @property {import('./types.js').OfferView | null} offer
 * @property {boolean} offerAccepted
 * @property {string | null} lastOfferId
 * @property {string | null} cancelNoticeFor
 * @property {import('./types.js').CallView | null} call
 * @property {import('./types.js').CallView | null} lastCall the call whose ticket and history stay on screen after it ends
 * @property {import('./types.js').QueueStats | null} queue
 * @property {import('./types.js').Colleague[]} directory
 * @property {boolean} ticketVisible
 * @property {import('./types.js').RegionNode | null} regions
 * @property {'idle' | 'loading' | 'loaded' | 'failed'} regionsState
 * @property {Text | null} loginNotice
 * @property {Text | null} loginError
 * @property {boolean} loginBusy
 * @property {{ key: string, params?: Record<string, string | number>, tone?: string } | null} audioStatus
 * @property {import('/common/dom.js').MessageEntry[]} messages
 */

/** What the desk knows of the agent's work: nothing, before sign-in and after sign-out. */
function signedOut() {
  return {
    agent: null,
    state: null,
    offer: null,
    offerAccepted: false,
    call: null,
    lastCall: null,
    queue: null,
    /** @type {import('./types.js').Colleague[]} */
    directory: [],
    ticketVisible: false,
    regions: null,
    regionsState: /** @type {const} */ ('idle'),
    connStatus: /** @type {const} */ ('offline'),
  };
}

/**
 * Forgets the agent's work on this page (signing out); the catalogue stays for the next sign-in.
 * @param {DeskModel} model
 */
export function forgetWork(model) {
  Object.assign(model, signedOut());
}

/**
 * @param {string | null} token the session's token, if the tab already has one
 * @returns {DeskModel}
 */
export function createModel(token) {
  return {
    token,
    conn: null,
    refSeq: 0,
    pending: new Map(),
    pingSentAt: new Map(),
    pingTimer: null,
    lastFrameAt: 0,
    reconnectTimer: null,
    reconnectAttempt: 0,
    preHelloFailures: 0,
    replaced: false,
    loggingOut: false,
    logoutTimer: undefined,
    clockOffsetMs: 0,
    catalogue: emptyCatalogue(),
    settings: null,
    capabilities: null,
    lastOfferId: null,
    cancelNoticeFor: null,
    ...signedOut(),
    loginNotice: null,
    loginError: null,
    loginBusy: false,
    audioStatus: null,
    messages: [],
  };
}

/**
 * Server time in ms: deadlines (expiresAt, wrapUpEndsAt) are on the server's clock.
 * @param {DeskModel} model
 */
export const serverNow = (model) => Date.now() + model.clockOffsetMs;

/**
 * What every panel of the desk is given: the model, the socket's send, messages, code names,
 * the voice device (null when signed out) and the layout to re-place after a panel changes.
 * @typedef {object} Desk
 * @property {DeskModel} model
 * @property {import('./labels.js').Labels} labels
 * @property {(type: string, fields?: Record<string, unknown>, options?: { quiet?: boolean }) => string | null} send
 * @property {(text: Text, tone?: import('/common/dom.js').Tone) => void} notify
 * @property {() => ReturnType<typeof import('./audio.js').createAudio> | null} audio
 * @property {() => void} renderLayout
 */
