import fs from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema';
import { addStaff, doubleOffers, openDb, placeCall, ScriptedDesk, type ServiceNode, startNode } from '../support/cluster';
import { createPostgresDatabase } from '../support/databases';
import { eventually } from '../support/tcp-proxy';

/**
 * A province run by several service nodes (processes) on one PostgreSQL database and one Redis
 * of the test's choosing, agents working at scripted desks, callers placed through the
 * simulator — what each fault test breaks and then checks.
 */

export interface FaultCluster {
  nodes: ServiceNode[];
  db: Kysely<Database>;
  desks: ScriptedDesk[];
  adminToken: string;
  placed: string[];
  /** Which node each placed call was placed on. */
  placedOn: Map<string, number>;
  /** Calls the nodes refused to take (no call was started), with when. */
  refused: number[];
  /** Places calls round-robin over living nodes, `perSecond`, for `ms`. */
  traffic(ms: number, perSecond: number): Promise<void>;
  /** Places one call on a node. */
  place(node: ServiceNode, body: { from: string; digits: string; patienceSeconds?: number }): Promise<string | null>;
  agentsByState(node?: ServiceNode): Promise<Record<string, number>>;
  /** Waits until every placed call's record has ended (or the time is up); returns the records. */
  settle(timeoutMs: number): Promise<{ id: string; status: string; end_reason: string | null; end_detail: string | null }[]>;
  /** The first offer any desk received after `since` (ms), or null. */
  firstOfferAfter(since: number): number | null;
  doubleOffers(): Promise<string[]>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** Names the nodes' logs, kept in test-artifacts/faults/ for a look after a run. */
  name: string;
  nodes: number;
  /** REDIS_URL or REDIS_SENTINELS…, and anything else every node needs. */
  env: Record<string, string>;
  /** Which node each desk starts on (default: spread over all). */
  deskNode?: (i: number) => number;
  /** The nodes' DATABASE_URL (through a proxy the test may cut); the test reads through `directUrl`. */
  databaseUrl?: (directUrl: string) => Promise<string>;
  agents: number;
  talkMs: number;
}

export async function startFaultCluster(o: ClusterOptions): Promise<FaultCluster> {
  const database = await createPostgresDatabase();
  const nodeUrl = o.databaseUrl ? await o.databaseUrl(database.url) : database.url;
  const env = { DATABASE_URL: nodeUrl, SIM_TIME_SCALE: '0.05', SIM_KEY_DELAY_MS: '50', REDIS_NAMESPACE: 'faults', ...o.env };
  const nodes: ServiceNode[] = [];
  const desks: ScriptedDesk[] = [];
  const db = openDb(database.url);
  const close = async () => {
    for (const d of desks) d.close();
    await Promise.all(nodes.map((n) => n.kill()));
    const dir = path.join(__dirname, '..', '..', 'test-artifacts', 'faults');
    await fs.mkdir(dir, { recursive: true });
    for (const n of nodes) await fs.writeFile(path.join(dir, `${o.name}-node${n.index}.log`), n.output());
    await db.destroy();
    await database.drop();
  };
  try {
    // The first node migrates and imports the province; the others start on it.
    nodes.push(await startNode(0, env));
    for (let i = 1; i < o.nodes; i++) nodes.push(await startNode(i, env));
    const [admin] = await addStaff(db, [{ username: 'admin.faults', role: 'admin', region: '630000' }]);
    const agents = await addStaff(
      db,
      Array.from({ length: o.agents }, (_, i) => ({ username: `agent.f${i}`, role: 'agent' as const, region: '630100', languages: { zh: 5 }, topics: { labour: 5 } })),
    );
    agents.forEach((a, i) => desks.push(new ScriptedDesk(a, () => nodes, o.deskNode?.(i) ?? i, { acceptMs: 100, talkMs: o.talkMs + (i % 5) * 100 })));
    const placed: string[] = [];
    const placedOn = new Map<string, number>();
    const refused: number[] = [];
    let n = 0;
    const cluster: FaultCluster = {
      nodes,
      db,
      desks,
      adminToken: admin!.token,
      placed,
      placedOn,
      refused,
      async traffic(ms, perSecond) {
        const until = Date.now() + ms;
        const gap = 1000 / perSecond;
        const pending: Promise<void>[] = [];
        while (Date.now() < until) {
          const live = nodes.filter((x) => x.alive());
          const node = live[n % live.length]!;
          const i = n++;
          // Xining mobiles; Mandarin, labour, no group, no district; a survey score of 5.
          pending.push(
            placeCall(node, admin!.token, { from: `1351971${String(i % 10_000).padStart(4, '0')}`, digits: '11005', patienceSeconds: 2400 }).then((id) => {
              if (id) {
                placed.push(id);
                placedOn.set(id, node.index);
              } else refused.push(Date.now());
            }),
          );
          await new Promise((r) => setTimeout(r, gap));
        }
        await Promise.all(pending);
      },
      async place(node, body) {
        const id = await placeCall(node, admin!.token, body);
        if (id) {
          placed.push(id);
          placedOn.set(id, node.index);
        }
        return id;
      },
      async agentsByState(node = nodes.find((x) => x.alive())!) {
        const res = await fetch(`${node.base}/api/queue/snapshot`, { headers: { authorization: `Bearer ${admin!.token}` } });
        if (res.status !== 200) return {};
        return ((await res.json()) as { totals: { agents: Record<string, number> } }).totals.agents;
      },
      async settle(timeoutMs) {
        const read = () => db.selectFrom('calls').select(['id', 'status', 'end_reason', 'end_detail']).where('id', 'in', placed.length ? placed : ['00000000-0000-0000-0000-000000000000']).execute();
        await eventually(async () => {
          const rows = await read();
          return rows.length === placed.length && rows.every((r) => r.status === 'ended');
        }, timeoutMs, 1_000);
        return read();
      },
      firstOfferAfter(since) {
        const times = desks.flatMap((d) => d.log.offerTimes).filter((t) => t > since);
        return times.length ? Math.min(...times) : null;
      },
      doubleOffers: () => doubleOffers(db, placed),
      close,
    };
    expect(await eventually(async () => ((await cluster.agentsByState()).ready ?? 0) === o.agents, 60_000, 250)).toBe(true);
    return cluster;
  } catch (err) {
    await close();
    throw err;
  }
}
