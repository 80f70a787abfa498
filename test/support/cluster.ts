import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createSigner } from 'fast-jwt';
import WebSocket from 'ws';
import { hashPassword } from '../../src/auth/passwords';
import { jsonb } from '../../src/db/json';
import type { Database } from '../../src/db/schema';
import { freePort } from './service-process';

/**
 * Several service nodes as `npm start` runs them (each its own process, simulated telephony),
 * for fault tests that kill nodes and cut what they depend on. Every process started is killed
 * when the test process exits, whatever happened.
 */

const started = new Set<ChildProcessWithoutNullStreams>();
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

export const JWT_SECRET = 'fault-test-secret-fault-test-secret-0123';
const PASSWORD = 'fault-test-password';

export interface ServiceNode {
  index: number;
  port: number;
  base: string;
  child: ChildProcessWithoutNullStreams;
  output(): string;
  alive(): boolean;
  /** SIGKILL: the node dies mid-work, as a crashed machine would. */
  kill(): Promise<void>;
}

export async function startNode(index: number, env: Record<string, string>): Promise<ServiceNode> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `hotline-node${index}-`));
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.join(__dirname, '..', '..'),
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', JWT_SECRET, TELEPHONY: 'sim', DEMO_ACCOUNTS: 'false', ...env },
  });
  started.add(child);
  let out = '';
  child.stdout.on('data', (d) => (out = (out + d).slice(-5_000_000)));
  child.stderr.on('data', (d) => (out = (out + d).slice(-5_000_000)));
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      started.delete(child);
      resolve();
    }),
  );
  // Generous: several nodes start at once on a machine that may be busy.
  const deadline = Date.now() + 180_000;
  while (!out.includes('hotline backend listening')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`node ${index} did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  void exited.then(() => fs.rm(dataDir, { recursive: true, force: true }).catch(() => {}));
  return {
    index,
    port,
    base: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The test's own connection to the nodes' database (not through the proxy the test cuts). */
export function openDb(url: string): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 4 }) }) });
}

/**
 * Agents (or supervisors) straight into the database, with tokens signed as the nodes sign them
 * (signing in twenty accounts from one address would meet the sign-in rate limit).
 */
export async function addStaff(
  db: Kysely<Database>,
  people: { username: string; role: 'agent' | 'supervisor' | 'admin'; region: string; languages?: Record<string, number>; topics?: Record<string, number> }[],
): Promise<{ id: string; username: string; token: string }[]> {
  const hash = await hashPassword(PASSWORD);
  const sign = createSigner({ key: JWT_SECRET, algorithm: 'HS256', expiresIn: 3_600_000 });
  const out: { id: string; username: string; token: string }[] = [];
  for (const p of people) {
    const row = await db
      .insertInto('agents')
      .values({ username: p.username, password_hash: hash, display_name: p.username, role: p.role, region_code: p.region, languages: jsonb(p.languages ?? { zh: 5 }), topics: jsonb(p.topics ?? {}) })
      .returning('id')
      .executeTakeFirstOrThrow();
    out.push({ id: row.id, username: p.username, token: sign({ sub: row.id, role: p.role, username: p.username, tv: 0 }) });
  }
  return out;
}

/** Places a simulated call on a node (as an admin: a deployed service's simulator is not public); null when the node did not take it. */
export async function placeCall(node: ServiceNode, token: string, body: { from: string; digits: string; patienceSeconds?: number }): Promise<string | null> {
  try {
    const res = await fetch(`${node.base}/sim/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    if (res.status !== 201) return null;
    return ((await res.json()) as { callId: string }).callId;
  } catch {
    return null;
  }
}

export interface DeskLog {
  offers: number;
  accepted: number;
  connected: number;
  ended: number;
  errors: { code: string; message: string }[];
  reconnects: number;
  /** When each offer frame arrived (ms). */
  offerTimes: number[];
}

/**
 * An agent at a desk, as a person would work it: ready, accepts each offer after a moment,
 * talks a while, hangs up, ends wrap-up. When the node under the desk dies the desk reconnects
 * to another node (the page's reconnecting socket does the same).
 */
export class ScriptedDesk {
  readonly log: DeskLog = { offers: 0, accepted: 0, connected: 0, ended: 0, errors: [], reconnects: 0, offerTimes: [] };
  private ws: WebSocket | null = null;
  private stopped = false;
  private nodeIndex: number;
  private refs = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  state = 'offline';
  callId: string | null = null;

  constructor(
    readonly agent: { id: string; token: string },
    private readonly nodes: () => Pick<ServiceNode, 'base' | 'alive'>[],
    start: number,
    private readonly o: { acceptMs: number; talkMs: number },
  ) {
    this.nodeIndex = start;
    this.connect();
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(timer);
  }

  private send(frame: Record<string, unknown>): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ v: 1, ref: `r${++this.refs}`, ...frame }));
  }

  private connect(): void {
    if (this.stopped) return;
    const live = this.nodes().filter((n) => n.alive());
    if (live.length === 0) return;
    const node = live[this.nodeIndex % live.length]!;
    const ws = new WebSocket(`${node.base.replace('http', 'ws')}/agents/ws?token=${encodeURIComponent(this.agent.token)}`);
    this.ws = ws;
    ws.on('message', (data) => this.received(JSON.parse(String(data))));
    ws.on('error', () => {});
    ws.on('close', () => {
      if (this.ws !== ws || this.stopped) return;
      this.ws = null;
      this.log.reconnects++;
      this.nodeIndex++;
      this.later(200, () => this.connect());
    });
  }

  private received(f: Record<string, unknown> & { type: string }): void {
    switch (f.type) {
      case 'hello': {
        const state = (f.state as { state: string }).state;
        this.state = state;
        const offer = f.offer as { offerId: string } | null;
        const call = f.call as { callId: string } | null;
        if (offer) this.accept(offer.offerId);
        else if (call) this.talk(call.callId);
        else if (state === 'wrap_up') this.send({ type: 'wrapup.end', next: 'ready' });
        else if (state !== 'ready') this.send({ type: 'state.set', state: 'ready' });
        return;
      }
      case 'state': {
        this.state = f.state as string;
        // Logged out behind the desk's back, or set aside after a missed offer: ready again.
        if (this.state === 'not_ready' || this.state === 'offline') this.later(100, () => this.send({ type: 'state.set', state: 'ready' }));
        if (this.state === 'wrap_up') this.later(100, () => this.send({ type: 'wrapup.end', next: 'ready' }));
        return;
      }
      case 'offer':
        this.log.offers++;
        this.log.offerTimes.push(Date.now());
        this.accept(f.offerId as string);
        return;
      case 'call.connected':
        this.log.connected++;
        this.talk((f.call as { callId: string }).callId);
        return;
      case 'call.ended':
        this.log.ended++;
        this.callId = null;
        return;
      case 'error':
        this.log.errors.push({ code: f.code as string, message: f.message as string });
        // An outage: as a person would, try again shortly — hang up the call, or become ready.
        if (f.code === 'UNAVAILABLE' || f.code === 'INTERNAL') {
          this.later(500, () => {
            if (this.callId) this.send({ type: 'call.hangup', callId: this.callId });
            else this.send({ type: 'state.set', state: 'ready' });
          });
        }
        return;
      default:
        return;
    }
  }

  private accept(offerId: string): void {
    this.later(this.o.acceptMs, () => {
      this.log.accepted++;
      this.send({ type: 'offer.accept', offerId });
    });
  }

  private talk(callId: string): void {
    this.callId = callId;
    this.later(this.o.talkMs, () => {
      if (this.callId === callId) this.send({ type: 'call.hangup', callId });
    });
  }

  /** Keeps talking: a call the desk was on when its node died is hung up from the new node. */
  hangUpAgain(): void {
    if (this.callId) this.send({ type: 'call.hangup', callId: this.callId });
  }

  close(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.ws?.close();
  }
}

/**
 * The calls' timelines replayed: a call is held (offered or connected) by at most one agent at
 * a time. Returns every time one was offered while another agent still held it.
 */
export async function doubleOffers(db: Kysely<Database>, callIds: string[]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < callIds.length; i += 500) {
    const events = await db
      .selectFrom('call_events')
      .select(['call_id', 'type', 'data', 'at', 'id'])
      .where('call_id', 'in', callIds.slice(i, i + 500))
      .where('type', 'in', ['offered', 'offer.returned', 'connected', 'ended', 'abandoned', 'transferred', 'callback', 'closed'])
      .orderBy('call_id')
      .orderBy('at')
      .orderBy('id')
      .execute();
    let current = '';
    let holder: string | null = null;
    for (const e of events) {
      if (e.call_id !== current) {
        current = e.call_id;
        holder = null;
      }
      const agentId = (e.data as { agentId?: string }).agentId ?? null;
      if (e.type === 'offered') {
        if (holder && holder !== agentId) out.push(`call ${e.call_id} offered to ${agentId} while ${holder} held it`);
        holder = agentId;
      } else if (e.type !== 'connected') holder = null;
    }
  }
  return out;
}
