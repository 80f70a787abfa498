import fs from 'node:fs';
import path from 'node:path';
import { startTestApp, type TestApp } from '../support/app';
import { FakeAmi, HOTLINE_WRITE } from '../support/fake-ami';
import { FakeDialplan } from '../support/fake-dialplan';
import { asteriskConfig, until } from '../telephony/asterisk-flow.suite';

/**
 * Remote seats through Asterisk, at the AMI boundary: an offer to a lawyer answering on their
 * mobile is one Originate of a Local channel that dials the seat phone into [hotline-seat]; the
 * test plays the phone (HotlineSeatKey, HotlineSeatEnd, OriginateResponse) and the caller's
 * [hotline-seat-connect] (Bridge to the seat leg by its Uniqueid, then the dial result).
 */
describe('remote seats through Asterisk (AMI Originate and Bridge)', () => {
  let t: TestApp;
  let ami: FakeAmi;
  let dialplan: FakeDialplan;
  let lawyerId: string;
  const SEAT = '13897123456';

  beforeAll(async () => {
    ami = await new FakeAmi(undefined, undefined, { write: [...HOTLINE_WRITE, 'originate'] }).start();
    dialplan = new FakeDialplan(ami);
    t = await startTestApp({ telephony: ['asterisk'], asterisk: asteriskConfig(ami.port, ami) });
    lawyerId = (await t.addUser({ username: 'lawyer.ningxia', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } })).id;
    await t.app.db.updateTable('agents').set({ seat_phone: SEAT }).where('id', '=', lawyerId).execute();
    await until(() => t.app.asteriskDriver!.linkUp && ami.named('coreshowchannels').length === 1, 'the AMI login');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await ami.stop();
  });

  const callIdOf = async (uniqueid: string) => (await t.app.callFlow.lookup('asterisk', uniqueid))!;

  /** A Mandarin labour caller from Chengdong, through the generic menus to the queue. */
  async function queuedCaller(number: string): Promise<{ uid: string; callId: string }> {
    const caller = dialplan.call(number);
    for (const key of ['1', '1', '0', '1']) {
      await dialplan.next(caller.uniqueid, 'hotline-menu');
      dialplan.press(caller.uniqueid, key);
    }
    await dialplan.next(caller.uniqueid, 'hotline-hold');
    return { uid: caller.uniqueid, callId: await callIdOf(caller.uniqueid) };
  }

  async function originated(before: number) {
    await until(() => ami.named('originate').length === before + 1, 'the Originate to the seat phone');
    return ami.named('originate').at(-1)!.headers;
  }

  it('a remote seat accepting with 1: Originate to the seat phone, key 1, the caller bridged to that leg, the survey after the lawyer hangs up', async () => {
    await t.app.remoteSeats.set(lawyerId, 'ready');
    const sent = ami.named('originate').length;
    const { uid, callId } = await queuedCaller('13519712345');
    const originate = await originated(sent);
    const offerId = t.app.router.liveCall(callId)!.offerId!;
    // The seat phone through the trunk (a Local channel kept whole with /n), the offer described to [hotline-seat].
    expect(originate).toMatchObject({ channel: `Local/${SEAT}@hotline-seat-out/n`, context: 'hotline-seat', exten: '630102*zh*labour', priority: '1', async: 'true', channelid: offerId });
    expect(Number(originate.timeout)).toBeGreaterThan(0);
    expect(Number(originate.timeout)).toBeLessThanOrEqual(t.app.router.settings.offerTimeoutSeconds * 1000);

    const seat = dialplan.seatAnswers(originate, '1');
    const connect = await dialplan.next(uid, 'hotline-seat-connect');
    expect(connect.vars).toMatchObject({ HOTLINE_SEAT: offerId, HOTLINE_PROMPTS: '', HOTLINE_RECORDING: `hotline/${callId}-${connect.vars.HOTLINE_STEP}.wav` });
    expect(t.app.router.liveCall(callId)).toMatchObject({ status: 'connected', agentId: lawyerId });

    dialplan.seatBridged(uid, seat.uniqueid);
    await until(async () => (await t.app.db.selectFrom('calls').select('recording_url').where('id', '=', callId).executeTakeFirstOrThrow()).recording_url !== null, 'the bridge and its recording');
    expect(t.app.router.liveCall(callId)).toMatchObject({ bridgedOnce: true });

    dialplan.seatHangsUp(uid, seat.uniqueid);
    expect((await dialplan.next(uid, 'hotline-menu')).vars.HOTLINE_MENU).toBe('survey');
    dialplan.press(uid, '5');
    await dialplan.next(uid, 'hotline-bye');
    dialplan.bye(uid);
    await until(async () => (await t.app.callFlow.state(callId)) === null, 'the call to end');
    await t.app.callRecorder.flush();
    await t.app.records.drained();
    expect(await t.app.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow()).toMatchObject({ end_reason: 'answered', agent_id: lawyerId });
    // Open for the lawyer to finish at the web desk.
    expect(await t.app.db.selectFrom('tickets').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow()).toMatchObject({ agent_id: lawyerId, outcome: null, survey_score: 5 });
    await t.app.router.endWrapUp(lawyerId, 'ready');
  });

  it('a remote seat missing by not answering: OriginateResponse Failure (no answer) is a missed offer, the caller keeps their place', async () => {
    await until(() => t.app.router.liveAgent(lawyerId)?.state === 'ready', 'the seat to be ready');
    const sent = ami.named('originate').length;
    const { uid, callId } = await queuedCaller('13519712346');
    const originate = await originated(sent);
    ami.event('OriginateResponse', 'call,all', [['ActionID', originate.actionid!], ['Response', 'Failure'], ['Channel', originate.channel!], ['Context', 'hotline-seat'], ['Exten', originate.exten!], ['Reason', '3'], ['Uniqueid', '<null>']]);
    await until(() => t.app.router.liveAgent(lawyerId)?.state === 'not_ready', 'the missed offer');
    expect(t.app.router.liveAgent(lawyerId)).toMatchObject({ state: 'not_ready', reason: 'missed' });
    expect(t.app.router.liveCall(callId)).toMatchObject({ status: 'waiting', missedBy: [lawyerId] });
    // The caller heard nothing of it: still on hold, never redirected to a connect.
    expect(dialplan.all(uid).map((r) => r.context)).not.toContain('hotline-seat-connect');

    // Pressing another key is missed the same way; then the caller hangs up.
    await t.app.router.setReady(lawyerId);
    const again = await originated(sent + 1);
    dialplan.seatAnswers(again, '2');
    await until(() => t.app.router.liveAgent(lawyerId)?.state === 'not_ready', 'the declined offer');
    expect(t.app.router.liveCall(callId)).toMatchObject({ status: 'waiting', missedBy: [lawyerId, lawyerId] });
    ami.hangup(uid);
    await until(async () => (await t.app.callFlow.state(callId)) === null, 'the caller to leave');
    await t.app.remoteSeats.set(lawyerId, 'offline');
  });

  it('the checked-in extensions.conf has the remote seat contexts the driver relies on', () => {
    const conf = fs.readFileSync(path.join(__dirname, '../../deploy/asterisk/extensions.conf'), 'utf8');
    for (const context of ['[hotline-seat-out]', '[hotline-seat]', '[hotline-seat-connect]']) expect(conf).toContain(context);
    expect(conf).toContain('Bridge(${HL_SEAT})');
    expect(conf).toContain('UserEvent(HotlineSeatKey,Seat: ${HL_SEAT},Digits: ${HL_K})');
  });
});
