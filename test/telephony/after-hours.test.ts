import { ServiceCalendar, ServiceHoursSchema, serviceHoursSettings } from '../../src/telephony/service-hours';
import { bearer, startTestApp, type TestApp } from '../support/app';
import { setProvinceSettings } from '../support/province-settings';
import { closeToday, nextWorkingMorning, reopen, WORKING_WEEK } from '../support/service-hours';
import { eventually } from '../support/tcp-proxy';

/**
 * After hours and nobody to answer (issue 13, item 8): the service-hours calendar, the caller who
 * hears the hours and leaves a message (a ticket with the recording and a callback for the next
 * working morning), the duty number, and the caller whose language nobody signed in speaks.
 * Twilio and Asterisk render the same actions in after-hours.twilio.test.ts / .asterisk.test.ts.
 */

const cst = (s: string) => new Date(`${s}+08:00`);

describe('service hours calendar', () => {
  const calendar = new ServiceCalendar(ServiceHoursSchema.parse({ week: { ...WORKING_WEEK, sat: ['09:00-12:00'] } }), {
    // National Day 2026: 1–7 October off, Saturday 10 October worked in exchange.
    holidays: ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'],
    workingWeekends: ['2026-10-10'],
  });

  it('is always open where the province sets no hours (the default)', () => {
    const always = new ServiceCalendar(serviceHoursSettings({}, '630000'));
    expect(always.alwaysOpen).toBe(true);
    expect(always.isOpen(cst('2026-10-01T03:00:00'))).toBe(true);
    expect(always.describe('zh')).toBeNull();
  });

  it('opens on weekdays in China time, not on holidays, and on a make-up Saturday with Monday hours', () => {
    expect(calendar.isOpen(cst('2026-09-30T08:29:00'))).toBe(false);
    expect(calendar.isOpen(cst('2026-09-30T08:30:00'))).toBe(true);
    expect(calendar.isOpen(cst('2026-09-30T17:29:00'))).toBe(true);
    expect(calendar.isOpen(cst('2026-09-30T17:30:00'))).toBe(false);
    expect(calendar.isOpen(cst('2026-10-02T10:00:00'))).toBe(false);
    expect(calendar.isOpen(cst('2026-10-10T16:00:00'))).toBe(true);
    expect(calendar.isOpen(cst('2026-10-17T10:00:00'))).toBe(true);
    expect(calendar.isOpen(cst('2026-10-17T13:00:00'))).toBe(false);
  });

  it('calls a message back at the next working morning: over a weekend, a holiday week and its make-up day', () => {
    expect(calendar.nextWorkingOpening(cst('2026-09-25T18:00:00'))).toEqual(cst('2026-09-28T08:30:00'));
    // Saturday morning opens, but a Saturday is not a working day: Monday.
    expect(calendar.nextWorkingOpening(cst('2026-09-26T07:00:00'))).toEqual(cst('2026-09-28T08:30:00'));
    expect(calendar.nextWorkingOpening(cst('2026-09-30T20:00:00'))).toEqual(cst('2026-10-08T08:30:00'));
    expect(calendar.nextWorkingOpening(cst('2026-10-09T20:00:00'))).toEqual(cst('2026-10-10T08:30:00'));
    expect(calendar.nextWorkingOpening(cst('2026-09-29T06:00:00'))).toEqual(cst('2026-09-29T08:30:00'));
  });

  it('says the hours in words with numbers', () => {
    expect(calendar.describe('zh')).toBe('周一至周五 08:30至17:30，周六 09:00至12:00，法定节假日除外');
    expect(calendar.describe('en')).toBe('Monday to Friday 08:30 to 17:30, Saturday 09:00 to 12:00, closed on public holidays');
  });

  it('refuses hours that cannot be, naming the field', () => {
    expect(() => serviceHoursSettings({ serviceHours: { week: { mon: ['17:30-08:30'] } } }, '630000')).toThrow(/settings\.serviceHours\.week\.mon\.0: must end after it starts/);
    expect(() => serviceHoursSettings({ serviceHours: { week: { monday: ['08:30-17:30'] } } }, '630000')).toThrow(/settings\.serviceHours\.week/);
    expect(() => serviceHoursSettings({ serviceHours: { dutyNumber: '+14155550100' } }, '630000')).toThrow(/settings\.serviceHours\.dutyNumber: must be a mainland number/);
  });
});

describe('after hours and nobody to answer, on the simulator', () => {
  let t: TestApp;
  let agentId: string;
  let supervisor: string;

  beforeAll(async () => {
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    agentId = (await t.addUser({ username: 'agent.mandarin', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } })).id;
    supervisor = (await t.addUser({ username: 'sup.province', role: 'supervisor', region: '630000' })).token;
  });
  afterAll(async () => t.close());
  afterEach(async () => reopen(t));

  const place = async (body: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: body });
    expect(res.statusCode).toBe(201);
    return res.json().callId as string;
  };
  const view = async (id: string) => (await t.app.inject({ method: 'GET', url: `/sim/calls/${id}` })).json();
  const heard = async (id: string) => (await view(id)).heard as { key: string; text: string | null }[];
  const until = async (probe: () => Promise<boolean>, what: string) => {
    if (!(await eventually(probe, 5_000, 10))) throw new Error(`timed out waiting for ${what}`);
  };
  const ended = (id: string) => until(async () => (await view(id)).status === 'ended', 'the end of the call');
  const settle = async () => {
    await t.app.callFlow.settled();
    await t.app.callRecorder.flush();
  };
  const callRow = (id: string) => t.app.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const callbackOf = (id: string) => t.app.db.selectFrom('callbacks').selectAll().where('origin_call_id', '=', id).execute();

  it('out of hours: the caller hears the hours, leaves a message, and it becomes a ticket with the recording and a callback for the next working morning', async () => {
    const today = await closeToday(t);
    const callId = await place({ from: '13519712345', digits: '1', messageSeconds: 15 });
    await ended(callId);
    const v = await view(callId);
    expect(v.outcome).toBe('message');
    expect(v.heard.map((h: { key: string }) => h.key)).toEqual(['welcome', 'language_menu', 'after_hours', 'message_invite', 'message_saved']);
    const due = nextWorkingMorning(today);
    const dueCst = new Date(due.getTime() + 8 * 3600_000);
    expect(v.heard[2].text).toBe('现在是非工作时间。12348热线人工服务时间为周一至周五 08:30至17:30，法定节假日除外。');
    expect(v.heard[4].text).toBe(`您的留言已记录，我们将在${dueCst.getUTCMonth() + 1}月${dueCst.getUTCDate()}日08:30以后给您回电。再见。`);
    // Nobody was queued for: the live queue never saw the call.
    expect(t.app.router.liveCall(callId)).toBeUndefined();

    await settle();
    const call = await callRow(callId);
    expect(call).toMatchObject({ status: 'ended', end_reason: 'callback', language: 'zh', caller_number: '13519712345' });
    expect(call.recording_url).toMatch(new RegExp(`^sim:messages/${callId}-\\d+$`));
    const [callback] = await callbackOf(callId);
    expect(callback).toMatchObject({ reason: 'voice_message', status: 'pending', language: 'zh', caller_number: '13519712345', region_code: call.region_code });
    expect(callback!.due_at).toEqual(due);
    expect(call.callback_id).toBe(callback!.id);

    // The supervisor finds the message as a ticket, with the recording to listen to.
    const ticket = await t.app.db.selectFrom('tickets').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
    expect(ticket).toMatchObject({ outcome: 'callback', agent_id: null, language: 'zh', caller_number: '13519712345' });
    expect(ticket.number).toMatch(/^QH-\d{8}-\d{6}$/);
    expect(ticket.summary).toContain('来电留言（非工作时间，15秒）');
    const res = await t.app.inject({ method: 'GET', url: `/api/tickets/${ticket.id}`, headers: bearer(supervisor) });
    expect(res.statusCode).toBe(200);
    expect(res.json().call).toMatchObject({ recordingUrl: call.recording_url, endReason: 'callback' });
    expect(res.json().timeline.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['arrived', 'after_hours', 'message']));
  });

  it('out of hours: a caller who says nothing leaves no ticket and no callback, and is recorded as abandoned', async () => {
    await closeToday(t);
    const callId = await place({ from: '13519712346', digits: '1', messageSeconds: 0 });
    await ended(callId);
    await until(async () => (await t.app.callFlow.state(callId)) === null, 'the call to leave the flow');
    await settle();
    expect(await callRow(callId)).toMatchObject({ status: 'ended', end_reason: 'abandoned', recording_url: null });
    expect(await callbackOf(callId)).toEqual([]);
    expect(await t.app.db.selectFrom('tickets').select('id').where('call_id', '=', callId).execute()).toEqual([]);
  });

  it('out of hours: where the province names a duty number, the caller hears the hours and is put through to it', async () => {
    await closeToday(t, { dutyNumber: '09718250000' });
    const callId = await place({ from: '13519712347', digits: '2' });
    await ended(callId);
    const v = await view(callId);
    expect(v).toMatchObject({ outcome: 'forwarded', forwardedTo: '09718250000' });
    // Tibetan chosen: the province's recordings, the hours first.
    expect(v.heard.slice(2).map((h: { key: string }) => h.key)).toEqual(['after_hours', 'duty_forward']);
    await settle();
    expect(await callRow(callId)).toMatchObject({ status: 'ended', end_reason: 'rejected', end_detail: 'after_hours_forwarded', language: 'bo' });
    // The phone system reports the dial's answer after the simulated caller has gone on to the duty line.
    const timeline = () => t.app.db.selectFrom('call_events').select(['type', 'data']).where('call_id', '=', callId).orderBy('id').execute();
    await until(async () => {
      await t.app.records.drained();
      return (await timeline()).some((e) => e.type === 'forward.result');
    }, 'the forward result');
    const events = await timeline();
    expect(events.find((e) => e.type === 'forwarded')!.data).toMatchObject({ number: '09718250000', afterHours: true });
    expect(events.find((e) => e.type === 'forward.result')!.data).toMatchObject({ status: 'answer' });
    expect(await callbackOf(callId)).toEqual([]);
  });

  it('out of hours: a duty number that does not answer leaves the caller the message instead', async () => {
    await closeToday(t, { dutyNumber: '09718250000' });
    const callId = await place({ from: '13519712340', digits: '1', forwardResult: 'NOANSWER', messageSeconds: 12 });
    await ended(callId);
    const v = await view(callId);
    expect(v.outcome).toBe('message');
    expect(v.heard.slice(2).map((h: { key: string }) => h.key)).toEqual(['after_hours', 'duty_forward', 'duty_unreachable', 'message_invite', 'message_saved']);
    await settle();
    const events = await t.app.db.selectFrom('call_events').select(['type', 'data']).where('call_id', '=', callId).orderBy('id').execute();
    expect(events.find((e) => e.type === 'forward.result')!.data).toEqual({ number: '09718250000', status: 'noanswer', cause: '19' });
    const [callback] = await callbackOf(callId);
    expect(callback).toMatchObject({ reason: 'voice_message', status: 'pending', caller_number: '13519712340' });
    expect(await t.app.db.selectFrom('tickets').select('id').where('call_id', '=', callId).execute()).toHaveLength(1);
  });

  describe('a Tibetan caller with no Tibetan speaker signed in', () => {
    beforeAll(async () => {
      // Only a Mandarin speaker is at work.
      await t.app.router.login({ id: agentId, regionCode: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
      await t.app.router.setReady(agentId);
    });

    const offerHeard = (keys: string[]) => keys.slice(keys.indexOf('queued'), keys.indexOf('queued') + 3);

    it('is told at once and offered a callback or a message; pressing 1 books the callback', async () => {
      const callId = await place({ from: '09718000701', digits: '2000', acceptCallback: true });
      await ended(callId);
      const keys = (await heard(callId)).map((h) => h.key);
      expect(offerHeard(keys)).toEqual(['queued', 'no_speaker', 'no_speaker_offer']);
      expect(keys).not.toContain('position');
      expect(keys.at(-1)).toBe('callback_confirmed');
      await settle();
      expect(await callRow(callId)).toMatchObject({ end_reason: 'callback', language: 'bo' });
      expect(await callbackOf(callId)).toEqual([expect.objectContaining({ reason: 'caller_request', language: 'bo', caller_number: '09718000701' })]);
      // The Mandarin speaker was never offered the call.
      expect(t.app.router.store.state.agent(agentId)).toMatchObject({ state: 'ready' });
    });

    it('pressing 2 leaves a message: a ticket with the recording, and a callback due at once', async () => {
      const before = Date.now();
      const callId = await place({ from: '09718000702', digits: '2000', leaveMessage: true, messageSeconds: 12 });
      await ended(callId);
      const keys = (await heard(callId)).map((h) => h.key);
      expect(offerHeard(keys)).toEqual(['queued', 'no_speaker', 'no_speaker_offer']);
      expect(keys.slice(-2)).toEqual(['message_invite', 'message_saved']);
      expect((await view(callId)).outcome).toBe('message');
      await settle();
      const call = await callRow(callId);
      expect(call).toMatchObject({ end_reason: 'callback', language: 'bo' });
      expect(call.recording_url).toMatch(/^sim:messages\//);
      const [callback] = await callbackOf(callId);
      expect(callback).toMatchObject({ reason: 'voice_message', language: 'bo' });
      // Due now (within calling hours) or at the next calling hour: never a day's wait for no reason.
      expect(callback!.due_at.getTime()).toBeGreaterThanOrEqual(before - 60_000);
      const ticket = await t.app.db.selectFrom('tickets').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
      expect(ticket.summary).toContain('无对应语种坐席');
    });

    it('one who chooses neither is called back instead of waiting out the maximum wait', async () => {
      await setProvinceSettings(t.app, 'serviceHours', { noSpeakerWaitSeconds: 0 });
      await t.app.callFlow.hours.reload();
      // The queue would keep them 15 minutes; the first announcement ends it.
      expect(t.app.router.settings.maxWaitSeconds).toBeGreaterThanOrEqual(600);
      const callId = await place({ from: '09718000703', digits: '2000' });
      await ended(callId);
      const keys = (await heard(callId)).map((h) => h.key);
      expect(offerHeard(keys)).toEqual(['queued', 'no_speaker', 'no_speaker_offer']);
      expect(keys.at(-1)).toBe('no_speaker_callback');
      await settle();
      expect(await callRow(callId)).toMatchObject({ end_reason: 'callback' });
      expect(await callbackOf(callId)).toEqual([expect.objectContaining({ reason: 'queue_timeout', language: 'bo' })]);
    });

    it('a Mandarin caller while the Mandarin speaker is on a break is not told that nobody speaks Mandarin', async () => {
      await t.app.router.setNotReady(agentId, 'break');
      const callId = await place({ from: '09718000704', digits: '1000' });
      await until(async () => (await view(callId)).status === 'queued', 'the queue');
      const keys = (await heard(callId)).map((h) => h.key);
      expect(keys).not.toContain('no_speaker');
      expect(keys).not.toContain('no_speaker_offer');
      await t.app.inject({ method: 'POST', url: `/sim/calls/${callId}/hangup` });
    });
  });
});
