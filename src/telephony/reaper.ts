import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Db } from '../db/database';
import type { Router } from '../queue/router';
import type { RecordOutbox } from '../records/outbox';
import type { NodeRegistry } from '../redis/node-registry';
import type { CallFlow } from './call-flow';
import type { FlowStateStore } from './flow-state';

export interface ReaperOptions {
  db: Db;
  flow: CallFlow;
  store: FlowStateStore;
  router: Router;
  records: RecordOutbox;
  nodes: NodeRegistry;
  /** With several nodes, one reaps per period (a lock in Redis). */
  redis: Redis | null;
  lockKey: string;
  provinceCode: string;
  log: FastifyBaseLogger;
  intervalMs?: number;
  /** A call not written for this long, whose node is gone, is looked at. */
  quietMs?: number;
}

const BATCH = 500;
/** Beyond the wait limit, room for the menus before it and the survey after. */
const MENUS_AND_SURVEY_MS = 10 * 60_000;
/**
 * A record open with nothing carrying its flow, and nothing written to its timeline for this
 * long, cannot go on. The close is provisional (end_detail lost): a record written later from an
 * outbox's journal (a database outage) still ends it the way it really ended.
 */
const ORPHAN_RECORD_MS = 2 * 60_000;

/**
 * Calls nobody carries any more are adopted or closed, so none stays open for good:
 * - a call whose flow was last written by a node that has died: its phone system is asked
 *   whether the caller is still there — if so this node adopts it (a Twilio call carries on
 *   through any node), if not it is closed as the hang-up it was, recorded with why
 *   (`end_detail` node_lost);
 * - a call quiet for longer than anything it could be waiting for (the wait limit plus the
 *   menus, or the longest conversation for a connected call): checked the same way, and closed
 *   when the phone system cannot vouch for it;
 * - a record open with nobody carrying its flow (its state expired or was lost with Redis after
 *   its node died, a restart of the embedded service) and a timeline quiet for two minutes:
 *   closed, provisionally (`end_detail` lost) — a record applied later from a journal still
 *   ends it as it really ended;
 * - the flow state of a call whose record has ended: forgotten.
 */
export class OrphanReaper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private readonly intervalMs: number;
  private readonly quietMs: number;

  constructor(private readonly o: ReaperOptions) {
    this.intervalMs = o.intervalMs ?? 10_000;
    this.quietMs = o.quietMs ?? 15_000;
  }

  start(): void {
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.pass()
        .catch((err) => this.o.log.warn({ err }, 'reaper pass failed; trying again at the next'))
        .finally(() => (this.running = null));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** How long a call may go unwritten: waiting (menus, queue, survey) or talking. */
  private limits() {
    const s = this.o.router.settings;
    return { waitingMs: s.maxWaitSeconds * 1000 + MENUS_AND_SURVEY_MS, talkingMs: s.maxTalkSeconds * 1000 };
  }

  /** One pass; returns what it did (tests, logs). */
  async pass(now = Date.now()): Promise<{ closed: number; adopted: number; forgotten: number; records: number }> {
    const done = { closed: 0, adopted: 0, forgotten: 0, records: 0 };
    if (this.o.redis && (await this.o.redis.set(this.o.lockKey, this.o.nodes.id, 'PX', Math.max(1_000, this.intervalMs - 500), 'NX')) !== 'OK') return done;
    const { waitingMs, talkingMs } = this.limits();

    const quiet = await this.o.store.untouchedSince(now - this.quietMs, BATCH);
    const ended = new Set(
      quiet.length
        ? (await this.o.db.selectFrom('calls').select('id').where('id', 'in', quiet.map((q) => q.state.callId)).where('status', '=', 'ended').execute()).map((r) => r.id)
        : [],
    );
    for (const { state, node, at } of quiet) {
      if (ended.has(state.callId) && state.phase !== 'survey') {
        await this.o.flow.forget(state.callId);
        done.forgotten++;
        continue;
      }
      const ownerAlive = await this.o.nodes.alive(node);
      const tooLong = now - at > (state.phase === 'connected' ? talkingMs : waitingMs);
      if (ownerAlive && !tooLong) continue;
      const verdict = await this.o.flow.probe(state);
      if (verdict === 'gone' || (verdict === 'unknown' && tooLong)) {
        const detail = ownerAlive ? (verdict === 'gone' ? 'phone_system_lost' : 'stale') : 'node_lost';
        this.o.log.warn({ callId: state.callId, phase: state.phase, node, detail }, 'closing a call nobody carries any more');
        await this.o.flow.close(state.callId, detail);
        done.closed++;
      } else if (verdict === 'live' && !ownerAlive) {
        this.o.log.info({ callId: state.callId, phase: state.phase, from: node }, "adopting a call whose node died: the caller is still on the line");
        await this.o.flow.adopt(state.callId);
        done.adopted++;
      }
    }

    // Records open with no flow carrying them (not while this node still has records to write).
    if (this.o.records.backlog > 0) return done;
    const quietSince = new Date(now - ORPHAN_RECORD_MS);
    const rows = await this.o.db
      .selectFrom('calls as c')
      .select(['c.id', 'c.status', 'c.driver', 'c.answered_at', 'c.arrived_at'])
      .where('c.province_code', '=', this.o.provinceCode)
      .where('c.status', '!=', 'ended')
      .where('c.arrived_at', '<', quietSince)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('call_events as e').select('e.id').whereRef('e.call_id', '=', 'c.id').where('e.at', '>=', quietSince))))
      .orderBy('c.arrived_at')
      .limit(BATCH)
      .execute();
    for (const row of rows) {
      const connected = row.status === 'connected';
      const since = (row.answered_at ?? row.arrived_at).getTime();
      if (await this.o.store.get(row.id)) continue;
      const live = this.o.router.liveCall(row.id);
      // A callback attempt has no flow (no phone system runs it): the queue carries it while the agent talks.
      if (live && row.driver === 'callback' && now - since < talkingMs) continue;
      this.o.log.warn({ callId: row.id, status: row.status, driver: row.driver }, 'closing a call record nobody carries');
      if (live) await this.o.router.callerHangup(row.id);
      await this.o.records.callEnded(row.id, connected ? 'answered' : 'failed', new Date(now), { end_detail: 'lost' });
      await this.o.records.event(row.id, 'closed', { detail: 'lost' });
      done.records++;
    }
    if (done.closed + done.adopted + done.forgotten + done.records > 0) this.o.log.info(done, 'reaper pass');
    return done;
  }
}
