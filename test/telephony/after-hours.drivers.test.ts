import { render } from '../../src/telephony/asterisk/dialplan';
import { startTestApp, type TestApp } from '../support/app';
import { FakeAmi } from '../support/fake-ami';
import { FakeDialplan } from '../support/fake-dialplan';
import { child, PUBLIC_BASE_URL, parseTwiml, sid, signedWebhook, startFakeTwilio, twilioConfig, verbs, type FakeTwilio, type XmlNode } from '../support/fake-twilio';
import { closeToday, nextWorkingMorning, reopen } from '../support/service-hours';
import { asteriskConfig, until } from './asterisk-flow.suite';

/**
 * The after-hours voice message at the phone systems' boundary: Twilio's <Record> and its signed
 * action webhook, and Asterisk's [hotline-message] context and its HotlineMessage UserEvent on
 * the fake AMI. Each ends as a ticket with the recording and a callback due the next working morning.
 */

async function messageLeft(t: TestApp, callId: string) {
  await t.app.callFlow.settled();
  await t.app.callRecorder.flush();
  const call = await t.app.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
  const ticket = await t.app.db.selectFrom('tickets').selectAll().where('call_id', '=', callId).executeTakeFirst();
  const callbacks = await t.app.db.selectFrom('callbacks').selectAll().where('origin_call_id', '=', callId).execute();
  return { call, ticket, callbacks };
}

describe('after hours on Twilio', () => {
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

  const twiml = async (pathAndQuery: string, params: Record<string, string>) => {
    const res = await t.app.inject(signedWebhook(pathAndQuery, params));
    expect({ status: res.statusCode, body: res.statusCode === 200 ? '' : res.body }).toEqual({ status: 200, body: '' });
    return parseTwiml(res.body);
  };
  const says = (node: XmlNode) => node.children.filter((c) => c.name === 'Say').map((c) => c.text).join(' ');

  it('plays the hours, records the message with <Record>, and makes its action a ticket and a callback', async () => {
    const today = await closeToday(t);
    const CallSid = sid('CA');
    const caller = { CallSid, From: '+8613519712345', To: '+8697112348', CallStatus: 'ringing' };
    const menu = await twiml('/telephony/twilio/voice', caller);
    const gatherUrl = child(menu, 'Gather').attrs.action!.slice(PUBLIC_BASE_URL.length);
    const callId = /call=([0-9a-f-]{36})/.exec(gatherUrl)![1]!;

    // Mandarin: the hours, the invitation, then the recording; a fall-through <Redirect> for silence.
    const doc = await twiml(gatherUrl, { ...caller, CallStatus: 'in-progress', Digits: '1' });
    expect(verbs(doc)).toEqual(['Say', 'Say', 'Record', 'Redirect']);
    expect(says(doc)).toContain('人工服务时间为周一至周五 08:30至17:30');
    const record = child(doc, 'Record');
    expect(record.attrs).toMatchObject({ method: 'POST', maxLength: '120', finishOnKey: '#', playBeep: 'true', trim: 'trim-silence' });
    expect(record.attrs.action).toMatch(new RegExp(`^${PUBLIC_BASE_URL}/telephony/twilio/message\\?call=${callId}&step=\\d+$`));
    expect(child(doc, 'Redirect').text).toBe(record.attrs.action);

    // An unsigned request for the message is refused before anything is read.
    const messagePath = record.attrs.action!.slice(PUBLIC_BASE_URL.length);
    const forged = await t.app.inject({ ...signedWebhook(messagePath, { CallSid, RecordingUrl: 'https://evil.example/x' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(forged.statusCode).toBe(403);

    const RecordingUrl = `https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/${sid('RE')}`;
    const bye = await twiml(messagePath, { CallSid, RecordingUrl, RecordingDuration: '23', Digits: '#' });
    expect(verbs(bye)).toEqual(['Say', 'Hangup']);
    expect(says(bye)).toContain('您的留言已记录');
    // Twilio retries the request: the same answer, nothing written twice.
    expect(verbs(await twiml(messagePath, { CallSid, RecordingUrl, RecordingDuration: '23' }))).toEqual(['Say', 'Hangup']);
    await t.app.inject(signedWebhook('/telephony/twilio/status', { CallSid, CallStatus: 'completed', SequenceNumber: '3' }));

    const { call, ticket, callbacks } = await messageLeft(t, callId);
    expect(call).toMatchObject({ driver: 'twilio', status: 'ended', end_reason: 'callback', recording_url: RecordingUrl });
    expect(ticket).toMatchObject({ outcome: 'callback', caller_number: '+8613519712345' });
    expect(callbacks).toEqual([expect.objectContaining({ reason: 'voice_message', due_at: nextWorkingMorning(today) })]);
  });

  it('takes the message the caller hung up on, even when Twilio reports the hang-up first', async () => {
    await closeToday(t);
    const CallSid = sid('CA');
    const caller = { CallSid, From: '+8613519712399', To: '+8697112348', CallStatus: 'ringing' };
    const gatherUrl = child(await twiml('/telephony/twilio/voice', caller), 'Gather').attrs.action!.slice(PUBLIC_BASE_URL.length);
    const callId = /call=([0-9a-f-]{36})/.exec(gatherUrl)![1]!;
    const messagePath = child(await twiml(gatherUrl, { ...caller, Digits: '1' }), 'Record').attrs.action!.slice(PUBLIC_BASE_URL.length);
    await t.app.inject(signedWebhook('/telephony/twilio/status', { CallSid, CallStatus: 'completed', SequenceNumber: '2' }));
    const RecordingUrl = `https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/${sid('RE')}`;
    await twiml(messagePath, { CallSid, RecordingUrl, RecordingDuration: '40' });
    const { call, ticket, callbacks } = await messageLeft(t, callId);
    expect(call).toMatchObject({ end_reason: 'callback', recording_url: RecordingUrl });
    expect(ticket).toBeDefined();
    expect(callbacks).toHaveLength(1);
    expect(await t.app.callFlow.state(callId)).toBeNull();
  });

  afterEach(async () => reopen(t));
});

describe('after hours on Asterisk (fake AMI)', () => {
  let t: TestApp;
  let ami: FakeAmi;
  let dialplan: FakeDialplan;
  beforeAll(async () => {
    ami = await new FakeAmi().start();
    dialplan = new FakeDialplan(ami);
    t = await startTestApp({ telephony: ['asterisk'], asterisk: asteriskConfig(ami.port, ami) });
    await until(() => ami.loggedIn === 1 && ami.named('coreshowchannels').length === 1 && t.app.asteriskDriver!.linkUp, 'the AMI login');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await ami.stop();
  });

  it('renders the message action as Record() into the monitor directory, with its limit', () => {
    const prompt = { key: 'message_invite' as const, language: 'zh', text: null, audio: 'hotline/zh/message_invite' };
    expect(render({ type: 'message', step: 7, prompts: [prompt], maxSeconds: 90 }, { callId: 'c1', agentDial: 'PJSIP/{agent}' })).toEqual({
      context: 'hotline-message',
      silent: [],
      variables: { HOTLINE_STEP: '7', HOTLINE_PROMPTS: 'hotline/zh/message_invite', HOTLINE_RECORDING: '/var/spool/asterisk/monitor/hotline/messages/c1-7.wav', HOTLINE_MAX: '90' },
    });
  });

  it('sends the caller to [hotline-message] and makes the HotlineMessage event a ticket and a callback', async () => {
    const today = await closeToday(t);
    const uid = dialplan.call('13519712345').uniqueid;
    await dialplan.next(uid, 'hotline-menu');
    dialplan.press(uid, '2');
    const message = await dialplan.next(uid, 'hotline-message');
    const callId = (await t.app.callFlow.lookup('asterisk', uid))!;
    const step = message.vars.HOTLINE_STEP!;
    expect(message.vars).toMatchObject({
      HOTLINE_PROMPTS: 'hotline/bo/after_hours&hotline/bo/message_invite',
      HOTLINE_RECORDING: `/var/spool/asterisk/monitor/hotline/messages/${callId}-${step}.wav`,
      HOTLINE_MAX: '120',
    });
    ami.userEvent(uid, 'HotlineMessage', [['Step', step], ['Status', 'DTMF'], ['Duration', '31']]);
    const bye = await dialplan.next(uid, 'hotline-bye');
    expect(bye.vars.HOTLINE_PROMPTS).toBe('hotline/bo/message_saved');
    dialplan.bye(uid);
    await until(async () => (await t.app.callFlow.state(callId)) === null, 'the call to leave the flow');

    const { call, ticket, callbacks } = await messageLeft(t, callId);
    expect(call).toMatchObject({ driver: 'asterisk', end_reason: 'callback', language: 'bo', recording_url: `asterisk:monitor/hotline/messages/${callId}-${step}.wav` });
    expect(ticket).toMatchObject({ outcome: 'callback', language: 'bo', caller_number: '13519712345' });
    expect(callbacks).toEqual([expect.objectContaining({ reason: 'voice_message', language: 'bo', due_at: nextWorkingMorning(today) })]);
  });

  it('takes a message reported from the h extension when the caller hangs up while recording', async () => {
    await closeToday(t);
    const uid = dialplan.call('13519712388').uniqueid;
    await dialplan.next(uid, 'hotline-menu');
    dialplan.press(uid, '1');
    const step = (await dialplan.next(uid, 'hotline-message')).vars.HOTLINE_STEP!;
    const callId = (await t.app.callFlow.lookup('asterisk', uid))!;
    ami.userEvent(uid, 'HotlineMessage', [['Step', step], ['Status', 'HANGUP'], ['Duration', '18']]);
    ami.hangup(uid);
    await until(async () => (await t.app.callFlow.state(callId)) === null, 'the call to leave the flow');
    const { call, ticket, callbacks } = await messageLeft(t, callId);
    expect(call).toMatchObject({ end_reason: 'callback', recording_url: `asterisk:monitor/hotline/messages/${callId}-${step}.wav` });
    expect(ticket).toBeDefined();
    expect(callbacks).toHaveLength(1);
  });

  afterEach(async () => reopen(t));
});
