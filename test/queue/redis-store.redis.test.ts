import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisLiveStore } from '../../src/queue/redis-store';
import { legsContract } from './legs.contract';
import { multiNodeContract, routingContract } from './routing.contract';

// Each test gets its own namespace on the real Redis; each "node" its own connection.
const open = async (n: number) => {
  const namespace = `test-${randomUUID()}`;
  const clients = Array.from({ length: n }, () => new Redis(process.env.REDIS_URL!));
  const stores = clients.map((c) => new RedisLiveStore(c, { provinceCode: '630000', namespace }));
  return {
    stores,
    cleanup: async () => {
      const keys = await clients[0]!.keys(`${namespace}:*`);
      if (keys.length) await clients[0]!.del(...keys);
      for (const c of clients) c.disconnect();
    },
  };
};

describe('routing on the Redis store', () => {
  routingContract(open);
  multiNodeContract(open);
  legsContract(open);
});
