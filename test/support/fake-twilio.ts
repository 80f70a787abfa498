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
  close(): Promise<void>;
}

const UPDATE = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Calls\/(CA[0-9a-f]{32})\.json$/;
const CREATE = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Calls\.json$/;
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

export async function startFakeTwilio(): Promise<FakeTwilio> {
  const requests: FakeTwilioRequest[] = [];
  const created: FakeTwilioCreate[] = [];
  const failures: Failure[] = [];
  const createFailures: Failure[] = [];
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
      const match = UPDATE.exec(path);
      if (req.method !== 'POST' || !match) return json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
      const failure = failures.shift();
      if (failure) return error(failure);
      const [, accountSid, callSid] = match;
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
