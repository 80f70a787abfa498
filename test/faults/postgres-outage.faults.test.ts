import type { FastifyInstance } from 'fastify';
import { startTestApp, type TestApp } from '../support/app';
import { ScriptedDesk } from '../support/cluster';
import { createPostgresDatabase } from '../support/databases';
import { ownRedisNamespace } from '../support/redis-namespace';
import { eventually, TcpProxy } from '../support/tcp-proxy';

/**
 * PostgreSQL unreachable for 20 s in the middle of traffic (a TCP proxy of the test's own in
 * front of the real server, cut and restored). Callers keep being served from the live state;
 * what the database did not take waits in the outbox's journal and is written when it is back.
 * Afterwards every call placed has its row and has ended, no agent is left on a call, and the
 * API answered 503 with Retry-After — not 500 — while the database was away.
 */
describe('PostgreSQL cut for 20 s mid-traffic', () => {
  const redis = ownRedisNamespace();
  let proxy: TcpProxy;
  let drop: () => Promise<void>;
  let t: TestApp;
  let app: FastifyInstance;
  const desks: ScriptedDesk[] = [];

  beforeAll(async () => {
    const db = await createPostgresDatabase();
    drop = db.drop;
    const target = new URL(db.url);
    proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    target.host = `127.0.0.1:${proxy.port}`;
    t = await startTestApp({ database: { kind: 'postgres', url: target.toString() }, sim: { keyDelayMs: 50, timeScale: 0.05 }, ...redis() });
    app = t.app;
    await app.listen({ port: 0, host: '127.0.0.1' });
  }, 120_000);

  afterAll(async () => {
    for (const d of desks) d.close();
    await t?.close();
    await proxy?.stop();
    await drop?.();
  }, 120_000);

  it('serves every caller through the cut, writes every record afterwards, leaves no agent stuck, and answers 503 meanwhile', async () => {
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const node = { base, alive: () => true };
    for (let i = 0; i < 6; i++) {
      const a = await t.addUser({ username: `agent.pg${i}`, role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
      desks.push(new ScriptedDesk(a, () => [node], 0, { acceptMs: 100, talkMs: 800 + i * 150 }));
    }
    const supervisor = await t.addUser({ username: 'sup.pg', role: 'supervisor', region: '630100' });
    const allReady = await eventually(async () => app.router.snapshot().agents.filter((a) => a.state === 'ready').length === 6, 20_000);
    expect({ allReady, desks: desks.map((d) => [d.state, d.log.errors]) }).toMatchObject({ allReady: true });

    const placed: string[] = [];
    const during: { status: number; retryAfter: string | null }[] = [];
    const place = async (i: number) => {
      const res = await app.inject({ method: 'POST', url: '/sim/calls', payload: { from: `1351971${String(1000 + i).slice(-4)}`, digits: '11005', patienceSeconds: 1200 } });
      if (res.statusCode === 201) placed.push(res.json().callId);
    };
    // 10 s of calls, then 20 s with the database cut, then 5 s more: about three a second.
    let i = 0;
    const traffic = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        await place(i++);
        await new Promise((r) => setTimeout(r, 330));
      }
    };
    await traffic(10_000);
    proxy.interrupt();
    const cutAt = Date.now();
    await traffic(3_000);
    for (const url of ['/api/tickets', '/api/calls', '/api/callbacks']) {
      const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${supervisor.token}` } });
      during.push({ status: res.statusCode, retryAfter: res.headers['retry-after'] as string | null });
    }
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    await traffic(20_000 - (Date.now() - cutAt));
    const heldDuringCut = app.records.backlog;
    proxy.restore();
    await traffic(5_000);

    // Everyone finishes: callers through the survey, records through the journal.
    const simulated = async () => Promise.all(placed.map(async (id) => (await app.inject({ method: 'GET', url: `/sim/calls/${id}` })).json()));
    expect(await eventually(async () => (await simulated()).every((c) => c.status === 'ended'), 120_000, 500)).toBe(true);
    await app.callFlow.settled();
    await app.callRecorder.flush();
    await app.records.drained();
    const rows = await app.db.selectFrom('calls').select(['id', 'status', 'end_reason']).where('id', 'in', placed).execute();
    const ended = rows.filter((r) => r.status === 'ended');
    const sims = await simulated();
    const stuckAgents = app.router.snapshot().agents.filter((a) => a.state === 'on_call' || a.state === 'reserved');
    const counts = {
      placed: placed.length,
      rows: rows.length,
      ended: ended.length,
      answered: ended.filter((r) => r.end_reason === 'answered').length,
      keptInJournal: heldDuringCut,
      strandedInSurvey: sims.filter((c) => c.status === 'survey').length,
      stuckAgents: stuckAgents.length,
      rejectedRecords: app.records.rejectedCount,
    };
    process.stdout.write(`PostgreSQL cut 20 s: ${JSON.stringify(counts)}\n`);

    expect(during).toEqual([503, 503, 503].map((status) => ({ status, retryAfter: '5' })));
    expect(ready.statusCode).toBe(503);
    expect(heldDuringCut).toBeGreaterThan(0);
    expect(counts).toMatchObject({ rows: placed.length, ended: placed.length, strandedInSurvey: 0, stuckAgents: 0, rejectedRecords: 0 });
    expect(counts.answered).toBe(placed.length);
    // Every answered call has its ticket and the caller's score, written after the cut too.
    const tickets = await app.db.selectFrom('tickets').select(['call_id', 'survey_score']).where('call_id', 'in', placed).execute();
    expect(tickets).toHaveLength(placed.length);
    expect(tickets.every((tk) => tk.survey_score === 5)).toBe(true);
  }, 300_000);
});
