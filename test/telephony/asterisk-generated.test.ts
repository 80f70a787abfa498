import fs from 'node:fs/promises';
import path from 'node:path';
import { readProvinceFile } from '../../src/province/bundled';
import { generateDialplan } from '../../src/telephony/asterisk/dialplan-generator';
import { DEFAULT_IVR } from '../../src/telephony/ivr';
import { startTestApp, type TestApp } from '../support/app';
import { FakeAmi } from '../support/fake-ami';
import { FakeDialplan } from '../support/fake-dialplan';
import { closeToday, reopen } from '../support/service-hours';
import { asteriskConfig, until } from './asterisk-flow.suite';

/**
 * The dialplan generated from the province's settings (deploy/asterisk/extensions.conf, made by
 * `npm run asterisk:dialplan`): the menus run inside Asterisk, the answers come in one event,
 * and each later decision is one Redirect. Against the fake AMI server with manager.conf's own
 * event filters, a call's AMI actions and events are counted.
 */
const DEPLOY = path.join(__dirname, '..', '..', 'deploy', 'asterisk');

async function shippedFingerprint(): Promise<string> {
  const text = await fs.readFile(path.join(DEPLOY, 'extensions.conf'), 'utf8');
  return /^HOTLINE_IVR=(\w+)$/m.exec(text)![1]!;
}

async function managerEventFilters(): Promise<RegExp[]> {
  const text = await fs.readFile(path.join(DEPLOY, 'manager.conf'), 'utf8');
  return [...text.matchAll(/^eventfilter\s*=\s*(.+)$/gm)].map((m) => new RegExp(m[1]!.trim()));
}

describe('deploy/asterisk/extensions.conf', () => {
  it("is what npm run asterisk:dialplan makes from Qinghai's province file and the default IVR settings", async () => {
    const province = await readProvinceFile(path.join(__dirname, '..', '..', 'provinces', '630000-qinghai.json'));
    const made = generateDialplan({ languages: province.province.languages, ivr: DEFAULT_IVR, agentDial: 'PJSIP/{agent}' });
    expect(await fs.readFile(path.join(DEPLOY, 'extensions.conf'), 'utf8')).toBe(made);
  });

  it('never takes a prompt that could not be played for a caller who pressed nothing: Mandarin, then the generated voice', async () => {
    const text = await fs.readFile(path.join(DEPLOY, 'extensions.conf'), 'utf8');
    const read = text.slice(text.indexOf('[hotline-read]'), text.indexOf('[hotline-items]'));
    expect(read).toMatch(/Read\(HL_K,hotline\/\$\{ARG1\}\/\$\{ARG2\}/);
    expect(read).toMatch(/READSTATUS\}" != "ERROR"/);
    expect(read).toMatch(/Read\(HL_K,hotline\/zh\/\$\{ARG2\}/);
    expect(read).toMatch(/Read\(HL_K,hotline\/tts\/zh\/\$\{ARG2\}/);
    expect(read).toMatch(/UserEvent\(HotlinePromptMissing,Prompt: \$\{ARG2\},PromptLanguage: \$\{ARG1\}\)/);
    // Every menu of the generated IVR reads through it.
    const ivr = text.slice(text.indexOf('[hotline-ivr]'), text.indexOf('[hotline-park]'));
    expect(ivr.match(/Gosub\(hotline-read,/g)).toHaveLength(3);
    expect(ivr).not.toMatch(/\bRead\(/);
  });
});

describe('calls through the generated dialplan', () => {
  let t: TestApp;
  let ami: FakeAmi;
  let dialplan: FakeDialplan;
  let agentId: string;
  let fingerprint: string;

  beforeAll(async () => {
    fingerprint = await shippedFingerprint();
    ami = await new FakeAmi(undefined, undefined, { eventFilters: await managerEventFilters() }).start();
    dialplan = new FakeDialplan(ami);
    t = await startTestApp({ telephony: ['asterisk'], asterisk: { ...asteriskConfig(ami.port, ami), hoursCheckMs: 50 } });
    agentId = (await t.addUser({ username: 'agent.xining', role: 'agent', region: '630100', languages: { zh: 5, bo: 4 }, topics: { labour: 5 } })).id;
    await until(() => ami.loggedIn === 1 && ami.named('coreshowchannels').length === 1 && t.app.asteriskDriver!.linkUp, 'the AMI login');
  }, 90_000);
  afterAll(async () => {
    await t?.close();
    await ami?.stop();
  });

  const callIdOf = async (uniqueid: string) => (await t.app.callFlow.lookup('asterisk', uniqueid))!;
  const row = async (callId: string) => t.app.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
  const actionsOn = (channel: string) => ami.actions.filter((a) => a.headers.channel === channel);

  it('costs three AMI actions and a dozen events from the greeting to the survey', async () => {
    await t.app.router.login({ id: agentId, regionCode: '630100', languages: { zh: 5, bo: 4 }, topics: { labour: 5 } });
    await t.app.router.setReady(agentId);
    const caller = dialplan.callGenerated('13519712345', fingerprint);
    const uid = caller.uniqueid;
    const callId = await (async () => {
      await until(async () => (await t.app.callFlow.lookup('asterisk', uid)) !== null, 'the call to be taken in');
      return callIdOf(uid);
    })();
    // The caller is hearing the welcome and the language menu from the dialplan: nothing is sent.
    await new Promise((r) => setTimeout(r, 200));
    expect(actionsOn(caller.channel)).toEqual([]);

    // Tibetan, labour, elderly: one event. A Xining mobile number leaves the district to ask.
    dialplan.menus(uid, fingerprint, { language: '2', topic: '1', priority: '1' });
    const region = await dialplan.next(uid, 'hotline-ask');
    // The region menu is read from Xining's own recording, which names its districts.
    expect(region.exten).toMatch(/^M\d+\*6\*region\*zh\.region_menu_630100$/);
    dialplan.press(uid, '1');
    const hold = await dialplan.next(uid, 'hotline-wait');
    expect(hold.exten).toMatch(/^H\d+\*45\*[01]\*bo\.queued(\*|$)/);
    expect(t.app.router.liveCall(callId)).toMatchObject({ language: 'bo', topic: 'labour', regionCode: '630102' });

    await until(() => t.app.router.store.state.agent(agentId)?.state === 'reserved', 'the offer');
    expect((await t.app.router.accept(agentId, t.app.router.store.state.agent(agentId)!.offerId!)).ok).toBe(true);
    const connect = await dialplan.next(uid, 'hotline-agent');
    const step = /^C(\d+)\*/.exec(connect.exten)![1];
    // Straight to the agent: the caller heard of the recording in the welcome.
    expect(connect.exten).toBe(`C${step}*agent.xining`);

    const agentLeg = dialplan.agentAnswers(uid);
    await until(async () => (await row(callId)).recording_url !== null, 'the recording to be noted');
    expect((await row(callId)).recording_url).toBe(`asterisk:monitor/hotline/${uid}-${step}.wav`);
    dialplan.agentHangsUpGenerated(uid, agentLeg);
    // The survey runs in the dialplan: the agent's hang-up sends nothing.
    await until(async () => (await t.app.callFlow.state(callId))?.phase === 'survey', 'the survey');
    dialplan.surveyGenerated(uid, '4');
    await until(async () => (await t.app.callFlow.state(callId)) === null, 'the call to leave the flow');
    await t.app.callFlow.settled();
    await t.app.callRecorder.flush();

    expect(await row(callId)).toMatchObject({ status: 'ended', end_reason: 'answered', language: 'bo', topic: 'labour', priority_group: 'elderly', region_code: '630102', agent_id: agentId });
    const ticket = await t.app.db.selectFrom('tickets').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
    expect(ticket.survey_score).toBe(4);

    const sent = actionsOn(caller.channel).map((a) => a.action);
    expect(sent).toEqual(['redirect', 'redirect', 'redirect']);
    const events = ami.sentEvents.filter((e) => e.uniqueid === uid || e.uniqueid === agentLeg.uniqueid);
    // Arrived, menus, region digits, two BridgeEnter, DialEnd, dial result, survey, two Hangup.
    expect(events.length).toBeLessThanOrEqual(12);
    expect(new Set(events.map((e) => e.name))).toEqual(new Set(['UserEvent', 'BridgeEnter', 'DialEnd', 'Hangup']));
    await t.app.router.endWrapUp(agentId, 'not_ready');
  });

  const acceptedDuringHold = (takesMs: number) => async () => {
    await t.app.router.login({ id: agentId, regionCode: '630100', languages: { zh: 5, bo: 4 }, topics: { labour: 5 } });
    await t.app.router.setReady(agentId);
    // A busy Asterisk: each Redirect takes a while to be carried out, and one sent meanwhile is
    // refused as "channel not up" — as Asterisk does while the previous one is pending.
    ami.redirectTakes(takesMs);
    try {
      const caller = dialplan.callGenerated('13519712345', fingerprint);
      const uid = caller.uniqueid;
      await until(async () => (await t.app.callFlow.lookup('asterisk', uid)) !== null, 'the call to be taken in');
      const callId = await callIdOf(uid);
      dialplan.menus(uid, fingerprint, { language: '1', topic: '1', priority: '0' });
      await dialplan.next(uid, 'hotline-ask');
      await new Promise((r) => setTimeout(r, takesMs + 50));
      dialplan.press(uid, '0');
      await dialplan.next(uid, 'hotline-wait');
      const refusedBefore = ami.redirectsRefusedMoving;
      const probesBefore = ami.named('getvar').length;
      // Accepted at once: the connect Redirect reaches Asterisk while the hold is still pending.
      await until(() => t.app.router.store.state.agent(agentId)?.state === 'reserved', 'the offer');
      expect((await t.app.router.accept(agentId, t.app.router.store.state.agent(agentId)!.offerId!)).ok).toBe(true);
      const connect = await dialplan.next(uid, 'hotline-agent');
      // Sent is not carried out: the caller is with the agent once Asterisk took a Redirect there.
      await until(() => ami.channel(uid).context === 'hotline-agent', 'the connect to be carried out');
      expect(connect.exten).toMatch(/^C\d+\*agent\.xining$/);
      expect(ami.redirectsRefusedMoving).toBeGreaterThan(refusedBefore);
      // Longer than the retries (1.3 s): asked whether the channel is still there, then sent again.
      expect(ami.named('getvar').length > probesBefore).toBe(takesMs > 1_500);
      // Not taken for a caller who hung up: the call is still the agent's.
      expect(await t.app.callFlow.state(callId)).toMatchObject({ phase: 'connected', agentId });
      const agentLeg = dialplan.agentAnswers(uid);
      await until(async () => (await row(callId)).answered_at !== null, 'the bridge');
      dialplan.agentHangsUpGenerated(uid, agentLeg);
      await until(async () => (await t.app.callFlow.state(callId))?.phase === 'survey', 'the survey');
      dialplan.surveyGenerated(uid, '5');
      await until(async () => (await t.app.callFlow.state(callId)) === null, 'the call to leave the flow');
      await t.app.callFlow.settled();
      await t.app.callRecorder.flush();
      expect(await row(callId)).toMatchObject({ status: 'ended', end_reason: 'answered', agent_id: agentId });
    } finally {
      ami.redirectTakes(0);
      await t.app.router.endWrapUp(agentId, 'not_ready');
    }
  };

  it('puts a caller through when the agent accepts before Asterisk has carried out the hold ("channel not up" is asked again)', acceptedDuringHold(500));
  it('keeps a caller whose channel still says "channel not up" after every try (checked with Getvar) and sends the connect again', acceptedDuringHold(4_000));

  it('out of hours, stops the menus after the language: the caller hears the hours next, and Asterisk is told once per change', async () => {
    // Open (the default): set at the login, as 0.
    await until(() => ami.globals.get('HOTLINE_CLOSED') === '0', 'the open flag');
    const flags = () => ami.actions.filter((a) => a.action === 'setvar' && a.headers.variable === 'HOTLINE_CLOSED').length;
    const before = flags();
    await closeToday(t);
    try {
      await until(() => ami.globals.get('HOTLINE_CLOSED') === '1', 'the closed flag');
      await new Promise((r) => setTimeout(r, 300));
      expect(flags()).toBe(before + 1);
      const caller = dialplan.callGenerated('13519712340', fingerprint);
      await until(async () => (await t.app.callFlow.lookup('asterisk', caller.uniqueid)) !== null, 'the call to be taken in');
      // Mandarin chosen, nothing else asked: the hours and the message, in one Redirect.
      dialplan.menusClosed(caller.uniqueid, fingerprint, '1');
      const message = await dialplan.next(caller.uniqueid, 'hotline-message');
      expect(message.vars.HOTLINE_PROMPTS).toMatch(/^hotline\/zh\/after_hours&hotline\/zh\/message_invite$/);
      expect(actionsOn(caller.channel).filter((a) => a.action === 'redirect')).toHaveLength(1);
      // Hung up at the tone: the call ends; its state waits for a late message report.
      const callId = (await t.app.callFlow.lookup('asterisk', caller.uniqueid))!;
      ami.hangup(caller.uniqueid);
      await until(async () => (await t.app.callFlow.state(callId))?.phase === 'ended', 'the call to end');
    } finally {
      await reopen(t);
    }
    await until(() => ami.globals.get('HOTLINE_CLOSED') === '0', 'the open flag again');
  });

  it('asks the topic itself when the dialplan thought it closed but the service finds it open', async () => {
    const caller = dialplan.callGenerated('13519712341', fingerprint);
    await until(async () => (await t.app.callFlow.lookup('asterisk', caller.uniqueid)) !== null, 'the call to be taken in');
    dialplan.menusClosed(caller.uniqueid, fingerprint, '1');
    const topic = await dialplan.next(caller.uniqueid, 'hotline-ask');
    expect(topic.exten).toMatch(/^M\d+\*6\*topic\*zh\.topic_menu/);
    ami.hangup(caller.uniqueid);
    await until(async () => (await t.app.callFlow.lookup('asterisk', caller.uniqueid)) === null, 'the call to end');
  });

  it('answers a hold announcement with one Redirect, and the callback key like any other', async () => {
    const caller = dialplan.callGenerated('13519712346', fingerprint);
    const uid = caller.uniqueid;
    await until(async () => (await t.app.callFlow.lookup('asterisk', uid)) !== null, 'the call to be taken in');
    const callId = await callIdOf(uid);
    // Nobody is ready: an unanswered region menu ('' twice) and the queue.
    dialplan.menus(uid, fingerprint, { language: '1', topic: '', priority: '0' });
    await dialplan.next(uid, 'hotline-ask');
    dialplan.press(uid, '');
    await dialplan.next(uid, 'hotline-ask');
    dialplan.press(uid, '');
    const hold = await dialplan.next(uid, 'hotline-wait');
    expect(t.app.router.liveCall(callId)).toMatchObject({ language: 'zh', topic: 'other', regionCode: '630100' });
    const before = actionsOn(caller.channel).length;
    dialplan.holdTick(uid);
    const again = await dialplan.next(uid, 'hotline-wait');
    expect(again.exten.split('*')[0]).toBe(hold.exten.split('*')[0]);
    expect(actionsOn(caller.channel).length).toBe(before + 1);
    expect(hold.exten).toMatch(/\*1\*zh\.queued\*zh\.no_estimate\*zh\.callback_offer$|\*1\*zh\.queued\*zh\.no_speaker\*zh\.callback_offer$/);

    dialplan.press(uid, '1');
    const bye = await dialplan.next(uid, 'hotline-end');
    expect(bye.exten).toMatch(/^B\d+\*zh\.callback_confirmed$/);
    dialplan.bye(uid);
    await until(async () => (await t.app.callFlow.state(callId)) === null, 'the call to leave the flow');
    await t.app.callFlow.settled();
    await t.app.callRecorder.flush();
    const callbacks = await t.app.db.selectFrom('callbacks').selectAll().where('origin_call_id', '=', callId).execute();
    expect(callbacks).toHaveLength(1);
  });

  it('drives the menus itself, and says so once, for a dialplan generated from other settings', async () => {
    const first = dialplan.callGenerated('13519712347', '0123456789ab');
    const menu = await dialplan.next(first.uniqueid, 'hotline-menu');
    expect(menu.vars).toMatchObject({ HOTLINE_MENU: 'language', HOTLINE_PROMPTS: 'hotline/zh/welcome&hotline/zh/language_menu' });
    const second = dialplan.callGenerated('13519712348', '0123456789ab');
    await dialplan.next(second.uniqueid, 'hotline-menu');
    const said = t.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('extensions.conf was generated from other IVR settings'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ dialplan: '0123456789ab', settings: fingerprint });
    ami.hangup(first.uniqueid);
    ami.hangup(second.uniqueid);
  });

  it('logs a sound file Asterisk could not play once per prompt and language', async () => {
    const caller = dialplan.callGenerated('13519712349', fingerprint);
    await until(async () => (await t.app.callFlow.lookup('asterisk', caller.uniqueid)) !== null, 'the call to be taken in');
    dialplan.promptMissing(caller.uniqueid, 'topic_menu', 'bo');
    dialplan.promptMissing(caller.uniqueid, 'topic_menu', 'bo');
    dialplan.promptMissing(caller.uniqueid, 'priority_menu', 'bo');
    await until(() => t.logs.filter((l) => l.prompt === 'priority_menu').length === 1, 'the second gap to be logged');
    const gaps = t.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('sound file missing on Asterisk'));
    expect(gaps.map((l) => [l.prompt, l.language, l.fallback])).toEqual([
      ['topic_menu', 'bo', 'Mandarin'],
      ['priority_menu', 'bo', 'Mandarin'],
    ]);
    ami.hangup(caller.uniqueid);
  });
});
