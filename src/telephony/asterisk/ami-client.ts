import { randomBytes } from 'node:crypto';
import AsteriskManager from 'asterisk-manager';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { AmiActionError, AmiNotConnectedError, AmiProtocolError, AmiTimeoutError } from './ami-errors';
import { type AmiFields, checkedFields } from './ami-fields';

/**
 * A typed, defensive wrapper around `asterisk-manager`. The library parses the AMI stream and
 * matches answers to actions; everything a long-running service needs on top is here:
 *
 * - every action has a deadline (the library waits for an answer forever);
 * - every value is checked before it is written (the library writes CR/LF as they are);
 * - answers and events are validated with zod; a malformed event is logged and dropped;
 * - reconnecting with exponential back-off capped at ~10 s, a fresh library object per
 *   connection, and a Ping watchdog that drops a link that stopped answering.
 *
 * The library's own `keepConnected()` is deliberately not used: it retries linearly up to a
 * minute, and after logging in again it replays every action queued while the link was down,
 * which for a call centre means Redirects for callers who have long moved on. Its `events`
 * flag is passed as true but means little: it writes `Event: on` where Asterisk reads
 * `Events:`, so which events arrive is decided by manager.conf's `read=` classes.
 */

type Manager = AsteriskManager.Manager;
type Frame = AsteriskManager.Frame;

export interface AmiClientOptions {
  host: string;
  port: number;
  username: string;
  secret: string;
  log: FastifyBaseLogger;
  /** Deadline for an action's answer (a list action's last event). */
  actionTimeoutMs?: number;
  /** Deadline from opening the socket to a successful login. */
  loginTimeoutMs?: number;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /**
   * How often the link is checked with Ping. A Ping without answer drops the link, unless
   * Asterisk went on sending events meanwhile (busy, not gone) — at most `latePingsTolerated`
   * times in a row.
   */
  pingIntervalMs?: number;
  latePingsTolerated?: number;
  /**
   * Actions sent and not yet answered, at most. The rest wait here, urgent ones first, rather
   * than in Asterisk's queue for the session, where an urgent one could not overtake.
   */
  maxInFlight?: number;
}

const DEFAULTS = {
  actionTimeoutMs: 5_000,
  loginTimeoutMs: 10_000,
  reconnectInitialMs: 250,
  reconnectMaxMs: 10_000,
  pingIntervalMs: 20_000,
  latePingsTolerated: 3,
  maxInFlight: 8,
};

export type AmiLinkState = 'closed' | 'connecting' | 'up';

/**
 * How an action waits for its place in the window: `urgent` before `normal` (an agent waits on
 * it); `now` is sent at once and takes no place (Ping, Logoff: they say whether the link itself
 * is alive, and must not queue behind the work it carries).
 */
export type Lane = 'now' | 'urgent' | 'normal';

/** Every answer: `Response:` plus whatever the action adds. Header names are lower-cased. */
export const AmiResponse = z.looseObject({
  response: z.string(),
  actionid: z.string().optional(),
  message: z.string().optional(),
});
export type AmiResponse = z.infer<typeof AmiResponse>;

type Done<T> = (err: Error | null, value?: T) => void;

interface Pending {
  action: string;
  fail(err: Error): void;
  /** List actions collect the events that carry their ActionID. */
  onEvent?(frame: Frame): void;
}

interface Waiting {
  id: string;
  send(): void;
}

/** How long an action Asterisk did not answer in time keeps its place in the window. */
const LATE_ANSWER_MS = 60_000;

interface Handler {
  schema: z.ZodType;
  run(event: unknown): void | Promise<void>;
}

const messageOf = (frame: unknown): string =>
  frame && typeof frame === 'object' && typeof (frame as Frame).message === 'string' ? String((frame as Frame).message) : 'no message given';

const problems = (error: z.ZodError): string[] => error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(frame)'}: ${i.message}`);

export class AmiClient {
  private readonly o: Required<Omit<AmiClientOptions, 'log'>>;
  private readonly log: FastifyBaseLogger;
  /** Distinguishes this process's ActionIDs in Asterisk's logs when several nodes take turns. */
  private readonly tag = randomBytes(3).toString('hex');
  private seq = 0;
  private manager: Manager | null = null;
  private linkState: AmiLinkState = 'closed';
  private wanted = false;
  private everUp = false;
  private attempt = 0;
  private lastError = '';
  private refused = false;
  /** Set by relogin(): the next drop and login are routine, not news for the log. */
  private planned = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private loginTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  /** When the current link last brought an event, and how many Pings in a row it answered late. */
  private eventAt = 0;
  private latePings = 0;
  /** Actions sent on this link and not yet answered, and those waiting to be sent. */
  private inFlight = 0;
  private urgentWaiting: Waiting[] = [];
  private waiting: Waiting[] = [];
  /** Set while the link is being closed (Logoff on its way): nothing more is sent on it. */
  private draining = false;
  /** Which link an action was sent on: a count reset by a drop is not decremented by it later. */
  private linkGen = 0;
  private pingOutstanding = false;
  private readonly pending = new Map<string, Pending>();
  private readonly handlers = new Map<string, Handler[]>();
  private readonly upListeners: ((info: { reconnect: boolean }) => void)[] = [];
  private readonly downListeners: ((reason: string) => void)[] = [];

  constructor(options: AmiClientOptions) {
    const { log, ...rest } = options;
    this.log = log;
    this.o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) } as Required<Omit<AmiClientOptions, 'log'>>;
  }

  get state(): AmiLinkState {
    return this.linkState;
  }

  /** An ActionID this process sent (any link): an event carrying it answers one of our own actions. */
  ownsActionId(actionId: string): boolean {
    return actionId.startsWith(`hotline-${this.tag}-`);
  }

  get connected(): boolean {
    return this.linkState === 'up';
  }

  /** The manager.conf section the client logs in as. */
  get account(): string {
    return this.o.username;
  }

  /** Asterisk refused the last login (credentials or permit/deny); cleared by the next success. */
  get loginRefused(): boolean {
    return this.refused;
  }

  /** Runs after every successful login; `reconnect` is false the first time. */
  onUp(listener: (info: { reconnect: boolean }) => void): void {
    this.upListeners.push(listener);
  }

  onDown(listener: (reason: string) => void): void {
    this.downListeners.push(listener);
  }

  /**
   * Calls `handler` for each event named `event` (case-insensitive) that `schema` accepts.
   * Header names in the event are lower-cased (`Uniqueid` → `uniqueid`).
   */
  on<S extends z.ZodType>(event: string, schema: S, handler: (event: z.infer<S>) => void | Promise<void>): void {
    const key = event.toLowerCase();
    this.handlers.set(key, [...(this.handlers.get(key) ?? []), { schema, run: handler as Handler['run'] }]);
  }

  /** Starts connecting (and keeps reconnecting) until `close()`. Returns at once. */
  open(): void {
    if (this.wanted) return;
    // Reopened while a close() is still logging off: that connection is finished with.
    if (this.manager) this.detach(this.manager, 'reopened');
    this.wanted = true;
    this.attempt = 0;
    this.connect();
  }

  /** Logs off if logged in, drops the connection and stops reconnecting. */
  async close(): Promise<void> {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const m = this.manager;
    if (!m) return;
    if (this.linkState === 'up') {
      this.failWaiting('the AMI link is being closed');
      await this.action('Logoff', {}, { timeoutMs: 1_000, lane: 'now' }).catch(() => {});
    }
    this.detach(m, 'closed by the service');
  }

  /**
   * Logs off and in again at once: a session keeps the privileges it logged in with, so this is
   * how a manager.conf fixed and reloaded meanwhile takes effect. Quiet in the log.
   */
  async relogin(reason: string): Promise<void> {
    const m = this.manager;
    if (!this.wanted || !m || this.linkState !== 'up') return;
    this.planned = true;
    this.failWaiting(`logging in again (${reason})`);
    await this.action('Logoff', {}, { timeoutMs: 1_000, lane: 'now' }).catch(() => {});
    this.attempt = 0;
    this.detach(m, reason);
  }

  /**
   * Sends one action and resolves with its answer, validated by `schema`. Rejects with
   * AmiUnsafeValueError before sending, AmiActionError on `Response: Error`, AmiTimeoutError
   * when no answer comes in time, AmiNotConnectedError when the link is (or goes) down.
   */
  async action<S extends z.ZodType = typeof AmiResponse>(
    name: string,
    fields: AmiFields = {},
    options: { timeoutMs?: number; schema?: S; onActionId?: (actionId: string) => void; lane?: Lane } = {},
  ): Promise<z.infer<S>> {
    const headers = checkedFields(name, fields);
    const schema: z.ZodType = options.schema ?? AmiResponse;
    return this.exchange<z.infer<S>>(
      name,
      headers,
      options.timeoutMs,
      (response, done) => {
        const parsed = schema.safeParse(response);
        if (parsed.success) done(null, parsed.data as z.infer<S>);
        else done(new AmiProtocolError(name, problems(parsed.error).join('; ')));
      },
      undefined,
      options.onActionId,
      options.lane ?? 'normal',
    );
  }

  /**
   * An action answered by a list of events (CoreShowChannels → CoreShowChannel… then
   * CoreShowChannelsComplete). Items `itemSchema` rejects are logged and left out.
   */
  async list<S extends z.ZodType>(
    name: string,
    fields: AmiFields,
    options: { itemEvent: string; completeEvent: string; itemSchema: S; timeoutMs?: number },
  ): Promise<z.infer<S>[]> {
    const headers = checkedFields(name, fields);
    const items: z.infer<S>[] = [];
    const item = options.itemEvent.toLowerCase();
    const complete = options.completeEvent.toLowerCase();
    return this.exchange<z.infer<S>[]>(
      name,
      headers,
      options.timeoutMs,
      // The acknowledgement (`EventList: start`) only says the items follow.
      () => {},
      (frame, done) => {
        const event = String(frame.event ?? '').toLowerCase();
        if (event === complete) return done(null, items);
        if (event !== item) return;
        const parsed = options.itemSchema.safeParse(frame);
        if (parsed.success) items.push(parsed.data as z.infer<S>);
        else this.log.warn({ action: name, event: options.itemEvent, problems: problems(parsed.error) }, 'malformed AMI list item ignored');
      },
    );
  }

  // ---- the exchange of one action ----------------------------------------------------------

  private exchange<T>(
    name: string,
    headers: Record<string, string>,
    timeoutMs: number = this.o.actionTimeoutMs,
    onResponse: (response: Frame, done: Done<T>) => void,
    onEvent?: (frame: Frame, done: Done<T>) => void,
    onActionId?: (actionId: string) => void,
    lane: Lane = 'normal',
  ): Promise<T> {
    const m = this.manager;
    if (!m || this.linkState !== 'up') return Promise.reject(new AmiNotConnectedError(name));
    if (this.draining && lane !== 'now') return Promise.reject(new AmiNotConnectedError(name, 'the AMI link is being closed'));
    // Our own ActionIDs: the library's default is the time in ms (plus a random digit when
    // taken), which says nothing in Asterisk's logs and is an event name on its emitter.
    const id = `hotline-${this.tag}-${++this.seq}`;
    // Known before anything is sent: an event carrying it (an Async Originate's response) may
    // be read in the same chunk as the answer, before the caller of action() hears the answer.
    onActionId?.(id);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let lateTimer: NodeJS.Timeout | undefined;
      // Holds one of the window's places from the write until Asterisk answers — past our own
      // deadline too: an action we gave up on is still in Asterisk's queue for the session.
      let holding = false;
      const link = this.linkGen;
      const release = () => {
        clearTimeout(lateTimer);
        if (!holding) return;
        holding = false;
        m.removeAllListeners(id);
        // A link dropped since: its count was reset with it.
        if (link !== this.linkGen) return;
        this.inFlight--;
        this.pump();
      };
      const done: Done<T> = (err, value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.pending.delete(id);
        if (err instanceof AmiTimeoutError && holding) {
          // Asterisk may still answer: its place is given back then, or after LATE_ANSWER_MS.
          lateTimer = setTimeout(release, LATE_ANSWER_MS);
          lateTimer.unref();
        } else if (holding) {
          release();
        } else {
          m.removeAllListeners(id);
        }
        if (err) reject(err);
        else resolve(value as T);
      };
      const send = (counted: boolean) => {
        if (settled) return;
        holding = counted;
        if (counted) this.inFlight++;
        // The deadline is for Asterisk's answer: time spent waiting here for a place is not its.
        timer = setTimeout(() => done(new AmiTimeoutError(name, timeoutMs)), timeoutMs);
        m.action({ action: name, actionid: id, ...headers }, (err, response) => {
          // An answer after our deadline only gives the place back.
          if (settled) return release();
          if (err) done(new AmiActionError(name, messageOf(err)));
          else if (!response || typeof response !== 'object') done(new AmiProtocolError(name, 'empty answer'));
          else onResponse(response, done);
        });
      };
      this.pending.set(id, { action: name, fail: (err) => done(err), ...(onEvent ? { onEvent: (frame: Frame) => onEvent(frame, done) } : {}) });
      if (lane === 'now') return send(false);
      (lane === 'urgent' ? this.urgentWaiting : this.waiting).push({ id, send: () => send(true) });
      this.pump();
    });
  }

  /** Sends what waits, urgent first, while fewer than maxInFlight actions await their answer. */
  private pump(): void {
    // A link going down (or being closed) fails what waits; nothing more is sent on it.
    if (!this.manager || this.linkState !== 'up' || this.draining) return;
    while (this.inFlight < this.o.maxInFlight) {
      const next = this.urgentWaiting.shift() ?? this.waiting.shift();
      if (!next) return;
      next.send();
    }
  }

  /** Fails every action still waiting for a place (the link is being closed). */
  private failWaiting(reason: string): void {
    this.draining = true;
    const waiting = [...this.urgentWaiting, ...this.waiting];
    this.urgentWaiting = [];
    this.waiting = [];
    for (const w of waiting) {
      const p = this.pending.get(w.id);
      p?.fail(new AmiNotConnectedError(p.action, reason));
    }
  }

  // ---- connection --------------------------------------------------------------------------

  private connect(): void {
    this.retryTimer = undefined;
    if (!this.wanted) return;
    // No port: the library must not connect on its own; we connect and log in explicitly.
    const m = AsteriskManager(undefined, this.o.host, this.o.username, this.o.secret, true);
    this.manager = m;
    this.linkState = 'connecting';
    m.on('error', (err: unknown) => this.noteError(m, err));
    m.on('close', () => {
      // A frame whose ActionID is "close" is emitted under that name too: believe the socket.
      if (!m.isConnected()) this.detach(m, 'connection closed');
    });
    m.on('managerevent', (frame: unknown) => this.dispatch(m, frame));
    m.on('asterisk', (frame: unknown) => {
      // The library emits every frame without `Event:` here, answers included; the rest is noise.
      if (m === this.manager && frame && typeof frame === 'object' && !('response' in frame)) {
        this.log.debug({ headers: Object.keys(frame).length }, 'AMI frame that is neither an answer nor an event ignored');
      }
    });
    this.loginTimer = setTimeout(() => {
      if (m === this.manager && this.linkState !== 'up') this.detach(m, `no login within ${this.o.loginTimeoutMs} ms`);
    }, this.o.loginTimeoutMs);
    m.connect(this.o.port, this.o.host, () => {
      if (m !== this.manager) return;
      m.login((err) => {
        if (m !== this.manager) return;
        clearTimeout(this.loginTimer);
        if (err) {
          // Refused again on every attempt until someone fixes it: said once, not every 10 s.
          this.log[this.refused ? 'debug' : 'error']({ reason: messageOf(err) }, 'Asterisk refused the AMI login: check ASTERISK_USERNAME, ASTERISK_SECRET and permit/deny in manager.conf');
          this.refused = true;
          this.detach(m, 'login refused');
          return;
        }
        this.refused = false;
        this.up();
      });
    });
  }

  private up(): void {
    this.linkState = 'up';
    const reconnect = this.everUp;
    this.everUp = true;
    this.attempt = 0;
    this.lastError = '';
    this.log[this.planned ? 'debug' : 'info']({ host: this.o.host, port: this.o.port }, reconnect ? 'AMI link restored' : 'AMI link up');
    this.planned = false;
    this.latePings = 0;
    this.pingTimer = setInterval(() => this.ping(), this.o.pingIntervalMs);
    for (const listener of this.upListeners) {
      try {
        listener({ reconnect });
      } catch (err) {
        this.log.error({ err }, 'AMI link-up listener failed');
      }
    }
  }

  /** Forgets `m` (once), fails what waited on it, and schedules the next attempt if wanted. */
  private detach(m: Manager, reason: string): void {
    if (m !== this.manager) return;
    const wasUp = this.linkState === 'up';
    this.manager = null;
    this.linkState = 'closed';
    clearTimeout(this.loginTimer);
    clearInterval(this.pingTimer);
    retire(m);
    for (const p of [...this.pending.values()]) p.fail(new AmiNotConnectedError(p.action, `the AMI link went down (${reason})`));
    // Every action of this link has failed: nothing is in flight on the next one.
    this.inFlight = 0;
    this.linkGen++;
    this.urgentWaiting = [];
    this.waiting = [];
    this.draining = false;
    this.pingOutstanding = false;
    if (wasUp) {
      this.log[this.planned ? 'debug' : 'warn']({ reason }, 'AMI link down');
      for (const listener of this.downListeners) {
        try {
          listener(reason);
        } catch (err) {
          this.log.error({ err }, 'AMI link-down listener failed');
        }
      }
    }
    if (this.wanted) this.scheduleRetry(reason);
    // A planned re-login that did not come back is news again from here on.
    if (!wasUp) this.planned = false;
  }

  private scheduleRetry(reason: string): void {
    const base = Math.min(this.o.reconnectMaxMs, this.o.reconnectInitialMs * 2 ** this.attempt);
    // Jitter keeps several nodes (or a restarted Asterisk's many clients) from retrying in step.
    const delay = Math.round(Math.min(this.o.reconnectMaxMs, base * (0.8 + Math.random() * 0.4)));
    this.attempt++;
    const log = this.attempt === 1 && !this.planned ? 'info' : 'debug';
    this.log[log]({ reason, attempt: this.attempt, delayMs: delay }, 'reconnecting to AMI');
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private noteError(m: Manager, err: unknown): void {
    if (m !== this.manager) return;
    const message = err instanceof Error ? err.message : 'error frame';
    // A refused connection repeats on every attempt: log each distinct error once.
    if (message !== this.lastError) this.log.warn({ reason: message, host: this.o.host, port: this.o.port }, 'AMI connection error');
    this.lastError = message;
  }

  private ping(): void {
    const m = this.manager;
    // One at a time: a Ping still waiting for its answer says everything a second would.
    if (!m || this.linkState !== 'up' || this.pingOutstanding) return;
    this.pingOutstanding = true;
    // Sent at once (lane now): events that came before it say nothing of the link after it.
    const sentAt = Date.now();
    this.action('Ping', {}, { timeoutMs: Math.min(this.o.actionTimeoutMs, this.o.pingIntervalMs), lane: 'now' }).then(
      () => {
        if (m !== this.manager) return;
        this.pingOutstanding = false;
        this.latePings = 0;
      },
      (err) => {
        if (m !== this.manager) return;
        this.pingOutstanding = false;
        if (!(err instanceof AmiTimeoutError)) return;
        // Events still arriving: Asterisk is overloaded, its answers queued behind its work. A new
        // link would cost it a login and the re-sync's channel list on top (on a real Asterisk
        // past its capacity that turned a slow hotline into one that carried nothing).
        if (this.eventAt > sentAt && this.latePings < this.o.latePingsTolerated) {
          this.latePings++;
          this.log.warn({ latePings: this.latePings }, 'Asterisk is slow to answer Ping but still sending events; keeping the AMI link');
          return;
        }
        this.log.warn('AMI link stopped answering Ping; reconnecting');
        this.detach(m, 'Ping unanswered');
      },
    );
  }

  // ---- events ------------------------------------------------------------------------------

  private dispatch(m: Manager, frame: unknown): void {
    if (m !== this.manager || !frame || typeof frame !== 'object') return;
    this.eventAt = Date.now();
    const f = frame as Frame;
    if (typeof f.actionid === 'string') {
      const pending = this.pending.get(f.actionid);
      if (pending?.onEvent) {
        pending.onEvent(f);
        return;
      }
    }
    const name = typeof f.event === 'string' ? f.event : '';
    const handlers = this.handlers.get(name.toLowerCase());
    if (!handlers) return;
    for (const h of handlers) {
      const parsed = h.schema.safeParse(f);
      if (!parsed.success) {
        this.log.warn({ event: name, problems: problems(parsed.error) }, 'malformed AMI event ignored');
        continue;
      }
      try {
        const result = h.run(parsed.data);
        if (result instanceof Promise) result.catch((err) => this.log.error({ err, event: name }, 'handling an AMI event failed'));
      } catch (err) {
        this.log.error({ err, event: name }, 'handling an AMI event failed');
      }
    }
  }
}

/**
 * Makes a library object inert: no more callbacks reach us, and its socket is closed as soon
 * as it can be (the library can only end a socket that is open, so an opening one is ended
 * when it opens).
 */
function retire(m: Manager): void {
  m.removeAllListeners();
  // An EventEmitter with no 'error' listener throws; socket errors may still come.
  m.on('error', () => {});
  if (m.isConnected()) m.disconnect();
  else m.once('connect', () => m.disconnect());
}
