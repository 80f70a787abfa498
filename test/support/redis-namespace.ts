import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/config';

/**
 * App settings that put a suite's live state, flow state and AMI lease in the real Redis under
 * a namespace of its own, deleted after the suite, so suites running at once never meet.
 */
export function ownRedisNamespace(): () => Partial<Config> {
  const namespace = `test-${randomUUID().slice(0, 8)}`;
  afterAll(async () => {
    const redis = new Redis(process.env.REDIS_URL!);
    const keys = await redis.keys(`${namespace}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });
  return () => ({ redisUrl: process.env.REDIS_URL!, redisNamespace: namespace });
}
