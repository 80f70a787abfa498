import type { Db } from '../../src/db/database';
import type { RecordOutbox } from '../../src/records/outbox';
import type { CallFlow } from '../../src/telephony/call-flow';
import type { Action, AgentEndpoint, ConferenceStep, LegTarget } from '../../src/telephony/driver';
import { AmiClient } from '../../src/telephony/asterisk/ami-client';
import { AmiLease } from '../../src/telephony/asterisk/ami-lease';
import { AmiLink } from '../../src/telephony/asterisk/ami-link';
import { AsteriskDriver } from '../../src/telephony/asterisk/asterisk-driver';
import { startTestApp, type TestApp } from '../support/app';
import { FakeAmi, type FakeChannel, HOTLINE_WRITE, type ReceivedAction } from '../support/fake-ami';
import { FakeDialplan } from '../support/fake-dialplan';
import { memoryLogger } from '../support/memory-logger';
import { eventually } from '../support/tcp-proxy';
import { asteriskConfig, until as waitFor } from './asterisk-flow.suite';

/**
 * Second legs (consult transfer, interpreters) through Asterisk, at the AMI boundary: the driver
 * alone, with a stub call flow that records what the driver reports (legResult, legEnded,
 * agentLeft, hangup). Each step's AMI actions are asserted exactly, and who is where afterwards
 * (the ConfBridge room, the hold music) from the fake Asterisk's channels.
 */

const CALL = 'call-1';
const AGENT: AgentEndpoint = { id: 'agent-a', username: 'agent.a' };
const COLLEAGUE: AgentEndpoint = { id: 'agent-b', username: 'agent.b' };
const LEG = '0f3c2b9a-1d2e-4f50-8a6b-7c8d9e0f1a2b';
const ROOM = LEG.replaceAll('-', '');

async function until(probe: () => boolean, what: string): Promise<void> {
  if (!(await eventually(async () => probe(), 5_000, 5))) throw new Error(`timed out waiting for ${what}`);
}

/** A call flow reduced to what the driver calls; every report is recorded in `reports`. */
function stubFlow() {
  const reports: unknown[][] = [];
  const connect: Action = { type: 'connect', step: 3, prompts: [], agent: AGENT, record: true };
  const survey: Action = { type: 'menu', step: 4, menu: 'survey', prompts: [], timeoutSeconds: 8 };
  let last: Action = connect;
  // As the flow does: an answered consult the agent leaves is handed over (agentLeft answers nothing).
  let consultAnswered = false;
  const flow = {
    arrived: async () => ({ callId: CALL, action: connect }),
    state: async () => ({ lastAction: last }),
    lookup: async () => null,
    bridged: async () => void reports.push(['bridged']),
    recording: async () => {},
    hangup: async (callId: string, by: string) => void reports.push(['hangup', callId, by]),
    agentLeft: async (callId: string) => {
      reports.push(['agentLeft', callId]);
      if (consultAnswered) return null;
      last = survey;
      return survey;
    },
    legResult: async (callId: string, leg: string, status: string) => {
      reports.push(['legResult', callId, leg, status]);
      consultAnswered = status === 'answered';
    },
    legEnded: async (callId: string, leg: string) => void reports.push(['legEnded', callId, leg]),
  };
  // The router closed or completed the leg before the flow sends that step.
  const legOver = () => void (consultAnswered = false);
  return { flow: flow as unknown as CallFlow, reports, legOver };
}

/** What callsRepository.open reads at a re-sync: no calls. */
function emptyDb(): Db {
  const chain: unknown = new Proxy({}, { get: (_t, key) => (key === 'then' ? undefined : key === 'execute' ? async () => [] : () => chain) });
  return { selectFrom: () => chain } as unknown as Db;
}

/** An action as sent, without Action and ActionID. */
function headers(a: ReceivedAction): Record<string, string> {
  const { action: _action, actionid: _id, ...rest } = a.headers;
  return rest;
}

describe('Asterisk driver: second legs (consult transfer, interpreters)', () => {
  let ami: FakeAmi;
  let driver: AsteriskDriver;
  let reports: unknown[][];
  let caller: FakeChannel;
  let agent: FakeChannel;
  const ref = () => ({ callId: CALL, externalId: caller.uniqueid });
  const step = (type: ConferenceStep['type'], target: LegTarget = { agent: COLLEAGUE }): ConferenceStep => ({ type, leg: LEG, agent: AGENT, target });
  /** The actions sent from now on, as `sent()` reads them. */
  let mark = 0;
  const sent = () => ami.actions.slice(mark).map((a) => ({ action: a.action, ...headers(a) }));
  const since = () => (mark = ami.actions.length);
  let legOver: () => void;
  /** A step that ends the leg, as the flow sends it: after the router's step. */
  const ending = async (s: ConferenceStep) => {
    legOver();
    await driver.conference(ref(), s);
  };
  const where = (ch: FakeChannel) => (ami.channels.has(ch.uniqueid) ? `${ami.channels.get(ch.uniqueid)!.context},${ami.channels.get(ch.uniqueid)!.exten}` : 'gone');

  beforeEach(async () => {
    ami = await new FakeAmi(undefined, undefined, { write: [...HOTLINE_WRITE, 'originate'] }).start();
    const { log } = memoryLogger('warn');
    const stub = stubFlow();
    reports = stub.reports;
    legOver = stub.legOver;
    const client = new AmiClient({ host: '127.0.0.1', port: ami.port, ...ami.credentials, log, reconnectInitialMs: 50 });
    const lease = new AmiLease({ redis: null, key: 'test:ami', log });
    driver = new AsteriskDriver({ flow: stub.flow, db: emptyDb(), records: {} as RecordOutbox, link: new AmiLink(client, lease, log), log, provinceCode: '630000', agentDial: 'PJSIP/{agent}' });
    await driver.start();
    await until(() => driver.linkUp && ami.named('coreshowchannels').length === 1, 'the AMI login and first re-sync');
    // A caller put through to agent.a: the connect, Dial answered, the bridge.
    caller = ami.addChannel({ callerIdNum: '13519712345' });
    ami.userEvent(caller.uniqueid, 'HotlineArrived');
    ami.move(caller.uniqueid, 'hotline-park');
    await until(() => ami.channel(caller.uniqueid).context === 'hotline-connect', 'the connect');
    agent = ami.addChannel({ callerIdNum: '12348', channel: 'PJSIP/agent.a-00000001', context: 'hotline-agents', exten: 's' });
    ami.dialEnd(caller.uniqueid, agent.uniqueid, 'ANSWER');
    ami.bridge(caller.uniqueid, agent.uniqueid);
    await until(() => reports.some((r) => r[0] === 'bridged'), 'the bridge');
    reports.length = 0;
    since();
  });
  afterEach(async () => {
    await driver.stop();
    await ami.stop();
  });

  /** The consult to agent.b, answered by their phone (PJSIP/agent.b-00000009 in the room). */
  async function consultAnswered(): Promise<FakeChannel> {
    await driver.conference(ref(), step('consult'));
    const originate = ami.named('originate').at(-1)!;
    const target = ami.originateResponse(originate, { answered: true, name: 'PJSIP/agent.b-00000009' })!;
    await until(() => reports.length === 1, 'the leg result');
    expect(reports).toEqual([['legResult', CALL, LEG, 'answered']]);
    return target;
  }

  it('offers consult and interpreter when the account may Originate', () => {
    expect(driver.capabilities()).toEqual({ forward: true, consult: true, interpreter: true, monitor: ['listen', 'whisper', 'barge'] });
  });

  it('consult → complete: caller on music, agent and colleague in the room; then the caller to the colleague, the agent hung up', async () => {
    await driver.conference(ref(), step('consult'));
    expect(sent()).toEqual([
      {
        action: 'redirect',
        channel: caller.channel,
        context: 'hotline-leg-hold',
        exten: `L${ROOM}`,
        priority: '1',
        extrachannel: agent.channel,
        extracontext: 'hotline-leg',
        extraexten: `A${ROOM}`,
        extrapriority: '1',
      },
      { action: 'originate', channel: 'PJSIP/agent.b', context: 'hotline-leg', exten: `T${ROOM}`, priority: '1', async: 'true', channelid: LEG, otherchannelid: `${LEG}-out`, timeout: '30000', callerid: '"12348" <12348>' },
    ]);
    // Leaving the Dial bridge together hung neither up, and told the flow nothing.
    expect(where(caller)).toBe(`hotline-leg-hold,L${ROOM}`);
    expect(where(agent)).toBe(`hotline-leg,A${ROOM}`);
    expect(reports).toEqual([]);

    const target = ami.originateResponse(ami.named('originate').at(-1)!, { answered: true, name: 'PJSIP/agent.b-00000009' })!;
    await until(() => reports.length === 1, 'the leg result');
    expect(reports).toEqual([['legResult', CALL, LEG, 'answered']]);
    expect(ami.room(ROOM).map((p) => p.role).sort()).toEqual(['A', 'T']);

    since();
    await ending(step('complete'));
    expect(sent()).toEqual([
      { action: 'redirect', channel: caller.channel, context: 'hotline-leg', exten: `C${ROOM}`, priority: '1' },
      { action: 'hangup', channel: agent.channel, cause: '16' },
    ]);
    expect(ami.room(ROOM).map((p) => p.channel.uniqueid).sort()).toEqual([caller.uniqueid, target.uniqueid].sort());
    // The agent's leg gone (its Hangup event) is not the agent leaving the caller: no survey, no end.
    await new Promise((r) => setTimeout(r, 50));
    expect(reports).toEqual([['legResult', CALL, LEG, 'answered']]);

    // A supervisor now listens to the colleague who holds the call.
    since();
    await driver.monitor(ref(), { supervisor: { id: 'sup', username: 'sup.xining' }, agent: COLLEAGUE, mode: 'listen', previous: null });
    expect(sent()).toMatchObject([{ action: 'originate', channel: 'PJSIP/sup.xining', application: 'ChanSpy', data: 'PJSIP/agent.b-00000009,qE' }]);

    // The colleague hangs up: as the agent hanging up after a Dial, the caller goes to the survey.
    since();
    ami.hangup(target.uniqueid);
    await until(() => sent().some((a) => a.action === 'redirect'), 'the survey');
    expect(reports.at(-1)).toEqual(['agentLeft', CALL]);
    expect(sent().at(-1)).toEqual({ action: 'redirect', channel: caller.channel, context: 'hotline-menu', exten: 's', priority: '1' });

    ami.hangup(caller.uniqueid);
    await until(() => reports.some((r) => r[0] === 'hangup'), 'the end of the call');
    expect(reports.at(-1)).toEqual(['hangup', CALL, 'caller']);
  });

  it('consult → complete, then the colleague ends the call on the desk: the caller to the survey and the colleague\'s phone hung up, not left alone in the room', async () => {
    const target = await consultAnswered();
    await ending(step('complete'));
    since();
    // The flow's survey after the colleague pressed hang-up on the web desk (their phone is still up).
    await driver.execute(ref(), { type: 'menu', step: 4, menu: 'survey', prompts: [], timeoutSeconds: 8 });
    expect(sent().filter((a) => a.action !== 'setvar')).toEqual([
      { action: 'redirect', channel: caller.channel, context: 'hotline-menu', exten: 's', priority: '1' },
      { action: 'hangup', channel: LEG, cause: '16' },
    ]);
    expect(ami.channels.has(target.uniqueid)).toBe(false);
    expect(ami.room(ROOM)).toEqual([]);
    // Its Hangup was the service's own doing: nobody is told the colleague left.
    await new Promise((r) => setTimeout(r, 50));
    expect(reports).toEqual([['legResult', CALL, LEG, 'answered']]);
  });

  it('consult → merge → drop: all three in the room, then caller and agent; the agent hanging up then ends the conversation', async () => {
    const target = await consultAnswered();
    since();
    await driver.conference(ref(), step('merge'));
    expect(sent()).toEqual([{ action: 'redirect', channel: caller.channel, context: 'hotline-leg', exten: `C${ROOM}`, priority: '1' }]);
    expect(ami.room(ROOM).map((p) => p.role).sort()).toEqual(['A', 'C', 'T']);

    since();
    await ending(step('drop'));
    expect(sent()).toEqual([{ action: 'hangup', channel: LEG, cause: '16' }]);
    expect(ami.channels.has(target.uniqueid)).toBe(false);
    expect(ami.room(ROOM).map((p) => p.channel.uniqueid).sort()).toEqual([caller.uniqueid, agent.uniqueid].sort());
    await new Promise((r) => setTimeout(r, 50));
    // The target's Hangup after a drop is the service's own doing: not reported.
    expect(reports).toEqual([['legResult', CALL, LEG, 'answered']]);

    since();
    ami.hangup(agent.uniqueid);
    await until(() => sent().some((a) => a.action === 'redirect'), 'the survey');
    expect(reports.at(-1)).toEqual(['agentLeft', CALL]);
    expect(sent().at(-1)).toMatchObject({ action: 'redirect', channel: caller.channel, context: 'hotline-menu' });
  });

  it('consult → cancel: the colleague hung up, the caller back with the agent', async () => {
    const target = await consultAnswered();
    since();
    await ending(step('cancel'));
    expect(sent()).toEqual([
      { action: 'hangup', channel: LEG, cause: '16' },
      { action: 'redirect', channel: caller.channel, context: 'hotline-leg', exten: `C${ROOM}`, priority: '1' },
    ]);
    expect(ami.channels.has(target.uniqueid)).toBe(false);
    expect(ami.room(ROOM).map((p) => p.channel.uniqueid).sort()).toEqual([caller.uniqueid, agent.uniqueid].sort());
    // Sent again: nothing more is done.
    since();
    await ending(step('cancel'));
    expect(sent()).toEqual([]);
    expect(ami.room(ROOM)).toHaveLength(2);
    expect(reports).toEqual([['legResult', CALL, LEG, 'answered']]);
  });

  it('interpreter (an outside number): caller and agent into the room, the number dialled into it through the trunk; then dropped', async () => {
    await driver.conference(ref(), step('join', { number: '09718123456' }));
    expect(sent()).toEqual([
      {
        action: 'redirect',
        channel: caller.channel,
        context: 'hotline-leg',
        exten: `C${ROOM}`,
        priority: '1',
        extrachannel: agent.channel,
        extracontext: 'hotline-leg',
        extraexten: `A${ROOM}`,
        extrapriority: '1',
      },
      {
        action: 'originate',
        channel: 'Local/09718123456@hotline-leg-out/n',
        context: 'hotline-leg',
        exten: `T${ROOM}`,
        priority: '1',
        async: 'true',
        channelid: LEG,
        otherchannelid: `${LEG}-out`,
        timeout: '60000',
        callerid: '"12348" <12348>',
      },
    ]);
    // Caller and agent hear each other while the interpreter's phone rings.
    expect(ami.room(ROOM).map((p) => p.role).sort()).toEqual(['A', 'C']);
    ami.originateResponse(ami.named('originate').at(-1)!, { answered: true, name: 'Local/09718123456@hotline-leg-out-00000003;1' });
    await until(() => reports.length === 1, 'the leg result');
    expect(reports).toEqual([['legResult', CALL, LEG, 'answered']]);
    expect(ami.room(ROOM).map((p) => p.role).sort()).toEqual(['A', 'C', 'T']);

    since();
    await ending(step('drop', { number: '09718123456' }));
    expect(sent()).toEqual([{ action: 'hangup', channel: LEG, cause: '16' }]);
    expect(ami.room(ROOM).map((p) => p.role).sort()).toEqual(['A', 'C']);
  });

  it('the target not reached (OriginateResponse Failure): reported as busy or no answer, and the cancel brings the caller back', async () => {
    await driver.conference(ref(), step('consult'));
    ami.originateResponse(ami.named('originate').at(-1)!, { answered: false, reason: '5' });
    await until(() => reports.length === 1, 'the leg result');
    expect(reports).toEqual([['legResult', CALL, LEG, 'busy']]);
    since();
    await ending(step('cancel'));
    // Nothing left to hang up: the caller straight back to the agent.
    expect(sent()).toEqual([{ action: 'redirect', channel: caller.channel, context: 'hotline-leg', exten: `C${ROOM}`, priority: '1' }]);
    expect(ami.room(ROOM).map((p) => p.channel.uniqueid).sort()).toEqual([caller.uniqueid, agent.uniqueid].sort());
  });

  it('an interpreter that rings out is reported as no answer; caller and agent stay together', async () => {
    await driver.conference(ref(), step('join', { agent: COLLEAGUE }));
    ami.originateResponse(ami.named('originate').at(-1)!, { answered: false, reason: '3' });
    await until(() => reports.length === 1, 'the leg result');
    expect(reports).toEqual([['legResult', CALL, LEG, 'no_answer']]);
    since();
    await ending(step('cancel'));
    expect(sent()).toEqual([]);
    expect(ami.room(ROOM).map((p) => p.role).sort()).toEqual(['A', 'C']);
  });

  it('the colleague hangs up by themselves: legEnded; the cancel that follows only brings the caller back', async () => {
    const target = await consultAnswered();
    ami.hangup(target.uniqueid);
    await until(() => reports.length === 2, 'the leg ended');
    expect(reports.at(-1)).toEqual(['legEnded', CALL, LEG]);
    since();
    await ending(step('cancel'));
    expect(sent()).toEqual([{ action: 'redirect', channel: caller.channel, context: 'hotline-leg', exten: `C${ROOM}`, priority: '1' }]);
  });

  it('the caller hangs up with a leg open: the call ends, and the agent and the colleague are hung up; the drop that follows is harmless', async () => {
    const target = await consultAnswered();
    since();
    ami.hangup(caller.uniqueid);
    await until(() => sent().length === 2, 'the room emptied');
    expect(reports.at(-1)).toEqual(['hangup', CALL, 'caller']);
    expect(sent()).toEqual([
      { action: 'hangup', channel: agent.channel, cause: '16' },
      { action: 'hangup', channel: LEG, cause: '16' },
    ]);
    expect(ami.channels.has(agent.uniqueid) || ami.channels.has(target.uniqueid)).toBe(false);
    since();
    await ending(step('drop'));
    expect(sent()).toEqual([{ action: 'hangup', channel: LEG, cause: '16' }]);
    await new Promise((r) => setTimeout(r, 50));
    // Neither the agent's nor the colleague's end was taken for the agent leaving or the leg ending.
    expect(reports.map((r) => r[0])).toEqual(['legResult', 'hangup']);
  });

  it('the agent hangs up during an answered consult: no survey; the complete that follows hands the caller to the colleague', async () => {
    const target = await consultAnswered();
    since();
    ami.hangup(agent.uniqueid);
    // The flow hears it (and the router completes the leg); it answers nothing for the caller.
    await until(() => reports.length === 2, 'the flow told');
    expect(reports).toEqual([['legResult', CALL, LEG, 'answered'], ['agentLeft', CALL]]);
    await new Promise((r) => setTimeout(r, 50));
    expect(sent()).toEqual([]);
    since();
    await ending(step('complete'));
    expect(sent()).toEqual([{ action: 'redirect', channel: caller.channel, context: 'hotline-leg', exten: `C${ROOM}`, priority: '1' }]);
    expect(ami.room(ROOM).map((p) => p.channel.uniqueid).sort()).toEqual([caller.uniqueid, target.uniqueid].sort());
  });

  it('an outside number completed: the hotline is out of it, and the caller is hung up when that party hangs up', async () => {
    await driver.conference(ref(), step('consult', { number: '01012345678' }));
    const target = ami.originateResponse(ami.named('originate').at(-1)!, { answered: true, name: 'Local/01012345678@hotline-leg-out-00000004;1' })!;
    await until(() => reports.length === 1, 'the leg result');
    since();
    await ending(step('complete', { number: '01012345678' }));
    expect(sent()).toEqual([
      { action: 'redirect', channel: caller.channel, context: 'hotline-leg', exten: `C${ROOM}`, priority: '1' },
      { action: 'hangup', channel: agent.channel, cause: '16' },
    ]);
    since();
    ami.hangup(target.uniqueid);
    await until(() => reports.some((r) => r[0] === 'hangup'), 'the end');
    expect(sent()).toEqual([{ action: 'hangup', channel: caller.channel, cause: '16' }]);
    expect(reports.at(-1)).toEqual(['hangup', CALL, 'system']);
  });
});

/** The same through the whole service: the agent's consult goes through the router and the call flow to the AMI. */
describe('consult → complete through the service over Asterisk', () => {
  let t: TestApp;
  let ami: FakeAmi;
  let dialplan: FakeDialplan;
  let agentA: string;
  let agentB: string;

  beforeAll(async () => {
    ami = await new FakeAmi(undefined, undefined, { write: [...HOTLINE_WRITE, 'originate'] }).start();
    dialplan = new FakeDialplan(ami);
    t = await startTestApp({ telephony: ['asterisk'], asterisk: asteriskConfig(ami.port, ami) });
    agentA = (await t.addUser({ username: 'agent.a', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } })).id;
    agentB = (await t.addUser({ username: 'agent.b', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } })).id;
    await waitFor(() => ami.loggedIn === 1 && ami.named('coreshowchannels').length === 1 && t.app.asteriskDriver!.linkUp, 'the AMI login');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await ami?.stop();
  });

  it('rings the colleague into the room once they took the leg, and hands them the caller on complete', async () => {
    await t.app.router.login({ id: agentA, regionCode: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    await t.app.router.setReady(agentA);
    const caller = dialplan.call('13519712345');
    for (;;) {
      const r = await dialplan.next(caller.uniqueid);
      if (r.context === 'hotline-hold') break;
      dialplan.press(caller.uniqueid, '1');
    }
    const callId = (await t.app.callFlow.lookup('asterisk', caller.uniqueid))!;
    await waitFor(() => t.app.router.liveAgent(agentA)?.state === 'reserved', 'the offer');
    expect((await t.app.router.accept(agentA, t.app.router.liveAgent(agentA)!.offerId!)).ok).toBe(true);
    await dialplan.next(caller.uniqueid, 'hotline-connect');
    const legA = dialplan.agentAnswers(caller.uniqueid);
    await waitFor(async () => (await t.app.callFlow.state(callId))?.bridged === true, 'the bridge');

    await t.app.router.login({ id: agentB, regionCode: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    await t.app.router.setReady(agentB);
    expect(await t.app.callFlow.agentTransfer(callId, agentA, { agentId: agentB }, 'consult')).toEqual({ ok: true });
    await waitFor(() => t.app.router.liveAgent(agentB)?.state === 'reserved', 'the leg offered to the colleague');
    // Nothing is dialled before the colleague takes the leg on their desk.
    expect(ami.named('originate')).toEqual([]);
    expect((await t.app.router.accept(agentB, t.app.router.liveAgent(agentB)!.offerId!)).ok).toBe(true);
    await waitFor(() => ami.named('originate').length === 1, 'the colleague dialled');
    const originate = ami.named('originate')[0]!;
    const leg = originate.headers.channelid!;
    const room = leg.replaceAll('-', '');
    expect(originate.headers).toMatchObject({ channel: 'PJSIP/agent.b', context: 'hotline-leg', exten: `T${room}`, async: 'true' });
    const dual = ami.named('redirect').at(-1)!.headers;
    expect(dual).toMatchObject({ channel: caller.channel, context: 'hotline-leg-hold', exten: `L${room}`, extrachannel: legA.channel, extracontext: 'hotline-leg', extraexten: `A${room}` });

    const legB = ami.originateResponse(originate, { answered: true, name: 'PJSIP/agent.b-00000042' })!;
    await waitFor(() => t.app.router.liveCall(callId)?.leg?.state === 'talking', 'the leg answered');

    expect(await t.app.callFlow.agentLeg(callId, agentA, 'complete')).toEqual({ ok: true });
    await waitFor(() => !ami.channels.has(legA.uniqueid), "the agent's leg hung up");
    expect(ami.room(room).map((p) => p.channel.uniqueid).sort()).toEqual([caller.uniqueid, legB.uniqueid].sort());
    await waitFor(async () => (await t.app.callFlow.state(callId))?.agentId === agentB, 'the call handed to the colleague');
    const state = await t.app.callFlow.state(callId);
    expect(state?.phase).toBe('connected');

    // The colleague hangs up: the caller goes to the survey, as after any agent.
    expect(await dialplan.next(caller.uniqueid, 'hotline-leg-hold')).toMatchObject({ exten: `L${room}` });
    expect(await dialplan.next(caller.uniqueid, 'hotline-leg')).toMatchObject({ exten: `C${room}` });
    ami.hangup(legB.uniqueid);
    const survey = await dialplan.next(caller.uniqueid);
    expect(survey.context).toBe('hotline-menu');
    expect(survey.vars.HOTLINE_MENU).toBe('survey');
  });
});
