import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database';
import { jsonb } from '../db/json';
import type { RoutingEvent } from './types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Writes what the queue does to a call's record (the row the call flow created): queued,
 * offered, connected, left (abandoned with its wait), ended — and its timeline. Only the node
 * that took a step records it. Writes are chained so a call's timeline keeps its order, and
 * they never hold up routing.
 */
export class CallRecorder {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly log: FastifyBaseLogger,
  ) {}

  record(e: RoutingEvent, local: boolean): void {
    if (!local || !('call' in e) || !UUID.test(e.call.id)) return;
    this.chain = this.chain.then(() => this.write(e)).catch((err) => this.log.error({ err, event: e.type }, 'could not record a queue event'));
  }

  /** Resolves when every write queued so far is done (shutdown, tests). */
  flush(): Promise<void> {
    return this.chain;
  }

  private async write(e: RoutingEvent): Promise<void> {
    const id = 'call' in e ? e.call.id : '';
    // A hang-up heard late carries when it happened.
    const at = new Date(('at' in e && e.at) || Date.now());
    const timeline = (type: string, data: Record<string, unknown>) =>
      this.db
        .insertInto('call_events')
        .columns(['call_id', 'at', 'type', 'data'])
        .expression((eb) => eb.selectFrom('calls').select([sql<string>`id`.as('call_id'), sql<Date>`${at}::timestamptz`.as('at'), sql<string>`${type}`.as('type'), jsonb(data).as('data')]).where('id', '=', id))
        .execute();

    switch (e.type) {
      case 'call.queued':
        await this.db.updateTable('calls').set({ status: 'queued', queued_at: sql`coalesce(queued_at, ${at}::timestamptz)` }).where('id', '=', id).execute();
        await timeline('queued', { priority: e.call.priority, language: e.call.language, topic: e.call.topic, regionCode: e.call.regionCode });
        return;
      case 'call.offered':
        await this.db.updateTable('calls').set({ status: 'offered' }).where('id', '=', id).execute();
        await timeline('offered', { agentId: e.agentId });
        return;
      case 'offer.returned':
        await this.db.updateTable('calls').set({ status: 'queued' }).where('id', '=', id).execute();
        await timeline('offer.returned', { agentId: e.agentId, reason: e.reason });
        return;
      case 'call.connected':
        await this.db
          .updateTable('calls')
          .set({ status: 'connected', agent_id: e.agentId, answered_at: at, wait_ms: Math.max(0, (e.call.answeredAt ?? at.getTime()) - e.call.enqueuedAt) })
          .where('id', '=', id)
          .execute();
        await timeline('connected', { agentId: e.agentId });
        return;
      case 'call.left':
        if (e.outcome === 'timeout') {
          await timeline('queue.timeout', { waitedMs: e.waitedMs });
          return;
        }
        await this.db
          .updateTable('calls')
          // Accepted but never bridged: nobody answered the caller after all.
          .set({ status: 'ended', end_reason: e.outcome, ended_at: at, wait_ms: e.waitedMs, ...(e.call.status === 'connected' ? { answered_at: null, talk_ms: 0 } : {}) })
          .where('id', '=', id)
          .execute();
        await timeline(e.outcome, { waitedMs: e.waitedMs });
        return;
      case 'call.ended':
        await this.db
          .updateTable('calls')
          .set({ status: 'ended', end_reason: 'answered', ended_at: at, talk_ms: e.talkMs })
          .where('id', '=', id)
          .execute();
        await timeline('ended', { talkMs: e.talkMs });
        return;
      case 'call.transferred':
        await this.db.updateTable('calls').set({ status: 'queued' }).where('id', '=', id).execute();
        await timeline('transferred', { fromAgentId: e.fromAgentId, to: e.to, talkMs: e.talkMs });
        return;
      case 'alert.missed':
        await timeline('alert.missed', { missedBy: e.missedBy });
        return;
      default:
        return;
    }
  }
}
