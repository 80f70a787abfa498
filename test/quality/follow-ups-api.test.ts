import { followUpDueAt } from '../../src/quality/follow-ups-repository';
import { applyRecord, ticketIdForCall } from '../../src/records/record-ops';
import { bearer, startTestApp, type TestApp } from '../support/app';
import { setProvinceSettings } from '../support/province-settings';
import { insertAnsweredCall, insertTicket } from '../tickets/ticket-fixtures';
import { BoardSocket } from '../supervisors/board-socket';

/**
 * Follow-ups of dissatisfied callers (回访): a survey of 1 or 2 puts the ticket on the list of
 * the supervisors of its area, due one working day later; they book a callback and record how
 * it ended. Everything scoped and audited.
 */
describe('follow-ups (/api/follow-ups)', () => {
  let t: TestApp;
  type User = { id: string; token: string };
  let admin: User;
  let xining: User;
  let yushu: User;
  let agentXining: User;
  let agentYushu: User;
  let phone = 0;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.addUser({ username: 'admin.fu', role: 'admin', region: '630000' });
    xining = await t.addUser({ username: 'sup.fu.xining', role: 'supervisor', region: '630100' });
    yushu = await t.addUser({ username: 'sup.fu.yushu', role: 'supervisor', region: '632700' });
    agentXining = await t.addUser({ username: 'agent.fu.xining', role: 'agent', region: '630102' });
    agentYushu = await t.addUser({ username: 'agent.fu.yushu', role: 'agent', region: '632701' });
  }, 120_000);
  afterAll(async () => t?.close());

  /** An answered call with its ticket, as the call flow leaves them, then the caller's survey through the records outbox. */
  async function surveyed(regionCode: string, agentId: string, score: number, at = new Date()) {
    const callerNumber = `139${String(++phone).padStart(8, '0')}`;
    const callId = await insertAnsweredCall(t.app.db, { callerNumber, regionCode, agentId, arrivedAt: new Date(at.getTime() - 600_000).toISOString() });
    const ticket = await insertTicket(t.app.db, { regionCode, agentId, callId, callerNumber, createdAt: new Date(at.getTime() - 500_000).toISOString() });
    await t.app.records.write({ op: 'survey', callId, score, at });
    return { callId, ticket, callerNumber };
  }
  const followUpOf = (ticketId: string) => t.app.db.selectFrom('follow_ups').selectAll().where('ticket_id', '=', ticketId).execute();
  const get = (url: string, who: User) => t.app.inject({ method: 'GET', url, headers: bearer(who.token) });
  const post = (url: string, who: User, payload?: Record<string, unknown>) => t.app.inject({ method: 'POST', url, headers: bearer(who.token), ...(payload !== undefined ? { payload } : {}) });

  it('puts a ticket whose caller scored 1 or 2 on the follow-up list once, due one working day after the survey; 3 and above are not', async () => {
    // Friday 2026-03-06 15:00 China time, the Monday after a holiday: due Tuesday 15:00.
    await setProvinceSettings(t.app, 'referrals', { holidays: ['2026-03-09'] });
    const friday = new Date('2026-03-06T15:00:00+08:00');
    const low = await surveyed('630102', agentXining.id, 1, friday);
    const rows = await followUpOf(low.ticket.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ reason: 'dissatisfied', survey_score: 1, status: 'open', outcome: null });
    expect(rows[0]!.due_at.toISOString()).toBe(new Date('2026-03-10T15:00:00+08:00').toISOString());
    expect(rows[0]!.due_at).toEqual(followUpDueAt(friday, { holidays: ['2026-03-09'], workingWeekends: [] }));

    // The same survey again, as the records journal applies a write it kept, and a second score: still one.
    await applyRecord(t.app.db, { op: 'survey', callId: low.callId, score: 1, at: friday });
    await applyRecord(t.app.db, { op: 'survey', callId: low.callId, score: 2, at: new Date() });
    expect(await followUpOf(low.ticket.id)).toHaveLength(1);

    const two = await surveyed('630102', agentXining.id, 2);
    expect(await followUpOf(two.ticket.id)).toHaveLength(1);
    for (const score of [3, 4, 5]) {
      const fine = await surveyed('630102', agentXining.id, score);
      expect(await followUpOf(fine.ticket.id)).toEqual([]);
      expect((await t.app.db.selectFrom('tickets').select('survey_score').where('id', '=', fine.ticket.id).executeTakeFirstOrThrow()).survey_score).toBe(score);
    }
    await setProvinceSettings(t.app, 'referrals', {});
  });

  it('follows up a survey that was written before its ticket (two nodes\' outboxes after an outage)', async () => {
    const callId = await insertAnsweredCall(t.app.db, { callerNumber: '13912340000', regionCode: '632701', agentId: agentYushu.id, arrivedAt: new Date(Date.now() - 600_000).toISOString() });
    await applyRecord(t.app.db, { op: 'survey', callId, score: 1, at: new Date() });
    const ticketId = ticketIdForCall(callId);
    await applyRecord(t.app.db, { op: 'ticket.open', callId, ticketId, provinceCode: '630000', prefix: 'QH', agentId: agentYushu.id, at: new Date() });
    expect(await followUpOf(ticketId)).toHaveLength(1);
    expect((await t.app.db.selectFrom('survey_responses').select('ticket_id').where('call_id', '=', callId).executeTakeFirstOrThrow()).ticket_id).toBe(ticketId);
    // Opened again (a replay): nothing more.
    await applyRecord(t.app.db, { op: 'ticket.open', callId, ticketId, provinceCode: '630000', prefix: 'QH', agentId: agentYushu.id, at: new Date() });
    expect(await followUpOf(ticketId)).toHaveLength(1);
  });

  it('lists follow-ups for the supervisors of their area only; admins see all; another area is 403', async () => {
    const x = await surveyed('630102', agentXining.id, 1);
    const y = await surveyed('632701', agentYushu.id, 2);
    const numbers = async (who: User, query = '') => {
      const res = await get(`/api/follow-ups${query}`, who);
      expect(res.statusCode).toBe(200);
      return (res.json().items as { ticket: { number: string; regionCode: string } }[]).map((i) => i.ticket);
    };
    const seenByXining = await numbers(xining);
    expect(seenByXining.map((i) => i.number)).toContain(x.ticket.number);
    expect(seenByXining.map((i) => i.number)).not.toContain(y.ticket.number);
    expect(seenByXining.every((i) => i.regionCode.startsWith('6301'))).toBe(true);
    const seenByYushu = await numbers(yushu);
    expect(seenByYushu.map((i) => i.number)).toContain(y.ticket.number);
    expect(seenByYushu.map((i) => i.number)).not.toContain(x.ticket.number);
    expect((await numbers(admin)).map((i) => i.number)).toEqual(expect.arrayContaining([x.ticket.number, y.ticket.number]));

    const outside = await get('/api/follow-ups?region=632700', xining);
    expect(outside.statusCode).toBe(403);
    expect(outside.json()).toMatchObject({ code: 'HOTLINE_ERR_OUT_OF_SCOPE', messageZh: expect.stringContaining('不在您的管辖范围') });
    const [id] = (await t.app.db.selectFrom('follow_ups').select('id').where('ticket_id', '=', y.ticket.id).execute()).map((r) => r.id);
    expect((await get(`/api/follow-ups/${id}`, xining)).statusCode).toBe(403);
    expect((await post(`/api/follow-ups/${id}/callback`, xining)).statusCode).toBe(403);
    expect((await post(`/api/follow-ups/${id}/outcome`, xining, { outcome: 'resolved' })).statusCode).toBe(403);
    expect((await get('/api/follow-ups', agentXining)).statusCode).toBe(403);
  });

  it('filters open, overdue and done, and the wallboard counts the overdue ones per region', async () => {
    const late = await surveyed('632722', agentYushu.id, 1);
    const [row] = await followUpOf(late.ticket.id);
    await t.app.db.updateTable('follow_ups').set({ due_at: new Date(Date.now() - 3600_000) }).where('id', '=', row!.id).execute();
    const ids = async (status: string) => ((await get(`/api/follow-ups?status=${status}`, yushu)).json().items as { id: string; overdue: boolean }[]);
    expect((await ids('overdue')).map((i) => i.id)).toContain(row!.id);
    expect((await ids('overdue')).every((i) => i.overdue)).toBe(true);
    expect((await ids('open')).map((i) => i.id)).toContain(row!.id);
    expect((await ids('done')).map((i) => i.id)).not.toContain(row!.id);

    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const board = await BoardSocket.open(`http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`, yushu.token);
    try {
      await t.app.wallboard.refresh();
      const b = await board.board((x) => x.root.overdueFollowUps >= 1, 10_000);
      expect(b.regions['632722']!.overdueFollowUps).toBe(1);
      expect(b.regions['632701']!.overdueFollowUps).toBe(0);
    } finally {
      board.close();
    }

    const closed = await post(`/api/follow-ups/${row!.id}/outcome`, yushu, { outcome: 'explained', note: '已向来电人解释政策' });
    expect(closed.statusCode).toBe(200);
    expect((await ids('done')).map((i) => i.id)).toContain(row!.id);
    expect((await ids('overdue')).map((i) => i.id)).not.toContain(row!.id);
  });

  it('books a callback (reason follow_up) for one, once while it is still to be made; audited', async () => {
    const x = await surveyed('630103', agentXining.id, 1);
    const [row] = await followUpOf(x.ticket.id);
    const res = await post(`/api/follow-ups/${row!.id}/callback`, xining);
    expect(res.statusCode).toBe(200);
    const view = res.json();
    expect(view.callback).toMatchObject({ id: expect.any(String), status: expect.stringMatching(/^(pending|queued)$/) });
    const callback = await t.app.db.selectFrom('callbacks').selectAll().where('id', '=', view.callback.id).executeTakeFirstOrThrow();
    expect(callback).toMatchObject({ reason: 'follow_up', ticket_id: x.ticket.id, caller_number: x.callerNumber, region_code: '630103', origin_call_id: x.callId });

    const again = await post(`/api/follow-ups/${row!.id}/callback`, xining);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'HOTLINE_ERR_FOLLOW_UP_CALLBACK_OPEN', messageZh: expect.stringContaining('尚未完成的回拨') });
    const audit = await t.app.db.selectFrom('audit_log').selectAll().where('entity_type', '=', 'follow_up').where('entity_id', '=', row!.id).execute();
    expect(audit.map((a) => a.action)).toEqual(['follow_up.callback']);
    expect(audit[0]).toMatchObject({ actor_username: 'sup.fu.xining', details: { ticket: x.ticket.number, callbackId: view.callback.id } });

    // Also listed among the supervisors' callbacks, with its reason.
    const listed = await get('/api/callbacks', xining);
    expect((listed.json().items as { id: string; reason: string }[]).find((c) => c.id === view.callback.id)?.reason).toBe('follow_up');
  });

  it('records the outcome and closes it: the callback still to be made is cancelled; a second outcome is 409; audited', async () => {
    const x = await surveyed('630102', agentXining.id, 2);
    const [row] = await followUpOf(x.ticket.id);
    const booked = (await post(`/api/follow-ups/${row!.id}/callback`, xining)).json();
    const res = await post(`/api/follow-ups/${row!.id}/outcome`, xining, { outcome: 'resolved', note: '已回电，来电人表示问题已解决' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'done', outcome: 'resolved', note: '已回电，来电人表示问题已解决', doneBy: 'sup.fu.xining', overdue: false, callback: { status: 'cancelled' } });
    expect((await t.app.db.selectFrom('callbacks').select(['status', 'close_reason']).where('id', '=', booked.callback.id).executeTakeFirstOrThrow())).toEqual({ status: 'cancelled', close_reason: 'follow-up closed' });

    const again = await post(`/api/follow-ups/${row!.id}/outcome`, xining, { outcome: 'unreachable' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'HOTLINE_ERR_FOLLOW_UP_CLOSED', message: expect.stringContaining('resolved'), messageZh: expect.stringContaining('已结束') });
    expect((await post(`/api/follow-ups/${row!.id}/callback`, xining)).statusCode).toBe(409);
    const audit = await t.app.db.selectFrom('audit_log').select(['action', 'details']).where('entity_type', '=', 'follow_up').where('entity_id', '=', row!.id).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['follow_up.callback', 'follow_up.outcome']);
    expect(audit[1]!.details).toMatchObject({ outcome: 'resolved', late: false, cancelledCallback: booked.callback.id });
  });

  it('refuses bad input naming the field in English and Chinese', async () => {
    const status = await get('/api/follow-ups?status=later', xining);
    expect(status.statusCode).toBe(400);
    expect(status.json().message).toMatch(/^querystring\.status: /);
    expect(status.json().messageZh).toMatch(/querystring\.status/);
    expect(status.json().messageZh).toMatch(/[\u4e00-\u9fff]/);

    const x = await surveyed('630102', agentXining.id, 1);
    const [row] = await followUpOf(x.ticket.id);
    const outcome = await post(`/api/follow-ups/${row!.id}/outcome`, xining, { outcome: 'fixed' });
    expect(outcome.statusCode).toBe(400);
    expect(outcome.json()).toMatchObject({ code: 'HOTLINE_ERR_VALIDATION', message: expect.stringMatching(/^body\.outcome: /), messageZh: expect.stringMatching(/body\.outcome .*[\u4e00-\u9fff]/) });
    const extra = await post(`/api/follow-ups/${row!.id}/outcome`, xining, { outcome: 'resolved', by: 'me' });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().message).toMatch(/body\.by/);
    const id = await get('/api/follow-ups/not-a-uuid', xining);
    expect(id.statusCode).toBe(400);
    expect(id.json().message).toMatch(/^params\.id: must be a follow-up id/);
    const missing = await get('/api/follow-ups/00000000-0000-4000-8000-000000000000', xining);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().messageZh).toBe('回访不存在：00000000-0000-4000-8000-000000000000');
    // Nothing was closed by the refusals.
    expect((await followUpOf(x.ticket.id))[0]!.status).toBe('open');
  });
});
