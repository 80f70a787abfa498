import { startTestApp, type TestApp } from '../support/app';
import { FakeAmi, HOTLINE_WRITE } from '../support/fake-ami';
import { FakeDialplan } from '../support/fake-dialplan';
import { asteriskConfig, until } from '../telephony/asterisk-flow.suite';

/**
 * A supervisor on a call through Asterisk: their phone is rung by an Originate into ChanSpy on
 * the agent's leg (q: no beep, E: out with the agent's leg; w whisper, B barge). Without the
 * originate class the service says it cannot, rather than offering it.
 */
describe('supervisor monitoring through Asterisk (ChanSpy)', () => {
  let t: TestApp;
  let ami: FakeAmi;
  let dialplan: FakeDialplan;
  let agentId: string;
  let sup: { id: string; token: string };

  beforeAll(async () => {
    ami = await new FakeAmi(undefined, undefined, { write: [...HOTLINE_WRITE, 'originate'] }).start();
    dialplan = new FakeDialplan(ami);
    t = await startTestApp({ telephony: ['asterisk'], asterisk: asteriskConfig(ami.port, ami) });
    agentId = (await t.addUser({ username: 'agent.xining', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } })).id;
    sup = await t.addUser({ username: 'sup.xining', role: 'supervisor', region: '630100' });
    await until(() => ami.loggedIn === 1 && ami.named('coreshowchannels').length === 1 && t.app.asteriskDriver!.linkUp, 'the AMI login');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await ami?.stop();
  });

  const monitor = (callId: string, mode: string | null) =>
    t.app.inject(
      mode
        ? { method: 'PUT', url: `/api/calls/${callId}/monitor`, headers: { authorization: `Bearer ${sup.token}` }, payload: { mode } }
        : { method: 'DELETE', url: `/api/calls/${callId}/monitor`, headers: { authorization: `Bearer ${sup.token}` } },
    );

  it("rings the supervisor's phone into ChanSpy on the agent's leg: listen, then whisper (a new spy), then out", async () => {
    expect(t.app.callFlow.capabilitiesOfAll().monitor).toEqual(['listen', 'whisper', 'barge']);
    await t.app.router.login({ id: agentId, regionCode: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    await t.app.router.setReady(agentId);
    const caller = dialplan.call('13519712345');
    for (let i = 0; ; i++) {
      const r = await dialplan.next(caller.uniqueid);
      if (r.context === 'hotline-hold') break;
      dialplan.press(caller.uniqueid, '1');
    }
    const callId = (await t.app.callFlow.lookup('asterisk', caller.uniqueid))!;
    await until(() => t.app.router.liveAgent(agentId)?.state === 'reserved', 'the offer');
    expect((await t.app.router.accept(agentId, t.app.router.liveAgent(agentId)!.offerId!)).ok).toBe(true);
    await dialplan.next(caller.uniqueid, 'hotline-connect');
    const leg = dialplan.agentAnswers(caller.uniqueid);
    await until(async () => (await t.app.callFlow.state(callId))?.bridged === true, 'the bridge');

    expect((await monitor(callId, 'listen')).statusCode).toBe(200);
    await until(() => ami.named('originate').length === 1, 'the Originate');
    const listen = ami.named('originate')[0]!.headers;
    expect(listen).toMatchObject({ channel: 'PJSIP/sup.xining', application: 'ChanSpy', data: `${leg.channel},qE`, async: 'true' });

    expect((await monitor(callId, 'whisper')).statusCode).toBe(200);
    await until(() => ami.named('originate').length === 2, 'the second Originate');
    // The listening spy is hung up first, by the ChannelId it was given.
    expect(ami.named('hangup').map((a) => a.headers.channel)).toContain(listen.channelid);
    expect(ami.named('originate')[1]!.headers).toMatchObject({ channel: 'PJSIP/sup.xining', application: 'ChanSpy', data: `${leg.channel},qEw` });

    const hangups = ami.named('hangup').length;
    expect((await monitor(callId, null)).statusCode).toBe(200);
    await until(() => ami.named('hangup').length === hangups + 1, 'the spy to be hung up');
    expect(ami.named('hangup').at(-1)!.headers.channel).toBe(ami.named('originate')[1]!.headers.channelid);
    // Nothing was sent to the caller's own channel for any of it.
    expect(ami.actions.filter((a) => a.headers.channel === caller.channel && a.action !== 'redirect' && a.action !== 'setvar')).toEqual([]);
  });
});

describe('supervisor monitoring through Asterisk without the originate class', () => {
  let t: TestApp;
  let ami: FakeAmi;

  beforeAll(async () => {
    ami = await new FakeAmi().start();
    t = await startTestApp({ telephony: ['asterisk'], asterisk: asteriskConfig(ami.port, ami) });
    await until(() => ami.loggedIn === 1 && ami.named('coreshowchannels').length === 1 && t.app.asteriskDriver!.linkUp, 'the AMI login');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await ami?.stop();
  });

  it('offers no monitoring at all', () => {
    expect(t.app.callFlow.capabilitiesOfAll()).toEqual({ forward: true, consult: false, interpreter: false, monitor: [] });
  });
});
