import { bearer, startTestApp, type TestApp } from '../support/app';

/**
 * The simulator's routes on a deployed service (not the embedded demo): simulated calls are call
 * data, scoped and masked as `GET /api/calls` scopes and masks call records.
 */
describe('/sim/* on a deployed service', () => {
  let t: TestApp;
  type User = { id: string; token: string };
  let admin: User;
  let province: User;
  let xining: User;
  let agent: User;
  let xiningCall: string;
  let yushuCall: string;

  beforeAll(async () => {
    t = await startTestApp({ embedded: false, sim: { keyDelayMs: 0, timeScale: 0.001 } });
    admin = await t.addUser({ username: 'admin.sim', role: 'admin', region: '630000' });
    province = await t.addUser({ username: 'sup.sim.province', role: 'supervisor', region: '630000' });
    xining = await t.addUser({ username: 'sup.sim.xining', role: 'supervisor', region: '630100' });
    agent = await t.addUser({ username: 'agent.sim', role: 'agent', region: '630100' });
    const place = async (from: string) => {
      const res = await t.app.inject({ method: 'POST', url: '/sim/calls', headers: bearer(admin.token), payload: { from, digits: '11015' } });
      expect(res.statusCode).toBe(201);
      return res.json().callId as string;
    };
    // A Xining mobile (Chengdong) and a Yushu landline (玉树市), both waiting: nobody is signed in.
    xiningCall = await place('13519712345');
    yushuCall = await place('09768123456');
    for (const id of [xiningCall, yushuCall]) {
      for (let i = 0; i < 200 && !t.app.router.liveCall(id); i++) await new Promise((r) => setTimeout(r, 20));
    }
    // As if the agent had answered the Xining call.
    await t.app.db.updateTable('calls').set({ agent_id: agent.id }).where('id', '=', xiningCall).execute();
  }, 120_000);
  afterAll(async () => t.close());

  const get = (url: string, who?: User) => t.app.inject({ method: 'GET', url, headers: who ? bearer(who.token) : {} });
  const listed = async (who: User) => {
    const res = await get('/sim/calls?compact=true', who);
    expect(res.statusCode).toBe(200);
    return (res.json().calls as { id: string; from: string }[]).map((c) => [c.id, c.from]);
  };

  it('refuses anyone not signed in', async () => {
    expect((await get('/sim/calls')).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '13519712345' } })).statusCode).toBe(401);
  });

  it('shows a prefecture supervisor only the calls of their area, with whole numbers', async () => {
    expect(await listed(xining)).toEqual([[xiningCall, '13519712345']]);
    expect((await get(`/sim/calls/${xiningCall}`, xining)).json()).toMatchObject({ id: xiningCall, from: '13519712345' });
    const other = await get(`/sim/calls/${yushuCall}`, xining);
    expect(other.statusCode).toBe(403);
    expect(other.json().code).toBe('HOTLINE_ERR_OUT_OF_SCOPE');
    const hangup = await t.app.inject({ method: 'POST', url: `/sim/calls/${yushuCall}/hangup`, headers: bearer(xining.token) });
    expect(hangup.statusCode).toBe(403);
  });

  it('shows province supervisors and admins every call whole', async () => {
    for (const who of [province, admin]) {
      expect(await listed(who)).toEqual(expect.arrayContaining([[xiningCall, '13519712345'], [yushuCall, '09768123456']]));
    }
  });

  it('shows an agent only the calls they answered, with the number masked', async () => {
    expect(await listed(agent)).toEqual([[xiningCall, '135****2345']]);
    expect((await get(`/sim/calls/${xiningCall}`, agent)).json().from).toBe('135****2345');
    expect((await get(`/sim/calls/${yushuCall}`, agent)).statusCode).toBe(403);
    // Agents watch; they do not place or end simulated calls.
    expect((await t.app.inject({ method: 'POST', url: '/sim/calls', headers: bearer(agent.token), payload: { from: '13519712345' } })).statusCode).toBe(403);
  });
});
