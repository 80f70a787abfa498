import net from 'node:net';

/**
 * A fake Asterisk Manager Interface on a real TCP port, faithful to the wire protocol as
 * Asterisk 13+ speaks it: the `Asterisk Call Manager/x.y.z` banner, frames of `Key: Value`
 * lines ended by an empty line, Login (wrong secret: `Authentication failed` and the session is
 * closed), ActionID echoed on every answer, list actions answered by `EventList: start`, the
 * items and a `…Complete` event, events only to logged-in sessions. It keeps live channels
 * (what Redirect, Setvar, Getvar, Hangup, CoreShowChannels and Status act on), records every
 * action and every byte it received, and can misbehave on request: stay silent on an action,
 * drop every connection, refuse new ones, or write garbage.
 *
 * Privileges work as in main/manager.c: the account's `write=` classes are fixed for a session
 * when it logs in (a `manager reload` changes only later logins); an action is allowed when its
 * registered classes share one with them (or it has none: Ping, ListCommands...), and answered
 * `Permission denied` otherwise; ListCommands lists only the allowed actions, one header each
 * (`Setvar: Sets a channel variable or function value. (Priv: call,all)`).
 *
 * Bridges as app_dial makes them: a Redirect of one party takes it out of the basic bridge,
 * which dissolves, and the other party (the dialled leg, which has no dialplan of its own) is
 * hung up. A Redirect with ExtraChannel moves both parties (manager.c's dual redirect): the
 * bridge dissolves and neither is hung up; the dialled leg goes on in the dialplan it was sent to.
 * ConfBridge rooms are where the dialplan puts channels, read back with `room()`.
 */

export interface FakeChannel {
  channel: string;
  uniqueid: string;
  linkedid: string;
  callerIdNum: string;
  callerIdName: string;
  context: string;
  exten: string;
  priority: number;
  language: string;
  vars: Map<string, string>;
  /** Until when a Redirect is still being carried out (see FakeAmi.redirectTakes). */
  movingUntil?: number;
}

export interface ReceivedAction {
  session: number;
  /** The Action header, lower-cased. */
  action: string;
  /** Headers by lower-cased name (the first one when repeated). */
  headers: Record<string, string>;
  raw: string;
}

interface Session {
  id: number;
  socket: net.Socket;
  buffer: string;
  authenticated: boolean;
  /** The account's write= classes when this session logged in. */
  write: Set<string>;
  /** The session's actions still being handled, in order (with an action latency). */
  pending: Promise<void>;
}

type Fields = [string, string][];

/** manager.conf classes. */
export type AmiClass = 'system' | 'call' | 'log' | 'verbose' | 'command' | 'agent' | 'user' | 'config' | 'dtmf' | 'reporting' | 'cdr' | 'dialplan' | 'originate' | 'all';

/**
 * The actions the fake knows, with the classes and synopsis Asterisk registers them with
 * (main/manager.c, ast_manager_register_xml_core); no classes: any logged-in session.
 */
const ACTIONS: Record<string, { name: string; classes: AmiClass[]; synopsis: string }> = {
  ping: { name: 'Ping', classes: [], synopsis: 'Keepalive command.' },
  events: { name: 'Events', classes: [], synopsis: 'Control Event Flow.' },
  logoff: { name: 'Logoff', classes: [], synopsis: 'Logoff Manager.' },
  login: { name: 'Login', classes: [], synopsis: 'Login Manager.' },
  hangup: { name: 'Hangup', classes: ['system', 'call'], synopsis: 'Hangup channel.' },
  status: { name: 'Status', classes: ['system', 'call', 'reporting'], synopsis: 'List channel status.' },
  setvar: { name: 'Setvar', classes: ['call'], synopsis: 'Sets a channel variable or function value.' },
  getvar: { name: 'Getvar', classes: ['call', 'reporting'], synopsis: 'Gets a channel variable or function value.' },
  redirect: { name: 'Redirect', classes: ['call'], synopsis: 'Redirect (transfer) a call.' },
  originate: { name: 'Originate', classes: ['originate'], synopsis: 'Originate a call.' },
  listcommands: { name: 'ListCommands', classes: [], synopsis: 'List available manager commands.' },
  userevent: { name: 'UserEvent', classes: ['user'], synopsis: 'Send an arbitrary event.' },
  coreshowchannels: { name: 'CoreShowChannels', classes: ['system', 'reporting'], synopsis: 'List currently active channels.' },
};

/** What the deploy/asterisk/manager.conf account has. */
export const HOTLINE_WRITE: AmiClass[] = ['call', 'reporting'];

let uniqueSeq = 0;

export class FakeAmi {
  port = 0;
  readonly actions: ReceivedAction[] = [];
  /** Every byte received on every connection, in arrival order. */
  raw = '';
  readonly channels = new Map<string, FakeChannel>();
  /** Global variables (Setvar or Getvar without a Channel, as Asterisk does). */
  readonly globals = new Map<string, string>();
  /** When each connection was accepted (ms since epoch), refused ones included. */
  readonly connectionTimes: number[] = [];
  /** Successful logins so far. */
  logins = 0;
  /** The most sessions ever logged in at the same time. */
  peakLoggedIn = 0;
  private readonly sessions = new Map<number, Session>();
  private readonly silent = new Set<string>();
  /** Answers kept back, by action, until releaseAnswers (an Asterisk answering late). */
  private readonly heldAnswers = new Map<string, Array<() => void>>();
  private redirectMs = 0;
  /** Redirects refused as "channel not up" because the previous one was still being carried out. */
  redirectsRefusedMoving = 0;
  private readonly observers: ((a: ReceivedAction) => void)[] = [];
  private refusing = false;
  private sessionSeq = 0;
  /** Channel → the other party of its two-party bridge. */
  private readonly bridged = new Map<string, string>();
  private write: Set<string>;
  private readonly server = net.createServer((socket) => this.accept(socket));

  constructor(
    readonly credentials = { username: 'hotline', secret: 's3cret-AMI' },
    private readonly version = '7.0.3',
    options: { write?: AmiClass[]; eventFilters?: RegExp[]; actionLatencyMs?: number } = {},
  ) {
    this.write = new Set(options.write ?? HOTLINE_WRITE);
    this.eventFilters = options.eventFilters ?? [];
    this.actionLatencyMs = options.actionLatencyMs ?? 0;
  }

  /**
   * How long Asterisk takes over each action (the benchmark's "realistic latency"): one session's
   * actions are handled one after another, as manager.c reads and runs them on the session's thread.
   */
  private readonly actionLatencyMs: number;
  private readonly failOriginates: string[] = [];

  /** manager.conf's `eventfilter` lines (regular expressions over the event): only matching events are sent. */
  private readonly eventFilters: RegExp[];
  /** Events sent to logged-in sessions (after the filters), by name. */
  readonly sentEvents: Array<{ name: string; uniqueid: string | undefined }> = [];

  /** Edits the account's write= line and reloads: sessions already logged in keep what they had. */
  setWrite(classes: AmiClass[]): void {
    this.write = new Set(classes);
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sessions.values()) s.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Sessions currently logged in. */
  get loggedIn(): number {
    return [...this.sessions.values()].filter((s) => s.authenticated).length;
  }

  /** Never answer this action (case-insensitive), or, with `on` false, answer it again. */
  silence(action: string, on = true): void {
    if (on) this.silent.add(action.toLowerCase());
    else this.silent.delete(action.toLowerCase());
  }

  /**
   * How long a Redirect takes to be carried out by the channel's thread. Meanwhile Asterisk
   * refuses another Redirect of that channel with "Redirect failed, channel not up." (manager.c
   * checks ast_check_hangup_locked, and the pending async goto is a soft hang-up flag); 0, the
   * default, carries it out at once.
   */
  redirectTakes(ms: number): void {
    this.redirectMs = ms;
  }

  /** Answer this action late: its answers are kept until releaseAnswers(action). */
  holdAnswers(action: string): void {
    this.heldAnswers.set(action.toLowerCase(), this.heldAnswers.get(action.toLowerCase()) ?? []);
  }

  /** Sends the answers kept back for this action, in order, and answers it at once again. */
  releaseAnswers(action: string): void {
    const held = this.heldAnswers.get(action.toLowerCase()) ?? [];
    this.heldAnswers.delete(action.toLowerCase());
    for (const answer of held) answer();
  }

  /** Accept connections and close them at once (an Asterisk restarting), or stop doing so. */
  refuseConnections(on: boolean): void {
    this.refusing = on;
  }

  /** Cuts every open connection, as a network failure or an Asterisk restart would. */
  dropConnections(): void {
    for (const s of this.sessions.values()) s.socket.destroy();
  }

  /** Writes bytes as they are to every logged-in session. */
  sendRaw(text: string): void {
    for (const s of this.sessions.values()) if (s.authenticated) s.socket.write(text);
  }

  /** The next Originate fails at once with this Reason (0: the endpoint could not be dialled). */
  failNextOriginate(reason: string): void {
    this.failOriginates.push(reason);
  }

  onAction(observer: (a: ReceivedAction) => void): void {
    this.observers.push(observer);
  }

  named(action: string): ReceivedAction[] {
    return this.actions.filter((a) => a.action === action.toLowerCase());
  }

  // ---- the telephone side --------------------------------------------------------------------

  /** A new channel (Newchannel event), e.g. a call arriving on a trunk. */
  addChannel(o: { callerIdNum: string; channel?: string; uniqueid?: string; context?: string; exten?: string }): FakeChannel {
    const n = ++uniqueSeq;
    const uniqueid = o.uniqueid ?? `${1_712_000_000 + n}.${n}`;
    const ch: FakeChannel = {
      channel: o.channel ?? `PJSIP/trunk-${n.toString(16).padStart(8, '0')}`,
      uniqueid,
      linkedid: uniqueid,
      callerIdNum: o.callerIdNum,
      callerIdName: '<unknown>',
      context: o.context ?? 'hotline-inbound',
      exten: o.exten ?? '12348',
      priority: 1,
      language: 'en',
      vars: new Map(),
    };
    this.channels.set(uniqueid, ch);
    this.event('Newchannel', 'call,all', [...this.snapshot(ch)]);
    return ch;
  }

  /** UserEvent(name, body) as app_userevent sends it: the channel snapshot, UserEvent, the body. */
  userEvent(uniqueid: string, name: string, body: Fields = []): void {
    const ch = this.channel(uniqueid);
    this.event('UserEvent', 'user,all', [...this.snapshot(ch), ['UserEvent', name], ...body]);
  }

  /** The channel hangs up (Hangup event) and is gone. */
  hangup(uniqueid: string, cause = '16', causeText = 'Normal Clearing'): void {
    const ch = this.channel(uniqueid);
    this.channels.delete(uniqueid);
    const peer = this.bridged.get(uniqueid);
    this.bridged.delete(uniqueid);
    if (peer !== undefined) this.bridged.delete(peer);
    this.event('Hangup', 'call,all', [...this.snapshot(ch), ['Cause', cause], ['Cause-txt', causeText]]);
  }

  /** The channel is gone and its Hangup event with it (lost on the way, or sent while nobody listened). */
  vanish(uniqueid: string): void {
    this.channel(uniqueid);
    this.channels.delete(uniqueid);
    const peer = this.bridged.get(uniqueid);
    this.bridged.delete(uniqueid);
    if (peer !== undefined) this.bridged.delete(peer);
  }

  /** A channel goes on in the dialplan by itself (Goto). */
  move(uniqueid: string, context: string, exten = 's', priority = 1): void {
    Object.assign(this.channel(uniqueid), { context, exten, priority });
  }

  /** Two channels in a basic bridge, as Dial makes: BridgeCreate, then BridgeEnter for each. */
  bridge(a: string, b: string): string {
    const id = `bridge-${++uniqueSeq}`;
    const bridge: Fields = [
      ['BridgeUniqueid', id],
      ['BridgeType', 'basic'],
      ['BridgeTechnology', 'simple_bridge'],
      ['BridgeCreator', '<unknown>'],
      ['BridgeName', '<unknown>'],
      ['BridgeVideoSourceMode', 'none'],
    ];
    this.event('BridgeCreate', 'call,all', [...bridge, ['BridgeNumChannels', '0']]);
    this.event('BridgeEnter', 'call,all', [...bridge, ['BridgeNumChannels', '1'], ...this.snapshot(this.channel(a))]);
    this.event('BridgeEnter', 'call,all', [...bridge, ['BridgeNumChannels', '2'], ...this.snapshot(this.channel(b))]);
    this.bridged.set(a, b);
    this.bridged.set(b, a);
    return id;
  }

  /** DialEnd of `caller`'s Dial to `dest`. */
  dialEnd(caller: string, dest: string, status: string): void {
    const destSnap = this.snapshot(this.channel(dest)).map(([k, v]) => [`Dest${k}`, v] as [string, string]);
    this.event('DialEnd', 'call,all', [...this.snapshot(this.channel(caller)), ...destSnap, ['DialStatus', status]]);
  }

  /**
   * An Async Originate's outcome, as Asterisk reports it to the session that sent it (ActionID).
   * Success: the dialled phone answered; its channel (named `name`, Uniqueid the ChannelId)
   * appears in the Originate's Context/Exten. Failure: Reason 0 (no channel), 1 (hung up),
   * 3 (rang out), 5 (busy), 8 (congestion).
   */
  originateResponse(a: ReceivedAction, outcome: { answered: true; name: string } | { answered: false; reason: string }): FakeChannel | null {
    const h = a.headers;
    const id: Fields = h.actionid !== undefined ? [['ActionID', h.actionid]] : [];
    let ch: FakeChannel | null = null;
    if (outcome.answered) {
      ch = this.addChannel({ callerIdNum: h.channel ?? '', channel: outcome.name, ...(h.channelid ? { uniqueid: h.channelid } : {}), context: h.context ?? '', exten: h.exten ?? 's' });
    }
    const fields: Fields = [
      ...id,
      ['Response', outcome.answered ? 'Success' : 'Failure'],
      ['Channel', ch?.channel ?? h.channel ?? ''],
      ['Context', h.context ?? ''],
      ['Exten', h.exten ?? ''],
      ['Reason', outcome.answered ? '4' : outcome.reason],
      // A failed dial still names the ChannelId it was given (seen on a real Asterisk 22).
      ['Uniqueid', ch?.uniqueid ?? h.channelid ?? '<null>'],
      ['CallerIDNum', '<unknown>'],
      ['CallerIDName', '<unknown>'],
    ];
    this.event('OriginateResponse', 'call,all', fields);
    return ch;
  }

  /** The channels in ConfBridge room `room` ([hotline-leg] at <role><room>), and their roles. */
  room(room: string): Array<{ role: string; channel: FakeChannel }> {
    return [...this.channels.values()].filter((c) => c.context === 'hotline-leg' && c.exten.slice(1) === room).map((c) => ({ role: c.exten[0]!, channel: c }));
  }

  channel(uniqueid: string): FakeChannel {
    const ch = this.channels.get(uniqueid);
    if (!ch) throw new Error(`fake Asterisk has no channel ${uniqueid}`);
    return ch;
  }

  /** An event to every logged-in session; `Event:` and `Privilege:` first, as Asterisk writes them. */
  event(name: string, privilege: string, fields: Fields): void {
    const text = frame([['Event', name], ['Privilege', privilege], ...fields]);
    // As manager.c's match_filter: with whitelist filters, an event matching none is not sent.
    if (this.eventFilters.length > 0 && !this.eventFilters.some((f) => f.test(text))) return;
    this.sentEvents.push({ name, uniqueid: fields.find(([k]) => k === 'Uniqueid')?.[1] });
    this.sendRaw(text);
  }

  private snapshot(ch: FakeChannel): Fields {
    return [
      ['Channel', ch.channel],
      ['ChannelState', '6'],
      ['ChannelStateDesc', 'Up'],
      ['CallerIDNum', ch.callerIdNum],
      ['CallerIDName', ch.callerIdName],
      ['ConnectedLineNum', '<unknown>'],
      ['ConnectedLineName', '<unknown>'],
      ['Language', ch.language],
      ['AccountCode', ''],
      ['Context', ch.context],
      ['Exten', ch.exten],
      ['Priority', String(ch.priority)],
      ['Uniqueid', ch.uniqueid],
      ['Linkedid', ch.linkedid],
    ];
  }

  // ---- the manager protocol ------------------------------------------------------------------

  private accept(socket: net.Socket): void {
    this.connectionTimes.push(Date.now());
    socket.on('error', () => {});
    if (this.refusing) {
      socket.destroy();
      return;
    }
    const session: Session = { id: ++this.sessionSeq, socket, buffer: '', authenticated: false, write: new Set(), pending: Promise.resolve() };
    this.sessions.set(session.id, session);
    socket.on('close', () => this.sessions.delete(session.id));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(session, chunk));
    socket.write(`Asterisk Call Manager/${this.version}\r\n`);
  }

  private receive(s: Session, chunk: string): void {
    this.raw += chunk;
    s.buffer += chunk;
    let end: number;
    while ((end = s.buffer.indexOf('\r\n\r\n')) >= 0) {
      const raw = s.buffer.slice(0, end);
      s.buffer = s.buffer.slice(end + 4);
      const headers: Record<string, string> = {};
      for (const line of raw.split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const key = line.slice(0, colon).trim().toLowerCase();
        if (!(key in headers)) headers[key] = line.slice(colon + 1).trim();
      }
      const a: ReceivedAction = { session: s.id, action: (headers.action ?? '').toLowerCase(), headers, raw };
      this.actions.push(a);
      const handle = () => {
        for (const o of this.observers) o(a);
        this.answer(s, a);
      };
      if (this.actionLatencyMs <= 0) handle();
      else s.pending = s.pending.then(() => new Promise<void>((r) => setTimeout(r, this.actionLatencyMs))).then(handle);
    }
  }

  private answer(s: Session, a: ReceivedAction): void {
    if (this.silent.has(a.action)) return;
    const held = this.heldAnswers.get(a.action);
    if (held) {
      held.push(() => this.answer(s, a));
      return;
    }
    const id: Fields = a.headers.actionid !== undefined ? [['ActionID', a.headers.actionid]] : [];
    const reply = (response: string, fields: Fields): void => {
      s.socket.write(frame([['Response', response], ...id, ...fields]));
    };
    const error = (message: string): void => reply('Error', [['Message', message]]);
    const h = a.headers;

    if (a.action === 'login') {
      if (h.username === this.credentials.username && h.secret === this.credentials.secret) {
        s.authenticated = true;
        s.write = new Set(this.write);
        this.logins++;
        this.peakLoggedIn = Math.max(this.peakLoggedIn, this.loggedIn);
        reply('Success', [['Message', 'Authentication accepted']]);
        s.socket.write(frame([['Event', 'FullyBooted'], ['Privilege', 'system,all'], ['Uptime', '3600'], ['LastReload', '3600'], ['Status', 'Fully Booted']]));
      } else {
        error('Authentication failed');
        setTimeout(() => s.socket.end(), 10);
      }
      return;
    }
    if (a.action === 'logoff') {
      reply('Goodbye', [['Message', 'Thanks for all the fish.']]);
      s.socket.end();
      return;
    }
    if (!s.authenticated) return error('Permission denied');
    const known = ACTIONS[a.action];
    if (known && !this.allows(s, known.classes)) return error('Permission denied');

    // Asterisk finds a channel by its name or, failing that, by its Uniqueid (ast_channel_get_by_name).
    const target = h.channel !== undefined ? ([...this.channels.values()].find((c) => c.channel === h.channel) ?? this.channels.get(h.channel)) : undefined;
    switch (a.action) {
      case 'ping':
        return reply('Success', [['Ping', 'Pong'], ['Timestamp', (Date.now() / 1000).toFixed(6)]]);
      case 'setvar':
        if (!h.variable) return error('No variable specified');
        if (h.channel === undefined) {
          this.globals.set(h.variable, h.value ?? '');
          return reply('Success', [['Message', 'Variable Set']]);
        }
        if (!target) return error('No such channel');
        target.vars.set(h.variable, h.value ?? '');
        return reply('Success', [['Message', 'Variable Set']]);
      case 'getvar':
        if (!h.variable) return error('No variable specified');
        if (h.channel !== undefined && !target) return error('No such channel');
        return reply('Success', [['Variable', h.variable], ['Value', (target ? target.vars.get(h.variable) : this.globals.get(h.variable)) ?? '']]);
      case 'redirect': {
        if (!h.channel) return error('Channel not specified');
        if (!target) return error(`Channel does not exist: ${h.channel}`);
        const extra = h.extrachannel !== undefined ? ([...this.channels.values()].find((c) => c.channel === h.extrachannel) ?? this.channels.get(h.extrachannel)) : undefined;
        if (h.extrachannel !== undefined && !extra) return error(`ExtraChannel does not exist: ${h.extrachannel}`);
        if ((target.movingUntil ?? 0) > Date.now()) {
          this.redirectsRefusedMoving++;
          return error('Redirect failed, channel not up.');
        }
        if (this.redirectMs > 0) target.movingUntil = Date.now() + this.redirectMs;
        Object.assign(target, { context: h.context ?? target.context, exten: h.exten ?? target.exten, priority: Number(h.priority ?? 1) });
        if (extra) {
          Object.assign(extra, { context: h.extracontext ?? h.context ?? extra.context, exten: h.extraexten ?? h.exten ?? extra.exten, priority: Number(h.extrapriority ?? h.priority ?? 1) });
          reply('Success', [['Message', 'Dual Redirect successful']]);
          return this.leaveBridge(target.uniqueid, false);
        }
        reply('Success', [['Message', 'Redirect successful']]);
        return this.leaveBridge(target.uniqueid);
      }
      case 'listcommands': {
        const lines: Fields = Object.values(ACTIONS)
          .filter((x) => this.allows(s, x.classes))
          .map((x) => [x.name, `${x.synopsis} (Priv: ${x.classes.length ? [...x.classes, 'all'].join(',') : '<none>'})`]);
        return reply('Success', lines);
      }
      case 'hangup':
        if (!target) return error('No such channel');
        reply('Success', [['Message', 'Channel Hungup']]);
        return this.hangup(target.uniqueid, h.cause ?? '16');
      case 'originate': {
        // Async: queued at once; the test plays the OriginateResponse and the dialplan's events.
        if (!h.channel) return error('Channel not specified');
        const reason = this.failOriginates.shift();
        if (reason === undefined) return reply('Success', [['Message', 'Originate successfully queued']]);
        // A channel that cannot be dialled at all: its OriginateResponse follows the answer in
        // the same write, as Asterisk can send them when the endpoint is not registered.
        const response = frame([['Response', 'Success'], ...id, ['Message', 'Originate successfully queued']]);
        const event = frame([['Event', 'OriginateResponse'], ['Privilege', 'call,all'], ...id, ['Response', 'Failure'], ['Channel', h.channel], ['Context', h.context ?? ''], ['Exten', h.exten ?? ''], ['Reason', reason], ['Uniqueid', '<null>']]);
        s.socket.write(response + event);
        return;
      }
      case 'coreshowchannels': {
        reply('Success', [['EventList', 'start'], ['Message', 'Channels will follow']]);
        const list = [...this.channels.values()];
        for (const ch of list) {
          s.socket.write(frame([['Event', 'CoreShowChannel'], ...id, ...this.snapshot(ch), ['BridgeId', ''], ['Application', 'MusicOnHold'], ['ApplicationData', 'default'], ['Duration', '00:00:10']]));
        }
        s.socket.write(frame([['Event', 'CoreShowChannelsComplete'], ...id, ['EventList', 'Complete'], ['ListItems', String(list.length)]]));
        return;
      }
      case 'status': {
        reply('Success', [['EventList', 'start'], ['Message', 'Channel status will follow']]);
        const list = [...this.channels.values()].filter((c) => !target || c === target);
        for (const ch of list) s.socket.write(frame([['Event', 'Status'], ['Privilege', 'Call'], ...id, ...this.snapshot(ch), ['Application', 'MusicOnHold'], ['Seconds', '10']]));
        s.socket.write(frame([['Event', 'StatusComplete'], ...id, ['EventList', 'Complete'], ['ListItems', String(list.length)], ['Items', String(list.length)]]));
        return;
      }
      default:
        return error(`Invalid/unknown command: ${h.action}. Use Action: ListCommands to show available commands.`);
    }
  }

  private allows(s: Session, classes: AmiClass[]): boolean {
    return classes.length === 0 || s.write.has('all') || classes.some((c) => s.write.has(c));
  }

  /**
   * A party leaves its two-party basic bridge: the bridge dissolves and the dialled leg hangs up,
   * unless both were redirected together (`hangPeer` false), when the peer leaves it too.
   */
  private leaveBridge(uniqueid: string, hangPeer = true): void {
    const peer = this.bridged.get(uniqueid);
    if (peer === undefined) return;
    this.bridged.delete(uniqueid);
    this.bridged.delete(peer);
    this.event('BridgeLeave', 'call,all', [['BridgeType', 'basic'], ['BridgeNumChannels', '1'], ...this.snapshot(this.channel(uniqueid))]);
    if (!this.channels.has(peer)) return;
    if (hangPeer) this.hangup(peer);
    else this.event('BridgeLeave', 'call,all', [['BridgeType', 'basic'], ['BridgeNumChannels', '0'], ...this.snapshot(this.channel(peer))]);
  }
}

function frame(fields: Fields): string {
  return `${fields.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}
