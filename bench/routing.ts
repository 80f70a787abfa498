/**
 * npm run bench:routing — dispatch latency and assignments per second with 1,000 agents and
 * 10,000 waiting calls in one province, on both live stores, beside a naive FIFO baseline
 * (no skills, no regions) measured in the same run. Writes bench/results/routing.json.
 *
 * Latency: from the step that makes an agent ready to the offer being committed (the router's
 * own work: choosing the call and the atomic offer), agents going ready one at a time.
 * Assignments per second: all 1,000 agents go ready at once against the full queue; the time
 * until every one of them has an offer. Lifecycle: agents cycling accept → hang up → end
 * wrap-up → next offer (plus a new caller each time), all at once: whole calls per second.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { bundledProvinceFile, readProvinceFile } from '../src/province/bundled';
import type { LiveStore } from '../src/queue/live-store';
import { MemoryLiveStore } from '../src/queue/memory-store';
import { RoutingRegions } from '../src/queue/policy';
import { RedisLiveStore } from '../src/queue/redis-store';
import { Router } from '../src/queue/router';
import { DEFAULT_ROUTING } from '../src/queue/settings';
import { regionDirectoryFromEntries } from '../src/regions/region-directory';
import { seededRandom } from '../src/sim/random';
import { machine, percentile, round } from './machine';

// Smaller sizes and another results file only for the test that checks the run ends cleanly;
// the figures in docs/benchmarks.md are from the defaults.
const Sizes = z.object({
  BENCH_ROUTING_AGENTS: z.coerce.number().int().positive().default(1_000),
  BENCH_ROUTING_CALLS: z.coerce.number().int().positive().default(10_000),
  BENCH_ROUTING_CYCLES: z.coerce.number().int().positive().default(20_000),
  BENCH_ROUTING_OUT: z.string().min(1).default(path.join(__dirname, 'results', 'routing.json')),
});
const sizes = Sizes.safeParse(process.env);
if (!sizes.success) {
  process.stderr.write(`bad benchmark settings: ${sizes.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
  process.exit(2);
}
const { BENCH_ROUTING_AGENTS: AGENTS, BENCH_ROUTING_CALLS: CALLS, BENCH_ROUTING_CYCLES: CYCLE_ASSIGNMENTS, BENCH_ROUTING_OUT: OUT_FILE } = sizes.data;
const LANGUAGES = ['zh', 'zh', 'zh', 'zh', 'zh', 'zh', 'zh', 'zh', 'bo', 'mn'];
const TOPICS = ['labour', 'marriage_family', 'land_housing', 'contract_debt', 'traffic_accident', 'consumer', 'criminal', 'administrative', 'legal_aid', 'other'];

async function counties() {
  const file = await readProvinceFile((await bundledProvinceFile('630000'))!);
  const directory = regionDirectoryFromEntries('630000', file.regions);
  return { directory, counties: directory.all().filter((r) => r.level === 'county').map((r) => r.code) };
}

async function benchStore(name: string, store: LiveStore) {
  const { directory, counties: codes } = await counties();
  const random = seededRandom(12348);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const settings = { ...DEFAULT_ROUTING, maxQueueSize: 1_000_000, offerTimeoutSeconds: 120, wrapUpSeconds: 600, presenceGraceSeconds: 3600 };
  const router = new Router({ store, regions: new RoutingRegions(directory), settings, sweepMs: 0 });
  await router.start();

  const readyAt = new Map<string, number>();
  const latencies: number[] = [];
  const offers: { agentId: string; offerId: string; callId: string }[] = [];
  let offersMade = 0;
  let onOffer: (() => void) | null = null;
  router.on((e, local) => {
    if (!local) return;
    if (e.type === 'agent.state' && e.agent.state === 'ready') readyAt.set(e.agent.id, performance.now());
    if (e.type === 'call.offered') {
      const t0 = readyAt.get(e.agentId);
      if (t0 !== undefined) latencies.push(performance.now() - t0);
      readyAt.delete(e.agentId);
      offersMade++;
      offers.push({ agentId: e.agentId, offerId: e.offerId, callId: e.call.id });
      onOffer?.();
    }
  });

  // Agents sign in first (so every county is staffed), then the queue fills.
  const agentIds: string[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const id = `agent-${i}`;
    agentIds.push(id);
    const lang = pick(LANGUAGES);
    const topics = Object.fromEntries(Array.from({ length: 4 }, () => [pick(TOPICS), 1 + Math.floor(random() * 5)]));
    await router.login({ id, regionCode: pick(codes), languages: lang === 'zh' ? { zh: 5 } : { zh: 3, [lang]: 5 }, topics });
  }
  const fill = performance.now();
  await Promise.all(
    Array.from({ length: CALLS }, () =>
      router.enqueue({ id: randomUUID(), regionCode: pick(codes), language: pick(LANGUAGES), topic: pick(TOPICS), priority: random() < 0.1 ? 5 : 0 }),
    ),
  );
  const fillSeconds = (performance.now() - fill) / 1000;

  // Latency: agents go ready one at a time against the full queue.
  for (const id of agentIds) {
    await router.setReady(id);
    await router.settled();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const matchedFirstPass = latencies.length;

  // Burst: everyone finishes their call and stays not ready; the queue is topped up; then all
  // go ready at the same moment.
  const held = offers.splice(0);
  await Promise.all(
    held.map(async (o) => {
      await router.accept(o.agentId, o.offerId);
      await router.agentHangup(o.agentId, o.callId);
      await router.endWrapUp(o.agentId, 'not_ready');
    }),
  );
  await Promise.all(
    held.map(() => router.enqueue({ id: randomUUID(), regionCode: pick(codes), language: pick(LANGUAGES), topic: pick(TOPICS), priority: 0 })),
  );
  await router.settled();
  const burstFrom = offersMade;
  const burstStart = performance.now();
  await Promise.all(agentIds.map((id) => router.setReady(id)));
  await router.settled();
  const burstSeconds = (performance.now() - burstStart) / 1000;
  const burstAssigned = offersMade - burstFrom;

  // Throughput: everyone cycles at once until CYCLE_ASSIGNMENTS more offers are made.
  const target = offersMade + CYCLE_ASSIGNMENTS;
  const start = performance.now();
  // Each answered call's steps; waited for before the store closes, or they would fail on a
  // closed connection after the results are out.
  const cycling = new Set<Promise<void>>();
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (offers.length > 0) {
        const o = offers.shift()!;
        const cycle = (async () => {
          await router.accept(o.agentId, o.offerId);
          await router.agentHangup(o.agentId, o.callId);
          await router.endWrapUp(o.agentId);
          // Keep the queue at its size: a new caller for each one answered.
          await router.enqueue({ id: randomUUID(), regionCode: pick(codes), language: pick(LANGUAGES), topic: pick(TOPICS), priority: 0 });
        })();
        cycling.add(cycle);
        void cycle.finally(() => cycling.delete(cycle)).catch(() => {});
      }
      if (offersMade >= target) resolve();
    };
    onOffer = pump;
    pump();
  });
  const cycleSeconds = (performance.now() - start) / 1000;
  onOffer = null;
  const failed = (await Promise.allSettled([...cycling])).filter((r) => r.status === 'rejected');
  if (failed.length > 0) throw new Error(`${failed.length} call cycles failed: ${(failed[0] as PromiseRejectedResult).reason}`);
  await router.stop();
  await store.close();

  return {
    store: name,
    agents: AGENTS,
    waitingCalls: CALLS,
    queueFillSeconds: round(fillSeconds),
    firstPass: { readyAgents: AGENTS, matched: matchedFirstPass, dispatchMs: { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted[sorted.length - 1] ?? NaN) } },
    burst: { readyAtOnce: AGENTS, assigned: burstAssigned, seconds: round(burstSeconds), assignmentsPerSecond: Math.round(burstAssigned / burstSeconds) },
    lifecycle: { calls: CYCLE_ASSIGNMENTS, seconds: round(cycleSeconds), callsPerSecond: Math.round(CYCLE_ASSIGNMENTS / cycleSeconds) },
  };
}

/** A plain FIFO queue and a plain ready list: what routing costs without skills or regions. */
function benchNaive() {
  const calls: string[] = Array.from({ length: CALLS }, () => randomUUID());
  const latencies: number[] = [];
  const busy: string[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const t0 = performance.now();
    const call = calls.shift();
    if (call) busy.push(`agent-${i}`);
    latencies.push(performance.now() - t0);
  }
  // Burst: the same 1,000 agents take the next 1,000 calls.
  const burstStart = performance.now();
  for (let i = 0; i < AGENTS; i++) calls.shift();
  const burstSeconds = (performance.now() - burstStart) / 1000;
  const start = performance.now();
  let assigned = 0;
  while (assigned < CYCLE_ASSIGNMENTS) {
    const agent = busy.shift()!;
    calls.push(randomUUID());
    calls.shift();
    busy.push(agent);
    assigned++;
  }
  const seconds = (performance.now() - start) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  return {
    store: 'naive FIFO (no skills, no regions, in process)',
    agents: AGENTS,
    waitingCalls: CALLS,
    firstPass: { readyAgents: AGENTS, matched: AGENTS, dispatchMs: { p50: round(percentile(sorted, 50), 5), p99: round(percentile(sorted, 99), 5) } },
    burst: { readyAtOnce: AGENTS, assigned: AGENTS, seconds: round(burstSeconds, 6), assignmentsPerSecond: Math.round(AGENTS / burstSeconds) },
    lifecycle: { calls: CYCLE_ASSIGNMENTS, seconds: round(seconds, 5), callsPerSecond: Math.round(CYCLE_ASSIGNMENTS / seconds) },
  };
}

async function main() {
  const results: unknown[] = [];
  results.push(benchNaive());
  results.push(await benchStore('memory (in process)', new MemoryLiveStore()));
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const namespace = `bench-${randomUUID()}`;
  try {
    await redis.connect();
    results.push(await benchStore('redis (one node, local Redis)', new RedisLiveStore(redis, { provinceCode: '630000', namespace })));
  } catch (err) {
    results.push({ store: 'redis', skipped: `Redis at ${url} not reachable: ${(err as Error).message}` });
  } finally {
    const keys = await redis.keys(`${namespace}:*`).catch(() => []);
    if (keys.length) await redis.del(...keys);
    await redis.quit().catch(() => redis.disconnect());
  }
  const out = { benchmark: 'routing', at: new Date().toISOString(), machine: machine(), results };
  const file = OUT_FILE;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (err) => {
    process.stderr.write(`routing benchmark failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
