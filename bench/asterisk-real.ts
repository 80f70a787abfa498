/**
 * npm run bench:asterisk-real — the hotline's routing on a REAL Asterisk, beside Asterisk's own
 * app_queue on the same Asterisk, same callers, same agents. Writes bench/results/asterisk-real.json.
 * Target (issue 13): ≥ 45 connects/s (1.5× app_queue's ~30 on the same 2-core machine) with
 * queue-join → bridge p50 ≤ 20 ms.
 *
 * It does not build, install or configure Asterisk: it needs one already running (docs/benchmarks.md,
 * "On a real Asterisk 22, beside app_queue", says how it was set up), with
 *   - the hotline dialplan generated with ASTERISK_AGENT_DIAL='Local/{agent}@bench-agents' and the
 *     default IVR settings (`npm run asterisk:dialplan -- --defaults`), plus
 *     bench/asterisk-real/extensions-bench.conf (#include) and queues-bench.conf as queues.conf;
 *   - deploy/asterisk/manager.conf's [hotline] user, and a second AMI user for the benchmark
 *     (read = call,user,agent; write = originate,call,reporting);
 *   - app_queue and app_senddtmf loaded besides deploy/asterisk/modules.conf;
 *   - the prompts as short sound files: `BENCH_WRITE_SOUNDS=<astdatadir>` writes them first
 *     (0.5 s of silence each; digits for SayNumber; a hold music file).
 *
 * Callers are Local channels originated by the benchmark's own AMI session: `Local/12348@hotline-inbound`
 * (the hotline: Asterisk runs the generated menus, the service routes with its Redirects) or
 * `Local/s@bench-appqueue` (the same prompts and menus, then Queue(bench) with 50 static members).
 * The other half of each caller runs [bench-caller]: it presses the menu keys (Mandarin, labour, no
 * priority group, district 0) and answers the survey (5). Agents are [bench-agents]: they answer at
 * once, talk 1 s and hang up. In the hotline mode the service (src/main.ts, its own process, a
 * fresh PostgreSQL database, its own Redis namespace) is logged in as [hotline] and BENCH_AGENTS
 * (50) desks on /agents/ws accept every offer at once and end wrap-up at once (bench/desks.ts); in
 * the app_queue mode the service is not running.
 *
 * Callers arrive open loop at each of BENCH_RATES (10,20,30,45,60) calls/s for BENCH_SECONDS (20),
 * after BENCH_WARM_CALLS (20) unmeasured calls; a caller not bridged after 60 s is hung up
 * (abandoned). After the first rate that loses callers the mode stops (BENCH_ALL_RATES=1 runs them
 * all: beyond that point callers pile up on hold and Asterisk only sinks further). Per rate:
 *   - connects/s: callers bridged ÷ the time from the first bridge to the last;
 *   - queue join → bridge p50/p99: hotline — the service queued the call (calls.queued_at, its
 *     clock) → the caller's BridgeEnter reaching the benchmark; app_queue — QueueCallerJoin → the
 *     caller's BridgeEnter, both as they reach the benchmark (AgentConnect's figure beside); split
 *     at the caller's DialBegin (Asterisk starts dialling the agent);
 *   - abandoned, failed originates, calls still up at the end of the drain;
 *   - Asterisk's and the service's CPU (% of one core, over the rate's window and its drain);
 *   - WARNING/ERROR lines Asterisk wrote meanwhile (BENCH_ASTERISK_LOG, its messages log), and the
 *     service's warn/error log lines by message.
 *
 * Settings: BENCH_AMI_HOST (127.0.0.1), BENCH_AMI_PORT (5038), BENCH_AMI_USERNAME (bench),
 * BENCH_AMI_SECRET, BENCH_HOTLINE_USERNAME (hotline), BENCH_HOTLINE_SECRET, BENCH_MODES
 * (hotline,appqueue), BENCH_ASTERISK_PID (else the one process named asterisk), BENCH_ASTERISK_LOG,
 * BENCH_POSTGRES_URL, REDIS_URL, BENCH_REDIS=0 (in-process live store), BENCH_LOG_LEVEL (warn),
 * BENCH_SERVICE_LOG (a file for the service's whole log).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { PROMPT_KEYS } from '../src/telephony/prompts';
import { type Desks, scriptedDesks } from './desks';
import { cpuSeconds, cpuSecondsOf, latencySummary as summary, machine, pidsNamed, round } from './machine';
import { type BenchService, freshDatabase, startService, waitReady } from './service';

const env = process.env;
const AMI_HOST = env.BENCH_AMI_HOST ?? '127.0.0.1';
const AMI_PORT = Number(env.BENCH_AMI_PORT ?? 5038);
const BENCH_USER = { username: env.BENCH_AMI_USERNAME ?? 'bench', secret: env.BENCH_AMI_SECRET ?? '' };
const HOTLINE_USER = { username: env.BENCH_HOTLINE_USERNAME ?? 'hotline', secret: env.BENCH_HOTLINE_SECRET ?? '' };
const ADMIN_URL = env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const AGENTS = Number(env.BENCH_AGENTS ?? 50);
const RATES = (env.BENCH_RATES ?? '10,20,30,45,60').split(',').map(Number);
const SECONDS = Number(env.BENCH_SECONDS ?? 20);
const WARM_CALLS = Number(env.BENCH_WARM_CALLS ?? 20);
const MODES = (env.BENCH_MODES ?? 'hotline,appqueue').split(',') as Mode[];
const AGENT_DIAL = 'Local/{agent}@bench-agents';
const PATIENCE_MS = 60_000;
const TARGET_CONNECTS = 45;
const TARGET_P50_MS = 20;
const OUT_FILE = env.BENCH_ASTERISK_REAL_OUT ?? path.join(__dirname, 'results', 'asterisk-real.json');

type Mode = 'hotline' | 'appqueue';
type AmiMessage = Record<string, string> & { at: string };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

// ---- a minimal AMI session (the benchmark's own, not the service's client) --------------------

class Ami {
  private buf = '';
  private seq = 0;
  private greeted = false;
  private readonly pending = new Map<string, (m: AmiMessage) => void>();
  private readonly listeners: Array<(e: AmiMessage) => void> = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.read(chunk, now()));
  }

  static async connect(host: string, port: number, user: { username: string; secret: string }): Promise<Ami> {
    const socket = net.connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', (err) => process.stderr.write(`benchmark AMI session: ${err.message}\n`));
    const ami = new Ami(socket);
    const r = await ami.action('Login', { Username: user.username, Secret: user.secret, Events: 'on' });
    if (r.response !== 'Success') throw new Error(`AMI login as ${user.username} refused: ${r.message}`);
    return ami;
  }

  private read(chunk: string, at: number): void {
    this.buf += chunk;
    if (!this.greeted) {
      const eol = this.buf.indexOf('\r\n');
      if (eol < 0) return;
      this.buf = this.buf.slice(eol + 2);
      this.greeted = true;
    }
    for (let end = this.buf.indexOf('\r\n\r\n'); end >= 0; end = this.buf.indexOf('\r\n\r\n')) {
      const block = this.buf.slice(0, end);
      this.buf = this.buf.slice(end + 4);
      const m = { at: String(at) } as AmiMessage;
      for (const line of block.split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) m[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      if (m.event) for (const l of this.listeners) l(m);
      else if (m.actionid && this.pending.has(m.actionid)) {
        this.pending.get(m.actionid)!(m);
        this.pending.delete(m.actionid);
      }
    }
  }

  on(listener: (e: AmiMessage) => void): void {
    this.listeners.push(listener);
  }

  action(name: string, headers: Record<string, string> = {}): Promise<AmiMessage> {
    const id = `b${++this.seq}`;
    const lines = [`Action: ${name}`, `ActionID: ${id}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * A pass-through between the service and Asterisk that notes when each of the service's Redirects
 * passes (bytes are forwarded first, read after): the hold Redirect is the old benchmark's "queue
 * join", the agent's the decision reaching Asterisk. BENCH_AMI_TAP=0 connects the service directly.
 */
class AmiTap {
  /** Channel name → context → when its first Redirect there passed. */
  readonly redirects = new Map<string, Map<string, number>>();
  private server: net.Server | null = null;
  port = 0;

  async start(host: string, port: number): Promise<this> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(port, host);
      client.setNoDelay(true);
      upstream.setNoDelay(true);
      upstream.on('data', (d) => client.write(d));
      let buf = '';
      client.on('data', (d) => {
        upstream.write(d);
        const at = now();
        buf += d.toString('utf8');
        for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 4);
          if (!/^Action: *Redirect\r?$/im.test(block)) continue;
          const channel = /^Channel: *(.+?)\r?$/im.exec(block)?.[1];
          const context = /^Context: *(.+?)\r?$/im.exec(block)?.[1];
          if (!channel || !context) continue;
          const seen = this.redirects.get(channel) ?? new Map<string, number>();
          this.redirects.set(channel, seen);
          if (!seen.has(context)) seen.set(context, at);
        }
      });
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end);
      upstream.on('close', end);
      client.on('error', end);
      upstream.on('error', end);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

// ---- what is measured ------------------------------------------------------------------------

interface Caller {
  id: string;
  /** The caller's channel (the Local channel's ;2 half, the one that runs the hotline's dialplan). */
  uniqueid: string;
  rate: number;
  placedAt: number;
  joinedAt: number | null;
  /** The caller's channel name (from OriginateResponse), for the service's Redirects the tap saw. */
  channel: string | null;
  /** The service's Redirects to hold and to the agent passing the tap. */
  holdRedirectAt: number | null;
  agentRedirectAt: number | null;
  /** The service's records (hotline): the router offered the call to a desk, the desk accepted. */
  offeredAt: number | null;
  acceptedAt: number | null;
  /** Asterisk started dialling the agent (DialBegin of the caller's channel). */
  dialAt: number | null;
  agentConnectAt: number | null;
  bridgedAt: number | null;
  endedAt: number | null;
  failed: boolean;
  abandoned: boolean;
  patience: NodeJS.Timeout | null;
}

function asteriskPid(): number {
  if (env.BENCH_ASTERISK_PID) return Number(env.BENCH_ASTERISK_PID);
  // Not a remote console (`asterisk -r`), which has the same name.
  const found = pidsNamed('asterisk').filter((pid) => {
    try {
      return !fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('\0-r');
    } catch {
      return false;
    }
  });
  if (found.length !== 1) throw new Error(`set BENCH_ASTERISK_PID: ${found.length} asterisk processes found`);
  return Number(found[0]);
}


/** WARNING/ERROR lines Asterisk appended to its log since `from` (bytes), by message. */
function asteriskLog(from: number): { size: number; counts?: Record<string, number> } {
  const file = env.BENCH_ASTERISK_LOG;
  if (!file || !fs.existsSync(file)) return { size: 0 };
  const size = fs.statSync(file).size;
  if (size <= from) return { size };
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(size - from);
  fs.readSync(fd, buf, 0, buf.length, from);
  fs.closeSync(fd);
  const counts: Record<string, number> = {};
  for (const line of buf.toString('utf8').split('\n')) {
    const m = /\] (WARNING|ERROR)\[\d+\](?:\[[^\]]*\])? ([^:]+): (.*)$/.exec(line);
    if (!m) continue;
    // Channel names and numbers vary per call: keep the message's shape.
    const key = `${m[1]} ${m[2]}: ${m[3]!.replace(/Local\/[^\s'",]+/g, 'Local/…').replace(/\d+/g, 'N').slice(0, 160)}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return { size, counts };
}

/** Short silent prompts (0.5 s), SayNumber's digits and a hold-music file under an Asterisk data directory. */
function writeSounds(dataDir: string): void {
  const wav = (file: string, seconds: number) => {
    const samples = Math.round(8000 * seconds);
    const b = Buffer.alloc(44 + samples * 2);
    b.write('RIFF', 0);
    b.writeUInt32LE(36 + samples * 2, 4);
    b.write('WAVEfmt ', 8);
    b.writeUInt32LE(16, 16);
    b.writeUInt16LE(1, 20);
    b.writeUInt16LE(1, 22);
    b.writeUInt32LE(8000, 24);
    b.writeUInt32LE(16000, 28);
    b.writeUInt16LE(2, 32);
    b.writeUInt16LE(16, 34);
    b.write('data', 36);
    b.writeUInt32LE(samples * 2, 40);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, b);
  };
  const province = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'provinces', '630000-qinghai.json'), 'utf8')) as unknown;
  const codes = new Set<string>(JSON.stringify(province).match(/"6[0-9]{5}"/g)?.map((s) => s.slice(1, -1)) ?? []);
  for (const key of PROMPT_KEYS) wav(path.join(dataDir, 'sounds', 'hotline', 'zh', `${key}.wav`), 0.5);
  for (const code of codes) wav(path.join(dataDir, 'sounds', 'hotline', 'zh', `region_menu_${code}.wav`), 0.5);
  for (const d of [...Array.from({ length: 100 }, (_, i) => String(i)), 'hundred', 'thousand', 'million', 'minus', 'oh', '10000', '100000000']) {
    wav(path.join(dataDir, 'sounds', 'digits', `${d}.wav`), 0.1);
  }
  wav(path.join(dataDir, 'moh', 'bench-silence.wav'), 10);
}

// ---- one mode --------------------------------------------------------------------------------

async function runMode(mode: Mode, astPid: number) {
  const ami = await Ami.connect(AMI_HOST, AMI_PORT, BENCH_USER);
  const run = randomBytes(3).toString('hex');
  const callers = new Map<string, Caller>();
  ami.on((e) => {
    const c = callers.get(e.uniqueid ?? '');
    if (!c) return;
    const at = Number(e.at);
    switch (e.event) {
      case 'QueueCallerJoin':
        c.joinedAt ??= at;
        return;
      case 'DialBegin':
        c.dialAt ??= at;
        return;
      case 'AgentConnect':
        c.agentConnectAt ??= at;
        return;
      case 'BridgeEnter':
        if (c.bridgedAt === null) {
          c.bridgedAt = at;
          if (c.patience) clearTimeout(c.patience);
          c.patience = null;
        }
        return;
      case 'Hangup':
        c.endedAt ??= at;
        if (c.patience) clearTimeout(c.patience);
        c.patience = null;
        return;
    }
  });
  ami.on((e) => {
    if (e.event !== 'OriginateResponse') return;
    // The ;1 half's id: ours end in a, the caller's (;2) in b.
    const c = callers.get((e.uniqueid ?? '').replace(/a$/, 'b'));
    if (!c) return;
    if (e.response === 'Success') c.channel = (e.channel ?? '').replace(/;1$/, ';2');
    else {
      c.failed = true;
      c.endedAt ??= Number(e.at);
    }
  });

  let service: BenchService | null = null;
  let tap: AmiTap | null = null;
  let database: Awaited<ReturnType<typeof freshDatabase>> | null = null;
  let desks: Desks | null = null;
  const serviceLog: Record<string, number> = {};
  let seq = 0;
  const place = async (rate: number): Promise<Caller> => {
    const n = ++seq;
    const id = `bq${run}x${n}`;
    const c: Caller = { id, uniqueid: `${id}b`, rate, placedAt: now(), joinedAt: null, channel: null, holdRedirectAt: null, agentRedirectAt: null, offeredAt: null, acceptedAt: null, dialAt: null, agentConnectAt: null, bridgedAt: null, endedAt: null, failed: false, abandoned: false, patience: null };
    callers.set(c.uniqueid, c);
    c.patience = setTimeout(() => {
      if (c.bridgedAt !== null || c.endedAt !== null) return;
      c.abandoned = true;
      void ami.action('Hangup', { Channel: c.uniqueid });
    }, PATIENCE_MS);
    const r = await ami.action('Originate', {
      Channel: mode === 'hotline' ? 'Local/12348@hotline-inbound' : 'Local/s@bench-appqueue',
      Context: 'bench-caller',
      Exten: 's',
      Priority: '1',
      CallerID: `<1351971${String(n % 10_000).padStart(4, '0')}>`,
      Timeout: '30000',
      Async: 'true',
      ChannelId: `${id}a`,
      OtherChannelId: c.uniqueid,
    });
    if (r.response !== 'Success') {
      c.failed = true;
      c.endedAt = now();
    }
    return c;
  };
  /** Callers of one batch, placed open loop at `rate` per second; resolves when all have ended (or the drain gave up). */
  const batch = async (rate: number, total: number) => {
    const start = performance.now();
    const mine: Caller[] = [];
    for (let i = 0; i < total; i++) {
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait > 0) await sleep(wait);
      mine.push(await place(rate));
    }
    const placedIn = (performance.now() - start) / 1000;
    const drainBy = Date.now() + PATIENCE_MS + 30_000;
    while (mine.some((c) => c.endedAt === null) && Date.now() < drainBy) await sleep(100);
    await sleep(500);
    return { mine, placedIn, elapsed: (performance.now() - start) / 1000 };
  };

  try {
    if (mode === 'hotline') {
      const jwtSecret = randomBytes(32).toString('hex');
      database = await freshDatabase(ADMIN_URL);
      if (env.BENCH_AMI_TAP !== '0') tap = await new AmiTap().start(AMI_HOST, AMI_PORT);
      service = await startService({
        NODE_ENV: 'production',
        LOG_LEVEL: env.BENCH_LOG_LEVEL ?? 'warn',
        DATABASE_URL: database.url,
        ...(env.BENCH_REDIS === '0' ? {} : { REDIS_URL, REDIS_NAMESPACE: `bench-${randomBytes(4).toString('hex')}` }),
        JWT_SECRET: jwtSecret,
        TELEPHONY: 'asterisk',
        ASTERISK_HOST: tap ? '127.0.0.1' : AMI_HOST,
        ASTERISK_PORT: String(tap ? tap.port : AMI_PORT),
        ASTERISK_USERNAME: HOTLINE_USER.username,
        ASTERISK_SECRET: HOTLINE_USER.secret,
        ASTERISK_AGENT_DIAL: AGENT_DIAL,
      });
      let partial = '';
      const keep = env.BENCH_SERVICE_LOG ? fs.createWriteStream(env.BENCH_SERVICE_LOG) : null;
      service.child.stdout.on('data', (d: Buffer) => {
        keep?.write(d);
        const lines = (partial + d.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          try {
            const j = JSON.parse(line) as { level?: number; msg?: string };
            if ((j.level ?? 0) >= 40) serviceLog[`${j.level === 40 ? 'warn' : 'error'}: ${j.msg}`] = (serviceLog[`${j.level === 40 ? 'warn' : 'error'}: ${j.msg}`] ?? 0) + 1;
          } catch {
            if (line.trim()) serviceLog[`(not JSON) ${line.slice(0, 160)}`] = (serviceLog[`(not JSON) ${line.slice(0, 160)}`] ?? 0) + 1;
          }
        }
      });
      await waitReady(service.port);
      desks = await scriptedDesks({ databaseUrl: database.url, servicePort: service.port, jwtSecret, count: AGENTS });
    }

    const whose = () => (service ? service.child.pid! : null);
    if (WARM_CALLS > 0) await batch(5, WARM_CALLS);

    const results = [];
    for (const rate of RATES) {
      const log0 = asteriskLog(0).size;
      const servicePid = whose();
      const ast0 = cpuSeconds(astPid);
      const svc0 = servicePid ? cpuSeconds(servicePid) : 0;
      // The rest of the machine's work for these calls: the databases, and this process (the callers' AMI session and, for the hotline, the 50 desks).
      const others0 = { postgres: cpuSecondsOf('postgres'), redis: cpuSecondsOf('redis-server'), benchmark: process.cpuUsage() };
      const { mine, placedIn, elapsed } = await batch(rate, rate * SECONDS);
      const astCpu = cpuSeconds(astPid) - ast0;
      const svcCpu = servicePid ? cpuSeconds(servicePid) - svc0 : null;
      const benchUsage = process.cpuUsage(others0.benchmark);
      const othersCpu = { postgres: cpuSecondsOf('postgres') - others0.postgres, redis: cpuSecondsOf('redis-server') - others0.redis, benchmark: (benchUsage.user + benchUsage.system) / 1e6 };

      // The service's side of the queue join: when it queued the call (its clock, the same machine's).
      let serviceBridged: number[] = [];
      const lostTimelines: Record<string, string[]> = {};
      const turnaround: number[] = [];
      const bridgeToEnd: number[] = [];
      if (mode === 'hotline' && database) {
        const db = new pg.Client({ connectionString: database.url });
        await db.connect();
        const rows = await db.query<{ external_id: string; agent_id: string | null; queued_at: Date | null; bridged_at: Date | null; offered_at: Date | null; accepted_at: Date | null; ended_at: Date | null }>(
          `select c.external_id, c.agent_id, c.queued_at,
             (select min(e.at) from call_events e where e.call_id = c.id and e.type = 'ended') as ended_at,
             (select min(e.at) from call_events e where e.call_id = c.id and e.type = 'bridged') as bridged_at,
             (select min(e.at) from call_events e where e.call_id = c.id and e.type = 'offered') as offered_at,
             (select min(e.at) from call_events e where e.call_id = c.id and e.type = 'connected') as accepted_at
           from calls c where c.external_id = any($1)`,
          [mine.map((c) => c.uniqueid)],
        );
        // A caller the hotline lost: their call's record and timeline, to see where it stopped.
        for (const c of mine.filter((x) => x.abandoned).slice(0, 5)) {
          const timeline = await db.query<{ status: string; end_reason: string | null; end_detail: string | null; type: string | null; at: Date | null; data: unknown }>(
            `select c.status, c.end_reason, c.end_detail, e.type, e.at, e.data from calls c left join call_events e on e.call_id = c.id where c.external_id = $1 order by e.at, e.id`,
            [c.uniqueid],
          );
          lostTimelines[c.uniqueid] = timeline.rows.map((r) => `${r.at?.toISOString() ?? '-'} ${r.type ?? '-'} ${JSON.stringify(r.data ?? {})} [${r.status}${r.end_reason ? ` ${r.end_reason}` : ''}${r.end_detail ? ` ${r.end_detail}` : ''}]`);
        }
        await db.end();
        const byUid = new Map(rows.rows.map((r) => [r.external_id, r]));
        for (const c of mine) {
          const seen = tap && c.channel ? tap.redirects.get(c.channel) : undefined;
          c.holdRedirectAt = seen?.get('hotline-wait') ?? seen?.get('hotline-hold') ?? null;
          c.agentRedirectAt = seen?.get('hotline-agent') ?? seen?.get('hotline-connect') ?? null;
          const row = byUid.get(c.uniqueid);
          c.joinedAt = row?.queued_at?.getTime() ?? null;
          c.offeredAt = row?.offered_at?.getTime() ?? null;
          c.acceptedAt = row?.accepted_at?.getTime() ?? null;
        }
        // An agent's time per call: the bridge → the router ending the agent's part (1 s of talk, then the dial
        // result reaching the service), and that end → the agent's next offer (wrap-up, ready, routing).
        const agentCalls = rows.rows.filter((r) => r.agent_id && r.offered_at && r.ended_at).sort((a, b) => a.offered_at!.getTime() - b.offered_at!.getTime());
        const lastEnd = new Map<string, number>();
        for (const r of agentCalls) {
          const prev = lastEnd.get(r.agent_id!);
          if (prev !== undefined) turnaround.push(r.offered_at!.getTime() - prev);
          lastEnd.set(r.agent_id!, r.ended_at!.getTime());
          if (r.bridged_at) bridgeToEnd.push(r.ended_at!.getTime() - r.bridged_at.getTime());
        }
        // The service's own 'bridged' record beside the BridgeEnter the benchmark heard (how late it hears it).
        serviceBridged = mine.flatMap((c) => {
          const b = byUid.get(c.uniqueid)?.bridged_at;
          return b && c.bridgedAt !== null ? [b.getTime() - c.bridgedAt] : [];
        });
      }
      const bridges = mine.filter((c) => c.bridgedAt !== null).map((c) => c.bridgedAt!).sort((a, b) => a - b);
      const span = bridges.length > 1 ? (bridges.at(-1)! - bridges[0]!) / 1000 : placedIn;
      const joined = mine.filter((c) => c.joinedAt !== null && c.bridgedAt !== null);
      const r = {
        rate,
        placed: mine.length,
        bridged: bridges.length,
        abandoned: mine.filter((c) => c.abandoned).length,
        // Which (the caller's Uniqueid, the service's external_id), to look up in the logs.
        abandonedCallers: mine.filter((c) => c.abandoned).slice(0, 5).map((c) => ({ uniqueid: c.uniqueid, placedAt: new Date(c.placedAt).toISOString(), timeline: lostTimelines[c.uniqueid] ?? [] })),
        failed: mine.filter((c) => c.failed).length,
        stillUp: mine.filter((c) => c.endedAt === null).length,
        neverQueued: mine.filter((c) => c.joinedAt === null && !c.failed).length,
        connectsPerSecond: round((bridges.length - 1) / span, 1),
        queueJoinToBridgeMs: summary(joined.map((c) => c.bridgedAt! - c.joinedAt!)),
        // Where it goes: the routing decision reaching Asterisk's Dial (hotline: offer, accept, Redirect, [hotline-agent] up
        // to Dial; app_queue: its member choice), then Asterisk dialling the agent until the bridge.
        queueJoinToDialMs: summary(joined.filter((c) => c.dialAt !== null).map((c) => c.dialAt! - c.joinedAt!)),
        dialToBridgeMs: summary(joined.filter((c) => c.dialAt !== null).map((c) => c.bridgedAt! - c.dialAt!)),
        ...(mode === 'appqueue'
          ? { queueJoinToAgentConnectMs: summary(mine.filter((c) => c.joinedAt !== null && c.agentConnectAt !== null).map((c) => c.agentConnectAt! - c.joinedAt!)) }
          : {
              // The service's side: queued → offered to a desk → the desk's accept → Asterisk's Dial (the Redirect and
              // [hotline-agent] up to Dial); and its own bridge record against the BridgeEnter the benchmark heard.
              queueJoinToOfferMs: summary(joined.filter((c) => c.offeredAt !== null).map((c) => c.offeredAt! - c.joinedAt!)),
              offerToAcceptMs: summary(joined.filter((c) => c.offeredAt !== null && c.acceptedAt !== null).map((c) => c.acceptedAt! - c.offeredAt!)),
              acceptToDialMs: summary(joined.filter((c) => c.acceptedAt !== null && c.dialAt !== null).map((c) => c.dialAt! - c.acceptedAt!)),
              // Through the tap: the accept → the agent's Redirect leaving the service; that Redirect → Asterisk's Dial
              // ([hotline-agent]: parsing the extension, MixMonitor); and the old benchmark's measure, the hold
              // Redirect → the agent's Redirect (bench/asterisk.ts, against the fake Asterisk).
              acceptToAgentRedirectMs: summary(joined.filter((c) => c.acceptedAt !== null && c.agentRedirectAt !== null).map((c) => c.agentRedirectAt! - c.acceptedAt!)),
              agentRedirectToDialMs: summary(joined.filter((c) => c.agentRedirectAt !== null && c.dialAt !== null).map((c) => c.dialAt! - c.agentRedirectAt!)),
              holdRedirectToAgentRedirectMs: summary(mine.filter((c) => c.holdRedirectAt !== null && c.agentRedirectAt !== null).map((c) => c.agentRedirectAt! - c.holdRedirectAt!)),
              serviceBridgedRecordMinusBridgeEnterMs: summary(serviceBridged),
              agentBridgeToEndMs: summary(bridgeToEnd),
              agentEndToNextOfferMs: summary(turnaround),
            }),
        placedToJoinMs: summary(mine.filter((c) => c.joinedAt !== null).map((c) => c.joinedAt! - c.placedAt)),
        placedToEndMs: summary(mine.filter((c) => c.endedAt !== null && !c.failed).map((c) => c.endedAt! - c.placedAt)),
        asteriskCpuPercent: round((100 * astCpu) / elapsed, 0),
        serviceCpuPercent: svcCpu === null ? null : round((100 * svcCpu) / elapsed, 0),
        postgresCpuPercent: round((100 * othersCpu.postgres) / elapsed, 0),
        redisCpuPercent: round((100 * othersCpu.redis) / elapsed, 0),
        benchmarkCpuPercent: round((100 * othersCpu.benchmark) / elapsed, 0),
        windowSeconds: round(elapsed, 1),
        // The machine is shared: its load while this rate ran (1-minute average, read at the end).
        loadAverage: round(os.loadavg()[0]!, 1),
        asteriskLog: asteriskLog(log0).counts ?? null,
      };
      process.stdout.write(`${mode} ${rate}/s: ${JSON.stringify(r)}\n`);
      results.push(r);
      // Past the rate it can carry, callers pile up on hold and every higher rate only collapses further
      // (and takes minutes to drain): stop there unless BENCH_ALL_RATES=1.
      if ((r.abandoned > 0 || r.stillUp > 0) && env.BENCH_ALL_RATES !== '1') {
        process.stdout.write(`${mode}: callers lost at ${rate}/s; higher rates not run\n`);
        break;
      }
    }
    return { results, serviceLog: mode === 'hotline' ? serviceLog : null };
  } finally {
    desks?.close();
    await service?.stop();
    await tap?.stop();
    await database?.drop();
    ami.close();
  }
}

async function main() {
  if (env.BENCH_WRITE_SOUNDS) {
    writeSounds(env.BENCH_WRITE_SOUNDS);
    process.stdout.write(`prompts, digits and hold music written under ${env.BENCH_WRITE_SOUNDS}\n`);
    if (env.BENCH_SOUNDS_ONLY === '1') return;
  }
  if (!BENCH_USER.secret) throw new Error('set BENCH_AMI_SECRET (and BENCH_HOTLINE_SECRET) for the AMI users of the running Asterisk');
  const astPid = asteriskPid();
  // What is running: its version and the dialplan's fingerprint (the service logs it when it differs from its own).
  const probe = await Ami.connect(AMI_HOST, AMI_PORT, BENCH_USER);
  const version = await probe.action('CoreSettings');
  const ivr = await probe.action('Getvar', { Variable: 'HOTLINE_IVR' });
  probe.close();
  const modes: Record<string, unknown> = {};
  for (const mode of MODES) {
    modes[mode] = await runMode(mode, astPid);
    await sleep(3_000);
  }
  const best = (m: unknown) =>
    ((m as { results?: Array<{ connectsPerSecond: number; queueJoinToBridgeMs: { p50: number }; abandoned: number; failed: number; bridged: number; placed: number }> })?.results ?? [])
      .filter((r) => r.abandoned === 0 && r.failed === 0 && r.bridged === r.placed && r.queueJoinToBridgeMs.p50 <= TARGET_P50_MS)
      .reduce((x, r) => Math.max(x, r.connectsPerSecond), 0);
  const out = {
    when: new Date().toISOString(),
    machine: machine(),
    asterisk: { version: version.asteriskversion ?? null, ami: `${AMI_HOST}:${AMI_PORT}`, hotlineIvr: ivr.value ?? null },
    settings: { agents: AGENTS, rates: RATES, secondsPerRate: SECONDS, warmCalls: WARM_CALLS, talkSeconds: 1, agentDial: AGENT_DIAL, patienceMs: PATIENCE_MS },
    target: { connectsPerSecond: TARGET_CONNECTS, p50Ms: TARGET_P50_MS },
    bestCleanConnectsPerSecond: Object.fromEntries(Object.entries(modes).map(([k, v]) => [k, best(v)])),
    modes,
  };
  fs.mkdirSync(path.dirname(OUT_FILE), { recursive: true });
  fs.writeFileSync(OUT_FILE, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`best clean rate (every caller bridged, p50 ≤ ${TARGET_P50_MS} ms): ${JSON.stringify(out.bestCleanConnectsPerSecond)} → ${OUT_FILE}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
