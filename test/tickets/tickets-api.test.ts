import { Readable } from 'node:stream';
import { jsonb } from '../../src/db/json';
import { ticketsService } from '../../src/tickets/tickets-service';
import { bearer, startTestApp, type TestApp } from '../support/app';
import { parse } from 'csv-parse/sync';
import { addOrganisationAccount, insertAnsweredCall, insertTicket } from './ticket-fixtures';

type User = { id: string; token: string };
type TicketJson = { id: string; number: string; regionCode: string | null; callerNumber: string; [k: string]: unknown };

const BOM = '\uFEFF';
const EXPORT_HEADER = 'number,created_at,region_code,region_name,language,type,topic,outcome,risk_flag,summary,advice,survey_score,quality_score,agent_username,caller_number';
/** Yushu prefecture (玉树藏族自治州) and its counties. */
const YUSHU = ['632700', '632701', '632722', '632723', '632724', '632725', '632726'];

/** Commas, doubled quotes, a line break and Chinese: everything CSV must quote. */
const HARD_SUMMARY = '牧民工资拖欠三个月, 老板说 "下个月再说"\n第二行：已告知可向劳动监察投诉，并说明法律援助条件';
const HARD_ADVICE = '建议：1) 收集工资条、考勤记录；2) 拨打 12333,\r\n3) 申请法律援助 "农民工讨薪"';

describe('tickets API', () => {
  let t: TestApp;
  let admin: User;
  let provinceSup: User;
  let yushuSup: User;
  let haidongSup: User;
  let yushuAgent: User;
  let haidongAgent: User;
  let xiningAgent: User;
  let legalAidCentre: User;
  /** Fixtures of March 2026; tests that change tickets make their own in May. */
  const fx: Record<string, { id: string; number: string }> = {};

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.addUser({ username: 'admin1', role: 'admin', region: '630000' });
    provinceSup = await t.addUser({ username: 'sup.qinghai', role: 'supervisor', region: '630000' });
    yushuSup = await t.addUser({ username: 'sup.yushu', role: 'supervisor', region: '632700' });
    haidongSup = await t.addUser({ username: 'sup.haidong', role: 'supervisor', region: '630200' });
    yushuAgent = await t.addUser({ username: 'agent.yushu', role: 'agent', region: '632701', languages: { zh: 5, bo: 5 } });
    haidongAgent = await t.addUser({ username: 'agent.haidong', role: 'agent', region: '630202' });
    xiningAgent = await t.addUser({ username: 'agent.xining', role: 'agent', region: '630102' });
    legalAidCentre = await addOrganisationAccount(t, 'la.yushu', 'LA-632701');

    const db = t.app.db;
    // 00:30 China time on 10 March is still 9 March in UTC: the day filters must use China's day.
    const callId = await insertAnsweredCall(db, { callerNumber: '13519712345', regionCode: '632701', agentId: yushuAgent.id, arrivedAt: '2026-03-10T00:25:00+08:00' });
    fx.yushuAnswered = await insertTicket(db, {
      regionCode: '632701',
      agentId: yushuAgent.id,
      callerNumber: '13519712345',
      callId,
      summary: HARD_SUMMARY,
      advice: HARD_ADVICE,
      outcome: 'answered',
      surveyScore: 5,
      language: 'bo',
      createdAt: '2026-03-10T00:30:00+08:00',
    });
    await db.insertInto('survey_responses').values({ call_id: callId, ticket_id: fx.yushuAnswered.id, score: 5, created_at: '2026-03-10T00:36:00+08:00' }).execute();
    const centre = await db.selectFrom('organisations').select('id').where('code', '=', 'LA-632701').executeTakeFirstOrThrow();
    const referral = await db
      .insertInto('referrals')
      .values({ ticket_id: fx.yushuAnswered.id, kind: 'legal_aid', organisation_id: centre.id, status: 'accepted', eligibility: jsonb({ priorityGroup: 'migrant_worker' }), created_by: yushuAgent.id })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('referral_events').values({ referral_id: referral.id, at: '2026-03-10T00:40:00+08:00', actor: 'agent.yushu', type: 'created', note: null, data: jsonb({}) }).execute();
    await db.insertInto('referral_events').values({ referral_id: referral.id, at: '2026-03-10T09:15:00+08:00', actor: 'la.yushu', type: 'accepted', note: '已受理', data: jsonb({}) }).execute();

    // 07:00 China time on 11 March is still 10 March in UTC.
    fx.yushuReferred = await insertTicket(db, { regionCode: '632723', agentId: yushuAgent.id, callerNumber: '13700001234', type: 'help', topic: 'marriage_family', outcome: 'refer_legal_aid', riskFlag: true, summary: '家暴，申请人身安全保护令', createdAt: '2026-03-11T07:00:00+08:00' });
    fx.yushuFormula = await insertTicket(db, { regionCode: '632700', agentId: yushuAgent.id, callerNumber: '13519712345', type: 'complaint', topic: 'consumer', outcome: 'divert', summary: '=1+2', advice: '@SUM(A1)', createdAt: '2026-03-12T10:00:00+08:00' });
    fx.haidong = await insertTicket(db, { regionCode: '630202', agentId: haidongAgent.id, callerNumber: '13519712345', summary: '海东工资案，100% 拖欠', createdAt: '2026-03-09T23:30:00+08:00' });
    fx.xiningOpen = await insertTicket(db, { regionCode: '630102', agentId: xiningAgent.id, callerNumber: '13811112222', type: 'suggestion', outcome: null, summary: '工资 100 元 拖欠', createdAt: '2026-03-10T12:00:00+08:00' });
    // A ticket whose caller's region was never known belongs to the province as a whole.
    fx.unplaced = await insertTicket(db, { regionCode: null, agentId: xiningAgent.id, callerNumber: '13811112222', createdAt: '2026-03-13T12:00:00+08:00' });
  });
  afterAll(() => t.close());

  const get = (url: string, who: User) => t.app.inject({ method: 'GET', url, headers: bearer(who.token) });
  const patch = (url: string, who: User, payload: unknown) => t.app.inject({ method: 'PATCH', url, headers: bearer(who.token), payload: payload as object });
  const post = (url: string, who: User, payload: unknown) => t.app.inject({ method: 'POST', url, headers: bearer(who.token), payload: payload as object });
  const numbersOf = (res: { json(): { items: TicketJson[] } }) => res.json().items.map((i) => i.number).sort();
  /** The days of the shared fixtures; tickets made by later tests fall outside them. */
  const march = 'from=2026-03-01&to=2026-03-15';
  const auditRows = (action: string, entityId: string) =>
    t.app.db.selectFrom('audit_log').selectAll().where('action', '=', action).where('entity_id', '=', entityId).orderBy('id').execute();

  describe('GET /api/tickets', () => {
    it('shows an agent only their own tickets, with the caller number masked', async () => {
      const res = await get(`/api/tickets?${march}`, yushuAgent);
      expect(res.statusCode).toBe(200);
      expect(numbersOf(res)).toEqual([fx.yushuAnswered!.number, fx.yushuReferred!.number, fx.yushuFormula!.number].sort());
      const answered = res.json().items.find((i: TicketJson) => i.id === fx.yushuAnswered!.id);
      expect(answered).toMatchObject({ callerNumber: '135****2345', regionCode: '632701', regionName: '玉树市', summary: HARD_SUMMARY, agent: { username: 'agent.yushu' }, surveyScore: 5 });
    });

    it('shows a prefecture supervisor their subtree with whole numbers, and admins every ticket', async () => {
      const sup = await get(`/api/tickets?${march}`, yushuSup);
      expect(numbersOf(sup)).toEqual([fx.yushuAnswered!.number, fx.yushuReferred!.number, fx.yushuFormula!.number].sort());
      expect(sup.json().items.map((i: TicketJson) => i.callerNumber)).toContain('13519712345');

      const all = await get(`/api/tickets?${march}`, admin);
      expect(all.json().total).toBe(6);
      expect(numbersOf(all)).toContain(fx.unplaced!.number);
      // The provincial supervisor's area is the province, so unplaced tickets are theirs too.
      expect(numbersOf(await get(`/api/tickets?${march}`, provinceSup))).toContain(fx.unplaced!.number);
    });

    it('lists newest first and pages with the total of all matches', async () => {
      const first = await get(`/api/tickets?${march}&limit=2`, admin);
      expect(first.json()).toMatchObject({ total: 6, items: [{ number: fx.unplaced!.number }, { number: fx.yushuFormula!.number }] });
      const second = await get(`/api/tickets?${march}&limit=2&offset=2`, admin);
      expect(second.json().items.map((i: TicketJson) => i.number)).toEqual([fx.yushuReferred!.number, fx.xiningOpen!.number]);
    });

    it('filters by region subtree, topic, outcome and risk flag', async () => {
      expect(numbersOf(await get(`/api/tickets?${march}&region=632700&topic=marriage_family`, admin))).toEqual([fx.yushuReferred!.number]);
      expect(numbersOf(await get(`/api/tickets?${march}&region=632723`, yushuSup))).toEqual([fx.yushuReferred!.number]);
      expect(numbersOf(await get(`/api/tickets?${march}&outcome=divert`, admin))).toEqual([fx.yushuFormula!.number]);
      expect(numbersOf(await get(`/api/tickets?${march}&riskFlag=true`, admin))).toEqual([fx.yushuReferred!.number]);
      expect(numbersOf(await get(`/api/tickets?${march}&riskFlag=false&region=632700`, admin))).toEqual([fx.yushuAnswered!.number, fx.yushuFormula!.number].sort());
      // An agent's region narrows their own tickets; it never widens them.
      expect(numbersOf(await get(`/api/tickets?${march}&region=632723`, yushuAgent))).toEqual([fx.yushuReferred!.number]);
      expect(numbersOf(await get(`/api/tickets?${march}&region=630200`, yushuAgent))).toEqual([]);
    });

    it('filters by ticket type, one or several (comma-separated or repeated), and shows each ticket\'s type', async () => {
      expect(numbersOf(await get(`/api/tickets?${march}&type=complaint`, admin))).toEqual([fx.yushuFormula!.number]);
      expect(numbersOf(await get(`/api/tickets?${march}&type=help,complaint`, admin))).toEqual([fx.yushuReferred!.number, fx.yushuFormula!.number].sort());
      expect(numbersOf(await get(`/api/tickets?${march}&type=help&type=suggestion`, admin))).toEqual([fx.yushuReferred!.number, fx.xiningOpen!.number].sort());
      // Tickets written without a type are consultations.
      expect(numbersOf(await get(`/api/tickets?${march}&type=consultation`, admin))).toEqual([fx.yushuAnswered!.number, fx.haidong!.number, fx.unplaced!.number].sort());
      // The type narrows the caller's scope; it never widens it.
      expect(numbersOf(await get(`/api/tickets?${march}&type=suggestion`, yushuAgent))).toEqual([]);
      const items = (await get(`/api/tickets?${march}&region=632700`, yushuSup)).json().items as TicketJson[];
      expect(Object.fromEntries(items.map((i) => [i.number, i.type]))).toEqual({
        [fx.yushuAnswered!.number]: 'consultation',
        [fx.yushuReferred!.number]: 'help',
        [fx.yushuFormula!.number]: 'complaint',
      });
    });

    it('refuses a ticket type it does not know, naming the field in English and Chinese', async () => {
      const wrong = await get(`/api/tickets?${march}&type=help,praise`, admin);
      expect(wrong.statusCode).toBe(400);
      expect(wrong.json()).toMatchObject({
        code: 'HOTLINE_ERR_VALIDATION',
        message: 'querystring.type: must be one or more of consultation, help, complaint, suggestion, comma-separated (not praise)',
        messageZh: '请求内容有误：querystring.type 应为 consultation（咨询）、help（求助）、complaint（投诉）、suggestion（建议） 中的一个或几个，以逗号分隔（praise 不是工单类型）',
        details: [{ field: 'querystring.type', message: expect.any(String) }],
      });
      for (const query of ['type=', 'type=%E6%8A%95%E8%AF%89', 'type=help&type=praise']) {
        const res = await get(`/api/tickets?${march}&${query}`, admin);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ message: expect.stringMatching(/^querystring\.type: /), messageZh: expect.stringMatching(/^请求内容有误：querystring\.type 应为/) });
      }
    });

    it('takes from and to as whole China Standard Time days', async () => {
      // 10 March in China: 00:30 (9 March in UTC) and 12:00; not 07:00 on the 11th (10 March in UTC).
      const res = await get('/api/tickets?from=2026-03-10&to=2026-03-10', admin);
      expect(numbersOf(res)).toEqual([fx.yushuAnswered!.number, fx.xiningOpen!.number].sort());
      expect(numbersOf(await get('/api/tickets?to=2026-03-09', admin))).toEqual([fx.haidong!.number]);
    });

    it('searches summary and advice, matching % and _ literally', async () => {
      expect(numbersOf(await get(`/api/tickets?${march}&q=${encodeURIComponent('劳动监察')}`, admin))).toEqual([fx.yushuAnswered!.number]);
      expect(numbersOf(await get(`/api/tickets?${march}&q=${encodeURIComponent('12333')}`, admin))).toEqual([fx.yushuAnswered!.number]);
      // '100%' must not match '100 元' (an unescaped % would match anything after 100).
      expect(numbersOf(await get(`/api/tickets?${march}&q=${encodeURIComponent('100%')}`, admin))).toEqual([fx.haidong!.number]);
      expect(numbersOf(await get(`/api/tickets?${march}&q=${encodeURIComponent('1_0')}`, admin))).toEqual([]);
    });

    it('lets supervisors and admins find a caller by number, within their area; agents may not', async () => {
      expect(numbersOf(await get(`/api/tickets?callerNumber=13519712345`, admin))).toEqual([fx.yushuAnswered!.number, fx.yushuFormula!.number, fx.haidong!.number].sort());
      expect(numbersOf(await get(`/api/tickets?callerNumber=13519712345`, yushuSup))).toEqual([fx.yushuAnswered!.number, fx.yushuFormula!.number].sort());
      const agent = await get(`/api/tickets?callerNumber=13519712345`, yushuAgent);
      expect(agent.statusCode).toBe(403);
      expect(agent.json().code).toBe('HOTLINE_ERR_FORBIDDEN_ROLE');
      // The searched number is in the request URL; the request log masks it.
      expect(t.logs.some((l) => JSON.stringify(l).includes('135****2345'))).toBe(true);
      expect(JSON.stringify(t.logs)).not.toContain('13519712345');
    });

    it('refuses a region outside a supervisor\'s area with 403 and a region not in the province with 400', async () => {
      const outside = await get('/api/tickets?region=630200', yushuSup);
      expect(outside.statusCode).toBe(403);
      expect(outside.json().code).toBe('HOTLINE_ERR_OUT_OF_SCOPE');
      expect((await get('/api/tickets?region=630000', yushuSup)).statusCode).toBe(403);
      const unknown = await get('/api/tickets?region=110000', admin);
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json()).toMatchObject({ code: 'HOTLINE_ERR_UNKNOWN_REGION', message: expect.stringContaining('querystring.region') });
    });

    it('names each bad query parameter', async () => {
      const res = await get('/api/tickets?limit=501&from=2026-02-30&riskFlag=maybe&region=6327&outcome=won&topic=tax&colour=red', admin);
      expect(res.statusCode).toBe(400);
      const fields = res.json().details.map((d: { field: string }) => d.field);
      expect(fields).toEqual(expect.arrayContaining(['querystring.limit', 'querystring.from', 'querystring.riskFlag', 'querystring.region', 'querystring.outcome', 'querystring.topic', 'querystring.colour']));
      const backwards = await get('/api/tickets?from=2026-03-10&to=2026-03-01', admin);
      expect(backwards.statusCode).toBe(400);
      expect(backwards.json().message).toMatch(/querystring\.to: must be the same day as from or later/);
      expect((await get('/api/tickets?callerNumber=1351971234x', admin)).json().message).toMatch(/querystring\.callerNumber/);
    });
  });

  describe('GET /api/tickets/:id', () => {
    it('returns the ticket with its call, timeline, referrals with their events and the survey', async () => {
      const res = await get(`/api/tickets/${fx.yushuAnswered!.id}`, yushuSup);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.ticket).toMatchObject({ id: fx.yushuAnswered!.id, callerNumber: '13519712345', language: 'bo', advice: HARD_ADVICE, outcome: 'answered' });
      expect(body.call).toMatchObject({
        driver: 'sim',
        endReason: 'answered',
        arrivedAt: '2026-03-09T16:25:00.000Z',
        answeredAt: '2026-03-09T16:25:45.000Z',
        endedAt: '2026-03-09T16:30:45.000Z',
        waitMs: 25_000,
        talkMs: 300_000,
        recordingUrl: 'https://recordings.example.cn/calls/abc.wav',
      });
      expect(body.timeline.map((e: { type: string }) => e.type)).toEqual(['arrived', 'queued', 'offered', 'connected', 'ended']);
      expect(body.referrals).toEqual([
        expect.objectContaining({
          kind: 'legal_aid',
          status: 'accepted',
          organisation: expect.objectContaining({ name: '玉树藏族自治州玉树市法律援助中心' }),
          eligibility: { priorityGroup: 'migrant_worker' },
          events: [expect.objectContaining({ type: 'created', actor: 'agent.yushu' }), expect.objectContaining({ type: 'accepted', note: '已受理' })],
        }),
      ]);
      expect(body.survey).toEqual({ score: 5, at: '2026-03-09T16:36:00.000Z' });
    });

    it('shows the agent their own ticket with the number masked, and finds it by number too', async () => {
      const res = await get(`/api/tickets/${fx.yushuAnswered!.number}`, yushuAgent);
      expect(res.statusCode).toBe(200);
      expect(res.json().ticket).toMatchObject({ id: fx.yushuAnswered!.id, callerNumber: '135****2345' });
      expect(res.body).not.toContain('13519712345');
    });

    it('writes a ticket.read audit row for every read', async () => {
      const before = (await auditRows('ticket.read', fx.yushuReferred!.id)).length;
      await get(`/api/tickets/${fx.yushuReferred!.id}`, yushuAgent);
      const rows = await auditRows('ticket.read', fx.yushuReferred!.id);
      expect(rows).toHaveLength(before + 1);
      expect(rows.at(-1)).toMatchObject({ actor_id: yushuAgent.id, actor_role: 'agent', entity_type: 'ticket', details: { number: fx.yushuReferred!.number } });
    });

    it('refuses an agent another agent\'s ticket and a supervisor one outside their subtree, without auditing a read', async () => {
      const before = (await auditRows('ticket.read', fx.haidong!.id)).length;
      const agent = await get(`/api/tickets/${fx.haidong!.id}`, yushuAgent);
      expect(agent.statusCode).toBe(403);
      expect(agent.json()).toMatchObject({ code: 'HOTLINE_ERR_NOT_YOUR_TICKET', message: expect.stringContaining(fx.haidong!.number) });
      const sup = await get(`/api/tickets/${fx.haidong!.id}`, yushuSup);
      expect(sup.statusCode).toBe(403);
      expect(sup.json().code).toBe('HOTLINE_ERR_OUT_OF_SCOPE');
      // A prefecture supervisor's area does not hold tickets of unknown region either.
      expect((await get(`/api/tickets/${fx.unplaced!.id}`, yushuSup)).statusCode).toBe(403);
      expect(await auditRows('ticket.read', fx.haidong!.id)).toHaveLength(before);
      expect((await get(`/api/tickets/${fx.haidong!.id}`, haidongSup)).statusCode).toBe(200);
    });

    it('answers 404 for a ticket that does not exist', async () => {
      for (const id of ['6f1c1f9e-0000-4000-8000-000000000000', 'QH-20260310-999999', 'not-a-ticket']) {
        const res = await get(`/api/tickets/${id}`, admin);
        expect(res.statusCode).toBe(404);
        expect(res.json()).toMatchObject({ code: 'HOTLINE_ERR_TICKET_NOT_FOUND', messageZh: `工单不存在：${id}` });
      }
    });
  });

  describe('GET /api/tickets/:id/history', () => {
    it('gives the agent who owns a ticket every ticket of that caller, masked, and audits it', async () => {
      const res = await get(`/api/tickets/${fx.yushuAnswered!.id}/history`, yushuAgent);
      expect(res.statusCode).toBe(200);
      // Haidong's ticket is another agent's, in another prefecture, but it is this caller's history.
      expect(res.json()).toMatchObject({ callerNumber: '135****2345', total: 3 });
      expect(res.json().items.map((i: TicketJson) => i.number)).toEqual([fx.yushuFormula!.number, fx.yushuAnswered!.number, fx.haidong!.number]);
      expect(res.json().items.every((i: TicketJson) => i.callerNumber === '135****2345')).toBe(true);
      expect(await auditRows('ticket.history', fx.yushuAnswered!.id)).toEqual([expect.objectContaining({ actor_id: yushuAgent.id, details: { number: fx.yushuAnswered!.number, shown: 3 } })]);
    });

    it('keeps a supervisor\'s view of the history inside their subtree', async () => {
      const res = await get(`/api/tickets/${fx.yushuAnswered!.id}/history`, yushuSup);
      expect(res.json()).toMatchObject({ callerNumber: '13519712345', total: 2 });
      expect(numbersOf(res)).toEqual([fx.yushuAnswered!.number, fx.yushuFormula!.number].sort());
    });

    it('refuses an agent the history behind another agent\'s ticket', async () => {
      const res = await get(`/api/tickets/${fx.haidong!.id}/history`, yushuAgent);
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('HOTLINE_ERR_NOT_YOUR_TICKET');
    });
  });

  describe('PATCH /api/tickets/:id', () => {
    it('lets the agent change their own ticket and audits each field\'s old and new value, never the number', async () => {
      const own = await insertTicket(t.app.db, { regionCode: '632701', agentId: yushuAgent.id, callerNumber: '13522226789', summary: '初稿', outcome: null, createdAt: '2026-05-01T10:00:00+08:00' });
      const res = await patch(`/api/tickets/${own.id}`, yushuAgent, { summary: '工资拖欠，已解答', outcome: 'refer_mediation', riskFlag: true, topic: 'labour' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: own.id, summary: '工资拖欠，已解答', outcome: 'refer_mediation', riskFlag: true, callerNumber: '135****6789' });
      const row = await t.app.db.selectFrom('tickets').selectAll().where('id', '=', own.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ summary: '工资拖欠，已解答', outcome: 'refer_mediation', risk_flag: true });

      const audit = await auditRows('ticket.update', own.id);
      expect(audit).toHaveLength(1);
      // The topic was already labour: only real changes are recorded.
      expect(audit[0]!.details).toEqual({
        number: own.number,
        changes: { summary: { from: '初稿', to: '工资拖欠，已解答' }, outcome: { from: null, to: 'refer_mediation' }, riskFlag: { from: false, to: true } },
      });
      expect(JSON.stringify(audit[0])).not.toContain('13522226789');

      const cleared = await patch(`/api/tickets/${own.id}`, yushuSup, { outcome: null });
      expect(cleared.json().outcome).toBeNull();
      expect(await auditRows('ticket.update', own.id)).toHaveLength(2);
    });

    it('changes the ticket type and audits its old and new value', async () => {
      const own = await insertTicket(t.app.db, { regionCode: '632701', agentId: yushuAgent.id, summary: '对村委会征地补偿不满', createdAt: '2026-05-05T10:00:00+08:00' });
      expect((await get(`/api/tickets/${own.id}`, yushuAgent)).json().ticket.type).toBe('consultation');
      const res = await patch(`/api/tickets/${own.id}`, yushuAgent, { type: 'complaint' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: own.id, type: 'complaint', summary: '对村委会征地补偿不满' });
      expect((await get(`/api/tickets/${own.id}`, yushuSup)).json().ticket.type).toBe('complaint');
      expect(await auditRows('ticket.update', own.id)).toEqual([
        expect.objectContaining({ actor_id: yushuAgent.id, details: { number: own.number, changes: { type: { from: 'consultation', to: 'complaint' } } } }),
      ]);

      const bad = await patch(`/api/tickets/${own.id}`, yushuSup, { type: '表扬' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({
        code: 'HOTLINE_ERR_VALIDATION',
        message: expect.stringMatching(/^body\.type: .*consultation/),
        messageZh: expect.stringMatching(/^请求内容有误：body\.type 无效选项/),
        details: [expect.objectContaining({ field: 'body.type' })],
      });
      expect((await t.app.db.selectFrom('tickets').select('type').where('id', '=', own.id).executeTakeFirstOrThrow()).type).toBe('complaint');
      expect(await auditRows('ticket.update', own.id)).toHaveLength(1);
    });

    it('names the field at fault and changes nothing', async () => {
      const own = await insertTicket(t.app.db, { regionCode: '632701', agentId: yushuAgent.id, summary: '原文', createdAt: '2026-05-02T10:00:00+08:00' });
      const cases: [unknown, RegExp][] = [
        [{ summary: 'x'.repeat(4001) }, /body\.summary/],
        [{ advice: 'x'.repeat(4001) }, /body\.advice/],
        [{ outcome: 'won' }, /body\.outcome/],
        [{ topic: 'tax' }, /body\.topic/],
        [{ riskFlag: 'yes' }, /body\.riskFlag/],
        [{ summary: '改', callerNumber: '13000000000' }, /body\.callerNumber: unknown field/],
        [{}, /send at least one field to change/],
      ];
      for (const [payload, message] of cases) {
        const res = await patch(`/api/tickets/${own.id}`, yushuAgent, payload);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ code: 'HOTLINE_ERR_VALIDATION', message: expect.stringMatching(message) });
      }
      expect((await t.app.db.selectFrom('tickets').select('summary').where('id', '=', own.id).executeTakeFirstOrThrow()).summary).toBe('原文');
      expect(await auditRows('ticket.update', own.id)).toHaveLength(0);
    });

    it('refuses another agent\'s ticket and a ticket outside a supervisor\'s subtree with 403', async () => {
      const agent = await patch(`/api/tickets/${fx.haidong!.id}`, yushuAgent, { summary: '篡改' });
      expect(agent.statusCode).toBe(403);
      expect(agent.json().code).toBe('HOTLINE_ERR_NOT_YOUR_TICKET');
      const sup = await patch(`/api/tickets/${fx.haidong!.id}`, yushuSup, { summary: '篡改' });
      expect(sup.statusCode).toBe(403);
      expect(sup.json().code).toBe('HOTLINE_ERR_OUT_OF_SCOPE');
      expect((await t.app.db.selectFrom('tickets').select('summary').where('id', '=', fx.haidong!.id).executeTakeFirstOrThrow()).summary).toBe('海东工资案，100% 拖欠');
      expect(await auditRows('ticket.update', fx.haidong!.id)).toHaveLength(0);
    });
  });

  describe('POST /api/tickets/:id/quality', () => {
    it('stores the score and comment with the reviewer and the time, and audits it', async () => {
      const ticket = await insertTicket(t.app.db, { regionCode: '632722', agentId: yushuAgent.id, createdAt: '2026-05-03T10:00:00+08:00' });
      const res = await post(`/api/tickets/${ticket.id}/quality`, yushuSup, { score: 4, comment: '解答准确，未提示时效' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ qualityScore: 4, qualityComment: '解答准确，未提示时效', reviewer: { id: yushuSup.id, username: 'sup.yushu' }, reviewedAt: expect.any(String) });
      const row = await t.app.db.selectFrom('tickets').selectAll().where('id', '=', ticket.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ quality_score: 4, quality_comment: '解答准确，未提示时效', reviewed_by: yushuSup.id });
      expect(Date.now() - row.reviewed_at!.getTime()).toBeLessThan(60_000);
      expect(await auditRows('ticket.quality', ticket.id)).toEqual([expect.objectContaining({ actor_id: yushuSup.id, details: expect.objectContaining({ score: 4, previousScore: null }) })]);
    });

    it('refuses agents, supervisors outside the subtree and scores outside 1–5', async () => {
      const ticket = await insertTicket(t.app.db, { regionCode: '632722', agentId: yushuAgent.id, createdAt: '2026-05-04T10:00:00+08:00' });
      expect((await post(`/api/tickets/${ticket.id}/quality`, yushuAgent, { score: 5 })).statusCode).toBe(403);
      const outside = await post(`/api/tickets/${ticket.id}/quality`, haidongSup, { score: 5 });
      expect(outside.statusCode).toBe(403);
      expect(outside.json().code).toBe('HOTLINE_ERR_OUT_OF_SCOPE');
      for (const score of [0, 6, 3.5]) {
        const res = await post(`/api/tickets/${ticket.id}/quality`, yushuSup, { score });
        expect(res.statusCode).toBe(400);
        expect(res.json().message).toMatch(/body\.score/);
      }
      expect((await post(`/api/tickets/${ticket.id}/quality`, yushuSup, { score: 3, comment: 'x'.repeat(2001) })).json().message).toMatch(/body\.comment/);
      expect((await t.app.db.selectFrom('tickets').select('quality_score').where('id', '=', ticket.id).executeTakeFirstOrThrow()).quality_score).toBeNull();
    });
  });

  describe('GET /api/tickets/quality/sample', () => {
    it('samples only finished tickets in the supervisor\'s subtree, unreviewed unless asked otherwise', async () => {
      const reviewed = await insertTicket(t.app.db, { regionCode: '632724', agentId: yushuAgent.id, createdAt: '2026-03-20T10:00:00+08:00' });
      await post(`/api/tickets/${reviewed.id}/quality`, yushuSup, { score: 2 });

      const wholeMonth = 'from=2026-03-01&to=2026-03-31';
      const res = await get(`/api/tickets/quality/sample?n=100&${wholeMonth}`, yushuSup);
      expect(res.statusCode).toBe(200);
      expect(numbersOf(res)).toEqual([fx.yushuAnswered!.number, fx.yushuReferred!.number, fx.yushuFormula!.number].sort());
      const withReviewed = await get(`/api/tickets/quality/sample?n=100&unreviewedOnly=false&${wholeMonth}`, yushuSup);
      expect(numbersOf(withReviewed)).toEqual([fx.yushuAnswered!.number, fx.yushuReferred!.number, fx.yushuFormula!.number, reviewed.number].sort());

      // The province's sample leaves out the ticket without an outcome (Xining's, still open).
      const province = await get(`/api/tickets/quality/sample?n=100&${march}`, provinceSup);
      expect(numbersOf(province)).not.toContain(fx.xiningOpen!.number);
      expect(numbersOf(province)).toContain(fx.haidong!.number);

      const two = await get(`/api/tickets/quality/sample?n=2&${march}`, yushuSup);
      expect(two.json().items).toHaveLength(2);
      expect(two.json().items.every((i: TicketJson) => YUSHU.includes(i.regionCode!))).toBe(true);
    });

    it('refuses agents, regions outside the area and a bad n', async () => {
      expect((await get('/api/tickets/quality/sample', yushuAgent)).statusCode).toBe(403);
      expect((await get('/api/tickets/quality/sample?region=630200', yushuSup)).json().code).toBe('HOTLINE_ERR_OUT_OF_SCOPE');
      expect((await get('/api/tickets/quality/sample?n=101', yushuSup)).json().message).toMatch(/querystring\.n/);
    });
  });

  describe('GET /api/tickets/export.csv', () => {
    const exportCsv = (who: User, query = '') => get(`/api/tickets/export.csv${query ? `?${query}` : ''}`, who);
    /** The file as records, header first, after checking and removing the BOM. */
    const recordsOf = (body: string) => {
      expect(body.startsWith(BOM)).toBe(true);
      return parse(body.slice(BOM.length), { relax_quotes: false }) as string[][];
    };
    const asObjects = (records: string[][]) => records.slice(1).map((r) => Object.fromEntries(records[0]!.map((h, i) => [h, r[i]])));

    it('quotes commas, quotes and line breaks, and Chinese text survives the round trip', async () => {
      const res = await exportCsv(admin, `${march}&region=632701`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="tickets-\d{8}\.csv"$/);
      const records = recordsOf(res.body);
      expect(records[0]!.join(',')).toBe(EXPORT_HEADER);
      expect(records).toHaveLength(2);
      expect(asObjects(records)[0]).toEqual({
        number: fx.yushuAnswered!.number,
        created_at: '2026-03-10T00:30:00+08:00',
        region_code: '632701',
        region_name: '玉树市',
        language: 'bo',
        type: 'consultation',
        topic: 'labour',
        outcome: 'answered',
        risk_flag: 'false',
        summary: HARD_SUMMARY,
        advice: HARD_ADVICE,
        survey_score: '5',
        quality_score: '',
        agent_username: 'agent.yushu',
        caller_number: '13519712345',
      });
      // The text was quoted, not stripped: the raw file holds the doubled quotes.
      expect(res.body).toContain('"牧民工资拖欠三个月, 老板说 ""下个月再说""\n第二行');
    });

    it('keeps a cell that starts like a formula from running as one in Excel', async () => {
      const res = await exportCsv(admin, 'from=2026-03-12&to=2026-03-12');
      const row = asObjects(recordsOf(res.body))[0]!;
      expect(row).toMatchObject({ number: fx.yushuFormula!.number, summary: "'=1+2", advice: "'@SUM(A1)" });
    });

    it('gives a prefecture supervisor only their prefecture, with masked numbers', async () => {
      const res = await exportCsv(yushuSup);
      expect(res.statusCode).toBe(200);
      const rows = asObjects(recordsOf(res.body));
      expect(rows.length).toBeGreaterThanOrEqual(3);
      expect(rows.every((r) => YUSHU.includes(r.region_code!))).toBe(true);
      expect(rows.map((r) => r.number)).toEqual(expect.arrayContaining([fx.yushuAnswered!.number, fx.yushuReferred!.number, fx.yushuFormula!.number]));
      expect(rows.map((r) => r.number)).not.toContain(fx.haidong!.number);
      expect(rows.map((r) => r.number)).not.toContain(fx.unplaced!.number);
      expect(rows.find((r) => r.number === fx.yushuAnswered!.number)!.caller_number).toBe('135****2345');
      expect(res.body).not.toContain('13519712345');

      const outside = await exportCsv(yushuSup, 'region=630200');
      expect(outside.statusCode).toBe(403);
      expect(outside.json().code).toBe('HOTLINE_ERR_OUT_OF_SCOPE');
    });

    it('applies the list\'s filters', async () => {
      const rows = asObjects(recordsOf((await exportCsv(admin, `${march}&outcome=refer_legal_aid&riskFlag=true&topic=marriage_family`)).body));
      expect(rows.map((r) => r.number)).toEqual([fx.yushuReferred!.number]);
      const byType = asObjects(recordsOf((await exportCsv(admin, `${march}&type=help,complaint`)).body));
      expect(byType.map((r) => [r.number, r.type]).sort()).toEqual([[fx.yushuReferred!.number, 'help'], [fx.yushuFormula!.number, 'complaint']].sort());
      const empty = recordsOf((await exportCsv(admin, 'from=2020-01-01&to=2020-01-31')).body);
      expect(empty).toEqual([EXPORT_HEADER.split(',')]);
    });

    it('refuses agents and organisation accounts with 403', async () => {
      const agent = await exportCsv(yushuAgent);
      expect(agent.statusCode).toBe(403);
      expect(agent.json().code).toBe('HOTLINE_ERR_FORBIDDEN_ROLE');
      expect((await exportCsv(legalAidCentre)).statusCode).toBe(403);
    });

    it('audits the export with its filters and row count, the searched number masked', async () => {
      const res = await exportCsv(yushuSup, `${march}&callerNumber=13519712345`);
      expect(res.headers['x-export-rows']).toBe('2');
      const audit = await t.app.db.selectFrom('audit_log').selectAll().where('action', '=', 'tickets.export').where('actor_id', '=', yushuSup.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(audit).toMatchObject({
        entity_type: 'tickets',
        entity_id: '632700',
        details: { filters: { from: '2026-03-01', to: '2026-03-15', callerNumber: '135****2345' }, rows: 2, truncated: false },
      });
      expect(asObjects(recordsOf(res.body))).toHaveLength(2);
    });

    it('reads large exports in batches without losing or repeating a row, and stops at the cap', async () => {
      // Five tickets in the same microsecond: the batch boundary falls between equal times.
      const sameInstant = '2026-06-01T10:00:00.123456+08:00';
      const made = [];
      for (let i = 0; i < 5; i += 1) made.push(await insertTicket(t.app.db, { regionCode: '632725', agentId: yushuAgent.id, createdAt: sameInstant }));
      const read = async (maxRows: number) => {
        const service = ticketsService({ db: t.app.db, regions: t.app.regions, exportBatchRows: 2, exportMaxRows: maxRows });
        const actor = { id: admin.id, username: 'admin1', displayName: 'admin1', role: 'admin' as const, regionCode: '630000', tokenVersion: 0 };
        const out = await service.exportCsv(actor, { region: '632725' }, 'test-request');
        return { ...out, records: recordsOf(await text(out.body)) };
      };
      const whole = await read(100);
      expect(whole).toMatchObject({ rows: 5, truncated: false });
      expect(whole.records.slice(1).map((r) => r[0]).sort()).toEqual(made.map((m) => m.number).sort());
      const capped = await read(3);
      expect(capped).toMatchObject({ rows: 3, truncated: true });
      expect(capped.records).toHaveLength(4);
    });
  });

  describe('organisation accounts', () => {
    it('are refused every tickets route with 403', async () => {
      const id = fx.yushuAnswered!.id;
      const requests = [
        { method: 'GET' as const, url: '/api/tickets' },
        { method: 'GET' as const, url: `/api/tickets/${id}` },
        { method: 'GET' as const, url: `/api/tickets/${id}/history` },
        { method: 'PATCH' as const, url: `/api/tickets/${id}`, payload: { summary: '机构改写' } },
        { method: 'POST' as const, url: `/api/tickets/${id}/quality`, payload: { score: 1 } },
        { method: 'GET' as const, url: '/api/tickets/quality/sample' },
        { method: 'GET' as const, url: '/api/tickets/export.csv' },
      ];
      for (const request of requests) {
        const res = await t.app.inject({ ...request, headers: bearer(legalAidCentre.token) });
        expect({ url: request.url, status: res.statusCode, code: res.json().code }).toEqual({ url: request.url, status: 403, code: 'HOTLINE_ERR_FORBIDDEN_ROLE' });
      }
    });
  });

});

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}
