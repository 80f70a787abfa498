import { startTestApp, type TestApp } from '../support/app';
import { ACCOUNT_SID, PUBLIC_BASE_URL, child, parseTwiml, sid, signedWebhook, startFakeTwilio, twilioConfig, verbs, type FakeTwilio, type FakeTwilioCreate, placedCallParams } from '../support/fake-twilio';
import { until } from '../telephony/asterisk-flow.suite';

/**
 * Remote seats through Twilio, against the local fake of its REST API with signed webhooks: an
 * offer is a calls.create to the seat phone; the lawyer's answer fetches a <Gather> saying who is
 * calling; key 1 puts them in a conference the caller's connect joins (REST update); a seat phone
 * that is not answered is a missed offer.
 */
describe('remote seats through Twilio (calls.create, <Gather>, <Conference>)', () => {
  let t: TestApp;
  let fake: FakeTwilio;
  let lawyerId: string;
  const CALLER_ID = '+869718012348';
  const SEAT = '13897123456';

  beforeAll(async () => {
    fake = await startFakeTwilio();
    t = await startTestApp({ ...twilioConfig(fake.url, { callerId: CALLER_ID }), telephony: ['twilio'] });
    lawyerId = (await t.addUser({ username: 'lawyer.tw', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } })).id;
    await t.app.db.updateTable('agents').set({ seat_phone: SEAT }).where('id', '=', lawyerId).execute();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const post = (url: string, params: Record<string, string>) => {
    expect(url.startsWith(`${PUBLIC_BASE_URL}/telephony/twilio/`)).toBe(true);
    return t.app.inject(signedWebhook(url.slice(PUBLIC_BASE_URL.length), params));
  };
  const twiml = async (url: string, params: Record<string, string>) => {
    const res = await post(url, params);
    expect({ status: res.statusCode, body: res.statusCode === 200 ? '' : res.body }).toEqual({ status: 200, body: '' });
    return parseTwiml(res.body);
  };

  /** A Mandarin labour caller from Chengdong, through the menus to hold music. */
  async function queuedCaller(from: string) {
    const CallSid = sid('CA');
    const caller = { CallSid, AccountSid: ACCOUNT_SID, From: from, To: '+8697112348', CallStatus: 'in-progress', Direction: 'inbound', ApiVersion: '2010-04-01' };
    let doc = await twiml(`${PUBLIC_BASE_URL}/telephony/twilio/voice`, caller);
    for (const key of ['1', '1', '0', '1']) doc = await twiml(child(doc, 'Gather').attrs.action!, { ...caller, Digits: key });
    const callId = /call=([0-9a-f-]{36})/.exec(child(doc, 'Redirect').text)![1]!;
    return { caller, callId };
  }

  const legParams = placedCallParams;

  async function rung(before: number): Promise<FakeTwilioCreate> {
    await until(() => fake.creates().length === before + 1, 'the call to the seat phone');
    return fake.creates().at(-1)!;
  }

  it('a remote seat accepting with 1: calls.create to the seat, the announcement, key 1 into a conference the caller joins, the survey when the lawyer hangs up', async () => {
    await t.app.remoteSeats.set(lawyerId, 'ready');
    const placed = fake.creates().length;
    const { caller, callId } = await queuedCaller('+8613519712345');
    const create = await rung(placed);
    const offerId = t.app.router.liveCall(callId)!.offerId!;
    expect(create.params).toMatchObject({ To: `+86${SEAT}`, From: CALLER_ID, Method: 'POST', StatusCallbackMethod: 'POST' });
    expect(Number(create.params.Timeout)).toBeLessThanOrEqual(t.app.router.settings.offerTimeoutSeconds);
    expect(create.params.Url).toBe(`${PUBLIC_BASE_URL}/telephony/twilio/seat/answer?offer=${offerId}&call=${callId}&agent=${lawyerId}&region=630102&lang=zh&topic=labour`);
    expect(create.lists.StatusCallbackEvent).toEqual(['completed']);

    // The lawyer picks up and hears who is calling.
    const answer = await twiml(create.params.Url!, legParams(create, 'in-progress'));
    expect(verbs(answer)).toEqual(['Gather', 'Redirect']);
    const gather = child(answer, 'Gather');
    expect(gather.attrs).toMatchObject({ numDigits: '1', method: 'POST' });
    const said = child(gather, 'Say').text;
    expect(said).toContain('西宁市城东区');
    expect(said).toContain('普通话');
    expect(said).toContain('劳动争议');
    expect(said).toContain('接听请按1');

    const updates = fake.updates().length;
    const key = await twiml(gather.attrs.action!, legParams(create, 'in-progress', { Digits: '1' }));
    expect(verbs(key)).toEqual(['Say', 'Dial', 'Hangup']);
    expect(child(child(key, 'Dial'), 'Conference')).toMatchObject({ text: `seat-${offerId}`, attrs: { endConferenceOnExit: 'true', startConferenceOnEnter: 'true' } });
    expect(t.app.router.liveCall(callId)).toMatchObject({ status: 'connected', agentId: lawyerId });

    // The caller is moved into the same conference by REST, recorded; bridged as it lands.
    await until(() => fake.updates().length > updates && fake.updates().some((u) => u.callSid === caller.CallSid && (u.params.Twiml ?? '').includes('Conference')), 'the REST update joining the caller');
    const update = fake.updates().filter((u) => u.callSid === caller.CallSid).at(-1)!;
    const joined = parseTwiml(update.params.Twiml!);
    const dial = child(joined, 'Dial');
    const conference = child(dial, 'Conference');
    expect(conference.text).toBe(`seat-${offerId}`);
    expect(conference.attrs).toMatchObject({ record: 'record-from-start', endConferenceOnExit: 'true' });
    await until(() => t.app.router.liveCall(callId)?.bridgedOnce === true, 'the bridge');

    // The lawyer hangs up: the conference ends, the caller's <Dial> reports it, the survey follows.
    const survey = await twiml(dial.attrs.action!, { ...caller, DialCallStatus: 'completed' });
    expect(verbs(survey)).toEqual(['Gather', 'Redirect']);
    expect((await post(create.params.StatusCallback!, legParams(create, 'completed'))).statusCode).toBe(204);
    await until(() => t.app.router.liveAgent(lawyerId)?.state === 'wrap_up', 'wrap-up');
    const ticket = await t.app.db.selectFrom('tickets').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
    expect(ticket).toMatchObject({ agent_id: lawyerId, outcome: null });
    await twiml(child(survey, 'Gather').attrs.action!, { ...caller, Digits: '5' });
    await t.app.router.endWrapUp(lawyerId, 'ready');
  });

  it('a remote seat missing by not answering: the no-answer status is a missed offer and the caller keeps their place', async () => {
    await until(() => t.app.router.liveAgent(lawyerId)?.state === 'ready', 'the seat to be ready');
    const placed = fake.creates().length;
    const { caller, callId } = await queuedCaller('+8613519712346');
    const create = await rung(placed);
    const updates = fake.updates().filter((u) => u.callSid === caller.CallSid).length;
    expect((await post(create.params.StatusCallback!, legParams(create, 'no-answer'))).statusCode).toBe(204);
    await until(() => t.app.router.liveAgent(lawyerId)?.state === 'not_ready', 'the missed offer');
    expect(t.app.router.liveAgent(lawyerId)).toMatchObject({ state: 'not_ready', reason: 'missed' });
    expect(t.app.router.liveCall(callId)).toMatchObject({ status: 'waiting', missedBy: [lawyerId] });
    // Nothing was sent to the caller: still on hold.
    expect(fake.updates().filter((u) => u.callSid === caller.CallSid).length).toBe(updates);

    // A webhook that is not Twilio's is refused before anything is read.
    const forged = await t.app.inject({ ...signedWebhook(create.params.StatusCallback!.slice(PUBLIC_BASE_URL.length), legParams(create, 'completed')), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'forged' } });
    expect(forged.statusCode).toBe(403);
    await t.app.remoteSeats.set(lawyerId, 'offline');
  });
});
