import { startTestApp, type TestApp } from '../support/app';
import { eventually, TcpProxy } from '../support/tcp-proxy';

describe('GET /readyz with Redis', () => {
  let proxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    const target = new URL(process.env.REDIS_URL!);
    proxy = await new TcpProxy(target.hostname, Number(target.port || 6379)).start();
    target.host = `127.0.0.1:${proxy.port}`;
    t = await startTestApp({ redisUrl: target.toString() });
  });
  afterAll(async () => {
    await t.close();
    await proxy.stop();
  });

  const readiness = async () => (await t.app.inject({ method: 'GET', url: '/readyz' })).json();

  it('goes red when Redis cannot be reached, and green again when it returns', async () => {
    expect(await readiness()).toMatchObject({ status: 'ready', checks: { redis: 'ok' } });
    proxy.interrupt();
    expect(await eventually(async () => (await readiness()).checks.redis === 'failing')).toBe(true);
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    proxy.restore();
    expect(await eventually(async () => (await readiness()).status === 'ready')).toBe(true);
  });

  it('shuts down promptly while Redis is unreachable (a restart during an outage does not hang)', async () => {
    const other = await startTestApp({ redisUrl: `redis://127.0.0.1:${proxy.port}` });
    proxy.interrupt();
    // Let every connection notice the cut and start its back-off, with a command queued behind it.
    await new Promise((r) => setTimeout(r, 300));
    void other.app.inject({ method: 'GET', url: '/readyz' });
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(10_000);
    proxy.restore();
  });
});
