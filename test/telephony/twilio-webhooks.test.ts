import { startTestApp, type TestApp } from '../support/app';
import { ACCOUNT_SID, child, parseTwiml, sid, signedWebhook, startFakeTwilio, twilioConfig, type FakeTwilio } from '../support/fake-twilio';

/**
 * The webhooks' edges: only Twilio's signature gets in (checked before anything else), bad
 * input is refused with a message naming the field, an unknown call is a 404, and a request
 * Twilio repeats gets the same answer and changes nothing.
 */
describe('POST /telephony/twilio/*', () => {
  let t: TestApp;
  let fake: FakeTwilio;

  beforeAll(async () => {
    fake = await startFakeTwilio();
    t = await startTestApp(twilioConfig(fake.url));
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  const post = (pathAndQuery: string, params: Record<string, string>) => t.app.inject(signedWebhook(pathAndQuery, params));
  const callRows = async (CallSid: string) =>
    Number((await t.app.db.selectFrom('calls').select((eb) => eb.fn.countAll<number>().as('n')).where('external_id', '=', CallSid).executeTakeFirstOrThrow()).n);
  const eventCount = async (callId: string) =>
    Number((await t.app.db.selectFrom('call_events').select((eb) => eb.fn.countAll<number>().as('n')).where('call_id', '=', callId).executeTakeFirstOrThrow()).n);
  /** A new call, answered: its call id and the first gather URL. */
  async function newCall(From = '+8613519712345') {
    const CallSid = sid('CA');
    const params = { CallSid, AccountSid: ACCOUNT_SID, From, To: '+8697112348', CallStatus: 'ringing' };
    const res = await post('/telephony/twilio/voice', params);
    expect(res.statusCode).toBe(200);
    const action = child(parseTwiml(res.body), 'Gather').attrs.action!;
    const callId = /call=([0-9a-f-]{36})/.exec(action)![1]!;
    return { CallSid, params, callId, gather: action.slice('https://hotline.example.cn'.length), xml: res.body };
  }

  describe('signature', () => {
    it('accepts a request signed by Twilio', async () => {
      const { callId } = await newCall();
      expect(await t.app.callFlow.state(callId)).toMatchObject({ driver: 'twilio', phase: 'menu', step: 1 });
    });

    it('answers 403 to unsigned, wrongly signed and tampered requests, and stores nothing', async () => {
      const CallSid = sid('CA');
      const params = { CallSid, AccountSid: ACCOUNT_SID, From: '+8613519712345', CallStatus: 'ringing' };
      const good = signedWebhook('/telephony/twilio/voice', params);
      const attempts = [
        { ...good, headers: { 'content-type': good.headers['content-type'] } },
        { ...good, headers: { ...good.headers, 'x-twilio-signature': '' } },
        signedWebhook('/telephony/twilio/voice', params, { authToken: 'someone-elses-token' }),
        // Signed for another address than PUBLIC_BASE_URL.
        signedWebhook('/telephony/twilio/voice', params, { baseUrl: 'http://127.0.0.1:3000' }),
        // A parameter changed after signing.
        { ...good, payload: new URLSearchParams({ ...params, From: '+8613800000000' }).toString() },
        // A parameter added after signing.
        { ...good, payload: `${good.payload}&Digits=1` },
        // Unsigned and malformed: the signature is still checked first.
        { method: 'POST' as const, url: '/telephony/twilio/voice', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'nonsense=1' },
      ];
      for (const attempt of attempts) {
        const res = await t.app.inject(attempt);
        expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 403, code: 'HOTLINE_ERR_TWILIO_SIGNATURE' });
        expect(res.json().message).toMatch(/^Not a request from Twilio: /);
      }
      expect(await callRows(CallSid)).toBe(0);
      expect(await t.app.callFlow.lookup('twilio', CallSid)).toBeNull();
    });

    it('refuses a query changed after signing, leaving the call where it was', async () => {
      const { CallSid, callId, gather } = await newCall();
      const signed = signedWebhook(gather, { CallSid, Digits: '1' });
      const res = await t.app.inject({ ...signed, url: gather.replace('step=1', 'step=2') });
      expect(res.statusCode).toBe(403);
      expect(await t.app.callFlow.state(callId)).toMatchObject({ step: 1, menu: 'language' });
    });
  });

  describe('retries', () => {
    it('answers a repeated incoming call with the same TwiML and one call row', async () => {
      const first = await newCall();
      const again = await post('/telephony/twilio/voice', first.params);
      expect(again.statusCode).toBe(200);
      expect(again.body).toBe(first.xml);
      // The row is written while the caller hears the first menu.
      await t.app.callFlow.settled();
      expect(await callRows(first.CallSid)).toBe(1);
      expect(await t.app.callFlow.lookup('twilio', first.CallSid)).toBe(first.callId);
    });

    it('answers a repeated menu answer with the same TwiML, taking the step once', async () => {
      const { CallSid, callId, gather } = await newCall();
      const first = await post(gather, { CallSid, Digits: '1' });
      const second = await post(gather, { CallSid, Digits: '1' });
      expect(first.statusCode).toBe(200);
      expect(second.body).toBe(first.body);
      expect(await t.app.callFlow.state(callId)).toMatchObject({ step: 2, menu: 'topic', language: 'zh' });
    });

    it('applies a status callback once per SequenceNumber, ignores older ones, and is quiet about a call already over', async () => {
      const { CallSid, callId } = await newCall();
      const status = (CallStatus: string, SequenceNumber: string) => post('/telephony/twilio/status', { CallSid, AccountSid: ACCOUNT_SID, CallStatus, SequenceNumber, CallbackSource: 'call-progress-events' });
      expect((await status('in-progress', '1')).statusCode).toBe(204);
      expect((await status('in-progress', '1')).statusCode).toBe(204);
      expect((await t.app.callFlow.state(callId))?.driverData).toEqual({ statusSequence: 1 });
      // Arriving late and out of order: an older event changes nothing, even a final one.
      expect((await status('completed', '0')).statusCode).toBe(204);
      expect(await t.app.callFlow.state(callId)).not.toBeNull();

      expect((await status('completed', '2')).statusCode).toBe(204);
      expect(await t.app.callFlow.state(callId)).toBeNull();
      const events = await eventCount(callId);
      const row = await t.app.db.selectFrom('calls').select(['status', 'end_reason', 'ended_at']).where('id', '=', callId).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'ended', end_reason: 'abandoned' });

      // Twilio repeats the final callback: 204, nothing changes.
      expect((await status('completed', '2')).statusCode).toBe(204);
      expect(await eventCount(callId)).toBe(events);
      expect(await t.app.db.selectFrom('calls').select(['status', 'end_reason', 'ended_at']).where('id', '=', callId).executeTakeFirstOrThrow()).toEqual(row);
    });

    it('stores a recording once when its callback is repeated', async () => {
      const { CallSid, callId } = await newCall();
      const recording = { CallSid, AccountSid: ACCOUNT_SID, RecordingSid: sid('RE'), RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/RE1`, RecordingStatus: 'completed' };
      for (let i = 0; i < 2; i++) expect((await post(`/telephony/twilio/recording?call=${callId}`, recording)).statusCode).toBe(204);
      const events = await t.app.db.selectFrom('call_events').select('type').where('call_id', '=', callId).where('type', '=', 'recording').execute();
      expect(events).toHaveLength(1);
    });
  });

  describe('bad input', () => {
    it('answers 404 for a call it does not know, naming it', async () => {
      const unknown = sid('CA');
      const res = await post('/telephony/twilio/gather?call=00000000-0000-4000-8000-000000000000&step=1', { CallSid: unknown, Digits: '1' });
      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 404, code: 'HOTLINE_ERR_TWILIO_CALL_NOT_FOUND' });
      expect(res.json().message).toContain(unknown);
      expect((await post('/telephony/twilio/status', { CallSid: unknown, CallStatus: 'completed' })).statusCode).toBe(404);
      expect((await post('/telephony/twilio/recording?call=00000000-0000-4000-8000-000000000000', { CallSid: unknown, RecordingSid: sid('RE'), RecordingUrl: 'https://api.twilio.com/r', RecordingStatus: 'completed' })).statusCode).toBe(404);
      const conferenceRecording = { ConferenceSid: `CF${'2'.repeat(32)}`, RecordingSid: sid('RE'), RecordingUrl: 'https://api.twilio.com/r', RecordingStatus: 'completed' };
      expect((await post('/telephony/twilio/recording?call=00000000-0000-4000-8000-000000000000', conferenceRecording)).statusCode).toBe(404);
      expect((await post('/telephony/twilio/participant?call=00000000-0000-4000-8000-000000000000&role=agent', { CallSid: unknown, CallStatus: 'in-progress' })).statusCode).toBe(404);
    });

    it('answers 404 when the call id and the CallSid do not belong together', async () => {
      const a = await newCall();
      const b = await newCall();
      const res = await post(a.gather, { CallSid: b.CallSid, Digits: '1' });
      expect(res.statusCode).toBe(404);
      expect(await t.app.callFlow.state(a.callId)).toMatchObject({ step: 1 });
      expect(await t.app.callFlow.state(b.callId)).toMatchObject({ step: 1 });
    });

    it.each([
      ['/telephony/twilio/voice', { From: '+8613519712345' }, 'body.CallSid'],
      ['/telephony/twilio/voice', { CallSid: 'CA-not-a-sid', From: '+8613519712345' }, 'body.CallSid'],
      ['/telephony/twilio/voice', { CallSid: `CA${'1'.repeat(32)}` }, 'body.From'],
      ['/telephony/twilio/gather?call=00000000-0000-4000-8000-000000000000&step=abc', { CallSid: `CA${'1'.repeat(32)}` }, 'querystring.step'],
      ['/telephony/twilio/gather?call=7&step=1', { CallSid: `CA${'1'.repeat(32)}` }, 'querystring.call'],
      ['/telephony/twilio/gather?call=00000000-0000-4000-8000-000000000000&step=1', { CallSid: `CA${'1'.repeat(32)}`, Digits: '1'.repeat(65) }, 'body.Digits'],
      ['/telephony/twilio/dial?call=00000000-0000-4000-8000-000000000000&step=1', { CallSid: `CA${'1'.repeat(32)}`, DialCallStatus: 'exploded' }, 'body.DialCallStatus'],
      ['/telephony/twilio/status', { CallSid: `CA${'1'.repeat(32)}`, CallStatus: 'completed', SequenceNumber: 'first' }, 'body.SequenceNumber'],
      ['/telephony/twilio/status?call=00000000-0000-4000-8000-000000000000&leg=agent', { CallSid: `CA${'1'.repeat(32)}`, CallStatus: 'in-progress' }, 'body.ParentCallSid'],
      ['/telephony/twilio/recording?call=00000000-0000-4000-8000-000000000000', { CallSid: `CA${'1'.repeat(32)}`, RecordingSid: sid('RE'), RecordingUrl: 'javascript:alert(1)', RecordingStatus: 'completed' }, 'body.RecordingUrl'],
      ['/telephony/twilio/recording?call=00000000-0000-4000-8000-000000000000', { RecordingSid: sid('RE'), RecordingUrl: 'https://api.twilio.com/r', RecordingStatus: 'completed' }, 'body.CallSid'],
      ['/telephony/twilio/recording?call=00000000-0000-4000-8000-000000000000', { ConferenceSid: 'CF1', RecordingSid: sid('RE'), RecordingUrl: 'https://api.twilio.com/r', RecordingStatus: 'completed' }, 'body.ConferenceSid'],
      ['/telephony/twilio/participant?call=00000000-0000-4000-8000-000000000000&role=leg', { CallSid: `CA${'1'.repeat(32)}`, CallStatus: 'in-progress' }, 'querystring.leg'],
      ['/telephony/twilio/participant?call=00000000-0000-4000-8000-000000000000&role=agent&leg=00000000-0000-4000-8000-000000000001', { CallSid: `CA${'1'.repeat(32)}`, CallStatus: 'in-progress' }, 'querystring.leg'],
      ['/telephony/twilio/participant?call=00000000-0000-4000-8000-000000000000&role=boss', { CallSid: `CA${'1'.repeat(32)}`, CallStatus: 'in-progress' }, 'querystring.role'],
      ['/telephony/twilio/participant?call=00000000-0000-4000-8000-000000000000&role=agent', { CallSid: `CA${'1'.repeat(32)}`, CallStatus: 'ringing-loudly' }, 'body.CallStatus'],
    ])('answers 400 to a signed %s with %j, naming %s', async (path, params, field) => {
      const res = await post(path, params as Record<string, string>);
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toContain(field);
    });

    it('treats keys that are no option (letters, several keys, symbols) as a wrong choice: the menu again', async () => {
      const { CallSid, callId, gather } = await newCall();
      const res = await post(gather, { CallSid, Digits: 'abc' });
      expect(res.statusCode).toBe(200);
      const menu = child(parseTwiml(res.body), 'Gather');
      expect(menu.children.map((c) => c.text).join(' ')).toContain('输入有误');
      expect(await t.app.callFlow.state(callId)).toMatchObject({ step: 2, menu: 'language', attempts: 2 });
      const next = menu.attrs.action!.slice('https://hotline.example.cn'.length);
      const worse = await post(next, { CallSid, Digits: "1'; DROP TABLE calls; --" });
      expect(worse.statusCode).toBe(200);
      expect(parseTwiml(worse.body).children.length).toBeGreaterThan(0);
    });

    it('serves a signed call whose caller ID holds a NUL, and records the number without it', async () => {
      const { CallSid, callId } = await newCall('+86135197\u000012345');
      await t.app.callFlow.settled();
      const row = await t.app.db.selectFrom('calls').select(['id', 'caller_number']).where('external_id', '=', CallSid).executeTakeFirstOrThrow();
      expect(row).toEqual({ id: callId, caller_number: '+8613519712345' });
    });

    it('answers 415 to a body that is not a form, before touching anything', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/telephony/twilio/voice', headers: { 'content-type': 'application/json' }, payload: '{"CallSid":"x"}' });
      expect(res.statusCode).toBe(415);
    });
  });
});
