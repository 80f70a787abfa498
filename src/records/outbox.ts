import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { KeyedSerial } from '../async/keyed-serial';
import type { Db } from '../db/database';
import { isDatabaseUnavailable } from '../db/errors';
import type { RecordJournal, JournalEntry } from './journal';
import { applyRecord, type CallFields, type CallerHistory, MissingRowError, type RecordOp, recordKey } from './record-ops';

export interface OutboxOptions {
  db: Db;
  journal: RecordJournal;
  log: FastifyBaseLogger;
  /** How often a kept write is tried again while the database is away. */
  retryMs?: number;
  /** A write waiting for its call's row (another node's kept write) is given up after this long. */
  missingRowGiveUpMs?: number;
}

/**
 * The transactional outbox of call records. Every write a call depends on comes here as a value
 * (record-ops.ts). It is applied at once when the database answers; when it does not, the write
 * is kept in the journal on disk and applied when the database is back — a caller is never held
 * up, and nothing is dropped. Writes of one call are applied in the order they were made: once a
 * call has a kept write, its later writes queue behind it. Other calls are not held up by it.
 *
 * After one write finds the database unreachable the outbox stops trying it directly (each
 * attempt could wait for a connection timeout) and keeps writes until a retry gets through.
 */
export class RecordOutbox {
  private readonly kept = new Map<string, JournalEntry[]>();
  private readonly calls = new KeyedSerial();
  private databaseUp = true;
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private closed = false;
  private readonly retryMs: number;
  private readonly giveUpMs: number;
  private rejected = 0;
  private readonly drainedWaiters: (() => void)[] = [];

  constructor(private readonly o: OutboxOptions) {
    this.retryMs = o.retryMs ?? 1_000;
    this.giveUpMs = o.missingRowGiveUpMs ?? 10 * 60_000;
  }

  /** Takes in what earlier processes left in the journal and starts applying it. */
  async start(): Promise<void> {
    for (const entry of await this.o.journal.open()) this.keep(entry);
    if (this.kept.size > 0) this.schedule(0);
  }

  /** Writes kept for later, not yet applied. */
  get backlog(): number {
    let n = 0;
    for (const entries of this.kept.values()) n += entries.length;
    return n;
  }

  get rejectedCount(): number {
    return this.rejected;
  }

  /** Whether the last attempt reached the database. */
  get reachable(): boolean {
    return this.databaseUp;
  }

  /**
   * Applies the write, or keeps it for later when the database is away. Resolves when it is in
   * the database or on disk; the result is what the write returns when applied now.
   */
  write(op: RecordOp): Promise<unknown> {
    const key = recordKey(op);
    return this.serial(key, async () => {
      if (this.databaseUp && !this.kept.has(key)) {
        try {
          return await applyRecord(this.o.db, op);
        } catch (err) {
          if (!this.retryable(err)) {
            await this.refuse({ seq: 0, key, op, since: Date.now() }, err);
            return undefined;
          }
        }
      }
      this.keep(await this.o.journal.append(key, op, Date.now()));
      this.schedule(this.retryMs);
      return undefined;
    });
  }

  /** Resolves when nothing is kept (tests; shutdown waits for it a bounded time). */
  drained(): Promise<void> {
    if (this.kept.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  /** Waits for writes under way; what is still kept stays in the journal for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.draining;
    await this.calls.idle();
    await this.o.journal.close();
  }

  // ---- the typed writes the call flow, the recorder and the desktop make --------------------

  async callArrived(c: Omit<Extract<RecordOp, { op: 'call.arrived' }>, 'op'>): Promise<CallerHistory | null | undefined> {
    return (await this.write({ op: 'call.arrived', ...c })) as CallerHistory | null | undefined;
  }

  async updateCall(callId: string, set: CallFields, options: { unlessEnded?: boolean; queuedAt?: Date; answeredAtIfUnset?: Date; waitMsIfUnset?: number } = {}): Promise<void> {
    await this.write({
      op: 'call.update',
      callId,
      set,
      unlessEnded: options.unlessEnded ?? true,
      ...(options.queuedAt ? { queuedAt: options.queuedAt } : {}),
      ...(options.answeredAtIfUnset ? { answeredAtIfUnset: options.answeredAtIfUnset } : {}),
      ...(options.waitMsIfUnset !== undefined ? { waitMsIfUnset: options.waitMsIfUnset } : {}),
    });
  }

  /** The call ended (unless it already had): why, and when (a provisional close's `lost` is cleared). */
  async callEnded(callId: string, reason: NonNullable<CallFields['end_reason']>, at: Date, extra: CallFields = {}): Promise<void> {
    await this.updateCall(callId, { status: 'ended', end_reason: reason, ended_at: at, end_detail: null, ...extra });
  }

  async event(callId: string, type: string, data: Record<string, unknown> = {}, at = new Date()): Promise<void> {
    await this.write({ op: 'call.event', callId, writeId: randomUUID(), at, type, data });
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private retryable(err: unknown): boolean {
    if (err instanceof MissingRowError) return true;
    if (!isDatabaseUnavailable(err)) return false;
    if (this.databaseUp) this.o.log.warn({ err }, 'database unreachable: keeping call records in the journal until it is back');
    this.databaseUp = false;
    return true;
  }

  private keep(entry: JournalEntry): void {
    const list = this.kept.get(entry.key);
    if (list) list.push(entry);
    else this.kept.set(entry.key, [entry]);
  }

  private async refuse(entry: JournalEntry, err: unknown): Promise<void> {
    this.rejected++;
    const reason = err instanceof Error ? err.message : String(err);
    this.o.log.error({ err, op: entry.op.op, key: entry.key }, 'the database refused a call record; kept in rejected.jsonl');
    await this.o.journal.reject(entry, reason).catch((e) => this.o.log.error({ err: e }, 'could not keep a refused call record'));
  }

  private schedule(ms: number): void {
    if (this.closed || this.timer || this.draining) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.draining = this.drain().finally(() => {
        this.draining = null;
        if (this.kept.size > 0) this.schedule(this.retryMs);
        else {
          this.o.journal.compact();
          for (const w of this.drainedWaiters.splice(0)) w();
        }
      });
    }, ms);
    this.timer.unref();
  }

  /** Applies kept writes, the calls with the oldest first; stops at the first sign of an outage. */
  private async drain(): Promise<void> {
    const keys = [...this.kept.entries()].sort((a, b) => a[1][0]!.seq - b[1][0]!.seq).map(([k]) => k);
    for (const key of keys) {
      if (this.closed) return;
      const stop = await this.serial(key, () => this.drainKey(key));
      if (stop) return;
    }
  }

  /** True when the database is away again. */
  private async drainKey(key: string): Promise<boolean> {
    const list = this.kept.get(key);
    while (list && list.length > 0) {
      const entry = list[0]!;
      try {
        await applyRecord(this.o.db, entry.op);
        if (!this.databaseUp) this.o.log.info({ backlog: this.backlog }, 'database reachable again: applying kept call records');
        this.databaseUp = true;
      } catch (err) {
        if (err instanceof MissingRowError) {
          if (Date.now() - entry.since < this.giveUpMs) return false;
          await this.refuse(entry, err);
        } else if (isDatabaseUnavailable(err)) {
          this.databaseUp = false;
          return true;
        } else {
          await this.refuse(entry, err);
        }
      }
      list.shift();
      this.o.journal.done(entry.seq);
    }
    this.kept.delete(key);
    return false;
  }

  /** Runs `fn` after every earlier write of the same call. */
  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.calls.run(key, fn);
  }
}
