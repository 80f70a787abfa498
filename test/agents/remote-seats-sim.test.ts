import { AgentSocket } from '../support/agent-socket';
import { bearer, startTestApp, type TestApp } from '../support/app';
import { eventually } from '../support/tcp-proxy';

/**
 * Remote seats through the simulator: a duty lawyer whose seat is their mobile. The supervisor
 * puts the seat on the rota; an offer rings the phone, the lawyer hears who is calling and
 * presses 1, the caller is put through; the ticket stays the lawyer's to finish at the web desk.
 * A phone that is not answered is a missed offer, as at the desk.
 */
describe('remote seats through the simulator', () => {
  let t: TestApp;
  let admin: { id: string; token: string };
  let supervisor: { id: string; token: string };
  let lawyer: { id: string; token: string; number: string };

  beforeAll(async () => {
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    admin = await t.addUser({ username: 'admin.rs', role: 'admin', region: '630000' });
    supervisor = await t.addUser({ username: 'sup.xining.rs', role: 'supervisor', region: '630100' });
  }, 60_000);
  afterAll(async () => t?.close());

  const until = async (probe: () => boolean | Promise<boolean>, what: string) => {
    if (!(await eventually(async () => probe(), 15_000, 20))) throw new Error(`timed out waiting for ${what}`);
  };
  const simCall = async (id: string) => (await t.app.inject({ method: 'GET', url: `/sim/calls/${id}` })).json();

  it('refuses a seat phone that is not a mainland mobile or landline, naming the field', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/agents',
      headers: bearer(admin.token),
      payload: { username: 'lawyer.bad', password: 'long-enough-1', displayName: '律师', servingRegion: '630100', languages: { zh: 5 }, seatPhone: '12345' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/body\.seatPhone: must be a mainland mobile/);
    const abroad = await t.app.inject({
      method: 'POST',
      url: '/api/agents',
      headers: bearer(admin.token),
      payload: { username: 'lawyer.bad', password: 'long-enough-1', displayName: '律师', servingRegion: '630100', languages: { zh: 5 }, seatPhone: '+14155550100' },
    });
    expect(abroad.statusCode).toBe(400);
  });

  it('a supervisor gives an agent a seat phone and puts the seat on the rota; it shows as remote', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/agents',
      headers: bearer(admin.token),
      payload: { username: 'lawyer.remote', password: 'long-enough-1', displayName: '值班律师', servingRegion: '630100', languages: { zh: 5 }, topics: { labour: 4 } },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ seatPhone: null, remoteSeat: false });
    const id = created.json().id as string;
    // No phone yet: cannot answer on it.
    const early = await t.app.inject({ method: 'PUT', url: `/api/agents/${id}/remote-seat`, headers: bearer(supervisor.token), payload: { state: 'ready' } });
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('HOTLINE_ERR_NO_SEAT_PHONE');

    const patched = await t.app.inject({ method: 'PATCH', url: `/api/agents/${id}`, headers: bearer(supervisor.token), payload: { seatPhone: '+86 138-9712-3456' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ seatPhone: '13897123456', remoteSeat: false });

    const on = await t.app.inject({ method: 'PUT', url: `/api/agents/${id}/remote-seat`, headers: bearer(supervisor.token), payload: { state: 'ready' } });
    expect(on.statusCode).toBe(200);
    expect(on.json()).toMatchObject({ agentId: id, remoteSeat: true, state: 'ready', seatPhone: '13897123456' });
    expect(t.app.router.liveAgent(id)?.state).toBe('ready');
    // The wallboard's agents panel lists it like any other, marked remote.
    const list = await t.app.inject({ method: 'GET', url: '/api/agents?region=630100&role=agent', headers: bearer(supervisor.token) });
    expect(list.json().items.find((a: { id: string }) => a.id === id)).toMatchObject({ remoteSeat: true, seatPhone: '13897123456' });
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'lawyer.remote', password: 'long-enough-1' } });
    lawyer = { id, token: login.json().token, number: '13897123456' };
  });

  it('a remote seat accepting with 1: the caller is put through, and the ticket stays open for the lawyer at the web desk', async () => {
    t.app.simSeats!.answer(lawyer.number, 'press1');
    const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '13519712345', digits: '11015' } });
    expect(res.statusCode).toBe(201);
    const callId = res.json().callId as string;
    await until(async () => (await simCall(callId)).status === 'connected', 'the caller to be put through');
    expect(t.app.router.liveCall(callId)).toMatchObject({ status: 'connected', agentId: lawyer.id });
    const [ring] = t.app.simSeats!.rings(lawyer.number);
    // The lawyer heard who is calling before pressing 1.
    expect(ring).toMatchObject({ callId, pressed: '1', status: 'talking', outcome: 'accepted' });
    expect(ring!.heard).toContain('西宁市城东区');
    expect(ring!.heard).toContain('普通话');
    expect(ring!.heard).toContain('劳动争议');
    const caller = await simCall(callId);
    expect(caller.agentUsername).toBe('lawyer.remote');

    // The lawyer hangs up their phone: the caller goes on to the survey and the call is answered.
    expect(await t.app.simSeats!.agentHangsUp(ring!.offerId)).toBe(true);
    await until(async () => (await simCall(callId)).status === 'ended', 'the call to end');
    await t.app.callFlow.settled();
    await t.app.callRecorder.flush();
    await t.app.records.drained();
    const row = await t.app.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'ended', end_reason: 'answered', agent_id: lawyer.id });
    const events = (await t.app.db.selectFrom('call_events').select('type').where('call_id', '=', callId).execute()).map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['remote_seat.ringing', 'remote_seat.key', 'connected', 'bridged']));

    // The ticket is the lawyer's, open: they finish it later at the web desk (tickets API).
    const ticket = await t.app.db.selectFrom('tickets').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
    expect(ticket).toMatchObject({ agent_id: lawyer.id, outcome: null });
    const mine = await t.app.inject({ method: 'GET', url: '/api/tickets', headers: bearer(lawyer.token) });
    expect(mine.json().items.map((i: { id: string }) => i.id)).toContain(ticket.id);
    const saved = await t.app.inject({ method: 'PATCH', url: `/api/tickets/${ticket.id}`, headers: bearer(lawyer.token), payload: { summary: '工资拖欠三个月', outcome: 'answered' } });
    expect(saved.statusCode).toBe(200);
    await t.app.router.endWrapUp(lawyer.id, 'ready');
  });

  it('a remote seat missing by not answering: not ready (missed), the caller back in their place', async () => {
    t.app.simSeats!.answer(lawyer.number, 'no_answer');
    await until(() => t.app.router.liveAgent(lawyer.id)?.state === 'ready', 'the seat to be ready');
    const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '13519712399', digits: '11015' } });
    const callId = res.json().callId as string;
    await until(() => t.app.router.liveAgent(lawyer.id)?.state === 'not_ready', 'the missed offer');
    expect(t.app.router.liveAgent(lawyer.id)).toMatchObject({ state: 'not_ready', reason: 'missed' });
    expect(t.app.router.liveCall(callId)).toMatchObject({ status: 'waiting', missedBy: [lawyer.id] });
    expect(t.app.simSeats!.rings(lawyer.number).at(-1)).toMatchObject({ callId, status: 'ended', outcome: 'no_answer', pressed: null });
    expect((await simCall(callId)).status).toBe('queued');

    // A supervisor puts the seat off the rota; the caller hangs up.
    const off = await t.app.inject({ method: 'PUT', url: `/api/agents/${lawyer.id}/remote-seat`, headers: bearer(supervisor.token), payload: { state: 'offline' } });
    expect(off.json()).toMatchObject({ remoteSeat: false, state: 'offline' });
    await t.app.inject({ method: 'POST', url: `/sim/calls/${callId}/hangup` });
    await t.app.callFlow.settled();
  });

  it('lets the agent sign themself in as a remote seat, but not anyone else', async () => {
    const other = await t.addUser({ username: 'agent.other.rs', role: 'agent', region: '630100' });
    const theirs = await t.app.inject({ method: 'PUT', url: `/api/agents/${lawyer.id}/remote-seat`, headers: bearer(other.token), payload: { state: 'ready' } });
    expect(theirs.statusCode).toBe(403);
    const mine = await t.app.inject({ method: 'PUT', url: `/api/agents/${lawyer.id}/remote-seat`, headers: bearer(lawyer.token), payload: { state: 'not_ready', reason: 'meal' } });
    expect(mine.json()).toMatchObject({ remoteSeat: true, state: 'not_ready' });
    expect(t.app.router.liveAgent(lawyer.id)).toMatchObject({ state: 'not_ready', reason: 'meal' });
    const bad = await t.app.inject({ method: 'PUT', url: `/api/agents/${lawyer.id}/remote-seat`, headers: bearer(lawyer.token), payload: { state: 'ready', reason: 'meal' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/body\.reason/);
    await t.app.inject({ method: 'PUT', url: `/api/agents/${lawyer.id}/remote-seat`, headers: bearer(lawyer.token), payload: { state: 'offline' } });
  });

  it("tells the lawyer's web desk that calls ring their phone while they are on the rota", async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    await t.app.inject({ method: 'PUT', url: `/api/agents/${lawyer.id}/remote-seat`, headers: bearer(lawyer.token), payload: { state: 'not_ready', reason: 'meal' } });
    const desk = await AgentSocket.open(base, lawyer.token);
    try {
      expect(desk.hello).toMatchObject({ agent: { id: lawyer.id, remoteSeat: true } });
    } finally {
      desk.close();
    }
    await t.app.inject({ method: 'PUT', url: `/api/agents/${lawyer.id}/remote-seat`, headers: bearer(lawyer.token), payload: { state: 'offline' } });
    const again = await AgentSocket.open(base, lawyer.token);
    try {
      expect(again.hello).toMatchObject({ agent: { id: lawyer.id, remoteSeat: false } });
    } finally {
      again.close();
    }
  });
});
