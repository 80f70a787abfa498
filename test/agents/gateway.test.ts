import { AgentSocket } from '../support/agent-socket';
import { AsyncApiFrames } from '../support/asyncapi-frames';
import { FrameSocket } from '../support/frame-socket';
import { startTestApp, type TestApp } from '../support/app';
import { eventually } from '../support/tcp-proxy';

/**
 * The agent desktop's WebSocket on the real app, driven the way the page drives it, with the
 * simulator placing calls.
 */
describe('/agents/ws', () => {
  let t: TestApp;
  let base: string;
  let xining: { id: string; token: string };
  let haidong: { id: string; token: string };
  let supervisor: { id: string; token: string };
  const open: AgentSocket[] = [];

  beforeAll(async () => {
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    xining = await t.addUser({ username: 'agent.xining', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    haidong = await t.addUser({ username: 'agent.haidong', role: 'agent', region: '630200', languages: { zh: 5 }, topics: { labour: 5 } });
    supervisor = await t.addUser({ username: 'sup.qinghai', role: 'supervisor', region: '630000', languages: { zh: 5 }, topics: {} });
  });
  afterEach(async () => {
    for (const s of open.splice(0)) s.close();
    for (const c of (await t.app.inject({ method: 'GET', url: '/sim/calls?limit=100' })).json().calls) {
      if (c.status !== 'ended') await t.app.inject({ method: 'POST', url: `/sim/calls/${c.id}/hangup` });
    }
    await t.app.callFlow.settled();
    // Everyone back offline, so one test's agents never take another test's calls.
    for (const a of [xining, haidong, supervisor]) {
      const live = t.app.router.liveAgent(a.id);
      if (live?.callId && live.state === 'on_call') await t.app.router.agentHangup(a.id, live.callId);
      if (live?.offerId) await t.app.router.decline(a.id, live.offerId);
      await t.app.router.endWrapUp(a.id, 'not_ready');
      await t.app.router.logout(a.id);
    }
    t.app.router.settings = { ...t.app.router.settings, offerTimeoutSeconds: 20 };
  });
  afterAll(async () => t.close());

  const connect = async (who: { token: string }) => {
    const s = await AgentSocket.open(base, who.token);
    open.push(s);
    return s;
  };
  /** Xining mobile, Mandarin (1), labour (1), no priority group (0), Chengdong (1), survey 5. */
  const placeCall = async (from = '13519712345', digits = '11015') => {
    const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from, digits } });
    expect(res.statusCode).toBe(201);
    return res.json().callId as string;
  };
  const ok = async (s: AgentSocket, frame: Record<string, unknown>) => {
    const answer = await s.answer(s.send(frame));
    expect(answer).toMatchObject({ type: 'ack' });
    return answer;
  };
  /** Takes the next offer; the ticket's id once it comes. */
  const answer = async (s: AgentSocket) => {
    const offer = await s.next('offer');
    await ok(s, { type: 'offer.accept', offerId: offer.offerId });
    await s.next('call.connected');
    return ((await s.next('ticket')).ticket as { id: string }).id;
  };

  describe('signing in', () => {
    it('refuses an upgrade without a token, with a bad token, or with an expired one', async () => {
      expect(await AgentSocket.upgradeStatus(base, '')).toMatchObject({ status: 401 });
      expect(await AgentSocket.upgradeStatus(base, '?token=not-a-jwt')).toMatchObject({ status: 401, body: expect.stringContaining('not valid') });
      const expired = t.app.jwt.sign({ sub: xining.id, role: 'agent', username: 'agent.xining', tv: 0 }, { expiresIn: 1 });
      await new Promise((r) => setTimeout(r, 1100));
      expect(await AgentSocket.upgradeStatus(base, `?token=${expired}`)).toMatchObject({ status: 401, body: expect.stringContaining('expired') });
      expect(await AgentSocket.upgradeStatus(base, `?token=${xining.token}`)).toMatchObject({ status: 101 });
    });

    it('says hello with the agent, their state, the catalogue and no audio in simulator mode, then queue figures', async () => {
      const s = await connect(xining);
      expect(t.app.router.liveAgent(xining.id)).toMatchObject({ state: 'not_ready', reason: 'login' });
      expect(s.hello).toMatchObject({
        v: 1,
        type: 'hello',
        agent: { id: xining.id, username: 'agent.xining', role: 'agent', region: { code: '630100', name: '西宁市' }, remoteSeat: false },
        state: { state: 'not_ready', reason: 'login' },
        offer: null,
        call: null,
        audio: { kind: 'none' },
        settings: { offerTimeoutSeconds: 20, maxFrameBytes: 16384 },
        // What the desk may offer: the simulator carries out every control.
        capabilities: { forward: true, consult: true, interpreter: true, monitor: ['listen', 'whisper', 'barge'] },
      });
      expect((s.hello.catalogue as { languages: { code: string }[] }).languages.map((l) => l.code)).toEqual(['zh', 'bo', 'mn']);
      // The referral panel's lists come from the server, not from copies in the page.
      expect(s.hello.catalogue).toMatchObject({ matters: { art32: expect.arrayContaining(['abuse_domestic_violence']) }, departments: expect.arrayContaining(['12345 政务服务便民热线']) });
      expect(await s.next('queue.stats')).toMatchObject({ regionCode: '630100', waiting: 0 });
    });

    it('a second sign-in takes over and the first page is told, then closed', async () => {
      const first = await connect(xining);
      const second = await connect(xining);
      await first.next('session.replaced');
      expect((await first.whenClosed()).code).toBe(4001);
      expect(second.closed).toBeNull();
      const ref = second.send({ type: 'ping' });
      expect(await second.next('pong')).toMatchObject({ ref });
    });
  });

  describe('a call from offer to wrap-up', () => {
    it('offers with masked number, region and history; accept, ticket, hold, hang up, wrap-up', async () => {
      // An earlier ticket of the same caller, which the agent should see with the offer.
      const earlier = await t.app.db
        .insertInto('tickets')
        .values({ number: 'QH-20261101-000001', caller_number: '13519712345', region_code: '630102', topic: 'labour', summary: '工资拖欠，已告知劳动监察投诉途径', outcome: 'answered' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const s = await connect(xining);
      await ok(s, { type: 'state.set', state: 'ready' });
      expect(await s.next('state', (f) => f.state === 'ready')).toBeTruthy();

      const callId = await placeCall();
      const offer = await s.next('offer');
      expect(offer).toMatchObject({
        call: { callId, callerNumber: '135****2345', region: { code: '630102' }, language: 'zh', topic: 'labour', history: [{ ticketId: earlier.id, summary: '工资拖欠，已告知劳动监察投诉途径' }] },
      });
      await s.next('state', (f) => f.state === 'reserved');

      await ok(s, { type: 'offer.accept', offerId: offer.offerId });
      const connected = await s.next('call.connected');
      expect(connected).toMatchObject({ call: { callId, answeredAt: expect.any(Number) } });
      const ticket = (await s.next('ticket')).ticket as { id: string; number: string; type: string };
      expect(ticket.number).toMatch(/^QH-\d{8}-\d{6}$/);
      // A new ticket is a consultation until the agent says otherwise.
      expect(ticket.type).toBe('consultation');

      await ok(s, { type: 'ticket.save', ticketId: ticket.id, fields: { type: 'help', summary: '老板拖欠三个月工资，约 1.2 万元', advice: '建议先向劳动监察大队投诉', outcome: 'refer_legal_aid', riskFlag: true } });
      expect(await s.next('ticket')).toMatchObject({ ticket: { id: ticket.id, type: 'help', outcome: 'refer_legal_aid', riskFlag: true } });

      await ok(s, { type: 'call.hold', callId });
      expect(await s.next('call.held')).toMatchObject({ callId, held: true });
      await ok(s, { type: 'call.unhold', callId });
      expect(await s.next('call.held')).toMatchObject({ held: false });
      const heard = (await t.app.inject({ method: 'GET', url: `/sim/calls/${callId}` })).json().heard.map((h: { key: string }) => h.key);
      expect(heard).toEqual(expect.arrayContaining(['agent_hold', 'agent_unhold']));

      await ok(s, { type: 'call.hangup', callId });
      expect(await s.next('call.ended')).toMatchObject({ callId });
      const wrap = await s.next('state', (f) => f.state === 'wrap_up');
      expect(wrap.wrapUpEndsAt).toEqual(expect.any(Number));
      // Notes can still be saved during wrap-up.
      await ok(s, { type: 'ticket.save', ticketId: ticket.id, fields: { advice: '建议先向劳动监察大队投诉，并申请法律援助' } });
      await ok(s, { type: 'wrapup.end', next: 'ready' });
      await s.next('state', (f) => f.state === 'ready');

      const row = await t.app.db.selectFrom('tickets').selectAll().where('id', '=', ticket.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ call_id: callId, agent_id: xining.id, type: 'help', summary: '老板拖欠三个月工资，约 1.2 万元', advice: '建议先向劳动监察大队投诉，并申请法律援助', outcome: 'refer_legal_aid', risk_flag: true });
      const audit = await t.app.db.selectFrom('audit_log').selectAll().where('entity_id', '=', ticket.id).execute();
      expect(audit.map((a) => [a.action, a.actor_username])).toEqual([
        ['ticket.update', 'agent.xining'],
        ['ticket.update', 'agent.xining'],
      ]);
      const events = await t.app.db.selectFrom('call_events').select('type').where('call_id', '=', callId).execute();
      expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['hold', 'unhold']));
    });

    it('masks every caller number for the agent whatever its length, +86 included', async () => {
      const s = await connect(xining);
      await ok(s, { type: 'state.set', state: 'ready' });
      // Numbers with no prefecture of their own choose Xining (1), then Chengdong (1), in the region menu.
      for (const [from, digits, shown] of [
        ['12348', '110115', '***48'],
        ['612345', '110115', '****45'],
        ['6123456', '110115', '***3456'],
        ['61234567', '110115', '****4567'],
        ['+8613519712345', '11015', '135****2345'],
      ] as const) {
        const callId = await placeCall(from, digits);
        const offer = await s.next('offer', () => true, 10_000);
        expect(offer).toMatchObject({ call: { callId, callerNumber: shown } });
        await t.app.inject({ method: 'POST', url: `/sim/calls/${callId}/hangup` });
        await s.next('offer.cancelled', (f) => f.offerId === offer.offerId);
        await eventually(async () => t.app.router.liveAgent(xining.id)?.state === 'ready', 5_000, 20);
      }
    });

    it('shows a supervisor the whole number', async () => {
      const s = await connect(supervisor);
      await ok(s, { type: 'state.set', state: 'ready' });
      await placeCall('13519700001');
      expect(await s.next('offer')).toMatchObject({ call: { callerNumber: '13519700001' } });
    });

    it('a page reloaded mid-call gets the call and its ticket back', async () => {
      const s = await connect(xining);
      await ok(s, { type: 'state.set', state: 'ready' });
      const callId = await placeCall();
      const offer = await s.next('offer');
      await ok(s, { type: 'offer.accept', offerId: offer.offerId });
      const ticket = (await s.next('ticket')).ticket as { id: string };
      s.close();
      await s.whenClosed();

      const again = await connect(xining);
      expect(again.hello).toMatchObject({ state: { state: 'on_call' }, call: { callId, callerNumber: '135****2345' }, ticket: { id: ticket.id } });
      await ok(again, { type: 'call.hangup', callId });
      expect(await again.next('call.ended')).toMatchObject({ callId });
    });

    it('withdraws an offer that is not accepted in time, and the call goes back to the queue', async () => {
      t.app.router.settings = { ...t.app.router.settings, offerTimeoutSeconds: 0.3 };
      const s = await connect(xining);
      await ok(s, { type: 'state.set', state: 'ready' });
      const callId = await placeCall();
      const offer = await s.next('offer');
      expect(await s.next('offer.cancelled', () => true, 5_000)).toMatchObject({ offerId: offer.offerId, reason: 'timeout' });
      expect(await s.next('state', (f) => f.state === 'not_ready' && f.reason === 'missed')).toBeTruthy();
      expect(t.app.router.liveCall(callId)).toMatchObject({ status: 'waiting', missedBy: [xining.id] });
      await t.app.inject({ method: 'POST', url: `/sim/calls/${callId}/hangup` });
    });

    it('tells the agent when the caller hangs up while it rings', async () => {
      const s = await connect(xining);
      await ok(s, { type: 'state.set', state: 'ready' });
      const callId = await placeCall();
      const offer = await s.next('offer');
      await t.app.inject({ method: 'POST', url: `/sim/calls/${callId}/hangup` });
      expect(await s.next('offer.cancelled')).toMatchObject({ offerId: offer.offerId, reason: 'caller_left' });
    });
  });

  describe('transfers', () => {
    it("to a region's queue: the caller hears the transfer, a colleague there answers, and the ticket follows the call", async () => {
      const a = await connect(xining);
      await ok(a, { type: 'state.set', state: 'ready' });
      const callId = await placeCall();
      const ticketId = await answer(a);
      const b = await connect(haidong);
      await ok(b, { type: 'state.set', state: 'ready' });

      await ok(a, { type: 'call.transfer', callId, to: { region: '630200' }, mode: 'blind' });
      expect(await a.next('call.ended')).toMatchObject({ callId, reason: 'transferred' });
      await a.next('state', (f) => f.state === 'wrap_up');
      expect(await answer(b)).toBe(ticketId);
      expect(t.app.router.liveCall(callId)).toMatchObject({ status: 'connected', agentId: haidong.id, regionCode: '630200' });
      await t.app.callFlow.settled();
      const row = await t.app.db.selectFrom('tickets').select('agent_id').where('id', '=', ticketId).executeTakeFirstOrThrow();
      expect(row.agent_id).toBe(haidong.id);
      // The call's record moves to Haidong with it.
      await t.app.callRecorder.flush();
      expect(await t.app.db.selectFrom('calls').select(['region_code', 'agent_id']).where('id', '=', callId).executeTakeFirstOrThrow()).toEqual({ region_code: '630200', agent_id: haidong.id });
      const heard = (await t.app.inject({ method: 'GET', url: `/sim/calls/${callId}` })).json().heard.map((h: { key: string }) => h.key);
      // Told of the transfer, and put through to each adviser with nothing said in between.
      expect(heard.filter((k: string) => k === 'transferring')).toEqual(['transferring']);
      expect(heard.slice(heard.lastIndexOf('transferring') + 1).every((k: string) => k === 'queued' || k === 'no_estimate' || k === 'position' || k === 'callback_offer')).toBe(true);
      // The first agent can no longer touch the call.
      expect(await a.answer(a.send({ type: 'call.hangup', callId }))).toMatchObject({ type: 'error', code: 'NOT_YOURS' });
    });

    it('to a ready colleague directly; refused when the colleague is not ready (blind or consult); outside numbers are refused clearly', async () => {
      const a = await connect(xining);
      const b = await connect(haidong);
      await ok(a, { type: 'state.set', state: 'ready' });
      const callId = await placeCall();
      await answer(a);

      expect(await a.answer(a.send({ type: 'call.transfer', callId, to: { agentId: haidong.id }, mode: 'blind' }))).toMatchObject({ type: 'error', code: 'REFUSED', message: expect.stringContaining('not ready') });
      expect(await a.answer(a.send({ type: 'call.transfer', callId, to: { agentId: haidong.id }, mode: 'consult' }))).toMatchObject({ type: 'error', code: 'REFUSED', message: expect.stringContaining('not ready') });
      expect(await a.answer(a.send({ type: 'call.transfer', callId, to: { number: '+85221234567' }, mode: 'blind' }))).toMatchObject({ type: 'error', code: 'REFUSED', message: expect.stringContaining('mainland') });
      expect(await a.answer(a.send({ type: 'call.transfer', callId, to: { region: '110000' }, mode: 'blind' }))).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
      expect(t.app.router.liveCall(callId)).toMatchObject({ status: 'connected', agentId: xining.id });

      await ok(b, { type: 'state.set', state: 'ready' });
      await ok(a, { type: 'call.transfer', callId, to: { agentId: haidong.id }, mode: 'blind' });
      const offer = await b.next('offer');
      expect(offer).toMatchObject({ call: { callId } });
    });
  });

  describe('consult transfer', () => {
    it('a consults a ready colleague: b is offered the leg with whose call it is, a hears each step, completing hands b the call and its ticket', async () => {
      const a = await connect(xining);
      const b = await connect(haidong);
      await ok(a, { type: 'state.set', state: 'ready' });
      const callId = await placeCall();
      const ticketId = await answer(a);
      await ok(b, { type: 'state.set', state: 'ready' });

      await ok(a, { type: 'call.transfer', callId, to: { agentId: haidong.id }, mode: 'consult' });
      expect(await a.next('call.leg.changed')).toMatchObject({ callId, phase: 'opened', leg: { purpose: 'consult', state: 'ringing', byAgentId: xining.id, to: { agentId: haidong.id } } });
      const offer = await b.next('offer');
      const legCallId = (offer.call as { callId: string }).callId;
      expect(offer.call).toMatchObject({ kind: 'leg', leg: { purpose: 'consult', callId, fromAgentId: xining.id } });
      // Another transfer meanwhile is refused: the call has a second leg.
      expect(await a.answer(a.send({ type: 'call.transfer', callId, to: { region: '630200' }, mode: 'blind' }))).toMatchObject({ type: 'error', code: 'REFUSED' });
      await ok(b, { type: 'offer.accept', offerId: offer.offerId });
      expect((await b.next('call.connected')).call).toMatchObject({ kind: 'leg', callId: legCallId });
      expect(await a.next('call.leg.changed', (f) => f.phase === 'answered')).toMatchObject({ leg: { state: 'talking', agentId: haidong.id } });
      // Only the agent holding the call decides.
      expect(await b.answer(b.send({ type: 'call.leg', callId, action: 'complete' }))).toMatchObject({ type: 'error', code: 'NOT_YOURS' });

      await ok(a, { type: 'call.leg', callId, action: 'complete' });
      expect(await a.next('call.ended')).toMatchObject({ callId, reason: 'transferred' });
      await a.next('state', (f) => f.state === 'wrap_up');
      expect(await b.next('call.leg.changed', (f) => f.phase === 'completed')).toMatchObject({ callId });
      // Off hold: the complete brought the caller off the consult's music.
      expect((await b.next('call.connected', (f) => (f.call as { callId: string }).callId === callId)).call).toMatchObject({ kind: 'call', secondLeg: null, held: false });
      expect((await b.next('ticket')).ticket).toMatchObject({ id: ticketId, callId });
      await t.app.callFlow.settled();
      expect((await t.app.db.selectFrom('tickets').select('agent_id').where('id', '=', ticketId).executeTakeFirstOrThrow()).agent_id).toBe(haidong.id);
      // b reloads the page: the call is theirs.
      b.close();
      const again = await connect(haidong);
      expect(again.hello).toMatchObject({ call: { callId, kind: 'call' }, ticket: { id: ticketId } });
      await ok(again, { type: 'call.hangup', callId });
    });

    it('cancel frees the colleague (their leg ends) and a reloaded page shows the leg in progress', async () => {
      const a = await connect(xining);
      const b = await connect(haidong);
      await ok(a, { type: 'state.set', state: 'ready' });
      const callId = await placeCall();
      await answer(a);
      await ok(b, { type: 'state.set', state: 'ready' });
      await ok(a, { type: 'call.transfer', callId, to: { agentId: haidong.id }, mode: 'consult' });
      const offer = await b.next('offer');
      await ok(b, { type: 'offer.accept', offerId: offer.offerId });
      await a.next('call.leg.changed', (f) => f.phase === 'answered');
      a.close();
      const reloaded = await connect(xining);
      expect(reloaded.hello).toMatchObject({ call: { callId, secondLeg: { state: 'talking', agentId: haidong.id, purpose: 'consult' } } });
      await ok(reloaded, { type: 'call.leg', callId, action: 'cancel' });
      expect(await reloaded.next('call.leg.changed', (f) => f.phase === 'closed')).toMatchObject({ reason: 'cancelled' });
      expect(await b.next('call.ended')).toMatchObject({ callId: (offer.call as { callId: string }).callId, reason: 'hangup' });
      await b.next('state', (f) => f.state === 'ready');
      expect(t.app.router.liveCall(callId)).toMatchObject({ agentId: xining.id, leg: null });
      await ok(reloaded, { type: 'call.hangup', callId });
    });

    it('refuses a bad interpreter frame naming the field, and an interpreter colleague without the language', async () => {
      const a = await connect(xining);
      await ok(a, { type: 'state.set', state: 'ready' });
      const callId = await placeCall();
      await answer(a);
      const bad = await a.answer(a.send({ type: 'call.interpreter', callId, to: { language: 'Tibetan' } } as never));
      expect(bad).toMatchObject({ type: 'error', code: 'BAD_FRAME', message: expect.stringContaining('language') });
      const noLanguage = await a.answer(a.send({ type: 'call.interpreter', callId, to: { agentId: haidong.id } }));
      expect(noLanguage).toMatchObject({ type: 'error', code: 'REFUSED', message: expect.stringContaining('language') });
      await ok(a, { type: 'call.hangup', callId });
    });
  });

  describe('transfer to an outside number', () => {
    it('puts the caller through to a legal aid centre instead of the survey; the agent goes to wrap-up', async () => {
      const a = await connect(xining);
      await ok(a, { type: 'state.set', state: 'ready' });
      const callId = await placeCall();
      const offer = await a.next('offer');
      await ok(a, { type: 'offer.accept', offerId: offer.offerId });
      await a.next('call.connected');

      await ok(a, { type: 'call.transfer', callId, to: { number: '09716111111' }, mode: 'blind' });
      // The desk hears that the number is being dialled, then that it answered.
      expect(await a.next('call.forwarding')).toMatchObject({ callId, number: '09716111111' });
      expect(await a.next('call.ended')).toMatchObject({ callId, reason: 'forwarded' });
      await a.next('state', (f) => f.state === 'wrap_up');
      await t.app.callFlow.settled();
      const sim = (await t.app.inject({ method: 'GET', url: `/sim/calls/${callId}` })).json();
      expect(sim).toMatchObject({ status: 'ended', outcome: 'forwarded', forwardedTo: '09716111111' });
      const heard = sim.heard.map((h: { key: string }) => h.key);
      expect(heard.slice(-1)).toEqual(['forwarding']);
      expect(heard).not.toContain('survey');
      const events = await t.app.db.selectFrom('call_events').select(['type', 'data']).where('call_id', '=', callId).execute();
      expect(events.find((e) => e.type === 'forwarded')?.data).toMatchObject({ number: '09716111111', agentId: xining.id });
      // The phone system then says the outside line answered.
      const result = async () => {
        await t.app.records.drained();
        return (await t.app.db.selectFrom('call_events').select(['type', 'data']).where('call_id', '=', callId).execute()).find((e) => e.type === 'forward.result')?.data;
      };
      expect(await eventually(async () => (await result()) !== undefined, 10_000, 50)).toBe(true);
      expect(await result()).toEqual({ number: '09716111111', status: 'answer', cause: '16' });
    });

    it('brings the caller back to the agent when the outside line is busy, and records forward_failed with the status and the cause', async () => {
      const a = await connect(xining);
      await ok(a, { type: 'state.set', state: 'ready' });
      const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '13519712345', digits: '11015', forwardResult: 'BUSY' } });
      const callId = res.json().callId as string;
      await ok(a, { type: 'offer.accept', offerId: (await a.next('offer')).offerId });
      await a.next('call.connected');
      await ok(a, { type: 'call.transfer', callId, to: { number: '09716111111' }, mode: 'blind' });
      await a.next('call.forwarding');
      expect(await a.next('call.forward_failed')).toMatchObject({ callId, number: '09716111111', status: 'busy', cause: '17' });
      // Still the agent's call: the caller is told and put back through to them.
      expect(t.app.router.store.state.agent(xining.id)).toMatchObject({ state: 'on_call', callId });
      expect(await eventually(async () => {
        const sim = (await t.app.inject({ method: 'GET', url: `/sim/calls/${callId}` })).json();
        return sim.status === 'connected' && sim.heard.some((h: { key: string }) => h.key === 'forward_failed');
      }, 10_000, 50)).toBe(true);
      expect(await eventually(async () => {
        await t.app.callFlow.settled();
        await t.app.records.drained();
        const row = await t.app.db.selectFrom('calls').select(['end_detail']).where('id', '=', callId).executeTakeFirstOrThrow();
        return row.end_detail === 'forward_failed:busy:17';
      }, 10_000, 50)).toBe(true);
      const events = await t.app.db.selectFrom('call_events').select(['type', 'data']).where('call_id', '=', callId).execute();
      expect(events.find((e) => e.type === 'forward.result')?.data).toEqual({ number: '09716111111', status: 'busy', cause: '17' });
      expect(t.logs.some((l) => l.msg === 'a call transferred to an outside number did not get through' && l.callId === callId)).toBe(true);
      // The conversation goes on and ends as any other: the caller gets the survey.
      await ok(a, { type: 'call.hangup', callId });
      expect(await a.next('call.ended')).toMatchObject({ callId, reason: 'hangup' });
      expect(await eventually(async () => {
        const sim = (await t.app.inject({ method: 'GET', url: `/sim/calls/${callId}` })).json();
        return sim.heard.some((h: { key: string }) => h.key === 'survey');
      }, 10_000, 50)).toBe(true);
    });
  });

  describe('one agent cannot act for another', () => {
    it("refuses another agent's offer, call and ticket", async () => {
      const a = await connect(xining);
      const b = await connect(haidong);
      await ok(a, { type: 'state.set', state: 'ready' });
      const callId = await placeCall();
      const offer = await a.next('offer');

      expect(await b.answer(b.send({ type: 'offer.accept', offerId: offer.offerId }))).toMatchObject({ type: 'error', code: 'NOT_YOURS' });
      expect(await b.answer(b.send({ type: 'offer.decline', offerId: offer.offerId }))).toMatchObject({ type: 'error', code: 'NOT_YOURS' });
      await ok(a, { type: 'offer.accept', offerId: offer.offerId });
      const ticket = (await a.next('ticket')).ticket as { id: string };
      expect(await b.answer(b.send({ type: 'call.hangup', callId }))).toMatchObject({ type: 'error', code: 'NOT_YOURS' });
      expect(await b.answer(b.send({ type: 'call.hold', callId }))).toMatchObject({ type: 'error', code: 'NOT_YOURS' });
      expect(await b.answer(b.send({ type: 'ticket.save', ticketId: ticket.id, fields: { summary: 'overwritten' } }))).toMatchObject({ type: 'error', code: 'NOT_YOURS' });
      expect(t.app.router.liveCall(callId)).toMatchObject({ status: 'connected', agentId: xining.id });
      const row = await t.app.db.selectFrom('tickets').select('summary').where('id', '=', ticket.id).executeTakeFirstOrThrow();
      expect(row.summary).toBe('');
      expect(await b.answer(b.send({ type: 'call.hangup', callId: '00000000-0000-0000-0000-000000000000' }))).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    });
  });

  describe('abuse', () => {
    it('answers malformed JSON, unknown types and wrong field types with an error naming the problem', async () => {
      const s = await connect(xining);
      s.sendRaw('{"v":1,"type":');
      expect(await s.next('error')).toMatchObject({ code: 'BAD_FRAME', message: 'the frame is not valid JSON' });
      s.sendRaw(JSON.stringify({ v: 1, type: 'call.explode', ref: 'x1' }));
      expect(await s.next('error')).toMatchObject({ ref: 'x1', code: 'BAD_FRAME', message: expect.stringContaining('type: must be one of') });
      s.sendRaw(JSON.stringify({ v: 1, type: 'state.set', state: 42, ref: 'x2' }));
      expect(await s.next('error')).toMatchObject({ ref: 'x2', message: expect.stringContaining('state:') });
      s.sendRaw(Buffer.from([1, 2, 3]), true);
      expect(await s.next('error')).toMatchObject({ code: 'BAD_FRAME', message: expect.stringContaining('binary') });
      expect(await s.next('pong', () => true, 100).catch(() => null)).toBeNull();
      expect(s.closed).toBeNull();
    });

    it('refuses a ticket.save with a NUL in a field, naming the field in English and Chinese, and writes nothing', async () => {
      const ticket = await t.app.db
        .insertInto('tickets')
        .values({ number: 'QH-20261101-000777', caller_number: '13519712345', region_code: '630102', topic: 'labour', summary: '原摘要', agent_id: xining.id })
        .returning('id')
        .executeTakeFirstOrThrow();
      const s = await connect(xining);
      const ref = s.send({ type: 'ticket.save', ticketId: ticket.id, fields: { summary: 'a\u0000b' } });
      expect(await s.answer(ref)).toMatchObject({
        type: 'error',
        code: 'BAD_FRAME',
        message: 'fields.summary: must not contain NUL characters',
        messageZh: expect.stringContaining('fields.summary'),
      });
      const row = await t.app.db.selectFrom('tickets').select('summary').where('id', '=', ticket.id).executeTakeFirstOrThrow();
      expect(row.summary).toBe('原摘要');
      expect(await t.app.db.selectFrom('audit_log').select('id').where('entity_id', '=', ticket.id).execute()).toEqual([]);
      expect(s.closed).toBeNull();
    });

    it('closes an oversized frame with 1009 and a flood with 1008; the node keeps serving', async () => {
      const big = await connect(xining);
      big.sendRaw(JSON.stringify({ v: 1, type: 'ping', pad: 'x'.repeat(20_000) }));
      expect((await big.whenClosed()).code).toBe(1009);

      const flood = await connect(haidong);
      for (let i = 0; i < 400; i++) flood.sendRaw(JSON.stringify({ v: 1, type: 'ping' }));
      expect(await flood.next('error', (f) => f.code === 'RATE_LIMITED')).toBeTruthy();
      expect((await flood.whenClosed()).code).toBe(1008);

      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      const fresh = await connect(xining);
      fresh.send({ type: 'ping' });
      expect(await fresh.next('pong')).toBeTruthy();
    });
  });

  describe('a sign-in that is no longer valid', () => {
    let admin: { id: string; token: string };
    let n = 0;
    beforeAll(async () => {
      admin = await t.addUser({ username: 'admin.desk', role: 'admin', region: '630000', languages: { zh: 5 } });
    });
    const newAgent = () => t.addUser({ username: `agent.revoked${++n}`, role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    const patch = async (id: string, body: Record<string, unknown>) => {
      const res = await t.app.inject({ method: 'PATCH', url: `/api/agents/${id}`, headers: { authorization: `Bearer ${admin.token}` }, payload: body });
      expect(res.statusCode).toBe(200);
    };

    it('a desk is closed with 4003 as soon as its account is disabled, and its token no longer opens one', async () => {
      const who = await newAgent();
      const s = await connect(who);
      await s.next('queue.stats');
      await patch(who.id, { disabled: true });
      // Well inside the 30 s re-check: the revocation closes it.
      expect((await s.whenClosed(5_000)).code).toBe(4003);
      expect(await AgentSocket.upgradeStatus(base, `?token=${who.token}`)).toMatchObject({ status: 401 });
    });

    it('a desk is closed with 4003 when the password or the role changes; a new sign-in opens a desk again', async () => {
      const who = await newAgent();
      const first = await connect(who);
      await patch(who.id, { password: 'changed-password-1' });
      expect((await first.whenClosed(5_000)).code).toBe(4003);
      expect(await AgentSocket.upgradeStatus(base, `?token=${who.token}`)).toMatchObject({ status: 401 });

      const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: `agent.revoked${n}`, password: 'changed-password-1' } });
      const second = await connect({ token: login.json().token });
      expect(second.hello).toMatchObject({ agent: { id: who.id } });
      await patch(who.id, { role: 'supervisor' });
      expect((await second.whenClosed(5_000)).code).toBe(4003);
    });

    it('the periodic re-check closes a desk whose revocation this node never heard', async () => {
      const who = await newAgent();
      const s = await connect(who);
      // As if published while Redis was away: the database moved on, no announcement came.
      await t.app.db.updateTable('agents').set((eb) => ({ token_version: eb('token_version', '+', 1) })).where('id', '=', who.id).execute();
      await t.app.agentGateway.recheckAccounts();
      expect((await s.whenClosed(5_000)).code).toBe(4003);
      // Other desks are left alone.
      const other = await connect(xining);
      await t.app.agentGateway.recheckAccounts();
      other.send({ type: 'ping' });
      expect(await other.next('pong')).toBeTruthy();
    });
  });

  describe('a lost connection', () => {
    it('keeps an open desktop signed in; once the socket is gone, logs the agent out after the grace period and returns the offer', async () => {
      t.app.router.settings = { ...t.app.router.settings, presenceGraceSeconds: 1.5, offerTimeoutSeconds: 20 };
      try {
        const s = await connect(xining);
        await ok(s, { type: 'state.set', state: 'ready' });
        // Twice the grace period with the socket open: the gateway's renewals keep the agent in.
        await new Promise((r) => setTimeout(r, 3_000));
        await t.app.router.processDue();
        expect(t.app.router.liveAgent(xining.id)).toMatchObject({ state: 'ready' });

        const callId = await placeCall();
        await s.next('offer');
        s.ws.terminate();
        expect(await eventually(async () => t.app.router.liveCall(callId)?.status === 'waiting', 5_000, 50)).toBe(true);
        expect(t.app.router.liveCall(callId)?.missedBy).toContain(xining.id);
        expect(await eventually(async () => t.app.router.liveAgent(xining.id)?.state === 'offline', 5_000, 50)).toBe(true);
      } finally {
        t.app.router.settings = { ...t.app.router.settings, presenceGraceSeconds: 30 };
      }
    });
  });

  describe('the AsyncAPI document', () => {
    it('describes every frame sent and received above; frames the server refused as malformed it refuses too', async () => {
      const spec = await AsyncApiFrames.load(t.app);
      expect(AsyncApiFrames.counted(FrameSocket.opened).received).toBeGreaterThan(100);
      expect(spec.mismatches(FrameSocket.opened)).toEqual([]);
    });
  });
});
