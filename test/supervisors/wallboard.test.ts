import { AgentSocket } from '../support/agent-socket';
import { startTestApp, type TestApp } from '../support/app';
import { AsyncApiFrames } from '../support/asyncapi-frames';
import { FrameSocket } from '../support/frame-socket';
import { setProvinceSettings } from '../support/province-settings';
import { addOrganisationAccount } from '../tickets/ticket-fixtures';
import { chinaDate, halfHourOf } from '../../src/supervisors/figures';
import { type Board, BoardSocket, type Frame } from './board-socket';

/**
 * The supervisors' wallboard on the real app, with real sockets and the simulator placing calls:
 * who may open it, what each supervisor sees (their subtree only), how the figures follow the
 * queue and the database, the alerts, and what bad frames get.
 */
describe('/supervisors/ws', () => {
  let t: TestApp;
  let base: string;
  type User = { id: string; token: string };
  let yushuSup: User;
  let haidongSup: User;
  let admin: User;
  let yushuAgent: User;
  let haidongAgent: User;
  let organisation: User;
  const open: (BoardSocket | AgentSocket)[] = [];
  /** Every frame any Haidong supervisor's board received, checked at the end. */
  const haidongFrames: Frame[] = [];
  const YUSHU = ['632700', '632701', '632722', '632723', '632724', '632725', '632726'];

  beforeAll(async () => {
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    yushuSup = await t.addUser({ username: 'sup.yushu', role: 'supervisor', region: '632700' });
    haidongSup = await t.addUser({ username: 'sup.haidong', role: 'supervisor', region: '630200' });
    admin = await t.addUser({ username: 'admin.qh', role: 'admin', region: '630000' });
    yushuAgent = await t.addUser({ username: 'agent.yushu', role: 'agent', region: '632701', languages: { zh: 5 }, topics: { labour: 5 } });
    haidongAgent = await t.addUser({ username: 'agent.haidong', role: 'agent', region: '630202', languages: { zh: 5 }, topics: { labour: 5 } });
    organisation = await addOrganisationAccount(t, 'la.yushu', 'LA-632701');
  });
  afterEach(async () => {
    for (const s of open.splice(0)) s.close();
    for (const c of (await t.app.inject({ method: 'GET', url: '/sim/calls?limit=100' })).json().calls) {
      if (c.status !== 'ended') await t.app.inject({ method: 'POST', url: `/sim/calls/${c.id}/hangup` });
    }
    await t.app.callFlow.settled();
    for (const a of [yushuAgent, haidongAgent]) {
      const live = t.app.router.liveAgent(a.id);
      if (live?.callId && live.state === 'on_call') await t.app.router.agentHangup(a.id, live.callId);
      if (live?.offerId) await t.app.router.decline(a.id, live.offerId);
      await t.app.router.endWrapUp(a.id, 'not_ready');
      await t.app.router.logout(a.id);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  const board = async (who: User) => {
    const s = await BoardSocket.open(base, who.token);
    open.push(s);
    if (who === haidongSup) {
      s.ws.on('message', (data) => haidongFrames.push(JSON.parse(String(data))));
      haidongFrames.push(s.hello);
    }
    return s;
  };
  const desk = async (who: User) => {
    const s = await AgentSocket.open(base, who.token);
    open.push(s);
    return s;
  };
  /** A Yushu landline (0976): Mandarin (1), labour (1), no priority group (0), 玉树市 (1), survey 5. */
  const placeYushuCall = async () => {
    const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '09768123456', digits: '11015' } });
    expect(res.statusCode).toBe(201);
    const callId = res.json().callId as string;
    for (let i = 0; i < 100 && !t.app.router.liveCall(callId); i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.app.router.liveCall(callId)).toMatchObject({ regionCode: '632701' });
    return callId;
  };

  describe('who may open it', () => {
    it('refuses the upgrade without a token (401), for agents and organisation accounts (403); supervisors and admins get hello', async () => {
      expect(await BoardSocket.upgradeStatus(base, '')).toMatchObject({ status: 401 });
      expect(await BoardSocket.upgradeStatus(base, '?token=not-a-jwt')).toMatchObject({ status: 401, body: expect.stringContaining('not valid') });
      expect(await BoardSocket.upgradeStatus(base, `?token=${yushuAgent.token}`)).toMatchObject({ status: 403 });
      expect(await BoardSocket.upgradeStatus(base, `?token=${organisation.token}`)).toMatchObject({ status: 403 });
      expect(await BoardSocket.upgradeStatus(base, `?token=${yushuSup.token}`)).toMatchObject({ status: 101 });
      expect(await BoardSocket.upgradeStatus(base, `?token=${admin.token}`)).toMatchObject({ status: 101 });
    });
  });

  describe('hello and scope', () => {
    it("gives a Yushu supervisor only 632700 and its counties; an admin the province", async () => {
      const s = await board(yushuSup);
      expect(s.hello).toMatchObject({
        v: 1,
        type: 'hello',
        user: { id: yushuSup.id, username: 'sup.yushu', role: 'supervisor', regionCode: '632700' },
        scope: '632700',
        settings: { serviceLevelThresholdSeconds: 15, targetServiceLevel: 0.8, targets: { answerRate: 0.95, alerts: { windowMinutes: 15 } }, boardMinIntervalMs: 1000, boardMaxIntervalMs: 5000 },
      });
      const regions = s.hello.regions as { code: string; name: string; nameEn: string; level: string; parentCode: string | null; population: number }[];
      expect(regions.map((r) => r.code).sort()).toEqual(YUSHU);
      expect(regions.find((r) => r.code === '632700')).toMatchObject({ name: '玉树藏族自治州', level: 'prefecture', parentCode: '630000', population: expect.any(Number) });
      expect(regions.find((r) => r.code === '632701')).toMatchObject({ name: '玉树市', nameEn: expect.stringMatching(/Yushu/i), level: 'county', parentCode: '632700' });
      expect((s.hello.catalogue as { topics: { code: string }[] }).topics.map((x) => x.code)).toContain('labour');

      const b = await s.board(() => true);
      expect(b.focus).toBe('632700');
      expect(Object.keys(b.regions).sort()).toEqual(YUSHU);
      expect(b.root).toMatchObject({ waiting: expect.any(Number), agents: { ready: expect.any(Number) }, seatsPlanned: null });

      const a = await board(admin);
      expect(a.hello.scope).toBe('630000');
      const all = (a.hello.regions as { code: string }[]).map((r) => r.code);
      expect(all).toEqual(expect.arrayContaining([...YUSHU, '630000', '630100', '630200', '630202']));
      expect(all.length).toBe(t.app.regions.all().length);
      const ab = await a.board(() => true);
      expect(Object.keys(ab.regions).length).toBe(all.length);
    });

    it('subscribe focuses the board on a region within scope; outside scope or unknown is an error, and the board stays', async () => {
      const s = await board(yushuSup);
      await s.board(() => true);
      const ref = s.send({ type: 'subscribe', region: '632701' });
      expect(await s.next('subscribed')).toMatchObject({ ref, region: '632701' });
      const focused = await s.board((b) => b.focus === '632701');
      expect(Object.keys(focused.regions)).toEqual(['632701']);

      const out = s.send({ type: 'subscribe', region: '630100' });
      expect(await s.next('error', (f) => f.ref === out)).toMatchObject({ code: 'OUT_OF_SCOPE', message: expect.stringContaining('630100'), messageZh: expect.any(String) });
      const unknown = s.send({ type: 'subscribe', region: '999999' });
      expect(await s.next('error', (f) => f.ref === unknown)).toMatchObject({ code: 'NOT_FOUND' });
      // Still on 632701.
      expect((await s.board(() => true, 7_000)).focus).toBe('632701');

      const a = await board(admin);
      a.send({ type: 'subscribe', region: '630200' });
      expect(Object.keys((await a.board((b) => b.focus === '630200')).regions).sort()).toEqual(['630200', '630202', '630203', '630222', '630223', '630224', '630225']);
    });
  });

  describe('figures', () => {
    it('follow a call from waiting to answered and the agent through their states, for the prefecture and the county', async () => {
      const s = await board(yushuSup);
      const h = await board(haidongSup);
      const before = await s.board(() => true);
      const offeredBefore = before.root.offeredToday;
      expect(before.root).toMatchObject({ waiting: 0, seatsLoggedIn: 0 });

      const agent = await desk(yushuAgent);
      let b = await s.board((x) => x.root.agents.not_ready === 1);
      expect(b.root).toMatchObject({ seatsLoggedIn: 1 });
      expect(b.regions['632701']).toMatchObject({ seatsLoggedIn: 1, agents: { not_ready: 1 } });
      expect(b.regions['632722']).toMatchObject({ seatsLoggedIn: 0 });

      const callId = await placeYushuCall();
      b = await s.board((x) => x.root.waiting === 1);
      expect(b.regions['632701']!.waiting).toBe(1);
      expect(b.regions['632722']!.waiting).toBe(0);
      expect(b.root.longestWaitSeconds).toBeGreaterThanOrEqual(0);
      await t.app.wallboard.refresh();
      b = await s.board((x) => x.root.offeredToday === offeredBefore + 1);
      expect(b.root.offered30m).toBeGreaterThanOrEqual(1);
      expect(b.root.seatsNeeded).toBeGreaterThanOrEqual(1);

      // Ready: the call rings the agent (still waiting for an answer), then is answered.
      await agent.answer(agent.send({ type: 'state.set', state: 'ready' }));
      const offer = await agent.next('offer');
      await s.board((x) => x.root.agents.reserved === 1 && x.root.waiting === 1);
      await agent.answer(agent.send({ type: 'offer.accept', offerId: offer.offerId }));
      await s.board((x) => x.root.agents.on_call === 1 && x.root.waiting === 0);
      await t.app.callRecorder.flush();
      await t.app.wallboard.refresh();
      b = await s.board((x) => x.root.answeredToday >= 1 && x.root.agents.on_call === 1);
      expect(b.root.serviceLevelToday).toBe(1);
      expect(b.root.serviceLevel30m).toBe(1);
      expect(b.regions['632701']).toMatchObject({ answeredToday: b.root.answeredToday });

      await agent.answer(agent.send({ type: 'call.hangup', callId }));
      await s.board((x) => x.root.agents.wrap_up === 1);

      // Haidong's supervisor saw none of it.
      const hb = await h.board(() => true);
      expect(hb.focus).toBe('630200');
      expect(hb.root).toMatchObject({ waiting: 0, seatsLoggedIn: 0 });
    });

    it('counts calls from the database as documented: queued calls only, short abandons left out of the service level', async () => {
      const now = Date.now();
      const ago = (s: number) => new Date(now - s * 1000);
      const row = (i: number, r: { queued: number | null; waitMs?: number; answered?: number; ended?: number; endReason?: 'answered' | 'abandoned'; direction?: 'inbound' | 'outbound' }) => ({
        province_code: '630000',
        driver: 'test',
        external_id: `sl-${i}`,
        caller_number: `0976555${String(i).padStart(4, '0')}`,
        direction: r.direction ?? ('inbound' as const),
        region_code: '632724',
        topic: 'other',
        status: r.ended !== undefined ? ('ended' as const) : r.answered !== undefined ? ('connected' as const) : r.queued !== null ? ('queued' as const) : ('ended' as const),
        end_reason: r.endReason ?? null,
        arrived_at: ago((r.queued ?? 120) + 30),
        queued_at: r.queued === null ? null : ago(r.queued),
        answered_at: r.answered === undefined ? null : ago(r.answered),
        ended_at: r.ended === undefined ? null : ago(r.ended),
        wait_ms: r.waitMs ?? null,
      });
      await t.app.db
        .insertInto('calls')
        .values([
          row(1, { queued: 300, waitMs: 5_000, answered: 295 }), // answered within 20 s
          row(2, { queued: 300, waitMs: 30_000, answered: 270, ended: 100, endReason: 'answered' }), // answered late
          row(3, { queued: 200, waitMs: 10_000, ended: 190, endReason: 'abandoned' }), // short abandon
          row(4, { queued: 200, waitMs: 60_000, ended: 140, endReason: 'abandoned' }), // abandoned after 20 s
          row(5, { queued: 60 }), // still waiting
          row(6, { queued: null, ended: 100, endReason: 'abandoned' }), // hung up in the menus
          row(7, { queued: null, answered: 100, direction: 'outbound' }), // a callback
        ])
        .execute();
      await t.app.wallboard.refresh();
      const s = await board(yushuSup);
      const b = await s.board((x) => x.regions['632724']!.offeredToday > 0);
      expect(b.regions['632724']).toMatchObject({
        offeredToday: 5,
        answeredToday: 2,
        abandonedToday: 2,
        serviceLevelToday: 0.333, // 1 within 20 s ÷ (2 answered + 1 abandoned after 20 s)
        serviceLevel30m: 0.333,
        abandonmentToday: 0.4,
        offered30m: 5,
        seatsNeeded: expect.any(Number),
      });
      expect(b.regions['632724']!.seatsNeeded).toBeGreaterThanOrEqual(1);
      await t.app.db.deleteFrom('calls').where('external_id', 'like', 'sl-%').execute();
      await t.app.wallboard.refresh();
    });

    it("shows today's saved plan for the current half-hour, summed over the subtree (null before a plan exists)", async () => {
      const s = await board(yushuSup);
      expect((await s.board(() => true)).root.seatsPlanned).toBeNull();
      const now = Date.now();
      const plan = await t.app.db.insertInto('seat_plans').values({ province_code: '630000', plan_date: chinaDate(now) }).returning('id').executeTakeFirstOrThrow();
      const interval = halfHourOf(now);
      const other = (interval + 30) % 1440;
      await t.app.db
        .insertInto('seat_plan_entries')
        .values([
          { plan_id: plan.id, region_code: '632701', interval_start: interval, seats: 3 },
          { plan_id: plan.id, region_code: '632722', interval_start: interval, seats: 1 },
          { plan_id: plan.id, region_code: '632701', interval_start: other, seats: 9 },
          { plan_id: plan.id, region_code: '630202', interval_start: interval, seats: 5 },
        ])
        .execute();
      try {
        await t.app.wallboard.refresh();
        // Right at a half-hour boundary the read may fall in the next interval; then only the 9 applies.
        const b = await s.board((x) => x.root.seatsPlanned !== null);
        if (b.intervalStart === interval) {
          expect(b.root.seatsPlanned).toBe(4);
          expect(b.regions['632701']!.seatsPlanned).toBe(3);
          expect(b.regions['632723']!.seatsPlanned).toBe(0);
        }
        const a = await board(admin);
        const ab = await a.board((x) => x.root.seatsPlanned !== null);
        if (ab.intervalStart === interval) expect(ab.root.seatsPlanned).toBe(9);
      } finally {
        await t.app.db.deleteFrom('seat_plans').where('id', '=', plan.id).execute();
        await t.app.wallboard.refresh();
      }
    });

    it('sends boards at most once a second on change, and at least every 5 seconds without one', async () => {
      const s = await board(yushuSup);
      await s.board(() => true);
      const agent = await desk(yushuAgent);
      // A burst of changes: state flips and calls.
      for (let i = 0; i < 6; i++) {
        await agent.answer(agent.send({ type: 'state.set', state: i % 2 ? 'ready' : 'not_ready' }));
      }
      await new Promise((r) => setTimeout(r, 2_500));
      agent.close();
      const quietFrom = Date.now();
      await new Promise((r) => setTimeout(r, 6_000));
      const times = s.all.filter((f) => f.type === 'board').map((f) => f.receivedAt);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(900);
      const quiet = times.filter((x) => x > quietFrom + 1_500);
      expect(quiet.length).toBeGreaterThanOrEqual(1);
    }, 20_000);
  });

  describe('alerts', () => {
    const openAll = async () => ({ yushu: await board(yushuSup), haidong: await board(haidongSup), admin: await board(admin) });
    const alertOf = (s: BoardSocket, kind: string, where: (f: Frame) => boolean = () => true) => s.next('alert', (f) => f.kind === kind && where(f));

    it('an overdue referral reaches the supervisors of its area and admins', async () => {
      const { yushu, admin: a } = await openAll();
      const centre = await t.app.db.selectFrom('organisations').select('id').where('code', '=', 'LA-632701').executeTakeFirstOrThrow();
      const ticket = await t.app.db
        .insertInto('tickets')
        .values({ number: 'QH-20261122-900001', caller_number: '09768123456', region_code: '632701', topic: 'labour' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const referral = await t.app.db
        .insertInto('referrals')
        .values({ ticket_id: ticket.id, kind: 'legal_aid', organisation_id: centre.id, status: 'pending', accept_due_at: new Date(Date.now() - 60_000) })
        .returning('id')
        .executeTakeFirstOrThrow();
      await t.app.referralSweeper.run();
      const alert = await alertOf(yushu, 'referral_overdue', (f) => f.referralId === referral.id);
      expect(alert).toMatchObject({ regionCode: '632701', deadline: 'accept', ticketNumber: 'QH-20261122-900001', referralKind: 'legal_aid', organisation: { nameZh: expect.any(String) }, at: expect.any(String), id: expect.any(String) });
      await alertOf(a, 'referral_overdue', (f) => f.referralId === referral.id);

      // A board opened later finds it among the recent alerts.
      const later = await board(yushuSup);
      expect((later.hello.alerts as Frame[]).some((x) => x.kind === 'referral_overdue' && x.referralId === referral.id)).toBe(true);
    });

    it('a call missed by several agents reaches the supervisors of its area', async () => {
      const settings = t.app.router.settings;
      t.app.router.settings = { ...settings, missedAlertThreshold: 1 };
      try {
        const { yushu, admin: a } = await openAll();
        const agent = await desk(yushuAgent);
        await agent.answer(agent.send({ type: 'state.set', state: 'ready' }));
        const callId = await placeYushuCall();
        const offer = await agent.next('offer');
        await agent.answer(agent.send({ type: 'offer.decline', offerId: offer.offerId }));
        expect(await alertOf(yushu, 'missed_call', (f) => f.callId === callId)).toMatchObject({ regionCode: '632701', missedBy: 1, topic: 'labour', language: 'zh', waitedSeconds: expect.any(Number) });
        await alertOf(a, 'missed_call', (f) => f.callId === callId);
      } finally {
        t.app.router.settings = settings;
      }
    });

    it('a ticket flagged as a risk reaches the supervisors of its area (once)', async () => {
      const { yushu, admin: a } = await openAll();
      const ticket = await t.app.db
        .insertInto('tickets')
        .values({ number: 'QH-20261122-900002', caller_number: '09768123456', region_code: '632723', topic: 'marriage_family', risk_flag: true, updated_at: new Date() })
        .returning('id')
        .executeTakeFirstOrThrow();
      // Haidong's own risk call, which only Haidong's supervisor and the admin see.
      const haidongTicket = await t.app.db
        .insertInto('tickets')
        .values({ number: 'QH-20261122-900003', caller_number: '09721234567', region_code: '630202', topic: 'labour', risk_flag: true, updated_at: new Date() })
        .returning('id')
        .executeTakeFirstOrThrow();
      await t.app.wallboard.pollRisk();
      expect(await alertOf(yushu, 'risk_call', (f) => f.ticketId === ticket.id)).toMatchObject({ regionCode: '632723', ticketNumber: 'QH-20261122-900002', topic: 'marriage_family' });
      await alertOf(a, 'risk_call', (f) => f.ticketId === ticket.id);
      await alertOf(a, 'risk_call', (f) => f.ticketId === haidongTicket.id);
      // Polled again: not alerted twice.
      await t.app.wallboard.pollRisk();
      await new Promise((r) => setTimeout(r, 300));
      expect(yushu.frames.filter((f) => f.type === 'alert' && f.ticketId === ticket.id)).toEqual([]);
    });

    it('a service level below the target over the window is a target alert at once for the area; recovering clears it', async () => {
      await setProvinceSettings(t.app, 'targets', { alerts: { clearAfterSeconds: 0 } });
      await t.app.serviceTargets.reload();
      const now = Date.now();
      const call = (i: number, waitMs: number) => ({
        province_code: '630000',
        driver: 'test',
        external_id: `target-${i}`,
        caller_number: `0976666${String(i).padStart(4, '0')}`,
        direction: 'inbound' as const,
        region_code: '632725',
        topic: 'labour',
        status: 'ended' as const,
        end_reason: 'answered' as const,
        arrived_at: new Date(now - 400_000),
        queued_at: new Date(now - 300_000),
        answered_at: new Date(now - 300_000 + waitMs),
        ended_at: new Date(now - 60_000),
        wait_ms: waitMs,
      });
      try {
        const { yushu, admin: a } = await openAll();
        // Ten callers in the last 15 minutes, each answered after 60 s: service level 0 against 0.8.
        await t.app.db.insertInto('calls').values(Array.from({ length: 10 }, (_, i) => call(i, 60_000))).execute();
        await t.app.wallboard.checkTargets();
        const breach = await alertOf(yushu, 'target', (f) => f.regionCode === '632725' && f.metric === 'service_level');
        expect(breach).toMatchObject({ key: '632725:service_level', state: 'breached', value: 0, target: 0.8, windowMinutes: 15 });
        await alertOf(a, 'target', (f) => f.key === '632725:service_level' && f.state === 'breached');
        // The prefecture's figure includes the county's.
        await alertOf(yushu, 'target', (f) => f.key === '632700:service_level' && f.state === 'breached');
        // Still breached on the next check: not alerted twice.
        await t.app.wallboard.checkTargets();
        // Fifty more answered at once: 50 ÷ 60 = 0.833, back above the goal.
        await t.app.db.insertInto('calls').values(Array.from({ length: 50 }, (_, i) => call(100 + i, 3_000))).execute();
        await t.app.wallboard.checkTargets();
        const cleared = await alertOf(yushu, 'target', (f) => f.key === '632725:service_level' && f.state === 'cleared');
        expect(cleared).toMatchObject({ value: 0.833, since: breach.since });
        expect(yushu.frames.filter((f) => f.type === 'alert' && f.key === '632725:service_level' && f.state === 'breached')).toEqual([]);
        // A board opened now finds the breach's last word only.
        const later = await board(yushuSup);
        expect((later.hello.alerts as Frame[]).filter((x) => x.key === '632725:service_level').map((x) => x.state)).toEqual(['cleared']);
        expect(later.hello.settings).toMatchObject({ serviceLevelThresholdSeconds: 15, targets: { serviceLevel: { goal: 0.8 }, alerts: { clearAfterSeconds: 0 } } });
      } finally {
        await t.app.db.deleteFrom('calls').where('external_id', 'like', 'target-%').execute();
        await setProvinceSettings(t.app, 'targets', {});
        await t.app.serviceTargets.reload();
        await t.app.wallboard.refresh();
      }
    });

    it('counts the callers waiting past the threshold now in the service level: a full queue is not 100 %', async () => {
      // A 1-s threshold, so the test need not wait 15 s for a caller to pass it.
      await setProvinceSettings(t.app, 'targets', { serviceLevel: { thresholdSeconds: 1 } });
      await t.app.serviceTargets.reload();
      try {
        const s = await board(yushuSup);
        // Earlier tests' calls of the day count too: the figure before the caller is the baseline.
        const before = (await s.board(() => true)).regions['632701']!.serviceLevelToday;
        // Nobody is ready: the caller waits, and is counted as missed once past the threshold.
        await placeYushuCall();
        const b = await s.board((x) => x.regions['632701']!.waitingPastThreshold === 1);
        expect(b.regions['632701']).toMatchObject({ waiting: 1, waitingPastThreshold: 1 });
        const after = b.regions['632701']!.serviceLevelToday!;
        if (before === null || before === 0) expect(after).toBe(0);
        else expect(after).toBeLessThan(before);
      } finally {
        await setProvinceSettings(t.app, 'targets', {});
        await t.app.serviceTargets.reload();
      }
    });

    it('a ticket saved with the risk flag alerts the area at once, without waiting for the next poll of the tickets', async () => {
      const { yushu } = await openAll();
      const ticket = await t.app.db
        .insertInto('tickets')
        .values({ number: 'QH-20261122-900009', caller_number: '09768123456', region_code: '632726', topic: 'labour', updated_at: new Date(Date.now() - 3_600_000) })
        .returning('id')
        .executeTakeFirstOrThrow();
      const res = await t.app.inject({ method: 'PATCH', url: `/api/tickets/${ticket.id}`, headers: { authorization: `Bearer ${yushuSup.token}` }, payload: { riskFlag: true } });
      expect(res.statusCode).toBe(200);
      // Published by the save itself, before any poll of the tickets could have read it.
      expect(t.app.supervisorAlerts.recent((x) => x.kind === 'risk_call' && x.ticketId === ticket.id)).toHaveLength(1);
      expect(await alertOf(yushu, 'risk_call', (f) => f.ticketId === ticket.id)).toMatchObject({ regionCode: '632726', ticketNumber: 'QH-20261122-900009' });
      // The poll that follows does not alert it again.
      await t.app.wallboard.pollRisk();
      await new Promise((r) => setTimeout(r, 300));
      expect(yushu.frames.filter((f) => f.type === 'alert' && f.ticketId === ticket.id)).toEqual([]);
    });

    it('a topic far above its baseline today is flagged for the prefecture', async () => {
      const { yushu } = await openAll();
      const now = new Date();
      await t.app.db
        .insertInto('calls')
        .values(
          Array.from({ length: 14 }, (_, i) => ({
            province_code: '630000',
            driver: 'test',
            external_id: `spike-${i}`,
            caller_number: `0976812${String(i).padStart(4, '0')}`,
            region_code: '632725',
            topic: 'land_housing',
            status: 'ended' as const,
            end_reason: 'abandoned' as const,
            arrived_at: new Date(now.getTime() - (i + 1) * 1000),
          })),
        )
        .execute();
      await t.app.wallboard.detectSpikes();
      expect(await alertOf(yushu, 'topic_spike', (f) => f.topic === 'land_housing')).toMatchObject({ regionCode: '632700', today: expect.any(Number), ratio: expect.any(Number) });
      await t.app.wallboard.detectSpikes();
      await new Promise((r) => setTimeout(r, 300));
      expect(yushu.frames.filter((f) => f.type === 'alert' && f.kind === 'topic_spike' && f.topic === 'land_housing')).toEqual([]);
    });
  });

  describe('topic spikes outside any prefecture', () => {
    it('reach province-wide boards only, never a prefecture supervisor', async () => {
      const yushu = await board(yushuSup);
      const haidong = await board(haidongSup);
      const a = await board(admin);
      const now = new Date();
      await t.app.db
        .insertInto('calls')
        .values(
          Array.from({ length: 14 }, (_, i) => ({
            province_code: '630000',
            driver: 'test',
            external_id: `province-spike-${i}`,
            caller_number: `+4420712${String(i).padStart(4, '0')}`,
            region_code: null,
            topic: 'consumer',
            status: 'ended' as const,
            end_reason: 'abandoned' as const,
            arrived_at: new Date(now.getTime() - (i + 1) * 1000),
          })),
        )
        .execute();
      await t.app.wallboard.detectSpikes();
      expect(await a.next('alert', (f) => f.kind === 'topic_spike' && f.topic === 'consumer')).toMatchObject({ regionCode: '630000' });
      await new Promise((r) => setTimeout(r, 300));
      for (const s of [yushu, haidong]) expect(s.all.filter((f) => f.type === 'alert' && f.kind === 'topic_spike' && f.topic === 'consumer')).toEqual([]);
    });
  });

  describe('bad frames', () => {
    it('answers malformed JSON, unknown types and wrong fields with an error naming the problem, and keeps the socket', async () => {
      const s = await board(yushuSup);
      s.sendRaw('{not json');
      expect(await s.next('error')).toMatchObject({ code: 'BAD_FRAME', message: 'the frame is not valid JSON' });
      s.sendRaw('[1,2]');
      expect(await s.next('error')).toMatchObject({ code: 'BAD_FRAME', message: expect.stringContaining('JSON object') });
      const unknown = s.send({ type: 'state.set', state: 'ready' });
      expect(await s.next('error', (f) => f.ref === unknown)).toMatchObject({ code: 'BAD_FRAME', message: expect.stringContaining('ping, subscribe') });
      const missing = s.send({ type: 'subscribe' });
      expect(await s.next('error', (f) => f.ref === missing)).toMatchObject({ message: expect.stringContaining('region') });
      const badCode = s.send({ type: 'subscribe', region: '63-27' });
      expect(await s.next('error', (f) => f.ref === badCode)).toMatchObject({ message: expect.stringContaining('6-digit') });
      const extra = s.send({ type: 'ping', admin: true });
      expect(await s.next('error', (f) => f.ref === extra)).toMatchObject({ code: 'BAD_FRAME' });
      s.sendRaw(JSON.stringify({ v: 2, type: 'ping', ref: 'old' }));
      expect(await s.next('error', (f) => f.ref === 'old')).toMatchObject({ message: expect.stringContaining('v:') });
      s.sendRaw(Buffer.from([1, 2, 3]), true);
      expect(await s.next('error')).toMatchObject({ code: 'BAD_FRAME', message: expect.stringContaining('binary') });
      const ping = s.send({ type: 'ping' });
      expect(await s.next('pong')).toMatchObject({ ref: ping, serverTime: expect.any(Number) });
      expect(s.closed).toBeNull();
    });

    it('closes an oversized frame with 1009 and a flood with 1008; the node keeps serving', async () => {
      const big = await board(yushuSup);
      big.sendRaw(JSON.stringify({ v: 1, type: 'ping', pad: 'x'.repeat(20_000) }));
      expect((await big.whenClosed()).code).toBe(1009);

      const flood = await board(yushuSup);
      for (let i = 0; i < 300; i++) flood.sendRaw(JSON.stringify({ v: 1, type: 'ping' }));
      expect(await flood.next('error', (f) => f.code === 'RATE_LIMITED')).toBeTruthy();
      expect((await flood.whenClosed()).code).toBe(1008);

      const garbage = await board(yushuSup);
      for (let i = 0; i < 60; i++) garbage.sendRaw(i % 2 ? 'nope' : '{}');
      expect((await garbage.whenClosed()).code).toBe(1008);

      const after = await board(yushuSup);
      const ref = after.send({ type: 'ping' });
      expect(await after.next('pong')).toMatchObject({ ref });
      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    });
  });

  describe('the /supervisor page', () => {
    it('is served with a strict Content-Security-Policy, with its scripts and styles', async () => {
      const page = await t.app.inject({ method: 'GET', url: '/supervisor' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
      expect(page.body).not.toMatch(/<script>(?!<\/script>)|\son[a-z]+=|\sstyle=/i);
      for (const asset of ['app.js', 'i18n.js', 'charts.js', 'county-map.js', 'supervisor.css']) {
        const res = await t.app.inject({ method: 'GET', url: `/supervisor/assets/${asset}` });
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-security-policy']).toBeDefined();
      }
      expect((await t.app.inject({ method: 'GET', url: '/supervisor/assets/..%2f..%2fpackage.json' })).statusCode).not.toBe(200);
    });
  });

  describe('a sign-in that is no longer valid', () => {
    let n = 0;
    const newSupervisor = () => t.addUser({ username: `sup.revoked${++n}`, role: 'supervisor', region: '632700' });
    const patch = async (id: string, body: Record<string, unknown>) => {
      const res = await t.app.inject({ method: 'PATCH', url: `/api/agents/${id}`, headers: { authorization: `Bearer ${admin.token}` }, payload: body });
      expect(res.statusCode).toBe(200);
    };

    it('closes a board with 4003 at once when the supervisor is disabled, changes password or loses the role', async () => {
      for (const change of [{ disabled: true }, { password: 'changed-password-1' }, { role: 'agent' }]) {
        const who = await newSupervisor();
        const s = await board(who);
        await s.board(() => true);
        await patch(who.id, change);
        // Well inside the 30 s re-check: the revocation closes it.
        expect((await s.whenClosed(5_000)).code).toBe(4003);
        expect(await BoardSocket.upgradeStatus(base, `?token=${who.token}`)).toMatchObject({ status: 401 });
      }
    });

    it("leaves a board open when only the supervisor's name changes", async () => {
      const who = await newSupervisor();
      const s = await board(who);
      await patch(who.id, { displayName: '新名字' });
      s.send({ type: 'ping' });
      expect(await s.next('pong')).toBeTruthy();
      expect(s.closed).toBeNull();
    });
  });

  // Last: Jest runs a describe's own tests before its nested describes.
  describe('scope over the whole run', () => {
  it('a prefecture supervisor never received a figure or an alert of another prefecture, in any test above', () => {
    const inHaidong = (code: unknown) => typeof code === 'string' && t.app.regions.isWithin(code, '630200');
    expect(haidongFrames.length).toBeGreaterThan(0);
    for (const f of haidongFrames) {
      if (f.type === 'hello') expect((f.regions as { code: string }[]).every((r) => inHaidong(r.code))).toBe(true);
      if (f.type === 'board') {
        const b = f as unknown as Board;
        expect(inHaidong(b.focus)).toBe(true);
        expect(Object.keys(b.regions).every(inHaidong)).toBe(true);
      }
      if (f.type === 'alert') expect(inHaidong(f.regionCode)).toBe(true);
    }
    expect(haidongFrames.some((f) => f.type === 'alert' && f.kind === 'risk_call')).toBe(true);
    expect(haidongFrames.some((f) => f.type === 'board')).toBe(true);
  });
  });

  describe('the AsyncAPI document', () => {
    it('describes every frame boards and desks sent and received above; frames the server refused as malformed it refuses too', async () => {
      const spec = await AsyncApiFrames.load(t.app);
      expect(AsyncApiFrames.counted(FrameSocket.opened).received).toBeGreaterThan(100);
      expect(spec.mismatches(FrameSocket.opened)).toEqual([]);
    });
  });
});

