import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RegionSource } from './caller-region';

/**
 * Where each call stands in the call flow (which menu, what was chosen, which agent), shared by
 * every node: a Twilio webhook for a call can reach any node behind the load balancer. Kept in
 * Redis when there is one, else in process. The caller's number is not kept here; it stays in
 * the database.
 */

export const FLOW_PHASES = ['menu', 'queued', 'connected', 'survey', 'ended'] as const;
export type FlowPhase = (typeof FLOW_PHASES)[number];

export const FlowStateSchema = z.object({
  callId: z.string(),
  driver: z.string(),
  externalId: z.string(),
  /** Raised by every action sent to the caller; input answering an older step is a retry. */
  step: z.number().int(),
  phase: z.enum(FLOW_PHASES),
  menu: z.enum(['language', 'topic', 'priority', 'region']).nullable(),
  /** How many times the current menu has been played. */
  attempts: z.number().int(),
  language: z.string(),
  topic: z.string().nullable(),
  priorityGroup: z.string().nullable(),
  priority: z.number().int(),
  regionCode: z.string(),
  regionSource: z.enum(['area_code', 'geocoder', 'outside_province', 'unknown', 'ivr']),
  /** The region whose children the region menu is offering. */
  regionMenuOf: z.string().nullable(),
  historyPriority: z.number().int(),
  callbackOffered: z.boolean(),
  agentId: z.string().nullable(),
  ticketId: z.string().nullable(),
  /** The agent has put the caller on hold. */
  held: z.boolean().default(false),
  /** The agent is passing the caller to this outside number: no survey when the call ends. */
  forwardTo: z.string().nullable().default(null),
  /** The phone system has bridged the caller to an agent on this call: someone answered them. */
  bridged: z.boolean().default(false),
  arrivedAt: z.number(),
  /** What the caller was last sent, so a retried request gets the same answer. */
  lastAction: z.unknown().nullable(),
  /** Per-driver bookkeeping (for example the last status callback sequence number). */
  driverData: z.record(z.string(), z.unknown()),
});
export type FlowState = z.infer<typeof FlowStateSchema> & { regionSource: RegionSource | 'ivr' };

export interface FlowStateStore {
  get(callId: string): Promise<FlowState | null>;
  put(state: FlowState): Promise<void>;
  /** The call id a driver's own call id belongs to. */
  lookup(driver: string, externalId: string): Promise<string | null>;
  delete(state: FlowState): Promise<void>;
  close(): Promise<void>;
}

/** Flow state for a single node. Finished calls are dropped when the flow ends them. */
export class MemoryFlowStateStore implements FlowStateStore {
  private readonly states = new Map<string, FlowState>();
  private readonly external = new Map<string, string>();

  async get(callId: string) {
    const s = this.states.get(callId);
    return s ? structuredClone(s) : null;
  }

  async put(state: FlowState) {
    this.states.set(state.callId, structuredClone(state));
    this.external.set(`${state.driver}:${state.externalId}`, state.callId);
  }

  async lookup(driver: string, externalId: string) {
    return this.external.get(`${driver}:${externalId}`) ?? null;
  }

  async delete(state: FlowState) {
    this.states.delete(state.callId);
    this.external.delete(`${state.driver}:${state.externalId}`);
  }

  async close() {}

  get size(): number {
    return this.states.size;
  }
}

/**
 * Flow state in Redis, one string per call with a time to live, so a call whose end was never
 * reported (a node died, a webhook was lost) does not stay forever.
 */
export class RedisFlowStateStore implements FlowStateStore {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    options: { provinceCode: string; ttlSeconds?: number; namespace?: string },
    private readonly ttlSeconds = options.ttlSeconds ?? 6 * 3600,
  ) {
    this.prefix = `${options.namespace ?? 'hotline'}:{prov:${options.provinceCode.slice(0, 2)}}:flow`;
  }

  async get(callId: string) {
    const raw = await this.redis.get(`${this.prefix}:c:${callId}`);
    if (!raw) return null;
    const parsed = FlowStateSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new Error(`flow state of call ${callId} is unreadable: ${parsed.error.issues[0]?.message}`);
    return parsed.data as FlowState;
  }

  async put(state: FlowState) {
    // Two plain SETs rather than MULTI: the second never changes once written (a call keeps its
    // external id), so they need no atomicity, and plain commands join the client's automatic
    // pipeline — one socket write for every command issued in the same tick, on the path of
    // every webhook.
    await Promise.all([
      this.redis.set(`${this.prefix}:c:${state.callId}`, JSON.stringify(state), 'EX', this.ttlSeconds),
      this.redis.set(`${this.prefix}:x:${state.driver}:${state.externalId}`, state.callId, 'EX', this.ttlSeconds),
    ]);
  }

  async lookup(driver: string, externalId: string) {
    return this.redis.get(`${this.prefix}:x:${driver}:${externalId}`);
  }

  async delete(state: FlowState) {
    await this.redis.del(`${this.prefix}:c:${state.callId}`, `${this.prefix}:x:${state.driver}:${state.externalId}`);
  }

  async close() {}
}
