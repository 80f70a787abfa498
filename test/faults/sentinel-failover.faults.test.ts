import { RedisProcess, SentinelProcess } from '../support/redis-process';
import { eventually } from '../support/tcp-proxy';
import { type FaultCluster, startFaultCluster } from './harness';

/**
 * Redis behind Sentinel: the primary is killed mid-traffic, the sentinel promotes the replica,
 * and the nodes — every Redis connection of theirs (routing, its event stream, flow state,
 * session bus, leases, rate limits) — follow to the new primary. Writes the replica had not
 * received are put back from the nodes' own copies.
 */
describe('Sentinel failover (the Redis primary killed) mid-traffic', () => {
  let primary: RedisProcess;
  let replica: RedisProcess;
  let sentinel: SentinelProcess;
  let c: FaultCluster;

  beforeAll(async () => {
    primary = await RedisProcess.start();
    replica = await RedisProcess.start({ replicaOf: primary.port });
    sentinel = await SentinelProcess.start(primary.port);
    c = await startFaultCluster({
      name: 'sentinel-failover',
      nodes: 2,
      env: { REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`, REDIS_SENTINEL_NAME: 'mymaster' },
      agents: 10,
      talkMs: 1_500,
    });
  }, 300_000);

  afterAll(async () => {
    await c?.close();
    await sentinel?.stop();
    await replica?.stop();
    await primary?.stop();
  }, 120_000);

  it('offers the next call within 5 s of the promotion, with no node restarted and no call lost', async () => {
    expect(await sentinel.primaryPort()).toBe(primary.port);
    const traffic = c.traffic(30_000, 3);
    await new Promise((r) => setTimeout(r, 10_000));
    await primary.kill();
    const killedAt = Date.now();
    expect(await eventually(async () => (await sentinel.primaryPort()) === replica.port, 30_000, 100)).toBe(true);
    const promotedAt = Date.now();
    await traffic;
    const rows = await c.settle(180_000);

    const firstOffer = c.firstOfferAfter(promotedAt);
    const doubles = await c.doubleOffers();
    const agents = await c.agentsByState();
    const counts = {
      placed: c.placed.length,
      refusedDuringFailover: c.refused.length,
      promotionMs: promotedAt - killedAt,
      rows: rows.length,
      ended: rows.filter((r) => r.status === 'ended').length,
      lost: rows.filter((r) => r.status !== 'ended' || r.end_reason !== 'answered').length,
      firstOfferAfterPromotionMs: firstOffer === null ? null : firstOffer - promotedAt,
      doubleOffers: doubles.length,
      agentsStuck: (agents.on_call ?? 0) + (agents.reserved ?? 0),
      rebuilt: c.nodes.map((n) => (n.output().match(/live state rebuilt/g) ?? []).length),
      doubles,
    };
    process.stdout.write(`Sentinel failover: ${JSON.stringify(counts)}\n`);

    expect(counts.firstOfferAfterPromotionMs).not.toBeNull();
    expect(counts.firstOfferAfterPromotionMs!).toBeLessThan(5_000);
    expect(counts).toMatchObject({ rows: counts.placed, ended: counts.placed, lost: 0, doubleOffers: 0, agentsStuck: 0 });
    // Both nodes answer readiness green on the new primary.
    expect((await Promise.all(c.nodes.map(async (n) => (await fetch(`${n.base}/readyz`)).status))).every((s) => s === 200)).toBe(true);
  }, 360_000);
});
