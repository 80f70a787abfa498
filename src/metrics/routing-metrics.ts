import { Counter, Gauge, type Registry } from 'prom-client';
import type { Router } from '../queue/router';
import type { AgentState, CallKind, RoutingEvent } from '../queue/types';
import type { RegionDirectory } from '../regions/region-directory';
import { Prefectures } from './prefectures';

export interface RoutingMetricsOptions {
  registry: Registry;
  router: Router;
  regions: RegionDirectory;
  /** The service-level threshold in force (the province's targets), read at each use. */
  thresholdSeconds(): number;
}

export const CALL_OUTCOMES = ['answered', 'abandoned', 'callback', 'timeout', 'rejected'] as const;
export const OFFER_RETURN_REASONS = ['declined', 'timeout', 'agent_lost', 'bridge_failed', 'recovered'] as const;
const SIGNED_IN_STATES: Exclude<AgentState, 'offline'>[] = ['ready', 'reserved', 'on_call', 'wrap_up', 'not_ready'];
const KINDS: CallKind[] = ['call', 'callback'];

/**
 * What the queue does, on /metrics. Counters count only the steps this node took (`local`
 * events), so summing them over the nodes of a deployment counts every step once. Gauges are
 * read from the live state when Prometheus scrapes; with Redis every node sees the same state,
 * so they are to be read with max (or from one node), not summed.
 */
export function registerRoutingMetrics(o: RoutingMetricsOptions): void {
  const { registry, router } = o;
  const prefectures = new Prefectures(o.regions);
  const registers = [registry];

  const queued = new Counter({
    name: 'hotline_calls_queued_total',
    help: 'Inbound calls that joined the queue after the menus, by the prefecture of the caller',
    labelNames: ['prefecture'] as const,
    registers,
  });
  const calls = new Counter({
    name: 'hotline_calls_total',
    help:
      'Inbound calls by how they left the queue for good, counted once per call: answered (the conversation with an agent ended), ' +
      'abandoned (the caller hung up before being put through), callback (the caller took the callback offer), ' +
      'timeout (waited past the longest wait; a callback is booked), rejected (the queue was full)',
    labelNames: ['outcome', 'prefecture'] as const,
    registers,
  });
  const answered = new Counter({
    name: 'hotline_service_level_answered_total',
    help: 'Inbound calls an agent took from the queue, counted when taken (a call transferred to a queue counts again when taken there)',
    labelNames: ['prefecture'] as const,
    registers,
  });
  const answeredWithin = new Counter({
    name: 'hotline_service_level_answered_within_threshold_total',
    help: 'Of hotline_service_level_answered_total, those that waited no longer than the service-level threshold',
    labelNames: ['prefecture'] as const,
    registers,
  });
  const abandonedAfter = new Counter({
    name: 'hotline_service_level_abandoned_after_threshold_total',
    help: 'Inbound callers who hung up in the queue after waiting longer than the service-level threshold',
    labelNames: ['prefecture'] as const,
    registers,
  });
  const offers = new Counter({
    name: 'hotline_offers_total',
    help: 'Offers of a call (or a callback attempt) to an agent: each time an agent\'s phone rang for one',
    registers,
  });
  const returned = new Counter({
    name: 'hotline_offers_returned_total',
    help:
      'Offers that went back to the queue untaken: declined by the agent, timeout (rang out), agent_lost (session gone), ' +
      'bridge_failed (accepted but the phone system could not connect), recovered (ringing when the live state was rebuilt)',
    labelNames: ['reason'] as const,
    registers,
  });
  // Every series exists from the start: rate() over a counter that appears late misses its first step.
  for (const prefecture of prefectures.codes) {
    queued.inc({ prefecture }, 0);
    answered.inc({ prefecture }, 0);
    answeredWithin.inc({ prefecture }, 0);
    abandonedAfter.inc({ prefecture }, 0);
    for (const outcome of CALL_OUTCOMES) calls.inc({ outcome, prefecture }, 0);
  }
  for (const reason of OFFER_RETURN_REASONS) returned.inc({ reason }, 0);

  const thresholdMs = () => o.thresholdSeconds() * 1000;
  const counted = (e: RoutingEvent): void => {
    if (e.type === 'call.offered') return offers.inc();
    if (e.type === 'offer.returned') return returned.inc({ reason: e.reason });
    // Callback attempts are the hotline calling out: they are no caller's wait.
    if (!('call' in e) || e.call.kind !== 'call') return;
    const prefecture = prefectures.of(e.call.regionCode);
    switch (e.type) {
      case 'call.queued':
        return queued.inc({ prefecture });
      case 'call.connected': {
        const waited = (e.call.answeredAt ?? e.at ?? router.now()) - e.call.enqueuedAt;
        answered.inc({ prefecture });
        if (waited <= thresholdMs()) answeredWithin.inc({ prefecture });
        return;
      }
      case 'call.ended':
        return calls.inc({ outcome: 'answered', prefecture });
      case 'call.left':
        if (e.outcome === 'withdrawn') return;
        calls.inc({ outcome: e.outcome, prefecture });
        // One hung up after an agent accepted was counted as answered when taken.
        if (e.outcome === 'abandoned' && e.call.status !== 'connected' && e.waitedMs > thresholdMs()) abandonedAfter.inc({ prefecture });
        return;
      default:
        return;
    }
  };
  router.on((e, local) => {
    if (local) counted(e);
  });
  router.onRejected((c) => calls.inc({ outcome: 'rejected', prefecture: prefectures.of(c.regionCode) }));

  new Gauge({
    name: 'hotline_service_level_threshold_seconds',
    help: 'The service-level threshold T: a call answered within T counts as answered in time',
    registers,
    collect() {
      this.set(thresholdMs() / 1000);
    },
  });

  /** Waiting (or ringing) calls per prefecture and kind, and the longest wait among them. */
  const queueNow = () => {
    const out = new Map<string, { waiting: number; longestMs: number }>();
    for (const prefecture of prefectures.codes) for (const kind of KINDS) out.set(`${prefecture}|${kind}`, { waiting: 0, longestMs: 0 });
    const now = router.now();
    for (const c of router.snapshot().calls) {
      if (c.status !== 'waiting' && c.status !== 'offered') continue;
      const v = out.get(`${prefectures.of(c.regionCode)}|${c.kind}`)!;
      v.waiting++;
      v.longestMs = Math.max(v.longestMs, now - c.enqueuedAt);
    }
    return out;
  };
  // Registered after the waiting gauge, whose collect sets it from the same pass over the queue.
  const longest = new Gauge({
    name: 'hotline_queue_longest_wait_seconds',
    help: 'How long the longest-waiting call in the queue has waited so far, by prefecture and kind; 0 when none waits',
    labelNames: ['prefecture', 'kind'] as const,
    registers: [],
  });
  new Gauge({
    name: 'hotline_queue_waiting_calls',
    help: 'Calls in the queue not yet answered (waiting, or ringing an agent), by prefecture and kind (call: a caller on hold; callback: an attempt to call one back)',
    labelNames: ['prefecture', 'kind'] as const,
    registers,
    collect() {
      for (const [key, v] of queueNow()) {
        const [prefecture, kind] = key.split('|') as [string, string];
        this.set({ prefecture, kind }, v.waiting);
        longest.set({ prefecture, kind }, Math.max(0, v.longestMs) / 1000);
      }
    },
  });
  registry.registerMetric(longest);
  new Gauge({
    name: 'hotline_agents',
    help: 'Signed-in agents by state and by the prefecture they serve (the province\'s code: agents serving the whole province)',
    labelNames: ['prefecture', 'state'] as const,
    registers,
    collect() {
      const counts = new Map<string, number>();
      for (const a of router.snapshot().agents) {
        if (a.state === 'offline') continue;
        const key = `${prefectures.of(a.regionCode)}|${a.state}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const prefecture of prefectures.codes) {
        for (const state of SIGNED_IN_STATES) this.set({ prefecture, state }, counts.get(`${prefecture}|${state}`) ?? 0);
      }
    },
  });
  const info = new Gauge({
    name: 'hotline_prefecture_info',
    help: 'Always 1: the names of each prefecture label value, to join into legends (name: pinyin, name_zh: Chinese)',
    labelNames: ['prefecture', 'name', 'name_zh'] as const,
    registers,
  });
  for (const p of prefectures.names()) info.set({ prefecture: p.code, name: p.name, name_zh: p.nameZh }, 1);
}
