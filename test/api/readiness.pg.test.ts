import { createPostgresDatabase } from '../support/databases';
import { startTestApp, type TestApp } from '../support/app';
import { eventually, TcpProxy } from '../support/tcp-proxy';

describe('GET /readyz with PostgreSQL', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const created = await createPostgresDatabase();
    drop = created.drop;
    const url = new URL(created.url);
    proxy = await new TcpProxy(url.hostname, Number(url.port || 5432)).start();
    url.host = `127.0.0.1:${proxy.port}`;
    t = await startTestApp({ database: { kind: 'postgres', url: url.toString() } });
  });
  afterAll(async () => {
    await t.close();
    await proxy.stop();
    await drop();
  });

  const ready = async () => (await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200;

  it('is green while the database answers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json().checks.database).toBe('ok');
  });

  it('goes red when the database connection fails, and green again when it returns', async () => {
    proxy.interrupt();
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'not ready', checks: { database: 'failing' }, errors: ['database is not reachable'] });
    // Liveness is about the process, not its dependencies: the orchestrator must not kill it.
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    proxy.restore();
    expect(await eventually(ready)).toBe(true);
  });
});
