import type { SkillMap } from '../db/schema';

/**
 * Live routing state: what is waiting, ringing and connected right now, and who is at a seat.
 * It lives in a live store (in process, or Redis for several nodes); finished calls go to the
 * database. Caller numbers never enter it.
 */

export type AgentState = 'offline' | 'ready' | 'reserved' | 'on_call' | 'wrap_up' | 'not_ready';
/** 'declined': the agent turned an offer down; 'missed': it rang out or the seat phone did not take it. */
export type NotReadyReason = 'login' | 'break' | 'meal' | 'training' | 'missed' | 'declined' | 'supervisor' | 'other';
export type CallStatus = 'waiting' | 'offered' | 'connected';
/** call: a caller on the line; callback: an attempt at a promised callback; leg: a second leg of a call (src/queue/legs.ts). */
export type CallKind = 'call' | 'callback' | 'leg';

export interface LiveCall {
  id: string;
  /** Version, raised by every write; commits compare it. */
  v: number;
  kind: CallKind;
  /** The caller's county, prefecture or (when unknown) the province. */
  regionCode: string;
  language: string;
  topic: string;
  /** Higher goes first: priority groups, callbacks due, repeat callers. */
  priority: number;
  /** When the call joined the queue: its place, kept when an offer comes back. */
  enqueuedAt: number;
  status: CallStatus;
  agentId: string | null;
  offerId: string | null;
  offerExpiresAt: number | null;
  answeredAt: number | null;
  /** The phone system has bridged this call to an agent at least once (a transfer keeps it). */
  bridgedOnce?: boolean;
  /** Agents who declined it or let it ring out. */
  missedBy: string[];
  /** For a callback: the promise it carries out (a row of `callbacks`). */
  origin?: string;
  /**
   * The agent is passing the caller to this outside number and the phone system is dialling it:
   * the agent keeps the call until it answers, so that a failed dial comes back to them.
   */
  forwardTo?: string | null;
  /** A supervisor listening to the conversation, whispering to the agent, or in it (barge). */
  monitor?: { supervisorId: string; mode: MonitorMode; since: number } | null;
  /** A connected call's second leg (a consult or an interpreter), while it has one. */
  leg?: LiveLeg | null;
  /** A leg (kind 'leg'): the call it belongs to, and what it is for. */
  parentId?: string;
  purpose?: LegPurpose;
  /**
   * The caller's language when it is not the call's: a caller who waited the province's
   * interpreter fallback for a speaker of it is routed in Mandarin, and an interpreter joins.
   */
  interpret?: string | null;
}

export const LEG_PURPOSES = ['consult', 'interpreter'] as const;
export type LegPurpose = (typeof LEG_PURPOSES)[number];

/** Whom a leg is for: a ready colleague, the next agent of a region or language, an outside number. */
export type LegTo = { agentId: string } | { region: string } | { language: string } | { number: string };

/**
 * A call's second leg. A colleague, region or language leg is routed as a call of its own
 * (kind 'leg', id `id`) and rings whoever takes it; a number leg is dialled by the phone system.
 * ringing: not answered yet (the caller is on hold, or talks on with the agent for an
 * interpreter); talking: agent and target talk, the caller on hold; merged: all three talk.
 */
export interface LiveLeg {
  id: string;
  purpose: LegPurpose;
  /** The agent who opened it: the one holding the call. */
  by: string;
  to: LegTo;
  /** The agent on the leg once one accepted it (null: a number, or nobody yet). */
  agentId: string | null;
  state: 'ringing' | 'talking' | 'merged';
  since: number;
}

/** A leg routed to whoever knows the language (an interpreter) needs no topic. */
export const ANY_TOPIC = '*';
/** cancelled / dropped: by the agent; unanswered: nobody took it; target_left: the target hung up; call_ended: the call ended under it. */
export type LegCloseReason = 'cancelled' | 'dropped' | 'unanswered' | 'target_left' | 'call_ended';

export const MONITOR_MODES = ['listen', 'whisper', 'barge'] as const;
/** listen: hears both, heard by nobody; whisper: also heard by the agent only; barge: heard by both. */
export type MonitorMode = (typeof MONITOR_MODES)[number];

export interface LiveAgent {
  id: string;
  v: number;
  /** The agent's sign-in name, which their phone endpoint derives from (the phone system dials it). */
  username?: string;
  regionCode: string;
  languages: SkillMap;
  topics: SkillMap;
  state: AgentState;
  reason: NotReadyReason | null;
  /** When the state last changed. */
  since: number;
  /** When the agent last became ready: longest idle goes first. */
  idleSince: number | null;
  callId: string | null;
  offerId: string | null;
  wrapUpEndsAt: number | null;
  /** When the current call was answered: handle time runs from here to the end of wrap-up. */
  handleStart: number | null;
  /** A connected agent's session must be renewed before this, or the agent is logged out. */
  presenceExpiresAt: number;
}

/** Figures the estimates need, kept with the live state so every node sees the same. */
export interface LiveStats {
  v: number;
  /** Average handle time (talk + wrap-up), exponentially weighted over recent calls. */
  handleMs: number;
  samples: number;
}

export type Entity = LiveCall | LiveAgent | LiveStats;

/** Field names in the live state: `c:<id>` calls, `a:<id>` agents, `m:stats`. */
export const callKey = (id: string) => `c:${id}`;
export const agentKey = (id: string) => `a:${id}`;
export const STATS_KEY = 'm:stats';

export interface Deadline {
  key: string;
  at: number;
}

/**
 * What happened, for the node's listeners (agents gateway, wallboard, recorder). `at`: when it
 * happened (ms) — stamped on every event when its step is built, before the commit, so a call's
 * timeline written by several nodes keeps the order the steps took; some events carry an earlier
 * time of their own.
 */
export type RoutingEvent = (
  | { type: 'call.queued'; call: LiveCall }
  | { type: 'call.offered'; call: LiveCall; agentId: string; offerId: string; expiresAt: number }
  /** `at`: when the offer went back, when that is earlier than the event (a rebuild's merge). */
  | { type: 'offer.returned'; call: LiveCall; agentId: string; offerId: string; reason: 'declined' | 'timeout' | 'agent_lost' | 'bridge_failed' | 'recovered'; at?: number }
  | { type: 'call.connected'; call: LiveCall; agentId: string }
  /** The phone system joined caller and agent; `call.answeredAt` is the bridge's time from here on. */
  | { type: 'call.bridged'; call: LiveCall; agentId: string; first: boolean }
  /**
   * The call leaves without being answered. `call.status` is where it was; 'connected' means the
   * caller hung up after an agent accepted but before the phone system bridged them.
   * `at`: when it happened, when that is earlier than the step (a hang-up heard late).
   */
  | { type: 'call.left'; call: LiveCall; outcome: 'abandoned' | 'callback' | 'timeout' | 'withdrawn'; waitedMs: number; at?: number }
  | { type: 'call.ended'; call: LiveCall; agentId: string | null; talkMs: number; at?: number }
  /** The agent handed the call on: it waits in a region's queue, or rings a colleague. */
  | { type: 'call.transferred'; call: LiveCall; fromAgentId: string; talkMs: number; to: { agentId: string } | { region: string } }
  /** The agent asked for the caller to be put through to an outside number; the phone system dials it. */
  | { type: 'call.forwarding'; call: LiveCall; agentId: string; number: string }
  /** The outside number did not answer: the call is the agent's again. `status` as the phone system said (busy, noanswer …). */
  | { type: 'call.forward_failed'; call: LiveCall; agentId: string; number: string; status: string; cause: string | null }
  /** A supervisor started, changed or stopped (mode null) monitoring a connected call. */
  | { type: 'call.monitor'; call: LiveCall; supervisorId: string; mode: MonitorMode | null; previous: MonitorMode | null }
  /**
   * A call's second leg changed: opened, answered (by the phone), merged into a three-way call,
   * completed (the target carries the call on), or closed (`reason`).
   */
  | { type: 'call.leg'; call: LiveCall; leg: LiveLeg; phase: 'opened' | 'answered' | 'merged' | 'completed' | 'closed'; reason?: LegCloseReason }
  /** The caller waited the interpreter fallback: routed in Mandarin from now on, an interpreter to join (`language`). */
  | { type: 'call.interpreting'; call: LiveCall; language: string }
  | { type: 'agent.state'; agent: LiveAgent }
  | { type: 'alert.missed'; call: LiveCall; missedBy: number }
) & { at?: number };

/**
 * One atomic step: the versions it read, what it writes, deadlines it sets or clears, and the
 * events it announces. A store applies all of it or nothing.
 */
export interface Tx {
  /** Field → version read (0: the field must not exist). */
  expect: Record<string, number>;
  put: Record<string, Entity>;
  del: string[];
  addDeadlines: Deadline[];
  removeDeadlines: string[];
  events: RoutingEvent[];
  /**
   * A finished call's handle time, folded into the shared average by the store itself (no
   * version check), so agents finishing at once never contend for one record.
   */
  handleSampleMs: number | null;
}

export function emptyTx(): Tx {
  return { expect: {}, put: {}, del: [], addDeadlines: [], removeDeadlines: [], events: [], handleSampleMs: null };
}

/** Handle-time average weighted towards recent calls; the Redis store does the same in Lua. */
export function foldHandleSample(stats: LiveStats | null, sampleMs: number): LiveStats {
  const current = stats ?? { v: 0, handleMs: sampleMs, samples: 0 };
  const alpha = Math.max(0.05, 1 / (current.samples + 1));
  return { v: current.v + 1, handleMs: current.handleMs + alpha * (sampleMs - current.handleMs), samples: current.samples + 1 };
}
