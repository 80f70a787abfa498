import { AgentSocket } from '../support/agent-socket';
import { startTestApp, type TestApp } from '../support/app';
import { ANY_HOUR, setProvinceSettings } from '../support/province-settings';
import { eventually } from '../support/tcp-proxy';

/**
 * Callbacks dialled by the phone system (here the simulator, CALLBACK_DIAL's default when
 * TELEPHONY=sim): the agent accepts the attempt, the simulated callee answers, does not answer,
 * is busy or cannot be reached as the call it was booked from asked, and each outcome is recorded
 * and retried by the province's policy.
 */
describe('callbacks dialled out by the simulator', () => {
  let t: TestApp;
  let base: string;
  let agent: { id: string; token: string };
  const POLICY = { ...ANY_HOUR, maxAttempts: 2, retryMinutes: 30 };

  beforeAll(async () => {
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    agent = await t.addUser({ username: 'agent.mn', role: 'agent', region: '630100', languages: { zh: 5, mn: 4 }, topics: { labour: 5 } });
    await setProvinceSettings(t.app, 'callbacks', POLICY);
    await t.app.callbacks.pass();
  });
  afterAll(async () => t.close());

  const view = async (id: string) => (await t.app.inject({ method: 'GET', url: `/sim/calls/${id}` })).json();
  const callback = (id: string) => t.app.db.selectFrom('callbacks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const record = (id: string) => t.app.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const settled = async () => {
    await t.app.callFlow.settled();
    await t.app.callRecorder.flush();
    await t.app.callbacks.settled();
    await t.app.callbackCalls.settled();
    await t.app.records.drained();
  };

  /** A Mongolian caller nobody can answer now, promised a callback; `callbackResult`: what they do when called back. */
  async function promised(from: string, callbackResult?: string): Promise<string> {
    t.app.router.settings = { ...t.app.router.settings, maxWaitSeconds: 0.3 };
    const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from, digits: '31000', ...(callbackResult ? { callbackResult } : {}) } });
    expect(res.statusCode).toBe(201);
    const callId = res.json().callId as string;
    expect(await eventually(async () => (await view(callId)).status === 'ended', 10_000, 20)).toBe(true);
    await settled();
    const row = await t.app.db.selectFrom('calls').select('callback_id').where('id', '=', callId).executeTakeFirstOrThrow();
    await t.app.callbacks.pass();
    return row.callback_id!;
  }

  /** The agent takes the next offer, an attempt at a callback. */
  async function accept(desk: AgentSocket): Promise<string> {
    await desk.answer(desk.send({ type: 'state.set', state: 'ready' }));
    const offer = await desk.next('offer');
    expect(offer).toMatchObject({ call: { kind: 'callback' } });
    await desk.answer(desk.send({ type: 'offer.accept', offerId: offer.offerId }));
    return ((await desk.next('call.connected')).call as { callId: string }).callId;
  }

  it('records a busy callee, frees the agent at once, tries again after the policy spacing, and fails after the last attempt', async () => {
    const id = await promised('09718000901', 'BUSY');
    const desk = await AgentSocket.open(base, agent.token);
    try {
      const before = Date.now();
      const first = await accept(desk);
      expect(await desk.next('call.ended')).toMatchObject({ callId: first, reason: 'not_reached', talkSeconds: 0 });
      await settled();
      const after = Date.now();
      // The simulated callee was rung for this agent and was busy.
      expect(t.app.simDriver!.callback(first)).toMatchObject({ number: '09718000901', agentUsername: 'agent.mn', result: 'BUSY', status: 'ended' });
      const row = await callback(id);
      expect(row).toMatchObject({ status: 'pending', attempts: 1, last_result: 'busy' });
      // Due again after the policy's 30 minutes.
      expect(row.next_attempt_at.getTime()).toBeGreaterThanOrEqual(before + 30 * 60_000);
      expect(row.next_attempt_at.getTime()).toBeLessThanOrEqual(after + 30 * 60_000);
      // The attempt's record says nobody answered, and why.
      expect(await record(first)).toMatchObject({ status: 'ended', end_reason: 'failed', end_detail: 'dial_busy:17', answered_at: null, talk_ms: 0 });
      // No wrap-up for a call nobody took: the agent is ready for the next one.
      expect(t.app.router.liveAgent(agent.id)?.state).toBe('ready');

      await t.app.db.updateTable('callbacks').set({ next_attempt_at: new Date(Date.now() - 1_000) }).where('id', '=', id).execute();
      await t.app.callbacks.pass();
      const offer = await desk.next('offer');
      await desk.answer(desk.send({ type: 'offer.accept', offerId: offer.offerId }));
      expect(await desk.next('call.ended')).toMatchObject({ reason: 'not_reached' });
      await settled();
      expect(await callback(id)).toMatchObject({ status: 'failed', attempts: 2, last_result: 'busy', close_reason: 'attempts_exhausted' });
      await desk.answer(desk.send({ type: 'state.set', state: 'not_ready', reason: 'break' }));
    } finally {
      desk.close();
    }
  });

  it('records no answer and a call that could not be placed as attempts to try again', async () => {
    const noAnswer = await promised('09718000902', 'NOANSWER');
    const unreachable = await promised('09718000903', 'CHANUNAVAIL');
    const desk = await AgentSocket.open(base, agent.token);
    try {
      const attempts = [await accept(desk)];
      await desk.next('call.ended');
      const offer = await desk.next('offer');
      await desk.answer(desk.send({ type: 'offer.accept', offerId: offer.offerId }));
      attempts.push(((await desk.next('call.connected')).call as { callId: string }).callId);
      await desk.next('call.ended');
      await settled();
      const rows = [await callback(noAnswer), await callback(unreachable)];
      expect(rows.map((r) => [r.status, r.attempts, r.last_result]).sort()).toEqual([
        ['pending', 1, 'failed'],
        ['pending', 1, 'no_answer'],
      ]);
      const details = await Promise.all(attempts.map(async (a) => (await record(a)).end_detail));
      expect(details.sort()).toEqual(['dial_failed:20', 'dial_no_answer:19']);
      await desk.answer(desk.send({ type: 'state.set', state: 'not_ready', reason: 'break' }));
    } finally {
      desk.close();
    }
  });

  it('bridges an answering callee to the agent, recorded: the callback is reached, and the agent hangs up at the desk', async () => {
    const id = await promised('09718000904');
    const desk = await AgentSocket.open(base, agent.token);
    try {
      const attempt = await accept(desk);
      await settled();
      expect(t.app.simDriver!.callback(attempt)).toMatchObject({ result: 'ANSWER', status: 'talking' });
      expect(await callback(id)).toMatchObject({ status: 'completed', attempts: 1, last_result: 'reached', close_reason: 'reached' });
      expect(t.app.router.liveCall(attempt)).toMatchObject({ status: 'connected', bridgedOnce: true });
      expect(await record(attempt)).toMatchObject({ recording_url: `sim:recordings/${attempt}`, answered_at: expect.any(Date) });

      await desk.answer(desk.send({ type: 'call.hangup', callId: attempt }));
      expect(await desk.next('call.ended')).toMatchObject({ callId: attempt, reason: 'hangup' });
      await settled();
      expect(t.app.simDriver!.callback(attempt)?.status).toBe('ended');
      expect(await record(attempt)).toMatchObject({ status: 'ended', end_reason: 'answered' });
      expect(await callback(id)).toMatchObject({ status: 'completed', last_result: 'reached' });
    } finally {
      desk.close();
    }
  });
});
