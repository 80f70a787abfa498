import { compareCalls } from './policy';
import type { Entity, LiveAgent, LiveCall, LiveStats } from './types';
import { STATS_KEY } from './types';

/**
 * The live state as one node sees it, with the indexes routing reads on every event: waiting
 * calls in service order and ready agents. For the in-process store it is the state itself; for
 * Redis it is a replica kept current from the event stream, and commits check versions.
 */
export class LiveState {
  private readonly entities = new Map<string, Entity>();
  private readonly callsById = new Map<string, LiveCall>();
  private readonly agentsById = new Map<string, LiveAgent>();
  private waitingCount = 0;
  // The same calls per language: a caller's place in line is among those who need the same agents.
  private readonly waitingByLanguage = new Map<string, LiveCall[]>();
  // Waiting calls by region, language, topic and priority: within a bucket every call has the
  // same eligibility but for how long it has waited, so its head (the oldest) stands for it.
  private readonly buckets = new Map<string, CallBucket>();
  // Per language, buckets ordered by their oldest call in service order: matching walks them
  // in order and stops at the first it may take.
  private readonly bucketsByLanguage = new Map<string, CallBucket[]>();
  private readonly ready = new Map<string, LiveAgent>();
  // The same agents by serving region: a call's early steps look only at its county or
  // prefecture, so matching need not walk every ready agent of the province.
  private readonly readyByRegion = new Map<string, Map<string, LiveAgent>>();
  // Deleted keys, so a late copy of an old version cannot bring a finished call back.
  private readonly tombstones = new Map<string, true>();
  /** Raised when who is signed in, or their skills or region, change: coverage is rebuilt then. */
  rosterVersion = 0;

  get(key: string): Entity | undefined {
    return this.entities.get(key);
  }

  call(id: string): LiveCall | undefined {
    return this.callsById.get(id);
  }

  agent(id: string): LiveAgent | undefined {
    return this.agentsById.get(id);
  }

  stats(): LiveStats | null {
    return (this.entities.get(STATS_KEY) as LiveStats | undefined) ?? null;
  }

  /** How many calls are waiting (hot paths: queue limit, sweep). */
  waitingSize(): number {
    return this.waitingCount;
  }

  /** Waiting calls in service order (priority, then longest wait), built on demand. */
  waitingCalls(): LiveCall[] {
    return [...this.callsById.values()].filter((c) => c.status === 'waiting').sort(compareCalls);
  }

  /** How many waiting calls in the same language are ahead of this one (-1: not waiting). */
  placeInLine(call: LiveCall): number {
    const list = this.waitingByLanguage.get(call.language);
    if (!list || call.status !== 'waiting') return -1;
    const i = position(list, call);
    return list[i]?.id === call.id ? i : -1;
  }

  /** Waiting calls in this language, grouped alike (see CallBucket), in order of their oldest call. */
  waitingBuckets(language: string): readonly CallBucket[] {
    return this.bucketsByLanguage.get(language) ?? [];
  }

  readyAgents(): IterableIterator<LiveAgent> {
    return this.ready.values();
  }

  /** Ready agents serving one of these regions exactly. */
  *readyServing(regionCodes: readonly string[]): IterableIterator<LiveAgent> {
    for (const code of regionCodes) {
      const agents = this.readyByRegion.get(code);
      if (agents) yield* agents.values();
    }
  }

  agents(): IterableIterator<LiveAgent> {
    return this.agentsById.values();
  }

  calls(): IterableIterator<LiveCall> {
    return this.callsById.values();
  }

  /** Every entity with its key (a copy kept aside when the shared state must be rebuilt). */
  entries(): [string, Entity][] {
    return [...this.entities.entries()];
  }

  /** The most recently deleted keys, newest last. */
  recentlyDeleted(limit: number): string[] {
    const keys = [...this.tombstones.keys()];
    return keys.slice(Math.max(0, keys.length - limit));
  }

  /** Applies writes newer than what is held; returns whether anything changed. */
  apply(put: Record<string, Entity>, del: string[]): boolean {
    let changed = false;
    for (const [key, next] of Object.entries(put)) {
      if (this.tombstones.has(key)) continue;
      const prev = this.entities.get(key);
      if (prev && prev.v >= next.v) continue;
      this.unindex(key, prev);
      this.entities.set(key, next);
      this.index(key, next, prev);
      changed = true;
    }
    for (const key of del) {
      const prev = this.entities.get(key);
      if (prev) {
        this.unindex(key, prev);
        this.entities.delete(key);
        changed = true;
      }
      // Agents and the shared figures are never deleted on purpose (a sign-out keeps the agent,
      // offline): one missing for a moment must be able to come back.
      if (!key.startsWith('c:')) continue;
      this.tombstones.set(key, true);
      if (this.tombstones.size > 200_000) this.tombstones.delete(this.tombstones.keys().next().value!);
    }
    return changed;
  }

  /**
   * Replaces everything (a replica loading a snapshot). The snapshot is the truth: what was
   * deleted before it cannot come back, so the deleted keys are forgotten with the rest.
   */
  reset(entities: Record<string, Entity>): void {
    this.entities.clear();
    this.tombstones.clear();
    this.callsById.clear();
    this.agentsById.clear();
    this.waitingCount = 0;
    this.waitingByLanguage.clear();
    this.buckets.clear();
    this.bucketsByLanguage.clear();
    this.ready.clear();
    this.readyByRegion.clear();
    this.rosterVersion++;
    this.apply(entities, []);
  }

  private unindex(key: string, prev: Entity | undefined) {
    if (!prev) return;
    if (key.startsWith('c:')) {
      const call = prev as LiveCall;
      this.callsById.delete(call.id);
      if (call.status === 'waiting') {
        this.waitingCount--;
        remove(this.waitingByLanguage.get(call.language) ?? [], call);
        const key = bucketKey(call);
        const bucket = this.buckets.get(key);
        if (bucket) {
          const order = this.bucketsByLanguage.get(call.language)!;
          const wasHead = bucket.calls[0]?.id === call.id;
          if (wasHead) removeBucket(order, bucket);
          remove(bucket.calls, call);
          if (bucket.calls.length === 0) this.buckets.delete(key);
          else if (wasHead) insertBucket(order, bucket);
        }
      }
    } else if (key.startsWith('a:')) {
      const agent = prev as LiveAgent;
      this.agentsById.delete(agent.id);
      if (this.ready.delete(agent.id)) {
        const same = this.readyByRegion.get(agent.regionCode);
        same?.delete(agent.id);
        if (same?.size === 0) this.readyByRegion.delete(agent.regionCode);
      }
    }
  }

  private index(key: string, next: Entity, prev: Entity | undefined) {
    if (key.startsWith('c:')) {
      const call = next as LiveCall;
      this.callsById.set(call.id, call);
      if (call.status === 'waiting') {
        this.waitingCount++;
        let list = this.waitingByLanguage.get(call.language);
        if (!list) this.waitingByLanguage.set(call.language, (list = []));
        insert(list, call);
        const key = bucketKey(call);
        let bucket = this.buckets.get(key);
        if (!bucket) {
          bucket = { regionCode: call.regionCode, language: call.language, topic: call.topic, calls: [], staffed: null };
          this.buckets.set(key, bucket);
        }
        let order = this.bucketsByLanguage.get(call.language);
        if (!order) this.bucketsByLanguage.set(call.language, (order = []));
        const head = bucket.calls[0];
        if (head === undefined || compareCalls(call, head) < 0) {
          if (head !== undefined) removeBucket(order, bucket);
          insert(bucket.calls, call);
          insertBucket(order, bucket);
        } else {
          insert(bucket.calls, call);
        }
      }
    } else if (key.startsWith('a:')) {
      const agent = next as LiveAgent;
      this.agentsById.set(agent.id, agent);
      if (agent.state === 'ready') {
        this.ready.set(agent.id, agent);
        let same = this.readyByRegion.get(agent.regionCode);
        if (!same) this.readyByRegion.set(agent.regionCode, (same = new Map()));
        same.set(agent.id, agent);
      }
      const before = prev as LiveAgent | undefined;
      if (
        !before ||
        (before.state === 'offline') !== (agent.state === 'offline') ||
        before.regionCode !== agent.regionCode ||
        !sameSkills(before.languages, agent.languages) ||
        !sameSkills(before.topics, agent.topics)
      ) {
        this.rosterVersion++;
      }
    }
  }

}

/**
 * Waiting calls alike in region, language, topic and priority, oldest first. Every call in a
 * bucket is eligible for the same agents but for how long it has waited, so matching looks at
 * each bucket's oldest call only. `staffed` caches which steps have anyone signed in.
 */
export interface CallBucket {
  regionCode: string;
  language: string;
  topic: string;
  calls: LiveCall[];
  staffed: { roster: number; steps: boolean[] } | null;
  /** The region's number in RoutingRegions, filled in by the policy on first use. */
  regionIndex?: number;
}

const bucketKey = (c: LiveCall) => `${c.regionCode}|${c.language}|${c.topic}|${c.priority}`;

/** Binary search: where `call` is, or would go, in a list in service order. */
function position(list: LiveCall[], call: LiveCall): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCalls(list[mid]!, call) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where a bucket is, or would go, among buckets ordered by their oldest call. */
function bucketPosition(order: CallBucket[], head: LiveCall): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCalls(order[mid]!.calls[0]!, head) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertBucket(order: CallBucket[], bucket: CallBucket) {
  order.splice(bucketPosition(order, bucket.calls[0]!), 0, bucket);
}

/** Call before the bucket's oldest call changes: its place is found by that call. */
function removeBucket(order: CallBucket[], bucket: CallBucket) {
  const i = bucketPosition(order, bucket.calls[0]!);
  if (order[i] === bucket) order.splice(i, 1);
}

function insert(list: LiveCall[], call: LiveCall) {
  list.splice(position(list, call), 0, call);
}

function remove(list: LiveCall[], call: LiveCall) {
  const i = position(list, call);
  if (list[i]?.id === call.id) list.splice(i, 1);
}

function sameSkills(a: Record<string, number>, b: Record<string, number>): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
