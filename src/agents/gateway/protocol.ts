import { z } from 'zod';
import { frameParser } from '../../ws/frames';
import type { Role } from '../../db/schema';
import type { AgentState, NotReadyReason } from '../../queue/types';
import { TOPIC_CODES } from '../../queue/skills';
import { TICKET_TYPE_CODES } from '../../tickets/ticket-types';

/**
 * The agent desktop's WebSocket protocol (DESIGN §5), version 1. Every frame is a JSON object
 * `{ v: 1, type, ... }`; client frames may carry a `ref` the server echoes in its answer (an
 * `ack` or an `error`), so the page can match answers to what it sent.
 */

/** Where the desk's socket is opened. */
export const PATH = '/agents/ws';
export const PROTOCOL_VERSION = 1;
/** Frames larger than this are abuse: the socket is closed (1009). */
export const MAX_FRAME_BYTES = 16 * 1024;

const Ref = z.string().max(64).optional();
const Id = z.string().min(1).max(64);
const base = { v: z.literal(PROTOCOL_VERSION, { error: `must be ${PROTOCOL_VERSION} (the protocol version)` }), ref: Ref };

export const NOT_READY_REASONS = ['break', 'meal', 'training', 'other'] as const;

const TicketType = z.enum(TICKET_TYPE_CODES).describe('what the caller came for: consultation (咨询), help (求助), complaint (投诉) or suggestion (建议)');

export const TicketFields = z.strictObject({
  type: TicketType.optional(),
  topic: z.enum(TOPIC_CODES).optional(),
  summary: z.string().max(4000).optional(),
  advice: z.string().max(4000).optional(),
  outcome: z.enum(['answered', 'refer_legal_aid', 'refer_mediation', 'divert', 'callback']).nullable().optional(),
  riskFlag: z.boolean().optional(),
});
export type TicketFields = z.infer<typeof TicketFields>;

const LanguageCode = z.string().regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})?$/, 'must be a language code such as bo or mn');

export const TransferTarget = z.union([
  z.strictObject({ agentId: z.uuid('must be an agent id (a UUID)') }),
  z.strictObject({ region: z.string().regex(/^\d{6}$/, 'must be a 6-digit region code') }),
  z.strictObject({ number: z.string().regex(/^\+?[0-9]{3,20}$/, 'must be a phone number of 3 to 20 digits') }),
]);

export const ClientFrame = z.discriminatedUnion('type', [
  z.strictObject({ ...base, type: z.literal('ping') }).describe('Keep-alive at the application level; answered with pong.'),
  z.strictObject({ ...base, type: z.literal('state.set'), state: z.enum(['ready', 'not_ready']), reason: z.enum(NOT_READY_REASONS).optional() }).describe('Become ready for calls, or not ready (with a reason; other when left out).'),
  z.strictObject({ ...base, type: z.literal('offer.accept'), offerId: Id }).describe('Accept the call offered to you; call.connected follows.'),
  z.strictObject({ ...base, type: z.literal('offer.decline'), offerId: Id }).describe('Decline the call offered to you; it goes back to the queue and you become not ready.'),
  z.strictObject({ ...base, type: z.literal('call.hold'), callId: Id }).describe('Put the caller on hold; call.held follows the ack.'),
  z.strictObject({ ...base, type: z.literal('call.unhold'), callId: Id }).describe('Take the caller off hold; call.held follows the ack.'),
  z.strictObject({ ...base, type: z.literal('call.hangup'), callId: Id }).describe('End the call; call.ended and wrap-up follow.'),
  z.strictObject({ ...base, type: z.literal('call.transfer'), callId: Id, to: TransferTarget, mode: z.enum(['blind', 'consult']) }).describe("Transfer the call to a ready colleague, a region's queue or an outside number. blind: an outside number is dialled while the call stays the agent's (call.forwarding, then call.ended (forwarded) or call.forward_failed). consult (where capabilities.consult): the caller waits on hold while you talk to the target (call.leg.changed frames follow), then send call.leg with complete, merge or cancel."),
  z
    .strictObject({
      ...base,
      type: z.literal('call.interpreter'),
      callId: Id,
      to: z.union([
        z.strictObject({ agentId: z.uuid('must be an agent id (a UUID)') }),
        z.strictObject({ number: z.string().regex(/^\+?[0-9]{3,20}$/, 'must be a phone number of 3 to 20 digits') }),
        z.strictObject({ language: LanguageCode }),
      ]),
      language: LanguageCode.optional().describe('the language to interpret (required with agentId)'),
    })
    .describe("Bring an interpreter into a three-way call (where capabilities.interpreter): a colleague, the next signed-in agent who speaks the language (never relaxed), or an outside number; call.leg.changed frames follow."),
  z
    .strictObject({ ...base, type: z.literal('call.leg'), callId: Id, action: z.enum(['merge', 'complete', 'cancel', 'drop']) })
    .describe("On your call's second leg: merge the consult into a three-way call, complete (the target carries the call on, you go to wrap-up), cancel (back to the caller) or drop the third party."),
  z.strictObject({ ...base, type: z.literal('ticket.save'), ticketId: z.uuid('must be a ticket id (a UUID)'), fields: TicketFields }).describe("Save the ticket's notes (only the fields sent); the stored ticket comes back in a ticket frame."),
  z.strictObject({ ...base, type: z.literal('wrapup.end'), next: z.enum(['ready', 'not_ready']).optional() }).describe('End wrap-up early, ready by default.'),
  z.strictObject({ ...base, type: z.literal('wrapup.extend'), seconds: z.number().int().min(1).max(600) }).describe('Extend wrap-up by this many seconds.'),
  z.strictObject({ ...base, type: z.literal('logout') }).describe('Sign out of routing; refused during a call. The socket closes with 4002 after the ack.'),
  z.strictObject({ ...base, type: z.literal('directory.get') }).describe('Ask for the colleagues signed in now; answered with directory.'),
  z.strictObject({ ...base, type: z.literal('callback.result'), callId: Id, result: z.enum(['reached', 'no_answer', 'busy', 'wrong_number']) }).describe('How an attempt at a callback went (during the call or in wrap-up); without it the talk time decides.'),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export const CLIENT_TYPES = ClientFrame.options.map((o) => o.shape.type.value);

/** Turns a raw frame into a client frame, or a message naming what was wrong. */
export const parseClientFrame = frameParser(ClientFrame, CLIENT_TYPES);

// ---- server → client ---------------------------------------------------------------------------
// Described with zod although the server does not parse what it sends: the types below are
// inferred from these schemas, so the AsyncAPI document (src/api/asyncapi.ts) cannot drift from
// what the gateway is allowed to write.

/** Why the server refused a frame. The page shows the Chinese or English text it carries. */
export const ERROR_CODES = ['BAD_FRAME', 'RATE_LIMITED', 'REFUSED', 'NOT_YOURS', 'NOT_FOUND', 'UNSUPPORTED', 'UNAVAILABLE', 'INTERNAL'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const AgentStateSchema = z.enum(['offline', 'ready', 'reserved', 'on_call', 'wrap_up', 'not_ready'] as const satisfies readonly AgentState[]);
const NotReadyReasonSchema = z.enum(['login', 'break', 'meal', 'training', 'missed', 'declined', 'supervisor', 'other'] as const satisfies readonly NotReadyReason[]);
const RoleSchema = z.enum(['agent', 'supervisor', 'admin', 'organisation'] as const satisfies readonly Role[]);
/** Milliseconds since the Unix epoch, the server's clock. */
const EpochMs = z.number().describe('milliseconds since the Unix epoch (server clock)');
const IsoTime = z.string().describe('ISO 8601 time');
const Count = z.number().int().min(0);

export const RegionView = z.object({ code: z.string(), name: z.string().describe('Chinese name'), nameEn: z.string().describe('pinyin name') });
export type RegionView = z.infer<typeof RegionView>;

/** One earlier ticket of the same caller, for the agent's context. */
export const HistoryItem = z.object({
  ticketId: z.uuid(),
  number: z.string().describe('the ticket number people quote'),
  at: IsoTime,
  topic: z.string().nullable(),
  outcome: z.string().nullable(),
  riskFlag: z.boolean(),
  summary: z.string().describe('the first 200 characters of the summary'),
});
export type HistoryItem = z.infer<typeof HistoryItem>;

/** A call's second leg (consult or interpreter), as the agent holding the call and its target see it. */
export const LegView = z.object({
  legId: z.string(),
  purpose: z.enum(['consult', 'interpreter']),
  state: z.enum(['ringing', 'talking', 'merged']).describe('ringing: not answered yet; talking: you and the target, the caller on hold; merged: all three talk'),
  byAgentId: z.string().describe('the agent holding the call'),
  to: z
    .union([z.object({ agentId: z.string() }), z.object({ region: z.string() }), z.object({ language: z.string() }), z.object({ number: z.string() })])
    .describe('whom it was opened for: a colleague, the next agent of a region or language, an outside number'),
  agentId: z.string().nullable().describe('the colleague on the leg once one took it'),
  since: EpochMs,
});
export type LegView = z.infer<typeof LegView>;

/** What the agent sees of a call: the caller's number only as far as the role may. */
export const CallView = z.object({
  callId: z.string(),
  kind: z.enum(['call', 'callback', 'leg']).describe('an incoming call, an attempt at a callback the hotline promised, or a colleague\'s call you are asked into (a consultation or to interpret)'),
  leg: z
    .object({ purpose: z.enum(['consult', 'interpreter']), callId: z.string().describe("the caller's call"), fromAgentId: z.string().describe('the colleague who holds the call') })
    .optional()
    .describe('kind leg: whose call and why; the caller is on hold while you consult, or hears you when you interpret'),
  callerNumber: z.string().describe('masked for agents (135****2345); whole for supervisors and admins; empty when unknown'),
  region: RegionView,
  language: z.string().describe('language code (catalogue.languages)'),
  topic: z.string().describe('topic code (catalogue.topics)'),
  priority: z.number().describe('higher goes first'),
  enqueuedAt: EpochMs,
  answeredAt: EpochMs.nullable(),
  held: z.boolean(),
  secondLeg: LegView.nullable().optional().describe("the call's consult or interpreter leg, while it has one"),
  history: z.array(HistoryItem).describe('earlier tickets of the same number, newest first (at most 10)'),
  detailsUnavailable: z.literal(true).optional().describe("the caller's number and history could not be read (the database is away); the call goes on"),
});
export type CallView = z.infer<typeof CallView>;

export const TicketView = z.object({
  id: z.uuid(),
  number: z.string(),
  callId: z.string().nullable(),
  type: TicketType.describe('what the caller came for (consultation 咨询, help 求助, complaint 投诉, suggestion 建议); a new ticket is a consultation'),
  topic: z.string().nullable(),
  summary: z.string(),
  advice: z.string(),
  outcome: z.string().nullable(),
  riskFlag: z.boolean(),
  updatedAt: IsoTime,
});
export type TicketView = z.infer<typeof TicketView>;

export const StateView = z.object({
  state: AgentStateSchema,
  reason: NotReadyReasonSchema.nullable().describe('why the agent is not ready; null in other states'),
  since: EpochMs.describe('when the state last changed'),
  wrapUpEndsAt: EpochMs.nullable(),
});
export type StateView = z.infer<typeof StateView>;

export const OfferView = z.object({ offerId: z.string(), expiresAt: EpochMs.describe('accept before this, or the call goes back to the queue'), call: CallView });
export type OfferView = z.infer<typeof OfferView>;

export const QueueStatsView = z.object({
  regionCode: z.string(),
  waiting: Count,
  longestWaitSeconds: Count,
  agentsReady: Count,
  agentsBusy: Count,
  estimatedWaitSeconds: Count.nullable().describe('null when nobody is staffed'),
});
export type QueueStatsView = z.infer<typeof QueueStatsView>;

export const Label = z.object({ code: z.string(), zh: z.string(), en: z.string() });
export type Label = z.infer<typeof Label>;

/** Names the page shows for codes; sent once in hello so the page never keeps its own copy. */
export const Catalogue = z.object({
  topics: z.array(Label),
  ticketTypes: z.array(Label).describe('ticket types in the order the form offers them, the default (consultation) first'),
  languages: z.array(Label).describe("the languages this province's hotline offers"),
  outcomes: z.array(Label),
  notReadyReasons: z.array(Label),
  matters: z.object({ art31: z.array(z.string()), art32: z.array(z.string()), other: z.array(z.string()) }).describe('legal aid matters by Legal Aid Law article, for the referral panel'),
  departments: z.array(z.string()).describe('departments calls are commonly diverted to'),
});
export type Catalogue = z.infer<typeof Catalogue>;

/** How the page gets the caller's voice: none in simulator mode. */
/** What the phone systems let people do beyond the basic call: a control none allows is not shown. */
export const Capabilities = z
  .object({
    forward: z.boolean().describe('transfer to an outside (mainland) number'),
    consult: z.boolean().describe('consultative (warm) transfer'),
    interpreter: z.boolean().describe('add an interpreter to the call'),
    monitor: z.array(z.enum(['listen', 'whisper', 'barge'])).describe('how a supervisor may join a call'),
  })
  .describe('Allowed only when every phone system of the service allows it.');

export const AudioView = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('twilio'), tokenUrl: z.string().describe('GET it (with the bearer token) for a Twilio Voice access token') }),
  z.object({ kind: z.literal('sip'), wsUrl: z.string(), domain: z.string(), username: z.string(), password: z.string() }).describe('register a SIP.js user agent over WebSocket with these'),
]);
export type AudioView = z.infer<typeof AudioView>;

/** Colleagues signed in now, for transfers and interpreters. */
export const DirectoryEntry = z.object({ id: z.string(), displayName: z.string(), region: RegionView, state: AgentStateSchema, languages: z.array(z.string()) });
export type DirectoryEntry = z.infer<typeof DirectoryEntry>;

/** A referral overdue for acceptance or closing (src/tickets/referral-sweeper.ts). */
const OverdueAlertView = z.object({
  kind: z.literal('referral_overdue'),
  deadline: z.enum(['accept', 'close']),
  referralId: z.string(),
  referralKind: z.string(),
  ticketNumber: z.string(),
  regionCode: z.string().nullable().describe("the caller's region"),
  organisation: z.object({ nameZh: z.string(), nameEn: z.string() }).nullable(),
  dueAt: IsoTime.nullable(),
  at: IsoTime,
});

const out = { v: z.literal(PROTOCOL_VERSION) };
const answerRef = z.string().optional().describe('the ref of the frame this answers');

/** Every frame the server sends, each described for the AsyncAPI document. */
export const SERVER_FRAMES = [
  z
    .object({
      ...out,
      type: z.literal('hello'),
      sessionId: z.string(),
      serverTime: EpochMs,
      agent: z.object({
        id: z.string(),
        username: z.string(),
        displayName: z.string(),
        role: RoleSchema,
        region: RegionView,
        remoteSeat: z.boolean().describe('on the rota as a remote seat: offers ring the seat phone (the desk is for tickets)'),
      }),
      state: StateView,
      offer: OfferView.nullable().describe('an offer still ringing for the agent'),
      call: CallView.nullable().describe('the call the agent is on'),
      ticket: TicketView.nullable().describe("the ticket of that call, or of the call just wrapped up"),
      settings: z.object({ offerTimeoutSeconds: z.number(), wrapUpSeconds: z.number(), heartbeatSeconds: z.number(), maxFrameBytes: z.number().int() }),
      audio: AudioView,
      capabilities: Capabilities,
      catalogue: Catalogue,
    })
    .describe('First frame once the agent is signed in to routing: who they are, their state, any offer, call and ticket in progress (a reloaded page picks up where it was), settings, audio and the names of codes.'),
  z.object({ ...out, type: z.literal('state'), ...StateView.shape }).describe("The agent's routing state changed."),
  z.object({ ...out, type: z.literal('offer'), ...OfferView.shape }).describe('A call is offered to the agent: answer with offer.accept or offer.decline before expiresAt.'),
  z
    .object({ ...out, type: z.literal('offer.cancelled'), offerId: z.string(), reason: z.enum(['declined', 'timeout', 'agent_lost', 'bridge_failed', 'caller_left', 'recovered']) })
    .describe('An offer was withdrawn; the call went back to the queue or ended.'),
  z.object({ ...out, type: z.literal('call.connected'), call: CallView }).describe('The accepted call is connected to the agent.'),
  z.object({ ...out, type: z.literal('call.held'), callId: z.string(), held: z.boolean() }).describe('The caller was put on hold or taken off it.'),
  z
    .object({ ...out, type: z.literal('call.forwarding'), callId: z.string(), number: z.string() })
    .describe('The phone system is dialling the outside number the agent transferred the caller to; the call stays the agent\'s until it answers (call.ended, reason forwarded) or fails (call.forward_failed).'),
  z
    .object({ ...out, type: z.literal('call.forward_failed'), callId: z.string(), number: z.string(), status: z.string(), cause: z.string().nullable() })
    .describe('The outside number did not answer (status busy, noanswer, chanunavail, congestion …; cause the Q.850 code where known): the caller is put back through to the agent.'),
  z
    .object({ ...out, type: z.literal('call.ended'), callId: z.string(), talkSeconds: Count, reason: z.enum(['hangup', 'transferred', 'forwarded', 'caller_left', 'not_reached']) })
    .describe("The agent's part in the call is over; wrap-up follows (not after caller_left or not_reached: a callback the phone system dialled that did not reach the caller)."),
  z
    .object({ ...out, type: z.literal('call.leg.changed'), callId: z.string().describe("the caller's call"), phase: z.enum(['opened', 'answered', 'merged', 'completed', 'closed']), leg: LegView, reason: z.enum(['cancelled', 'dropped', 'unanswered', 'target_left', 'call_ended']).optional() })
    .describe("A second leg of a call changed (to the agent holding the call and to the colleague on the leg): after completed the colleague gets call.connected for the caller's call and the agent call.ended (transferred); after closed the colleague's leg ends (call.ended)."),
  z.object({ ...out, type: z.literal('ticket'), ticket: TicketView }).describe('The ticket of the call as stored: when it was opened and after each ticket.save.'),
  z.object({ ...out, type: z.literal('queue.stats'), ...QueueStatsView.shape }).describe("Queue figures for the agent's region, sent when they change."),
  z.object({ ...out, type: z.literal('ack'), ref: answerRef, of: z.enum(CLIENT_TYPES as [ClientFrame['type'], ...ClientFrame['type'][]]) }).describe('The frame with this ref was carried out.'),
  z.object({ ...out, type: z.literal('pong'), ref: answerRef, serverTime: EpochMs }).describe('Answer to ping.'),
  z
    .object({ ...out, type: z.literal('error'), ref: answerRef, code: z.enum(ERROR_CODES), message: z.string(), messageZh: z.string() })
    .describe('A frame was refused (BAD_FRAME names the field) or could not be carried out. The socket stays open.'),
  z.object({ ...out, type: z.literal('session.replaced') }).describe('The agent signed in on another page; this socket closes with 4001 next. Do not reconnect by yourself.'),
  z.object({ ...out, type: z.literal('directory'), agents: z.array(DirectoryEntry) }).describe('Answer to directory.get: colleagues signed in now (at most 500).'),
  z.object({ ...out, type: z.literal('alert'), alert: OverdueAlertView }).describe('Supervisors and admins only: a referral in their area is overdue.'),
] as const;

export type ServerFrame = z.infer<(typeof SERVER_FRAMES)[number]>;

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
