import { startTestApp, type TestApp } from '../support/app';
import { ACCOUNT_SID, PUBLIC_BASE_URL, child, parseTwiml, sid, signedWebhook, startFakeTwilio, twilioCallerQueued, twilioConfig, type FakeTwilio } from '../support/fake-twilio';
import { eventually } from '../support/tcp-proxy';

/**
 * A supervisor on a Twilio call: the call is a conference, and the supervisor's softphone is a
 * participant the Participants API adds — muted to listen, coaching the agent's call to whisper
 * (only the agent hears them), unmuted to barge — changed in place, and removed at the end.
 */
describe('supervisor monitoring through Twilio (conference participant)', () => {
  let t: TestApp;
  let fake: FakeTwilio;
  let agentId: string;
  let sup: { id: string; token: string };

  beforeAll(async () => {
    fake = await startFakeTwilio();
    t = await startTestApp(twilioConfig(fake.url));
    agentId = (await t.addUser({ username: 'agent.xining', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } })).id;
    sup = await t.addUser({ username: 'sup.xining', role: 'supervisor', region: '630100' });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const until = async (probe: () => Promise<boolean> | boolean, what: string) => {
    if (!(await eventually(async () => probe(), 5_000, 10))) throw new Error(`timed out waiting for ${what}`);
  };
  const post = (pathAndQuery: string, params: Record<string, string>) => t.app.inject(signedWebhook(pathAndQuery, params));
  const monitor = (callId: string, mode: string | null) =>
    t.app.inject(
      mode
        ? { method: 'PUT', url: `/api/calls/${callId}/monitor`, headers: { authorization: `Bearer ${sup.token}` }, payload: { mode } }
        : { method: 'DELETE', url: `/api/calls/${callId}/monitor`, headers: { authorization: `Bearer ${sup.token}` } },
    );

  it("adds the supervisor's softphone to the call's conference: listen (muted), whisper (coaching the agent), barge, then out", async () => {
    expect(t.app.twilioDriver!.capabilities()).toMatchObject({ monitor: ['listen', 'whisper', 'barge'] });
    await t.app.router.login({ id: agentId, regionCode: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    await t.app.router.setReady(agentId);
    const { CallSid, callId } = await twilioCallerQueued(t.app);
    const common = { CallSid, AccountSid: ACCOUNT_SID, From: '+8613519712345', CallStatus: 'in-progress' };
    await until(() => t.app.router.liveAgent(agentId)?.state === 'reserved', 'the offer');
    expect((await t.app.router.accept(agentId, t.app.router.liveAgent(agentId)!.offerId!)).ok).toBe(true);
    const name = `hotline-${callId}`;
    await until(() => [...(fake.conference(name)?.participants.values() ?? [])].some((p) => p.label === 'agent'), "the agent's softphone in the conference");
    const room = fake.conference(name)!;
    const agentLeg = [...room.participants.values()].find((p) => p.label === 'agent')!.callSid;
    expect((await post(`/telephony/twilio/participant?call=${callId}&role=agent`, { CallSid: agentLeg, AccountSid: ACCOUNT_SID, CallStatus: 'in-progress' })).statusCode).toBe(204);
    await until(async () => (await t.app.callFlow.state(callId))?.bridged === true, 'the bridge');
    const mark = fake.participantRequests().length;
    const requests = () => fake.participantRequests().slice(mark).map((r) => ({ method: r.method, conference: r.conference, participant: r.participant, params: r.params }));

    expect((await monitor(callId, 'listen')).statusCode).toBe(200);
    await until(() => requests().length === 1, 'the supervisor rung in');
    expect(requests()[0]).toEqual({
      method: 'POST',
      conference: room.sid,
      participant: null,
      params: { From: 'client:hotline', To: 'client:sup.xining', Label: 'supervisor', Beep: 'false', StartConferenceOnEnter: 'false', EndConferenceOnExit: 'false', Timeout: '20', Muted: 'true' },
    });
    const supervisor = [...room.participants.values()].find((p) => p.label === 'supervisor')!;
    expect(supervisor).toMatchObject({ muted: true, coaching: false, endConferenceOnExit: false });

    expect((await monitor(callId, 'whisper')).statusCode).toBe(200);
    await until(() => requests().length === 2, 'the whisper');
    expect(requests()[1]).toEqual({ method: 'POST', conference: room.sid, participant: supervisor.callSid, params: { Muted: 'false', Coaching: 'true', CallSidToCoach: agentLeg } });
    // Only the agent hears them: coaching the agent's call, not the caller's.
    expect(supervisor).toMatchObject({ muted: false, coaching: true, callSidToCoach: agentLeg });

    expect((await monitor(callId, 'barge')).statusCode).toBe(200);
    await until(() => requests().length === 3, 'the barge');
    expect(requests()[2]).toEqual({ method: 'POST', conference: room.sid, participant: supervisor.callSid, params: { Muted: 'false', Coaching: 'false' } });
    expect(supervisor).toMatchObject({ muted: false, coaching: false, callSidToCoach: null });

    expect((await monitor(callId, 'listen')).statusCode).toBe(200);
    await until(() => requests().length === 4, 'back to listening');
    expect(requests()[3]!.params).toEqual({ Muted: 'true', Coaching: 'false' });

    expect((await monitor(callId, null)).statusCode).toBe(200);
    await until(() => requests().length === 5, 'the supervisor taken out');
    expect(requests()[4]).toEqual({ method: 'DELETE', conference: room.sid, participant: supervisor.callSid, params: {} });
    expect([...room.participants.values()].map((p) => p.label ?? 'caller')).toEqual(['caller', 'agent']);
    // Nothing of it touched the caller's own call.
    expect(fake.updates().filter((u) => u.callSid === CallSid)).toHaveLength(1);

    // A supervisor whose phone has hung up is rung in again when they pick a mode.
    expect((await monitor(callId, 'listen')).statusCode).toBe(200);
    await until(() => requests().length === 6, 'rung in again');
    const again = [...room.participants.values()].find((p) => p.label === 'supervisor')!.callSid;
    fake.hangUp(again);
    expect((await monitor(callId, 'whisper')).statusCode).toBe(200);
    await until(() => requests().length === 8, 'the update refused, then a new participant');
    expect(requests().slice(6).map((r) => [r.method, r.participant, r.params.Coaching, r.params.CallSidToCoach])).toEqual([
      ['POST', again, 'true', agentLeg],
      ['POST', null, 'true', agentLeg],
    ]);

    expect((await post('/telephony/twilio/status', { ...common, CallStatus: 'completed' })).statusCode).toBe(204);
  });
});
