/**
 * One node of a multi-node routing run (test/queue/multi-node.redis.test.ts): the real Router on
 * the Redis store, with simulated agents who sign in here and simulated callers who ring in
 * here. Agents answer offers from any node's matching; callers hang up or take a callback.
 * Prints one JSON line per call it queued, and {"done":true} when all of them are resolved.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { bundledProvinceFile, readProvinceFile } from '../../src/province/bundled';
import { RoutingRegions } from '../../src/queue/policy';
import { RedisLiveStore } from '../../src/queue/redis-store';
import { Router } from '../../src/queue/router';
import { DEFAULT_ROUTING, type RoutingSettings } from '../../src/queue/settings';
import { regionDirectoryFromEntries } from '../../src/regions/region-directory';
import { seededRandom } from '../../src/sim/random';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const SETTINGS: RoutingSettings = {
  ...DEFAULT_ROUTING,
  steps: [
    { afterSeconds: 0, scope: 'county', requireTopic: true },
    { afterSeconds: 0.05, scope: 'prefecture', requireTopic: true },
    { afterSeconds: 0.15, scope: 'province', requireTopic: false },
  ],
  offerTimeoutSeconds: 0.3,
  wrapUpSeconds: 0.02,
  maxQueueSize: 100_000,
  maxWaitSeconds: 600,
  presenceGraceSeconds: 1,
};

async function main() {
  const index = Number(env('NODE_INDEX'));
  const calls = Number(env('CALLS'));
  const agentIds = env('AGENTS').split(',');
  const random = seededRandom(Number(env('SEED')) + index * 7919);
  const file = await readProvinceFile((await bundledProvinceFile('630000'))!);
  const directory = regionDirectoryFromEntries('630000', file.regions);
  const counties = directory.all().filter((r) => r.level === 'county').map((r) => r.code);
  const redis = new Redis(env('REDIS_URL'));
  const store = new RedisLiveStore(redis, { provinceCode: '630000', namespace: env('NAMESPACE'), streamMaxLength: 2_000_000 });
  const router = new Router({ store, regions: new RoutingRegions(directory), settings: SETTINGS, sweepMs: 500 });
  await router.start();

  const mine = new Set(agentIds);
  const later = (ms: number, fn: () => Promise<unknown>) => setTimeout(() => void fn().catch(() => {}), ms);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;

  router.on((e) => {
    if (e.type === 'call.offered' && mine.has(e.agentId)) {
      const r = random();
      if (r < 0.8) {
        later(random() * 40, async () => {
          const ok = await router.accept(e.agentId, e.offerId);
          if (ok.ok) later(10 + random() * 50, () => router.agentHangup(e.agentId, e.call.id));
        });
      } else if (r < 0.95) {
        later(random() * 40, () => router.decline(e.agentId, e.offerId));
      } // else: let it ring out
    } else if (e.type === 'agent.state' && mine.has(e.agent.id) && e.agent.state === 'not_ready') {
      later(20, () => router.setReady(e.agent.id));
    }
  });

  for (const id of agentIds) {
    // Languages by agent number, so every node has Tibetan and Mongolian speakers: a caller in
    // a language nobody left can speak waits (language is never relaxed), and the run would not end.
    const n = Number(id.split('-')[1]) % 10;
    const languages: Record<string, number> = n < 2 ? { zh: 4, bo: 5 } : n === 2 ? { zh: 4, mn: 5 } : { zh: 5 };
    await router.login({ id, regionCode: pick(counties), languages, topics: { labour: 3, marriage_family: 3 } });
    await router.setReady(id);
  }
  const beat = setInterval(() => {
    for (const id of agentIds) void router.heartbeat(id).catch(() => {});
  }, 250);

  const created: string[] = [];
  for (let i = 0; i < calls; i++) {
    const id = randomUUID();
    const r = random();
    const language = r < 0.85 ? 'zh' : r < 0.95 ? 'bo' : 'mn';
    const result = await router.enqueue({ id, regionCode: pick(counties), language, topic: random() < 0.5 ? 'labour' : 'consumer', priority: random() < 0.1 ? 5 : 0 });
    if (result.status !== 'queued') continue;
    created.push(id);
    process.stdout.write(`${JSON.stringify({ created: id })}\n`);
    const fate = random();
    if (fate < 0.12) later(20 + random() * 300, () => router.callerHangup(id));
    else if (fate < 0.17) {
      // The caller takes a callback; the callbacks clock (src/callbacks) then queues an attempt.
      later(20 + random() * 200, async () => {
        const call = store.state.call(id);
        if (!call || !(await router.requestCallback(id)).ok) return;
        const attempt = randomUUID();
        created.push(attempt);
        await router.enqueueCallback({ id: attempt, origin: id, regionCode: call.regionCode, language: call.language, topic: call.topic, priority: call.priority });
      });
    }
    await new Promise((r) => setTimeout(r, random() * 6));
  }

  // Done when none of this node's calls is still waiting or ringing anywhere.
  const open = () => created.filter((id) => {
    const c = store.state.call(id);
    return c !== undefined && c.status !== 'connected';
  });
  const deadline = Date.now() + 60_000;
  while (open().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  clearInterval(beat);
  process.stdout.write(`${JSON.stringify({ done: true, open: open().length })}\n`);
  await router.stop();
  await store.close();
  redis.disconnect();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
