import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { callbacksRepository } from '../callbacks/callbacks-repository';
import type { Db } from '../db/database';
import { referralsRepository as repo } from './referrals-repository';

/** A referral whose organisation missed a deadline, as supervisors are told of it. */
export interface OverdueAlert {
  kind: 'referral_overdue';
  deadline: 'accept' | 'close';
  referralId: string;
  referralKind: string;
  ticketNumber: string;
  /** The caller's region: supervisors whose area holds it are told. */
  regionCode: string | null;
  organisation: { nameZh: string; nameEn: string } | null;
  dueAt: string | null;
  at: string;
}

export interface SweeperOptions {
  db: Db;
  provinceCode: string;
  callbackMaxAttempts: () => number;
  /** Callbacks were booked: look for due ones now rather than at the next pass. */
  onCallbacksBooked?: () => void;
  log: FastifyBaseLogger;
  intervalMs: number;
  now?: () => Date;
}

/**
 * The referrals' clock, on every node: marks referrals past a deadline (each once, whichever node
 * gets there first), tells this node's listeners of every overdue mark made anywhere (read back
 * from referral_events, so no node misses one), and puts due callback tasks into the queue.
 */
export class ReferralSweeper {
  private timer: NodeJS.Timeout | null = null;
  private cursor = 0;
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private readonly listeners: ((a: OverdueAlert) => void)[] = [];
  private readonly now: () => Date;

  constructor(private readonly o: SweeperOptions) {
    this.now = o.now ?? (() => new Date());
  }

  onAlert(listener: (a: OverdueAlert) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    // Alerts from before this node started were pushed by the nodes that were up then.
    this.cursor = await repo.lastEventId(this.o.db);
    if (this.o.intervalMs > 0) {
      this.timer = setInterval(() => void this.run().catch((err) => this.o.log.error({ err }, 'referral sweep failed')), this.o.intervalMs);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => {});
    await this.next?.catch(() => {});
  }

  /**
   * A pass that sees everything written before the call: a pass already under way may have read
   * before it, so one more follows it (callers arriving meanwhile share that one).
   */
  run(): Promise<void> {
    if (this.running) {
      this.next ??= this.running.catch(() => {}).then(() => {
        this.next = null;
        return this.run();
      });
      return this.next;
    }
    this.running = this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    const at = this.now();
    const [accept, close] = await repo.markOverdue(this.o.db, at);
    for (const [rows, deadline] of [[accept, 'accept'], [close, 'close']] as const) {
      for (const r of rows) {
        const dueAt = deadline === 'accept' ? r.accept_due_at : r.close_due_at;
        await repo.event(this.o.db, { referralId: r.id, actor: 'system', type: `overdue.${deadline}`, data: { dueAt: dueAt?.toISOString() ?? null } });
        this.o.log.warn({ referralId: r.id, deadline, dueAt }, 'referral overdue');
      }
    }
    for (;;) {
      const events = await repo.overdueEventsAfter(this.o.db, this.cursor, 200);
      for (const e of events) {
        this.cursor = Number(e.id);
        const deadline = e.type === 'overdue.accept' ? 'accept' : 'close';
        const alert: OverdueAlert = {
          kind: 'referral_overdue',
          deadline,
          referralId: e.referralId,
          referralKind: e.kind,
          ticketNumber: e.ticketNumber,
          regionCode: e.region_code,
          organisation: e.name_zh ? { nameZh: e.name_zh, nameEn: e.name_en ?? e.name_zh } : null,
          dueAt: (deadline === 'accept' ? e.accept_due_at : e.close_due_at)?.toISOString() ?? null,
          at: e.at.toISOString(),
        };
        for (const l of this.listeners) l(alert);
      }
      if (events.length < 200) break;
    }
    await this.queueCallbacks(at);
  }

  /** Callback tasks now due become callbacks (src/callbacks), kept and tried like any other. */
  private async queueCallbacks(at: Date): Promise<void> {
    // Claimed and booked in one transaction: a task is never marked taken without its callback.
    const booked = await this.o.db.transaction().execute(async (tx) => {
      const tasks = await repo.claimDueCallbackTasks(tx, at, 50);
      for (const task of tasks) {
        const callbackId = randomUUID();
        const ok = await callbacksRepository.bookForTicket(tx, { id: callbackId, provinceCode: this.o.provinceCode, ticketId: task.ticket_id, taskId: task.id, reason: task.reason, maxAttempts: this.o.callbackMaxAttempts(), at });
        if (ok) await repo.setCallbackId(tx, task.id, callbackId);
        this.o.log.info({ taskId: task.id, callbackId, reason: task.reason }, 'callback task booked');
      }
      return tasks.length;
    });
    if (booked > 0) this.o.onCallbacksBooked?.();
  }
}
