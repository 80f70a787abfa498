import { z } from 'zod';
import * as desk from '../agents/gateway/protocol';
import * as deskSession from '../agents/gateway/agent-session';
import type { Access } from '../auth/actor';
import * as board from '../supervisors/protocol';
import * as boardSession from '../supervisors/supervisor-session';

/**
 * The AsyncAPI 3.0 document of the service's WebSockets, built from the zod schemas the sockets
 * parse client frames with and type server frames by, so it says what the code does. The
 * openapi plugin serves it at /asyncapi.json.
 */

/** A WebSocket route as registered: where, who may open it, and its query schema. */
export interface SocketRoute {
  url: string;
  access: Access | undefined;
  querystring: z.ZodType | undefined;
}

interface Protocol {
  channel: string;
  address: string;
  title: string;
  description: string;
  clientFrames: readonly z.ZodObject[];
  serverFrames: readonly z.ZodType[];
  /** Close codes a client sees, with what each means for it. */
  close: Record<number, string>;
  rate: { perSecond: number; burst: number; abuseLimit: number; abuseWindowMs: number };
}

/** Sent by `ws` itself when a frame exceeds maxPayload, before any code of ours sees it. */
const MESSAGE_TOO_BIG = 1009;

const deskClose: Record<(typeof desk.CLOSE)[keyof typeof desk.CLOSE], string> = {
  [desk.CLOSE.replaced]: 'The agent signed in on another page (session.replaced came just before). Do not reconnect by yourself, or the two pages take the desk from each other.',
  [desk.CLOSE.loggedOut]: 'The agent signed out from this page (logout).',
  [desk.CLOSE.unauthorised]:
    'The sign-in is no longer valid: the account was disabled or deleted, or its password or role changed, while the socket was open (or just before it signed in to routing). Sign in again.',
  [desk.CLOSE.abuse]: 'Too many refused or dropped frames (flooding, repeated garbage).',
  [desk.CLOSE.goingAway]: 'The node is shutting down: reconnect, another node will answer.',
};

const boardClose: Record<(typeof board.CLOSE)[keyof typeof board.CLOSE], string> = {
  [board.CLOSE.unauthorised]: 'The sign-in is no longer valid: the token expired, or the account was disabled, lost the supervisor role or changed its password while the board was open. Sign in again.',
  [board.CLOSE.abuse]: 'Too many refused or dropped frames (flooding, repeated garbage).',
  [board.CLOSE.goingAway]: 'The node is shutting down: reconnect, another node will answer.',
};

const PROTOCOLS: readonly Protocol[] = [
  {
    channel: 'agentDesk',
    address: desk.PATH,
    title: 'Agent desk',
    description:
      "The agent desktop's connection to routing: offers, calls, tickets and the agent's state. While it is open the agent stays signed in to routing; " +
      'once it is gone, the agent is signed out after the presence grace period and a ringing offer goes back to the queue. ' +
      'One desk per agent: opening a second one closes the first (4001).',
    clientFrames: desk.ClientFrame.options,
    serverFrames: desk.SERVER_FRAMES,
    close: { ...deskClose, [MESSAGE_TOO_BIG]: `A frame larger than ${desk.MAX_FRAME_BYTES} bytes.` },
    rate: { perSecond: deskSession.RATE_PER_SECOND, burst: deskSession.RATE_BURST, abuseLimit: deskSession.ABUSE_LIMIT, abuseWindowMs: deskSession.ABUSE_WINDOW_MS },
  },
  {
    channel: 'wallboard',
    address: board.PATH,
    title: 'Supervisor wallboard',
    description:
      "Live figures and alerts for a supervisor's area (an admin's is the province): a board of the focus region and every region below it, pushed as figures change, " +
      'and alerts (overdue referrals, risk calls, missed calls, topic spikes) as they happen.',
    clientFrames: board.ClientFrame.options,
    serverFrames: board.SERVER_FRAMES,
    close: { ...boardClose, [MESSAGE_TOO_BIG]: `A frame larger than ${board.MAX_FRAME_BYTES} bytes.` },
    rate: { perSecond: boardSession.RATE_PER_SECOND, burst: boardSession.RATE_BURST, abuseLimit: boardSession.ABUSE_LIMIT, abuseWindowMs: boardSession.ABUSE_WINDOW_MS },
  },
];

/** "offer.cancelled" → "offerCancelled": a message id that needs no escaping anywhere. */
const messageId = (type: string) => type.replace(/[._]([a-z])/g, (_m, c: string) => c.toUpperCase());

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  // AsyncAPI's default schema format is a superset of JSON Schema draft-07.
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: 'draft-07', io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** The `type` a frame schema fixes; every frame of both protocols has one. */
function frameType(schema: z.ZodType): string {
  const json = jsonSchema(schema, 'output');
  const branch = (json.properties ?? (json.anyOf as Record<string, unknown>[] | undefined)?.[0]?.properties ?? (json.oneOf as Record<string, unknown>[] | undefined)?.[0]?.properties) as
    | Record<string, { const?: unknown }>
    | undefined;
  const type = branch?.type?.const;
  if (typeof type !== 'string') throw new Error('a frame schema without a literal type');
  return type;
}

/** Whether a server frame echoes the client's ref. */
function hasRef(payload: Record<string, unknown>): boolean {
  const branches = [payload, ...((payload.oneOf ?? payload.anyOf ?? []) as Record<string, unknown>[])];
  return branches.some((b) => 'ref' in ((b.properties ?? {}) as object));
}

function message(schema: z.ZodType, io: 'input' | 'output') {
  const name = frameType(schema);
  const payload = jsonSchema(schema, io);
  return [messageId(name), { name, summary: schema.description ?? name, contentType: 'application/json', payload }] as const;
}

function accessText(access: Access | undefined): string {
  if (access === undefined || access === 'public') return 'anyone';
  if (access === 'authenticated') return 'any signed-in user';
  return access.join(', ');
}

function channelDescription(p: Protocol, route: SocketRoute, answers: readonly string[]): string {
  const close = Object.entries(p.close)
    .sort(([a], [b]) => Number(b) - Number(a))
    .map(([code, meaning]) => `| ${code} | ${meaning} |`)
    .join('\n');
  return [
    p.description,
    '',
    `**Signing in.** Open \`${p.address}\` asking for the subprotocols \`hotline.v1\` and \`bearer.<JWT>\` (the token from \`POST /api/auth/login\` or \`/api/auth/refresh\`): browsers cannot set headers on a WebSocket upgrade, and a subprotocol keeps the token out of URLs, logs and the console; the server answers \`hotline.v1\`. Tools may send \`?token=<JWT>\` instead. ` +
      `Roles let in: ${accessText(route.access)}. The upgrade is refused with HTTP 401 when the token is missing, not valid or expired, or the account is disabled or its sign-in revoked, ` +
      'and 403 for another role; the body is the API\'s JSON error.',
    '',
    `**Frames.** Every frame is a JSON text frame \`{ "v": 1, "type": …, … }\`. A client frame may carry a \`ref\` (up to 64 characters) that its answer (${answers.map((a) => `\`${a}\``).join(', ')}) echoes. ` +
      'A refused frame is answered with an `error` frame and the socket stays open. Strings must not contain NUL (U+0000), which the schemas cannot say. ' +
      `At most ${p.rate.perSecond} frames a second (bursts of ${p.rate.burst}); beyond that frames are dropped with a RATE_LIMITED error, ` +
      `and ${p.rate.abuseLimit} refused or dropped frames within ${p.rate.abuseWindowMs / 1000} seconds close the socket (1008). ` +
      'The server sends WebSocket pings; a socket that has answered nothing (pong or frame) by the next one is dropped.',
    '',
    '**Close codes.**',
    '',
    '| Code | Meaning |',
    '| --- | --- |',
    close,
  ].join('\n');
}

export interface AsyncApiOptions {
  version: string;
  /** The WebSocket routes of the app, by URL. */
  routes: ReadonlyMap<string, SocketRoute>;
}

export type AsyncApiDocument = ReturnType<typeof asyncApiDocument>;

/** The document as fetched from `host`: its server entry is where the client already is. */
export function servedFrom(doc: AsyncApiDocument, host: string, secure: boolean): AsyncApiDocument {
  return { ...doc, servers: { hotline: { ...doc.servers.hotline, host, protocol: secure ? 'wss' : 'ws' } } };
}

/** The document without a host; servedFrom() fills it in. */
export function asyncApiDocument(o: AsyncApiOptions) {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const p of PROTOCOLS) {
    const route = o.routes.get(p.address);
    if (!route) continue;
    const fromClient = p.clientFrames.map((f) => message(f, 'input'));
    const fromServer = p.serverFrames.map((f) => message(f, 'output'));
    const ids = [...fromClient, ...fromServer].map(([id]) => id);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    // One map holds both directions' messages, by id.
    if (twice) throw new Error(`${p.address}: two frames are both named ${twice}`);
    const answers = fromServer.filter(([, m]) => hasRef(m.payload)).map(([, m]) => m.name);
    channels[p.channel] = {
      address: p.address,
      title: p.title,
      description: channelDescription(p, route, answers),
      servers: [{ $ref: '#/servers/hotline' }],
      messages: Object.fromEntries([...fromClient, ...fromServer]),
      'x-close-codes': Object.fromEntries(Object.entries(p.close)),
      bindings: { ws: { method: 'GET', ...(route.querystring ? { query: jsonSchema(route.querystring, 'input') } : {}), bindingVersion: '0.1.0' } },
    };
    const refs = (ms: readonly (readonly [string, unknown])[]) => ms.map(([id]) => ({ $ref: `#/channels/${p.channel}/messages/${id}` }));
    operations[`${p.channel}FromClient`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${p.channel}` },
      title: `${p.title}: client → server`,
      summary: 'Frames the client sends.',
      messages: refs(fromClient),
    };
    operations[`${p.channel}ToClient`] = {
      action: 'send',
      channel: { $ref: `#/channels/${p.channel}` },
      title: `${p.title}: server → client`,
      summary: 'Frames the server sends.',
      messages: refs(fromServer),
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: '12348 hotline WebSockets',
      version: o.version,
      description: 'The agent desk and supervisor wallboard sockets. The HTTP API is described at [/openapi.json](/openapi.json) and shown at [/docs](/docs).',
    },
    defaultContentType: 'application/json',
    servers: {
      hotline: {
        host: '',
        protocol: 'ws' as 'ws' | 'wss',
        description: 'The host this document was fetched from; every node of the deployment serves both sockets. Behind a TLS proxy, use wss.',
        security: [{ $ref: '#/components/securitySchemes/subprotocolToken' }, { $ref: '#/components/securitySchemes/queryToken' }],
      },
    },
    channels,
    operations,
    components: {
      securitySchemes: {
        subprotocolToken: { type: 'httpApiKey', name: 'Sec-WebSocket-Protocol', in: 'header', description: 'hotline.v1, bearer.<JWT>: the JWT from POST /api/auth/login (or /api/auth/refresh) as a subprotocol beside the page\'s own; what the pages send.' },
        queryToken: { type: 'httpApiKey', name: 'token', in: 'query', description: 'The JWT in the query of the upgrade request, for tools that cannot ask for subprotocols.' },
      },
    },
  };
}
