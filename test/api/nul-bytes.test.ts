import { bearer, startTestApp, type TestApp } from '../support/app';
import { insertTicket } from '../tickets/ticket-fixtures';

/**
 * PostgreSQL cannot store U+0000: a NUL anywhere in a query, the path or a JSON body is refused
 * with a 400 naming the field (in English and Chinese) on every route, and nothing is written.
 */
describe('NUL characters in requests', () => {
  let t: TestApp;
  let admin: { id: string; token: string };
  let agent: { id: string; token: string };
  let ticket: { id: string; number: string };

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.addUser({ username: 'admin.nul', role: 'admin', region: '630000' });
    agent = await t.addUser({ username: 'agent.nul', role: 'agent', region: '630102' });
    ticket = await insertTicket(t.app.db, { regionCode: '630102', agentId: agent.id, summary: '原来的摘要' });
  }, 120_000);
  afterAll(async () => t.close());

  const refusedNaming = (res: { statusCode: number; json: () => Record<string, unknown> }, field: string) => {
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'HOTLINE_ERR_VALIDATION',
      message: `${field}: must not contain NUL characters`,
      messageZh: expect.stringContaining(`${field} 不能包含空字符`),
      details: [{ field, message: 'must not contain NUL characters' }],
    });
  };
  const auditRows = async () => Number((await t.app.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  it('GET /api/tickets?q=%00 is a 400 naming querystring.q, not a database error', async () => {
    refusedNaming(await t.app.inject({ method: 'GET', url: '/api/tickets?q=%00', headers: bearer(admin.token) }), 'querystring.q');
    refusedNaming(await t.app.inject({ method: 'GET', url: '/api/tickets?q=wage%00arrears', headers: bearer(agent.token) }), 'querystring.q');
    // The same search without the NUL works.
    expect((await t.app.inject({ method: 'GET', url: '/api/tickets?q=wage', headers: bearer(admin.token) })).statusCode).toBe(200);
  });

  it('PATCH /api/tickets/:id with a NUL in the summary is a 400 naming body.summary, and the ticket is left as it was', async () => {
    const before = await auditRows();
    for (const token of [admin.token, agent.token]) {
      refusedNaming(await t.app.inject({ method: 'PATCH', url: `/api/tickets/${ticket.id}`, headers: bearer(token), payload: { summary: 'a\u0000b', advice: '建议' } }), 'body.summary');
    }
    const row = await t.app.db.selectFrom('tickets').select(['summary', 'advice']).where('id', '=', ticket.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ summary: '原来的摘要', advice: '' });
    expect(await auditRows()).toBe(before);
  });

  it('names nested fields, keys and path parameters the same way', async () => {
    refusedNaming(
      await t.app.inject({ method: 'PATCH', url: `/api/agents/${agent.id}`, headers: bearer(admin.token), payload: { languages: { zh: 5 }, displayName: 'x\u0000' } }),
      'body.displayName',
    );
    refusedNaming(await t.app.inject({ method: 'PATCH', url: `/api/tickets/${ticket.id}`, headers: bearer(admin.token), payload: { 'sum\u0000mary': 'x' } }), 'body.sum\\0mary');
    refusedNaming(await t.app.inject({ method: 'GET', url: '/api/calls/%00', headers: bearer(admin.token) }), 'params.id');
    refusedNaming(await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin.nul\u0000', password: 'x' } }), 'body.username');
    const profile = await t.app.db.selectFrom('agents').select('display_name').where('id', '=', agent.id).executeTakeFirstOrThrow();
    expect(profile.display_name).toBe('agent.nul');
  });
});
