import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisFlowStateStore } from '../../src/telephony/flow-state';
import { flowState, flowStateContract } from './flow-state.contract';

const namespace = () => `test-${randomUUID()}`;

describe('call flow state in Redis', () => {
  flowStateContract(async () => {
    const ns = namespace();
    const clients = [new Redis(process.env.REDIS_URL!), new Redis(process.env.REDIS_URL!)];
    return {
      stores: [new RedisFlowStateStore(clients[0]!, { provinceCode: '630000', namespace: ns }), new RedisFlowStateStore(clients[1]!, { provinceCode: '630000', namespace: ns })],
      cleanup: async () => {
        const keys = await clients[0]!.keys(`${ns}:*`);
        if (keys.length) await clients[0]!.del(...keys);
        for (const c of clients) c.disconnect();
      },
    };
  });

  it('expires a call whose end was never reported, and refuses state it cannot read', async () => {
    const ns = namespace();
    const client = new Redis(process.env.REDIS_URL!);
    try {
      const store = new RedisFlowStateStore(client, { provinceCode: '630000', namespace: ns, ttlSeconds: 60 });
      await store.put(flowState('c9', 'CA0009'));
      const ttl = await client.ttl(`${ns}:{prov:63}:flow:c:c9`);
      expect(ttl).toBeGreaterThan(50);
      expect(ttl).toBeLessThanOrEqual(60);
      await client.set(`${ns}:{prov:63}:flow:c:c9`, JSON.stringify({ callId: 'c9', step: 'three' }));
      await expect(store.get('c9')).rejects.toThrow(/flow state of call c9 is unreadable/);
    } finally {
      const keys = await client.keys(`${ns}:*`);
      if (keys.length) await client.del(...keys);
      client.disconnect();
    }
  });
});
