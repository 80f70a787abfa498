import type { CallFlow } from '../../src/telephony/call-flow';
import type { Db } from '../../src/db/database';
import type { Action, ConferenceStep, LegStatus } from '../../src/telephony/driver';
import type { FlowState } from '../../src/telephony/flow-state';
import { TwilioDriver } from '../../src/telephony/twilio/twilio-driver';
import { memoryLogger } from '../support/memory-logger';
import { startTestApp, type TestApp } from '../support/app';
import { ACCOUNT_SID, AUDIO_BASE_URL, AUTH_TOKEN, PUBLIC_BASE_URL, child, parseTwiml, sid, signedWebhook, startFakeTwilio, twilioCallerQueued, twilioConfig, type FakeConference, type FakeTwilio } from '../support/fake-twilio';
import { eventually } from '../support/tcp-proxy';

/**
 * Second legs (consult transfer, interpreter) on a Twilio call, at the driver: the conference
 * steps the flow sends, the exact Participants API requests they make on the local fake Twilio,
 * who is then in the conference and how (held, ending it on exit), and what the target's status
 * callbacks report back (a stub flow records legResult and legEnded).
 */

const CALLER_ID = '+8697112348';
const MUSIC = `${AUDIO_BASE_URL}/moh/default.mp3`;
const agent = { id: 'a1', username: 'agent.xining' };
const colleague = { id: 'a2', username: 'agent.haidong' };

class StubFlow {
  states = new Map<string, FlowState>();
  reports: [string, ...unknown[]][] = [];

  async state(callId: string) {
    return this.states.get(callId) ?? null;
  }
  async driverData(callId: string, change: (d: Record<string, unknown>, s: FlowState) => Record<string, unknown> | null) {
    const s = this.states.get(callId);
    if (!s) return null;
    const next = change(s.driverData, s);
    if (next) s.driverData = next;
    return s;
  }
  async legResult(callId: string, leg: string, status: LegStatus) {
    this.reports.push(['legResult', callId, leg, status]);
  }
  async legEnded(callId: string, leg: string) {
    this.reports.push(['legEnded', callId, leg]);
  }
  async bridged(callId: string) {
    this.reports.push(['bridged', callId]);
  }
  async bridgeFailed(callId: string, reason: string) {
    this.reports.push(['bridgeFailed', callId, reason]);
    return null;
  }
  async agentLeft(callId: string) {
    this.reports.push(['agentLeft', callId]);
    // As the router does for an answered consult: the leg is completed, the caller stays.
    return (this.states.get(callId)?.lastAction as Action | null) ?? null;
  }
}

describe('Twilio second legs in the caller’s conference (driver, stub flow)', () => {
  let fake: FakeTwilio;
  let flow: StubFlow;
  let driver: TwilioDriver;

  beforeAll(async () => {
    fake = await startFakeTwilio();
  });
  afterAll(async () => {
    await driver?.stop();
    await fake.close();
  });
  beforeEach(() => {
    flow = new StubFlow();
    driver = new TwilioDriver(flow as unknown as CallFlow, {} as Db, memoryLogger('fatal').log, {
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      apiBaseUrl: fake.url,
      restTimeoutMs: 2_000,
      publicBaseUrl: PUBLIC_BASE_URL,
      audioBaseUrl: AUDIO_BASE_URL,
      voices: { zh: null, en: null },
      dialTimeoutSeconds: 20,
      holdMusic: 'default',
      callerId: CALLER_ID,
    });
  });

  /** A call connected to the agent: the caller in its conference, the agent's softphone rung in and answered. */
  async function connected() {
    const callId = crypto.randomUUID();
    const callerSid = sid('CA');
    const connect: Action = { type: 'connect', step: 7, prompts: [], agent, record: true };
    flow.states.set(callId, { callId, driver: 'twilio', externalId: callerSid, step: 7, phase: 'connected', driverData: {}, lastAction: connect } as unknown as FlowState);
    const ref = { callId, externalId: callerSid };
    await driver.execute(ref, connect);
    const room = fake.conference(`hotline-${callId}`)!;
    const agentSid = [...room.participants.values()].find((p) => p.label === 'agent')!.callSid;
    await driver.participantChanged({ call: callId, role: 'agent' }, { CallSid: agentSid, CallStatus: 'in-progress' });
    expect(flow.reports).toEqual([['bridged', callId]]);
    flow.reports = [];
    return { callId, callerSid, ref, room, agentSid, mark: fake.participantRequests().length };
  }

  /** The Participants API requests since `mark`: method, what they named, and their parameters. */
  const since = (mark: number, room: FakeConference) =>
    fake.participantRequests().slice(mark).map((r) => {
      expect(r.path.startsWith(`/2010-04-01/Accounts/${ACCOUNT_SID}/Conferences/`)).toBe(true);
      return { method: r.method, conference: r.conference === room.sid ? 'CF' : r.conference, participant: r.participant, params: r.params };
    });
  const legCallback = (callId: string, leg: string) => ({ call: callId, role: 'leg' as const, leg });
  const inRoom = (room: FakeConference) =>
    [...room.participants.values()].map((p) => ({ who: p.label ?? 'caller', hold: p.hold, muted: p.muted, endConferenceOnExit: p.endConferenceOnExit }));
  const step = (type: ConferenceStep['type'], leg: string, target: ConferenceStep['target']): ConferenceStep => ({ type, leg, agent, target });

  it('consult → complete: the caller held while agent and colleague talk, then left with the colleague; the agent taken out', async () => {
    const c = await connected();
    const leg = crypto.randomUUID();
    await driver.conference(c.ref, step('consult', leg, { agent: colleague }));
    const target = [...c.room.participants.values()].find((p) => p.label === `leg-${leg}`)!.callSid;
    expect(since(c.mark, c.room)).toEqual([
      { method: 'POST', conference: 'CF', participant: c.callerSid, params: { Hold: 'true', HoldUrl: MUSIC, HoldMethod: 'GET' } },
      { method: 'POST', conference: 'CF', participant: c.agentSid, params: { EndConferenceOnExit: 'false' } },
      {
        method: 'POST',
        conference: 'CF',
        participant: null,
        params: {
          From: 'client:hotline',
          To: 'client:agent.haidong',
          Label: `leg-${leg}`,
          Beep: 'false',
          EarlyMedia: 'true',
          StartConferenceOnEnter: 'true',
          EndConferenceOnExit: 'false',
          Timeout: '20',
          StatusCallback: `${PUBLIC_BASE_URL}/telephony/twilio/participant?call=${c.callId}&role=leg&leg=${leg}`,
          StatusCallbackMethod: 'POST',
          StatusCallbackEvent: 'completed',
        },
      },
    ]);
    // Who hears whom: the caller hears music and nobody hears them; agent and colleague talk.
    expect(inRoom(c.room)).toEqual([
      { who: 'caller', hold: true, muted: false, endConferenceOnExit: true },
      { who: 'agent', hold: false, muted: false, endConferenceOnExit: false },
      { who: `leg-${leg}`, hold: false, muted: false, endConferenceOnExit: false },
    ]);
    // A repeated consult dials nobody twice.
    const mark = fake.participantRequests().length;
    await driver.conference(c.ref, step('consult', leg, { agent: colleague }));
    expect(fake.participantRequests()).toHaveLength(mark);

    // The colleague answers (repeated callback: reported once).
    for (let i = 0; i < 2; i++) await driver.participantChanged(legCallback(c.callId, leg), { CallSid: target, CallStatus: 'in-progress' });
    expect(flow.reports).toEqual([['legResult', c.callId, leg, 'answered']]);

    await driver.conference(c.ref, step('complete', leg, { agent: colleague }));
    expect(since(mark, c.room)).toEqual([
      { method: 'POST', conference: 'CF', participant: target, params: { EndConferenceOnExit: 'true' } },
      { method: 'POST', conference: 'CF', participant: c.callerSid, params: { Hold: 'false' } },
      { method: 'DELETE', conference: 'CF', participant: c.agentSid, params: {} },
    ]);
    // Caller and colleague hear each other; either leaving ends it.
    expect(inRoom(c.room)).toEqual([
      { who: 'caller', hold: false, muted: false, endConferenceOnExit: true },
      { who: `leg-${leg}`, hold: false, muted: false, endConferenceOnExit: true },
    ]);
    // The agent's softphone reports its end: they handed over, nothing for the flow.
    await driver.participantChanged({ call: c.callId, role: 'agent' }, { CallSid: c.agentSid, CallStatus: 'completed' });
    // The colleague now holds the call: their end is the conference's (the caller's <Dial> action), not a leg's.
    fake.hangUp(target);
    expect(c.room.status).toBe('completed');
    await driver.participantChanged(legCallback(c.callId, leg), { CallSid: target, CallStatus: 'completed' });
    expect(flow.reports).toEqual([['legResult', c.callId, leg, 'answered']]);
  });

  it('consult → merge → drop: all three hear each other, then the colleague is hung up and caller and agent stay', async () => {
    const c = await connected();
    const leg = crypto.randomUUID();
    await driver.conference(c.ref, step('consult', leg, { agent: colleague }));
    const target = [...c.room.participants.values()].find((p) => p.label === `leg-${leg}`)!.callSid;
    await driver.participantChanged(legCallback(c.callId, leg), { CallSid: target, CallStatus: 'answered' });
    let mark = fake.participantRequests().length;
    await driver.conference(c.ref, step('merge', leg, { agent: colleague }));
    expect(since(mark, c.room)).toEqual([{ method: 'POST', conference: 'CF', participant: c.callerSid, params: { Hold: 'false' } }]);
    expect(inRoom(c.room).map((p) => p.hold)).toEqual([false, false, false]);

    mark = fake.participantRequests().length;
    await driver.conference(c.ref, step('drop', leg, { agent: colleague }));
    expect(since(mark, c.room)).toEqual([
      { method: 'DELETE', conference: 'CF', participant: target, params: {} },
      { method: 'POST', conference: 'CF', participant: c.callerSid, params: { Hold: 'false' } },
      { method: 'POST', conference: 'CF', participant: c.agentSid, params: { EndConferenceOnExit: 'true' } },
    ]);
    expect(inRoom(c.room)).toEqual([
      { who: 'caller', hold: false, muted: false, endConferenceOnExit: true },
      { who: 'agent', hold: false, muted: false, endConferenceOnExit: true },
    ]);
    // Its end, reported after we hung it up, is no news for the flow; a repeated drop is harmless.
    await driver.participantChanged(legCallback(c.callId, leg), { CallSid: target, CallStatus: 'completed' });
    await driver.conference(c.ref, step('drop', leg, { agent: colleague }));
    expect(flow.reports).toEqual([['legResult', c.callId, leg, 'answered']]);
  });

  it('consult → cancel while the colleague’s phone rings: hung up, caller off hold, the agent ends the conference again', async () => {
    const c = await connected();
    const leg = crypto.randomUUID();
    await driver.conference(c.ref, step('consult', leg, { agent: colleague }));
    const target = [...c.room.participants.values()].find((p) => p.label === `leg-${leg}`)!.callSid;
    const mark = fake.participantRequests().length;
    await driver.conference(c.ref, step('cancel', leg, { agent: colleague }));
    expect(since(mark, c.room)).toEqual([
      { method: 'DELETE', conference: 'CF', participant: target, params: {} },
      { method: 'POST', conference: 'CF', participant: c.callerSid, params: { Hold: 'false' } },
      { method: 'POST', conference: 'CF', participant: c.agentSid, params: { EndConferenceOnExit: 'true' } },
    ]);
    expect(inRoom(c.room)).toEqual([
      { who: 'caller', hold: false, muted: false, endConferenceOnExit: true },
      { who: 'agent', hold: false, muted: false, endConferenceOnExit: true },
    ]);
    await driver.participantChanged(legCallback(c.callId, leg), { CallSid: target, CallStatus: 'canceled' });
    expect(flow.reports).toEqual([]);
  });

  it('an interpreter at an outside number joins straight into the call (hotline number shown), reports their hang-up, and is dropped', async () => {
    const c = await connected();
    const leg = crypto.randomUUID();
    await driver.conference(c.ref, step('join', leg, { number: '09716111111' }));
    const target = [...c.room.participants.values()].find((p) => p.label === `leg-${leg}`)!.callSid;
    expect(since(c.mark, c.room)).toEqual([
      {
        method: 'POST',
        conference: 'CF',
        participant: null,
        params: {
          From: CALLER_ID,
          To: '+869716111111',
          Label: `leg-${leg}`,
          Beep: 'false',
          EarlyMedia: 'true',
          StartConferenceOnEnter: 'true',
          EndConferenceOnExit: 'false',
          Timeout: '60',
          StatusCallback: `${PUBLIC_BASE_URL}/telephony/twilio/participant?call=${c.callId}&role=leg&leg=${leg}`,
          StatusCallbackMethod: 'POST',
          StatusCallbackEvent: 'completed',
        },
      },
    ]);
    // Nobody held: all three hear each other once the interpreter answers.
    expect(inRoom(c.room).map((p) => p.hold)).toEqual([false, false, false]);
    await driver.participantChanged(legCallback(c.callId, leg), { CallSid: target, CallStatus: 'in-progress' });
    const mark = fake.participantRequests().length;
    await driver.conference(c.ref, step('drop', leg, { number: '09716111111' }));
    expect(since(mark, c.room)).toEqual([
      { method: 'DELETE', conference: 'CF', participant: target, params: {} },
      { method: 'POST', conference: 'CF', participant: c.callerSid, params: { Hold: 'false' } },
    ]);
    expect(inRoom(c.room).map((p) => p.who)).toEqual(['caller', 'agent']);
    expect(flow.reports).toEqual([['legResult', c.callId, leg, 'answered']]);

    // A second interpreter hangs up by themselves: the flow hears the leg ended, once.
    const second = crypto.randomUUID();
    await driver.conference(c.ref, step('join', second, { number: '09716111112' }));
    const other = [...c.room.participants.values()].find((p) => p.label === `leg-${second}`)!.callSid;
    await driver.participantChanged(legCallback(c.callId, second), { CallSid: other, CallStatus: 'in-progress' });
    fake.hangUp(other);
    for (let i = 0; i < 2; i++) await driver.participantChanged(legCallback(c.callId, second), { CallSid: other, CallStatus: 'completed' });
    expect(flow.reports.slice(1)).toEqual([
      ['legResult', c.callId, second, 'answered'],
      ['legEnded', c.callId, second],
    ]);
    expect(c.room.status).toBe('in-progress');
  });

  it('reports a target that does not answer, is busy, or cannot be dialled, once each', async () => {
    const c = await connected();
    const cases: [string, LegStatus][] = [
      ['no-answer', 'no_answer'],
      ['busy', 'busy'],
      ['failed', 'failed'],
    ];
    for (const [status] of cases) {
      const leg = crypto.randomUUID();
      await driver.conference(c.ref, step('consult', leg, { agent: colleague }));
      const target = [...c.room.participants.values()].find((p) => p.label === `leg-${leg}`)!.callSid;
      fake.hangUp(target);
      for (let i = 0; i < 2; i++) await driver.participantChanged(legCallback(c.callId, leg), { CallSid: target, CallStatus: status as 'busy' });
      // The flow then cancels the leg: nothing left to hang up, the caller comes off hold.
      const mark = fake.participantRequests().length;
      await driver.conference(c.ref, step('cancel', leg, { agent: colleague }));
      expect(since(mark, c.room).map((r) => [r.method, r.participant, r.params])).toEqual([
        ['POST', c.callerSid, { Hold: 'false' }],
        ['POST', c.agentSid, { EndConferenceOnExit: 'true' }],
      ]);
    }
    expect(flow.reports.map((r) => r[3])).toEqual(cases.map(([, s]) => s));

    // Twilio refuses the dial (an outside number without TWILIO_CALLER_ID is refused before it).
    flow.reports = [];
    const leg = crypto.randomUUID();
    fake.failNextParticipant(400, 21215, 'Account not authorized to call +869716111111');
    await driver.conference(c.ref, step('join', leg, { number: '09716111111' }));
    expect(flow.reports).toEqual([['legResult', c.callId, leg, 'failed']]);
  });

  it('keeps the caller with the colleague when the agent hangs up during an answered consult (the flow completes the leg after)', async () => {
    const c = await connected();
    const leg = crypto.randomUUID();
    await driver.conference(c.ref, step('consult', leg, { agent: colleague }));
    const target = [...c.room.participants.values()].find((p) => p.label === `leg-${leg}`)!.callSid;
    await driver.participantChanged(legCallback(c.callId, leg), { CallSid: target, CallStatus: 'in-progress' });
    // The agent's softphone hangs up: it no longer ends the conference, so caller and colleague stay.
    fake.hangUp(c.agentSid);
    expect(c.room.status).toBe('in-progress');
    await driver.participantChanged({ call: c.callId, role: 'agent' }, { CallSid: c.agentSid, CallStatus: 'completed' });
    expect(flow.reports.at(-1)).toEqual(['agentLeft', c.callId]);
    const updates = fake.updates().length;
    const mark = fake.participantRequests().length;
    await driver.conference(c.ref, step('complete', leg, { agent: colleague }));
    expect(since(mark, c.room)).toEqual([
      { method: 'POST', conference: 'CF', participant: target, params: { EndConferenceOnExit: 'true' } },
      { method: 'POST', conference: 'CF', participant: c.callerSid, params: { Hold: 'false' } },
    ]);
    // The agentLeft answer changed nothing (same step): the caller's TwiML was left alone.
    expect(fake.updates()).toHaveLength(updates);
    expect(inRoom(c.room).map((p) => [p.who, p.hold])).toEqual([
      ['caller', false],
      [`leg-${leg}`, false],
    ]);
  });
});

describe('Twilio consult → complete through the whole app', () => {
  let t: TestApp;
  let fake: FakeTwilio;
  let a: string;
  let b: string;

  beforeAll(async () => {
    fake = await startFakeTwilio();
    t = await startTestApp(twilioConfig(fake.url));
    a = (await t.addUser({ username: 'agent.xining', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } })).id;
    b = (await t.addUser({ username: 'agent.haidong', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } })).id;
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const until = async (probe: () => Promise<boolean> | boolean, what: string) => {
    if (!(await eventually(async () => probe(), 5_000, 10))) throw new Error(`timed out waiting for ${what}`);
  };
  const post = (pathAndQuery: string, params: Record<string, string>) => t.app.inject(signedWebhook(pathAndQuery, params));
  const labelled = (name: string, label: string) => [...(fake.conference(name)?.participants.values() ?? [])].find((p) => p.label === label);

  it('holds the caller while the colleague who accepted on the desk talks with the agent, then leaves the caller with them', async () => {
    await t.app.router.login({ id: a, regionCode: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    await t.app.router.setReady(a);
    const { CallSid, callId } = await twilioCallerQueued(t.app);
    const common = { CallSid, AccountSid: ACCOUNT_SID, From: '+8613519712345', CallStatus: 'in-progress' };
    await until(() => t.app.router.liveAgent(a)?.state === 'reserved', 'the offer');
    expect((await t.app.router.accept(a, t.app.router.liveAgent(a)!.offerId!)).ok).toBe(true);
    const name = `hotline-${callId}`;
    await until(() => !!labelled(name, 'agent'), "the agent's softphone in the conference");
    const room = fake.conference(name)!;
    const agentLeg = labelled(name, 'agent')!.callSid;
    expect((await post(`/telephony/twilio/participant?call=${callId}&role=agent`, { CallSid: agentLeg, AccountSid: ACCOUNT_SID, CallStatus: 'in-progress' })).statusCode).toBe(204);
    await until(async () => (await t.app.callFlow.state(callId))?.bridged === true, 'the bridge');
    const connectUpdate = fake.updates().filter((u) => u.callSid === CallSid).at(-1)!;
    const dialUrl = child(parseTwiml(connectUpdate.params.Twiml!), 'Dial').attrs.action!.slice(PUBLIC_BASE_URL.length);

    // The colleague signs in; the agent asks for a consult; the colleague accepts on the desk.
    await t.app.router.login({ id: b, regionCode: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    await t.app.router.setReady(b);
    expect(await t.app.callFlow.agentTransfer(callId, a, { agentId: b }, 'consult')).toEqual({ ok: true });
    await until(() => t.app.router.liveAgent(b)?.state === 'reserved', "the colleague's offer");
    // Nothing is dialled before the colleague accepts.
    expect([...room.participants.values()].map((p) => p.label ?? 'caller')).toEqual(['caller', 'agent']);
    expect((await t.app.router.accept(b, t.app.router.liveAgent(b)!.offerId!)).ok).toBe(true);
    await until(() => [...room.participants.values()].some((p) => p.label?.startsWith('leg-')), "the colleague's softphone rung into the conference");
    const target = [...room.participants.values()].find((p) => p.label?.startsWith('leg-'))!;
    const legId = target.label!.slice('leg-'.length);
    expect(target).toMatchObject({ to: 'client:agent.haidong', endConferenceOnExit: false });
    await until(() => room.participants.get(CallSid)?.hold === true, 'the caller on hold');

    // The colleague's softphone answers: the leg is answered in routing.
    expect((await post(`/telephony/twilio/participant?call=${callId}&role=leg&leg=${legId}`, { CallSid: target.callSid, AccountSid: ACCOUNT_SID, CallStatus: 'in-progress' })).statusCode).toBe(204);
    await until(() => t.app.router.liveCall(callId)?.leg?.state === 'talking', 'the consult under way');

    // The agent completes: caller and colleague stay, the agent's phone is taken out.
    expect(await t.app.callFlow.agentLeg(callId, a, 'complete')).toEqual({ ok: true });
    await until(() => !room.participants.has(agentLeg), 'the agent taken out');
    expect([...room.participants.values()].map((p) => [p.label ?? 'caller', p.hold, p.endConferenceOnExit])).toEqual([
      ['caller', false, true],
      [target.label, false, true],
    ]);
    expect(t.app.router.liveCall(callId)).toMatchObject({ agentId: b, leg: null });
    expect(t.app.router.liveAgent(a)?.state).toBe('wrap_up');
    await t.app.callFlow.settled();
    expect(await t.app.callFlow.state(callId)).toMatchObject({ agentId: b, phase: 'connected', held: false });

    // The colleague hangs up at the end: the conference ends, the caller's <Dial> brings the survey.
    fake.hangUp(target.callSid);
    expect(room.status).toBe('completed');
    expect((await post(`/telephony/twilio/participant?call=${callId}&role=leg&leg=${legId}`, { CallSid: target.callSid, AccountSid: ACCOUNT_SID, CallStatus: 'completed' })).statusCode).toBe(204);
    const survey = await post(dialUrl, { ...common, DialCallStatus: 'completed' });
    expect(survey.statusCode).toBe(200);
    expect(child(parseTwiml(survey.body), 'Gather').children.map((c) => c.text).join(' ')).toContain('请对本次服务进行评价');
    expect(t.app.router.liveAgent(b)?.state).toBe('wrap_up');
    expect((await post('/telephony/twilio/status', { ...common, CallStatus: 'completed' })).statusCode).toBe(204);
  });
});
