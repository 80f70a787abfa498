import { Redis } from 'ioredis';
import { keepConnected } from '../../src/redis/keep-connected';
import { RedisProcess } from '../support/redis-process';
import { eventually } from '../support/tcp-proxy';

/**
 * A client that ioredis ended on its own (here: it was told not to retry, as a Sentinel connect
 * cut short by a failover notice did in ioredis 6.0) connects again once Redis is back, while a
 * client closed on purpose stays closed.
 */
describe('keepConnected', () => {
  let redis: RedisProcess;
  const clients: Redis[] = [];
  const standDowns: (() => void)[] = [];

  beforeAll(async () => {
    redis = await RedisProcess.start();
  }, 60_000);

  afterAll(async () => {
    for (const s of standDowns) s();
    await Promise.all(clients.filter((c) => c.status !== 'end').map((c) => c.quit().catch(() => c.disconnect())));
    await redis?.stop();
  }, 60_000);

  it('brings an ended client back when Redis returns, and leaves a client closed on purpose alone', async () => {
    const client = new Redis(redis.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => {});
    clients.push(client);
    let gaveUp = 0;
    standDowns.push(keepConnected(client, () => gaveUp++, 200));
    await client.connect();
    await client.set('k', 'before');

    await redis.kill();
    expect(await eventually(async () => client.status === 'end', 10_000, 50)).toBe(true);
    expect(gaveUp).toBe(1);
    await redis.up();
    expect(await eventually(async () => (await client.ping().catch(() => '')) === 'PONG', 20_000, 100)).toBe(true);
    expect(gaveUp).toBeGreaterThanOrEqual(1);

    const closed = new Redis(redis.url, { lazyConnect: true });
    closed.on('error', () => {});
    clients.push(closed);
    const standDown = keepConnected(closed, undefined, 50);
    await closed.connect();
    standDown();
    await closed.quit();
    await new Promise((r) => setTimeout(r, 500));
    expect(closed.status).toBe('end');
  }, 120_000);
});
