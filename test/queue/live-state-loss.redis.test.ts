import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { provinceKeys, RedisLiveStore } from '../../src/queue/redis-store';
import { eventually } from '../support/tcp-proxy';
import { agent, makeNodes, ManualClock, newCall, TEST_ROUTING } from './harness';

/**
 * The live state lost under two nodes that keep running: Redis flushed (as a restart without
 * data leaves it), and Redis gone back in time (a replica promoted after missing writes). Both
 * nodes notice within the watchdog's second, put back what they hold, and routing goes on:
 * waiting calls in their places, agents in their states, an offer that was ringing back in the
 * queue with its agent ready, deadlines armed again.
 */
describe('a lost live state, put back by the nodes', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL!);
  });
  afterAll(() => redis.disconnect());

  /** Two nodes that notice a loss within 100 ms, and with `late`, a third that does not notice by itself. */
  async function twoNodes(late = false) {
    const namespace = `test-${randomUUID()}`;
    const clients = [new Redis(process.env.REDIS_URL!), new Redis(process.env.REDIS_URL!), ...(late ? [new Redis(process.env.REDIS_URL!)] : [])];
    const clock = new ManualClock();
    const env = await makeNodes(
      async () => ({
        stores: clients.map((c, i) => new RedisLiveStore(c, { provinceCode: '630000', namespace, watchMs: i < 2 ? 100 : 0 })),
        cleanup: async () => {
          const keys = await redis.keys(`${namespace}:*`);
          if (keys.length) await redis.del(...keys);
          for (const c of clients) c.disconnect();
        },
      }),
      clients.length,
      clock,
      { ...TEST_ROUTING, steps: [{ afterSeconds: 0, scope: 'province', requireTopic: false }] },
    );
    return { ...env, clock, keys: provinceKeys('630000', namespace) };
  }

  it('after a flush: waiting calls keep their places, agents their states, a ringing offer goes back, and a deadline still falls due', async () => {
    const { nodes, close, clock, keys } = await twoNodes();
    const [a, b] = [nodes[0]!.router, nodes[1]!.router];
    try {
      await a.login(agent('ringing', '630102'));
      await b.login(agent('resting', '630102'));
      await a.setReady('ringing');
      const first = newCall();
      await a.enqueue(first);
      await a.settled();
      expect(a.liveCall(first.id)).toMatchObject({ status: 'offered', agentId: 'ringing' });
      clock.advance(5);
      const second = newCall();
      clock.advance(5);
      const third = newCall();
      await b.enqueue(second);
      clock.advance(5);
      await b.enqueue(third);
      await b.settled();

      await redis.del(keys.live, keys.deadlines, keys.events, keys.epoch);
      expect(await eventually(async () => a.health === 'ok' && b.health === 'ok' && (await redis.exists(keys.epoch)) === 1, 10_000, 50)).toBe(true);
      await a.settled();
      await b.settled();

      for (const r of [a, b]) {
        // The ringing offer went back (the agent could not answer while the state was gone) and was offered again.
        expect(r.liveAgent('resting')).toMatchObject({ state: 'not_ready' });
        expect(r.liveCall(second.id)).toMatchObject({ status: 'waiting' });
        expect(r.liveCall(third.id)).toMatchObject({ status: 'waiting' });
      }
      expect(nodes.flatMap((n) => n.events).some((e) => e.type === 'offer.returned' && e.reason === 'recovered' && e.call.id === first.id)).toBe(true);
      // Places kept: the first caller (offered again or waiting) is still ahead of the others.
      expect(a.liveCall(first.id)!.enqueuedAt).toBeLessThan(a.liveCall(second.id)!.enqueuedAt);
      expect(a.estimate(second.id)!.position).toBeLessThan(a.estimate(third.id)!.position);
      // Deadlines are armed again: the wait limit still ends a wait.
      clock.advance(TEST_ROUTING.maxWaitSeconds + 1);
      await a.processDue();
      await b.processDue();
      expect(a.liveCall(third.id)).toBeUndefined();
      expect(nodes.flatMap((n) => n.events).some((e) => e.type === 'call.left' && e.outcome === 'timeout' && e.call.id === third.id)).toBe(true);
    } finally {
      await close();
    }
  });

  it('after Redis went back in time (a replica that missed writes): the newer entries are put back', async () => {
    const { nodes, close, keys } = await twoNodes();
    const [a, b] = [nodes[0]!.router, nodes[1]!.router];
    try {
      await a.login(agent('x', '630102'));
      const before = await redis.hgetall(keys.live);
      const tipBefore = ((await redis.xrevrange(keys.events, '+', '-', 'COUNT', 1)) as [string, string[]][])[0]![0];
      const late = newCall();
      await b.enqueue(late);
      await b.settled();
      await new Promise((r) => setTimeout(r, 300));
      // The "replica": the hash as it was, without the entries written since.
      const newer = ((await redis.xrange(keys.events, `(${tipBefore}`, '+')) as [string, string[]][]).map(([id]) => id);
      await redis.del(keys.live);
      await redis.hset(keys.live, before);
      if (newer.length) await redis.xdel(keys.events, ...newer);
      expect(await redis.hexists(keys.live, `c:${late.id}`)).toBe(0);

      expect(await eventually(async () => (await redis.hexists(keys.live, `c:${late.id}`)) === 1, 10_000, 50)).toBe(true);
      expect(await eventually(async () => a.health === 'ok' && b.health === 'ok', 10_000, 50)).toBe(true);
      expect(a.liveCall(late.id)).toMatchObject({ status: 'waiting' });
    } finally {
      await close();
    }
  });

  it('does not let a node that noticed the loss long after the others bring back a call they have finished', async () => {
    const { nodes, close, keys } = await twoNodes(true);
    const [a, , slow] = nodes.map((n) => n.router);
    try {
      await a!.login(agent('x', '630102'));
      const call = newCall();
      await a!.enqueue(call);
      await slow!.store.refresh([`c:${call.id}`]);
      expect(slow!.liveCall(call.id)).toBeDefined();

      await redis.del(keys.live, keys.deadlines, keys.events, keys.epoch);
      expect(await eventually(async () => a!.health === 'ok' && (await redis.exists(keys.epoch)) === 1 && a!.liveCall(call.id) !== undefined, 10_000, 50)).toBe(true);
      // The caller hangs up; the others finish the call.
      expect((await a!.callerHangup(call.id)).ok).toBe(true);
      expect(await redis.hexists(keys.live, `c:${call.id}`)).toBe(0);

      // Past the merge window the slow node rebuilds: it takes the state as it is.
      await new Promise((r) => setTimeout(r, 5_500));
      await slow!.recover();
      expect(await redis.hexists(keys.live, `c:${call.id}`)).toBe(0);
      expect(slow!.liveCall(call.id)).toBeUndefined();
      expect(slow!.liveAgent('x')).toBeDefined();
    } finally {
      await close();
    }
  }, 30_000);
});
