import { sql } from 'kysely';
import { RedisProcess } from '../support/redis-process';
import { eventually, TcpProxy } from '../support/tcp-proxy';
import { type FaultCluster, startFaultCluster } from './harness';

/**
 * The faults of a bad week in one run: three nodes under steady traffic; one node is killed with
 * SIGKILL, Redis is restarted without its data, and PostgreSQL is cut for 10 s. Afterwards the
 * records are held against the invariants: every call placed has its row and has ended; every
 * caller on a surviving node was answered (a caller on the killed node went with it and is
 * closed as node_lost); no call was offered to two agents at once; no call has two tickets;
 * no agent is left on a call.
 */
describe('chaos: a node killed, Redis restarted empty and PostgreSQL cut in one run', () => {
  let redis: RedisProcess;
  let pgProxy: TcpProxy;
  let c: FaultCluster;

  beforeAll(async () => {
    redis = await RedisProcess.start();
    c = await startFaultCluster({
      name: 'chaos',
      nodes: 3,
      env: { REDIS_URL: redis.url },
      agents: 20,
      talkMs: 1_200,
      databaseUrl: async (direct) => {
        const url = new URL(direct);
        pgProxy = await new TcpProxy(url.hostname, Number(url.port || 5432)).start();
        url.host = `127.0.0.1:${pgProxy.port}`;
        return url.toString();
      },
    });
  }, 300_000);

  afterAll(async () => {
    await c?.close();
    await pgProxy?.stop();
    await redis?.stop();
  }, 120_000);

  it('loses no call, strands nothing, offers no call twice and opens no ticket twice', async () => {
    const traffic = c.traffic(95_000, 6);
    const at = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const started = Date.now();
    const since = () => Date.now() - started;

    await at(15_000);
    await c.nodes[2]!.kill();
    const killedAt = since();

    await at(35_000 - since());
    await redis.kill();
    await at(6_000);
    await redis.up();
    const redisBackAt = Date.now();

    await at(65_000 - since());
    pgProxy.interrupt();
    await at(10_000);
    pgProxy.restore();

    await traffic;
    const rows = await c.settle(300_000);
    const onSurvivors = rows.filter((r) => c.placedOn.get(r.id) !== 2);
    const onVictim = rows.filter((r) => c.placedOn.get(r.id) === 2);
    const doubles = await c.doubleOffers();
    const { rows: dupTickets } = await sql<{ call_id: string; n: number }>`
      select call_id, count(*)::int as n from tickets where call_id is not null group by call_id having count(*) > 1`.execute(c.db);
    const answered = rows.filter((r) => r.end_reason === 'answered').map((r) => r.id);
    const tickets = answered.length
      ? Number((await c.db.selectFrom('tickets').select(sql<number>`count(*)::int`.as('n')).where('call_id', 'in', answered).executeTakeFirstOrThrow()).n)
      : 0;
    const agents = await c.agentsByState();
    const byEnd: Record<string, number> = {};
    for (const r of rows) {
      const k = `${r.status}:${r.end_reason}${r.end_detail ? `:${r.end_detail}` : ''}`;
      byEnd[k] = (byEnd[k] ?? 0) + 1;
    }
    const counts = {
      placed: c.placed.length,
      refused: c.refused.length,
      rows: rows.length,
      missingRows: c.placed.length - rows.length,
      stuck: rows.filter((r) => r.status !== 'ended').length,
      lost: onSurvivors.filter((r) => r.status !== 'ended' || r.end_reason !== 'answered').length,
      onKilledNode: onVictim.length,
      onKilledNodeClosedAsNodeLost: onVictim.filter((r) => r.end_detail === 'node_lost').length,
      doubleOffers: doubles.length,
      duplicateTickets: dupTickets.length,
      answeredWithoutTicket: answered.length - tickets,
      agentsStuck: (agents.on_call ?? 0) + (agents.reserved ?? 0),
      firstOfferAfterRedisBackMs: (c.firstOfferAfter(redisBackAt) ?? Infinity) - redisBackAt,
      killedAtMs: killedAt,
      byEnd,
    };
    process.stdout.write(`Chaos run: ${JSON.stringify(counts)}\n`);
    for (const d of doubles) process.stdout.write(`  ${d}\n`);
    // What happened to a call that did not end well, to read with the nodes' logs (test-artifacts/faults/chaos-node*.log).
    const doubled = new Set(doubles.map((d) => d.split(' ')[1]));
    for (const r of rows.filter((x) => x.status !== 'ended' || (c.placedOn.get(x.id) !== 2 && x.end_reason !== 'answered') || doubled.has(x.id))) {
      const timeline = await c.db.selectFrom('call_events').select(['at', 'type', 'data']).where('call_id', '=', r.id).orderBy('at').execute();
      process.stdout.write(`  ${r.id} on node ${c.placedOn.get(r.id)}: ${r.status}/${r.end_reason} ${JSON.stringify(timeline.map((e) => [e.at.getTime() - started, e.type, e.data]))}\n`);
    }

    // 6 calls/s for 95 s, less those refused while Redis was down; a loaded machine places fewer
    // (494 seen at load 4): what counts is that traffic flowed through every fault.
    expect(counts.placed).toBeGreaterThanOrEqual(400);
    expect(counts).toMatchObject({ missingRows: 0, stuck: 0, lost: 0, doubleOffers: 0, duplicateTickets: 0, answeredWithoutTicket: 0, agentsStuck: 0 });
    expect(doubles).toEqual([]);
    // Every call of the killed node is over: answered before it died, or closed with why (its
    // node was gone; or, its flow lost with Redis after that, nobody carried it).
    expect(onVictim.every((r) => r.end_reason === 'answered' || r.end_detail === 'node_lost' || r.end_detail === 'lost')).toBe(true);
    expect(await eventually(async () => (await Promise.all(c.nodes.filter((n) => n.alive()).map(async (n) => (await fetch(`${n.base}/readyz`)).status))).every((s) => s === 200), 30_000)).toBe(true);
  }, 900_000);
});
