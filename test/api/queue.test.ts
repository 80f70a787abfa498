import { randomUUID } from 'node:crypto';
import { bearer, startTestApp, type TestApp } from '../support/app';

describe('the queue in the service', () => {
  let t: TestApp;
  let xiningSup: { id: string; token: string };
  let agentId: string;

  beforeAll(async () => {
    t = await startTestApp();
    xiningSup = await t.addUser({ username: 'sup.xn', role: 'supervisor', region: '630100' });
    agentId = (await t.addUser({ username: 'agent.cd', role: 'agent', region: '630102', languages: { zh: 5 }, topics: { labour: 4 } })).id;
  });
  afterAll(() => t.close());

  async function arrive(regionCode: string, language = 'zh') {
    const id = randomUUID();
    await t.app.db
      .insertInto('calls')
      .values({ id, province_code: '630000', driver: 'sim', caller_number: '13800000000', region_code: regionCode, language, topic: 'labour', status: 'ivr', arrived_at: new Date() })
      .execute();
    const result = await t.app.router.enqueue({ id, regionCode, language, topic: 'labour', priority: 0 });
    return { id, result };
  }

  it('records an abandoned call at once, with how long the caller waited', async () => {
    const { id, result } = await arrive('630102');
    expect(result).toMatchObject({ status: 'queued', position: 0, offerCallback: true });
    await new Promise((r) => setTimeout(r, 50));
    await t.app.router.callerHangup(id);
    expect(t.app.router.store.state.call(id)).toBeUndefined();
    await t.app.router.settled();
    await t.app.callRecorder.flush();
    const row = await t.app.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'ended', end_reason: 'abandoned' });
    expect(row.wait_ms).toBeGreaterThanOrEqual(40);
    const timeline = await t.app.db.selectFrom('call_events').select('type').where('call_id', '=', id).orderBy('id').execute();
    expect(timeline.map((e) => e.type)).toEqual(['queued', 'abandoned']);
  });

  it('shows a prefecture supervisor the calls and agents of their prefecture only', async () => {
    const xining = await arrive('630102');
    const golmud = await arrive('632801');
    await t.app.router.login({ id: agentId, regionCode: '630102', languages: { zh: 5 }, topics: { labour: 4 } });
    const res = await t.app.inject({ method: 'GET', url: '/api/queue/snapshot', headers: bearer(xiningSup.token) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.root).toBe('630100');
    expect(body.calls.map((c: { id: string }) => c.id)).toEqual([xining.id]);
    expect(body.totals).toMatchObject({ waiting: 1, agents: { not_ready: 1 } });
    expect(body.regions.find((r: { code: string }) => r.code === '630102')).toMatchObject({ waiting: 1 });
    const other = await t.app.inject({ method: 'GET', url: '/api/queue/snapshot?region=632800', headers: bearer(xiningSup.token) });
    expect(other.statusCode).toBe(403);
    await t.app.router.callerHangup(xining.id);
    await t.app.router.callerHangup(golmud.id);
  });

  it('routes by a serving region a supervisor changed, at once', async () => {
    await t.app.router.setReady(agentId);
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/agents/${agentId}`, headers: bearer(xiningSup.token), payload: { servingRegion: '630106' } });
    expect(patch.statusCode).toBe(200);
    expect(t.app.router.store.state.agent(agentId)!.regionCode).toBe('630106');
    const { id } = await arrive('630106');
    await t.app.router.settled();
    expect(t.app.router.store.state.call(id)).toMatchObject({ status: 'offered', agentId });
    await t.app.router.callerHangup(id);
  });
});
