import type { Deadline } from './types';

/**
 * Deadlines in time order for the in-process store: a binary heap, with a key's latest time
 * kept aside so a cleared or moved deadline is skipped when it surfaces.
 */
export class DeadlineHeap {
  private readonly heap: Deadline[] = [];
  private readonly current = new Map<string, number>();

  set(d: Deadline): void {
    this.current.set(d.key, d.at);
    this.heap.push(d);
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.heap[parent]!.at <= d.at) break;
      this.heap[i] = this.heap[parent]!;
      i = parent;
    }
    this.heap[i] = d;
  }

  delete(key: string): void {
    this.current.delete(key);
  }

  /** The earliest live deadline's time, or null. */
  peek(): number | null {
    this.dropStale();
    return this.heap[0]?.at ?? null;
  }

  /** Removes and returns up to `limit` keys due by `now`. */
  takeDue(now: number, limit: number): string[] {
    const out: string[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.at > now || out.length >= limit) return out;
      this.pop();
      this.current.delete(top.key);
      out.push(top.key);
    }
  }

  private dropStale(): void {
    while (this.heap.length > 0 && this.current.get(this.heap[0]!.key) !== this.heap[0]!.at) this.pop();
  }

  private pop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length === 0) return;
    let i = 0;
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let mAt = last.at;
      if (l < n && this.heap[l]!.at < mAt) {
        m = l;
        mAt = this.heap[l]!.at;
      }
      if (r < n && this.heap[r]!.at < mAt) m = r;
      if (m === i) break;
      this.heap[i] = this.heap[m]!;
      i = m;
    }
    this.heap[i] = last;
  }
}
