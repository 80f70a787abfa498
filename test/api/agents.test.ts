import { bearer, startTestApp, type TestApp } from '../support/app';

describe('agent administration', () => {
  let t: TestApp;
  let admin: { id: string; token: string };
  let provinceSup: { id: string; token: string };
  let xiningSup: { id: string; token: string };
  let haidongSup: { id: string; token: string };
  let chengdongAgent: { id: string; token: string };
  let leduAgent: { id: string; token: string };

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.addUser({ username: 'admin1', role: 'admin', region: '630000' });
    provinceSup = await t.addUser({ username: 'sup.prov', role: 'supervisor', region: '630000' });
    xiningSup = await t.addUser({ username: 'sup.xn', role: 'supervisor', region: '630100' });
    haidongSup = await t.addUser({ username: 'sup.hd', role: 'supervisor', region: '630200' });
    chengdongAgent = await t.addUser({ username: 'agent.cd', role: 'agent', region: '630102', languages: { zh: 5 } });
    leduAgent = await t.addUser({ username: 'agent.ledu', role: 'agent', region: '630202', languages: { zh: 4, bo: 5 } });
  });
  afterAll(() => t.close());

  const agentCount = async () => Number((await t.app.db.selectFrom('agents').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const newAgent = (overrides: Record<string, unknown> = {}) => ({
    username: 'agent.new',
    password: 'long-enough-1',
    displayName: '新坐席',
    servingRegion: '630102',
    languages: { zh: 5 },
    topics: { labour: 3 },
    ...overrides,
  });

  describe('GET /api/agents', () => {
    it('refuses a request without a token with 401', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/agents' });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('HOTLINE_ERR_UNAUTHENTICATED');
    });

    it('refuses an agent with 403', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/agents', headers: bearer(chengdongAgent.token) });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'HOTLINE_ERR_FORBIDDEN_ROLE', messageZh: '当前角色无权执行此操作' });
    });

    it('shows a prefecture supervisor only the agents of their prefecture', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/agents', headers: bearer(xiningSup.token) });
      expect(res.statusCode).toBe(200);
      const names = res.json().items.map((a: { username: string }) => a.username);
      expect(names).toEqual(expect.arrayContaining(['agent.cd', 'sup.xn']));
      expect(names).not.toContain('agent.ledu');
      expect(names).not.toContain('sup.hd');
      expect(res.json().items[0]).not.toHaveProperty('passwordHash');
    });

    it('refuses a prefecture supervisor asking for another prefecture with 403', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/agents?region=630200', headers: bearer(xiningSup.token) });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('HOTLINE_ERR_OUT_OF_SCOPE');
      const county = await t.app.inject({ method: 'GET', url: '/api/agents?region=630202', headers: bearer(xiningSup.token) });
      expect(county.statusCode).toBe(403);
    });

    it('shows the provincial supervisor every prefecture, filtered by language', async () => {
      const all = await t.app.inject({ method: 'GET', url: '/api/agents?role=agent', headers: bearer(provinceSup.token) });
      expect(all.json().items.map((a: { username: string }) => a.username).sort()).toEqual(['agent.cd', 'agent.ledu']);
      const tibetan = await t.app.inject({ method: 'GET', url: '/api/agents?language=bo', headers: bearer(provinceSup.token) });
      expect(tibetan.json()).toMatchObject({ total: 1, items: [{ username: 'agent.ledu', languages: { bo: 5, zh: 4 } }] });
    });

    it('names a bad query parameter', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/agents?language=klingon&limit=0', headers: bearer(admin.token) });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/querystring\.language/);
      expect(res.json().message).toMatch(/querystring\.limit/);
    });
  });

  describe('POST /api/agents', () => {
    it('refuses an agent with 403 and writes nothing', async () => {
      const before = await agentCount();
      const res = await t.app.inject({ method: 'POST', url: '/api/agents', headers: bearer(chengdongAgent.token), payload: newAgent() });
      expect(res.statusCode).toBe(403);
      expect(await agentCount()).toBe(before);
    });

    it('lets a supervisor create an agent in their area, who can then sign in', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/agents',
        headers: bearer(xiningSup.token),
        payload: newAgent({ username: 'agent.made', languages: { zh: 5, bo: 2 } }),
      });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ username: 'agent.made', role: 'agent', servingRegion: '630102', languages: { zh: 5, bo: 2 } });
      const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'agent.made', password: 'long-enough-1' } });
      expect(login.statusCode).toBe(200);
      const audit = await t.app.db.selectFrom('audit_log').selectAll().where('entity_id', '=', res.json().id).execute();
      expect(audit).toMatchObject([{ action: 'agent.create', actor_username: 'sup.xn' }]);
    });

    it('refuses a prefecture supervisor creating an agent in another prefecture', async () => {
      const before = await agentCount();
      const res = await t.app.inject({ method: 'POST', url: '/api/agents', headers: bearer(xiningSup.token), payload: newAgent({ username: 'agent.x', servingRegion: '630202' }) });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('HOTLINE_ERR_OUT_OF_SCOPE');
      expect(await agentCount()).toBe(before);
    });

    it('refuses a supervisor creating another supervisor; an admin may', async () => {
      const payload = newAgent({ username: 'sup.new', role: 'supervisor', servingRegion: '630100' });
      const bySup = await t.app.inject({ method: 'POST', url: '/api/agents', headers: bearer(provinceSup.token), payload });
      expect(bySup.statusCode).toBe(403);
      const byAdmin = await t.app.inject({ method: 'POST', url: '/api/agents', headers: bearer(admin.token), payload });
      expect(byAdmin.statusCode).toBe(201);
    });

    it('refuses a username already taken, whatever its case, with 409', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/api/agents', headers: bearer(admin.token), payload: newAgent({ username: 'Agent.CD' }) });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('HOTLINE_ERR_USERNAME_TAKEN');
    });

    describe('bad bodies get 400 naming the field, and nothing is written', () => {
      const cases: [string, unknown, RegExp][] = [
        ['an unknown field', newAgent({ username: 'a.1', favouriteColour: 'red' }), /body\.favouriteColour: unknown field/],
        ['a number where a string belongs', newAgent({ username: 'a.2', servingRegion: 630102 }), /body\.servingRegion/],
        ['a proficiency outside 1–5', newAgent({ username: 'a.3', languages: { zh: 6 } }), /body\.languages\.zh/],
        ['a proficiency that is not a number', newAgent({ username: 'a.4', topics: { labour: 'high' } }), /body\.topics\.labour/],
        ['an unknown language', newAgent({ username: 'a.5', languages: { klingon: 3 } }), /body\.languages/],
        ['no language at all', newAgent({ username: 'a.6', languages: {} }), /body\.languages: an agent must speak at least one language/],
        ['a missing field', { username: 'a.7', password: 'long-enough-1' }, /body\.displayName/],
        ['a short password', newAgent({ username: 'a.8', password: 'short' }), /body\.password: must be at least 8 characters/],
        ['a region outside the province', newAgent({ username: 'a.9', servingRegion: '110101' }), /body\.servingRegion: region 110101 is not in this province/],
        ['an overlong name', newAgent({ username: 'a.10', displayName: '名'.repeat(101) }), /body\.displayName/],
      ];
      it.each(cases)('%s', async (_name, payload, message) => {
        const before = await agentCount();
        const res = await t.app.inject({ method: 'POST', url: '/api/agents', headers: bearer(admin.token), payload: payload as object });
        expect(res.statusCode).toBe(400);
        expect(res.json().message).toMatch(message);
        expect(await agentCount()).toBe(before);
      });

      it('malformed JSON', async () => {
        const before = await agentCount();
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/agents',
          headers: { ...bearer(admin.token), 'content-type': 'application/json' },
          payload: '{"username": "a.11", "password": ',
        });
        expect(res.statusCode).toBe(400);
        expect(res.json().message).toMatch(/^body: malformed JSON/);
        expect(await agentCount()).toBe(before);
      });

      it('an oversized body is refused with 413 before it is read', async () => {
        const before = await agentCount();
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/agents',
          headers: bearer(admin.token),
          payload: newAgent({ username: 'a.12', displayName: 'x'.repeat(100 * 1024) }),
        });
        expect(res.statusCode).toBe(413);
        expect(res.json().message).toMatch(/body/i);
        expect(await agentCount()).toBe(before);
      });
    });
  });

  describe('PATCH /api/agents/:id', () => {
    it('refuses a prefecture supervisor changing another prefecture\'s agent, and changes nothing', async () => {
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/agents/${leduAgent.id}`,
        headers: bearer(xiningSup.token),
        payload: { languages: { zh: 1 } },
      });
      expect(res.statusCode).toBe(403);
      const row = await t.app.db.selectFrom('agents').select('languages').where('id', '=', leduAgent.id).executeTakeFirstOrThrow();
      expect(row.languages).toEqual({ zh: 4, bo: 5 });
    });

    it('refuses moving an agent out of the supervisor\'s area', async () => {
      const res = await t.app.inject({ method: 'PATCH', url: `/api/agents/${chengdongAgent.id}`, headers: bearer(xiningSup.token), payload: { servingRegion: '630202' } });
      expect(res.statusCode).toBe(403);
    });

    it('lets a supervisor move an agent within their area and change skills, and audits it', async () => {
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/agents/${chengdongAgent.id}`,
        headers: bearer(xiningSup.token),
        payload: { servingRegion: '630106', topics: { labour: 5, marriage_family: 4 } },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ servingRegion: '630106', topics: { labour: 5, marriage_family: 4 }, languages: { zh: 5 } });
      const audit = await t.app.db.selectFrom('audit_log').selectAll().where('entity_id', '=', chengdongAgent.id).execute();
      expect(audit).toMatchObject([{ action: 'agent.update', details: { fields: ['servingRegion', 'topics'], from: { servingRegion: '630102' } } }]);
    });

    it('accepts a former region code and stores the current one', async () => {
      const res = await t.app.inject({ method: 'PATCH', url: `/api/agents/${chengdongAgent.id}`, headers: bearer(xiningSup.token), payload: { servingRegion: '630122' } });
      expect(res.statusCode).toBe(200);
      expect(res.json().servingRegion).toBe('630106');
    });

    it('refuses an agent, even on their own profile', async () => {
      const res = await t.app.inject({ method: 'PATCH', url: `/api/agents/${chengdongAgent.id}`, headers: bearer(chengdongAgent.token), payload: { topics: { criminal: 5 } } });
      expect(res.statusCode).toBe(403);
    });

    it('refuses an empty change and an unknown field with 400', async () => {
      const empty = await t.app.inject({ method: 'PATCH', url: `/api/agents/${leduAgent.id}`, headers: bearer(admin.token), payload: {} });
      expect(empty.statusCode).toBe(400);
      expect(empty.json().message).toMatch(/at least one field/);
      const unknown = await t.app.inject({ method: 'PATCH', url: `/api/agents/${leduAgent.id}`, headers: bearer(admin.token), payload: { passwordHash: 'x' } });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().message).toMatch(/body\.passwordHash: unknown field/);
    });

    it('answers 404 for an agent that does not exist', async () => {
      const res = await t.app.inject({ method: 'PATCH', url: '/api/agents/00000000-0000-4000-8000-000000000000', headers: bearer(admin.token), payload: { disabled: true } });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('HOTLINE_ERR_AGENT_NOT_FOUND');
    });
  });

  describe('GET /api/agents/:id', () => {
    it('lets an agent read their own profile but not a colleague\'s', async () => {
      const own = await t.app.inject({ method: 'GET', url: `/api/agents/${leduAgent.id}`, headers: bearer(leduAgent.token) });
      expect(own.statusCode).toBe(200);
      expect(own.json().username).toBe('agent.ledu');
      const other = await t.app.inject({ method: 'GET', url: `/api/agents/${chengdongAgent.id}`, headers: bearer(leduAgent.token) });
      expect(other.statusCode).toBe(403);
    });

    it('hides another prefecture\'s agent from a prefecture supervisor', async () => {
      const res = await t.app.inject({ method: 'GET', url: `/api/agents/${leduAgent.id}`, headers: bearer(xiningSup.token) });
      expect(res.statusCode).toBe(403);
      const own = await t.app.inject({ method: 'GET', url: `/api/agents/${leduAgent.id}`, headers: bearer(haidongSup.token) });
      expect(own.statusCode).toBe(200);
    });
  });
});
