import { sql } from 'kysely';
import { drawSql, inspectionDraw, isSampled } from '../../src/quality/sampling';
import { chinaDay } from '../../src/time/china-time';
import { bearer, startTestApp, type TestApp } from '../support/app';
import { setProvinceSettings } from '../support/province-settings';
import { insertAnsweredCall, insertTicket } from '../tickets/ticket-fixtures';

/**
 * Quality inspection (质检): the sample of answered calls' tickets (the province's inspection
 * rate), scoring against the province's form, the per-agent report, and the monthly report's
 * figures against the contract's targets. Scoped to the supervisor's area.
 */
describe('quality inspection (/api/quality/*) and the monthly targets', () => {
  let t: TestApp;
  type User = { id: string; token: string };
  let admin: User;
  let xining: User;
  let yushu: User;
  let agentXining: User;
  let agentXining2: User;
  let agentYushu: User;
  let agentGolog: User;
  let phone = 0;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.addUser({ username: 'admin.qi', role: 'admin', region: '630000' });
    xining = await t.addUser({ username: 'sup.qi.xining', role: 'supervisor', region: '630100' });
    yushu = await t.addUser({ username: 'sup.qi.yushu', role: 'supervisor', region: '632700' });
    agentXining = await t.addUser({ username: 'agent.qi.xining', role: 'agent', region: '630102' });
    agentXining2 = await t.addUser({ username: 'agent.qi.xining2', role: 'agent', region: '630103' });
    agentYushu = await t.addUser({ username: 'agent.qi.yushu', role: 'agent', region: '632701' });
    agentGolog = await t.addUser({ username: 'agent.qi.golog', role: 'agent', region: '632621' });
  }, 120_000);
  afterAll(async () => t?.close());

  async function answered(regionCode: string, agentId: string | null, arrivedAt: string) {
    const callerNumber = `138${String(++phone).padStart(8, '0')}`;
    const callId = await insertAnsweredCall(t.app.db, { callerNumber, regionCode, agentId: agentId ?? agentXining.id, arrivedAt });
    const ticket = await insertTicket(t.app.db, { regionCode, agentId, callId, callerNumber, createdAt: arrivedAt });
    return { callId, ...ticket };
  }
  const setRate = async (rate: number | null) => {
    await setProvinceSettings(t.app, 'targets', { inspectionRate: rate });
    await t.app.serviceTargets.reload();
  };
  const get = (url: string, who: User) => t.app.inject({ method: 'GET', url, headers: bearer(who.token) });
  const score = (ticket: string, who: User, payload: Record<string, unknown>) => t.app.inject({ method: 'PUT', url: `/api/quality/inspections/${ticket}`, headers: bearer(who.token), payload });
  const FULL = { greeting: 15, legal_answer: 40, attitude: 25, ticket_completeness: 20 };

  it("serves the province's form: the four default criteria of 100 points and the inspection rate", async () => {
    const res = await get('/api/quality/form', xining);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      criteria: [
        { code: 'greeting', zh: '礼貌用语', en: 'Greeting and courtesy', max: 15 },
        { code: 'legal_answer', zh: '法律解答准确', en: 'Correctness of the legal answer', max: 40 },
        { code: 'attitude', zh: '服务态度', en: 'Attitude', max: 25 },
        { code: 'ticket_completeness', zh: '工单完整', en: 'Ticket completeness', max: 20 },
      ],
      maxTotal: 100,
      inspectionRate: 0.05,
    });
    expect((await get('/api/quality/form', agentXining)).statusCode).toBe(403);
  });

  it('lists as pending exactly the tickets whose draw is under the rate (the database and the service agree), only in the area', async () => {
    const month = '2026-02';
    const tickets = [];
    for (let i = 0; i < 40; i++) tickets.push(await answered('630102', agentXining.id, `2026-02-${String(1 + (i % 27)).padStart(2, '0')}T10:00:00+08:00`));
    const yushuTicket = await answered('632701', agentYushu.id, '2026-02-10T10:00:00+08:00');
    const { rows } = await sql<{ id: string; draw: number }>`select t.id, ${drawSql('t.id')} as draw from tickets t where t.id in (${sql.join(tickets.map((x) => x.id))})`.execute(t.app.db);
    for (const r of rows) expect(r.draw).toBeCloseTo(inspectionDraw(r.id), 12);

    await setRate(0.3);
    try {
      const listed = await get(`/api/quality/inspections?month=${month}&limit=500`, xining);
      expect(listed.statusCode).toBe(200);
      expect(listed.json()).toMatchObject({ month, rate: 0.3 });
      const ids = (listed.json().items as { ticket: { id: string; regionCode: string }; inspection: unknown }[]).map((i) => i.ticket.id).sort();
      const expected = tickets.filter((x) => isSampled(x.id, 0.3)).map((x) => x.id).sort();
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(40);
      expect(ids).toEqual(expected);
      expect(ids).not.toContain(yushuTicket.id);

      await setRate(1);
      const all = (await get(`/api/quality/inspections?month=${month}&limit=500`, yushu)).json().items as { ticket: { id: string } }[];
      expect(all.map((i) => i.ticket.id)).toEqual([yushuTicket.id]);
      const other = await get(`/api/quality/inspections?region=630100`, yushu);
      expect(other.statusCode).toBe(403);
      expect(other.json().code).toBe('HOTLINE_ERR_OUT_OF_SCOPE');
    } finally {
      await setRate(0.05);
    }
  });

  it('scores a ticket against the form: total kept, audited, listed as done and no longer pending; scoring again is audited with the earlier scores', async () => {
    await setRate(1);
    try {
      const x = await answered('630102', agentXining.id, '2026-03-05T09:00:00+08:00');
      const res = await score(x.number, xining, { scores: { greeting: 12, legal_answer: 35, attitude: 20, ticket_completeness: 18 }, comment: '法律依据引用准确，结束语可更规范' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        ticket: { id: x.id, number: x.number, regionCode: '630102' },
        agent: { username: 'agent.qi.xining' },
        inspection: { total: 85, maxTotal: 100, scores: { greeting: 12, legal_answer: 35, attitude: 20, ticket_completeness: 18 }, comment: '法律依据引用准确，结束语可更规范', sampled: true, inspector: 'sup.qi.xining' },
      });
      const pending = (await get('/api/quality/inspections?month=2026-03&limit=500', xining)).json().items as { ticket: { id: string } }[];
      expect(pending.map((i) => i.ticket.id)).not.toContain(x.id);
      const done = (await get('/api/quality/inspections?status=done&month=2026-03', xining)).json().items as { ticket: { id: string }; inspection: { total: number } }[];
      expect(done.find((i) => i.ticket.id === x.id)?.inspection.total).toBe(85);

      const again = await score(x.id, admin, { scores: { ...FULL, legal_answer: 30 } });
      expect(again.json().inspection).toMatchObject({ total: 90, inspector: 'admin.qi', comment: null });
      const audit = await t.app.db.selectFrom('audit_log').select(['action', 'actor_username', 'details']).where('entity_type', '=', 'ticket').where('entity_id', '=', x.id).where('action', '=', 'quality.inspection').orderBy('id').execute();
      expect(audit.map((a) => a.actor_username)).toEqual(['sup.qi.xining', 'admin.qi']);
      expect(audit[0]!.details).toMatchObject({ number: x.number, total: 85, maxTotal: 100, previous: null });
      expect(audit[1]!.details).toMatchObject({ total: 90, previous: { total: 85, scores: { legal_answer: 35 } } });
      expect(await t.app.db.selectFrom('quality_inspections').select('total').where('ticket_id', '=', x.id).execute()).toEqual([{ total: 90 }]);
    } finally {
      await setRate(0.05);
    }
  });

  it('refuses scores off the form naming the field in English and Chinese, another area, and a ticket without an agent', async () => {
    const x = await answered('630102', agentXining.id, '2026-03-06T09:00:00+08:00');
    const tooHigh = await score(x.id, xining, { scores: { ...FULL, legal_answer: 41 } });
    expect(tooHigh.statusCode).toBe(400);
    expect(tooHigh.json()).toMatchObject({ code: 'HOTLINE_ERR_VALIDATION', message: 'body.scores.legal_answer: must be a whole number from 0 to 40', messageZh: '请求内容有误：body.scores.legal_answer 应为 0 至 40 的整数' });
    const unknown = await score(x.id, xining, { scores: { ...FULL, smile: 5 } });
    expect(unknown.json()).toMatchObject({ message: expect.stringMatching(/^body\.scores\.smile: /), messageZh: expect.stringContaining('body.scores.smile 不是本省质检评分表中的评分项') });
    const missing = await score(x.id, xining, { scores: { greeting: 10 } });
    expect(missing.json()).toMatchObject({ message: 'body.scores: score every criterion (missing: legal_answer, attitude, ticket_completeness)', messageZh: expect.stringContaining('body.scores 须为每个评分项打分') });
    const fraction = await score(x.id, xining, { scores: { ...FULL, greeting: 7.5 } });
    expect(fraction.statusCode).toBe(400);
    expect(fraction.json().message).toMatch(/^body\.scores\.greeting: /);
    expect(fraction.json().messageZh).toMatch(/body\.scores\.greeting .*[\u4e00-\u9fff]/);
    const noScores = await score(x.id, xining, { comment: '好' });
    expect(noScores.json().message).toMatch(/^body\.scores: /);
    expect((await get('/api/quality/inspections?status=later', xining)).json().message).toMatch(/^querystring\.status: /);
    expect(await t.app.db.selectFrom('quality_inspections').select('id').where('ticket_id', '=', x.id).execute()).toEqual([]);

    const y = await answered('632701', agentYushu.id, '2026-03-06T09:00:00+08:00');
    const outside = await score(y.id, xining, { scores: FULL });
    expect(outside.statusCode).toBe(403);
    expect(outside.json().code).toBe('HOTLINE_ERR_OUT_OF_SCOPE');
    const nobody = await insertTicket(t.app.db, { regionCode: '630102', agentId: null, outcome: 'callback' });
    const noAgent = await score(nobody.id, xining, { scores: FULL });
    expect(noAgent.statusCode).toBe(409);
    expect(noAgent.json()).toMatchObject({ code: 'HOTLINE_ERR_NOT_INSPECTABLE', messageZh: `工单 ${nobody.number} 没有接听坐席，无法质检` });
    expect((await score('QH-20260306-999999', xining, { scores: FULL })).statusCode).toBe(404);
    expect((await score(x.id, agentXining, { scores: FULL })).statusCode).toBe(403);
  });

  it("scores against the province's own form when it sets one", async () => {
    await setProvinceSettings(t.app, 'quality', { criteria: [{ code: 'opening', zh: '开场白', en: 'Opening', max: 10 }, { code: 'law', zh: '法律依据', en: 'Legal basis', max: 20 }] });
    await t.app.quality.settings.reload();
    try {
      expect((await get('/api/quality/form', xining)).json()).toMatchObject({ maxTotal: 30, criteria: [{ code: 'opening' }, { code: 'law' }] });
      const x = await answered('630102', agentXining.id, '2026-04-01T09:00:00+08:00');
      expect((await score(x.id, xining, { scores: FULL })).json().message).toMatch(/^body\.scores\.greeting: not a criterion/);
      expect((await score(x.id, xining, { scores: { opening: 8, law: 20 } })).json().inspection).toMatchObject({ total: 28, maxTotal: 30 });
    } finally {
      await setProvinceSettings(t.app, 'quality', {});
      await t.app.quality.settings.reload();
    }
  });

  it('reports per agent over a month: inspections, average total, per-criterion averages; scoped', async () => {
    const month = '2026-05';
    const a = await answered('630102', agentXining.id, '2026-05-04T09:00:00+08:00');
    const b = await answered('630102', agentXining.id, '2026-05-05T09:00:00+08:00');
    const c = await answered('630103', agentXining2.id, '2026-05-06T09:00:00+08:00');
    const d = await answered('632701', agentYushu.id, '2026-05-06T09:00:00+08:00');
    const outsideMonth = await answered('630102', agentXining.id, '2026-06-01T09:00:00+08:00');
    await score(a.id, xining, { scores: { greeting: 15, legal_answer: 40, attitude: 20, ticket_completeness: 10 } });
    await score(b.id, xining, { scores: { greeting: 10, legal_answer: 30, attitude: 25, ticket_completeness: 20 } });
    await score(c.id, xining, { scores: { greeting: 5, legal_answer: 20, attitude: 10, ticket_completeness: 5 } });
    await score(d.id, yushu, { scores: FULL });
    await score(outsideMonth.id, xining, { scores: { greeting: 0, legal_answer: 0, attitude: 0, ticket_completeness: 0 } });

    const res = await get(`/api/quality/agents?month=${month}`, xining);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.month).toBe(month);
    expect(body.criteria.map((x: { code: string }) => x.code)).toEqual(['greeting', 'legal_answer', 'attitude', 'ticket_completeness']);
    expect(body.items).toEqual([
      { agent: { id: agentXining.id, username: 'agent.qi.xining', displayName: 'agent.qi.xining' }, inspected: 2, averageTotal: 85, averageMaxTotal: 100, averageShare: 0.85, criteria: { greeting: 12.5, legal_answer: 35, attitude: 22.5, ticket_completeness: 15 } },
      { agent: { id: agentXining2.id, username: 'agent.qi.xining2', displayName: 'agent.qi.xining2' }, inspected: 1, averageTotal: 40, averageMaxTotal: 100, averageShare: 0.4, criteria: { greeting: 5, legal_answer: 20, attitude: 10, ticket_completeness: 5 } },
    ]);
    const theirs = (await get(`/api/quality/agents?month=${month}`, yushu)).json().items as { agent: { username: string } }[];
    expect(theirs.map((i) => i.agent.username)).toEqual(['agent.qi.yushu']);
    expect((await get(`/api/quality/agents?month=${month}`, admin)).json().items).toHaveLength(3);
    expect((await get(`/api/quality/agents?month=${month}&region=630102`, xining)).json().items.map((i: { agent: { username: string } }) => i.agent.username)).toEqual(['agent.qi.xining']);
    expect((await get(`/api/quality/agents?month=${month}&region=632700`, xining)).statusCode).toBe(403);
    const bad = await get('/api/quality/agents?month=2026-13', xining);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ message: 'querystring.month: must be a month YYYY-MM', messageZh: expect.stringContaining('querystring.month') });
  });

  it("adds the contract's figures to the monthly report — satisfaction, inspection rate, follow-up rate per region and in total, each against its target — leaving the other keys as they were", async () => {
    // Golog, this month: five answered calls rated 5, 4, 4, 1, 2 and one caller who gave up.
    const arrived = new Date(Date.now() - 120_000);
    const month = chinaDay(arrived).slice(0, 7);
    const calls = [];
    for (const s of [5, 4, 4, 1, 2]) {
      const x = await answered('632621', agentGolog.id, arrived.toISOString());
      await t.app.records.write({ op: 'survey', callId: x.callId, score: s, at: new Date() });
      calls.push(x);
    }
    await t.app.db
      .insertInto('calls')
      .values({ province_code: '630000', driver: 'sim', caller_number: '13800009999', region_code: '632621', status: 'ended', end_reason: 'abandoned', arrived_at: arrived, queued_at: arrived, ended_at: new Date(), wait_ms: 90_000 })
      .execute();
    // One inspected; one dissatisfied caller followed up in time, the other still open.
    await score(calls[0]!.id, admin, { scores: FULL });
    const followUp = await t.app.db.selectFrom('follow_ups').select('id').where('ticket_id', '=', calls[3]!.id).executeTakeFirstOrThrow();
    expect((await t.app.inject({ method: 'POST', url: `/api/follow-ups/${followUp.id}/outcome`, headers: bearer(admin.token), payload: { outcome: 'explained' } })).statusCode).toBe(200);

    const res = await get(`/api/reports/monthly?month=${month}&region=632600`, admin);
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report).toHaveProperty('rows');
    expect(report).toHaveProperty('ticketTypes');
    const golog = { answered: 5, surveyed: 5, satisfied: 3, satisfaction: 0.6, inspected: 1, inspectionRate: 0.2, dissatisfied: 2, followedUp: 1, followedUpLate: 0, followUpsOpen: 1, followUpRate: 0.5, met: { satisfaction: false, inspectionRate: true, followUpRate: false } };
    expect(report.serviceQuality).toEqual({ targets: { satisfaction: 0.9, inspectionRate: 0.05, followUpRate: 1 }, total: golog, byRegion: [{ regionCode: '632621', ...golog }] });

    // Scoped like the rest of the report.
    expect((await get(`/api/reports/monthly?month=${month}&region=632600`, xining)).statusCode).toBe(403);
    const theirs = (await get(`/api/reports/monthly?month=${month}`, xining)).json().serviceQuality;
    expect(theirs.byRegion.map((r: { regionCode: string }) => r.regionCode)).not.toContain('632621');
  });
});
