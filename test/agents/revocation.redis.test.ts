import type { DatabaseConfig } from '../../src/config/config';
import { jsonb } from '../../src/db/json';
import { AgentSocket } from '../support/agent-socket';
import { bearer, startTestApp, type TestApp } from '../support/app';
import { createPostgresDatabase } from '../support/databases';
import { ownRedisNamespace } from '../support/redis-namespace';
import { BoardSocket } from '../supervisors/board-socket';

/**
 * Two nodes on one Redis: an account changed through node A has its desk and wallboard on
 * node B closed (4003) at once, not at B's next 30-second re-check.
 */
describe('revoked sign-ins across nodes', () => {
  const redis = ownRedisNamespace();
  let a: TestApp;
  let b: TestApp;
  let baseB: string;
  let dropShared = async () => {};
  const open: (AgentSocket | BoardSocket)[] = [];

  beforeAll(async () => {
    // The nodes of one deployment share the database; without PostgreSQL each has its own
    // PGlite and the accounts are copied to B (the announcement is what is under test).
    let database: DatabaseConfig | undefined;
    if (process.env.DATABASE_URL) {
      const shared = await createPostgresDatabase();
      database = { kind: 'postgres', url: shared.url };
      dropShared = shared.drop;
    }
    const settings = { sim: { keyDelayMs: 0, timeScale: 0.001 }, ...redis(), ...(database ? { database } : {}) };
    a = await startTestApp(settings);
    b = await startTestApp(settings);
    await b.app.listen({ port: 0, host: '127.0.0.1' });
    baseB = `http://127.0.0.1:${(b.app.server.address() as { port: number }).port}`;
  }, 120_000);
  afterAll(async () => {
    for (const s of open) s.close();
    await a?.close();
    await b?.close();
    await dropShared();
  });

  /** An account made on A, known to B (same database, or copied with its id), with a token B accepts. */
  const account = async (username: string, role: 'agent' | 'supervisor', region: string) => {
    const made = await a.addUser({ username, role, region, languages: { zh: 5 }, topics: { labour: 5 } });
    if (!process.env.DATABASE_URL) {
      const row = await a.app.db.selectFrom('agents').selectAll().where('id', '=', made.id).executeTakeFirstOrThrow();
      await b.app.db
        .insertInto('agents')
        .values({ ...row, languages: jsonb(row.languages), topics: jsonb(row.topics) })
        .execute();
    }
    return made;
  };
  const patchOnA = async (admin: { token: string }, id: string, body: Record<string, unknown>) => {
    const res = await a.app.inject({ method: 'PATCH', url: `/api/agents/${id}`, headers: bearer(admin.token), payload: body });
    expect(res.statusCode).toBe(200);
  };

  it('closes on B, within seconds, the desk and the board of accounts disabled or given a new password on A', async () => {
    const admin = await a.addUser({ username: 'admin.nodes', role: 'admin', region: '630000' });
    const agent = await account('agent.nodes', 'agent', '630100');
    const supervisor = await account('sup.nodes', 'supervisor', '630100');

    const desk = await AgentSocket.open(baseB, agent.token);
    const wallboard = await BoardSocket.open(baseB, supervisor.token);
    open.push(desk, wallboard);
    await desk.next('queue.stats');

    await patchOnA(admin, agent.id, { disabled: true });
    await patchOnA(admin, supervisor.id, { password: 'changed-password-1' });
    expect((await desk.whenClosed(5_000)).code).toBe(4003);
    expect((await wallboard.whenClosed(5_000)).code).toBe(4003);
  });
});
