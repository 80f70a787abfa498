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
  private readonly waiting: LiveCall[] = [];
  private readonly ready = new Map<string, LiveAgent>();
  // Deleted keys, so a late copy of an old version cannot bring a finished call back.
  private readonly tombstones = new Map<string, true>();
  /** Raised when who is signed in, or their skills or region, change: coverage is rebuilt then. */
  rosterVersion = 0;

  get(key: string): Entity | undefined {
    return this.entities.get(key);
  }

  call(id: string): LiveCall | undefined {
    return this.entities.get(`c:${id}`) as LiveCall | undefined;
  }

  agent(id: string): LiveAgent | undefined {
    return this.entities.get(`a:${id}`) as LiveAgent | undefined;
  }

  stats(): LiveStats | null {
    return (this.entities.get(STATS_KEY) as LiveStats | undefined) ?? null;
  }

  /** Waiting calls in service order (priority, then longest wait). Do not modify. */
  waitingCalls(): readonly LiveCall[] {
    return this.waiting;
  }

  readyAgents(): IterableIterator<LiveAgent> {
    return this.ready.values();
  }

  *agents(): IterableIterator<LiveAgent> {
    for (const [key, e] of this.entities) if (key.startsWith('a:')) yield e as LiveAgent;
  }

  *calls(): IterableIterator<LiveCall> {
    for (const [key, e] of this.entities) if (key.startsWith('c:')) yield e as LiveCall;
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
      this.tombstones.set(key, true);
      if (this.tombstones.size > 200_000) this.tombstones.delete(this.tombstones.keys().next().value!);
    }
    return changed;
  }

  /** Replaces everything (a replica loading a snapshot). */
  reset(entities: Record<string, Entity>): void {
    this.entities.clear();
    this.waiting.length = 0;
    this.ready.clear();
    this.rosterVersion++;
    this.apply(entities, []);
  }

  private unindex(key: string, prev: Entity | undefined) {
    if (!prev) return;
    if (key.startsWith('c:')) {
      const call = prev as LiveCall;
      if (call.status === 'waiting') {
        const i = this.position(call);
        if (this.waiting[i]?.id === call.id) this.waiting.splice(i, 1);
      }
    } else if (key.startsWith('a:')) {
      this.ready.delete((prev as LiveAgent).id);
    }
  }

  private index(key: string, next: Entity, prev: Entity | undefined) {
    if (key.startsWith('c:')) {
      const call = next as LiveCall;
      if (call.status === 'waiting') this.waiting.splice(this.position(call), 0, call);
    } else if (key.startsWith('a:')) {
      const agent = next as LiveAgent;
      if (agent.state === 'ready') this.ready.set(agent.id, agent);
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

  /** Binary search: where `call` is, or would go, in the waiting list. */
  private position(call: LiveCall): number {
    let lo = 0;
    let hi = this.waiting.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareCalls(this.waiting[mid]!, call) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function sameSkills(a: Record<string, number>, b: Record<string, number>): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
