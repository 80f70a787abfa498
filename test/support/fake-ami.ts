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
}

type Fields = [string, string][];

let uniqueSeq = 0;

export class FakeAmi {
  port = 0;
  readonly actions: ReceivedAction[] = [];
  /** Every byte received on every connection, in arrival order. */
  raw = '';
  readonly channels = new Map<string, FakeChannel>();
  /** When each connection was accepted (ms since epoch), refused ones included. */
  readonly connectionTimes: number[] = [];
  /** Successful logins so far. */
  logins = 0;
  /** The most sessions ever logged in at the same time. */
  peakLoggedIn = 0;
  private readonly sessions = new Map<number, Session>();
  private readonly silent = new Set<string>();
  private readonly observers: ((a: ReceivedAction) => void)[] = [];
  private refusing = false;
  private sessionSeq = 0;
  private readonly server = net.createServer((socket) => this.accept(socket));

  constructor(
    readonly credentials = { username: 'hotline', secret: 's3cret-AMI' },
    private readonly version = '7.0.3',
  ) {}

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

  /** Never answer this action (case-insensitive). */
  silence(action: string): void {
    this.silent.add(action.toLowerCase());
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
    this.event('Hangup', 'call,all', [...this.snapshot(ch), ['Cause', cause], ['Cause-txt', causeText]]);
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
    return id;
  }

  /** DialEnd of `caller`'s Dial to `dest`. */
  dialEnd(caller: string, dest: string, status: string): void {
    const destSnap = this.snapshot(this.channel(dest)).map(([k, v]) => [`Dest${k}`, v] as [string, string]);
    this.event('DialEnd', 'call,all', [...this.snapshot(this.channel(caller)), ...destSnap, ['DialStatus', status]]);
  }

  channel(uniqueid: string): FakeChannel {
    const ch = this.channels.get(uniqueid);
    if (!ch) throw new Error(`fake Asterisk has no channel ${uniqueid}`);
    return ch;
  }

  /** An event to every logged-in session; `Event:` and `Privilege:` first, as Asterisk writes them. */
  event(name: string, privilege: string, fields: Fields): void {
    this.sendRaw(frame([['Event', name], ['Privilege', privilege], ...fields]));
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
    const session: Session = { id: ++this.sessionSeq, socket, buffer: '', authenticated: false };
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
      for (const o of this.observers) o(a);
      this.answer(s, a);
    }
  }

  private answer(s: Session, a: ReceivedAction): void {
    if (this.silent.has(a.action)) return;
    const id: Fields = a.headers.actionid !== undefined ? [['ActionID', a.headers.actionid]] : [];
    const reply = (response: string, fields: Fields): void => {
      s.socket.write(frame([['Response', response], ...id, ...fields]));
    };
    const error = (message: string): void => reply('Error', [['Message', message]]);
    const h = a.headers;

    if (a.action === 'login') {
      if (h.username === this.credentials.username && h.secret === this.credentials.secret) {
        s.authenticated = true;
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

    const target = h.channel !== undefined ? [...this.channels.values()].find((c) => c.channel === h.channel) : undefined;
    switch (a.action) {
      case 'ping':
        return reply('Success', [['Ping', 'Pong'], ['Timestamp', (Date.now() / 1000).toFixed(6)]]);
      case 'setvar':
        if (!h.variable) return error('No variable specified');
        if (!target) return error('No such channel');
        target.vars.set(h.variable, h.value ?? '');
        return reply('Success', [['Message', 'Variable Set']]);
      case 'getvar':
        if (!h.variable) return error('No variable specified');
        if (h.channel !== undefined && !target) return error('No such channel');
        return reply('Success', [['Variable', h.variable], ['Value', target?.vars.get(h.variable) ?? '']]);
      case 'redirect':
        if (!h.channel) return error('Channel not specified');
        if (!target) return error(`Channel does not exist: ${h.channel}`);
        Object.assign(target, { context: h.context ?? target.context, exten: h.exten ?? target.exten, priority: Number(h.priority ?? 1) });
        return reply('Success', [['Message', 'Redirect successful']]);
      case 'hangup':
        if (!target) return error('No such channel');
        reply('Success', [['Message', 'Channel Hungup']]);
        return this.hangup(target.uniqueid, h.cause ?? '16');
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
}

function frame(fields: Fields): string {
  return `${fields.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}
