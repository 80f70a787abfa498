import type { Config } from '../../src/config/config';
import { startTestApp, type TestApp } from '../support/app';
import { FakeAmi } from '../support/fake-ami';
import { FakeDialplan } from '../support/fake-dialplan';
import { eventually } from '../support/tcp-proxy';

/**
 * Calls through the Asterisk driver on the real app, with a fake Asterisk on the AMI socket and
 * the test playing the dialplan: what the caller hears (the Redirects and the prompts they
 * carry), what the agent's phone is dialled with, and what is left in the database. Run on the
 * in-process stores in asterisk-flow.test.ts and on Redis in asterisk-flow.redis.test.ts.
 */

export const asteriskConfig = (port: number, ami: FakeAmi) => ({ host: '127.0.0.1', port, ...ami.credentials, agentDial: 'PJSIP/{agent}', webrtc: null });

export async function until(probe: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000) {
  if (!(await eventually(async () => probe(), timeoutMs, 10))) throw new Error(`timed out waiting for ${what}`);
}

export function asteriskFlowSuite(name: string, overrides: () => Partial<Config>) {
  describe(name, () => {
    let t: TestApp;
    let ami: FakeAmi;
    let dialplan: FakeDialplan;
    let agentId: string;

    beforeAll(async () => {
      ami = await new FakeAmi().start();
      dialplan = new FakeDialplan(ami);
      t = await startTestApp({ telephony: ['asterisk'], asterisk: asteriskConfig(ami.port, ami), ...overrides() });
      agentId = (await t.addUser({ username: 'agent.xining', role: 'agent', region: '630100', languages: { zh: 5, bo: 4 }, topics: { labour: 5 } })).id;
      // Up, and the first re-sync (an empty Asterisk) done.
      await until(() => ami.loggedIn === 1 && ami.named('coreshowchannels').length === 1 && t.app.asteriskDriver!.linkUp, 'the AMI login');
      // Starting the app (migrations on the embedded database) is slow on a busy machine.
    }, 60_000);
    afterAll(async () => {
      await t?.close();
      await ami.stop();
    });

    const callIdOf = async (uniqueid: string) => (await t.app.callFlow.lookup('asterisk', uniqueid))!;
    const row = async (callId: string) => t.app.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();

    async function signIn() {
      await t.app.router.login({ id: agentId, regionCode: '630100', languages: { zh: 5, bo: 4 }, topics: { labour: 5 } });
      await t.app.router.setReady(agentId);
    }

    async function acceptOffer() {
      await until(() => t.app.router.store.state.agent(agentId)?.state === 'reserved', 'the offer to the agent');
      expect((await t.app.router.accept(agentId, t.app.router.store.state.agent(agentId)!.offerId!)).ok).toBe(true);
    }

    /** Answers the menus with `keys` in order ('' lets one time out) until the caller is on hold. */
    async function throughMenus(uniqueid: string, keys: string[]) {
      for (let i = 0; ; i++) {
        const r = await dialplan.next(uniqueid);
        if (r.context === 'hotline-hold') return r;
        expect(r.context).toBe('hotline-menu');
        dialplan.press(uniqueid, keys[i] ?? '');
      }
    }

    it('carries a call from the greeting to the survey: menus, queue, agent, recording, score', async () => {
      await signIn();
      const caller = dialplan.call('13519712345');
      const uid = caller.uniqueid;

      const greeting = await dialplan.next(uid, 'hotline-menu');
      expect(greeting.vars).toMatchObject({ HOTLINE_MENU: 'language', HOTLINE_PROMPTS: 'hotline/zh/welcome&hotline/zh/language_menu', HOTLINE_TIMEOUT: '6' });
      dialplan.press(uid, '2');
      const topic = await dialplan.next(uid, 'hotline-menu');
      expect(topic.vars).toMatchObject({ HOTLINE_MENU: 'topic', HOTLINE_PROMPTS: 'hotline/bo/topic_menu' });
      expect(Number(topic.vars.HOTLINE_STEP)).toBeGreaterThan(Number(greeting.vars.HOTLINE_STEP));
      dialplan.press(uid, '1');
      expect((await dialplan.next(uid, 'hotline-menu')).vars.HOTLINE_MENU).toBe('priority');
      dialplan.press(uid, '1');
      expect((await dialplan.next(uid, 'hotline-menu')).vars.HOTLINE_MENU).toBe('region');
      dialplan.press(uid, '1');
      const hold = await dialplan.next(uid, 'hotline-hold');
      expect(hold.vars).toMatchObject({ HOTLINE_MUSIC: 'default', HOTLINE_ANNOUNCE: '45' });
      expect(hold.vars.HOTLINE_PROMPTS!.split('&')[0]).toBe('hotline/bo/queued');

      const callId = await callIdOf(uid);
      expect(t.app.router.liveCall(callId)).toMatchObject({ language: 'bo', topic: 'labour', regionCode: '630102' });
      await acceptOffer();
      const connect = await dialplan.next(uid, 'hotline-connect');
      expect(connect.vars).toMatchObject({
        HOTLINE_DIAL: 'PJSIP/agent.xining',
        HOTLINE_RING: '30',
        HOTLINE_PROMPTS: '',
        HOTLINE_RECORDING: `hotline/${callId}-${connect.vars.HOTLINE_STEP}.wav`,
      });

      // The agent's phone rings a while before it is picked up: the call is answered at the bridge.
      const acceptedAt = Date.now();
      await new Promise((r) => setTimeout(r, 1_200));
      const agentLeg = dialplan.agentAnswers(uid);
      await until(async () => (await row(callId)).recording_url !== null, 'the recording to be noted');
      dialplan.agentHangsUp(uid, agentLeg);
      const survey = await dialplan.next(uid, 'hotline-menu');
      expect(survey.vars).toMatchObject({ HOTLINE_MENU: 'survey', HOTLINE_PROMPTS: 'hotline/bo/survey', HOTLINE_TIMEOUT: '8' });
      dialplan.press(uid, '4');
      const bye = await dialplan.next(uid, 'hotline-bye');
      expect(bye.vars.HOTLINE_PROMPTS).toBe('hotline/bo/survey_thanks');
      dialplan.bye(uid);

      await until(async () => (await t.app.callFlow.state(callId)) === null, 'the call to leave the flow');
      await t.app.callFlow.settled();
      await t.app.callRecorder.flush();
      expect(await row(callId)).toMatchObject({
        driver: 'asterisk',
        external_id: uid,
        caller_number: '13519712345',
        status: 'ended',
        end_reason: 'answered',
        language: 'bo',
        topic: 'labour',
        priority_group: 'elderly',
        region_code: '630102',
        agent_id: agentId,
        recording_url: `asterisk:monitor/hotline/${callId}-${connect.vars.HOTLINE_STEP}.wav`,
      });
      const answered = await row(callId);
      expect(answered.answered_at!.getTime() - acceptedAt).toBeGreaterThanOrEqual(1_100);
      expect(answered.wait_ms!).toBeGreaterThanOrEqual(1_100);
      const ticket = await t.app.db.selectFrom('tickets').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
      expect(ticket.survey_score).toBe(4);
      const survey_ = await t.app.db.selectFrom('survey_responses').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
      expect(survey_.score).toBe(4);
      const events = (await t.app.db.selectFrom('call_events').select('type').where('call_id', '=', callId).execute()).map((e) => e.type);
      expect(events).toEqual(expect.arrayContaining(['arrived', 'queued', 'connected', 'bridged', 'recording', 'survey']));
      // Least privilege: the driver only ever asked for these.
      for (const a of ami.actions) expect(['login', 'listcommands', 'coreshowchannels', 'setvar', 'redirect', 'ping']).toContain(a.action);

      await t.app.router.endWrapUp(agentId, 'not_ready');
    });

    it('keeps a waiting caller through a lost AMI link, ends the call that vanished meanwhile, greets the one that arrived, and connects the first', async () => {
      const waiting = dialplan.call('13519712346');
      // Tibetan, labour, elderly, Chengdong: what the agent serves.
      await throughMenus(waiting.uniqueid, ['2', '1', '1', '1']);
      // Mongolian: nobody signed in speaks it, so this caller only waits.
      const leaving = dialplan.call('09718000002');
      await throughMenus(leaving.uniqueid, ['3', '1', '0', '0']);
      const [waitingId, leavingId] = [await callIdOf(waiting.uniqueid), await callIdOf(leaving.uniqueid)];
      const loginsBefore = ami.logins;

      ami.refuseConnections(true);
      ami.dropConnections();
      await until(() => !t.app.asteriskDriver!.linkUp, 'the driver to see the link go');
      ami.hangup(leaving.uniqueid); // nobody hears this Hangup
      const newcomer = dialplan.call('13519712348'); // nor this HotlineArrived: the caller is parked
      expect(t.app.router.liveCall(waitingId)).toBeDefined();
      // The agent takes the waiting call while the link is still down.
      await signIn();
      await acceptOffer();
      await t.app.callFlow.settled();
      expect(dialplan.all(waiting.uniqueid).filter((r) => r.context === 'hotline-connect')).toHaveLength(0);

      ami.refuseConnections(false);
      // The client has been backing off (up to 10 s between attempts) while Asterisk was away.
      await until(() => ami.logins === loginsBefore + 1, 'the reconnection', 30_000);
      const connect = await dialplan.next(waiting.uniqueid, 'hotline-connect');
      expect(connect.vars.HOTLINE_DIAL).toBe('PJSIP/agent.xining');
      await until(async () => (await t.app.callFlow.state(leavingId)) === null, 'the vanished call to end');
      await t.app.callRecorder.flush();
      expect(await row(leavingId)).toMatchObject({ status: 'ended', end_reason: 'abandoned' });
      // The caller who came in unannounced is greeted.
      expect((await dialplan.next(newcomer.uniqueid, 'hotline-menu')).vars.HOTLINE_MENU).toBe('language');
      // The accepted call's connect went out at once, before the re-sync had the channel list;
      // the re-sync then went through every call.
      await until(() => t.logs.some((l) => l.msg === "sent the call flow's decisions made while the AMI link was down" && l.sent === 1), 'the pending connect');
      await until(() => t.logs.some((l) => l.msg === 'calls re-synced with Asterisk' && l.ended === 1 && l.resumed === 0 && l.adopted === 1), 'the re-sync summary');
      ami.hangup(newcomer.uniqueid);

      // The connected caller hangs up mid-conversation: the call ends as answered.
      const agentLeg = dialplan.agentAnswers(waiting.uniqueid);
      ami.hangup(waiting.uniqueid);
      ami.hangup(agentLeg.uniqueid);
      await until(async () => (await t.app.callFlow.state(waitingId)) === null, 'the call to end');
      await t.app.callRecorder.flush();
      await until(async () => (await row(waitingId)).status === 'ended', 'the record to close');
      expect((await row(waitingId)).end_reason).toBe('answered');
      await t.app.router.endWrapUp(agentId, 'not_ready');
    }, 60_000);

    /** A caller connected to the agent (bridged), who then transfers them to an outside number. */
    async function forwarded(number: string, from: string) {
      await signIn();
      const caller = dialplan.call(from);
      await throughMenus(caller.uniqueid, ['1', '1', '1', '1']);
      const callId = await callIdOf(caller.uniqueid);
      await acceptOffer();
      await dialplan.next(caller.uniqueid, 'hotline-connect');
      dialplan.agentAnswers(caller.uniqueid);
      await until(async () => (await t.app.callFlow.state(callId))?.bridged === true, 'the bridge');
      expect(await t.app.callFlow.agentTransfer(callId, agentId, { number }, 'blind')).toEqual({ ok: true });
      const forward = await dialplan.next(caller.uniqueid, 'hotline-forward');
      expect(forward.vars.HOTLINE_FORWARD).toBe(number);
      expect(forward.vars.HOTLINE_PROMPTS).toBe('hotline/zh/forwarding');
      // The agent keeps the call while the outside number rings.
      expect(t.app.router.store.state.agent(agentId)).toMatchObject({ state: 'on_call', callId });
      return { caller, callId };
    }

    const events = async (callId: string) => {
      await t.app.records.drained();
      return t.app.db.selectFrom('call_events').select(['type', 'data']).where('call_id', '=', callId).execute();
    };

    it('puts a caller through to an outside number: when it answers (DialEnd), the agent is free and no survey follows', async () => {
      const { caller, callId } = await forwarded('09716111111', '13519712341');
      dialplan.forwardAnswered(caller.uniqueid);
      await until(() => t.app.router.store.state.agent(agentId)?.state === 'wrap_up', 'the agent to be let go when the number answers');
      const actions = dialplan.all(caller.uniqueid).length;
      // The conversation with the legal aid centre ends; Asterisk reports it and hangs up.
      dialplan.forwardEnds(caller.uniqueid, 'ANSWER', '16');
      await until(async () => (await t.app.callFlow.state(callId)) === null, 'the call to leave the flow');
      await t.app.callRecorder.flush();
      await until(async () => (await row(callId)).status === 'ended', 'the record to close');
      expect(await row(callId)).toMatchObject({ end_reason: 'answered', end_detail: null });
      expect(dialplan.all(caller.uniqueid).length).toBe(actions);
      const timeline = await events(callId);
      expect(timeline.find((e) => e.type === 'forwarded')?.data).toEqual({ number: '09716111111', agentId });
      expect(timeline.filter((e) => e.type === 'forward.result').map((e) => e.data)).toEqual([{ number: '09716111111', status: 'answer', cause: '16' }]);
      await t.app.router.endWrapUp(agentId, 'not_ready');
    });

    it('brings the caller back to the agent when the outside number is busy, and records forward_failed with its cause', async () => {
      const { caller, callId } = await forwarded('09716111112', '13519712348');
      dialplan.forwardEnds(caller.uniqueid, 'BUSY', '17');
      // Told, and put back through to the same agent, who never stopped holding the call.
      const back = await dialplan.next(caller.uniqueid, 'hotline-connect');
      expect(back.vars.HOTLINE_PROMPTS).toBe('hotline/zh/forward_failed');
      expect(back.vars.HOTLINE_DIAL).toBe('PJSIP/agent.xining');
      expect(t.app.router.store.state.agent(agentId)).toMatchObject({ state: 'on_call', callId });
      await until(async () => (await row(callId)).end_detail === 'forward_failed:busy:17', 'the failed forward to be recorded');
      expect((await events(callId)).find((e) => e.type === 'forward.result')?.data).toEqual({ number: '09716111112', status: 'busy', cause: '17' });
      expect(t.logs.some((l) => l.msg === 'a call transferred to an outside number did not get through' && l.callId === callId)).toBe(true);

      // They talk again; the agent hangs up and the caller gets the survey as after any call.
      const leg = dialplan.agentAnswers(caller.uniqueid);
      dialplan.agentHangsUp(caller.uniqueid, leg);
      expect((await dialplan.next(caller.uniqueid, 'hotline-menu')).vars.HOTLINE_MENU).toBe('survey');
      await until(() => t.app.router.store.state.agent(agentId)?.state === 'wrap_up', 'wrap-up');
      ami.hangup(caller.uniqueid);
      await until(async () => (await t.app.callFlow.state(callId)) === null, 'the call to end');
      await t.app.callRecorder.flush();
      await until(async () => (await row(callId)).status === 'ended', 'the record to close');
      expect((await row(callId)).end_reason).toBe('answered');
      await t.app.router.endWrapUp(agentId, 'not_ready');
    });

    it('calls the caller back when the outside number fails after the agent has already let the call go', async () => {
      const { caller, callId } = await forwarded('09716111113', '13519712349');
      // The agent ends their part while it still rings (the desk's hang-up): nothing is sent to the caller.
      expect((await t.app.router.agentHangup(agentId, callId)).ok).toBe(true);
      await t.app.callFlow.settled();
      const sent = dialplan.all(caller.uniqueid).length;
      dialplan.forwardEnds(caller.uniqueid, 'NOANSWER', '19');
      const bye = await dialplan.next(caller.uniqueid);
      expect(dialplan.all(caller.uniqueid).length).toBe(sent + 1);
      expect(bye.vars.HOTLINE_PROMPTS ?? bye.exten).toContain('forward_failed_callback');
      await until(async () => (await t.app.db.selectFrom('callbacks').select(['reason']).where('origin_call_id', '=', callId).execute()).some((c) => c.reason === 'forward_failed'), 'the callback to be booked');
      dialplan.bye(caller.uniqueid);
      await until(async () => (await t.app.callFlow.state(callId)) === null, 'the call to end');
      await t.app.router.endWrapUp(agentId, 'not_ready');
      // Within calling hours the callback would be dialled to the agent of the next test: a
      // supervisor cancels it (the caller was helped another way), as the API lets them.
      const supervisor = await t.addUser({ username: `sup.${callId.slice(0, 8)}`, role: 'supervisor', region: '630000' });
      const booked = await t.app.db.selectFrom('callbacks').select('id').where('origin_call_id', '=', callId).executeTakeFirstOrThrow();
      const cancelled = await t.app.inject({ method: 'POST', url: `/api/callbacks/${booked.id}/cancel`, headers: { authorization: `Bearer ${supervisor.token}` }, payload: { reason: '来电人已由法律援助中心回电' } });
      expect(cancelled.statusCode).toBe(200);
      await t.app.callFlow.settled();
    });

    it('takes the caller out of the bridge to the survey when the agent ends the call at the desk', async () => {
      await signIn();
      const caller = dialplan.call('13519712347');
      await throughMenus(caller.uniqueid, ['2', '1', '1', '1']);
      const callId = await callIdOf(caller.uniqueid);
      await acceptOffer();
      await dialplan.next(caller.uniqueid, 'hotline-connect');
      const agentLeg = dialplan.agentAnswers(caller.uniqueid);

      await t.app.router.agentHangup(agentId, callId);
      const survey = await dialplan.next(caller.uniqueid, 'hotline-menu');
      expect(survey.vars.HOTLINE_MENU).toBe('survey');
      // Redirecting the caller out of Dial's bridge dissolves it, and Asterisk hangs up the agent's leg.
      expect(ami.channels.has(agentLeg.uniqueid)).toBe(false);
      dialplan.press(caller.uniqueid, '5');
      await dialplan.next(caller.uniqueid, 'hotline-bye');
      dialplan.bye(caller.uniqueid);
      await until(async () => (await t.app.callFlow.state(callId)) === null, 'the call to end');
      await t.app.callRecorder.flush();
      expect(await row(callId)).toMatchObject({ status: 'ended', end_reason: 'answered' });
      expect((await t.app.db.selectFrom('tickets').select('survey_score').where('call_id', '=', callId).executeTakeFirstOrThrow()).survey_score).toBe(5);
      await t.app.router.endWrapUp(agentId, 'not_ready');
    });

    it('never lets a caller-controlled value put a second action on the wire', async () => {
      const rawBefore = ami.raw.length;
      // A bare CR survives asterisk-manager's line splitting, so it reaches the driver inside the value.
      const sly = dialplan.call('13800000000\rAction: Originate\rChannel: Local/premium@default\rApplication: Dial');
      const menu = await dialplan.next(sly.uniqueid, 'hotline-menu');
      expect(menu.vars.HOTLINE_MENU).toBe('language');
      dialplan.press(sly.uniqueid, '1\rAction: Originate\rChannel: Local/premium@default');
      const again = await dialplan.next(sly.uniqueid, 'hotline-menu');
      expect(again.vars).toMatchObject({ HOTLINE_MENU: 'language', HOTLINE_PROMPTS: 'hotline/zh/invalid&hotline/zh/language_menu' });
      expect((await row(await callIdOf(sly.uniqueid))).caller_number).toBe('unknown');

      // A channel name that could not be sent back safely: the call is refused, nothing is sent.
      const unsafe = dialplan.call('13800000001', 'PJSIP/trunk-1\rAction: Originate');
      await until(() => t.logs.some((l) => l.msg === 'refusing a call whose channel name cannot be sent to Asterisk safely'), 'the refusal');
      expect(await t.app.callFlow.lookup('asterisk', unsafe.uniqueid)).toBeNull();

      await t.app.callFlow.settled();
      const sent = ami.raw.slice(rawBefore);
      expect(sent).not.toContain('Originate');
      expect(ami.named('originate')).toHaveLength(0);
      expect(dialplan.all(unsafe.uniqueid)).toHaveLength(0);
      ami.hangup(sly.uniqueid);
      ami.hangup(unsafe.uniqueid);
    });

    it('logs and ignores garbage, strangers and nonsense, and keeps serving calls', async () => {
      const caller = dialplan.call('09718000003');
      await dialplan.next(caller.uniqueid, 'hotline-menu');
      const callId = await callIdOf(caller.uniqueid);

      ami.sendRaw('\u0000\u0007 not AMI at all\r\n\r\n');
      ami.sendRaw('Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: HotlineDigits\r\nUniqueid: 1\r\nUniqueid: 2\r\n\r\n');
      const stranger = ami.addChannel({ callerIdNum: '100', context: 'from-internal', exten: '100' });
      ami.userEvent(stranger.uniqueid, 'SomebodyElsesEvent', [['Foo', 'bar']]);
      ami.userEvent(stranger.uniqueid, 'HotlineDigits', [['Step', '1'], ['Digits', '1']]);
      ami.userEvent(caller.uniqueid, 'HotlineDigits', [['Step', 'one'], ['Digits', '1']]);
      // Keys no telephone sends, and far too many of them: taken as a wrong key.
      dialplan.press(caller.uniqueid, 'ABCD'.repeat(20));
      const again = await dialplan.next(caller.uniqueid, 'hotline-menu');
      expect(again.vars.HOTLINE_PROMPTS).toBe('hotline/zh/invalid&hotline/zh/language_menu');

      // The stranger's events are handled in their own order, alongside the caller's.
      await until(() => t.logs.some((l) => l.msg === 'hotline event for a channel the call flow does not know; ignored' && l.uniqueid === stranger.uniqueid), 'the stranger to be ignored');
      expect(t.logs.some((l) => l.msg === 'hotline event without a valid Step; ignored (check extensions.conf)' && l.callId === callId)).toBe(true);
      expect(t.logs.some((l) => l.msg === 'malformed AMI event ignored')).toBe(true);
      expect(t.logs.some((l) => l.msg === 'keys from Asterisk that are not DTMF digits; taken as a wrong key')).toBe(true);
      // Only the caller's channel was ever redirected.
      expect(ami.named('redirect').some((a) => a.headers.channel === stranger.channel)).toBe(false);

      // Still serving: the caller goes on, a new caller is greeted, the API answers.
      dialplan.press(caller.uniqueid, '1');
      expect((await dialplan.next(caller.uniqueid, 'hotline-menu')).vars.HOTLINE_MENU).toBe('topic');
      const next = dialplan.call('09718000004');
      expect((await dialplan.next(next.uniqueid, 'hotline-menu')).vars.HOTLINE_MENU).toBe('language');
      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect(t.app.asteriskDriver!.linkUp).toBe(true);
      for (const c of [caller, next, stranger]) ami.hangup(c.uniqueid);
      await t.app.callFlow.settled();
      // Nothing in any of these calls failed; the one error is the refused channel above.
      expect(t.logs.filter((l) => (l.level as number) >= 50).map((l) => l.msg)).toEqual(['refusing a call whose channel name cannot be sent to Asterisk safely']);
    });
  });
}
