import { DeadlineHeap } from './deadline-heap';
import { LiveState } from './live-state';
import type { Committed, LiveStore } from './live-store';
import { foldHandleSample, STATS_KEY, type Tx } from './types';

/** The embedded default: state in this process, for a single node. */
export class MemoryLiveStore implements LiveStore {
  readonly kind = 'memory' as const;
  readonly state = new LiveState();
  private readonly deadlines = new DeadlineHeap();
  private readonly listeners: ((c: Committed) => void)[] = [];

  async start(): Promise<void> {}

  async commit(tx: Tx): Promise<boolean> {
    for (const [key, v] of Object.entries(tx.expect)) {
      if ((this.state.get(key)?.v ?? 0) !== v) return false;
    }
    this.state.apply(tx.put, tx.del);
    if (tx.handleSampleMs !== null) this.state.apply({ [STATS_KEY]: foldHandleSample(this.state.stats(), tx.handleSampleMs) }, []);
    for (const key of tx.removeDeadlines) this.deadlines.delete(key);
    for (const d of tx.addDeadlines) this.deadlines.set(d);
    const committed: Committed = { put: tx.put, del: tx.del, events: tx.events, addDeadlines: tx.addDeadlines, local: true };
    for (const l of this.listeners) l(committed);
    return true;
  }

  async refresh(): Promise<void> {}

  async claimDue(now: number, limit: number): Promise<string[]> {
    return this.deadlines.takeDue(now, limit);
  }

  async nextDeadline(): Promise<number | null> {
    return this.deadlines.peek();
  }

  onCommitted(listener: (c: Committed) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.listeners.length = 0;
  }

  // The state is this process's own: it cannot be lost while the process lives.
  readonly health = 'ok' as const;

  onLost(): void {}

  async verify(): Promise<boolean> {
    return true;
  }

  async merge(): Promise<{ written: string[]; armed: number }> {
    return { written: [], armed: 0 };
  }

  async resync(): Promise<void> {}
}
