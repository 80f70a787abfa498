import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import twilio from 'twilio';
import type { Config } from '../../src/config/config';

/**
 * Twilio at the protocol boundary, for tests and benchmarks: a local stand-in for the REST API
 * (it records every request and answers call updates and new outgoing calls as Twilio does),
 * webhook requests signed the way Twilio signs them, and TwiML parsed back into a tree.
 */

export const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
export const API_KEY = `SK${'fedcba9876543210'.repeat(2)}`;
export const API_SECRET = 'test-api-secret';
export const TWIML_APP_SID = `AP${'0a1b2c3d4e5f6789'.repeat(2)}`;
export const PUBLIC_BASE_URL = 'https://hotline.example.cn';
export const AUDIO_BASE_URL = 'https://audio.example.cn/ivr';

export interface FakeTwilioRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  params: Record<string, string>;
  /** Every value of every parameter, in order: a list such as StatusCallbackEvent is sent as repeated names. */
  lists: Record<string, string[]>;
}

/** An outgoing call placed (calls.create), with the SID the fake gave it. */
export type FakeTwilioCreate = FakeTwilioRequest & { callSid: string };

/** Someone in a conference: a caller whose TwiML joined it, or a participant added by REST. */
export interface FakeParticipant {
  callSid: string;
  label: string | null;
  /** To, for a participant the REST API dialled; null for a call that joined by TwiML. */
  to: string | null;
  from: string | null;
  muted: boolean;
  hold: boolean;
  holdUrl: string | null;
  coaching: boolean;
  callSidToCoach: string | null;
  startConferenceOnEnter: boolean;
  endConferenceOnExit: boolean;
  statusCallback: string | null;
}

export interface FakeConference {
  sid: string;
  friendlyName: string;
  status: 'in-progress' | 'completed';
  /** Who is in it now, in the order they came. */
  participants: Map<string, FakeParticipant>;
  /** Everyone who was ever in it, by call SID. */
  everyone: Map<string, FakeParticipant>;
}

/** A request to the Participants subresource, with what it named. */
export type FakeParticipantRequest = FakeTwilioRequest & { conference: string; participant: string | null };

export interface FakeTwilio {
  url: string;
  requests: FakeTwilioRequest[];
  /** Call updates received, oldest first. */
  updates(): (FakeTwilioRequest & { callSid: string })[];
  /** Outgoing calls placed (POST …/Calls.json), oldest first: To, From, Url, StatusCallback… in `params`. */
  creates(): FakeTwilioCreate[];
  /** The next call update is answered with this HTTP status and Twilio error. */
  failNext(status: number, code: number, message: string): void;
  /** The next outgoing call placed is answered with this HTTP status and Twilio error. */
  failNextCreate(status: number, code: number, message: string): void;
  /** Requests to Conferences/{sid or name}/Participants[/{call or label}], oldest first. */
  participantRequests(): FakeParticipantRequest[];
  /** The latest conference of that friendly name (ended ones too). */
  conference(friendlyName: string): FakeConference | undefined;
  /** A participant's phone hangs up: they leave their conference (ending it when they end it on exit). */
  hangUp(callSid: string): void;
  /** The next request to the Participants subresource is answered with this HTTP status and Twilio error. */
  failNextParticipant(status: number, code: number, message: string): void;
  close(): Promise<void>;
}

const UPDATE = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Calls\/(CA[0-9a-f]{32})\.json$/;
const CREATE = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Calls\.json$/;
const PARTICIPANTS = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Conferences\/([^/]+)\/Participants(?:\/([^/]+))?\.json$/;
/** What Twilio accepts as a number to call or call from (E.164), or a Client / SIP address to call. */
const E164 = /^\+[1-9]\d{1,14}$/;

type Failure = { status: number; code: number; message: string };

/** Twilio's date format (RFC 2822), as in its resources. */
const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');

/** Why Twilio would refuse this calls.create (its 400 and error code), or null. */
function refusedCreate(p: Record<string, string>): Failure | null {
  if (!p.To) return { status: 400, code: 21201, message: "No 'To' number is specified" };
  if (!E164.test(p.To) && !/^(client|sip):\S+$/.test(p.To)) return { status: 400, code: 21211, message: `The 'To' number ${p.To} is not a valid phone number.` };
  if (!p.From) return { status: 400, code: 21603, message: "A 'From' phone number is required." };
  if (!E164.test(p.From) && !/^client:\S+$/.test(p.From)) return { status: 400, code: 21212, message: `The 'From' number ${p.From} is not a valid phone number, shortcode, or alphanumeric sender ID.` };
  if (!p.Url && !p.Twiml && !p.ApplicationSid) return { status: 400, code: 21205, message: 'Url parameter is required.' };
  return null;
}

/** The Call resource Twilio answers a calls.create with (201): queued, not yet ringing. */
function queuedCall(accountSid: string, callSid: string, p: Record<string, string>) {
  const now = rfc2822(new Date());
  const uri = `/2010-04-01/Accounts/${accountSid}/Calls/${callSid}.json`;
  return {
    sid: callSid,
    account_sid: accountSid,
    parent_call_sid: null,
    status: 'queued',
    direction: 'outbound-api',
    api_version: '2010-04-01',
    to: p.To,
    to_formatted: p.To,
    from: p.From,
    from_formatted: p.From,
    phone_number_sid: null,
    caller_name: null,
    answered_by: null,
    forwarded_from: null,
    group_sid: null,
    trunk_sid: null,
    annotation: null,
    date_created: now,
    date_updated: now,
    start_time: null,
    end_time: null,
    duration: null,
    price: null,
    price_unit: 'USD',
    queue_time: '0',
    uri,
    subresource_uris: {
      notifications: uri.replace('.json', '/Notifications.json'),
      recordings: uri.replace('.json', '/Recordings.json'),
      events: uri.replace('.json', '/Events.json'),
    },
  };
}

const bool = (v: string | undefined, otherwise: boolean) => (v === undefined ? otherwise : v === 'true');

/** The Participant resource as Twilio answers it. */
function participantJson(accountSid: string, c: FakeConference, p: FakeParticipant, status: string) {
  const now = rfc2822(new Date());
  return {
    account_sid: accountSid,
    call_sid: p.callSid,
    conference_sid: c.sid,
    label: p.label,
    call_sid_to_coach: p.callSidToCoach,
    coaching: p.coaching,
    end_conference_on_exit: p.endConferenceOnExit,
    start_conference_on_enter: p.startConferenceOnEnter,
    muted: p.muted,
    hold: p.hold,
    status,
    queue_time: '0',
    date_created: now,
    date_updated: now,
    uri: `/2010-04-01/Accounts/${accountSid}/Conferences/${c.sid}/Participants/${p.callSid}.json`,
  };
}

export async function startFakeTwilio(): Promise<FakeTwilio> {
  const requests: FakeTwilioRequest[] = [];
  const created: FakeTwilioCreate[] = [];
  const failures: Failure[] = [];
  const createFailures: Failure[] = [];
  const participantFailures: Failure[] = [];
  const conferences: FakeConference[] = [];
  const participantRequests: FakeParticipantRequest[] = [];
  const live = (nameOrSid: string) => conferences.find((c) => c.status === 'in-progress' && (c.sid === nameOrSid || c.friendlyName === nameOrSid));
  const openConference = (name: string) => {
    const found = live(name);
    if (found) return found;
    const c: FakeConference = { sid: `CF${sid('CA').slice(2)}`, friendlyName: name, status: 'in-progress', participants: new Map(), everyone: new Map() };
    conferences.push(c);
    return c;
  };
  const find = (c: FakeConference, callOrLabel: string) => c.participants.get(callOrLabel) ?? [...c.participants.values()].find((p) => p.label === callOrLabel);
  /** A call leaves its conference (hung up, removed, or given other TwiML); one that ends it on exit ends it for all. */
  const leave = (callSid: string) => {
    for (const c of conferences) {
      const p = c.participants.get(callSid);
      if (!p || c.status !== 'in-progress') continue;
      c.participants.delete(callSid);
      if (p.endConferenceOnExit || c.participants.size === 0) {
        c.status = 'completed';
        c.participants.clear();
      }
    }
  };
  /** New TwiML for a live call: out of any conference, and into the one its <Dial><Conference> names. */
  const joinByTwiml = (callSid: string, twimlText: string) => {
    leave(callSid);
    let doc: XmlNode;
    try {
      doc = parseTwiml(twimlText);
    } catch {
      return;
    }
    const room = doc.children.find((v) => v.name === 'Dial')?.children.find((n) => n.name === 'Conference');
    if (!room) return;
    const c = openConference(room.text);
    const p: FakeParticipant = {
      callSid, label: room.attrs.participantLabel ?? null, to: null, from: null, muted: room.attrs.muted === 'true', hold: false, holdUrl: null, coaching: false, callSidToCoach: null,
      startConferenceOnEnter: room.attrs.startConferenceOnEnter !== 'false', endConferenceOnExit: room.attrs.endConferenceOnExit === 'true', statusCallback: null,
    };
    c.participants.set(callSid, p);
    c.everyone.set(callSid, p);
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      const form = new URLSearchParams(body);
      const params = Object.fromEntries(form);
      const lists: Record<string, string[]> = {};
      for (const [name, value] of form) (lists[name] ??= []).push(value);
      const request: FakeTwilioRequest = { method: req.method ?? '', path, authorization: req.headers.authorization, params, lists };
      requests.push(request);
      const json = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      const error = (failure: Failure) => json(failure.status, { code: failure.code, message: failure.message, status: failure.status, more_info: `https://www.twilio.com/docs/errors/${failure.code}` });
      const create = CREATE.exec(path);
      if (req.method === 'POST' && create) {
        const failure = createFailures.shift() ?? refusedCreate(params);
        if (failure) return error(failure);
        const callSid = sid('CA');
        created.push({ ...request, callSid });
        return json(201, queuedCall(create[1]!, callSid, params));
      }
      const notFound = () => json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
      const room = PARTICIPANTS.exec(path);
      if (room) {
        const [, accountSid, conferenceName, who] = room;
        const named = decodeURIComponent(conferenceName!);
        const participant = who ? decodeURIComponent(who) : null;
        participantRequests.push({ ...request, conference: named, participant });
        const failure = participantFailures.shift();
        if (failure) return error(failure);
        if (!participant && req.method === 'POST') {
          // Create: a friendly name opens the conference if need be; a CF SID must be a live conference.
          if (!params.From) return error({ status: 400, code: 21603, message: "A 'From' phone number is required." });
          if (!params.To) return error({ status: 400, code: 21201, message: "No 'To' number is specified" });
          if (!E164.test(params.To) && !/^(client|sip):\S+$/.test(params.To)) return error({ status: 400, code: 21211, message: `The 'To' number ${params.To} is not a valid phone number.` });
          if (!E164.test(params.From) && !/^client:\S+$/.test(params.From)) return error({ status: 400, code: 21212, message: `The 'From' number ${params.From} is not a valid phone number.` });
          if (E164.test(params.To) && !E164.test(params.From)) return error({ status: 400, code: 21212, message: "If 'To' is a phone number, 'From' must be a phone number." });
          const c = /^CF[0-9a-f]{32}$/.test(named) ? live(named) : openConference(named);
          if (!c) return notFound();
          if (params.Label && find(c, params.Label)) return error({ status: 400, code: 16025, message: `A participant labelled ${params.Label} is already in this conference.` });
          const coaching = bool(params.Coaching, params.CallSidToCoach !== undefined);
          if (coaching && (!params.CallSidToCoach || !c.participants.has(params.CallSidToCoach))) return error({ status: 400, code: 16022, message: 'CallSidToCoach must name a participant of this conference when Coaching is true.' });
          const p: FakeParticipant = {
            callSid: sid('CA'), label: params.Label ?? null, to: params.To, from: params.From, muted: bool(params.Muted, false), hold: false, holdUrl: null, coaching,
            callSidToCoach: coaching ? params.CallSidToCoach! : null, startConferenceOnEnter: bool(params.StartConferenceOnEnter, true), endConferenceOnExit: bool(params.EndConferenceOnExit, false),
            statusCallback: params.StatusCallback ?? null,
          };
          c.participants.set(p.callSid, p);
          c.everyone.set(p.callSid, p);
          return json(201, participantJson(accountSid!, c, p, 'queued'));
        }
        // Update and removal need the conference's SID, and the participant's call SID or label.
        const c = live(named);
        const p = c && participant && c.sid === named ? find(c, participant) : undefined;
        if (!c || !p) return notFound();
        if (req.method === 'DELETE') {
          leave(p.callSid);
          res.writeHead(204);
          return res.end();
        }
        if (req.method !== 'POST') return notFound();
        const coaching = bool(params.Coaching, params.CallSidToCoach !== undefined ? true : p.coaching);
        const coached = params.CallSidToCoach ?? p.callSidToCoach;
        if (coaching && (!coached || !c.participants.has(coached))) return error({ status: 400, code: 16022, message: 'CallSidToCoach must name a participant of this conference when Coaching is true.' });
        p.muted = bool(params.Muted, p.muted);
        p.hold = bool(params.Hold, p.hold);
        p.holdUrl = params.HoldUrl ?? p.holdUrl;
        p.coaching = coaching;
        p.callSidToCoach = coaching ? coached : null;
        p.endConferenceOnExit = bool(params.EndConferenceOnExit, p.endConferenceOnExit);
        return json(200, participantJson(accountSid!, c, p, 'connected'));
      }
      const match = UPDATE.exec(path);
      if (req.method !== 'POST' || !match) return notFound();
      const failure = failures.shift();
      if (failure) return error(failure);
      const [, accountSid, callSid] = match;
      if (params.Twiml) joinByTwiml(callSid!, params.Twiml);
      else if (params.Status === 'completed' || params.Status === 'canceled') leave(callSid!);
      json(200, { sid: callSid, account_sid: accountSid, status: 'in-progress', direction: 'inbound', api_version: '2010-04-01', uri: path });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    updates: () => requests.flatMap((r) => {
      const m = UPDATE.exec(r.path);
      return m ? [{ ...r, callSid: m[2]! }] : [];
    }),
    creates: () => [...created],
    failNext: (status, code, message) => failures.push({ status, code, message }),
    failNextCreate: (status, code, message) => createFailures.push({ status, code, message }),
    participantRequests: () => [...participantRequests],
    conference: (name) => conferences.filter((c) => c.friendlyName === name).at(-1),
    hangUp: (callSid) => leave(callSid),
    failNextParticipant: (status, code, message) => participantFailures.push({ status, code, message }),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Configuration for the real app with Twilio on, its REST API pointed at `apiBaseUrl`. */
export function twilioConfig(apiBaseUrl: string, extra: Partial<NonNullable<Config['twilio']>> = {}): Partial<Config> {
  return {
    telephony: ['twilio', 'sim'],
    publicBaseUrl: PUBLIC_BASE_URL,
    twilio: {
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      apiKey: API_KEY,
      apiSecret: API_SECRET,
      twimlAppSid: TWIML_APP_SID,
      apiBaseUrl,
      audioBaseUrl: AUDIO_BASE_URL,
      voices: { zh: null, en: null },
      restTimeoutMs: 2_000,
      ...extra,
    },
  };
}

/** A webhook request as Twilio sends it: form-encoded, signed over PUBLIC_BASE_URL + path and query. */
export function signedWebhook(pathAndQuery: string, params: Record<string, string>, options: { authToken?: string; baseUrl?: string } = {}) {
  const signature = twilio.getExpectedTwilioSignature(options.authToken ?? AUTH_TOKEN, `${options.baseUrl ?? PUBLIC_BASE_URL}${pathAndQuery}`, params);
  return {
    method: 'POST' as const,
    url: pathAndQuery,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    payload: new URLSearchParams(params).toString(),
  };
}

let sidCounter = 0;
/** A fresh Twilio SID with the given prefix (CA call, RE recording). */
export function sid(prefix: 'CA' | 'RE'): string {
  sidCounter++;
  return `${prefix}${(Date.now().toString(16) + sidCounter.toString(16).padStart(8, '0')).padStart(32, '0').slice(-32)}`;
}

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlNode[];
}

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false, trimValues: false });

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

function toNode(entry: Ordered): XmlNode | null {
  const name = Object.keys(entry).find((k) => k !== ':@');
  if (!name || name === '#text' || name === '?xml') return null;
  const content = (entry[name] as Ordered[]) ?? [];
  return {
    name,
    attrs: entry[':@'] ?? {},
    text: content.filter((c) => '#text' in c).map((c) => String(c['#text'])).join(''),
    children: content.map(toNode).filter((n): n is XmlNode => n !== null),
  };
}

/** TwiML parsed as XML (a parse error fails the test), returned as its <Response> element. */
export function parseTwiml(xml: string): XmlNode {
  const doc = (parser.parse(xml, true) as Ordered[]).map(toNode).filter((n): n is XmlNode => n !== null);
  const response = doc.find((n) => n.name === 'Response');
  if (!response) throw new Error(`not TwiML (no <Response>): ${xml}`);
  return response;
}

/** The names of an element's children, in order: what Twilio will do, verb by verb. */
export const verbs = (node: XmlNode) => node.children.map((c) => c.name);

export const child = (node: XmlNode, name: string): XmlNode => {
  const found = node.children.find((c) => c.name === name);
  if (!found) throw new Error(`<${node.name}> has no <${name}>: it has ${verbs(node).join(', ') || 'nothing'}`);
  return found;
};

/** What Twilio posts about an outgoing call it placed (calls.create): its status callbacks and its TwiML requests. */
export function placedCallParams(create: FakeTwilioCreate, CallStatus: string, extra: Record<string, string> = {}): Record<string, string> {
  return { AccountSid: ACCOUNT_SID, ApiVersion: '2010-04-01', CallSid: create.callSid, CallStatus, Direction: 'outbound-api', From: create.params.From!, To: create.params.To!, ...extra };
}

/**
 * A caller on the hotline number who walks the menus with `keys` through signed webhooks until
 * they wait in the queue (default: Mandarin, labour, no priority group, the first district).
 */
export async function twilioCallerQueued(app: { inject: (o: ReturnType<typeof signedWebhook>) => Promise<{ body: string }> }, keys = ['1', '1', '1', '1']): Promise<{ CallSid: string; callId: string }> {
  const post = (pathAndQuery: string, params: Record<string, string>) => app.inject(signedWebhook(pathAndQuery, params));
  const CallSid = sid('CA');
  const common = { CallSid, AccountSid: ACCOUNT_SID, From: '+8613519712345', CallStatus: 'in-progress' };
  const menu = (xml: string) => child(parseTwiml(xml), 'Gather').attrs.action!.slice(PUBLIC_BASE_URL.length);
  let next = menu((await post('/telephony/twilio/voice', common)).body);
  const callId = /call=([0-9a-f-]{36})/.exec(next)![1]!;
  for (const key of keys.slice(0, -1)) next = menu((await post(next, { ...common, Digits: key })).body);
  await post(next, { ...common, Digits: keys.at(-1)! });
  return { CallSid, callId };
}
