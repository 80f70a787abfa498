import type { FastifyBaseLogger } from 'fastify';
import type { RecordOutbox } from '../records/outbox';
import type { RoutingEvent } from './types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Writes what the queue does to a call's record (the row the call flow created): queued,
 * offered, connected, left (abandoned with its wait), ended — and its timeline. Only the node
 * that took a step records it. The writes go through the outbox, which keeps each call's writes
 * in order and keeps them on disk while the database is away, so none is lost and routing is
 * never held up.
 */
export class CallRecorder {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly records: RecordOutbox,
    private readonly log: FastifyBaseLogger,
  ) {}

  record(e: RoutingEvent, local: boolean): void {
    if (!local || !('call' in e) || !UUID.test(e.call.id)) return;
    // A hang-up heard late carries when it happened.
    const at = new Date(('at' in e && e.at) || Date.now());
    const write = this.write(e, at).catch((err) => this.log.error({ err, event: e.type, callId: e.call.id }, 'could not record a queue event'));
    this.inFlight.add(write);
    void write.finally(() => this.inFlight.delete(write));
  }

  /** Resolves when every write started so far is applied or kept (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async write(e: RoutingEvent, at: Date): Promise<void> {
    const r = this.records;
    const id = 'call' in e ? e.call.id : '';
    if ('call' in e && e.call.kind === 'callback') {
      // An attempt at a callback has no call record until an agent takes it (the callbacks
      // table follows it until then); taken, it becomes an outbound call with its own record.
      if (e.type === 'call.connected' && e.call.origin) await r.write({ op: 'callback.call', attemptId: id, callbackId: e.call.origin, agentId: e.agentId, at });
      else if (e.type !== 'call.ended' && e.type !== 'call.transferred') return;
    }
    // A second leg has no record of its own: what happens to it is on its call's timeline (call.leg).
    if ('call' in e && e.call.kind === 'leg') return;
    switch (e.type) {
      case 'call.leg': {
        const leg = e.leg;
        const to = 'number' in leg.to ? { number: leg.to.number } : leg.to;
        await r.event(id, `leg.${e.phase}`, { legId: leg.id, purpose: leg.purpose, by: leg.by, to, agentId: leg.agentId, ...(e.reason ? { reason: e.reason } : {}) }, at);
        // Completed to a colleague: the call and its ticket are theirs from now on.
        if (e.phase === 'completed' && leg.agentId && e.call.agentId === leg.agentId) await r.updateCall(id, { agent_id: leg.agentId });
        return;
      }
      case 'call.interpreting':
        await r.event(id, 'interpreter.fallback', { language: e.language, via: e.call.language }, at);
        return;
      case 'call.queued':
        await r.updateCall(id, { status: 'queued' }, { queuedAt: at });
        await r.event(id, 'queued', { priority: e.call.priority, language: e.call.language, topic: e.call.topic, regionCode: e.call.regionCode }, at);
        return;
      case 'call.offered':
        await r.updateCall(id, { status: 'offered' });
        await r.event(id, 'offered', { agentId: e.agentId }, at);
        return;
      case 'call.bridged':
        // Answered when caller and agent first heard each other; the wait runs until then. A
        // transferred call's later bridges change neither.
        if (e.first) {
          const answered = e.call.answeredAt ? new Date(e.call.answeredAt) : at;
          await r.updateCall(id, { answered_at: answered, wait_ms: Math.max(0, answered.getTime() - e.call.enqueuedAt) });
        }
        return;
      case 'offer.returned':
        await r.updateCall(id, { status: 'queued' });
        await r.event(id, 'offer.returned', { agentId: e.agentId, reason: e.reason }, at);
        return;
      case 'call.connected':
        // Provisional: the bridge's time replaces it (phone systems that report no bridge keep it).
        await r.updateCall(
          id,
          { status: 'connected', agent_id: e.agentId },
          { answeredAtIfUnset: at, waitMsIfUnset: Math.max(0, (e.call.answeredAt ?? at.getTime()) - e.call.enqueuedAt) },
        );
        await r.event(id, 'connected', { agentId: e.agentId }, at);
        return;
      case 'call.left':
        if (e.outcome === 'timeout') {
          await r.event(id, 'queue.timeout', { waitedMs: e.waitedMs }, at);
          return;
        }
        // Only a callback attempt is withdrawn, and it has no record until taken.
        if (e.outcome === 'withdrawn') return;
        // Accepted but never bridged: nobody answered the caller after all.
        await r.callEnded(id, e.outcome, at, { wait_ms: e.waitedMs, ...(e.call.status === 'connected' ? { answered_at: null, talk_ms: 0 } : {}) });
        await r.event(id, e.outcome, { waitedMs: e.waitedMs }, at);
        return;
      case 'call.ended':
        await r.callEnded(id, 'answered', at, { talk_ms: e.talkMs });
        await r.event(id, 'ended', { talkMs: e.talkMs }, at);
        return;
      case 'call.transferred':
        // Sent to another region's queue, the call belongs to that region from now on (reports, scope).
        await r.updateCall(id, { status: 'queued', ...('region' in e.to ? { region_code: e.to.region } : {}) });
        await r.event(id, 'transferred', { fromAgentId: e.fromAgentId, to: e.to, talkMs: e.talkMs }, at);
        return;
      case 'alert.missed':
        await r.event(id, 'alert.missed', { missedBy: e.missedBy }, at);
        return;
      default:
        return;
    }
  }
}
