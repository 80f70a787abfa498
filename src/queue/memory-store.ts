import { LiveState } from './live-state';
import type { Committed, LiveStore } from './live-store';
import type { Tx } from './types';

/** The embedded default: state in this process, for a single node. */
export class MemoryLiveStore implements LiveStore {
  readonly kind = 'memory' as const;
  readonly state = new LiveState();
  private readonly deadlineAt = new Map<string, number>();
  // Sorted by time; entries whose time no longer matches deadlineAt are stale and skipped.
  private readonly timeline: { at: number; key: string }[] = [];
  private readonly listeners: ((c: Committed) => void)[] = [];

  async start(): Promise<void> {}

  async commit(tx: Tx): Promise<boolean> {
    for (const [key, v] of Object.entries(tx.expect)) {
      if ((this.state.get(key)?.v ?? 0) !== v) return false;
    }
    this.state.apply(tx.put, tx.del);
    for (const key of tx.removeDeadlines) this.deadlineAt.delete(key);
    for (const d of tx.addDeadlines) {
      this.deadlineAt.set(d.key, d.at);
      let lo = 0;
      let hi = this.timeline.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.timeline[mid]!.at <= d.at) lo = mid + 1;
        else hi = mid;
      }
      this.timeline.splice(lo, 0, d);
    }
    const committed: Committed = { put: tx.put, del: tx.del, events: tx.events, addDeadlines: tx.addDeadlines, local: true };
    for (const l of this.listeners) l(committed);
    return true;
  }

  async refresh(): Promise<void> {}

  async claimDue(now: number, limit: number): Promise<string[]> {
    const out: string[] = [];
    while (this.timeline.length > 0 && this.timeline[0]!.at <= now && out.length < limit) {
      const { at, key } = this.timeline.shift()!;
      if (this.deadlineAt.get(key) !== at) continue;
      this.deadlineAt.delete(key);
      out.push(key);
    }
    return out;
  }

  async nextDeadline(): Promise<number | null> {
    while (this.timeline.length > 0 && this.deadlineAt.get(this.timeline[0]!.key) !== this.timeline[0]!.at) this.timeline.shift();
    return this.timeline[0]?.at ?? null;
  }

  onCommitted(listener: (c: Committed) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.listeners.length = 0;
  }
}
