import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisSessionBus } from '../../src/agents/gateway/session-bus';
import { eventually } from '../support/tcp-proxy';
import { sessionBusContract } from './session-bus.contract';

// Two nodes: two connections, two subscribers, one channel.
sessionBusContract('Redis session bus', async () => {
  const namespace = `test-${randomUUID().slice(0, 8)}`;
  const r1 = new Redis(process.env.REDIS_URL!);
  const r2 = new Redis(process.env.REDIS_URL!);
  const a = await new RedisSessionBus(r1, { provinceCode: '630000', namespace }).start();
  const b = await new RedisSessionBus(r2, { provinceCode: '630000', namespace }).start();
  return {
    a,
    b,
    close: async () => {
      await a.close();
      await b.close();
      r1.disconnect();
      r2.disconnect();
    },
  };
});

describe('Redis session bus, bad input', () => {
  it('ignores and reports a malformed announcement instead of acting on it', async () => {
    const namespace = `test-${randomUUID().slice(0, 8)}`;
    const redis = new Redis(process.env.REDIS_URL!);
    const bad: string[] = [];
    const bus = await new RedisSessionBus(redis, { provinceCode: '630000', namespace, onBadMessage: (m) => bad.push(m) }).start();
    const seen: string[] = [];
    bus.onClaim((agentId) => seen.push(agentId));
    await redis.publish(`${namespace}:{prov:63}:agent-sessions`, '{"agentId": 5}');
    await bus.claim('agent-ok', 's1');
    expect(await eventually(async () => seen.includes('agent-ok'), 3_000, 10)).toBe(true);
    expect(bad).toEqual(['{"agentId": 5}']);
    expect(seen).toEqual(['agent-ok']);
    await bus.close();
    redis.disconnect();
  });
});
