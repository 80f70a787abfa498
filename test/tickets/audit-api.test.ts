import { jsonb } from '../../src/db/json';
import { bearer, startTestApp, type TestApp } from '../support/app';
import { addOrganisationAccount, insertTicket } from './ticket-fixtures';

type User = { id: string; token: string };
type Entry = { id: number; at: string; action: string; entityType: string; entityId: string; actor: { id: string; username: string; role: string } | null; details: Record<string, unknown> };

describe('GET /api/audit', () => {
  let t: TestApp;
  let admin: User;
  let supervisor: User;
  let agent: User;
  let centre: User;
  let ticket: { id: string; number: string };

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.addUser({ username: 'admin1', role: 'admin', region: '630000' });
    supervisor = await t.addUser({ username: 'sup.haidong', role: 'supervisor', region: '630200' });
    agent = await t.addUser({ username: 'agent.ledu', role: 'agent', region: '630202' });
    centre = await addOrganisationAccount(t, 'la.ledu', 'LA-630202');
    ticket = await insertTicket(t.app.db, { regionCode: '630202', agentId: agent.id, callerNumber: '13519712345', summary: '土地承包纠纷' });
  });
  afterAll(() => t.close());

  const get = (url: string, who: User) => t.app.inject({ method: 'GET', url, headers: bearer(who.token) });
  const itemsOf = (res: { json(): { items: Entry[] } }) => res.json().items;

  it('shows the admin the audit row a ticket read wrote: who, what, when', async () => {
    const before = Date.now();
    expect((await get(`/api/tickets/${ticket.id}`, agent)).statusCode).toBe(200);

    const res = await get(`/api/audit?entityType=ticket&entityId=${ticket.id}&action=ticket.read`, admin);
    expect(res.statusCode).toBe(200);
    expect(res.json().total).toBe(1);
    const [entry] = itemsOf(res);
    expect(entry).toMatchObject({
      action: 'ticket.read',
      entityType: 'ticket',
      entityId: ticket.id,
      actor: { id: agent.id, username: 'agent.ledu', role: 'agent' },
      requestId: expect.any(String),
      details: { number: ticket.number },
    });
    expect(new Date(entry!.at).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(JSON.stringify(entry)).not.toContain('13519712345');
  });

  it('lists newest first and filters by actor and action, with paging', async () => {
    await get(`/api/tickets/${ticket.id}`, supervisor);
    await t.app.inject({ method: 'PATCH', url: `/api/tickets/${ticket.id}`, headers: bearer(supervisor.token), payload: { riskFlag: true } });

    const all = itemsOf(await get(`/api/audit?entityId=${ticket.id}`, admin));
    expect(all.map((e) => e.action)).toEqual(['ticket.update', 'ticket.read', 'ticket.read']);
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => b - a));

    const bySupervisor = itemsOf(await get(`/api/audit?actorId=${supervisor.id}`, admin));
    expect(bySupervisor.map((e) => e.action)).toEqual(['ticket.update', 'ticket.read']);
    expect(bySupervisor[0]!.details).toMatchObject({ changes: { riskFlag: { from: false, to: true } } });

    const page = await get(`/api/audit?entityId=${ticket.id}&limit=1&offset=1`, admin);
    expect(page.json()).toMatchObject({ total: 3, items: [{ action: 'ticket.read', actor: { id: supervisor.id } }] });
  });

  it('filters by China Standard Time days', async () => {
    // 23:30 on 1 March in China is 15:30 UTC the same day; 00:30 on 2 March is 16:30 UTC on 1 March.
    for (const [at, entityId] of [
      ['2026-03-01T23:30:00+08:00', 'day-1-late'],
      ['2026-03-02T00:30:00+08:00', 'day-2-early'],
    ] as const) {
      await t.app.db.insertInto('audit_log').values({ at, action: 'test.event', entity_type: 'test', entity_id: entityId, details: jsonb({}) }).execute();
    }
    const day1 = itemsOf(await get('/api/audit?action=test.event&from=2026-03-01&to=2026-03-01', admin));
    expect(day1.map((e) => e.entityId)).toEqual(['day-1-late']);
    const day2 = itemsOf(await get('/api/audit?action=test.event&from=2026-03-02', admin));
    expect(day2.map((e) => e.entityId)).toEqual(['day-2-early']);
    expect(day2[0]!.actor).toBeNull();
  });

  it('is for admins only', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/audit' })).statusCode).toBe(401);
    for (const who of [supervisor, agent, centre]) {
      const res = await get('/api/audit', who);
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('HOTLINE_ERR_FORBIDDEN_ROLE');
    }
  });

  it('names each bad query parameter', async () => {
    const res = await get('/api/audit?actorId=bob&limit=1000&from=2026-3-1&action=DROP%20TABLE&who=me', admin);
    expect(res.statusCode).toBe(400);
    expect(res.json().details.map((d: { field: string }) => d.field)).toEqual(
      expect.arrayContaining(['querystring.actorId', 'querystring.limit', 'querystring.from', 'querystring.action', 'querystring.who']),
    );
    expect((await get('/api/audit?from=2026-03-02&to=2026-03-01', admin)).json().message).toMatch(/querystring\.to/);
  });
});
