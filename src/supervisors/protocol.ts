import { z } from 'zod';
import { frameParser } from '../ws/frames';

/**
 * The supervisors' wallboard WebSocket (/supervisors/ws, DESIGN §5), version 1. Every frame is a
 * JSON object `{ v: 1, type, ... }`; a client frame may carry a `ref` that the server echoes in
 * its answer (`pong`, `subscribed` or `error`).
 *
 * client → server: `ping`, `subscribe { region }` (focus the board on a region within scope).
 * server → client: `hello`, `board`, `alert`, `subscribed`, `pong`, `error`.
 */

/** Where the wallboard's socket is opened. */
export const PATH = '/supervisors/ws';
export const PROTOCOL_VERSION = 1;
/** Client frames are tiny; @fastify/websocket closes anything above 16 KiB with 1009 before it is parsed. */
export const MAX_FRAME_BYTES = 16 * 1024;

const base = {
  v: z.literal(PROTOCOL_VERSION, { error: `must be ${PROTOCOL_VERSION} (the protocol version)` }),
  ref: z.string().max(64).optional(),
};

export const ClientFrame = z.discriminatedUnion('type', [
  z.strictObject({ ...base, type: z.literal('ping') }).describe('Keep-alive at the application level; answered with pong.'),
  z
    .strictObject({ ...base, type: z.literal('subscribe'), region: z.string().regex(/^\d{6}$/, 'must be a 6-digit region code') })
    .describe('Focus the board on a region within your scope; answered with subscribed, then a board of that region.'),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export const CLIENT_TYPES = ClientFrame.options.map((o) => o.shape.type.value);

/** Turns a raw frame into a client frame, or a message naming what was wrong. */
export const parseClientFrame = frameParser(ClientFrame, CLIENT_TYPES);

// ---- server → client ---------------------------------------------------------------------------
// Described with zod although the server does not parse what it sends: the types below are
// inferred from these schemas, so the AsyncAPI document (src/api/asyncapi.ts) cannot drift from
// what the wallboard is allowed to write.

export const ERROR_CODES = ['BAD_FRAME', 'RATE_LIMITED', 'OUT_OF_SCOPE', 'NOT_FOUND', 'INTERNAL'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const AGENT_STATES_SHOWN = ['ready', 'reserved', 'on_call', 'wrap_up', 'not_ready'] as const;
const Count = z.number().int().min(0);
const Share = z.number().min(0).max(1);
const IsoTime = z.string().describe('ISO 8601 time');
const EpochMs = z.number().describe('milliseconds since the Unix epoch (server clock)');

export const AgentsByState = z.record(z.enum(AGENT_STATES_SHOWN), Count).describe('agents signed in, by routing state');
export type AgentsByState = z.infer<typeof AgentsByState>;

/**
 * A region's figures, its whole subtree included (a prefecture's count holds its counties').
 * Definitions: docs in src/supervisors/figures.ts.
 */
export const Figures = z.object({
  waiting: Count,
  longestWaitSeconds: Count,
  agents: AgentsByState,
  offeredToday: Count,
  answeredToday: Count,
  abandonedToday: Count,
  serviceLevelToday: Share.nullable().describe('0..1; answered within the threshold ÷ (answered + abandoned past it + waiting past it now); null when there is no such call today'),
  serviceLevel30m: Share.nullable().describe('the same over the last 30 minutes'),
  serviceLevelWindow: Share.nullable().describe("the same over the targets' alert window (hello.settings.targets.alerts.windowMinutes)"),
  answerRateWindow: Share.nullable().describe('answered ÷ (answered + abandoned) over the window; null when none ended in it'),
  abandonmentWindow: Share.nullable().describe('abandoned ÷ (answered + abandoned) over the window; null when none ended in it'),
  endedWindow: Count.describe('calls answered or abandoned in the window (a rate over fewer than targets.alerts.minCalls is not alerted)'),
  waitingPastThreshold: Count.describe('callers waiting now for longer than the service-level threshold'),
  abandonmentToday: Share.nullable().describe('0..1 of offeredToday; null when nothing was offered'),
  offered30m: Count,
  seatsPlanned: Count.nullable().describe("today's saved plan for the current half-hour, summed over the subtree; null without a plan"),
  seatsLoggedIn: Count.describe('agents signed in (any state but offline)'),
  seatsNeeded: Count.describe("agents on the phones that Erlang C says the last 30 minutes' load needs"),
  rostered: Count.describe("agents on a published shift of today's roster in the current half-hour, by the region the shift covers"),
  rosteredSignedIn: Count.describe('of the rostered agents, those signed in now (any state but offline)'),
  overdueCallbacks: Count.describe('callbacks promised to callers of the area and not completed within the policy\'s time after they fell due'),
  overdueReferrals: Count.describe("referrals of the area's tickets past their acceptance or closing deadline"),
  overdueFollowUps: Count.describe("follow-ups of the area's dissatisfied callers (survey 1–2) still open past their deadline (one working day)"),
});
export type Figures = z.infer<typeof Figures>;

export const RegionInfo = z.object({
  code: z.string(),
  name: z.string().describe('Chinese name'),
  nameEn: z.string().describe('pinyin name'),
  level: z.enum(['province', 'prefecture', 'county']),
  parentCode: z.string().nullable(),
  population: Count.describe("the 2020 census figure, or the import's estimate where none was published"),
});
export type RegionInfo = z.infer<typeof RegionInfo>;

export const TARGET_METRICS = ['service_level', 'answer_rate', 'abandonment', 'longest_wait', 'overdue_callbacks', 'overdue_referrals'] as const;
export type TargetMetric = (typeof TARGET_METRICS)[number];

const alertBase = {
  id: z.string().describe('unique per alert on this node, so the page can drop one it already shows'),
  regionCode: z.string(),
  at: IsoTime,
};

export const Alert = z.discriminatedUnion('kind', [
  z
    .object({
      ...alertBase,
      kind: z.literal('referral_overdue'),
      deadline: z.enum(['accept', 'close']),
      referralId: z.string(),
      referralKind: z.string(),
      ticketNumber: z.string(),
      organisation: z.object({ nameZh: z.string(), nameEn: z.string() }).nullable(),
      dueAt: IsoTime.nullable(),
    })
    .describe('a referral was not accepted or closed in time'),
  z
    .object({ ...alertBase, kind: z.literal('risk_call'), ticketId: z.string(), ticketNumber: z.string(), callId: z.string().nullable(), topic: z.string().nullable() })
    .describe('an agent flagged a ticket as a risk (self-harm, violence, a mass incident)'),
  z
    .object({ ...alertBase, kind: z.literal('missed_call'), callId: z.string(), missedBy: Count, topic: z.string(), language: z.string(), waitedSeconds: Count })
    .describe('a call was declined or let ring out by several agents'),
  z
    .object({ ...alertBase, kind: z.literal('topic_spike'), topic: z.string(), today: Count, baseline: z.number(), ratio: z.number() })
    .describe("a topic's calls today are far above its usual level"),
  z
    .object({
      ...alertBase,
      kind: z.literal('target'),
      key: z.string().describe('the region and metric: a cleared alert names the breach it ends'),
      state: z.enum(['breached', 'cleared']),
      metric: z.enum(TARGET_METRICS),
      value: z.number().describe('the figure when the alert was raised or cleared (a share 0..1, seconds, or a count)'),
      target: z.number().describe('the target it is measured against'),
      windowMinutes: Count.nullable().describe('the window a rate is measured over; null for a figure of the moment'),
      since: IsoTime.describe('when the breach began'),
    })
    .describe('a service target was missed (breached) or is met again (cleared)'),
]);

export type Alert = z.infer<typeof Alert>;
export type AlertKind = Alert['kind'];

export const Label = z.object({ code: z.string(), zh: z.string(), en: z.string() });
export type Label = z.infer<typeof Label>;

export const BoardBody = z.object({
  at: IsoTime,
  focus: z.string().describe('the region the board is focused on (the scope root unless the page subscribed to another)'),
  handleSeconds: z.number().describe("average handle time the router uses now, seconds (the page's Erlang calculator starts from it)"),
  intervalStart: z.number().int().min(0).max(1410).describe('the current half-hour, minutes after midnight China time'),
  root: Figures.describe('the focus region'),
  regions: z.record(z.string(), Figures).describe('the focus region and every region below it, by code'),
});
export type BoardBody = z.infer<typeof BoardBody>;

const out = { v: z.literal(PROTOCOL_VERSION) };
const answerRef = z.string().optional().describe('the ref of the frame this answers');

/** An alert is sent as it is, beside the frame's own fields. */
function alertFrame<S extends z.ZodRawShape>(alert: z.ZodObject<S>) {
  return z.object({ ...out, type: z.literal('alert'), ...alert.shape }).describe(alert.description ?? '');
}

/** Every frame the server sends, each described for the AsyncAPI document. */
export const SERVER_FRAMES = [
  z
    .object({
      ...out,
      type: z.literal('hello'),
      serverTime: EpochMs,
      user: z.object({ id: z.string(), username: z.string(), displayName: z.string(), role: z.enum(['supervisor', 'admin', 'agent', 'organisation']), regionCode: z.string() }),
      scope: z.string().describe('the root of what this user may see: their area, or the province for an admin'),
      regions: z.array(RegionInfo).describe('every region in scope'),
      settings: z.object({
        serviceLevelThresholdSeconds: z.number(),
        targetServiceLevel: Share.nullable(),
        targets: z
          .object({
            serviceLevel: z.object({ thresholdSeconds: z.number(), goal: Share.nullable() }),
            answerRate: Share.nullable(),
            abandonment: Share.nullable(),
            longestWaitSeconds: z.number().nullable(),
            overdueCallbacks: Count.nullable(),
            overdueReferrals: Count.nullable(),
            satisfaction: Share.nullable(),
            inspectionRate: Share.nullable(),
            followUpRate: Share.nullable(),
            alerts: z.object({ windowMinutes: Count, minCalls: Count, clearAfterSeconds: Count }),
          })
          .describe("the province's service targets (provinces.settings.targets); null: not watched"),
        boardMinIntervalMs: z.number().int(),
        boardMaxIntervalMs: z.number().int(),
        maxFrameBytes: z.number().int(),
      }),
      capabilities: z.object({ monitor: z.array(z.enum(['listen', 'whisper', 'barge'])).describe('how a supervisor may join a call (PUT /api/calls/:id/monitor); empty: not at all') }),
      catalogue: z.object({ topics: z.array(Label), languages: z.array(Label) }),
      alerts: z.array(Alert).describe('recent alerts in scope, newest last'),
    })
    .describe("First frame after the upgrade, and again when the user's area changes while the board is open."),
  z.object({ ...out, type: z.literal('board'), ...BoardBody.shape }).describe('The figures of the focus region and its subtree: at most once a second on change, at least every 5 seconds.'),
  z
    .discriminatedUnion('kind', [alertFrame(Alert.options[0]), alertFrame(Alert.options[1]), alertFrame(Alert.options[2]), alertFrame(Alert.options[3]), alertFrame(Alert.options[4])])
    .describe('Something in scope needs attention now.'),
  z.object({ ...out, type: z.literal('subscribed'), ref: answerRef, region: z.string() }).describe('Answer to subscribe: boards now focus on this region.'),
  z.object({ ...out, type: z.literal('pong'), ref: answerRef, serverTime: EpochMs }).describe('Answer to ping.'),
  z
    .object({ ...out, type: z.literal('error'), ref: answerRef, code: z.enum(ERROR_CODES), message: z.string(), messageZh: z.string() })
    .describe('A frame was refused (BAD_FRAME names the field) or could not be carried out. The socket stays open.'),
] as const;

export type ServerFrame = z.infer<(typeof SERVER_FRAMES)[number]>;
/** A frame as the wallboard hands it over, before the version is added. */
export type ServerBody = ServerFrame extends infer F ? (F extends { v: number } ? Omit<F, 'v'> : never) : never;

/** Close codes the page acts on. */
export const CLOSE = {
  /** The account was disabled, lost the role, or the token expired while connected: sign in again. */
  unauthorised: 4003,
  /** Flooding or repeated garbage (RFC 6455 policy violation). */
  abuse: 1008,
  /** The node is shutting down: reconnect, another node will answer. */
  goingAway: 1001,
} as const;
