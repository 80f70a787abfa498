import { bookedCallback } from '../support/callbacks';
import { startTestApp, type TestApp } from '../support/app';
import { FakeAmi, HOTLINE_WRITE } from '../support/fake-ami';
import { ANY_HOUR, setProvinceSettings } from '../support/province-settings';
import { asteriskConfig, until } from '../telephony/asterisk-flow.suite';

/**
 * Callbacks dialled through Asterisk: the agent accepts an attempt, the service sends one AMI
 * Originate of the agent's endpoint into [hotline-callback]; the test plays what Asterisk then
 * reports (OriginateResponse, the context's UserEvents) and checks what is recorded.
 */
describe('callbacks dialled out through Asterisk (AMI Originate)', () => {
  let t: TestApp;
  let ami: FakeAmi;
  let agentId: string;
  const POLICY = { ...ANY_HOUR, maxAttempts: 2, retryMinutes: 30 };

  beforeAll(async () => {
    ami = await new FakeAmi(undefined, undefined, { write: [...HOTLINE_WRITE, 'originate'] }).start();
    t = await startTestApp({ telephony: ['asterisk'], asterisk: asteriskConfig(ami.port, ami) });
    agentId = (await t.addUser({ username: 'agent.cb', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } })).id;
    await setProvinceSettings(t.app, 'callbacks', POLICY);
    await until(() => t.app.asteriskDriver!.linkUp && ami.named('coreshowchannels').length === 1, 'the AMI login');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await ami.stop();
  });

  const callback = (id: string) => t.app.db.selectFrom('callbacks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const record = (id: string) => t.app.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const settled = async () => {
    await t.app.callRecorder.flush();
    await t.app.callbacks.settled();
    await t.app.callbackCalls.settled();
    await t.app.records.drained();
  };

  const booked = (number: string) => bookedCallback(t, number);

  /** The agent signs in and accepts the attempt; returns it with the Originate it caused. */
  async function accepted(id: string) {
    const attemptId = (await callback(id)).attempt_id!;
    const sent = ami.named('originate').length;
    await t.app.router.login({ id: agentId, regionCode: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    await t.app.router.setReady(agentId);
    await until(() => t.app.router.liveAgent(agentId)?.state === 'reserved', 'the offer');
    expect((await t.app.router.accept(agentId, t.app.router.liveAgent(agentId)!.offerId!)).ok).toBe(true);
    await until(() => ami.named('originate').length === sent + 1, 'the Originate');
    return { attemptId, originate: ami.named('originate').at(-1)!.headers };
  }

  /** What [hotline-callback] reports when the agent's channel ends. */
  function result(attemptId: string, channel: string, dialStatus: string, cause: string) {
    ami.addChannel({ callerIdNum: '09718000950', channel, uniqueid: attemptId, context: 'hotline-callback' });
    ami.userEvent(attemptId, 'HotlineCallbackResult', [['Attempt', attemptId], ['DialStatus', dialStatus], ['HangupCause', cause]]);
  }

  it("originates the agent's endpoint into [hotline-callback] with the caller's number; a busy caller is recorded and tried again by the policy", async () => {
    const id = await booked('+8613897123456');
    const { attemptId, originate } = await accepted(id);
    // +86 becomes the domestic number, the extension [hotline-callback] dials; the attempt is the channel's Uniqueid.
    expect(originate).toMatchObject({ channel: 'PJSIP/agent.cb', context: 'hotline-callback', exten: '13897123456', priority: '1', async: 'true', channelid: attemptId, timeout: '30000' });

    const before = Date.now();
    ami.event('OriginateResponse', 'call,all', [['ActionID', originate.actionid!], ['Response', 'Success'], ['Channel', 'PJSIP/agent.cb-00000001'], ['Context', 'hotline-callback'], ['Exten', 's'], ['Reason', '4'], ['Uniqueid', attemptId]]);
    result(attemptId, 'PJSIP/agent.cb-00000001', 'BUSY', '17');
    await until(async () => (await callback(id)).status === 'pending', 'the busy result');
    await settled();
    const after = Date.now();
    const row = await callback(id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_result: 'busy' });
    expect(row.next_attempt_at.getTime()).toBeGreaterThanOrEqual(before + 30 * 60_000);
    expect(row.next_attempt_at.getTime()).toBeLessThanOrEqual(after + 30 * 60_000);
    expect(await record(attemptId)).toMatchObject({ end_reason: 'failed', end_detail: 'dial_busy:BUSY:17', answered_at: null });
    // Free again at once.
    await until(() => t.app.router.liveAgent(agentId)?.state === 'ready', 'the agent to be ready');
    await t.app.router.setNotReady(agentId, 'break');

    // The second and last attempt: the agent's own phone never answers (OriginateResponse Failure, Reason 3).
    await t.app.db.updateTable('callbacks').set({ next_attempt_at: new Date(Date.now() - 1_000) }).where('id', '=', id).execute();
    await t.app.callbacks.pass();
    const second = await accepted(id);
    expect(second.attemptId).not.toBe(attemptId);
    ami.event('OriginateResponse', 'call,all', [['ActionID', second.originate.actionid!], ['Response', 'Failure'], ['Channel', 'PJSIP/agent.cb'], ['Context', 'hotline-callback'], ['Exten', 's'], ['Reason', '3'], ['Uniqueid', '<null>']]);
    await until(async () => (await callback(id)).status === 'failed', 'the failed attempt');
    await settled();
    expect(await callback(id)).toMatchObject({ status: 'failed', attempts: 2, last_result: 'failed', close_reason: 'attempts_exhausted' });
    expect(await record(second.attemptId)).toMatchObject({ end_reason: 'failed', end_detail: 'dial_failed:agent_no_answer' });
    await until(() => t.app.router.liveAgent(agentId)?.state === 'ready', 'the agent to be ready');
    await t.app.router.setNotReady(agentId, 'break');
  });

  it("takes a failed Originate by its Uniqueid only when an earlier process sent it: this process's other Originates (second legs, remote seats) are no callback", async () => {
    const id = await booked('09718000952');
    const { attemptId, originate } = await accepted(id);
    const failure = (actionId: string) => ami.event('OriginateResponse', 'call,all', [['ActionID', actionId], ['Response', 'Failure'], ['Channel', 'Local/09718000000@hotline-leg-out/n'], ['Context', 'hotline-leg'], ['Exten', 's'], ['Reason', '8'], ['Uniqueid', attemptId]]);
    // One of this process's own actions (its ActionID prefix), whose Uniqueid happens to read as the attempt's.
    const ownPrefix = originate.actionid!.replace(/-\d+$/, '');
    failure(`${ownPrefix}-999999`);
    await new Promise((r) => setTimeout(r, 200));
    await settled();
    expect(await callback(id)).toMatchObject({ status: 'queued', attempts: 1 });
    expect(t.app.router.liveAgent(agentId)?.state).toBe('on_call');
    // An Originate from before a restart (another process's ActionID): matched by the attempt's Uniqueid.
    failure('hotline-0a0b0c-7');
    await until(async () => (await callback(id)).status === 'pending', 'the failed attempt');
    await settled();
    expect(await record(attemptId)).toMatchObject({ end_reason: 'failed', end_detail: 'dial_failed:agent_congestion' });
    await until(() => t.app.router.liveAgent(agentId)?.state === 'ready', 'the agent to be ready');
    await t.app.router.setNotReady(agentId, 'break');
    await t.app.db.updateTable('callbacks').set({ status: 'cancelled' }).where('id', '=', id).execute();
  });

  it("records a failed attempt whose OriginateResponse comes in the same read as the Originate's answer (an agent phone that is not registered)", async () => {
    const id = await booked('09718000951');
    ami.failNextOriginate('0');
    const { attemptId } = await accepted(id);
    await until(async () => (await callback(id)).status === 'pending', 'the failed attempt');
    await settled();
    expect(await callback(id)).toMatchObject({ status: 'pending', attempts: 1, last_result: 'failed' });
    expect(await record(attemptId)).toMatchObject({ end_reason: 'failed', end_detail: 'dial_failed:agent_failed' });
    await until(() => t.app.router.liveAgent(agentId)?.state === 'ready', 'the agent to be ready');
    await t.app.router.setNotReady(agentId, 'break');
    await t.app.db.updateTable('callbacks').set({ status: 'cancelled' }).where('id', '=', id).execute();
  });

  it('records an answered callback as reached with its recording, and hangs the call up on Asterisk when the agent hangs up at the desk', async () => {
    const id = await booked('09718000952');
    const { attemptId, originate } = await accepted(id);
    expect(originate).toMatchObject({ exten: '09718000952', channelid: attemptId });
    ami.event('OriginateResponse', 'call,all', [['ActionID', originate.actionid!], ['Response', 'Success'], ['Channel', 'PJSIP/agent.cb-00000002'], ['Reason', '4'], ['Uniqueid', attemptId]]);
    ami.addChannel({ callerIdNum: '09718000952', channel: 'PJSIP/agent.cb-00000002', uniqueid: attemptId, context: 'hotline-callback' });
    ami.userEvent(attemptId, 'HotlineCallbackAnswered', [['Attempt', attemptId]]);
    await until(async () => (await callback(id)).status === 'completed', 'the answer');
    await settled();
    expect(await callback(id)).toMatchObject({ status: 'completed', last_result: 'reached', close_reason: 'reached', attempts: 1 });
    expect(await record(attemptId)).toMatchObject({ recording_url: `asterisk:monitor/hotline/${attemptId}-callback.wav`, answered_at: expect.any(Date) });
    expect(t.app.router.liveCall(attemptId)).toMatchObject({ status: 'connected', bridgedOnce: true });

    expect((await t.app.router.agentHangup(agentId, attemptId)).ok).toBe(true);
    await until(() => ami.named('hangup').some((a) => a.headers.channel === 'PJSIP/agent.cb-00000002'), 'the Hangup of the agent channel');
    // Asterisk's `h` extension then reports the end (as the channel goes): nothing more changes.
    result(attemptId, 'PJSIP/agent.cb-00000002', 'ANSWER', '16');
    await settled();
    expect(await callback(id)).toMatchObject({ status: 'completed', last_result: 'reached' });
    expect(await record(attemptId)).toMatchObject({ status: 'ended', end_reason: 'answered' });
  });
});
