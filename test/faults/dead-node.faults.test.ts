import { RedisProcess } from '../support/redis-process';
import { eventually } from '../support/tcp-proxy';
import { type FaultCluster, startFaultCluster } from './harness';

/**
 * A node killed with SIGKILL while it carried calls: one in the menus, one waiting in the queue
 * for a Mongolian speaker nobody has, one connected to an agent whose desk is on the other node.
 * The simulated callers lived in the dead process, so the calls are gone: the surviving node's
 * reaper notices their node is dead, asks the phone system, and closes each as the hang-up it
 * was, saying why (node_lost) — nothing stays open, no agent stays on a call that is gone.
 */
describe('a node killed with SIGKILL while carrying calls', () => {
  let redis: RedisProcess;
  let c: FaultCluster;

  beforeAll(async () => {
    redis = await RedisProcess.start();
    // Real time on the simulated phones: menus wait 10 s for a key, so a silent caller stays in them.
    c = await startFaultCluster({ name: 'dead-node', nodes: 2, env: { REDIS_URL: redis.url, SIM_TIME_SCALE: '1' }, agents: 1, talkMs: 600_000, deskNode: () => 1 });
  }, 300_000);

  afterAll(async () => {
    await c?.close();
    await redis?.stop();
  }, 120_000);

  it("closes the dead node's calls in the menus, in the queue and connected, within a minute, and frees the agent", async () => {
    const [victim, survivor] = c.nodes as [(typeof c.nodes)[0], (typeof c.nodes)[0]];
    const connected = await c.place(victim, { from: '13519710001', digits: '1100' });
    expect(await eventually(async () => ((await c.agentsByState(survivor)).on_call ?? 0) === 1, 30_000, 200)).toBe(true);
    const queued = await c.place(victim, { from: '13519710002', digits: '3100', patienceSeconds: 3600 });
    const inMenus = await c.place(victim, { from: '13519710003', digits: '' });
    expect(await eventually(async () => (await c.db.selectFrom('calls').select('status').where('id', '=', queued!).executeTakeFirst())?.status === 'queued', 30_000, 200)).toBe(true);
    expect((await c.db.selectFrom('calls').select('status').where('id', '=', inMenus!).executeTakeFirstOrThrow()).status).toBe('ivr');

    await victim.kill();
    const killedAt = Date.now();
    const rows = await c.settle(90_000);
    const closedWithin = Date.now() - killedAt;
    const byId = new Map(rows.map((r) => [r.id, r]));
    const agents = await c.agentsByState(survivor);
    process.stdout.write(`Dead node: ${JSON.stringify({ closedWithinMs: closedWithin, rows, agents })}\n`);

    expect(byId.get(inMenus!)).toMatchObject({ status: 'ended', end_reason: 'abandoned', end_detail: 'node_lost' });
    expect(byId.get(queued!)).toMatchObject({ status: 'ended', end_reason: 'abandoned', end_detail: 'node_lost' });
    expect(byId.get(connected!)).toMatchObject({ status: 'ended', end_reason: 'answered', end_detail: 'node_lost' });
    expect(closedWithin).toBeLessThan(90_000);
    // The agent's call ended with it: wrap-up, then ready again — not on a call that is gone.
    expect(agents.on_call ?? 0).toBe(0);
    expect(c.desks[0]!.log.ended).toBeGreaterThanOrEqual(1);
    // Nothing of the dead node's calls is left in the live queue.
    const snapshot = await (await fetch(`${survivor.base}/api/queue/snapshot`, { headers: { authorization: `Bearer ${c.adminToken}` } })).json();
    expect(snapshot.calls).toEqual([]);
  }, 240_000);
});
