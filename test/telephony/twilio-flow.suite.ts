import type { Config } from '../../src/config/config';
import { startTestApp, type TestApp } from '../support/app';
import {
  ACCOUNT_SID,
  AUDIO_BASE_URL,
  AUTH_TOKEN,
  PUBLIC_BASE_URL,
  child,
  parseTwiml,
  sid,
  signedWebhook,
  startFakeTwilio,
  twilioConfig,
  verbs,
  type FakeTwilio,
  type XmlNode,
} from '../support/fake-twilio';
import { eventually } from '../support/tcp-proxy';

/**
 * A Twilio call through the whole call flow, at the protocol boundary: signed webhooks in,
 * TwiML out (parsed as XML), the router's decisions delivered to a local fake of Twilio's REST
 * API, and what is left in the database. Run on the in-process stores in twilio-flow.test.ts
 * and on Redis in twilio-flow.redis.test.ts.
 */
export function twilioFlowSuite(name: string, overrides: () => Partial<Config>) {
  describe(name, () => {
    let t: TestApp;
    let fake: FakeTwilio;
    let agentId: string;

    beforeAll(async () => {
      fake = await startFakeTwilio();
      t = await startTestApp({ ...twilioConfig(fake.url), ...overrides() });
      agentId = (await t.addUser({ username: 'agent.xining', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } })).id;
    });
    afterAll(async () => {
      await t.close();
      await fake.close();
    });

    const post = (pathAndQuery: string, params: Record<string, string>) => t.app.inject(signedWebhook(pathAndQuery, params));
    const twiml = async (pathAndQuery: string, params: Record<string, string>) => {
      const res = await post(pathAndQuery, params);
      expect({ status: res.statusCode, body: res.statusCode === 200 ? '' : res.body }).toEqual({ status: 200, body: '' });
      expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
      return { xml: res.body, doc: parseTwiml(res.body) };
    };
    const until = async (probe: () => Promise<boolean> | boolean, what: string) => {
      if (!(await eventually(async () => probe(), 5_000, 10))) throw new Error(`timed out waiting for ${what}`);
    };
    /** The webhook path (and query) a TwiML URL points at, checking it is under PUBLIC_BASE_URL. */
    const pathOf = (url: string) => {
      expect(url.startsWith(`${PUBLIC_BASE_URL}/telephony/twilio/`)).toBe(true);
      return url.slice(PUBLIC_BASE_URL.length);
    };
    const says = (node: XmlNode) => node.children.filter((c) => c.name === 'Say').map((c) => c.text).join(' ');
    /** A menu: <Gather> with the prompts inside (the welcome, if any, before it), then a <Redirect> to the same URL for the timeout. */
    const expectMenu = (doc: XmlNode) => {
      expect(verbs(doc).filter((v) => v !== 'Say' && v !== 'Play')).toEqual(['Gather', 'Redirect']);
      const gather = child(doc, 'Gather');
      expect(gather.attrs).toMatchObject({ input: 'dtmf', numDigits: '1', method: 'POST' });
      expect(child(doc, 'Redirect').text).toBe(gather.attrs.action);
      return { gather, next: pathOf(gather.attrs.action!) };
    };

    async function signIn() {
      await t.app.router.login({ id: agentId, regionCode: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
      await t.app.router.setReady(agentId);
    }

    it('walks greeting → menus → hold → agent (REST) → survey → hang-up, leaving a call row, a ticket and the score', async () => {
      await signIn();
      const CallSid = sid('CA');
      const caller = { CallSid, AccountSid: ACCOUNT_SID, From: '+8613519712345', To: '+8697112348', CallStatus: 'ringing', Direction: 'inbound', ApiVersion: '2010-04-01' };

      // Incoming call: the language menu, in Mandarin speech (zh → zh-CN).
      const voice = await twiml('/telephony/twilio/voice', caller);
      let menu = expectMenu(voice.doc);
      expect(child(menu.gather, 'Say').attrs.language).toBe('zh-CN');
      // The welcome and its recording notice come first, whole: outside the <Gather>, so no key cuts them off.
      expect(says(menu.gather)).not.toContain('欢迎致电12348');
      expect(verbs(voice.doc)[0]).toBe('Say');
      expect(says(voice.doc)).toContain('欢迎致电12348');
      expect(says(voice.doc)).toContain('通话将被录音');
      expect(says(menu.gather)).toContain('普通话请按1');
      const callId = /call=([0-9a-f-]{36})/.exec(menu.next)![1]!;
      expect(menu.next).toBe(`/telephony/twilio/gather?call=${callId}&step=1`);

      // Mandarin (1) → topic menu; labour (1) → priority group menu; elderly (1) → county menu.
      const common = { ...caller, CallStatus: 'in-progress' };
      menu = expectMenu((await twiml(menu.next, { ...common, Digits: '1' })).doc);
      expect(menu.next).toBe(`/telephony/twilio/gather?call=${callId}&step=2`);
      menu = expectMenu((await twiml(menu.next, { ...common, Digits: '1' })).doc);
      expect(says(menu.gather)).toContain('老年人请按1');
      menu = expectMenu((await twiml(menu.next, { ...common, Digits: '1' })).doc);
      expect(says(menu.gather)).toContain('其他地区请按0');

      // Chengdong district (1) → queued: announcements and music, then back to the hold loop.
      const hold = (await twiml(menu.next, { ...common, Digits: '1' })).doc;
      expect(verbs(hold).at(-1)).toBe('Redirect');
      const holdUrl = pathOf(child(hold, 'Redirect').text);
      expect(holdUrl).toMatch(new RegExp(`^/telephony/twilio/hold\\?call=${callId}&step=\\d+$`));
      const holding = verbs(hold)[0] === 'Gather' ? child(hold, 'Gather') : hold;
      expect(says(holding)).toContain('正在为您转接法律咨询员');
      expect(child(holding, 'Play').text).toBe(`${AUDIO_BASE_URL}/moh/default.mp3`);
      expect(t.app.router.liveCall(callId)).toMatchObject({ language: 'zh', topic: 'labour', regionCode: '630102' });

      // The agent accepts: the connect reaches the caller by a REST update of the live call.
      await until(() => t.app.router.store.state.agent(agentId)?.state === 'reserved', 'the offer');
      expect((await t.app.router.accept(agentId, t.app.router.store.state.agent(agentId)!.offerId!)).ok).toBe(true);
      await until(() => fake.updates().some((u) => u.callSid === CallSid), 'the REST update');
      const update = fake.updates().find((u) => u.callSid === CallSid)!;
      expect(update.method).toBe('POST');
      expect(update.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${CallSid}.json`);
      expect(update.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
      const connect = parseTwiml(update.params.Twiml!);
      // Straight to the agent: nothing is said between the hold and the adviser. The caller waits
      // in the call's own conference, with the hold music, until the agent's softphone starts it.
      expect(verbs(connect)).toEqual(['Dial']);
      const dial = child(connect, 'Dial');
      expect(dial.attrs).toEqual({ action: `${PUBLIC_BASE_URL}/telephony/twilio/dial?call=${callId}&step=${/step=(\d+)/.exec(dial.attrs.action!)![1]}`, method: 'POST' });
      const room = child(dial, 'Conference');
      expect(room.text).toBe(`hotline-${callId}`);
      expect(room.attrs).toEqual({
        beep: 'false',
        startConferenceOnEnter: 'false',
        endConferenceOnExit: 'true',
        waitUrl: `${AUDIO_BASE_URL}/moh/default.mp3`,
        waitMethod: 'GET',
        record: 'record-from-start',
        recordingStatusCallback: `${PUBLIC_BASE_URL}/telephony/twilio/recording?call=${callId}`,
        recordingStatusCallbackMethod: 'POST',
        recordingStatusCallbackEvent: 'completed absent',
      });
      const dialUrl = pathOf(dial.attrs.action!);
      expect(dialUrl).toMatch(new RegExp(`^/telephony/twilio/dial\\?call=${callId}&step=\\d+$`));
      // Only one update: the webhook answers never dial the agent themselves.
      expect(fake.updates().filter((u) => u.callSid === CallSid)).toHaveLength(1);

      // Then the agent's softphone is rung into that conference (Participants API), once.
      const ring = await agentRung(callId);
      expect(ring).toMatchObject({ method: 'POST', path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Conferences/hotline-${callId}/Participants.json` });
      expect(ring.params).toEqual({
        From: 'client:hotline',
        To: 'client:agent.xining',
        Label: 'agent',
        Beep: 'false',
        StartConferenceOnEnter: 'true',
        EndConferenceOnExit: 'true',
        Timeout: '20',
        StatusCallback: `${PUBLIC_BASE_URL}/telephony/twilio/participant?call=${callId}&role=agent`,
        StatusCallbackMethod: 'POST',
        StatusCallbackEvent: 'completed',
      });
      expect(ring.lists.StatusCallbackEvent).toEqual(['answered', 'completed']);
      const conference = fake.conference(`hotline-${callId}`)!;
      const agentLeg = [...conference.participants.values()].find((p) => p.label === 'agent')!.callSid;
      expect([...conference.participants.keys()]).toEqual([CallSid, agentLeg]);

      // The agent's softphone answers (its participant status callback, repeated): bridged once.
      for (let i = 0; i < 2; i++) {
        const res = await post(`/telephony/twilio/participant?call=${callId}&role=agent`, { CallSid: agentLeg, AccountSid: ACCOUNT_SID, CallStatus: 'in-progress', SequenceNumber: '1' });
        expect(res.statusCode).toBe(204);
      }

      // The agent hangs up the softphone: they end the conference, so the caller's <Dial> ends
      // completed → the survey. Their participant callback says so too, and changes nothing.
      fake.hangUp(agentLeg);
      expect(conference.status).toBe('completed');
      expect((await post(`/telephony/twilio/participant?call=${callId}&role=agent`, { CallSid: agentLeg, AccountSid: ACCOUNT_SID, CallStatus: 'completed' })).statusCode).toBe(204);
      const survey = expectMenu((await twiml(dialUrl, { ...common, DialCallStatus: 'completed', ConferenceSid: conference.sid })).doc);
      expect(says(survey.gather)).toContain('请对本次服务进行评价');
      expect(t.app.router.store.state.agent(agentId)?.state).toBe('wrap_up');
      expect(fake.updates().filter((u) => u.callSid === CallSid)).toHaveLength(1);

      // Score 4 → thanks and <Hangup/>.
      const bye = (await twiml(survey.next, { ...common, Digits: '4' })).doc;
      expect(verbs(bye)).toEqual(['Say', 'Hangup']);
      expect(says(bye)).toContain('感谢您的评价');

      // The recording arrives (Twilio usually sends it after the call), then the call's end.
      const recordingUrl = `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${sid('RE')}`;
      // A conference's recording names the conference, not the caller's call.
      const recording = { ConferenceSid: conference.sid, AccountSid: ACCOUNT_SID, RecordingSid: sid('RE'), RecordingUrl: recordingUrl, RecordingStatus: 'completed', RecordingDuration: '95', RecordingChannels: '1', RecordingSource: 'DialConference' };
      expect((await post(pathOf(room.attrs.recordingStatusCallback!), recording)).statusCode).toBe(204);
      const ended = { ...common, CallStatus: 'completed', CallDuration: '180', SequenceNumber: '0', CallbackSource: 'call-progress-events', Timestamp: new Date().toUTCString() };
      expect((await post('/telephony/twilio/status', ended)).statusCode).toBe(204);
      expect(await t.app.callFlow.state(callId)).toBeNull();

      await t.app.callFlow.settled();
      await t.app.callRecorder.flush();
      const row = await t.app.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ driver: 'twilio', external_id: CallSid, status: 'ended', end_reason: 'answered', language: 'zh', topic: 'labour', priority_group: 'elderly', region_code: '630102', region_source: 'ivr', agent_id: agentId, recording_url: recordingUrl });
      const ticket = await t.app.db.selectFrom('tickets').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
      expect(ticket).toMatchObject({ survey_score: 4, agent_id: agentId, topic: 'labour', caller_number: '+8613519712345' });
      const events = (await t.app.db.selectFrom('call_events').select('type').where('call_id', '=', callId).orderBy('id').execute()).map((e) => e.type);
      expect(events).toEqual(expect.arrayContaining(['arrived', 'queued', 'offered', 'connected', 'bridged', 'recording', 'ended', 'survey']));
      // The softphone's answered callback came twice; the bridge is recorded once.
      expect(events.filter((e) => e === 'bridged')).toHaveLength(1);
      // Our own <Hangup/> ended the call: not recorded as the caller hanging up.
      expect(events).not.toContain('caller.hangup');

      await t.app.router.endWrapUp(agentId, 'not_ready');
    });

    /** The agent's softphone rung into the caller's conference: the participants.create request (the latest). */
    async function agentRung(callId: string) {
      const rings = () => fake.participantRequests().filter((r) => r.conference === `hotline-${callId}` && r.participant === null && r.params.Label === 'agent');
      await until(() => rings().length > 0, "the agent's softphone rung into the conference");
      return rings().at(-1)!;
    }

    /** The agent's softphone (the latest rung into the call's conference) answers: its participant status callback. */
    async function agentAnswers(callId: string) {
      await agentRung(callId);
      await until(() => [...(fake.conference(`hotline-${callId}`)?.participants.values() ?? [])].some((p) => p.label === 'agent'), 'the agent in the conference');
      const agentLeg = [...fake.conference(`hotline-${callId}`)!.participants.values()].find((p) => p.label === 'agent')!.callSid;
      const res = await post(`/telephony/twilio/participant?call=${callId}&role=agent`, { CallSid: agentLeg, AccountSid: ACCOUNT_SID, CallStatus: 'in-progress' });
      expect(res.statusCode).toBe(204);
      return agentLeg;
    }

    /** A caller through the menus, accepted by the agent and bridged; returns what the next steps need. */
    async function connected(from: string) {
      await signIn();
      const CallSid = sid('CA');
      const common = { CallSid, AccountSid: ACCOUNT_SID, From: from, CallStatus: 'in-progress' };
      let menu = expectMenu((await twiml('/telephony/twilio/voice', { ...common, CallStatus: 'ringing' })).doc);
      const callId = /call=([0-9a-f-]{36})/.exec(menu.next)![1]!;
      for (const key of ['1', '1', '1']) menu = expectMenu((await twiml(menu.next, { ...common, Digits: key })).doc);
      await twiml(menu.next, { ...common, Digits: '1' });
      await until(() => t.app.router.store.state.agent(agentId)?.state === 'reserved', 'the offer');
      expect((await t.app.router.accept(agentId, t.app.router.store.state.agent(agentId)!.offerId!)).ok).toBe(true);
      await until(() => fake.updates().some((u) => u.callSid === CallSid), 'the connect');
      await agentAnswers(callId);
      await until(async () => (await t.app.callFlow.state(callId))?.bridged === true, 'the bridge');
      return { CallSid, callId, common };
    }

    /** The agent transfers to an outside number: the REST update carrying the <Dial><Number>. */
    async function forwardTo(c: { CallSid: string; callId: string }, number: string) {
      const before = fake.updates().filter((u) => u.callSid === c.CallSid).length;
      expect(await t.app.callFlow.agentTransfer(c.callId, agentId, { number }, 'blind')).toEqual({ ok: true });
      await until(() => fake.updates().filter((u) => u.callSid === c.CallSid).length > before, 'the forward');
      const doc = parseTwiml(fake.updates().filter((u) => u.callSid === c.CallSid).at(-1)!.params.Twiml!);
      expect(says(doc)).toContain('正在为您转接相关单位');
      const dial = child(doc, 'Dial');
      expect(child(dial, 'Number').text).toBe(number);
      expect(t.app.router.store.state.agent(agentId)).toMatchObject({ state: 'on_call', callId: c.callId });
      return { action: pathOf(dial.attrs.action!), answered: pathOf(child(dial, 'Number').attrs.statusCallback!) };
    }

    it('forwards to an outside number: its answer frees the agent; a busy line brings the caller back to the agent by REST', async () => {
      // Answered: the <Number> leg's status callback says so as it happens.
      const first = await connected('+8613519712340');
      const one = await forwardTo(first, '09716111111');
      expect((await post(one.answered, { CallSid: sid('CA'), ParentCallSid: first.CallSid, AccountSid: ACCOUNT_SID, CallStatus: 'in-progress' })).statusCode).toBe(204);
      await until(() => t.app.router.store.state.agent(agentId)?.state === 'wrap_up', 'the agent to be let go');
      // The conversation with the centre ends: <Dial> completed → hang up, no survey.
      expect(verbs((await twiml(one.action, { ...first.common, DialCallStatus: 'completed' })).doc)).toEqual(['Hangup']);
      await t.app.records.drained();
      const events = await t.app.db.selectFrom('call_events').select(['type', 'data']).where('call_id', '=', first.callId).execute();
      expect(events.filter((e) => e.type === 'forward.result').map((e) => e.data)).toEqual([{ number: '09716111111', status: 'answer', cause: '16' }]);
      expect((await post('/telephony/twilio/status', { ...first.common, CallStatus: 'completed' })).statusCode).toBe(204);
      await t.app.router.endWrapUp(agentId, 'ready');

      // Busy: the <Dial>'s action says so; the caller hears music while the REST update puts them back through.
      const second = await connected('+8613519712341');
      const two = await forwardTo(second, '09716111112');
      const before = fake.updates().filter((u) => u.callSid === second.CallSid).length;
      const waiting = (await twiml(two.action, { ...second.common, DialCallStatus: 'busy' })).doc;
      expect(verbs(waiting)).toEqual(['Play', 'Redirect']);
      await until(() => fake.updates().filter((u) => u.callSid === second.CallSid).length > before, 'the connect back to the agent');
      const back = parseTwiml(fake.updates().filter((u) => u.callSid === second.CallSid).at(-1)!.params.Twiml!);
      expect(says(back)).toContain('对方电话未能接通');
      // Back in a conference of its own (the forward ended the first), the agent's softphone rung again.
      expect(child(child(back, 'Dial'), 'Conference').text).toBe(`hotline-${second.callId}`);
      await until(() => fake.participantRequests().filter((r) => r.conference === `hotline-${second.callId}` && r.params.Label === 'agent').length === 2, 'the agent rung again');
      expect(t.app.router.store.state.agent(agentId)).toMatchObject({ state: 'on_call', callId: second.callId });
      await until(async () => (await t.app.db.selectFrom('calls').select('end_detail').where('id', '=', second.callId).executeTakeFirstOrThrow()).end_detail === 'forward_failed:busy:17', 'forward_failed on the record');
      expect((await post('/telephony/twilio/status', { ...second.common, CallStatus: 'completed' })).statusCode).toBe(204);
      await until(() => t.app.router.store.state.agent(agentId)?.state === 'wrap_up', 'the end of the call');
      await t.app.router.endWrapUp(agentId, 'not_ready');
    });

    it("plays the province's recordings for a language Twilio cannot speak (Tibetan)", async () => {
      const CallSid = sid('CA');
      const base = { CallSid, AccountSid: ACCOUNT_SID, From: '+869718000000', CallStatus: 'in-progress' };
      const first = expectMenu((await twiml('/telephony/twilio/voice', base)).doc);
      // Tibetan (2): its prompts are the province's recordings, played from the audio base.
      const topic = expectMenu((await twiml(first.next, { ...base, Digits: '2' })).doc);
      expect(verbs(topic.gather)).toEqual(['Play']);
      expect(child(topic.gather, 'Play').text).toBe(`${AUDIO_BASE_URL}/hotline/bo/topic_menu.mp3`);
      expect((await post('/telephony/twilio/status', { ...base, CallStatus: 'canceled' })).statusCode).toBe(204);
    });

    it('hears the caller hang up while on hold: the call leaves the queue at once, recorded as abandoned', async () => {
      const CallSid = sid('CA');
      const base = { CallSid, AccountSid: ACCOUNT_SID, From: '+869718000001', CallStatus: 'in-progress' };
      let menu = expectMenu((await twiml('/telephony/twilio/voice', base)).doc);
      const callId = /call=([0-9a-f-]{36})/.exec(menu.next)![1]!;
      for (const key of ['1', '0', '0']) menu = expectMenu((await twiml(menu.next, { ...base, Digits: key })).doc);
      // The county menu times out (the fallback <Redirect> carries no Digits): played again, then its default.
      menu = expectMenu((await twiml(menu.next, base)).doc);
      expect(says(menu.gather)).toContain('输入有误');
      const hold = (await twiml(menu.next, base)).doc;
      const again = (await twiml(menu.next, base)).doc;
      expect(again).toEqual(hold);
      expect(t.app.router.liveCall(callId)?.status).toBe('waiting');

      // A hold tick (the loop's <Redirect>) re-announces; then the caller hangs up.
      const tick = (await twiml(pathOf(child(hold, 'Redirect').text), base)).doc;
      expect(verbs(tick).at(-1)).toBe('Redirect');
      expect((await post('/telephony/twilio/status', { ...base, CallStatus: 'completed', SequenceNumber: '0' })).statusCode).toBe(204);
      expect(t.app.router.liveCall(callId)).toBeUndefined();
      await t.app.callRecorder.flush();
      const row = await t.app.db.selectFrom('calls').select(['status', 'end_reason']).where('id', '=', callId).executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'ended', end_reason: 'abandoned' });
      const events = (await t.app.db.selectFrom('call_events').select('type').where('call_id', '=', callId).execute()).map((e) => e.type);
      expect(events).toContain('caller.hangup');

      // The same number calls again the same day: a repeat caller goes ahead of a first call.
      const repeat = { ...base, CallSid: sid('CA') };
      let secondMenu = expectMenu((await twiml('/telephony/twilio/voice', repeat)).doc);
      const secondId = /call=([0-9a-f-]{36})/.exec(secondMenu.next)![1]!;
      for (const key of ['1', '0', '0']) secondMenu = expectMenu((await twiml(secondMenu.next, { ...repeat, Digits: key })).doc);
      await twiml(secondMenu.next, { ...repeat, Digits: '0' });
      expect(t.app.router.liveCall(secondId)).toMatchObject({ status: 'waiting', priority: 1 });
      expect((await post('/telephony/twilio/status', { ...repeat, CallStatus: 'completed' })).statusCode).toBe(204);
    });

    it('puts the call back in its place when the connect cannot be delivered, and when the softphone does not answer', async () => {
      await signIn();
      const CallSid = sid('CA');
      const base = { CallSid, AccountSid: ACCOUNT_SID, From: '+8613519712399', CallStatus: 'in-progress' };
      let menu = expectMenu((await twiml('/telephony/twilio/voice', base)).doc);
      const callId = /call=([0-9a-f-]{36})/.exec(menu.next)![1]!;
      for (const key of ['1', '1', '0']) menu = expectMenu((await twiml(menu.next, { ...base, Digits: key })).doc);
      await twiml(menu.next, { ...base, Digits: '1' });

      // Twilio's API fails the update: the flow hears the bridge failed, the caller stays on hold.
      fake.failNext(500, 20500, 'Internal Server Error');
      await until(() => t.app.router.store.state.agent(agentId)?.state === 'reserved', 'the offer');
      expect((await t.app.router.accept(agentId, t.app.router.store.state.agent(agentId)!.offerId!)).ok).toBe(true);
      await until(() => t.app.router.liveCall(callId)?.status === 'waiting', 'the call back in the queue');
      await t.app.callFlow.settled();
      expect(t.app.router.store.state.agent(agentId)).toMatchObject({ state: 'not_ready', reason: 'missed' });
      const state = await t.app.callFlow.state(callId);
      expect(state?.phase).toBe('queued');

      // Next offer: delivered this time, but the softphone rings out → back on hold (TwiML).
      await t.app.router.setReady(agentId);
      await until(() => t.app.router.store.state.agent(agentId)?.state === 'reserved', 'the second offer');
      const before = fake.updates().length;
      expect((await t.app.router.accept(agentId, t.app.router.store.state.agent(agentId)!.offerId!)).ok).toBe(true);
      await until(() => fake.updates().length > before, 'the REST update');
      expect(child(child(parseTwiml(fake.updates().at(-1)!.params.Twiml!), 'Dial'), 'Conference').text).toBe(`hotline-${callId}`);
      await agentRung(callId);
      const agentLeg = [...fake.conference(`hotline-${callId}`)!.participants.values()].find((p) => p.label === 'agent')!.callSid;
      // The softphone rings out: its participant callback says so, and only REST takes the caller
      // out of the conference, back to the hold loop. Said twice, it is done once.
      for (let i = 0; i < 2; i++) {
        expect((await post(`/telephony/twilio/participant?call=${callId}&role=agent`, { CallSid: agentLeg, AccountSid: ACCOUNT_SID, CallStatus: 'no-answer' })).statusCode).toBe(204);
      }
      await until(() => fake.updates().length === before + 2, 'the caller back on hold by REST');
      const back = parseTwiml(fake.updates().at(-1)!.params.Twiml!);
      expect(fake.updates().at(-1)!.callSid).toBe(CallSid);
      expect(verbs(back).at(-1)).toBe('Redirect');
      expect(child(back, 'Redirect').text).toContain('/telephony/twilio/hold?');
      expect(fake.conference(`hotline-${callId}`)!.participants.has(CallSid)).toBe(false);
      expect(t.app.router.liveCall(callId)?.status).toBe('waiting');
      await t.app.callFlow.settled();
      const events = (await t.app.db.selectFrom('call_events').select('type').where('call_id', '=', callId).execute()).map((e) => e.type);
      expect(events.filter((e) => e === 'bridge.failed')).toHaveLength(2);

      expect((await post('/telephony/twilio/status', { ...base, CallStatus: 'completed' })).statusCode).toBe(204);
      expect(t.app.router.liveCall(callId)).toBeUndefined();
    });
  });
}
