import { startTestApp, type TestApp } from '../support/app';
import { eventually } from '../support/tcp-proxy';

/**
 * Consult transfer and interpreters through the whole service on the simulator (issue 14, items
 * 1–3): the router picks who takes a leg, the flow tells the phone system, and the simulator's
 * audio model says who hears whom after each step. The ticket follows a completed consult and
 * the call's timeline records each leg.
 */
describe('second legs on the simulator: consult transfer and interpreters', () => {
  let t: TestApp;
  const ids: Record<string, string> = {};
  const profiles = {
    a: { username: 'agent.a', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } },
    b: { username: 'agent.b', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } },
    tibetan: { username: 'agent.bo', region: '632600', languages: { bo: 5, zh: 2 }, topics: { marriage_family: 3 } },
  } as const;

  beforeAll(async () => {
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    for (const [k, p] of Object.entries(profiles)) ids[k] = (await t.addUser({ ...p, role: 'agent' })).id;
  });
  afterAll(async () => t?.close());
  // Every test starts with nobody signed in and no caller on the line, whatever the last one left.
  afterEach(async () => {
    for (const c of (await t.app.inject({ method: 'GET', url: '/sim/calls?limit=100' })).json().calls) {
      if (c.status !== 'ended') await t.app.inject({ method: 'POST', url: `/sim/calls/${c.id}/hangup` });
    }
    await t.app.callFlow.settled();
    for (const id of Object.values(ids)) {
      const live = t.app.router.liveAgent(id);
      if (live?.callId && live.state === 'on_call') await t.app.router.agentHangup(id, live.callId);
      if (live?.offerId) await t.app.router.decline(id, live.offerId);
      await t.app.router.endWrapUp(id, 'not_ready');
      await t.app.router.logout(id);
    }
  });

  const until = async (probe: () => Promise<boolean> | boolean, what: string) => {
    if (!(await eventually(async () => probe(), 10_000, 10))) throw new Error(`timed out waiting for ${what}`);
  };
  const view = async (id: string) => (await t.app.inject({ method: 'GET', url: `/sim/calls/${id}` })).json();
  const signIn = async (k: keyof typeof profiles) => {
    const p = profiles[k];
    await t.app.router.login({ id: ids[k]!, username: p.username, regionCode: p.region, languages: p.languages, topics: p.topics });
    expect(await t.app.router.setReady(ids[k]!)).toEqual({ ok: true });
  };
  const signOut = async (...ks: (keyof typeof profiles)[]) => {
    for (const k of ks) await t.app.router.logout(ids[k]!);
  };
  const acceptOffer = async (k: keyof typeof profiles) => {
    await until(() => t.app.router.liveAgent(ids[k]!)?.state === 'reserved', `an offer to ${k}`);
    expect(await t.app.router.accept(ids[k]!, t.app.router.liveAgent(ids[k]!)!.offerId!)).toEqual({ ok: true });
  };
  const timeline = async (callId: string) => {
    await t.app.callFlow.settled();
    await t.app.callRecorder.flush();
    await t.app.records.drained();
    return (await t.app.db.selectFrom('call_events').select(['type', 'data']).where('call_id', '=', callId).orderBy('id').execute()).filter((e) => e.type.startsWith('leg.') || e.type.startsWith('interpreter.'));
  };

  /** A Xining caller (digits: Mandarin, Chengdong, labour) answered by agent a. */
  async function answeredByA(extra: Record<string, unknown> = {}): Promise<string> {
    await signIn('a');
    const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '13519712345', digits: '1101', ...extra } });
    const callId = res.json().callId as string;
    await acceptOffer('a');
    await until(async () => (await view(callId)).status === 'connected', 'the bridge');
    return callId;
  }

  it('consult → complete: the caller waits on hold while a talks to b, then b has the caller and the ticket', async () => {
    const callId = await answeredByA();
    await signIn('b');
    expect(await t.app.callFlow.agentTransfer(callId, ids.a!, { agentId: ids.b! }, 'consult')).toEqual({ ok: true });
    // b's desk rings with the leg; nothing is dialled until b takes it.
    expect((await view(callId)).leg).toBeNull();
    await acceptOffer('b');
    await until(async () => (await view(callId)).leg?.mode === 'consult', 'the consult');
    let v = await view(callId);
    expect(v.leg).toMatchObject({ target: 'agent.b' });
    // The caller hears hold music and nobody hears the caller; a and b talk.
    expect(v.audio).toMatchObject({ caller: [], agent: ['target'], target: ['agent'] });
    expect(v.heard.at(-1).key).toBe('hold_music');
    await until(() => t.app.router.liveCall(callId)?.leg?.state === 'talking', 'the consult answered');

    expect(await t.app.callFlow.agentLeg(callId, ids.b!, 'complete')).toMatchObject({ ok: false, code: 'NOT_YOURS' });
    expect(await t.app.callFlow.agentLeg(callId, ids.a!, 'complete')).toEqual({ ok: true });
    await until(async () => (await view(callId)).agentUsername === 'agent.b', 'the caller handed to b');
    v = await view(callId);
    expect(v.leg).toBeNull();
    expect(v.audio).toMatchObject({ caller: ['agent'], agent: ['caller'], target: [] });
    expect(t.app.router.liveAgent(ids.a!)).toMatchObject({ state: 'wrap_up' });
    expect(t.app.router.liveAgent(ids.b!)).toMatchObject({ state: 'on_call', callId });
    expect((await t.app.callFlow.state(callId))?.agentId).toBe(ids.b);

    const events = await timeline(callId);
    expect(events.map((e) => e.type)).toEqual(['leg.opened', 'leg.answered', 'leg.completed']);
    expect(events[2]!.data).toMatchObject({ purpose: 'consult', by: ids.a, agentId: ids.b });
    const ticket = await t.app.db.selectFrom('tickets').select(['agent_id']).where('call_id', '=', callId).executeTakeFirstOrThrow();
    expect(ticket.agent_id).toBe(ids.b);
    const call = await t.app.db.selectFrom('calls').select(['agent_id']).where('id', '=', callId).executeTakeFirstOrThrow();
    expect(call.agent_id).toBe(ids.b);

    // b ends the call: the caller gets the survey as after any call.
    expect(await t.app.router.agentHangup(ids.b!, callId)).toEqual({ ok: true });
    await until(async () => (await view(callId)).status === 'survey' || (await view(callId)).status === 'ended', 'the survey');
    await signOut('a', 'b');
  });

  it('consult → merge → drop: a three-way call, then caller and agent again', async () => {
    const callId = await answeredByA();
    await signIn('b');
    expect(await t.app.callFlow.agentTransfer(callId, ids.a!, { agentId: ids.b! }, 'consult')).toEqual({ ok: true });
    await acceptOffer('b');
    await until(() => t.app.router.liveCall(callId)?.leg?.state === 'talking', 'the consult answered');
    expect(await t.app.callFlow.agentLeg(callId, ids.a!, 'merge')).toEqual({ ok: true });
    await until(async () => (await view(callId)).leg?.mode === 'three-way', 'the merge');
    expect((await view(callId)).audio).toMatchObject({ caller: ['agent', 'target'], agent: ['caller', 'target'], target: ['caller', 'agent'] });
    expect(await t.app.callFlow.agentLeg(callId, ids.a!, 'drop')).toEqual({ ok: true });
    await until(async () => (await view(callId)).leg === null, 'the colleague dropped');
    expect((await view(callId)).audio).toMatchObject({ caller: ['agent'], agent: ['caller'] });
    expect(t.app.router.liveAgent(ids.b!)).toMatchObject({ state: 'ready' });
    expect((await timeline(callId)).map((e) => e.type)).toEqual(['leg.opened', 'leg.answered', 'leg.merged', 'leg.closed']);
    await t.app.router.agentHangup(ids.a!, callId);
    await signOut('a', 'b');
  });

  it('consult → cancel: back to the caller, who heard hold music and then the agent again', async () => {
    const callId = await answeredByA();
    await signIn('b');
    await t.app.callFlow.agentTransfer(callId, ids.a!, { agentId: ids.b! }, 'consult');
    await acceptOffer('b');
    await until(() => t.app.router.liveCall(callId)?.leg?.state === 'talking', 'the consult answered');
    expect(await t.app.callFlow.agentLeg(callId, ids.a!, 'cancel')).toEqual({ ok: true });
    await until(async () => (await view(callId)).leg === null, 'the consult cancelled');
    const v = await view(callId);
    expect(v.audio).toMatchObject({ caller: ['agent'], agent: ['caller'] });
    expect(v.heard.slice(-2).map((h: { key: string }) => h.key)).toEqual(['hold_music', 'agent_unhold']);
    expect(t.app.router.liveAgent(ids.a!)).toMatchObject({ state: 'on_call', callId });
    expect(t.app.router.liveAgent(ids.b!)).toMatchObject({ state: 'ready' });
    await t.app.router.agentHangup(ids.a!, callId);
    await signOut('a', 'b');
  });

  it('consult with an outside number (a legal aid centre): completing passes the caller on, and the hotline part ends without a survey', async () => {
    const callId = await answeredByA();
    expect(await t.app.callFlow.agentTransfer(callId, ids.a!, { number: '+14155550100' }, 'consult')).toMatchObject({ ok: false, code: 'REFUSED' });
    expect(await t.app.callFlow.agentTransfer(callId, ids.a!, { number: '09716123456' }, 'consult')).toEqual({ ok: true });
    await until(() => t.app.router.liveCall(callId)?.leg?.state === 'talking', 'the centre answered');
    expect((await view(callId)).leg).toMatchObject({ target: '09716123456', mode: 'consult' });
    expect(await t.app.callFlow.agentLeg(callId, ids.a!, 'complete')).toEqual({ ok: true });
    await until(async () => (await view(callId)).status === 'ended', 'the hotline part to end');
    const v = await view(callId);
    expect(v).toMatchObject({ outcome: 'forwarded', forwardedTo: '09716123456' });
    expect(v.heard.map((h: { key: string }) => h.key)).not.toContain('survey');
    expect(t.app.router.liveAgent(ids.a!)).toMatchObject({ state: 'wrap_up' });
    await signOut('a');
  });

  it('an interpreter from the list joins a three-way call; one not answering leaves the call as it was', async () => {
    const busy = await answeredByA({ legResult: 'BUSY' });
    expect(await t.app.callFlow.addInterpreter(busy, ids.a!, { number: '09716000001' })).toEqual({ ok: true });
    await until(() => !t.app.router.liveCall(busy)?.leg, 'the leg closed');
    expect((await view(busy)).audio).toMatchObject({ caller: ['agent'], agent: ['caller'], target: [] });
    const events = await timeline(busy);
    expect(events.map((e) => e.type)).toEqual(['leg.opened', 'leg.result', 'leg.closed']);
    expect(events.slice(1).map((e) => e.data)).toMatchObject([{ status: 'busy' }, { reason: 'unanswered' }]);
    await t.app.router.agentHangup(ids.a!, busy);
    await signOut('a');

    const callId = await answeredByA();
    expect(await t.app.callFlow.addInterpreter(callId, ids.a!, { number: '09716000001' })).toEqual({ ok: true });
    await until(async () => (await view(callId)).leg?.mode === 'three-way', 'the interpreter joined');
    expect((await view(callId)).audio).toMatchObject({ caller: ['agent', 'target'], agent: ['caller', 'target'], target: ['caller', 'agent'] });
    // The interpreter hangs up: caller and agent talk on.
    expect((await t.app.inject({ method: 'POST', url: `/sim/calls/${callId}/leg/hangup` })).statusCode).toBe(200);
    await until(() => !t.app.router.liveCall(callId)?.leg, 'the leg closed');
    expect((await t.app.inject({ method: 'POST', url: `/sim/calls/${callId}/leg/hangup` })).json()).toMatchObject({ code: 'HOTLINE_ERR_SIM_NO_LEG' });
    expect((await timeline(callId)).at(-1)!.data).toMatchObject({ reason: 'target_left' });
    await t.app.router.agentHangup(ids.a!, callId);
    await signOut('a');
  });

  it('an interpreter by language goes to a Tibetan speaker, never a Mandarin-only agent', async () => {
    const callId = await answeredByA();
    await signIn('b'); // Mandarin only, ready, and nearer
    expect(await t.app.callFlow.addInterpreter(callId, ids.a!, { language: 'bo' })).toEqual({ ok: true });
    await new Promise((r) => setTimeout(r, 200));
    expect(t.app.router.liveAgent(ids.b!)).toMatchObject({ state: 'ready' });
    await signIn('tibetan');
    await acceptOffer('tibetan');
    await until(async () => (await view(callId)).leg?.mode === 'three-way', 'the interpreter joined');
    expect((await view(callId)).leg).toMatchObject({ target: 'agent.bo' });
    expect(t.app.router.liveCall(callId)?.leg).toMatchObject({ purpose: 'interpreter', state: 'merged', agentId: ids.tibetan });
    // The caller hangs up: the interpreter is let go.
    await t.app.inject({ method: 'POST', url: `/sim/calls/${callId}/hangup` });
    await until(() => t.app.router.liveAgent(ids.tibetan!)?.state === 'ready', 'the interpreter free');
    expect((await timeline(callId)).at(-1)).toMatchObject({ type: 'leg.closed', data: { reason: 'call_ended' } });
    await signOut('a', 'b', 'tibetan');
  });

  it('interpreter fallback (a province setting): a Tibetan caller who waited goes to a Mandarin agent, and the listed interpreter is called in', async () => {
    const before = t.app.router.settings;
    t.app.router.settings = { ...before, interpreters: { fallbackSeconds: 1, languages: ['bo', 'mn'], numbers: [{ language: 'bo', name: '藏语翻译', number: '09716000002' }] } };
    try {
      await signIn('a');
      // Tibetan (key 2 on the language menu), Chengdong, labour.
      const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '13519712346', digits: '2101' } });
      const callId = res.json().callId as string;
      await until(() => t.app.router.liveCall(callId)?.language === 'bo', 'the caller queued in Tibetan');
      await acceptOffer('a');
      expect(t.app.router.liveCall(callId)).toMatchObject({ language: 'zh', interpret: 'bo', agentId: ids.a });
      await until(async () => (await view(callId)).leg?.mode === 'three-way', 'the interpreter joined');
      expect((await view(callId)).leg).toMatchObject({ target: '09716000002' });
      const events = await timeline(callId);
      expect(events.map((e) => e.type)).toEqual(['interpreter.fallback', 'leg.opened', 'leg.answered']);
      await t.app.router.agentHangup(ids.a!, callId);
      await signOut('a');
    } finally {
      t.app.router.settings = before;
    }
  });
});
