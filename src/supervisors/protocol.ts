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

export const PROTOCOL_VERSION = 1;
/** Client frames are tiny; @fastify/websocket closes anything above 16 KiB with 1009 before it is parsed. */
export const MAX_FRAME_BYTES = 16 * 1024;

const base = {
  v: z.literal(PROTOCOL_VERSION, { error: `must be ${PROTOCOL_VERSION} (the protocol version)` }),
  ref: z.string().max(64).optional(),
};

export const ClientFrame = z.discriminatedUnion('type', [
  z.strictObject({ ...base, type: z.literal('ping') }),
  z.strictObject({ ...base, type: z.literal('subscribe'), region: z.string().regex(/^\d{6}$/, 'must be a 6-digit region code') }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export const CLIENT_TYPES = ClientFrame.options.map((o) => o.shape.type.value);

/** Turns a raw frame into a client frame, or a message naming what was wrong. */
export const parseClientFrame = frameParser(ClientFrame, CLIENT_TYPES);

// ---- server → client ---------------------------------------------------------------------------

export type ErrorCode = 'BAD_FRAME' | 'RATE_LIMITED' | 'OUT_OF_SCOPE' | 'NOT_FOUND' | 'INTERNAL';

export const AGENT_STATES_SHOWN = ['ready', 'reserved', 'on_call', 'wrap_up', 'not_ready'] as const;
export type AgentsByState = Record<(typeof AGENT_STATES_SHOWN)[number], number>;

/**
 * A region's figures, its whole subtree included (a prefecture's count holds its counties').
 * Definitions: docs in src/supervisors/figures.ts.
 */
export interface Figures {
  waiting: number;
  longestWaitSeconds: number;
  agents: AgentsByState;
  offeredToday: number;
  answeredToday: number;
  abandonedToday: number;
  /** 0..1; null when no call has been answered or abandoned past the threshold today. */
  serviceLevelToday: number | null;
  serviceLevel30m: number | null;
  /** 0..1 of offeredToday; null when nothing was offered. */
  abandonmentToday: number | null;
  offered30m: number;
  /** Today's saved plan for the current half-hour, summed over the subtree; null without a plan. */
  seatsPlanned: number | null;
  /** Agents signed in (any state but offline). */
  seatsLoggedIn: number;
  /** Agents on the phones that Erlang C says the last 30 minutes' load needs. */
  seatsNeeded: number;
  /** Callbacks promised to callers of the area and not completed within the policy's time after they fell due. */
  overdueCallbacks: number;
}

export interface RegionInfo {
  code: string;
  name: string;
  nameEn: string;
  level: 'province' | 'prefecture' | 'county';
  parentCode: string | null;
  /** The 2020 census figure, or the import's estimate where none was published. */
  population: number;
}

interface AlertBase {
  /** Unique per alert on this node, so the page can drop one it already shows. */
  id: string;
  regionCode: string;
  at: string;
}

export type Alert = AlertBase &
  (
    | {
        kind: 'referral_overdue';
        deadline: 'accept' | 'close';
        referralId: string;
        referralKind: string;
        ticketNumber: string;
        organisation: { nameZh: string; nameEn: string } | null;
        dueAt: string | null;
      }
    | { kind: 'risk_call'; ticketId: string; ticketNumber: string; callId: string | null; topic: string | null }
    | { kind: 'missed_call'; callId: string; missedBy: number; topic: string; language: string; waitedSeconds: number }
    | { kind: 'topic_spike'; topic: string; today: number; baseline: number; ratio: number }
  );
export type AlertKind = Alert['kind'];

export interface Label {
  code: string;
  zh: string;
  en: string;
}

export interface BoardBody {
  at: string;
  /** The region the board is focused on (the scope root unless the page subscribed to another). */
  focus: string;
  /** Average handle time the router uses now, seconds (the page's Erlang calculator starts from it). */
  handleSeconds: number;
  /** The current half-hour, minutes after midnight China time (0..1410). */
  intervalStart: number;
  root: Figures;
  regions: Record<string, Figures>;
}

export type ServerBody =
  | {
      type: 'hello';
      serverTime: number;
      user: { id: string; username: string; displayName: string; role: string; regionCode: string };
      /** The root of what this user may see: their area, or the province for an admin. */
      scope: string;
      regions: RegionInfo[];
      settings: {
        serviceLevelThresholdSeconds: number;
        targetServiceLevel: number;
        boardMinIntervalMs: number;
        boardMaxIntervalMs: number;
        maxFrameBytes: number;
      };
      catalogue: { topics: Label[]; languages: Label[] };
      /** Recent alerts in scope, newest last. */
      alerts: Alert[];
    }
  | ({ type: 'board' } & BoardBody)
  | ({ type: 'alert' } & Alert)
  | { type: 'subscribed'; ref?: string; region: string }
  | { type: 'pong'; ref?: string; serverTime: number }
  | { type: 'error'; ref?: string; code: ErrorCode; message: string; messageZh: string };

export type ServerFrame = { v: typeof PROTOCOL_VERSION } & ServerBody;

/** Close codes the page acts on. */
export const CLOSE = {
  /** The account was disabled, lost the role, or the token expired while connected: sign in again. */
  unauthorised: 4003,
  /** Flooding or repeated garbage (RFC 6455 policy violation). */
  abuse: 1008,
  /** The node is shutting down: reconnect, another node will answer. */
  goingAway: 1001,
} as const;
