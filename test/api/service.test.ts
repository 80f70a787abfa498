import Fastify from 'fastify';
import { authPlugin } from '../../src/auth/plugin';
import { databasePlugin } from '../../src/db/plugin';
import { configPlugin } from '../../src/config/plugin';
import { parseConfig } from '../../src/config/config';
import { startTestApp, type TestApp } from '../support/app';

describe('service endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('GET /healthz and GET /readyz answer without signing in', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toEqual({ database: 'ok', redis: 'not configured', routing: 'ok', asterisk: 'not configured' });
  });

  it('GET /metrics exposes Prometheus metrics, including request durations by route', async () => {
    await t.app.inject({ method: 'GET', url: '/healthz' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.body).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\} \d+/);
    expect(res.body).toMatch(/process_resident_memory_bytes/);
  });

  it('GET /openapi.json documents the API from the same schemas that validate it', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ['/api/auth/login', '/api/agents', '/api/agents/{id}', '/api/regions', '/api/regions/{code}', '/healthz', '/readyz']) {
      expect(doc.paths).toHaveProperty([p]);
    }
    const create = doc.paths['/api/agents'].post.requestBody.content['application/json'].schema;
    expect(create.required).toEqual(expect.arrayContaining(['username', 'password', 'servingRegion', 'languages']));
    expect(create.additionalProperties).toBe(false);
  });

  it('GET /docs serves the OpenAPI UI', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/swagger/i);
  });

  it('answers an unknown URL with a JSON 404 in English and Chinese', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/nothing-here?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'HOTLINE_ERR_NOT_FOUND', message: 'No route GET /api/nothing-here', messageZh: '页面或接口不存在：GET /api/nothing-here' });
  });

  it('echoes a request id on errors so support can find the log line', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/agents', headers: { 'x-request-id': 'trace-123' } });
    expect(res.json().requestId).toBe('trace-123');
    expect(t.logs.some((l) => l.reqId === 'trace-123')).toBe(true);
  });
});

describe('start-up', () => {
  it('stops with a clear message for a province it has no data for', async () => {
    await expect(startTestApp({ province: '110000' })).rejects.toThrow(
      'province 110000 is not in the database and no file for it ships in provinces/; load one with npm run import-province -- FILE',
    );
  });
});

describe('route access declarations', () => {
  it('refuse a route that does not say who may call it, when it is added', async () => {
    const app = Fastify({ logger: false });
    const config = parseConfig({});
    await app.register(configPlugin, { config });
    await app.register(databasePlugin, { database: { kind: 'pglite', dataDir: null } });
    await app.register(authPlugin, { jwtSecret: 'x'.repeat(32) });
    expect(() => app.get('/api/forgotten', async () => 'open to all?')).toThrow(
      'route GET /api/forgotten does not declare who may call it (config.access)',
    );
    await app.close();
  });
});
