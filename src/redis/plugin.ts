import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    /** Null on a single node without REDIS_URL: the live state then stays in process. */
    redis: Redis | null;
  }
}

/** Connects to Redis when REDIS_URL is set; the client reconnects by itself and closes with the app. */
export const redisPlugin = fp(
  async function redis(app: FastifyInstance, opts: { url: string | null }) {
    if (!opts.url) {
      app.decorate('redis', null);
      return;
    }
    const client = new Redis(opts.url, {
      lazyConnect: true,
      // Fail commands quickly while disconnected instead of queueing them without bound.
      maxRetriesPerRequest: 2,
      connectTimeout: 5_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
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
    await client.connect();
    app.decorate('redis', client);
    app.addHook('onClose', async () => {
      await client.quit().catch(() => client.disconnect());
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
