import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config/config';
import { keepConnected } from './keep-connected';

declare module 'fastify' {
  interface FastifyInstance {
    /** Null on a single node without REDIS_URL: the live state then stays in process. */
    redis: Redis | null;
  }
}

export type RedisTarget = { url: string } | { sentinel: NonNullable<Config['redisSentinel']> };

/**
 * Connects to Redis when REDIS_URL (or REDIS_SENTINELS) is set; the client reconnects by itself
 * and closes with the app. Every other Redis connection of the service (the event stream's
 * reader, the session bus's subscriber) is a duplicate of this one, so behind Sentinel all of
 * them ask the sentinels where the primary is and follow a failover.
 */
export const redisPlugin = fp(
  async function redis(app: FastifyInstance, opts: { target: RedisTarget | null }) {
    if (!opts.target) {
      app.decorate('redis', null);
      return;
    }
    const where: RedisOptions =
      'url' in opts.target
        ? {}
        : {
            sentinels: opts.target.sentinel.sentinels,
            name: opts.target.sentinel.name,
            ...(opts.target.sentinel.password ? { password: opts.target.sentinel.password } : {}),
            ...(opts.target.sentinel.sentinelPassword ? { sentinelPassword: opts.target.sentinel.sentinelPassword } : {}),
            // Sentinels may be down too: keep asking them, never give up for good.
            sentinelRetryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
            // Told of a promotion by the sentinels themselves, not only when the old primary's connection drops.
            failoverDetector: true,
          };
    const options: RedisOptions = {
      ...where,
      lazyConnect: true,
      // Fail commands quickly while disconnected instead of queueing them without bound.
      maxRetriesPerRequest: 2,
      connectTimeout: 5_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      // Commands issued in the same tick (by concurrent requests) go out in one socket write:
      // on a busy node that is most of the cost of each command. Blocking reads (the event
      // stream's XREAD BLOCK) use their own duplicated connection.
      enableAutoPipelining: true,
    };
    const client = 'url' in opts.target ? new Redis(opts.target.url, options) : new Redis(options);
    let lastError = '';
    client.on('error', (err) => {
      // ioredis repeats the same error on every retry; log each distinct one once.
      if (err.message !== lastError) app.log.warn({ err }, 'redis connection error');
      lastError = err.message;
    });
    client.on('ready', () => {
      if (lastError) app.log.info('redis connection restored');
      lastError = '';
    });
    const standDown = keepConnected(client, () => app.log.error('redis client gave up reconnecting; connecting again'));
    await client.connect();
    app.decorate('redis', client);
    app.addHook('onClose', () => {
      standDown();
      return closeRedis(client, 2_000);
    });
  },
  { name: 'redis', dependencies: ['config'] },
);

/** PING with a deadline, for readiness. */
export async function pingRedis(client: Redis, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout;
  await Promise.race([
    client.ping(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * QUIT lets replies in flight arrive; but while Redis is unreachable ioredis queues the QUIT
 * behind commands that will never be sent, so shutdown waits a bounded time and then drops the
 * connection.
 */
export async function closeRedis(client: Redis, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([client.quit().catch(() => {}), gaveUp]).finally(() => clearTimeout(timer));
  client.disconnect();
}
