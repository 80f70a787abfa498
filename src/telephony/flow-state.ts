import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RegionSource } from './caller-region';

/**
 * Where each call stands in the call flow (which menu, what was chosen, which agent), shared by
 * every node: a Twilio webhook for a call can reach any node behind the load balancer. Kept in
 * Redis when there is one, else in process. The caller's number is not kept here; it stays in
 * the database.
 */

export const FLOW_PHASES = ['menu', 'queued', 'connected', 'survey', 'message', 'ended'] as const;
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
  /**
   * Why the caller is leaving a voice message (after hours, or nobody speaks their language);
   * null when they are not. Also set while the no-speaker offer (callback or message) stands.
   */
  message: z.enum(['after_hours', 'no_speaker']).nullable().default(null),
  arrivedAt: z.number(),
  /** What the caller was last sent, so a retried request gets the same answer. */
  lastAction: z.unknown().nullable(),
  /** Per-driver bookkeeping (for example the last status callback sequence number). */
  driverData: z.record(z.string(), z.unknown()),
});
export type FlowState = z.infer<typeof FlowStateSchema> & { regionSource: RegionSource | 'ivr' };

/** A call's state with what the store knows of it: which node last wrote it, and when. */
export interface StoredFlowState {
  state: FlowState;
  node: string;
  at: number;
}

export interface FlowStateStore {
  get(callId: string): Promise<FlowState | null>;
  put(state: FlowState): Promise<void>;
  /** The call id a driver's own call id belongs to. */
  lookup(driver: string, externalId: string): Promise<string | null>;
  delete(state: FlowState): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  /** Calls not written since `before` (ms), oldest first: the reaper looks at these. */
  untouchedSince(before: number, limit: number): Promise<StoredFlowState[]>;
  /** The node that writes it now carries the call (the reaper adopting a dead node's call). */
  touch(state: FlowState): Promise<void>;
  /** After the shared state was lost: puts back what this node last wrote, where nothing newer is there. */
  restore(): Promise<number>;
}

/** Flow state for a single node. Finished calls are dropped when the flow ends them. */
export class MemoryFlowStateStore implements FlowStateStore {
  private readonly states = new Map<string, FlowState>();
  private readonly external = new Map<string, string>();
  private readonly touched = new Map<string, number>();

  constructor(private readonly node = 'local') {}

  async get(callId: string) {
    const s = this.states.get(callId);
    return s ? structuredClone(s) : null;
  }

  async put(state: FlowState) {
    this.states.set(state.callId, structuredClone(state));
    this.external.set(`${state.driver}:${state.externalId}`, state.callId);
    this.touched.set(state.callId, Date.now());
  }

  async touch(state: FlowState) {
    await this.put(state);
  }

  async start() {}

  async untouchedSince(before: number, limit: number): Promise<StoredFlowState[]> {
    const out: StoredFlowState[] = [];
    for (const [callId, at] of [...this.touched].sort((a, b) => a[1] - b[1])) {
      if (at >= before || out.length >= limit) break;
      const state = this.states.get(callId);
      if (state) out.push({ state: structuredClone(state), node: this.node, at });
    }
    return out;
  }

  // Nothing to put back: the state lives and dies with this process.
  async restore() {
    return 0;
  }

  async lookup(driver: string, externalId: string) {
    return this.external.get(`${driver}:${externalId}`) ?? null;
  }

  async delete(state: FlowState) {
    this.states.delete(state.callId);
    this.external.delete(`${state.driver}:${state.externalId}`);
    this.touched.delete(state.callId);
  }

  async close() {}

  get size(): number {
    return this.states.size;
  }
}

/** Calls a node remembers at most: well above the calls one node carries at once. */
const REMEMBERED = 50_000;

/** Sets a key as the newest, forgetting the oldest beyond the limit (a Map keeps insertion order). */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > REMEMBERED) map.delete(map.keys().next().value!);
}

// Writes the state unless a copy written later is there already (a node putting back what it
// last wrote after the state was lost, while another node may have written since).
const RESTORE = `
local cur = redis.call('GET', KEYS[1])
if cur and cjson.decode(cur)._at >= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[4])
return 1
`;

type ScriptedRedis = Redis & { hotlineFlowRestore(state: string, xref: string, active: string, json: string, at: number, ttl: number, callId: string): Promise<number> };

/**
 * Flow state in Redis, one string per call with a time to live, so a call whose end was never
 * reported (a node died, a webhook was lost) does not stay forever; a sorted set of calls by
 * when they were last written lets the reaper find calls nobody carries any more. Each value
 * names the node that wrote it and when (`_node`, `_at`, stripped on reading).
 *
 * The node also keeps what it last wrote of each call in memory, so that when Redis loses its
 * data (restarted empty, a failover that missed writes) the flow of every call can be put back
 * (the newest copy wins across nodes).
 */
export class RedisFlowStateStore implements FlowStateStore {
  private readonly prefix: string;
  private readonly active: string;
  private readonly node: string;
  /** What this node last wrote of each call (the stored text, and where its external id points). */
  private readonly written = new Map<string, { json: string; at: number; xref: string }>();
  /** When each call's state was last read here: a write after it is newer, whatever the clocks say. */
  private readonly readAt = new Map<string, number>();
  /** The live state's epoch (src/queue/redis-store.ts) as this node last knew Redis. */
  private readonly epochKey: string;
  private knownEpoch: string | null = null;
  private readonly stateIntact: () => Promise<boolean>;

  constructor(
    private readonly redis: Redis,
    options: {
      provinceCode: string;
      ttlSeconds?: number;
      namespace?: string;
      node?: string;
      /** Whether the live state is still the one this node knows (false: Redis lost data). */
      stateIntact?: () => Promise<boolean>;
    },
    private readonly ttlSeconds = options.ttlSeconds ?? 6 * 3600,
  ) {
    this.prefix = `${options.namespace ?? 'hotline'}:{prov:${options.provinceCode.slice(0, 2)}}:flow`;
    this.active = `${this.prefix}:active`;
    this.epochKey = `${options.namespace ?? 'hotline'}:{prov:${options.provinceCode.slice(0, 2)}}:epoch`;
    this.node = options.node ?? 'unnamed';
    this.stateIntact = options.stateIntact ?? (async () => true);
    (this.redis as ScriptedRedis).defineCommand('hotlineFlowRestore', { numberOfKeys: 3, lua: RESTORE });
  }

  private parse(callId: string, raw: string): StoredFlowState {
    const value = JSON.parse(raw) as Record<string, unknown>;
    const parsed = FlowStateSchema.safeParse(value);
    if (!parsed.success) throw new Error(`flow state of call ${callId} is unreadable: ${parsed.error.issues[0]?.message}`);
    return { state: parsed.data as FlowState, node: typeof value._node === 'string' ? value._node : '', at: typeof value._at === 'number' ? value._at : 0 };
  }

  async get(callId: string) {
    const [raw, epoch] = await this.redis.mget(`${this.prefix}:c:${callId}`, this.epochKey);
    if (!raw) return this.fallback(callId, epoch ?? null);
    const stored = this.parse(callId, raw);
    remember(this.readAt, callId, stored.at);
    return stored.state;
  }

  /**
   * A call Redis does not have, that this node wrote. If Redis is not the one this node knew
   * (restarted empty or from an older snapshot, rebuilt, failed over), the call is one of those
   * whose state this node is about to put back: its own copy is put back now, so a caller
   * pressing a key in the moments after Redis returned is not taken for an unknown call.
   */
  private async fallback(callId: string, epoch: string | null): Promise<FlowState | null> {
    const mine = this.written.get(callId);
    if (!mine) return null;
    // Same epoch: lost data shows only in the live state's stream (Redis restarted from an older
    // snapshot, a replica that missed writes) — asked only here, on this rare path.
    if (epoch !== null && epoch === this.knownEpoch && (await this.stateIntact())) return null;
    await this.putBack(callId, mine);
    return this.parse(callId, mine.json).state;
  }

  private putBack(callId: string, w: { json: string; at: number; xref: string }): Promise<number> {
    return (this.redis as ScriptedRedis).hotlineFlowRestore(
      `${this.prefix}:c:${callId}`,
      w.xref,
      this.active,
      w.json,
      w.at,
      this.ttlSeconds,
      callId,
    );
  }

  async put(state: FlowState) {
    const at = Math.max(Date.now(), (this.readAt.get(state.callId) ?? 0) + 1);
    const json = JSON.stringify({ ...state, _node: this.node, _at: at });
    remember(this.written, state.callId, { json, at, xref: `${this.prefix}:x:${state.driver}:${state.externalId}` });
    remember(this.readAt, state.callId, at);
    // Plain commands rather than MULTI: the external id never changes once written, so they need
    // no atomicity, and plain commands join the client's automatic pipeline — one socket write
    // for every command issued in the same tick, on the path of every webhook.
    await Promise.all([
      this.redis.set(`${this.prefix}:c:${state.callId}`, json, 'EX', this.ttlSeconds),
      this.redis.set(`${this.prefix}:x:${state.driver}:${state.externalId}`, state.callId, 'EX', this.ttlSeconds),
      this.redis.zadd(this.active, at, state.callId),
    ]);
  }

  async touch(state: FlowState) {
    await this.put(state);
  }

  /** The live state as this node starts on it (its epoch: src/queue/redis-store.ts, started first). */
  async start() {
    this.knownEpoch = await this.redis.get(this.epochKey);
  }

  async lookup(driver: string, externalId: string) {
    return this.redis.get(`${this.prefix}:x:${driver}:${externalId}`);
  }

  async delete(state: FlowState) {
    this.written.delete(state.callId);
    this.readAt.delete(state.callId);
    await this.redis.del(`${this.prefix}:c:${state.callId}`, `${this.prefix}:x:${state.driver}:${state.externalId}`);
    await this.redis.zrem(this.active, state.callId);
  }

  async untouchedSince(before: number, limit: number): Promise<StoredFlowState[]> {
    const ids = await this.redis.zrangebyscore(this.active, '-inf', before, 'LIMIT', 0, limit);
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(...ids.map((id) => `${this.prefix}:c:${id}`));
    const out: StoredFlowState[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const raw = raws[i];
      if (!raw) gone.push(id);
      else out.push(this.parse(id, raw));
    });
    // Expired (its time to live ran out): nothing left to reap.
    if (gone.length) await this.redis.zrem(this.active, ...gone);
    return out;
  }

  async restore(): Promise<number> {
    let restored = 0;
    const cutoff = Date.now() - this.ttlSeconds * 1000;
    for (const [callId, w] of this.written) {
      if (w.at < cutoff) {
        this.written.delete(callId);
        continue;
      }
      restored += await this.putBack(callId, w);
    }
    // The state as rebuilt is the one this node knows from now on.
    this.knownEpoch = await this.redis.get(this.epochKey);
    return restored;
  }

  async close() {}
}
