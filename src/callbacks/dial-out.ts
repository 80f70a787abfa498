import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database';
import type { Router } from '../queue/router';
import type { LiveCall, RoutingEvent } from '../queue/types';
import type { RecordOutbox } from '../records/outbox';
import type { CallRef, DialOutcome, DialReports, TelephonyDriver } from '../telephony/driver';
import type { Callbacks } from './callbacks';
import { retryAt } from './policy';

export interface CallbackCallsOptions {
  db: Db;
  router: Router;
  records: RecordOutbox;
  /** The callbacks service: its policy (read again on every pass) spaces the retries. */
  callbacks: Pick<Callbacks, 'policy'>;
  log: FastifyBaseLogger;
}

/** The dial's outcome as the callback's result (src/callbacks/policy decides what follows). */
const RESULT_OF = { answered: 'reached', no_answer: 'no_answer', busy: 'busy', failed: 'failed' } as const;

/**
 * Callbacks dialled out (issue 13, item 7). When an agent accepts an attempt at a callback, the
 * phone system chosen for callbacks (CALLBACK_DIAL, by default the first of TELEPHONY) places the
 * call: the agent's phone and the caller's number, bridged and recorded. Only the node that the
 * driver `actsOn` dials (the AMI link's holder; for Twilio and the simulator the node that took
 * the accept), as for the flow's own actions; the router never learns about phones.
 *
 * What the phone system reports comes back here (DialReports), on whichever node hears it:
 * - answered: the attempt reached the caller (`callback.result` reached; the agent's own word
 *   at the desk still overrides it), the router counts talk time from here (`call.bridged`);
 * - no answer, busy, failed: the attempt's record ends unanswered with the outcome, the callback
 *   is due again by the province's policy (retryAt) or fails after its last attempt, and the agent
 *   is free at once (the router's "left before the bridge": no wrap-up for a call nobody took);
 * - the conversation ended on the phone: the agent's call ends as a caller's hang-up does.
 * An agent who hangs up at the desk ends the call on the phone system.
 * Every report is idempotent: a repeat finds the callback already moved on and changes nothing.
 */
export class CallbackCalls implements DialReports {
  private driver: TelephonyDriver | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly o: CallbackCallsOptions) {
    o.router.on((e, local) => this.routed(e, local));
  }

  /** The phone system that dials callbacks; null (or one that cannot dial): agents phone callers themselves. */
  use(driver: TelephonyDriver | null): void {
    this.driver = driver?.dialer ? driver : null;
    if (driver && !driver.dialer) this.o.log.warn({ driver: driver.name }, 'this phone system cannot dial callbacks; agents phone the callers themselves');
  }

  /** Which phone system dials callbacks, if any. */
  get via(): TelephonyDriver['name'] | null {
    return this.driver?.name ?? null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.settled();
  }

  /** Resolves when the dials and reports started so far are done (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  // ---- router events ---------------------------------------------------------------------------

  private routed(e: RoutingEvent, local: boolean): void {
    const driver = this.driver;
    if (this.stopped || !driver?.dialer || !('call' in e) || e.call.kind !== 'callback') return;
    const ref: CallRef = { callId: e.call.id, externalId: e.call.id };
    if (!driver.actsOn(ref, local)) return;
    if (e.type === 'call.connected') this.track(this.dial(driver, e.call, e.agentId), e.call.id, 'dial');
    // The agent hung up at the desk (or the phone reported the end, and this finds the call over).
    else if (e.type === 'call.ended') this.track(driver.dialer.hangUp(e.call.id), e.call.id, 'hang up');
  }

  private async dial(driver: TelephonyDriver, call: LiveCall, agentId: string): Promise<void> {
    const callback = call.origin
      ? await this.o.db.selectFrom('callbacks').select(['id', 'caller_number', 'origin_call_id']).where('id', '=', call.origin).executeTakeFirst()
      : undefined;
    if (!callback) {
      this.o.log.error({ attemptId: call.id, callbackId: call.origin }, 'callback attempt without its callback; not dialled');
      await this.outcome(call.id, 'failed', { cause: 'no_callback' });
      return;
    }
    const username = this.o.router.liveAgent(agentId)?.username ?? (await this.o.db.selectFrom('agents').select('username').where('id', '=', agentId).executeTakeFirst())?.username;
    if (!username) {
      await this.outcome(call.id, 'failed', { cause: 'agent_unknown' });
      return;
    }
    await this.o.records.event(call.id, 'callback.dialling', { driver: driver.name, agentId });
    try {
      await driver.dialer!.dial({ attemptId: call.id, callbackId: callback.id, number: callback.caller_number, agent: { id: agentId, username }, originCallId: callback.origin_call_id });
      this.o.log.info({ attemptId: call.id, callbackId: callback.id, driver: driver.name }, 'callback dialled');
    } catch (err) {
      this.o.log.warn({ err, attemptId: call.id, driver: driver.name }, 'the phone system did not take the callback; attempt failed');
      await this.outcome(call.id, 'failed', { cause: (err as Error).message.slice(0, 200) });
    }
  }

  // ---- reports from the phone system -------------------------------------------------------------

  outcome(attemptId: string, outcome: DialOutcome, detail: { cause?: string; externalId?: string } = {}): Promise<boolean> {
    return this.during(this.applyOutcome(attemptId, outcome, detail));
  }

  ended(attemptId: string): Promise<void> {
    return this.during(
      (async () => {
        await this.o.records.event(attemptId, 'callback.hangup');
        await this.o.router.callerHangup(attemptId, { bridged: true });
      })(),
    );
  }

  agentMissed(attemptId: string, cause: string): Promise<void> {
    return this.during(
      (async () => {
        const at = new Date();
        const agentId = this.o.router.liveCall(attemptId)?.agentId ?? null;
        await this.o.records.event(attemptId, 'callback.dial', { outcome: 'agent_no_answer', cause, externalId: null }, at);
        this.o.log.warn({ attemptId, agentId, cause }, "the caller answered a callback but the agent's phone did not; it will be tried again");
        // The agent's word in effect (explicit): the answer already counted the callback reached.
        await this.o.records.write({ op: 'callback.result', attemptId, result: 'failed', explicit: true, retryAt: retryAt(this.o.callbacks.policy, at), at });
        await this.o.records.updateCall(attemptId, { status: 'ended', end_reason: 'failed', end_detail: `agent_no_answer:${cause}`.slice(0, 64), ended_at: at, answered_at: null, talk_ms: 0 }, { unlessEnded: false });
        await this.o.router.callerHangup(attemptId, { bridged: false });
        if (agentId) await this.o.router.setNotReady(agentId, 'missed');
      })(),
    );
  }

  recording(attemptId: string, url: string): Promise<void> {
    return this.during(
      (async () => {
        await this.o.records.updateCall(attemptId, { recording_url: url }, { unlessEnded: false });
        await this.o.records.event(attemptId, 'recording', { url });
      })(),
    );
  }

  private async applyOutcome(attemptId: string, outcome: DialOutcome, detail: { cause?: string; externalId?: string }): Promise<boolean> {
    const at = new Date();
    if (outcome === 'answered' && this.o.router.liveCall(attemptId)?.status !== 'connected') {
      // The agent's side ended while the caller's phone rang: nobody is there to talk to.
      await this.o.records.event(attemptId, 'callback.dial', { outcome: 'answered_late', cause: detail.cause ?? null, externalId: detail.externalId ?? null }, at);
      this.o.log.info({ attemptId }, 'the caller answered a callback after the attempt was over; not put through');
      return false;
    }
    const policy = this.o.callbacks.policy;
    await this.o.records.event(attemptId, 'callback.dial', { outcome, cause: detail.cause ?? null, externalId: detail.externalId ?? null }, at);
    // Not the agent's word (explicit: false): it applies only to an attempt still under way, so a
    // repeated report, or one after the agent has said how it went, changes nothing.
    await this.o.records.write({ op: 'callback.result', attemptId, result: RESULT_OF[outcome], explicit: false, retryAt: retryAt(policy, at), at });
    if (outcome === 'answered') {
      await this.o.records.updateCall(attemptId, { answered_at: at });
      // Talk time counts from here; the desk hears call.bridged.
      await this.o.router.bridged(attemptId).catch((err) => this.o.log.warn({ err, attemptId }, 'could not record the bridge time of a callback'));
      return true;
    }
    this.o.log.info({ attemptId, outcome, cause: detail.cause }, 'callback did not reach the caller');
    // Nobody was reached: the record says so, even if the agent's hang-up ended it first.
    const endDetail = `dial_${outcome}${detail.cause ? `:${detail.cause}` : ''}`.slice(0, 64);
    await this.o.records.updateCall(attemptId, { status: 'ended', end_reason: 'failed', end_detail: endDetail, ended_at: at, answered_at: null, talk_ms: 0 }, { unlessEnded: false });
    // The agent is free again at once (no wrap-up for a call nobody took); the desk is told.
    await this.o.router.callerHangup(attemptId, { bridged: false });
    return true;
  }

  /** A report under way counts for settled(); its failure is the reporter's to handle. */
  private during<T>(p: Promise<T>): Promise<T> {
    const tracked = p.catch(() => {});
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return p;
  }

  private track(p: Promise<unknown>, attemptId: string, what: string): void {
    const tracked = p.catch((err) => this.o.log.error({ err, attemptId }, `could not ${what} a callback`));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
}
