import { z } from 'zod';
import { frameParser } from '../../ws/frames';
import type { AgentState, NotReadyReason } from '../../queue/types';
import { TOPIC_CODES } from '../../queue/skills';
import type { OverdueAlert } from '../../tickets/referral-sweeper';

/**
 * The agent desktop's WebSocket protocol (DESIGN §5), version 1. Every frame is a JSON object
 * `{ v: 1, type, ... }`; client frames may carry a `ref` the server echoes in its answer (an
 * `ack` or an `error`), so the page can match answers to what it sent.
 */

export const PROTOCOL_VERSION = 1;
/** Frames larger than this are abuse: the socket is closed (1009). */
export const MAX_FRAME_BYTES = 16 * 1024;

const Ref = z.string().max(64).optional();
const Id = z.string().min(1).max(64);
const base = { v: z.literal(PROTOCOL_VERSION, { error: `must be ${PROTOCOL_VERSION} (the protocol version)` }), ref: Ref };

export const NOT_READY_REASONS = ['break', 'meal', 'training', 'other'] as const;

export const TicketFields = z.strictObject({
  topic: z.enum(TOPIC_CODES).optional(),
  summary: z.string().max(4000).optional(),
  advice: z.string().max(4000).optional(),
  outcome: z.enum(['answered', 'refer_legal_aid', 'refer_mediation', 'divert', 'callback']).nullable().optional(),
  riskFlag: z.boolean().optional(),
});
export type TicketFields = z.infer<typeof TicketFields>;

export const TransferTarget = z.union([
  z.strictObject({ agentId: z.uuid('must be an agent id (a UUID)') }),
  z.strictObject({ region: z.string().regex(/^\d{6}$/, 'must be a 6-digit region code') }),
  z.strictObject({ number: z.string().regex(/^\+?[0-9]{3,20}$/, 'must be a phone number of 3 to 20 digits') }),
]);

export const ClientFrame = z.discriminatedUnion('type', [
  z.strictObject({ ...base, type: z.literal('ping') }),
  z.strictObject({ ...base, type: z.literal('state.set'), state: z.enum(['ready', 'not_ready']), reason: z.enum(NOT_READY_REASONS).optional() }),
  z.strictObject({ ...base, type: z.literal('offer.accept'), offerId: Id }),
  z.strictObject({ ...base, type: z.literal('offer.decline'), offerId: Id }),
  z.strictObject({ ...base, type: z.literal('call.hold'), callId: Id }),
  z.strictObject({ ...base, type: z.literal('call.unhold'), callId: Id }),
  z.strictObject({ ...base, type: z.literal('call.hangup'), callId: Id }),
  z.strictObject({ ...base, type: z.literal('call.transfer'), callId: Id, to: TransferTarget, mode: z.enum(['blind', 'consult']) }),
  z.strictObject({ ...base, type: z.literal('call.interpreter'), callId: Id, to: z.union([z.strictObject({ agentId: z.uuid() }), z.strictObject({ number: z.string().regex(/^\+?[0-9]{3,20}$/) })]) }),
  z.strictObject({ ...base, type: z.literal('ticket.save'), ticketId: z.uuid('must be a ticket id (a UUID)'), fields: TicketFields }),
  z.strictObject({ ...base, type: z.literal('wrapup.end'), next: z.enum(['ready', 'not_ready']).optional() }),
  z.strictObject({ ...base, type: z.literal('wrapup.extend'), seconds: z.number().int().min(1).max(600) }),
  z.strictObject({ ...base, type: z.literal('logout') }),
  z.strictObject({ ...base, type: z.literal('directory.get') }),
  /** How an attempt at a callback went (during the call or in wrap-up); without it the talk time decides. */
  z.strictObject({ ...base, type: z.literal('callback.result'), callId: Id, result: z.enum(['reached', 'no_answer', 'busy', 'wrong_number']) }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export const CLIENT_TYPES = ClientFrame.options.map((o) => o.shape.type.value);

/** Turns a raw frame into a client frame, or a message naming what was wrong. */
export const parseClientFrame = frameParser(ClientFrame, CLIENT_TYPES);

// ---- server → client ---------------------------------------------------------------------------

/** Why the server refused a frame. The page shows the Chinese or English text it carries. */
export type ErrorCode =
  | 'BAD_FRAME'
  | 'RATE_LIMITED'
  | 'REFUSED'
  | 'NOT_YOURS'
  | 'NOT_FOUND'
  | 'UNSUPPORTED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export interface RegionView {
  code: string;
  name: string;
  nameEn: string;
}

/** One earlier ticket of the same caller, for the agent's context. */
export interface HistoryItem {
  ticketId: string;
  number: string;
  at: string;
  topic: string | null;
  outcome: string | null;
  riskFlag: boolean;
  summary: string;
}

/** What the agent sees of a call: the caller's number only as far as the role may. */
export interface CallView {
  callId: string;
  kind: 'call' | 'callback';
  callerNumber: string;
  region: RegionView;
  language: string;
  topic: string;
  priority: number;
  enqueuedAt: number;
  answeredAt: number | null;
  held: boolean;
  history: HistoryItem[];
  /** The caller's number and history could not be read (the database is away); the call goes on. */
  detailsUnavailable?: true;
}

export interface TicketView {
  id: string;
  number: string;
  callId: string | null;
  topic: string | null;
  summary: string;
  advice: string;
  outcome: string | null;
  riskFlag: boolean;
  updatedAt: string;
}

export interface StateView {
  state: AgentState;
  reason: NotReadyReason | null;
  since: number;
  wrapUpEndsAt: number | null;
}

export interface OfferView {
  offerId: string;
  expiresAt: number;
  call: CallView;
}

export interface QueueStatsView {
  regionCode: string;
  waiting: number;
  longestWaitSeconds: number;
  agentsReady: number;
  agentsBusy: number;
  estimatedWaitSeconds: number | null;
}

export type ServerFrame = { v: typeof PROTOCOL_VERSION } & (
  | {
      type: 'hello';
      sessionId: string;
      serverTime: number;
      agent: { id: string; username: string; displayName: string; role: string; region: RegionView };
      state: StateView;
      offer: OfferView | null;
      call: CallView | null;
      ticket: TicketView | null;
      settings: { offerTimeoutSeconds: number; wrapUpSeconds: number; heartbeatSeconds: number; maxFrameBytes: number };
      audio: AudioView;
      catalogue: Catalogue;
    }
  | ({ type: 'state' } & StateView)
  | ({ type: 'offer' } & OfferView)
  | { type: 'offer.cancelled'; offerId: string; reason: 'declined' | 'timeout' | 'agent_lost' | 'bridge_failed' | 'caller_left' | 'recovered' }
  | { type: 'call.connected'; call: CallView }
  | { type: 'call.held'; callId: string; held: boolean }
  | { type: 'call.ended'; callId: string; talkSeconds: number; reason: 'hangup' | 'transferred' | 'caller_left' }
  | { type: 'ticket'; ticket: TicketView }
  | ({ type: 'queue.stats' } & QueueStatsView)
  | { type: 'ack'; ref?: string; of: ClientFrame['type'] }
  | { type: 'pong'; ref?: string; serverTime: number }
  | { type: 'error'; ref?: string; code: ErrorCode; message: string; messageZh: string }
  | { type: 'session.replaced' }
  | { type: 'directory'; agents: DirectoryEntry[] }
  /** For supervisors and admins: something in their area needs attention (an overdue referral). */
  | { type: 'alert'; alert: OverdueAlert }
);

export interface Label {
  code: string;
  zh: string;
  en: string;
}

/** Names the page shows for codes; sent once in hello so the page never keeps its own copy. */
export interface Catalogue {
  topics: Label[];
  languages: Label[];
  outcomes: Label[];
  notReadyReasons: Label[];
  /** Legal aid matters by Legal Aid Law article, for the referral panel (names are the page's). */
  matters: { art31: string[]; art32: string[]; other: string[] };
  /** Departments calls are commonly diverted to. */
  departments: string[];
}

/** How the page gets the caller's voice: none in simulator mode. */
export type AudioView =
  | { kind: 'none' }
  | { kind: 'twilio'; tokenUrl: string }
  | { kind: 'sip'; wsUrl: string; domain: string; username: string; password: string };

/** Colleagues signed in now, for transfers and interpreters. */
export interface DirectoryEntry {
  id: string;
  displayName: string;
  region: RegionView;
  state: AgentState;
  languages: string[];
}

/** Close codes the page acts on (4000–4999 are the application's own). */
export const CLOSE = {
  /** Another login of the same agent took over: do not reconnect by itself. */
  replaced: 4001,
  /** The agent logged out from this page. */
  loggedOut: 4002,
  /** The account was disabled or the token expired while connected. */
  unauthorised: 4003,
  /** Flooding or repeated garbage (RFC 6455 policy violation). */
  abuse: 1008,
  /** The node is shutting down: reconnect, another node will answer. */
  goingAway: 1001,
} as const;
