import { Prompts, defaultCatalogue } from '../../src/telephony/prompts';
import { startTestApp, type TestApp } from '../support/app';
import { eventually } from '../support/tcp-proxy';

/** The call flow's rules, each seen as a caller or the hotline would notice it. */
describe('call flow', () => {
  let t: TestApp;
  let agentId: string;
  const profile = { regionCode: '630100', languages: { zh: 5 }, topics: { labour: 5 } };

  beforeAll(async () => {
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    agentId = (await t.addUser({ username: 'agent.flow', role: 'agent', region: '630100', languages: { zh: 5 } })).id;
  });
  afterAll(async () => t.close());
  afterEach(async () => {
    t.app.router.settings = { ...t.app.router.settings, maxQueueSize: 500, maxWaitSeconds: 900 };
  });

  const place = async (body: Record<string, unknown>) => (await t.app.inject({ method: 'POST', url: '/sim/calls', payload: body })).json().callId as string;
  const view = async (id: string) => (await t.app.inject({ method: 'GET', url: `/sim/calls/${id}` })).json();
  const heard = async (id: string) => (await view(id)).heard as { key: string; language: string; text: string | null }[];
  const until = async (probe: () => Promise<boolean>, what: string) => {
    if (!(await eventually(probe, 5_000, 10))) throw new Error(`timed out waiting for ${what}`);
  };
  const hangup = (id: string) => t.app.inject({ method: 'POST', url: `/sim/calls/${id}/hangup` });

  it('plays Mandarin where a Tibetan recording is missing, and logs the gap once', async () => {
    const first = await place({ from: '09718000100', digits: '210' });
    await until(async () => (await view(first)).status === 'queued', 'the queue');
    const second = await place({ from: '09718000101', digits: '210' });
    await until(async () => (await view(second)).status === 'queued', 'the queue');
    const prompts = await heard(first);
    // Recorded in Tibetan: the topic menu; built from place names, so only in Mandarin: the region menu.
    expect(prompts.find((p) => p.key === 'topic_menu')!.language).toBe('bo');
    expect(prompts.find((p) => p.key === 'region_menu')).toMatchObject({ language: 'zh', text: expect.stringContaining('城东区请按1') });
    const warnings = t.logs.filter((l) => l.msg === 'prompt missing in this language; playing Mandarin' && l.prompt === 'region_menu' && l.language === 'bo');
    expect(warnings).toHaveLength(1);
    await hangup(first);
    await hangup(second);
  });

  it('raises the priority of a caller who could not get through earlier today', async () => {
    const first = await place({ from: '13519700001', digits: '1100' });
    await until(async () => (await view(first)).status === 'queued', 'the queue');
    expect(t.app.router.liveCall(first)!.priority).toBe(0);
    await hangup(first);
    await t.app.callRecorder.flush();
    const again = await place({ from: '13519700001', digits: '1100' });
    await until(async () => (await view(again)).status === 'queued', 'the queue');
    expect(t.app.router.liveCall(again)!.priority).toBe(1);
    await hangup(again);
  });

  it('gives no history priority to a withheld number, which many callers share', async () => {
    const first = await t.app.callFlow.arrived({ driver: 'sim', externalId: 'withheld-1', from: 'anonymous' });
    await t.app.callFlow.hangup(first.callId, 'caller');
    const second = await t.app.callFlow.arrived({ driver: 'sim', externalId: 'withheld-2', from: 'anonymous' });
    expect((await t.app.callFlow.state(second.callId))!.historyPriority).toBe(0);
    await t.app.callFlow.settled();
    const row = await t.app.db.selectFrom('calls').select(['region_code', 'region_source']).where('id', '=', second.callId).executeTakeFirstOrThrow();
    expect(row).toEqual({ region_code: '630000', region_source: 'unknown' });
    await t.app.callFlow.hangup(second.callId, 'caller');
  });

  it('puts the caller through to the agent who accepted without waiting for the ticket to reach the database', async () => {
    await t.app.router.login({ id: agentId, ...profile });
    await t.app.router.setReady(agentId);
    const id = await place({ from: '09718000300', digits: '1100' });
    await until(async () => t.app.router.store.state.agent(agentId)?.state === 'reserved', 'the offer');
    // A slow database: opening the ticket takes 3 s. The caller must not wait for it.
    const write = t.app.records.write.bind(t.app.records);
    let ticketWritten = false;
    const spy = jest.spyOn(t.app.records, 'write').mockImplementation(async (op) => {
      if (op.op !== 'ticket.open') return write(op);
      await new Promise((r) => setTimeout(r, 3_000));
      const result = await write(op);
      ticketWritten = true;
      return result;
    });
    try {
      const accepted = Date.now();
      await t.app.router.accept(agentId, t.app.router.store.state.agent(agentId)!.offerId!);
      await until(async () => (await view(id)).status === 'connected', 'the caller put through');
      expect(Date.now() - accepted).toBeLessThan(2_000);
      expect(ticketWritten).toBe(false);
      // The ticket is still opened, and the flow's settled() waits for it.
      await t.app.callFlow.settled();
      expect(ticketWritten).toBe(true);
    } finally {
      spy.mockRestore();
    }
    await hangup(id);
    await t.app.callFlow.settled();
    await t.app.router.endWrapUp(agentId, 'not_ready').catch(() => {});
  });

  it('announces position and expected wait again and again while the caller holds', async () => {
    await t.app.router.login({ id: agentId, ...profile });
    await t.app.router.setReady(agentId);
    // The agent is busy with a first call, so the second caller waits behind nobody but hears a wait.
    const busy = await place({ from: '09718000200', digits: '1100' });
    await until(async () => t.app.router.store.state.agent(agentId)?.state === 'reserved', 'the offer');
    await t.app.router.accept(agentId, t.app.router.store.state.agent(agentId)!.offerId!);
    const waiting = await place({ from: '09718000201', digits: '1100' });
    await until(async () => (await heard(waiting)).filter((p) => p.key === 'position').length >= 3, 'three announcements');
    const position = (await heard(waiting)).find((p) => p.key === 'position')!;
    expect(position.text).toMatch(/您前面还有0位来电，预计等待\d+分钟/);
    await hangup(waiting);
    await hangup(busy);
    await t.app.router.endWrapUp(agentId, 'not_ready');
  });

  it('puts the caller back on hold, in the same place, when the agent cannot be reached', async () => {
    await t.app.router.setReady(agentId);
    const callId = await place({ from: '09718000300', digits: '1100' });
    await until(async () => t.app.router.store.state.agent(agentId)?.state === 'reserved', 'the offer');
    const enqueuedAt = t.app.router.liveCall(callId)!.enqueuedAt;
    await t.app.router.accept(agentId, t.app.router.store.state.agent(agentId)!.offerId!);
    await until(async () => (await view(callId)).status === 'connected', 'the bridge');
    await t.app.callFlow.settled();
    const action = await t.app.callFlow.bridgeFailed(callId, 'CHANUNAVAIL');
    expect(action).toMatchObject({ type: 'hold' });
    const live = t.app.router.liveCall(callId)!;
    expect(live).toMatchObject({ status: 'waiting', enqueuedAt, missedBy: [agentId] });
    expect(t.app.router.store.state.agent(agentId)).toMatchObject({ state: 'not_ready', reason: 'missed' });
    await hangup(callId);
  });

  it('queues a caller whose enqueue failed after their hold was saved, when the phone system asks again', async () => {
    // Redis went away between the flow state's write and the routing step: the request fails, the
    // phone system sends the same keys again and finds the caller "on hold" — but not in the queue.
    const { callId } = await t.app.callFlow.arrived({ driver: 'sim', externalId: 'enqueue-fails-once', from: '13519700077' });
    const router = t.app.router;
    const enqueue = router.enqueue.bind(router);
    let failures = 0;
    router.enqueue = async (input) => {
      if (input.id === callId && failures++ === 0) throw new Error('Connection is closed.');
      return enqueue(input);
    };
    try {
      let action = (await t.app.callFlow.state(callId))!.lastAction as { type: string; step: number; menu?: string };
      for (const key of ['1', '1', '0']) action = (await t.app.callFlow.digits(callId, action.step, key)) as typeof action;
      expect(action.menu).toBe('region');
      await expect(t.app.callFlow.digits(callId, action.step, '0')).rejects.toThrow('Connection is closed.');
      expect(router.liveCall(callId)).toBeUndefined();
      const retried = await t.app.callFlow.digits(callId, action.step, '0');
      expect(retried?.type).toBe('hold');
      expect(router.liveCall(callId)).toMatchObject({ status: 'waiting', language: 'zh', topic: 'labour', regionCode: '630100' });
      expect(t.logs.some((l) => l.callId === callId && l.msg === 'caller was on hold but not in the queue (the enqueue had failed); queued now')).toBe(true);
    } finally {
      router.enqueue = enqueue;
      await t.app.callFlow.hangup(callId, 'caller');
    }
  });

  it('answers a retried request for an old step with the current action and changes nothing', async () => {
    const callId = await place({ from: '09718000400', digits: '1100' });
    await until(async () => (await view(callId)).status === 'queued', 'the queue');
    const state = (await t.app.callFlow.state(callId))!;
    const again = await t.app.callFlow.digits(callId, state.step - 1, '9');
    expect(again).toEqual(state.lastAction);
    expect((await t.app.callFlow.state(callId))!.step).toBe(state.step);
    expect(t.app.router.liveCall(callId)!.topic).toBe('labour');
    await hangup(callId);
  });

  it('turns a caller away politely when the queue is full, and records it', async () => {
    t.app.router.settings = { ...t.app.router.settings, maxQueueSize: 0 };
    const callId = await place({ from: '09718000500', digits: '1100' });
    await until(async () => (await view(callId)).status === 'ended', 'the end');
    expect((await heard(callId)).map((p) => p.key)).toContain('queue_full');
    const row = await t.app.db.selectFrom('calls').select(['end_reason']).where('id', '=', callId).executeTakeFirstOrThrow();
    expect(row.end_reason).toBe('rejected');
  });

  it('books a callback for a caller who waited past the limit, and tells them', async () => {
    t.app.router.settings = { ...t.app.router.settings, maxWaitSeconds: 0.2 };
    const callId = await place({ from: '09718000600', digits: '3100' });
    await until(async () => (await view(callId)).status === 'ended', 'the end');
    expect((await heard(callId)).map((p) => p.key)).toContain('queue_timeout');
    await t.app.callFlow.settled();
    const row = await t.app.db.selectFrom('calls').select(['end_reason', 'callback_id']).where('id', '=', callId).executeTakeFirstOrThrow();
    expect(row.end_reason).toBe('callback');
    // The promise is in the database, not only in the live queue.
    const callback = await t.app.db.selectFrom('callbacks').selectAll().where('id', '=', row.callback_id!).executeTakeFirstOrThrow();
    expect(callback).toMatchObject({ reason: 'queue_timeout', origin_call_id: callId, language: 'mn', caller_number: '09718000600', attempts: 0 });
    expect(['pending', 'queued']).toContain(callback.status);
  });
});

describe('prompts', () => {
  it('fill values into the text and fall back to Mandarin for a language without the prompt', () => {
    const warnings: unknown[] = [];
    const log = { warn: (o: unknown) => warnings.push(o) } as never;
    const prompts = new Prompts({ ...defaultCatalogue(), mn: { welcome: { audio: 'hotline/mn/welcome' } } }, log);
    expect(prompts.get('position', 'zh', { position: 3, minutes: 2 })).toMatchObject({ text: '您前面还有3位来电，预计等待2分钟。', numbers: [3, 2] });
    expect(prompts.get('welcome', 'mn')).toMatchObject({ language: 'mn', audio: 'hotline/mn/welcome', text: null });
    expect(prompts.get('goodbye', 'mn')).toMatchObject({ language: 'zh', text: '感谢您的来电，再见。' });
    prompts.get('goodbye', 'mn');
    expect(warnings).toEqual([{ language: 'mn', prompt: 'goodbye' }]);
  });

  it('refuse a catalogue without Mandarin, which every language falls back to', () => {
    expect(() => new Prompts({ bo: {} })).toThrow(/Mandarin/);
  });
});
