import { bearer, startTestApp, type TestApp } from '../support/app';

describe('staffing API', () => {
  let t: TestApp;
  let admin: { token: string };
  let yushu: { token: string };
  let agent: { token: string; id: string };

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.addUser({ username: 'admin.staffing', role: 'admin', region: '630000' });
    yushu = await t.addUser({ username: 'sup.yushu', role: 'supervisor', region: '632700' });
    agent = await t.addUser({ username: 'agent.staffing', role: 'agent', region: '630100' });
  });
  afterAll(async () => t.close());

  const get = (url: string, token = yushu.token) => t.app.inject({ method: 'GET', url, headers: bearer(token) });

  describe('GET /api/staffing/erlang', () => {
    it('answers the fewest agents for the target (Erlang C), and the figures for a given number of agents', async () => {
      const needed = await get('/api/staffing/erlang?calls=100&intervalSeconds=1800&ahtSeconds=180&targetServiceLevel=0.8&thresholdSeconds=20');
      expect(needed.statusCode).toBe(200);
      expect(needed.json()).toMatchObject({ model: 'erlang_c', agents: 14, erlangs: 10 });
      expect(needed.json().serviceLevel).toBeGreaterThanOrEqual(0.8);
      const eleven = (await get('/api/staffing/erlang?calls=100&ahtSeconds=180&agents=11')).json();
      expect(eleven.probabilityOfWait).toBeCloseTo(0.6821, 4);
    });

    it('at or above capacity says so in a note, with a service level of 0 and no ASA, not NaN', async () => {
      const res = (await get('/api/staffing/erlang?calls=100&ahtSeconds=180&agents=10')).json();
      expect(res).toMatchObject({ serviceLevel: 0, asa: null, note: expect.stringContaining('at or above the agents'), noteZh: '话务量（10 爱尔兰）不低于坐席数（10）：排队将无限增长' });
    });

    it('adds shrinkage to the agents to schedule', async () => {
      expect((await get('/api/staffing/erlang?calls=100&ahtSeconds=180&shrinkage=0.3')).json()).toMatchObject({ agents: 14, scheduled: 20 });
    });

    it('names bad parameters, and is for supervisors and admins', async () => {
      const bad = await get('/api/staffing/erlang?calls=-1&ahtSeconds=0');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/calls/);
      expect((await get('/api/staffing/erlang?calls=1&ahtSeconds=100', agent.token)).statusCode).toBe(403);
    });
  });

  describe('Erlang A, recommendations and simulation', () => {
    it('with patienceSeconds the answer is Erlang A: abandonment given, and a load above the agents still has numbers', async () => {
      const a = (await get('/api/staffing/erlang?calls=100&ahtSeconds=180&patienceSeconds=60&agents=8')).json();
      expect(a.model).toBe('erlang_a');
      expect(a.probabilityOfAbandon).toBeGreaterThan(0);
      expect(Number.isFinite(a.serviceLevel)).toBe(true);
      expect(Number.isFinite(a.asa)).toBe(true);
    });

    it("recommends seats for the supervisor's area only, within the budget, beside the proportional split", async () => {
      const res = await get('/api/staffing/recommendation?date=2026-12-03&budget=12');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.regions.length).toBeGreaterThan(1);
      expect(body.regions.every((r: { code: string }) => r.code.startsWith('6327'))).toBe(true);
      for (let i = 0; i < 48; i++) {
        const used = body.regions.reduce((sum: number, r: { seats: number[] }) => sum + r.seats[i]!, 0);
        const proportional = body.regions.reduce((sum: number, r: { proportional: number[] }) => sum + r.proportional[i]!, 0);
        expect(used).toBeLessThanOrEqual(body.budget[i]);
        expect(proportional).toBeLessThanOrEqual(body.budget[i]);
      }
      expect(body.regions.every((r: { method: string }) => r.method === 'population')).toBe(true);
      expect(Number.isFinite(body.summary.serviceLevel)).toBe(true);
      expect((await get('/api/staffing/recommendation?date=2026-12-03&region=630100')).statusCode).toBe(403);
    });

    it('simulates a day under the recommended plan; a saved plan that does not exist is named', async () => {
      const post = (body: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/api/staffing/simulate', headers: bearer(yushu.token), payload: body });
      const res = await post({ date: '2026-12-03', plan: 'recommended', budget: 12, perCapitaDailyCalls: 0.0005 });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.province.offered).toBeGreaterThan(0);
      expect(body.province.serviceLevel).toBeGreaterThanOrEqual(0);
      expect(body.province.serviceLevel).toBeLessThanOrEqual(1);
      expect(Object.keys(body.regions).every((c) => c.startsWith('6327'))).toBe(true);
      const missing = await post({ date: '2026-12-04', plan: 'saved' });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().message).toContain('no seat plan is saved for 2026-12-04');
    });
  });

  describe("a plan's own forecast", () => {
    // About 17,700 calls on the day across Qinghai: enough that one simulated day differs little from the next.
    const DAY = { date: '2026-12-07', perCapitaDailyCalls: 0.003, shrinkage: 0.3 };
    it.each([
      ['tight', 260],
      ['loose', 420],
    ])('agrees with the day simulator within 2 points on a %s budget (%i seats)', async (_label, budget) => {
      const q = new URLSearchParams(Object.entries({ ...DAY, budget }).map(([k, v]) => [k, String(v)]));
      const rec = await get(`/api/staffing/recommendation?${q}`, admin.token);
      expect(rec.statusCode).toBe(200);
      const summary = rec.json().summary;
      expect(summary.forecast).toMatchObject({ method: 'simulation', runs: 3, patienceSeconds: 120 });
      const sim = await t.app.inject({ method: 'POST', url: '/api/staffing/simulate', headers: bearer(admin.token), payload: { ...DAY, plan: 'recommended', budget } });
      expect(sim.statusCode).toBe(200);
      const simulated = sim.json().province.serviceLevel;
      // The forecast is what the supervisor is shown; the simulation (seed 1) is an independent day.
      expect(Math.abs(summary.serviceLevel - simulated)).toBeLessThanOrEqual(0.02);
      // The tight budget is tight: a plan that meets the goal everywhere would prove nothing.
      if (budget === 260) expect(simulated).toBeLessThan(0.8);
    }, 60_000);
  });

  describe('moving an agent between regions', () => {
    it("takes effect in routing at once: the agent's next call comes from the new region", async () => {
      const mover = await t.addUser({ username: 'agent.mover', role: 'agent', region: '632701', languages: { zh: 5 }, topics: { labour: 5 } });
      await t.app.router.login({ id: mover.id, regionCode: '632701', languages: { zh: 5 }, topics: { labour: 5 } });
      await t.app.router.setReady(mover.id);
      const res = await t.app.inject({ method: 'PATCH', url: `/api/agents/${mover.id}`, headers: bearer(yushu.token), payload: { servingRegion: '632723' } });
      expect(res.statusCode).toBe(200);
      expect(t.app.router.liveAgent(mover.id)).toMatchObject({ regionCode: '632723', state: 'ready' });
      await t.app.router.enqueue({ id: '5f0b7f8e-0000-4000-8000-000000000001', regionCode: '632723', language: 'zh', topic: 'labour', priority: 0 });
      await t.app.router.settled();
      expect(t.app.router.liveAgent(mover.id)).toMatchObject({ state: 'reserved', callId: '5f0b7f8e-0000-4000-8000-000000000001' });
      // Outside the supervisor's prefecture: refused, and routing unchanged.
      const away = await t.app.inject({ method: 'PATCH', url: `/api/agents/${mover.id}`, headers: bearer(yushu.token), payload: { servingRegion: '630102' } });
      expect(away.statusCode).toBe(403);
      expect(t.app.router.liveAgent(mover.id)?.regionCode).toBe('632723');
    });
  });

  describe('/api/seat-plans/:date', () => {
    const put = (token: string, date: string, body: Record<string, unknown>) => t.app.inject({ method: 'PUT', url: `/api/seat-plans/${date}`, headers: bearer(token), payload: body });
    const entries = (region: string, seats: number) => [0, 30, 510, 540].map((intervalStart) => ({ regionCode: region, intervalStart, seats }));

    it('a prefecture supervisor saves and reads their part of the day; the rest of the province is kept', async () => {
      const put = (token: string, body: Record<string, unknown>) => t.app.inject({ method: 'PUT', url: '/api/seat-plans/2026-12-01', headers: bearer(token), payload: body });
      expect((await put(admin.token, { entries: [...entries('630100', 8), ...entries('632700', 2)] })).statusCode).toBe(200);
      const mine = await put(yushu.token, { entries: entries('632723', 3) });
      expect(mine.statusCode).toBe(200);
      expect(mine.json().entries).toEqual(entries('632723', 3));

      const all = (await get('/api/seat-plans/2026-12-01', admin.token)).json().entries;
      expect(all.filter((e: { regionCode: string }) => e.regionCode === '630100')).toHaveLength(4);
      // The Yushu supervisor's save replaced Yushu's part (the prefecture row is gone), nothing else.
      expect(all.filter((e: { regionCode: string }) => e.regionCode === '632700')).toHaveLength(0);
      expect((await get('/api/seat-plans/2026-12-01')).json().entries.every((e: { regionCode: string }) => e.regionCode.startsWith('6327'))).toBe(true);
    });

    it("the provincial supervisor saves the whole province's day in the compact form, and simulates the saved plan", async () => {
      const codes = t.app.regions.subtree('630000');
      expect(codes.length).toBeGreaterThanOrEqual(50);
      const seats = Object.fromEntries(codes.map((code, k) => [code, Array.from({ length: 48 }, (_, i) => (i >= 16 && i < 40 ? 1 + ((k + i) % 3) : 0))]));
      const res = await t.app.inject({ method: 'PUT', url: '/api/seat-plans/2026-12-05', headers: bearer(admin.token), payload: { seats } });
      expect(res.statusCode).toBe(200);
      const saved = res.json().entries as { regionCode: string; intervalStart: number; seats: number }[];
      expect(saved).toHaveLength(codes.length * 48);
      expect(saved.find((e) => e.regionCode === codes[3] && e.intervalStart === 20 * 30)?.seats).toBe(seats[codes[3]!]![20]);
      const sim = await t.app.inject({ method: 'POST', url: '/api/staffing/simulate', headers: bearer(admin.token), payload: { date: '2026-12-05', plan: 'saved', perCapitaDailyCalls: 0.0002 } });
      expect(sim.statusCode).toBe(200);
      expect(sim.json().province.offered).toBeGreaterThan(0);
    });

    it('takes a plan as large as 100 regions × 96 intervals in the entry form (over the 64 KiB default), and says in Chinese how large a body may be', async () => {
      // All of Qinghai in the entry form: 2,544 entries, ~150 KB.
      const codes = t.app.regions.subtree('630000');
      const entries = codes.flatMap((regionCode) => Array.from({ length: 48 }, (_, i) => ({ regionCode, intervalStart: i * 30, seats: 2 })));
      const res = await put(admin.token, '2026-12-06', { entries });
      expect(res.statusCode).toBe(200);
      expect(res.json().entries).toHaveLength(entries.length);
      // 9,600 entries (the size of 100 regions × 96 intervals) pass the size limit: refused only for naming regions this province lacks.
      const larger = Array.from({ length: 200 }, (_, r) => `64${String(1000 + r).padStart(4, '0')}`).flatMap((regionCode) => Array.from({ length: 48 }, (_, i) => ({ regionCode, intervalStart: i * 30, seats: 12 })));
      expect(larger).toHaveLength(9_600);
      expect(Buffer.byteLength(JSON.stringify({ entries: larger }))).toBeGreaterThan(500_000);
      const refused = await put(admin.token, '2026-12-06', { entries: larger });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'HOTLINE_ERR_UNKNOWN_REGION', messageZh: 'entries.0.regionCode：地区 641000 不属于本省' });

      const huge = JSON.stringify({ entries: [] }) + ' '.repeat(5 * 1024 * 1024);
      const tooLarge = await t.app.inject({ method: 'PUT', url: '/api/seat-plans/2026-12-06', headers: { ...bearer(admin.token), 'content-type': 'application/json' }, payload: huge });
      expect(tooLarge.statusCode).toBe(413);
      expect(tooLarge.json()).toMatchObject({ code: 'HOTLINE_ERR_BODY_TOO_LARGE', messageZh: '请求内容过大：本接口最多接受 4 MiB' });
      // Nothing already saved was lost.
      expect((await get('/api/seat-plans/2026-12-06', admin.token)).json().entries).toHaveLength(entries.length);
      // Other routes keep the service's 64 KiB.
      const other = await t.app.inject({ method: 'PATCH', url: `/api/agents/${agent.id}`, headers: { ...bearer(admin.token), 'content-type': 'application/json' }, payload: JSON.stringify({ displayName: 'x' }) + ' '.repeat(70 * 1024) });
      expect(other.statusCode).toBe(413);
      expect(other.json().messageZh).toBe('请求内容过大：本接口最多接受 64 KiB');
    });

    it('names in Chinese and English what is wrong with a plan: a short day, both forms at once, a region outside the province', async () => {
      const put = (body: unknown) => t.app.inject({ method: 'PUT', url: '/api/seat-plans/2026-12-07', headers: bearer(admin.token), payload: body as Record<string, unknown> });
      const short = await put({ seats: { '630102': [1, 2, 3] } });
      expect(short.statusCode).toBe(400);
      expect(short.json().message).toContain('body.seats.630102: must list the 48 half-hours of the day');
      expect(short.json().messageZh).toMatch(/^请求内容有误：body\.seats\.630102 .*48/);
      const both = await put({ seats: {}, entries: [] });
      expect(both.json().messageZh).toContain('请以 entries 或 seats 之一给出计划');
      const unknown = await put({ seats: { '999999': new Array(48).fill(1) } });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json()).toMatchObject({ message: 'seats.999999: region 999999 is not in this province', messageZh: 'seats.999999：地区 999999 不属于本省' });
      const outside = await t.app.inject({ method: 'PUT', url: '/api/seat-plans/2026-12-07', headers: bearer(yushu.token), payload: { seats: { '630102': new Array(48).fill(1) } } });
      expect(outside.statusCode).toBe(403);
      expect(outside.json().messageZh).toBe('地区 630102 不在您的管辖范围（632700）内');
      const old = await t.app.inject({ method: 'PUT', url: '/api/seat-plans/1900-01-01', headers: bearer(admin.token), payload: { seats: {} } });
      expect(old.statusCode).toBe(400);
      expect(old.json().messageZh).toBe('请求内容有误：params.date 应在 2000-01-01 至 2099-12-31 之间');
      const odd = await put({ entries: [{ regionCode: '630102', intervalStart: 45, seats: 1 }] });
      expect(odd.json().messageZh).toBe('请求内容有误：body.entries.0.intervalStart 应为半点的起始分钟：0、30 … 1410');
      const big = await put({ entries: [{ regionCode: '630102', intervalStart: 30, seats: 20_000 }] });
      expect(big.json().messageZh).toMatch(/^请求内容有误：body\.entries\.0\.seats 数值过大/);
      expect((await get('/api/seat-plans/2026-12-07', admin.token)).json()).toMatchObject({ saved: false });
    });

    it('refuses entries outside the area, unknown regions, bad intervals and duplicates, changing nothing', async () => {
      const put = (body: Record<string, unknown>) => t.app.inject({ method: 'PUT', url: '/api/seat-plans/2026-12-02', headers: bearer(yushu.token), payload: body });
      expect((await put({ entries: entries('630100', 1) })).statusCode).toBe(403);
      expect((await put({ entries: [{ regionCode: '999999', intervalStart: 0, seats: 1 }] })).statusCode).toBe(400);
      const odd = await put({ entries: [{ regionCode: '632723', intervalStart: 45, seats: 1 }] });
      expect(odd.statusCode).toBe(400);
      expect(odd.json().message).toMatch(/intervalStart/);
      expect((await put({ entries: [...entries('632723', 1), ...entries('632723', 2)] })).statusCode).toBe(400);
      expect((await get('/api/seat-plans/2026-12-02')).json()).toMatchObject({ saved: false, entries: [] });
    });
  });
});
