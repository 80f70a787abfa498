import { AgentSocket } from '../support/agent-socket';
import { bearer, startTestApp, type TestApp } from '../support/app';
import { ANY_HOUR, setProvinceSettings } from '../support/province-settings';
import { eventually } from '../support/tcp-proxy';
import { BoardSocket } from '../supervisors/board-socket';

/**
 * A callback is a promise: booked in the database the moment the caller is told, tried by the
 * province's policy (attempts, spacing, calling hours), and ended only as completed, failed or
 * cancelled — listed for supervisors, counted on the wallboard when overdue.
 */
describe('callbacks', () => {
  let t: TestApp;
  let base: string;
  let agent: { id: string; token: string };
  let xining: { id: string; token: string };
  let yushu: { id: string; token: string };
  const POLICY = { ...ANY_HOUR, maxAttempts: 2, retryMinutes: 30, overdueMinutes: 60 };

  beforeAll(async () => {
    // The agent phones the caller (CALLBACK_DIAL=agent): test/callbacks/dial-out.*.test.ts cover the phone system dialling.
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 }, callbackDial: 'agent' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    // The only Mongolian speaker in the province, so nobody answers a Mongolian caller until they sign in.
    agent = await t.addUser({ username: 'agent.mn', role: 'agent', region: '630100', languages: { zh: 5, mn: 4 }, topics: { labour: 5 } });
    xining = await t.addUser({ username: 'sup.xining', role: 'supervisor', region: '630100' });
    yushu = await t.addUser({ username: 'sup.yushu', role: 'supervisor', region: '632700' });
    await setProvinceSettings(t.app, 'callbacks', POLICY);
    // The clock reads the policy on each pass: from here on it is the test's.
    await t.app.callbacks.pass();
  });
  afterAll(async () => t.close());

  const view = async (id: string) => (await t.app.inject({ method: 'GET', url: `/sim/calls/${id}` })).json();
  const callback = (id: string) => t.app.db.selectFrom('callbacks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const settled = async () => {
    await t.app.callFlow.settled();
    await t.app.callRecorder.flush();
    await t.app.callbacks.settled();
    await t.app.records.drained();
  };

  /** A Mongolian caller in Xining who waits past the limit and is promised a callback. */
  async function promised(from: string): Promise<string> {
    t.app.router.settings = { ...t.app.router.settings, maxWaitSeconds: 0.3 };
    const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from, digits: '31000' } });
    const callId = res.json().callId as string;
    expect(await eventually(async () => (await view(callId)).status === 'ended', 10_000, 20)).toBe(true);
    expect((await view(callId)).heard.map((h: { key: string }) => h.key)).toContain('queue_timeout');
    await settled();
    const row = await t.app.db.selectFrom('calls').select(['callback_id', 'end_reason']).where('id', '=', callId).executeTakeFirstOrThrow();
    expect(row.end_reason).toBe('callback');
    return row.callback_id!;
  }

  /** The agent takes the next offer (an attempt at a callback) and is on the call. */
  async function takeAttempt(desk: AgentSocket): Promise<string> {
    await desk.answer(desk.send({ type: 'state.set', state: 'ready' }));
    const offer = await desk.next('offer');
    // The agent sees the number to call masked, as for any call.
    expect(offer).toMatchObject({ call: { kind: 'callback', language: 'mn', callerNumber: expect.stringContaining('*') } });
    await desk.answer(desk.send({ type: 'offer.accept', offerId: offer.offerId }));
    const connected = await desk.next('call.connected');
    return (connected.call as { callId: string }).callId;
  }

  it('keeps a callback past the wait limit: queued as an attempt that no deadline removes, offered when a speaker signs in, and recorded', async () => {
    const id = await promised('09718000701');
    expect(await callback(id)).toMatchObject({ reason: 'queue_timeout', status: expect.stringMatching(/pending|queued/), language: 'mn', region_code: '630100', caller_number: '09718000701', attempts: 0, max_attempts: 2 });

    await t.app.callbacks.pass();
    const queued = await callback(id);
    expect(queued.status).toBe('queued');
    // The caller's wait limit does not apply to an attempt: nobody is holding the line.
    await new Promise((r) => setTimeout(r, 1_000));
    await t.app.router.processDue();
    expect(t.app.router.liveCall(queued.attempt_id!)).toMatchObject({ kind: 'callback', status: 'waiting', origin: id });

    const desk = await AgentSocket.open(base, agent.token);
    try {
      const attempt = await takeAttempt(desk);
      expect(attempt).toBe(queued.attempt_id);
      const ticket = (await desk.next('ticket')).ticket as { callId: string };
      expect(ticket.callId).toBe(attempt);
      await settled();
      const record = await t.app.db.selectFrom('calls').selectAll().where('id', '=', attempt).executeTakeFirstOrThrow();
      expect(record).toMatchObject({ direction: 'outbound', driver: 'callback', caller_number: '09718000701', agent_id: agent.id, callback_id: id });
      expect(await callback(id)).toMatchObject({ status: 'queued', attempts: 1, agent_id: agent.id });

      await desk.answer(desk.send({ type: 'callback.result', callId: attempt, result: 'reached' }));
      await desk.answer(desk.send({ type: 'call.hangup', callId: attempt }));
      await desk.next('call.ended');
      await settled();
      expect(await callback(id)).toMatchObject({ status: 'completed', last_result: 'reached', close_reason: 'reached', attempts: 1 });
      await desk.answer(desk.send({ type: 'wrapup.end', next: 'not_ready' }));
    } finally {
      desk.close();
    }
  });

  it('tries again after the policy spacing when the caller did not answer, and fails after the last attempt', async () => {
    const id = await promised('09718000702');
    const desk = await AgentSocket.open(base, agent.token);
    try {
      await t.app.callbacks.pass();
      const first = await takeAttempt(desk);
      // Hung up at once, without saying: too little talk to have reached anyone.
      await desk.answer(desk.send({ type: 'call.hangup', callId: first }));
      await desk.next('call.ended');
      await settled();
      const after = await callback(id);
      expect(after).toMatchObject({ status: 'pending', attempts: 1, last_result: 'no_answer' });
      const spacing = after.next_attempt_at.getTime() - Date.now();
      expect(spacing).toBeGreaterThan(28 * 60_000);
      expect(spacing).toBeLessThanOrEqual(30 * 60_000);
      await desk.answer(desk.send({ type: 'wrapup.end', next: 'not_ready' }));

      // Not due yet: nothing is queued.
      await t.app.callbacks.pass();
      expect((await callback(id)).status).toBe('pending');

      // Half an hour later (moved forward here), the second and last attempt.
      await t.app.db.updateTable('callbacks').set({ next_attempt_at: new Date(Date.now() - 1_000) }).where('id', '=', id).execute();
      await t.app.callbacks.pass();
      const second = await takeAttempt(desk);
      expect(second).not.toBe(first);
      await desk.answer(desk.send({ type: 'callback.result', callId: second, result: 'no_answer' }));
      await desk.answer(desk.send({ type: 'call.hangup', callId: second }));
      await desk.next('call.ended');
      await settled();
      expect(await callback(id)).toMatchObject({ status: 'failed', attempts: 2, close_reason: 'attempts_exhausted', last_result: 'no_answer' });
      await desk.answer(desk.send({ type: 'wrapup.end', next: 'not_ready' }));
    } finally {
      desk.close();
    }
  });

  it('calls nobody outside calling hours: a waiting attempt goes back to the promise, due when the window opens', async () => {
    const id = await promised('09718000703');
    await t.app.callbacks.pass();
    const attempt = (await callback(id)).attempt_id!;
    expect(t.app.router.liveCall(attempt)).toBeDefined();

    // A window that opens two hours from now (China time) and lasts one hour.
    const cstHour = (new Date(Date.now() + 8 * 3600_000).getUTCHours() + 2) % 24;
    const from = `${String(cstHour).padStart(2, '0')}:00`;
    const to = `${String((cstHour + 1) % 24).padStart(2, '0')}:00`;
    await setProvinceSettings(t.app, 'callbacks', { ...POLICY, callingHours: { from, to } });
    try {
      await t.app.callbacks.pass();
      await settled();
      expect(t.app.router.liveCall(attempt)).toBeUndefined();
      const row = await callback(id);
      expect(row).toMatchObject({ status: 'pending', attempts: 0, attempt_id: null });
      expect(new Date(row.next_attempt_at.getTime() + 8 * 3600_000).toISOString().slice(11, 16)).toBe(from);
      expect(row.next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 60 * 60_000);
    } finally {
      await setProvinceSettings(t.app, 'callbacks', POLICY);
    }
  });

  it('lists callbacks for the supervisors of their area, counts the overdue ones on the wallboard, and lets a supervisor cancel one (audited)', async () => {
    const id = await promised('09718000704');
    // Due well over the policy's hour ago and still not made.
    await t.app.db.updateTable('callbacks').set({ due_at: new Date(Date.now() - 2 * 3600_000) }).where('id', '=', id).execute();
    const list = async (token: string, query = '') => (await t.app.inject({ method: 'GET', url: `/api/callbacks${query}`, headers: bearer(token) })).json();
    expect((await list(xining.token, '?overdue=true')).items).toEqual(expect.arrayContaining([expect.objectContaining({ id, overdue: true, callerNumber: '09718000704', attempts: 0 })]));
    expect((await list(yushu.token)).items.map((c: { id: string }) => c.id)).not.toContain(id);
    expect((await t.app.inject({ method: 'GET', url: '/api/callbacks?status=later', headers: bearer(xining.token) })).json().message).toMatch(/querystring\.status/);
    expect((await t.app.inject({ method: 'GET', url: '/api/callbacks', headers: bearer(agent.token) })).statusCode).toBe(403);

    const board = await BoardSocket.open(base, xining.token);
    try {
      await t.app.wallboard.refresh();
      expect((await board.board((b) => b.root.overdueCallbacks >= 1)).root.overdueCallbacks).toBeGreaterThanOrEqual(1);
    } finally {
      board.close();
    }

    const cancel = (token: string) => t.app.inject({ method: 'POST', url: `/api/callbacks/${id}/cancel`, headers: bearer(token), payload: { reason: '来电人已再次来电并得到解答' } });
    expect((await cancel(yushu.token)).statusCode).toBe(403);
    const done = await cancel(xining.token);
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ id, status: 'cancelled', overdue: false, closeReason: '来电人已再次来电并得到解答' });
    expect((await cancel(xining.token)).statusCode).toBe(409);
    const audit = await t.app.db.selectFrom('audit_log').selectAll().where('entity_id', '=', id).execute();
    expect(audit.map((a) => [a.action, a.actor_username])).toEqual([['callback.cancel', 'sup.xining']]);
    // Cancelled means never called: the clock does not queue it, and an attempt its own pass
    // queued before the cancel (it runs in the background; on a busy machine it may) is withdrawn.
    await t.app.callbacks.pass();
    const after = await callback(id);
    expect(after.status).toBe('cancelled');
    expect(after.attempt_id ? (t.app.router.liveCall(after.attempt_id) ?? null) : null).toBeNull();
  });

  it('calls back a caller who gave up after waiting long enough, once per number and day, when the province asks for it (漏接回拨)', async () => {
    t.app.router.settings = { ...t.app.router.settings, maxWaitSeconds: 600 };
    const missedOf = async (number: string) =>
      t.app.db.selectFrom('callbacks').select(['id', 'reason', 'origin_call_id']).where('caller_number', '=', number).where('reason', '=', 'missed_call').execute();
    /** A Mongolian caller (nobody to answer) who hangs up after `waitMs` in the queue. */
    const givesUp = async (from: string, waitMs: number) => {
      const callId = (await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from, digits: '31000' } })).json().callId as string;
      expect(await eventually(async () => (await view(callId)).status === 'queued', 10_000, 20)).toBe(true);
      await new Promise((r) => setTimeout(r, waitMs));
      await t.app.inject({ method: 'POST', url: `/sim/calls/${callId}/hangup` });
      await settled();
      return callId;
    };

    // Off unless the province turns it on.
    await givesUp('09718000801', 1_200);
    expect(await missedOf('09718000801')).toEqual([]);

    await setProvinceSettings(t.app, 'callbacks', { ...POLICY, missedCall: { afterSeconds: 1 } });
    await t.app.callbacks.pass();
    const first = await givesUp('09718000802', 1_200);
    expect(await missedOf('09718000802')).toEqual([{ id: expect.any(String), reason: 'missed_call', origin_call_id: first }]);
    const row = await t.app.db.selectFrom('calls').select(['end_reason', 'callback_id']).where('id', '=', first).executeTakeFirstOrThrow();
    expect(row).toEqual({ end_reason: 'abandoned', callback_id: (await missedOf('09718000802'))[0]!.id });
    // The same number giving up again the same day: no second callback.
    await givesUp('09718000802', 1_200);
    expect(await missedOf('09718000802')).toHaveLength(1);
    // A caller who hung up at once did not wait long enough to be called back.
    await givesUp('09718000803', 0);
    expect(await missedOf('09718000803')).toEqual([]);

    // Not the test's to keep: later runs of the clock would call these numbers.
    for (const c of await missedOf('09718000802')) await t.app.inject({ method: 'POST', url: `/api/callbacks/${c.id}/cancel`, headers: bearer(xining.token), payload: { reason: 'test' } });
    await setProvinceSettings(t.app, 'callbacks', POLICY);
  });
});
