import { AgentSocket } from '../support/agent-socket';
import { bookedCallback } from '../support/callbacks';
import { startTestApp, type TestApp } from '../support/app';
import { ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, child, parseTwiml, sid, signedWebhook, startFakeTwilio, twilioConfig, verbs, type FakeTwilio, type FakeTwilioCreate, placedCallParams } from '../support/fake-twilio';
import { ANY_HOUR, setProvinceSettings } from '../support/province-settings';
import { until } from '../telephony/asterisk-flow.suite';

/**
 * Callbacks dialled through Twilio: the agent accepts an attempt, the service places the call to
 * the caller with calls.create (to the local fake of Twilio's REST API); the test then plays what
 * Twilio sends back (the signed answer, status and recording webhooks) and checks what is
 * recorded, what the agent's desk is told and what TwiML Twilio is given.
 */
describe('callbacks dialled out through Twilio (calls.create)', () => {
  let t: TestApp;
  let fake: FakeTwilio;
  let base: string;
  let agent: { id: string; token: string };
  const CALLER_ID = '+869718012348';
  const POLICY = { ...ANY_HOUR, maxAttempts: 2, retryMinutes: 30 };

  beforeAll(async () => {
    fake = await startFakeTwilio();
    t = await startTestApp({ ...twilioConfig(fake.url, { callerId: CALLER_ID }), telephony: ['twilio'] });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    agent = await t.addUser({ username: 'agent.tw', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    await setProvinceSettings(t.app, 'callbacks', POLICY);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const callback = (id: string) => t.app.db.selectFrom('callbacks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const record = (id: string) => t.app.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const events = (id: string, type: string) => t.app.db.selectFrom('call_events').select('data').where('call_id', '=', id).where('type', '=', type).execute();
  const settled = async () => {
    await t.app.callRecorder.flush();
    await t.app.callbacks.settled();
    await t.app.callbackCalls.settled();
    await t.app.records.drained();
  };
  /** A webhook as Twilio sends it to a URL the service gave it (under PUBLIC_BASE_URL). */
  const webhook = (url: string, params: Record<string, string>) => {
    expect(url.startsWith(`${PUBLIC_BASE_URL}/telephony/twilio/callback/`)).toBe(true);
    return t.app.inject(signedWebhook(url.slice(PUBLIC_BASE_URL.length), params));
  };
  const callParams = placedCallParams;

  const booked = (number: string) => bookedCallback(t, number);

  /** The agent takes the next offer, an attempt at a callback; returns it with the call Twilio was asked to place. */
  async function accept(desk: AgentSocket): Promise<{ attemptId: string; create: FakeTwilioCreate }> {
    const placed = fake.creates().length;
    const state = t.app.router.liveAgent(agent.id)?.state;
    if (state !== 'ready' && state !== 'reserved') await desk.answer(desk.send({ type: 'state.set', state: 'ready' }));
    const offer = await desk.next('offer');
    expect(offer).toMatchObject({ call: { kind: 'callback' } });
    await desk.answer(desk.send({ type: 'offer.accept', offerId: offer.offerId }));
    const attemptId = ((await desk.next('call.connected')).call as { callId: string }).callId;
    await until(() => fake.creates().length === placed + 1, 'calls.create');
    await settled();
    return { attemptId, create: fake.creates().at(-1)! };
  }

  it("places the call to the caller's E.164 number from the caller ID; busy is tried again by the policy, no answer on the last attempt fails the callback", async () => {
    const id = await booked('09718000950');
    const desk = await AgentSocket.open(base, agent.token);
    try {
      const first = await accept(desk);
      const { create } = first;
      expect(create.method).toBe('POST');
      expect(create.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`);
      expect(create.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
      // The landline 0971-8000950 in E.164, shown the hotline's caller ID; Twilio fetches the answer
      // TwiML (naming the attempt and the agent) and reports how the call ended.
      expect(create.params).toMatchObject({
        To: '+869718000950',
        From: CALLER_ID,
        Url: `${PUBLIC_BASE_URL}/telephony/twilio/callback/answer?attempt=${first.attemptId}&agent=agent.tw`,
        Method: 'POST',
        StatusCallback: `${PUBLIC_BASE_URL}/telephony/twilio/callback/status?attempt=${first.attemptId}`,
        StatusCallbackMethod: 'POST',
        Timeout: '45',
      });
      expect(create.lists.StatusCallbackEvent).toEqual(['completed']);
      // Only the conversation is recorded (by the answer's <Dial>), not the ringing.
      expect(create.params.Record).toBeUndefined();
      expect(await callback(id)).toMatchObject({ status: 'queued', attempts: 1, attempt_id: first.attemptId });

      // Busy: the agent is told nobody was reached, and is free at once.
      const before = Date.now();
      const busy = await webhook(create.params.StatusCallback!, callParams(create, 'busy', { CallDuration: '0', SipResponseCode: '486' }));
      expect(busy.statusCode).toBe(204);
      expect(await desk.next('call.ended')).toMatchObject({ callId: first.attemptId, reason: 'not_reached', talkSeconds: 0 });
      await settled();
      const after = Date.now();
      const row = await callback(id);
      expect(row).toMatchObject({ status: 'pending', attempts: 1, last_result: 'busy' });
      // Due again after the policy's 30 minutes.
      expect(row.next_attempt_at.getTime()).toBeGreaterThanOrEqual(before + 30 * 60_000);
      expect(row.next_attempt_at.getTime()).toBeLessThanOrEqual(after + 30 * 60_000);
      expect(await record(first.attemptId)).toMatchObject({ status: 'ended', end_reason: 'failed', end_detail: 'dial_busy:twilio_busy', answered_at: null, talk_ms: 0 });
      expect((await events(first.attemptId, 'callback.dial')).map((e) => e.data)).toEqual([{ outcome: 'busy', cause: 'twilio_busy', externalId: create.callSid }]);
      expect(t.app.router.liveAgent(agent.id)?.state).toBe('ready');
      // The call is over at Twilio: nothing to hang up.
      expect(fake.updates()).toEqual([]);

      // The second and last attempt, when it falls due.
      await t.app.db.updateTable('callbacks').set({ next_attempt_at: new Date(Date.now() - 1_000) }).where('id', '=', id).execute();
      await t.app.callbacks.pass();
      const second = await accept(desk);
      expect(second.attemptId).not.toBe(first.attemptId);
      expect(second.create.params).toMatchObject({ To: '+869718000950', From: CALLER_ID, StatusCallback: `${PUBLIC_BASE_URL}/telephony/twilio/callback/status?attempt=${second.attemptId}` });
      expect(second.create.callSid).not.toBe(create.callSid);

      // Not from Twilio: refused before anything is read, and nothing changes.
      const noAnswer = callParams(second.create, 'no-answer', { CallDuration: '0' });
      const signed = signedWebhook(second.create.params.StatusCallback!.slice(PUBLIC_BASE_URL.length), noAnswer);
      const forged = [
        { ...signed, headers: { 'content-type': signed.headers['content-type'] } },
        signedWebhook(signed.url, noAnswer, { authToken: 'someone-elses-token' }),
        // Signed for another attempt.
        { ...signedWebhook(`/telephony/twilio/callback/status?attempt=${first.attemptId}`, noAnswer), url: signed.url },
      ];
      for (const request of forged) {
        const res = await t.app.inject(request);
        expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 403, code: 'HOTLINE_ERR_TWILIO_SIGNATURE' });
      }
      await settled();
      expect(await callback(id)).toMatchObject({ status: 'queued', attempts: 2, attempt_id: second.attemptId });
      expect(await record(second.attemptId)).toMatchObject({ status: 'connected', end_reason: null });
      expect(await events(second.attemptId, 'callback.dial')).toEqual([]);
      expect(t.app.router.liveCall(second.attemptId)).toMatchObject({ status: 'connected', agentId: agent.id });
      expect(t.app.router.liveAgent(agent.id)?.state).toBe('on_call');

      // Twilio's own no-answer: the last attempt, so the callback has failed.
      expect((await t.app.inject(signed)).statusCode).toBe(204);
      expect(await desk.next('call.ended')).toMatchObject({ callId: second.attemptId, reason: 'not_reached', talkSeconds: 0 });
      await settled();
      expect(await callback(id)).toMatchObject({ status: 'failed', attempts: 2, last_result: 'no_answer', close_reason: 'attempts_exhausted' });
      expect(await record(second.attemptId)).toMatchObject({ status: 'ended', end_reason: 'failed', end_detail: 'dial_no_answer:twilio_no-answer', answered_at: null });
      expect(t.app.router.liveAgent(agent.id)?.state).toBe('ready');

      // Twilio repeats the callback: nothing more changes.
      expect((await t.app.inject(signed)).statusCode).toBe(204);
      await settled();
      expect(await callback(id)).toMatchObject({ status: 'failed', attempts: 2, last_result: 'no_answer' });
      expect(fake.updates()).toEqual([]);
      await desk.answer(desk.send({ type: 'state.set', state: 'not_ready', reason: 'break' }));
    } finally {
      desk.close();
    }
  });

  it("records a call Twilio refuses to place as a failed attempt, with Twilio's error code, and frees the agent at once", async () => {
    const id = await booked('+8613897120001');
    const desk = await AgentSocket.open(base, agent.token);
    try {
      // As Twilio refuses a number the account may not call (its message names the number).
      fake.failNextCreate(400, 21215, 'Account not authorized to call +8613897120001. Perhaps you need to enable some international permissions: https://www.twilio.com/console/voice/calls/geo-permissions/low-risk');
      const placed = fake.creates().length;
      const state = t.app.router.liveAgent(agent.id)?.state;
      if (state !== 'ready') await desk.answer(desk.send({ type: 'state.set', state: 'ready' }));
      const offer = await desk.next('offer');
      await desk.answer(desk.send({ type: 'offer.accept', offerId: offer.offerId }));
      const attemptId = ((await desk.next('call.connected')).call as { callId: string }).callId;
      expect(await desk.next('call.ended')).toMatchObject({ callId: attemptId, reason: 'not_reached', talkSeconds: 0 });
      await settled();
      // Asked once, and refused: no call was placed.
      expect(fake.requests.filter((r) => r.path.endsWith('/Calls.json')).at(-1)?.params).toMatchObject({ To: '+8613897120001', From: CALLER_ID });
      expect(fake.creates()).toHaveLength(placed);
      expect(await callback(id)).toMatchObject({ status: 'pending', attempts: 1, last_result: 'failed' });
      const row = await record(attemptId);
      expect(row).toMatchObject({ status: 'ended', end_reason: 'failed', answered_at: null, talk_ms: 0 });
      expect(row.end_detail).toMatch(/^dial_failed:twilio_21215\b/);
      expect(t.app.router.liveAgent(agent.id)?.state).toBe('ready');
      // The caller's number stays out of the log, and out of the attempt's outcome, whole.
      expect(JSON.stringify(t.logs)).not.toContain('13897120001');
      expect(JSON.stringify(await events(attemptId, 'callback.dial'))).not.toContain('13897120001');
      await desk.answer(desk.send({ type: 'state.set', state: 'not_ready', reason: 'break' }));
    } finally {
      desk.close();
    }
  });

  it("bridges an answering caller to the agent's softphone, recorded: the callback is reached, and ends with the agent's call when Twilio reports it completed", async () => {
    const id = await booked('+8613897123456');
    const desk = await AgentSocket.open(base, agent.token);
    try {
      const { attemptId, create } = await accept(desk);
      expect(create.params).toMatchObject({ To: '+8613897123456', From: CALLER_ID });

      // The caller answers: Twilio fetches the TwiML, which dials the agent's Client identity, recorded.
      const res = await webhook(create.params.Url!, callParams(create, 'in-progress'));
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
      const doc = parseTwiml(res.body);
      expect(verbs(doc)).toEqual(['Dial']);
      const dial = child(doc, 'Dial');
      expect(dial.attrs).toMatchObject({
        record: 'record-from-answer-dual',
        timeout: '20',
        recordingStatusCallback: `${PUBLIC_BASE_URL}/telephony/twilio/callback/recording?attempt=${attemptId}`,
        recordingStatusCallbackMethod: 'POST',
      });
      expect(verbs(dial)).toEqual(['Client']);
      expect(child(dial, 'Client').text).toBe('agent.tw');
      await settled();
      expect(await callback(id)).toMatchObject({ status: 'completed', attempts: 1, last_result: 'reached', close_reason: 'reached' });
      expect(await record(attemptId)).toMatchObject({ status: 'connected', answered_at: expect.any(Date) });
      expect(t.app.router.liveCall(attemptId)).toMatchObject({ status: 'connected', bridgedOnce: true });
      expect(t.app.router.liveAgent(agent.id)?.state).toBe('on_call');

      // The recording of the conversation.
      const RecordingUrl = `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${sid('RE')}`;
      const recording = await webhook(dial.attrs.recordingStatusCallback!, { AccountSid: ACCOUNT_SID, CallSid: create.callSid, RecordingSid: sid('RE'), RecordingUrl, RecordingStatus: 'completed', RecordingDuration: '61' });
      expect(recording.statusCode).toBe(204);
      await settled();
      expect(await record(attemptId)).toMatchObject({ recording_url: RecordingUrl });

      // The caller hangs up: Twilio reports the call completed, and the agent's call ends.
      const completed = await webhook(create.params.StatusCallback!, callParams(create, 'completed', { CallDuration: '62' }));
      expect(completed.statusCode).toBe(204);
      expect(await desk.next('call.ended')).toMatchObject({ callId: attemptId, reason: 'hangup' });
      await settled();
      expect(t.app.router.liveCall(attemptId)).toBeUndefined();
      expect(t.app.router.liveAgent(agent.id)?.state).toBe('wrap_up');
      expect(await record(attemptId)).toMatchObject({ status: 'ended', end_reason: 'answered', recording_url: RecordingUrl });
      expect(await callback(id)).toMatchObject({ status: 'completed', last_result: 'reached', close_reason: 'reached' });
      // Twilio ended the call itself: no REST hang-up is sent.
      expect(fake.updates().filter((u) => u.callSid === create.callSid)).toEqual([]);
      await desk.answer(desk.send({ type: 'state.set', state: 'not_ready', reason: 'break' }));
    } finally {
      desk.close();
    }
  });

  it("does not count a callback reached when the caller answers but the agent's softphone does not: the caller is told, the callback is tried again, the agent set aside", async () => {
    const id = await booked('+8613897123450');
    const desk = await AgentSocket.open(base, agent.token);
    try {
      const { attemptId, create } = await accept(desk);
      const answer = await webhook(create.params.Url!, callParams(create, 'in-progress'));
      const dial = child(parseTwiml(answer.body), 'Dial');
      expect(dial.attrs.action).toBe(`${PUBLIC_BASE_URL}/telephony/twilio/callback/dial?attempt=${attemptId}`);
      // The softphone rang out: the <Dial>'s action says so.
      const after = await webhook(dial.attrs.action!, callParams(create, 'in-progress', { DialCallStatus: 'no-answer' }));
      expect(after.statusCode).toBe(200);
      const doc = parseTwiml(after.body);
      expect(verbs(doc)).toEqual(['Say', 'Hangup']);
      expect(child(doc, 'Say').text).toContain('我们会再与您联系');
      expect(await desk.next('call.ended')).toMatchObject({ callId: attemptId, reason: 'not_reached' });
      await settled();
      expect(await callback(id)).toMatchObject({ status: 'pending', attempts: 1, last_result: 'failed' });
      expect(await record(attemptId)).toMatchObject({ status: 'ended', end_reason: 'failed', end_detail: 'agent_no_answer:twilio_agent_no-answer', answered_at: null, talk_ms: 0 });
      expect(t.app.router.liveAgent(agent.id)).toMatchObject({ state: 'not_ready', reason: 'missed' });
      expect((await events(attemptId, 'callback.dial')).map((e) => (e.data as { outcome: string }).outcome)).toEqual(['answered', 'agent_no_answer']);
      // Twilio then reports the call completed: nothing more changes.
      expect((await webhook(create.params.StatusCallback!, callParams(create, 'completed', { CallDuration: '25' }))).statusCode).toBe(204);
      await settled();
      expect(await callback(id)).toMatchObject({ status: 'pending', last_result: 'failed' });
      expect(await record(attemptId)).toMatchObject({ end_reason: 'failed' });
      await desk.answer(desk.send({ type: 'state.set', state: 'not_ready', reason: 'break' }));
      await t.app.db.updateTable('callbacks').set({ status: 'cancelled' }).where('id', '=', id).execute();
    } finally {
      desk.close();
    }
  });

  it("hangs the call up at Twilio when the agent hangs up at the desk before the caller answers; Twilio's canceled report leaves the callback to try again", async () => {
    const id = await booked('09718000953');
    const desk = await AgentSocket.open(base, agent.token);
    try {
      const { attemptId, create } = await accept(desk);
      await desk.answer(desk.send({ type: 'call.hangup', callId: attemptId }));
      expect(await desk.next('call.ended')).toMatchObject({ callId: attemptId, reason: 'hangup', talkSeconds: 0 });
      await until(() => fake.updates().some((u) => u.callSid === create.callSid), 'the REST hang-up');
      await settled();
      const hangups = fake.updates().filter((u) => u.callSid === create.callSid);
      expect(hangups.map((u) => [u.method, u.path, u.params])).toEqual([['POST', `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${create.callSid}.json`, { Status: 'completed' }]]);

      // The caller picks up just as the hang-up reaches Twilio: the agent is not rung again.
      const late = await webhook(create.params.Url!, callParams(create, 'in-progress'));
      expect(late.statusCode).toBe(200);
      const lateDoc = parseTwiml(late.body);
      expect(verbs(lateDoc)).toEqual(['Say', 'Hangup']);
      expect(late.body).not.toContain('<Client>');
      await settled();
      expect(JSON.stringify(await events(attemptId, 'callback.dial'))).toContain('answered_late');
      expect(t.app.router.liveAgent(agent.id)?.state).toBe('wrap_up');

      // Twilio reports the call it cancelled while it rang: nobody was reached.
      expect((await webhook(create.params.StatusCallback!, callParams(create, 'canceled', { CallDuration: '0' }))).statusCode).toBe(204);
      await settled();
      expect(await callback(id)).toMatchObject({ status: 'pending', attempts: 1, last_result: 'no_answer' });
      expect(await record(attemptId)).toMatchObject({ status: 'ended', end_reason: 'failed', end_detail: 'dial_no_answer:twilio_canceled', answered_at: null, talk_ms: 0 });
      // No second hang-up for a call already over.
      expect(fake.updates().filter((u) => u.callSid === create.callSid)).toHaveLength(1);
      await desk.answer(desk.send({ type: 'state.set', state: 'not_ready', reason: 'break' }));
    } finally {
      desk.close();
    }
  });
});
