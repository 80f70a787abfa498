import { performance } from 'node:perf_hooks';
import { createSigner } from 'fast-jwt';
import pg from 'pg';
import WebSocket from 'ws';

/** When a desk last saw each step of an agent's turnaround (the frames it got, performance.now()). */
export interface DeskSaw {
  wrapUp?: number;
  ready?: number;
  offer?: number;
}

export interface Desks {
  usernames: string[];
  /** Per agent (sign-in name): when their desk last saw wrap-up, ready and an offer. */
  saw: Map<string, DeskSaw>;
  close(): void;
}

/**
 * `count` Xining agents (Mandarin, labour) inserted into the service's database, each signed in on
 * /agents/ws with a token the benchmark signs with the service's JWT secret: the desk sets itself
 * ready, accepts every offer at once and ends wrap-up at once. Resolves when every desk is ready.
 */
export async function scriptedDesks(o: { databaseUrl: string; servicePort: number; jwtSecret: string; count: number; timeoutMs?: number }): Promise<Desks> {
  const db = new pg.Client({ connectionString: o.databaseUrl });
  await db.connect();
  const usernames = Array.from({ length: o.count }, (_, i) => `bench.agent.${String(i).padStart(3, '0')}`);
  const rows = await db.query<{ id: string; username: string }>(
    `insert into agents (username, password_hash, display_name, role, region_code, languages, topics)
     select u, 'not-used-by-the-benchmark', '坐席 ' || right(u, 3), 'agent', '630100', '{"zh":5}'::jsonb, '{"labour":5}'::jsonb
     from unnest($1::text[]) as x(u) returning id, username`,
    [usernames],
  );
  await db.end();
  const sign = createSigner({ key: o.jwtSecret, expiresIn: 3_600_000 });
  const saw = new Map<string, DeskSaw>();
  const sockets: WebSocket[] = [];
  let ready = 0;
  await Promise.all(
    rows.rows.map(
      (row) =>
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${o.servicePort}/agents/ws?token=${sign({ sub: row.id, role: 'agent', username: row.username, tv: 0 })}`);
          sockets.push(ws);
          let ref = 0;
          const send = (f: Record<string, unknown>) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ v: 1, ref: `r${++ref}`, ...f }));
          ws.on('message', (data) => {
            const f = JSON.parse(String(data)) as { type: string; offerId?: string; state?: unknown };
            const s = saw.get(row.username) ?? {};
            saw.set(row.username, s);
            if (f.type === 'state' && f.state === 'wrap_up') s.wrapUp = performance.now();
            if (f.type === 'state' && f.state === 'ready') s.ready = performance.now();
            if (f.type === 'offer') s.offer = performance.now();
            if (f.type === 'hello') {
              send({ type: 'state.set', state: 'ready' });
              resolve();
            } else if (f.type === 'offer') send({ type: 'offer.accept', offerId: f.offerId });
            else if (f.type === 'state' && f.state === 'wrap_up') send({ type: 'wrapup.end', next: 'ready' });
            else if (f.type === 'state' && f.state === 'ready') ready++;
          });
          ws.on('error', reject);
        }),
    ),
  );
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  while (ready < o.count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return {
    usernames,
    saw,
    close() {
      for (const ws of sockets) ws.terminate();
    },
  };
}
