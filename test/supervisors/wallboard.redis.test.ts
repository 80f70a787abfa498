import { AgentSocket } from '../support/agent-socket';
import { startTestApp, type TestApp } from '../support/app';
import { ownRedisNamespace } from '../support/redis-namespace';
import { BoardSocket } from './board-socket';

/**
 * Two nodes sharing the live state in the real Redis: a wallboard on one node shows calls and
 * agents handled by the other, and hears the alerts the other node's routing raises.
 */
describe('/supervisors/ws across nodes (Redis live state)', () => {
  const redis = ownRedisNamespace();
  let a: TestApp;
  let b: TestApp;
  let baseA: string;
  let baseB: string;
  const open: (BoardSocket | AgentSocket)[] = [];

  const listen = async (t: TestApp) => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    return `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  };

  beforeAll(async () => {
    a = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 }, ...redis() });
    b = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 }, ...redis() });
    baseA = await listen(a);
    baseB = await listen(b);
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await a?.close();
    await b?.close();
  });

  it("shows on node B a call waiting and an agent signed in on node A, and B's board hears A's missed-call alert", async () => {
    const supervisor = await b.addUser({ username: 'sup.yushu', role: 'supervisor', region: '632700' });
    const agent = await a.addUser({ username: 'agent.yushu', role: 'agent', region: '632701', languages: { zh: 5 }, topics: { labour: 5 } });
    const board = await BoardSocket.open(baseB, supervisor.token);
    open.push(board);
    await board.board((x) => x.root.waiting === 0);

    const desk = await AgentSocket.open(baseA, agent.token);
    open.push(desk);
    await board.board((x) => x.root.agents.not_ready === 1 && x.regions['632701']!.seatsLoggedIn === 1);

    a.app.router.settings = { ...a.app.router.settings, missedAlertThreshold: 1 };
    const res = await a.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '09768123456', digits: '11015' } });
    expect(res.statusCode).toBe(201);
    const callId = res.json().callId as string;
    await board.board((x) => x.root.waiting === 1 && x.regions['632701']!.waiting === 1);

    await desk.answer(desk.send({ type: 'state.set', state: 'ready' }));
    const offer = await desk.next('offer');
    await desk.answer(desk.send({ type: 'offer.decline', offerId: offer.offerId }));
    expect(await board.next('alert', (f) => f.kind === 'missed_call' && f.callId === callId)).toMatchObject({ regionCode: '632701', missedBy: 1 });

    await a.app.inject({ method: 'POST', url: `/sim/calls/${callId}/hangup` });
    await board.board((x) => x.root.waiting === 0);
    await a.app.router.logout(agent.id);
  });
});
