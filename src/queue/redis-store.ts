import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keepConnected } from '../redis/keep-connected';
import { LiveState } from './live-state';
import type { Committed, LiveStore, MergeInput } from './live-store';
import { type Deadline, type Entity, type RoutingEvent, STATS_KEY, type Tx } from './types';

/**
 * Live state in Redis for several nodes. A province's keys share one hash tag ({prov:63}), so
 * each step is a single Lua script on one Cluster slot: check the versions read, write, set or
 * clear deadlines, and append what changed to the province's event stream. Every node tails
 * the stream to keep its replica current and to hear of offers for agents connected to it.
 */

// Compare the versions read, then apply everything; 0 means "changed since", nothing written,
// -1 that the live state is not the one this node knows (lost, or rebuilt since).
const COMMIT = `
if redis.call('GET', KEYS[4]) ~= ARGV[1] then return -1 end
local i = 2
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local field = ARGV[i]; local v = tonumber(ARGV[i + 1]); i = i + 2
  local cur = redis.call('HGET', KEYS[1], field)
  if v == 0 then
    if cur then return 0 end
  else
    if not cur then return 0 end
    if cjson.decode(cur).v ~= v then return 0 end
  end
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]); i = i + 2 end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do redis.call('HDEL', KEYS[1], ARGV[i]); i = i + 1 end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i]); i = i + 2 end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do redis.call('ZREM', KEYS[2], ARGV[i]); i = i + 1 end
-- A handle-time sample folds into the average here, as foldHandleSample() does in process.
if ARGV[i + 2] ~= '' then
  local sample = tonumber(ARGV[i + 2])
  local raw = redis.call('HGET', KEYS[1], 'm:stats')
  local s = { v = 0, handleMs = sample, samples = 0 }
  if raw then s = cjson.decode(raw) end
  local alpha = math.max(0.05, 1 / (s.samples + 1))
  s = { v = s.v + 1, handleMs = s.handleMs + alpha * (sample - s.handleMs), samples = s.samples + 1 }
  redis.call('HSET', KEYS[1], 'm:stats', cjson.encode(s))
end
return redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[i + 1], '*', 'n', ARGV[i + 3], 'p', ARGV[i])
`;

// The state, the stream position it corresponds to and its epoch, read atomically. A state
// without an epoch (a Redis that came back empty) gets one.
// An epoch names when it began (Redis's clock), so a merge can tell how old the state is.
const FRESH_EPOCH = `
local function fresh_epoch(id)
  local t = redis.call('TIME')
  return id .. '@' .. (tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end
`;

const SNAPSHOT = FRESH_EPOCH + `
if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('SET', KEYS[3], fresh_epoch(ARGV[1])) end
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local id = '0-0'
if #last > 0 then id = last[1][1] end
return { id, redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[3]) }
`;

// What the watchdog compares with what this node knows: the epoch and the stream's last id.
const INSPECT = `
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local id = '0-0'
if #last > 0 then id = last[1][1] end
return { redis.call('GET', KEYS[1]) or '', id }
`;

// Puts back what a node's replica held, key by key, wherever the shared state has nothing or an
// older version (the newest copy wins; nodes merging at once converge), deletes keys the node saw
// deleted, re-arms deadlines of what it put back, and announces it on the stream.
// A new epoch begins when there is none (Redis came back empty) or when it is still the one this
// node knew (Redis went back in time under it). Only a state that began within the window is
// merged into: every node notices a loss within a second or two, and a node that noticed later
// than that would bring back calls the others have since finished.
// ARGV: new epoch id, epoch known, window ms, n, (key, version read, json)*n, m, key*m,
//       d, (owner, deadline key, at)*d, payload, maxlen.
const MERGE = FRESH_EPOCH + `
local cur = redis.call('GET', KEYS[4])
if (not cur) or cur == ARGV[2] then
  cur = fresh_epoch(ARGV[1])
  redis.call('SET', KEYS[4], cur)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local began = tonumber(string.match(cur, '@(%d+)$')) or 0
if now - began > tonumber(ARGV[3]) then return { cur, {}, 0 } end
local i = 4
local n = tonumber(ARGV[i]); i = i + 1
local written = {}
for _ = 1, n do
  local key = ARGV[i]; local v = tonumber(ARGV[i + 1]); local json = ARGV[i + 2]; i = i + 3
  local cur = redis.call('HGET', KEYS[1], key)
  if (not cur) or cjson.decode(cur).v < v then
    redis.call('HSET', KEYS[1], key, json)
    written[key] = true
  end
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do redis.call('HDEL', KEYS[1], ARGV[i]); i = i + 1 end
n = tonumber(ARGV[i]); i = i + 1
local armed = 0
for _ = 1, n do
  local owner = ARGV[i]; local key = ARGV[i + 1]; local at = ARGV[i + 2]; i = i + 3
  -- GT: a deadline renewed meanwhile (a later presence) is kept; a missing one is added.
  if written[owner] then redis.call('ZADD', KEYS[2], 'GT', at, key); armed = armed + 1 end
end
local keys = {}
for k in pairs(written) do keys[#keys + 1] = k end
if #keys > 0 then redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[i + 1], '*', 'n', 'merge', 'p', ARGV[i]) end
return { redis.call('GET', KEYS[4]), keys, armed }
`;

// Entries as they are now, unless the state is not the one this node knows (-1).
const REFRESH = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
return redis.call('HMGET', KEYS[1], unpack(ARGV, 2))
`;

// Due deadlines are removed as they are taken, so exactly one node handles each.
const CLAIM = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
`;

interface StreamPayload {
  node: string;
  put: Record<string, Entity>;
  del: string[];
  events: RoutingEvent[];
  addDeadlines: Deadline[];
  /** The step folded a handle time into the average: replicas re-read it. */
  sample?: true;
}

type Scripted = Redis & {
  hotlineCommit(live: string, deadlines: string, events: string, epoch: string, ...args: (string | number)[]): Promise<string | 0 | -1>;
  hotlineSnapshot(live: string, events: string, epoch: string, fresh: string): Promise<[string, string[], string]>;
  hotlineInspect(epoch: string, events: string): Promise<[string, string]>;
  hotlineMerge(live: string, deadlines: string, events: string, epoch: string, ...args: (string | number)[]): Promise<[string, string[], number]>;
  hotlineClaim(deadlines: string, now: number, limit: number): Promise<string[]>;
  hotlineRefresh(live: string, epoch: string, known: string, ...keys: string[]): Promise<(string | null)[] | -1>;
};

/** The live state this node knows is gone (Redis lost it) or was rebuilt: recover, then retry. */
export class LiveStateLostError extends Error {
  constructor() {
    super('the live routing state was lost or rebuilt; recovering');
    this.name = 'LiveStateLostError';
  }
}

/** Stream ids ("ms-seq") in order. */
function streamIdBefore(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am < bm || (am === bm && as < bs);
}

export interface RedisStoreOptions {
  provinceCode: string;
  /** Separates deployments (or test runs) sharing one Redis. */
  namespace?: string;
  /** Stream entries kept (approximately); nodes only need the recent tail. */
  streamMaxLength?: number;
  /** How often the node checks that Redis still holds the state it knows. 0: never. */
  watchMs?: number;
  nodeId?: string;
}

export function provinceKeys(provinceCode: string, namespace = 'hotline') {
  const tag = `{prov:${provinceCode.slice(0, 2)}}`;
  return { live: `${namespace}:${tag}:live`, deadlines: `${namespace}:${tag}:deadlines`, events: `${namespace}:${tag}:events`, epoch: `${namespace}:${tag}:epoch` };
}

export type StoreHealth = LiveStore['health'];

/** How long after a state began nodes may still merge their replicas into it (see MERGE). */
const MERGE_WINDOW_MS = 5_000;

export class RedisLiveStore implements LiveStore {
  readonly kind = 'redis' as const;
  readonly state = new LiveState();
  readonly nodeId: string;
  private readonly keys: ReturnType<typeof provinceKeys>;
  private readonly redis: Scripted;
  private reader: Redis | null = null;
  private standDownReader: (() => void) | null = null;
  private lastId = '0-0';
  private epoch = '';
  /** Raised by every reload: a stream read started before it is dropped (the reload has it). */
  private generation = 0;
  private running = false;
  private tail: Promise<void> | null = null;
  private abandonRead: () => void = () => {};
  private readonly listeners: ((c: Committed) => void)[] = [];
  private readonly lostListeners: ((why: string) => void)[] = [];
  private readonly maxLen: number;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly watchMs: number;
  private healthNow: StoreHealth = 'ok';

  constructor(redis: Redis, options: RedisStoreOptions) {
    this.keys = provinceKeys(options.provinceCode, options.namespace);
    this.maxLen = options.streamMaxLength ?? 100_000;
    this.watchMs = options.watchMs ?? 1_000;
    this.nodeId = options.nodeId ?? randomUUID();
    this.redis = redis as Scripted;
    this.redis.defineCommand('hotlineCommit', { numberOfKeys: 4, lua: COMMIT });
    this.redis.defineCommand('hotlineSnapshot', { numberOfKeys: 3, lua: SNAPSHOT });
    this.redis.defineCommand('hotlineInspect', { numberOfKeys: 2, lua: INSPECT });
    this.redis.defineCommand('hotlineMerge', { numberOfKeys: 4, lua: MERGE });
    this.redis.defineCommand('hotlineClaim', { numberOfKeys: 1, lua: CLAIM });
    this.redis.defineCommand('hotlineRefresh', { numberOfKeys: 2, lua: REFRESH });
  }

  async start(): Promise<void> {
    await this.resync();
    // XREAD BLOCK holds its connection, so the tail gets one of its own.
    this.reader = this.redis.duplicate();
    this.reader.on('error', () => {});
    this.standDownReader = keepConnected(this.reader);
    this.running = true;
    this.tail = this.follow();
    if (this.watchMs > 0) {
      this.watchdog = setInterval(() => void this.inspect(), this.watchMs);
      this.watchdog.unref();
    }
  }

  /** Whether this node can route: Redis answers and holds the state this node knows. */
  get health(): StoreHealth {
    return this.healthNow;
  }

  /** Told when the shared state turns out lost or replaced (the router recovers), and why. */
  onLost(listener: (why: string) => void): void {
    this.lostListeners.push(listener);
  }

  /** Loads the state as Redis holds it now (after start, and after a recovery). */
  async resync(): Promise<void> {
    const [id, flat, epoch] = await this.redis.hotlineSnapshot(this.keys.live, this.keys.events, this.keys.epoch, randomUUID());
    const entities: Record<string, Entity> = {};
    for (let i = 0; i < flat.length; i += 2) entities[flat[i]!] = JSON.parse(flat[i + 1]!);
    this.generation++;
    this.state.reset(entities);
    this.lastId = id;
    this.epoch = epoch;
    this.healthNow = 'ok';
  }

  /**
   * Puts back a replica's entities where the shared state lacks them or holds older versions
   * (see MERGE). Safe to run on every node at once.
   */
  async merge(input: MergeInput): Promise<{ written: string[]; armed: number }> {
    const args: (string | number)[] = [randomUUID(), this.epoch, MERGE_WINDOW_MS, input.entities.length];
    for (const e of input.entities) args.push(e.key, e.readVersion, JSON.stringify(e.entity));
    args.push(input.deleted.length, ...input.deleted);
    args.push(input.deadlines.length, ...input.deadlines.flatMap((d) => [d.owner, d.key, d.at]));
    // Nodes that tail the stream see what was put back; they reload the state anyway.
    args.push(JSON.stringify({ node: this.nodeId, put: {}, del: [], events: [], addDeadlines: [] }), this.maxLen);
    const [, written, armed] = await this.redis.hotlineMerge(this.keys.live, this.keys.deadlines, this.keys.events, this.keys.epoch, ...args);
    return { written, armed: Number(armed) };
  }

  /** Compares the shared state's epoch and stream with what this node knows. */
  /** Checks now (not at the next watchdog tick) whether Redis still holds the state this node knows. */
  async verify(): Promise<boolean> {
    await this.inspect();
    return this.healthNow === 'ok';
  }

  private async inspect(): Promise<void> {
    if (!this.running) return;
    try {
      // What this node had seen before asking: Redis held it then, unless it went back in time.
      const seen = this.lastId;
      const known = this.epoch;
      const [epoch, tip] = await this.redis.hotlineInspect(this.keys.epoch, this.keys.events);
      if (known !== this.epoch) return; // reloaded meanwhile
      if (epoch !== known) this.lost(epoch === '' ? 'Redis holds no live state (restarted empty, or flushed)' : 'the live state was rebuilt by another node');
      else if (streamIdBefore(tip, seen)) this.lost(`Redis is behind this node (stream at ${tip}, this node saw ${seen}): a failover to a replica that missed writes`);
      else if (this.healthNow === 'unreachable') this.healthNow = 'ok';
    } catch {
      if (this.healthNow === 'ok') this.healthNow = 'unreachable';
    }
  }

  private lost(why: string): void {
    if (this.healthNow === 'lost') return;
    this.healthNow = 'lost';
    for (const l of this.lostListeners) l(why);
  }

  private async follow(): Promise<void> {
    while (this.running) {
      let reply: [string, [string, string[]][]][] | null;
      const generation = this.generation;
      try {
        // ioredis never settles a command queued while it waits to reconnect if it is then
        // disconnected, so closing must not depend on the read coming back.
        reply = await new Promise<typeof reply>((resolve, reject) => {
          this.abandonRead = () => resolve(null);
          this.reader!.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', this.keys.events, this.lastId).then((r) => resolve(r as typeof reply), reject);
        });
      } catch {
        if (!this.running) return;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (generation !== this.generation) continue;
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          this.lastId = id;
          // Written in another generation of the state: the reload this node is about to do has it.
          if (fields[1] === 'merge') continue;
          // Our own steps were applied and announced when they committed: skip them unparsed.
          if (fields[1] === this.nodeId) continue;
          const payload = JSON.parse(fields[3]!) as StreamPayload;
          this.state.apply(payload.put, payload.del);
          if (payload.sample) this.refreshStats();
          this.emit({ put: payload.put, del: payload.del, events: payload.events, addDeadlines: payload.addDeadlines, local: false });
        }
      }
    }
  }

  private emit(c: Committed) {
    for (const l of this.listeners) l(c);
  }

  async commit(tx: Tx): Promise<boolean> {
    // Each entity is serialised once and the stream payload is assembled from the same text.
    const put = Object.entries(tx.put).map(([k, e]) => [k, JSON.stringify(e)] as const);
    const args: (string | number)[] = [this.epoch];
    const expect = Object.entries(tx.expect);
    args.push(expect.length, ...expect.flat());
    args.push(put.length, ...put.flat());
    args.push(tx.del.length, ...tx.del);
    args.push(tx.addDeadlines.length, ...tx.addDeadlines.flatMap((d) => [d.key, d.at]));
    args.push(tx.removeDeadlines.length, ...tx.removeDeadlines);
    const payload =
      `{"node":${JSON.stringify(this.nodeId)},"put":{${put.map(([k, json]) => `${JSON.stringify(k)}:${json}`).join(',')}}` +
      `,"del":${JSON.stringify(tx.del)},"events":${JSON.stringify(tx.events)},"addDeadlines":${JSON.stringify(tx.addDeadlines)}` +
      `${tx.handleSampleMs !== null ? ',"sample":true' : ''}}`;
    args.push(payload, this.maxLen, tx.handleSampleMs === null ? '' : tx.handleSampleMs, this.nodeId);
    const id = await this.redis.hotlineCommit(this.keys.live, this.keys.deadlines, this.keys.events, this.keys.epoch, ...args);
    if (id === -1) {
      this.lost('a step found the live state changed under this node');
      throw new LiveStateLostError();
    }
    if (id === 0) return false;
    this.state.apply(tx.put, tx.del);
    if (tx.handleSampleMs !== null) this.refreshStats();
    this.emit({ put: tx.put, del: tx.del, events: tx.events, addDeadlines: tx.addDeadlines, local: true });
    return true;
  }

  /** The average is only read for estimates, so it is refreshed in the background. */
  private refreshStats(): void {
    void this.refresh([STATS_KEY]).catch(() => {});
  }

  async refresh(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    // Read only from the state this node knows: entries of a lost or rebuilt state would mix
    // two generations in the replica.
    const values = await this.redis.hotlineRefresh(this.keys.live, this.keys.epoch, this.epoch, ...keys);
    if (values === -1) {
      this.lost('a read found the live state changed under this node');
      throw new LiveStateLostError();
    }
    const put: Record<string, Entity> = {};
    const del: string[] = [];
    keys.forEach((k, i) => {
      const v = values[i];
      if (v) put[k] = JSON.parse(v);
      else if (this.state.get(k)) del.push(k);
    });
    this.state.apply(put, del);
  }

  claimDue(now: number, limit: number): Promise<string[]> {
    return this.redis.hotlineClaim(this.keys.deadlines, now, limit);
  }

  async nextDeadline(): Promise<number | null> {
    const [, score] = await this.redis.zrange(this.keys.deadlines, '0', '0', 'WITHSCORES');
    return score === undefined ? null : Number(score);
  }

  onCommitted(listener: (c: Committed) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.running = false;
    if (this.watchdog) clearInterval(this.watchdog);
    this.listeners.length = 0;
    this.abandonRead();
    this.standDownReader?.();
    this.reader?.disconnect();
    await this.tail?.catch(() => {});
  }
}
