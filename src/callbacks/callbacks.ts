import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database';
import type { CallbackResult } from '../db/schema';
import type { Router } from '../queue/router';
import type { RoutingEvent } from '../queue/types';
import type { RecordOutbox } from '../records/outbox';
import { callbacksRepository as repo } from './callbacks-repository';
import { type CallbackPolicy, callbackPolicy, inCallingHours, nextCallingTime, retryAt } from './policy';

export interface CallbacksOptions {
  db: Db;
  router: Router;
  records: RecordOutbox;
  provinceCode: string;
  /** The policy as the province's settings hold it at start; each pass reads it again. */
  policy: CallbackPolicy;
  log: FastifyBaseLogger;
  /** How often due callbacks are looked for (a booking also looks at once). 0: only when asked. */
  intervalMs: number;
  now?: () => Date;
}

/** An attempt queued this long without being in the live queue or taken is queued again. */
const REPAIR_AFTER_MS = 15_000;
const BATCH = 100;

/**
 * Callbacks are promises (DESIGN §3): booked in the database the moment the caller is told (through
 * the outbox, so even during an outage it is on disk first), due at once or at the next calling
 * hour, and then tried as attempts routed like calls until one reaches the caller, the attempts
 * run out, or a supervisor cancels it. Nothing in the live queue can delete one: an attempt that
 * leaves the queue without being taken goes back to pending, and an attempt lost with the live
 * state is queued again.
 *
 * Every node runs the clock; claiming in the database (SKIP LOCKED) and queueing by attempt id
 * keep each attempt in the queue once.
 */
export class Callbacks {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  /** A pass is waiting to run: a nudge now would find nothing it will not. */
  private queued = false;
  private stopped = false;
  private readonly now: () => Date;
  private current: CallbackPolicy;
  private policyProblem = '';
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly o: CallbacksOptions) {
    this.now = o.now ?? (() => new Date());
    this.current = o.policy;
    o.router.on((e, local) => {
      if (local) this.routed(e);
    });
  }

  start(): void {
    if (this.o.intervalMs <= 0) return;
    this.timer = setInterval(() => this.nudge(), this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.settled();
  }

  /** Books a callback for a caller who is being told one is booked. Resolves once it is kept. */
  /**
   * `dueAt`: not before then (a voice message left out of hours is called back when the hotline
   * next opens on a working day); the calling hours apply on top.
   */
  async book(
    origin: { callId: string; language: string; topic: string; regionCode: string; priority: number },
    reason: 'caller_request' | 'queue_timeout' | 'missed_call' | 'voice_message' | 'forward_failed',
    options: { dueAt?: Date } = {},
  ): Promise<string> {
    const at = this.now();
    const callbackId = randomUUID();
    await this.o.records.write({
      op: 'callback.book',
      callbackId,
      provinceCode: this.o.provinceCode,
      reason,
      originCallId: origin.callId,
      language: origin.language,
      topic: origin.topic,
      regionCode: origin.regionCode,
      priority: origin.priority,
      maxAttempts: this.current.maxAttempts,
      dueAt: nextCallingTime(this.current, options.dueAt && options.dueAt.getTime() > at.getTime() ? options.dueAt : at),
      at,
    });
    this.o.log.info({ callId: origin.callId, callbackId, reason }, 'callback booked');
    this.nudge();
    return callbackId;
  }

  /**
   * Books a callback to a ticket's caller (a supervisor's follow-up), due now, in the caller's
   * transaction; null when the ticket is not there. Nudge once it has committed.
   */
  async bookForTicket(db: Db, ticketId: string, reason: 'follow_up'): Promise<string | null> {
    const id = randomUUID();
    const ok = await repo.bookForTicket(db, { id, provinceCode: this.o.provinceCode, ticketId, taskId: null, reason, maxAttempts: this.current.maxAttempts, at: this.now() });
    if (!ok) return null;
    this.o.log.info({ ticketId, callbackId: id, reason }, 'callback booked');
    return id;
  }

  /** The agent says how the attempt went; their word stands over the rule applied at hang-up. */
  async report(attemptId: string, result: CallbackResult): Promise<void> {
    const at = this.now();
    await this.o.records.write({ op: 'callback.result', attemptId, result, explicit: true, retryAt: retryAt(this.current, at), at });
  }

  /** Looks for due callbacks soon; asks while one is waiting to run share it. */
  nudge(): void {
    if (this.stopped || this.queued) return;
    void this.pass().catch((err) => this.o.log.warn({ err }, 'callback pass failed; trying again at the next'));
  }

  /**
   * One pass, after the one under way (if any): what a pass finds must be in the queue when it
   * returns, whoever asked first.
   */
  pass(): Promise<void> {
    this.queued = true;
    const next = this.running.then(() => {
      this.queued = false;
      return this.runPass();
    });
    this.running = next.catch(() => {});
    return next;
  }

  private async runPass(): Promise<void> {
    await this.readPolicy();
    const now = this.now();
    if (!inCallingHours(this.current, now)) {
      await this.withdrawWaiting(now);
      return;
    }
    for (const c of await repo.queuedUntaken(this.o.db, this.o.provinceCode, new Date(now.getTime() - REPAIR_AFTER_MS), BATCH)) {
      if (!this.o.router.liveCall(c.attempt_id)) {
        this.o.log.warn({ callbackId: c.id, attemptId: c.attempt_id }, 'callback attempt missing from the queue; queued again');
        await this.enqueue(c);
      }
    }
    for (;;) {
      const claimed = await repo.claimDue(this.o.db, this.o.provinceCode, now, BATCH);
      for (const c of claimed) await this.enqueue(c);
      if (claimed.length < BATCH) break;
    }
  }

  /** The policy applies as soon as the province's settings change; a wrong one is reported once and ignored. */
  private async readPolicy(): Promise<void> {
    const row = await this.o.db.selectFrom('provinces').select('settings').where('code', '=', this.o.provinceCode).executeTakeFirst();
    if (!row) return;
    try {
      this.current = callbackPolicy(row.settings as Record<string, unknown>, this.o.provinceCode);
      this.policyProblem = '';
    } catch (err) {
      const problem = (err as Error).message;
      if (problem !== this.policyProblem) this.o.log.error({ problem }, 'callback settings changed to something invalid; keeping the previous ones');
      this.policyProblem = problem;
    }
  }

  get policy(): CallbackPolicy {
    return this.current;
  }

  private async enqueue(c: { id: string; attempt_id: string; region_code: string | null; language: string; topic: string; priority: number }): Promise<void> {
    await this.o.router.enqueueCallback({
      id: c.attempt_id,
      origin: c.id,
      regionCode: c.region_code ?? this.o.router.regions.province,
      language: c.language,
      topic: c.topic,
      priority: c.priority,
    });
  }

  /** Outside calling hours nobody is called: attempts not yet taken wait for the next window. */
  private async withdrawWaiting(now: Date): Promise<void> {
    const nextAt = nextCallingTime(this.current, now);
    for (const call of [...this.o.router.store.state.calls()]) {
      if (call.kind !== 'callback' || call.status !== 'waiting') continue;
      const r = await this.o.router.withdraw(call.id);
      if (r.ok) await this.o.records.write({ op: 'callback.withdrawn', attemptId: call.id, nextAt, at: now });
    }
  }

  private routed(e: RoutingEvent): void {
    if (e.type === 'call.left' && e.outcome === 'abandoned' && e.call.kind === 'call') return this.missed(e);
    if (!('call' in e) || e.call.kind !== 'callback') return;
    const at = this.now();
    let write: Promise<unknown> | null = null;
    if (e.type === 'call.connected') write = this.o.records.write({ op: 'callback.attempt', attemptId: e.call.id, agentId: e.agentId, at });
    else if (e.type === 'call.ended') {
      // The agent did not say (or has not yet): enough talk means the caller was reached.
      const result = e.talkMs >= this.current.reachedAfterTalkSeconds * 1000 ? 'reached' : 'no_answer';
      write = this.o.records.write({ op: 'callback.result', attemptId: e.call.id, result, explicit: false, retryAt: retryAt(this.current, at), at });
    }
    if (!write) return;
    const tracked = write.catch((err) => this.o.log.error({ err, attemptId: e.call.id, event: e.type }, 'could not record a callback attempt'));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  /**
   * 漏接回拨: a caller who gave up after waiting long enough is called back, when the province
   * asks for it — once per number and day (the booking itself checks, in the database).
   */
  private missed(e: Extract<RoutingEvent, { type: 'call.left' }>): void {
    const rule = this.current.missedCall;
    if (!rule || e.waitedMs < rule.afterSeconds * 1000) return;
    const c = e.call;
    const tracked = this.book({ callId: c.id, language: c.language, topic: c.topic, regionCode: c.regionCode, priority: c.priority }, 'missed_call').catch((err) =>
      this.o.log.error({ err, callId: c.id }, 'could not book a missed-call callback'),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  /** Resolves when the attempts' writes started so far are applied or kept (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
