import type { FastifyBaseLogger } from 'fastify';
import { Gauge, type Registry } from 'prom-client';
import { callbacksRepository } from '../callbacks/callbacks-repository';
import type { Db } from '../db/database';

export interface CallbackMetricsOptions {
  registry: Registry;
  db: Db;
  provinceCode: string;
  /** The callback policy's overdueMinutes as it stands (the province's settings may change it). */
  overdueMinutes: () => number;
  log: FastifyBaseLogger;
  /** How long one count answers scrapes: several Prometheus servers, or a dashboard polling /metrics, cost one query. */
  ttlMs?: number;
  /** A scrape waits no longer than this for the database; it gets the last count meanwhile. */
  timeoutMs?: number;
}

type Backlog = { pending: number; queued: number; overdue: number };

/**
 * The callbacks still owed to callers, on /metrics. The promises live in the database, not in
 * the live state, so they are counted by a query at scrape time — one indexed count per few
 * seconds, whichever node is scraped. While the database is away a scrape shows the last count
 * rather than failing: /metrics must keep answering when the database does not (the other
 * figures are what an operator looks at then).
 */
export function registerCallbackMetrics(o: CallbackMetricsOptions): void {
  const ttlMs = o.ttlMs ?? 5_000;
  const timeoutMs = o.timeoutMs ?? 1_000;
  let last: (Backlog & { at: number }) | null = null;
  let reading: Promise<void> | null = null;
  let failing = false;

  const read = async () => {
    try {
      const overdueBefore = new Date(Date.now() - o.overdueMinutes() * 60_000);
      const rows = await callbacksRepository.backlog(o.db, o.provinceCode, overdueBefore);
      const b: Backlog = { pending: 0, queued: 0, overdue: 0 };
      for (const r of rows) {
        b[r.status] += r.n;
        b.overdue += r.overdue;
      }
      last = { ...b, at: Date.now() };
      failing = false;
    } catch (err) {
      if (!failing) o.log.warn({ err }, 'could not count open callbacks for /metrics; showing the last count');
      failing = true;
    }
  };

  const current = async (): Promise<Backlog | null> => {
    if (last && Date.now() - last.at < ttlMs) return last;
    // Scrapes that arrive while a count runs share it.
    reading ??= read().finally(() => {
      reading = null;
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reading, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]).finally(() => clearTimeout(timer));
    return last;
  };

  const registers = [o.registry];
  new Gauge({
    name: 'hotline_callbacks_backlog',
    help: 'Callbacks booked and not yet done, by status: pending (waiting for their time or a retry), queued (an attempt is in the queue or with an agent)',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const b = await current();
      // Never counted yet (the database was away since start): no sample rather than a false 0.
      if (!b) return;
      this.set({ status: 'pending' }, b.pending);
      this.set({ status: 'queued' }, b.queued);
    },
  });
  new Gauge({
    name: 'hotline_callbacks_overdue',
    help: 'Open callbacks not done within the callback policy\'s overdueMinutes after they fell due (as on the wallboard)',
    registers,
    async collect() {
      const b = await current();
      this.set(b ? b.overdue : Number.NaN);
    },
  });
}
