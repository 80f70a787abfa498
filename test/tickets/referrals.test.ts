import { ReferralSweeper } from '../../src/tickets/referral-sweeper';
import { AgentSocket } from '../support/agent-socket';
import { bearer, startTestApp, type TestApp } from '../support/app';
import { ANY_HOUR, setProvinceSettings } from '../support/province-settings';

/**
 * Referrals on the real app: made by an agent from a ticket, routed to the organisation nearest
 * the caller, acted on by that organisation's own accounts, and watched for deadlines.
 */
describe('referrals', () => {
  let t: TestApp;
  let base: string;
  let admin: { id: string; token: string };
  let agent: { id: string; token: string };
  let yushuSupervisor: { id: string; token: string };
  let haidongSupervisor: { id: string; token: string };
  let ticketSeq = 0;

  beforeAll(async () => {
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    admin = await t.addUser({ username: 'admin.test', role: 'admin', region: '630000' });
    agent = await t.addUser({ username: 'agent.yushu', role: 'agent', region: '632700' });
    yushuSupervisor = await t.addUser({ username: 'sup.yushu', role: 'supervisor', region: '632700' });
    haidongSupervisor = await t.addUser({ username: 'sup.haidong', role: 'supervisor', region: '630200' });
    await setProvinceSettings(t.app, 'callbacks', ANY_HOUR);
  });
  afterAll(async () => t.close());

  /** A ticket of the agent's, for a caller in `region`. */
  async function ticket(region: string, callerNumber = '13897612345'): Promise<string> {
    const row = await t.app.db
      .insertInto('tickets')
      .values({ number: `QH-20261122-9${String(++ticketSeq).padStart(5, '0')}`, caller_number: callerNumber, region_code: region, language: 'zh', topic: 'labour', agent_id: agent.id })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }
  const refer = (ticketId: string, body: Record<string, unknown>, token = agent.token) =>
    t.app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/referrals`, headers: bearer(token), payload: body });
  const wages = { kind: 'legal_aid', eligibility: { matter: 'labour_wages_injury', groups: ['migrant_worker'] } };

  /** An organisation's own sign-in, made by the admin through the API. */
  async function orgAccount(code: string): Promise<string> {
    const username = `org.${code.toLowerCase()}`;
    const made = await t.app.inject({ method: 'POST', url: `/api/organisations/${code}/accounts`, headers: bearer(admin.token), payload: { username, password: 'org-password-1', displayName: code } });
    expect(made.statusCode).toBe(201);
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: 'org-password-1' } });
    return login.json().token;
  }
  const act = (id: string, token: string, body: Record<string, unknown>) => t.app.inject({ method: 'POST', url: `/api/referrals/${id}/events`, headers: bearer(token), payload: body });

  describe('routing to the organisation nearest the caller', () => {
    it("sends legal aid to the caller's county centre, recording the eligibility pre-check", async () => {
      const res = await refer(await ticket('632723'), wages);
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({
        kind: 'legal_aid',
        status: 'pending',
        organisation: { code: 'LA-632723' },
        eligibility: { article: '31', incomeTest: 'waived', verdict: 'likely_eligible', input: { groups: ['migrant_worker'] } },
      });
      const row = await t.app.db.selectFrom('referrals').selectAll().where('id', '=', res.json().id).executeTakeFirstOrThrow();
      expect(row.accept_due_at!.getTime()).toBeGreaterThan(Date.now());
      expect(row.close_due_at!.getTime() - row.created_at.getTime()).toBeCloseTo(30 * 86_400_000, -4);
    });

    it('falls back to the prefecture when the county has no centre, and to the province when neither has', async () => {
      await t.app.db.deleteFrom('organisations').where('code', '=', 'LA-632722').execute();
      expect((await refer(await ticket('632722'), wages)).json().organisation.code).toBe('LA-632700');

      await t.app.db.deleteFrom('organisations').where('code', 'in', ['LA-632621', 'LA-632600']).execute();
      expect((await refer(await ticket('632621'), wages)).json().organisation.code).toBe('LA-630000');
    });

    it("sends mediation to the county's people's mediation committee; diverts to a named department", async () => {
      expect((await refer(await ticket('632723'), { kind: 'mediation' })).json()).toMatchObject({ kind: 'mediation', organisation: { code: 'MC-632723' }, status: 'pending' });
      const diverted = await refer(await ticket('632723'), { kind: 'diversion', department: '12345 政务服务便民热线' });
      expect(diverted.json()).toMatchObject({ kind: 'diversion', department: '12345 政务服务便民热线', status: 'closed', organisation: null });
    });

    it('records an income above the standard as likely ineligible, and refuses bad answers naming the field', async () => {
      const res = await refer(await ticket('632723'), { kind: 'legal_aid', eligibility: { matter: 'support_maintenance', householdMonthlyIncomeYuan: 12_000, householdSize: 2 } });
      expect(res.json().eligibility).toMatchObject({ incomeTest: 'failed', verdict: 'likely_ineligible', incomePerPersonYuan: 6000, standardYuan: 2256 });
      const bad = await refer(await ticket('632723'), { kind: 'legal_aid', eligibility: { matter: 'alchemy' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toContain('eligibility.matter');
    });

    it("refuses an agent referring another agent's ticket", async () => {
      const other = await t.addUser({ username: 'agent.other', role: 'agent', region: '632700' });
      expect((await refer(await ticket('632723'), { kind: 'mediation' }, other.token)).statusCode).toBe(403);
    });
  });

  describe('the receiving organisations', () => {
    it("each sees only its own referrals: a mediation committee not a legal aid centre's, one county's centre not another's", async () => {
      const chenduo = await orgAccount('LA-632723');
      const zhiduo = await orgAccount('LA-632724');
      const mediation = await orgAccount('MC-632723');
      const mine = (await refer(await ticket('632723'), wages)).json().id;

      const list = async (token: string) => (await t.app.inject({ method: 'GET', url: '/api/referrals?limit=500', headers: bearer(token) })).json().items.map((r: { id: string }) => r.id);
      expect(await list(chenduo)).toContain(mine);
      expect(await list(zhiduo)).not.toContain(mine);
      expect(await list(mediation)).not.toContain(mine);
      for (const r of await t.app.inject({ method: 'GET', url: '/api/referrals?limit=500', headers: bearer(mediation) }).then((x) => x.json().items)) expect(r.kind).toBe('mediation');

      expect((await t.app.inject({ method: 'GET', url: `/api/referrals/${mine}`, headers: bearer(zhiduo) })).statusCode).toBe(403);
      expect((await act(mine, zhiduo, { type: 'accept' })).statusCode).toBe(403);
      expect((await act(mine, mediation, { type: 'accept' })).statusCode).toBe(403);
      // Hotline staff cannot act for the organisation either.
      expect((await act(mine, admin.token, { type: 'accept' })).statusCode).toBe(403);
    });

    it('moves through accept → progress → close, refuses forbidden transitions, and books a callback with the outcome', async () => {
      const centre = await orgAccount('LA-632725');
      const id = (await refer(await ticket('632725'), wages)).json().id;

      expect((await act(id, centre, { type: 'accept', note: '已指派律师' })).json()).toMatchObject({ status: 'accepted' });
      const twice = await act(id, centre, { type: 'accept' });
      expect(twice.statusCode).toBe(409);
      expect(twice.json().message).toBe('Cannot accept a referral that is accepted');
      expect((await act(id, centre, { type: 'decline', reason: '不属于受理范围' })).statusCode).toBe(409);
      expect((await act(id, centre, { type: 'progress', note: '已与用人单位协商' })).json()).toMatchObject({ status: 'in_progress' });
      const closeWithout = await act(id, centre, { type: 'close' });
      expect(closeWithout.statusCode).toBe(400);
      expect((await act(id, centre, { type: 'close', outcome: '追回工资 12,000 元' })).json()).toMatchObject({ status: 'closed', outcome: '追回工资 12,000 元' });
      expect((await act(id, centre, { type: 'progress', note: 'late' })).statusCode).toBe(409);

      const events = (await t.app.inject({ method: 'GET', url: `/api/referrals/${id}`, headers: bearer(centre) })).json().events.map((e: { type: string }) => e.type);
      expect(events).toEqual(['created', 'accept', 'progress', 'close']);
      const task = await t.app.db.selectFrom('callback_tasks').selectAll().where('referral_id', '=', id).executeTakeFirstOrThrow();
      expect(task).toMatchObject({ reason: 'referral_outcome', status: 'open', note: '追回工资 12,000 元' });

      // The sweeper books the callback; when it is due it goes into the queue for the caller's region.
      await t.app.referralSweeper.run();
      const queued = await t.app.db.selectFrom('callback_tasks').selectAll().where('id', '=', task.id).executeTakeFirstOrThrow();
      expect(queued.status).toBe('queued');
      const callback = await t.app.db.selectFrom('callbacks').selectAll().where('id', '=', queued.callback_id!).executeTakeFirstOrThrow();
      expect(callback).toMatchObject({ reason: 'referral_outcome', ticket_id: task.ticket_id });
      await t.app.callbacks.pass();
      const attempt = await t.app.db.selectFrom('callbacks').select(['status', 'attempt_id']).where('id', '=', callback.id).executeTakeFirstOrThrow();
      expect(attempt.status).toBe('queued');
      expect(t.app.router.liveCall(attempt.attempt_id!)).toMatchObject({ kind: 'callback', regionCode: '632725', origin: callback.id });
    });

    it('the outcome callback rings an agent of the caller\'s area and gets a ticket of its own, with the caller\'s history', async () => {
      const centre = await orgAccount('LA-632622');
      const original = await ticket('632622', '13897600777');
      const id = (await refer(original, wages)).json().id;
      await act(id, centre, { type: 'accept' });
      await act(id, centre, { type: 'close', outcome: '已出具法律援助决定书' });
      // Earlier tests' callbacks are still queued: clear them, so the one this test books is the one that rings.
      for (const c of t.app.router.snapshot().calls) await t.app.router.callerHangup(c.id);
      const banma = await t.addUser({ username: 'agent.banma', role: 'agent', region: '632622' });
      const desk = await AgentSocket.open(base, banma.token);
      try {
        await desk.answer(desk.send({ type: 'state.set', state: 'ready' }));
        await t.app.referralSweeper.run();
        await t.app.callbacks.pass();
        const offer = await desk.next('offer');
        expect(offer).toMatchObject({ call: { kind: 'callback', callerNumber: '138****0777', history: [{ ticketId: original }] } });
        await desk.answer(desk.send({ type: 'offer.accept', offerId: offer.offerId }));
        const own = (await desk.next('ticket')).ticket as { id: string; number: string; callId: string };
        expect(own.id).not.toBe(original);
        const call = await t.app.db.selectFrom('calls').selectAll().where('id', '=', own.callId).executeTakeFirstOrThrow();
        expect(call).toMatchObject({ direction: 'outbound', driver: 'callback', caller_number: '13897600777', region_code: '632622', agent_id: banma.id });
        await desk.answer(desk.send({ type: 'call.hangup', callId: own.callId }));
      } finally {
        desk.close();
      }
    });

    it('refuses closing a declined referral, and accepting two at once lets exactly one through', async () => {
      const centre = await orgAccount('LA-632726');
      const declined = (await refer(await ticket('632726'), wages)).json().id;
      expect((await act(declined, centre, { type: 'decline', reason: '申请人已委托律师' })).json()).toMatchObject({ status: 'declined', decline_reason: '申请人已委托律师' });
      const close = await act(declined, centre, { type: 'close', outcome: '调解成功' });
      expect(close.statusCode).toBe(409);
      expect(close.json().message).toBe('Cannot close a referral that is declined');

      const racing = (await refer(await ticket('632726'), wages)).json().id;
      const answers = await Promise.all([act(racing, centre, { type: 'accept' }), act(racing, centre, { type: 'accept' })]);
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    });

    it('reading a referral writes an audit row', async () => {
      const id = (await refer(await ticket('632723'), { kind: 'mediation' })).json().id;
      await t.app.inject({ method: 'GET', url: `/api/referrals/${id}`, headers: bearer(yushuSupervisor.token) });
      const rows = await t.app.db.selectFrom('audit_log').selectAll().where('entity_id', '=', id).execute();
      expect(rows.map((r) => [r.action, r.actor_username])).toEqual(expect.arrayContaining([['referral.create', 'agent.yushu'], ['referral.read', 'sup.yushu']]));
    });
  });

  describe('deadlines', () => {
    it('a referral is overdue at its deadline, listed for supervisors of its area, alerted once, and pushed to their desktop', async () => {
      const id = (await refer(await ticket('632723'), wages)).json().id;
      const row = await t.app.db.selectFrom('referrals').select(['accept_due_at']).where('id', '=', id).executeTakeFirstOrThrow();
      const due = row.accept_due_at!;
      const desk = await AgentSocket.open(base, yushuSupervisor.token);
      const elsewhere = await AgentSocket.open(base, haidongSupervisor.token);
      try {
        const sweeperAt = (at: Date) => new ReferralSweeper({ db: t.app.db, provinceCode: '630000', callbackMaxAttempts: () => 3, log: t.app.log, intervalMs: 0, now: () => at });
        // One millisecond before: not overdue.
        const before = sweeperAt(new Date(due.getTime() - 1));
        await before.start();
        await before.run();
        expect((await t.app.db.selectFrom('referrals').select('accept_overdue_at').where('id', '=', id).executeTakeFirstOrThrow()).accept_overdue_at).toBeNull();

        // At the deadline: overdue, marked once however many nodes sweep.
        const nodeA = sweeperAt(due);
        const nodeB = sweeperAt(due);
        await Promise.all([nodeA.start(), nodeB.start()]);
        await Promise.all([nodeA.run(), nodeB.run()]);
        await Promise.all([nodeA.run(), nodeB.run()]);
        const marks = await t.app.db.selectFrom('referral_events').select('type').where('referral_id', '=', id).where('type', '=', 'overdue.accept').execute();
        expect(marks).toHaveLength(1);

        // Listed as overdue for the Yushu supervisor, not for Haidong's.
        const overdue = async (token: string) => (await t.app.inject({ method: 'GET', url: '/api/referrals?overdue=true&limit=500', headers: bearer(token) })).json().items.map((r: { id: string }) => r.id);
        expect(await overdue(yushuSupervisor.token)).toContain(id);
        expect(await overdue(haidongSupervisor.token)).not.toContain(id);

        // The app's own sweeper reads the mark back and pushes it to supervisors in that area.
        await t.app.referralSweeper.run();
        expect(await desk.next('alert', (f) => (f.alert as { referralId: string }).referralId === id)).toMatchObject({ alert: { kind: 'referral_overdue', deadline: 'accept', regionCode: '632723' } });
        expect(await elsewhere.next('alert', () => true, 300).catch(() => null)).toBeNull();
      } finally {
        desk.close();
        elsewhere.close();
      }
    });
  });
});
