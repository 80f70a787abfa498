import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import twilio from 'twilio';
import type { Config } from '../../src/config/config';

/**
 * Twilio at the protocol boundary, for tests and benchmarks: a local stand-in for the REST API
 * (it records every request and answers call updates as Twilio does), webhook requests signed
 * the way Twilio signs them, and TwiML parsed back into a tree.
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
}

export interface FakeTwilio {
  url: string;
  requests: FakeTwilioRequest[];
  /** Call updates received, oldest first. */
  updates(): (FakeTwilioRequest & { callSid: string })[];
  /** The next call update is answered with this HTTP status and Twilio error. */
  failNext(status: number, code: number, message: string): void;
  close(): Promise<void>;
}

const UPDATE = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Calls\/(CA[0-9a-f]{32})\.json$/;

export async function startFakeTwilio(): Promise<FakeTwilio> {
  const requests: FakeTwilioRequest[] = [];
  const failures: { status: number; code: number; message: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      const params = Object.fromEntries(new URLSearchParams(body));
      requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, params });
      const json = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      const match = UPDATE.exec(path);
      if (req.method !== 'POST' || !match) return json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
      const failure = failures.shift();
      if (failure) return json(failure.status, { code: failure.code, message: failure.message, status: failure.status, more_info: `https://www.twilio.com/docs/errors/${failure.code}` });
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
    failNext: (status, code, message) => failures.push({ status, code, message }),
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
