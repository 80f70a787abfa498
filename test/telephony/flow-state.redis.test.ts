import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisFlowStateStore } from '../../src/telephony/flow-state';
import { flowState, flowStateContract } from './flow-state.contract';

const namespace = () => `test-${randomUUID()}`;

describe('call flow state in Redis', () => {
  flowStateContract(async () => {
    const ns = namespace();
    const clients = [new Redis(process.env.REDIS_URL!), new Redis(process.env.REDIS_URL!)];
    // The live state, which starts first on every node, has given Redis its epoch.
    await clients[0]!.set(`${ns}:{prov:63}:epoch`, 'epoch-1');
    const stores = [new RedisFlowStateStore(clients[0]!, { provinceCode: '630000', namespace: ns }), new RedisFlowStateStore(clients[1]!, { provinceCode: '630000', namespace: ns })] as const;
    for (const s of stores) await s.start();
    return {
      stores: [stores[0], stores[1]],
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

  it('puts back what this node wrote when Redis lost it, before and after the node restores it; never what another node deleted', async () => {
    const ns = namespace();
    const client = new Redis(process.env.REDIS_URL!);
    const epochKey = `${ns}:{prov:63}:epoch`;
    try {
      await client.set(epochKey, 'epoch-1');
      let intact = true;
      const [a, b] = [0, 1].map(() => new RedisFlowStateStore(client, { provinceCode: '630000', namespace: ns, stateIntact: async () => intact }));
      for (const s of [a!, b!]) await s.start();
      await a!.put(flowState('kept', 'CA1001'));
      await a!.put(flowState('ended', 'CA1002'));
      await b!.delete(flowState('ended', 'CA1002'));
      // Deleted by another node while the state is intact: gone.
      expect(await a!.get('ended')).toBeNull();

      // Redis restarted empty: no epoch, no flow state. The call this node wrote comes back at once.
      await client.del(...(await client.keys(`${ns}:*`)));
      expect(await a!.get('kept')).toMatchObject({ callId: 'kept', step: 3 });
      expect(await b!.lookup('twilio', 'CA1001')).toBe('kept');
      expect(await b!.get('never-written')).toBeNull();

      // Redis came back from an older snapshot (same epoch): the live state says it was lost.
      await client.set(epochKey, 'epoch-1');
      await client.del(`${ns}:{prov:63}:flow:c:kept`);
      intact = false;
      expect(await a!.get('kept')).toMatchObject({ callId: 'kept' });
    } finally {
      const keys = await client.keys(`${ns}:*`);
      if (keys.length) await client.del(...keys);
      client.disconnect();
    }
  });
});
