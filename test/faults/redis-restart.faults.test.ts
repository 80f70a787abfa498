import { RedisProcess } from '../support/redis-process';
import { eventually } from '../support/tcp-proxy';
import { type FaultCluster, startFaultCluster } from './harness';

/**
 * Redis restarted without its data in the middle of traffic, under two nodes that are not
 * restarted: they notice the live state is gone, put it back from what they hold (waiting
 * calls in their places, agents with their states, the flow of every call), and go on routing.
 */
describe('Redis restarted empty mid-traffic', () => {
  let redis: RedisProcess;
  let c: FaultCluster;

  beforeAll(async () => {
    redis = await RedisProcess.start();
    c = await startFaultCluster({ name: 'redis-restart', nodes: 2, env: { REDIS_URL: redis.url }, agents: 10, talkMs: 1_500 });
  }, 300_000);

  afterAll(async () => {
    await c?.close();
    await redis?.stop();
  }, 120_000);

  it('offers the next call within 5 s of Redis returning, with no node restarted and no call lost', async () => {
    const started = Date.now();
    const traffic = c.traffic(30_000, 3);
    await new Promise((r) => setTimeout(r, 10_000));
    await redis.kill();
    const downAt = Date.now();
    const red = await eventually(async () => (await fetch(`${c.nodes[0]!.base}/readyz`)).status === 503, 10_000, 200);
    await new Promise((r) => setTimeout(r, Math.max(0, 6_000 - (Date.now() - downAt))));
    await redis.up();
    const backAt = Date.now();
    const green = await eventually(async () => (await Promise.all(c.nodes.map(async (n) => (await fetch(`${n.base}/readyz`)).status))).every((s) => s === 200), 15_000, 200);
    await traffic;
    const rows = await c.settle(180_000);

    const firstOffer = c.firstOfferAfter(backAt);
    const byReason: Record<string, number> = {};
    for (const r of rows) byReason[`${r.status}:${r.end_reason}${r.end_detail ? `:${r.end_detail}` : ''}`] = (byReason[`${r.status}:${r.end_reason}${r.end_detail ? `:${r.end_detail}` : ''}`] ?? 0) + 1;
    const doubles = await c.doubleOffers();
    const agents = await c.agentsByState();
    const counts = {
      placed: c.placed.length,
      refusedWhileDown: c.refused.length,
      rows: rows.length,
      ended: rows.filter((r) => r.status === 'ended').length,
      lost: rows.filter((r) => r.status !== 'ended' || r.end_reason !== 'answered').length,
      firstOfferAfterRedisBackMs: firstOffer === null ? null : firstOffer - backAt,
      doubleOffers: doubles.length,
      agentsStuck: (agents.on_call ?? 0) + (agents.reserved ?? 0),
      byReason,
      rebuilt: c.nodes.map((n) => (n.output().match(/live state rebuilt/g) ?? []).length),
      doubles,
    };
    process.stdout.write(`Redis restarted empty: ${JSON.stringify(counts)}\n`);
    // What happened to a call that did not end well (ms since the traffic began; Redis went down at
    // ${downAt - started} ms), to read with the nodes' logs in test-artifacts/faults/redis-restart-node*.log.
    for (const r of rows.filter((x) => x.status !== 'ended' || x.end_reason !== 'answered')) {
      const timeline = await c.db.selectFrom('call_events').select(['at', 'type', 'data']).where('call_id', '=', r.id).orderBy('at').execute();
      process.stdout.write(`  ${r.id} (Redis down at ${downAt - started} ms, back at ${backAt - started} ms): ${r.status}/${r.end_reason}/${r.end_detail} ${JSON.stringify(timeline.map((e) => [e.at.getTime() - started, e.type, e.data]))}\n`);
    }

    expect({ red, green }).toEqual({ red: true, green: true });
    expect(counts.firstOfferAfterRedisBackMs).not.toBeNull();
    expect(counts.firstOfferAfterRedisBackMs!).toBeLessThan(5_000);
    expect(counts).toMatchObject({ rows: counts.placed, ended: counts.placed, lost: 0, doubleOffers: 0, agentsStuck: 0 });
    expect(doubles).toEqual([]);
  }, 360_000);
});
