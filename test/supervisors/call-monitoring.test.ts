import { startTestApp, type TestApp } from '../support/app';
import { eventually } from '../support/tcp-proxy';

/**
 * Supervisors on agents' calls (issue 14, item 4), on the simulator, whose audio model says who
 * hears whom: listening is unheard, a whisper reaches the agent and never the caller, a barge is a
 * three-way call. Scope and audit, and taking an agent off the phones.
 */
describe('supervisor listen, whisper and barge (simulator)', () => {
  let t: TestApp;
  let agent: { id: string; token: string };
  let xiningSup: { id: string; token: string };
  let provinceSup: { id: string; token: string };
  let haidongSup: { id: string; token: string };

  beforeAll(async () => {
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    agent = await t.addUser({ username: 'agent.xining', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    xiningSup = await t.addUser({ username: 'sup.xining', role: 'supervisor', region: '630100' });
    provinceSup = await t.addUser({ username: 'sup.qinghai', role: 'supervisor', region: '630000' });
    haidongSup = await t.addUser({ username: 'sup.haidong', role: 'supervisor', region: '630200' });
  });
  afterAll(async () => t?.close());

  const until = async (probe: () => Promise<boolean> | boolean, what: string) => {
    if (!(await eventually(async () => probe(), 10_000, 10))) throw new Error(`timed out waiting for ${what}`);
  };
  const view = async (id: string) => (await t.app.inject({ method: 'GET', url: `/sim/calls/${id}` })).json();
  const monitor = (token: string, callId: string, mode: string | null) =>
    t.app.inject(
      mode
        ? { method: 'PUT', url: `/api/calls/${callId}/monitor`, headers: { authorization: `Bearer ${token}` }, payload: { mode } }
        : { method: 'DELETE', url: `/api/calls/${callId}/monitor`, headers: { authorization: `Bearer ${token}` } },
    );
  const audits = (callId: string) => t.app.db.selectFrom('audit_log').select(['action', 'actor_username', 'details']).where('entity_id', '=', callId).orderBy('id').execute();

  /** A Xining caller (Chengdong district) talking to the Xining agent. */
  async function connectedCall(): Promise<string> {
    await t.app.router.login({ id: agent.id, username: 'agent.xining', regionCode: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    await t.app.router.setReady(agent.id);
    const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '13519712345', digits: '1101' } });
    const callId = res.json().callId as string;
    await until(() => t.app.router.liveAgent(agent.id)?.state === 'reserved', 'the offer');
    expect((await t.app.router.accept(agent.id, t.app.router.liveAgent(agent.id)!.offerId!)).ok).toBe(true);
    await until(async () => (await view(callId)).status === 'connected', 'the bridge');
    return callId;
  }

  it('lets a supervisor of the area listen unheard, whisper to the agent alone, then barge in; each step audited', async () => {
    const callId = await connectedCall();
    expect((await view(callId)).audio).toEqual({ caller: ['agent'], agent: ['caller'], target: [], supervisor: [] });

    const listen = await monitor(xiningSup.token, callId, 'listen');
    expect(listen.statusCode).toBe(200);
    expect(listen.json()).toEqual({ callId, agentId: agent.id, mode: 'listen' });
    await until(async () => (await view(callId)).supervisor?.mode === 'listen', 'the supervisor on the line');
    let v = await view(callId);
    expect(v.supervisor).toEqual({ username: 'sup.xining', mode: 'listen' });
    // Hears both sides; nobody hears them.
    expect(v.audio).toEqual({ caller: ['agent'], agent: ['caller'], target: [], supervisor: ['caller', 'agent'] });

    expect((await monitor(xiningSup.token, callId, 'whisper')).statusCode).toBe(200);
    await until(async () => (await view(callId)).supervisor?.mode === 'whisper', 'the whisper');
    v = await view(callId);
    // The agent hears the coaching; the caller never does.
    expect(v.audio.agent).toContain('supervisor');
    expect(v.audio.caller).not.toContain('supervisor');
    expect(v.heard.map((h: { key: string }) => h.key)).not.toContain('supervisor_joined');

    expect((await monitor(xiningSup.token, callId, 'barge')).statusCode).toBe(200);
    await until(async () => (await view(callId)).supervisor?.mode === 'barge', 'the barge');
    v = await view(callId);
    expect(v.audio).toEqual({ caller: ['agent', 'supervisor'], agent: ['caller', 'supervisor'], target: [], supervisor: ['caller', 'agent'] });
    expect(v.heard.at(-1).key).toBe('supervisor_joined');

    const stop = await monitor(xiningSup.token, callId, null);
    expect(stop.json()).toMatchObject({ mode: null });
    await until(async () => (await view(callId)).supervisor === null, 'the supervisor to leave');
    expect((await view(callId)).audio).toEqual({ caller: ['agent'], agent: ['caller'], target: [], supervisor: [] });

    expect((await audits(callId)).filter((a) => a.action.startsWith('call.monitor')).map((a) => [a.action, a.actor_username, (a.details as { mode: string | null }).mode])).toEqual([
      ['call.monitor', 'sup.xining', 'listen'],
      ['call.monitor', 'sup.xining', 'whisper'],
      ['call.monitor', 'sup.xining', 'barge'],
      ['call.monitor.stop', 'sup.xining', null],
    ]);
    await t.app.callFlow.settled();
    await t.app.records.drained();
    const timeline = await t.app.db.selectFrom('call_events').select(['type', 'data']).where('call_id', '=', callId).where('type', '=', 'monitor').execute();
    expect(timeline.map((e) => (e.data as { mode: string | null }).mode)).toEqual(['listen', 'whisper', 'barge', null]);
    await t.app.router.agentHangup(agent.id, callId);
    await t.app.router.endWrapUp(agent.id, 'not_ready');
  });

  it("refuses a supervisor outside the call's area (audited), and a second supervisor while one is on the call", async () => {
    const callId = await connectedCall();
    const outside = await monitor(haidongSup.token, callId, 'listen');
    expect(outside.statusCode).toBe(403);
    expect(outside.json()).toMatchObject({ code: 'HOTLINE_ERR_OUT_OF_SCOPE' });
    expect((await view(callId)).supervisor).toBeNull();
    expect((await audits(callId)).map((a) => [a.action, a.actor_username])).toContainEqual(['call.monitor.refused', 'sup.haidong']);

    expect((await monitor(provinceSup.token, callId, 'listen')).statusCode).toBe(200);
    const second = await monitor(xiningSup.token, callId, 'whisper');
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: 'HOTLINE_ERR_MONITORED_BY_OTHER' });
    expect(second.json().message).toContain('sup.qinghai');
    // An agent may not monitor at all.
    expect((await monitor(agent.token, callId, 'listen')).statusCode).toBe(403);
    // The call ends: the supervisor leaves with it.
    await t.app.router.agentHangup(agent.id, callId);
    await until(async () => (await view(callId)).supervisor === null, 'the supervisor to leave with the call');
    expect((await monitor(provinceSup.token, callId, 'barge')).json()).toMatchObject({ code: 'HOTLINE_ERR_CALL_NOT_CONNECTED' });
    await t.app.router.endWrapUp(agent.id, 'not_ready');
  });

  it('lets a supervisor set an agent of the area not ready or sign them out, and no one else', async () => {
    await t.app.router.login({ id: agent.id, username: 'agent.xining', regionCode: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    await t.app.router.setReady(agent.id);
    const set = (token: string, state: string) => t.app.inject({ method: 'POST', url: `/api/agents/${agent.id}/state`, headers: { authorization: `Bearer ${token}` }, payload: { state } });

    const refused = await set(haidongSup.token, 'not_ready');
    expect(refused.statusCode).toBe(403);
    expect(t.app.router.liveAgent(agent.id)?.state).toBe('ready');
    expect((await set(xiningSup.token, 'lunch')).json()).toMatchObject({ code: 'HOTLINE_ERR_VALIDATION' });

    expect((await set(xiningSup.token, 'not_ready')).statusCode).toBe(200);
    expect(t.app.router.liveAgent(agent.id)).toMatchObject({ state: 'not_ready', reason: 'supervisor' });
    expect((await set(provinceSup.token, 'offline')).statusCode).toBe(200);
    expect(t.app.router.liveAgent(agent.id)?.state).toBe('offline');
    expect((await set(provinceSup.token, 'offline')).json()).toMatchObject({ code: 'HOTLINE_ERR_AGENT_NOT_SIGNED_IN' });
    const trail = await t.app.db.selectFrom('audit_log').select(['action', 'actor_username']).where('entity_id', '=', agent.id).where('action', 'like', 'agent.state%').orderBy('id').execute();
    expect(trail.map((a) => [a.action, a.actor_username])).toEqual([
      ['agent.state.refused', 'sup.haidong'],
      ['agent.state.forced', 'sup.xining'],
      ['agent.state.forced', 'sup.qinghai'],
    ]);
  });
});
