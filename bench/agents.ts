/**
 * npm run bench:agents — agent desktop WebSockets on one node: memory per open socket, and how
 * long an offer takes to reach the desktop. Target (issue 5): 5,000 concurrent sockets on one
 * node, offer delivery p99 ≤ 20 ms. Writes bench/results/agents.json.
 *
 * The real service: `src/main.ts` in its own process on PostgreSQL (a fresh database, dropped
 * afterwards) and Redis (its own namespace, deleted afterwards), TELEPHONY=sim, callers pressing
 * their keys at once (SIM_KEY_DELAY_MS=0). The agents are rows inserted in one statement (spread
 * over the province's eight prefectures, all Mandarin, all labour plus two other topics) and the
 * benchmark signs their tokens itself with the service's JWT secret, so no password is hashed or
 * checked. Every socket is a whole desktop: the service reads the account on the upgrade, signs
 * the agent in to routing (Redis), announces the session (Redis pub/sub), sends hello and queue
 * figures, pings it every 15 s and renews its presence every 10 s.
 *
 *   1. Connect: BENCH_WARM_SOCKETS (100) sockets first (code paths warmed, pools filled), then
 *      the service's memory is read (GET /metrics: resident set and V8 heap used; no GC is
 *      forced), then the other sockets, BENCH_CONNECT_CONCURRENCY (200) upgrades in flight at a
 *      time, each waiting for its hello. After BENCH_SETTLE_MS (5,000) the memory is read again:
 *      memory per socket = (after − before) / sockets opened in between. Reported with it: time
 *      to open them, per socket the upgrade (request → 101) and hello (101 → hello frame), and
 *      the service's CPU while the sockets sit idle.
 *   2. Offers: every agent sends state.set ready; BENCH_WARM_CALLS (50) calls go through first,
 *      not measured (the first call loads the geocoding tables); then POST /sim/calls at
 *      BENCH_CALL_RATE (50) calls/s for BENCH_SECONDS (20), open loop, from Xining mobile numbers
 *      (1351971xxxx) with the keys 11015 (Mandarin, labour, no priority group, Chengdong district,
 *      survey 5). The district has no seats of its own, so each call goes to one of Xining's
 *      agents at the prefecture step (the router scans all ready agents for it). The agent that
 *      gets an `offer` frame notes the latency, accepts, talks for BENCH_TALK_MS (2,000), hangs
 *      up (call.hangup) and ends wrap-up at once (wrapup.end, next: ready).
 *      Offer latency = time the frame arrived − the moment the router built the offer, which the
 *      frame carries: expiresAt − offerTimeoutSeconds (hello's settings); the service sets
 *      expiresAt = Date.now() + offer timeout when it builds the offer, just before committing
 *      it to Redis. So it counts the Redis commit, the routing event, the two PostgreSQL reads
 *      for the offer's call view (number, history), the session's outbox, the socket write,
 *      any work the service's one thread was doing meanwhile, and the benchmark's own event
 *      loop (its delay is reported beside). Same machine, same clock: the arrival time is
 *      performance.timeOrigin + performance.now(), corrected to Date.now() (calibrate()); the
 *      service's Date.now() is whole milliseconds, so figures are 0–1 ms high (0.5 on average).
 *      Beside the latency: latency in 5-second windows, the service's per-socket passes seen
 *      from the desktops (pings to every socket every 15 s, queue figures every 2 s) and how
 *      many slow offers were on their way during one, and PostgreSQL transactions per call.
 *
 * SIM_TIME_SCALE stays 1 (BENCH_SIM_TIME_SCALE): it scales menu time-outs, which never run out
 * here since every menu gets its key, and the 45 s hold announcement, which at 0.001 would have
 * every call waiting for an offer re-read its flow state and the queue estimate every 45 ms.
 *
 * Adjust a run with BENCH_AGENTS (5000), BENCH_CALL_RATE (50), BENCH_SECONDS (20), BENCH_TALK_MS
 * (2000), BENCH_WARM_CALLS (50), BENCH_CONNECT_CONCURRENCY (200), BENCH_WARM_SOCKETS (100),
 * BENCH_SETTLE_MS (5000), BENCH_SIM_TIME_SCALE (1), BENCH_LOG_LEVEL (warn) and BENCH_NODE_ARGS
 * (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the service).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createSigner } from 'fast-jwt';
import { Redis } from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';
import { machine, percentile, round } from './machine';
import { freshDatabase, startService, waitReady } from './service';

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const AGENTS = Number(process.env.BENCH_AGENTS ?? 5_000);
const WARM_SOCKETS = Math.min(AGENTS, Number(process.env.BENCH_WARM_SOCKETS ?? 100));
const CONCURRENCY = Number(process.env.BENCH_CONNECT_CONCURRENCY ?? 200);
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 5_000);
const CALL_RATE = Number(process.env.BENCH_CALL_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const TALK_MS = Number(process.env.BENCH_TALK_MS ?? 2_000);
const WARM_CALLS = Number(process.env.BENCH_WARM_CALLS ?? 50);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';
/** Scales the simulator's waits (menu time-outs, the hold announcement): see the header. */
const SIM_TIME_SCALE = process.env.BENCH_SIM_TIME_SCALE ?? '1';
const TARGET_SOCKETS = 5_000;
const TARGET_P99_MS = 20;
/** Qinghai's prefectures: agents are spread over them in turn. */
const PREFECTURES = ['630100', '630200', '632200', '632300', '632500', '632600', '632700', '632800'];
const OTHER_TOPICS = ['marriage_family', 'land_housing', 'contract_debt', 'traffic_accident', 'consumer', 'criminal', 'administrative', 'legal_aid', 'other'];
/** Xining mobile, Mandarin (1), labour (1), no priority group (0), Chengdong (1), survey 5. */
const DIGITS = '11015';
const caller = () => `1351971${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;

/**
 * Wall-clock time with sub-millisecond resolution, comparable with the service's Date.now():
 * performance.timeOrigin + performance.now(), corrected by `clockOffset` (see calibrate()).
 */
let clockOffset = 0;
const clock = () => performance.timeOrigin + performance.now() + clockOffset;
/**
 * How far Date.now() is from performance.timeOrigin + performance.now() (the two can be apart
 * by a millisecond or so). Date.now() is the time rounded down to the millisecond, so over many
 * readings in 20 ms the largest difference is the offset itself.
 */
function calibrate(): number {
  let best = -Infinity;
  const end = performance.now() + 20;
  while (performance.now() < end) best = Math.max(best, Date.now() - (performance.timeOrigin + performance.now()));
  return best;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function summary(values: number[], digits = 2) {
  const s = [...values].sort((a, b) => a - b);
  return { count: s.length, p50: round(percentile(s, 50), digits), p90: round(percentile(s, 90), digits), p99: round(percentile(s, 99), digits), max: round(s.at(-1) ?? NaN, digits) };
}

/** p50/p99 of `values` grouped by `times` into windows of `ms` from the first time. */
function byWindow(times: number[], values: number[], ms: number) {
  if (times.length === 0) return [];
  const start = Math.min(...times);
  const windows: number[][] = [];
  times.forEach((t, i) => (windows[Math.floor((t - start) / ms)] ??= []).push(values[i]!));
  return [...windows].map((w, i) => {
    const s = summary(w ?? []);
    return { fromSecond: (i * ms) / 1000, offers: s.count, p50: s.p50, p99: s.p99 };
  });
}

/**
 * Work the service does for every socket in one pass: WebSocket pings (all sockets, every 15 s)
 * and queue figures (every 2 s, to each socket whose figures changed). The passes seen during
 * the run, from the frames' arrival times (frames less than `gapMs` apart belong to one pass),
 * and how many offers over the target were on their way (built, not yet arrived) during one.
 */
function passes(arrivals: number[], gapMs: number, offerTimes: number[], latencies: number[], over: number) {
  const sorted = [...arrivals].sort((a, b) => a - b);
  const found: { from: number; to: number; frames: number }[] = [];
  for (const t of sorted) {
    const last = found.at(-1);
    if (last && t - last.to < gapMs) {
      last.to = t;
      last.frames++;
    } else found.push({ from: t, to: t, frames: 1 });
  }
  const during = (i: number) => found.some((p) => offerTimes[i]! <= p.to && offerTimes[i]! + latencies[i]! >= p.from);
  const all = offerTimes.map((_, i) => i);
  const frames = summary(found.map((p) => p.frames), 0);
  const spread = summary(found.map((p) => p.to - p.from), 1);
  return {
    passes: found.length,
    framesPerPass: { p50: frames.p50, max: frames.max },
    spreadMs: { p50: spread.p50, max: spread.max },
    offersOverTarget: all.filter((i) => latencies[i]! > over).length,
    offersOverTargetInFlightDuringAPass: all.filter((i) => latencies[i]! > over && during(i)).length,
    offersInFlightDuringAPass: all.filter(during).length,
  };
}

/** This process's open-file limit: each socket is a descriptor here and one in the service. */
function openFileLimit(): number {
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    return Infinity;
  }
}


/** What the service reports about itself at GET /metrics. */
async function scrape(port: number) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string, labels = '') => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
  };
  const gc = ['minor', 'major', 'incremental', 'weakcb'].reduce((n, kind) => n + (value('nodejs_gc_duration_seconds_sum', `{kind="${kind}"}`) || 0), 0);
  return {
    rss: value('process_resident_memory_bytes'),
    heapUsed: value('nodejs_heap_size_used_bytes'),
    heapTotal: value('nodejs_heap_size_total_bytes'),
    external: value('nodejs_external_memory_bytes'),
    cpuSeconds: value('process_cpu_seconds_total'),
    gcSeconds: gc,
    // prom-client resets its event-loop histogram at every scrape: these cover the time since the last one.
    eventLoopDelay: { p50: value('nodejs_eventloop_lag_p50_seconds'), p99: value('nodejs_eventloop_lag_p99_seconds'), max: value('nodejs_eventloop_lag_max_seconds') },
  };
}
type Scrape = Awaited<ReturnType<typeof scrape>>;

const MiB = 2 ** 20;
const memoryView = (m: Scrape) => ({ rssMiB: round(m.rss / MiB, 1), heapUsedMiB: round(m.heapUsed / MiB, 1), heapTotalMiB: round(m.heapTotal / MiB, 1), externalMiB: round(m.external / MiB, 1) });

// ---- the agents -----------------------------------------------------------------------------

interface Frame {
  type: string;
  [k: string]: unknown;
}

interface BenchAgent {
  id: string;
  username: string;
  token: string;
  ws: WebSocket | null;
  requestedAt: number;
  openedAt: number;
  helloAt: number;
  offerTimeoutMs: number;
  state: string;
  /** The call connected to this agent, and its hang-up timer. */
  callId: string | null;
  hangup: NodeJS.Timeout | null;
  ref: number;
}

/** Everything the desktops saw, across all sockets. */
const seen = {
  offers: [] as number[],
  /** When each measured offer was built (service clock), to show latency over the run. */
  offerTimes: [] as number[],
  /** When the service's WebSocket pings arrived during the run (it pings every socket every 15 s). */
  pings: [] as number[],
  /** When queue.stats frames arrived during the run (the service sends them every 2 s where they changed). */
  statsFrames: [] as number[],
  offersBeforeRun: 0,
  placed: 0,
  offersWithoutNumber: 0,
  connected: 0,
  hungUp: 0,
  wrapUpsEnded: 0,
  offerCancelled: new Map<string, number>(),
  errors: new Map<string, number>(),
  errorSamples: [] as string[],
  frames: new Map<string, number>(),
  unexpectedCloses: new Map<number, number>(),
  measuring: false,
  closing: false,
};
const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);

function send(agent: BenchAgent, frame: Record<string, unknown>) {
  if (agent.ws?.readyState === WebSocket.OPEN) agent.ws.send(JSON.stringify({ v: 1, ref: `r${++agent.ref}`, ...frame }));
}

function onFrame(agent: BenchAgent, f: Frame, at: number) {
  bump(seen.frames, f.type);
  switch (f.type) {
    case 'hello':
      agent.helloAt = at;
      agent.offerTimeoutMs = (f.settings as { offerTimeoutSeconds: number }).offerTimeoutSeconds * 1000;
      agent.state = (f.state as { state: string }).state;
      return;
    case 'offer': {
      if (seen.measuring) {
        const builtAt = (f.expiresAt as number) - agent.offerTimeoutMs;
        seen.offers.push(at - builtAt);
        seen.offerTimes.push(builtAt);
        // The desktop shows the caller's number (masked) and history, read from the call's row.
        if (!(f.call as { callerNumber?: string }).callerNumber) seen.offersWithoutNumber++;
      } else seen.offersBeforeRun++;
      send(agent, { type: 'offer.accept', offerId: f.offerId });
      return;
    }
    case 'call.connected': {
      seen.connected++;
      const callId = (f.call as { callId: string }).callId;
      agent.callId = callId;
      agent.hangup = setTimeout(() => {
        agent.hangup = null;
        seen.hungUp++;
        send(agent, { type: 'call.hangup', callId });
      }, TALK_MS);
      return;
    }
    case 'call.ended':
      agent.callId = null;
      return;
    case 'state':
      agent.state = f.state as string;
      if (f.state === 'wrap_up') {
        seen.wrapUpsEnded++;
        send(agent, { type: 'wrapup.end', next: 'ready' });
      }
      return;
    case 'queue.stats':
      if (seen.measuring) seen.statsFrames.push(at);
      return;
    case 'offer.cancelled':
      bump(seen.offerCancelled, f.reason as string);
      return;
    case 'error':
      bump(seen.errors, f.code as string);
      if (seen.errorSamples.length < 10) seen.errorSamples.push(`${agent.username}: ${f.code} ${f.message}`);
      return;
    default:
      return;
  }
}

/** Opens one agent's desktop socket; resolves once hello has arrived (or the socket failed). */
function connect(port: number, agent: BenchAgent): Promise<boolean> {
  return new Promise((resolve) => {
    agent.requestedAt = clock();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/agents/ws?token=${agent.token}`);
    agent.ws = ws;
    let done = false;
    const finish = (ok: boolean, why?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!ok) {
        bump(seen.errors, `connect: ${why}`);
        if (seen.errorSamples.length < 10) seen.errorSamples.push(`${agent.username}: ${why}`);
      }
      resolve(ok);
    };
    const timer = setTimeout(() => {
      ws.terminate();
      finish(false, 'no hello within 60 s');
    }, 60_000);
    ws.on('open', () => (agent.openedAt = clock()));
    ws.on('ping', () => seen.measuring && seen.pings.push(clock()));
    ws.on('message', (data) => {
      const at = clock();
      onFrame(agent, JSON.parse(String(data)) as Frame, at);
      if (agent.helloAt) finish(true);
    });
    ws.on('unexpected-response', (_req, res) => finish(false, `upgrade refused (${res.statusCode})`));
    ws.on('error', (err) => finish(false, err.message));
    ws.on('close', (code) => {
      if (!seen.closing) bump(seen.unexpectedCloses, code);
      finish(false, `closed (${code})`);
    });
  });
}

/** Opens the sockets `concurrency` at a time; returns how many said hello. */
async function connectAll(port: number, agents: BenchAgent[], concurrency: number): Promise<number> {
  let next = 0;
  let ok = 0;
  const worker = async () => {
    while (next < agents.length) {
      const agent = agents[next++]!;
      if (await connect(port, agent)) ok++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, agents.length) }, worker));
  return ok;
}

async function waitFor(what: string, test: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) {
      process.stdout.write(`note: gave up waiting for ${what} after ${timeoutMs / 1000} s\n`);
      return false;
    }
    await sleep(50);
  }
  return true;
}

/** POST /sim/calls `n` times at `rate` per second, open loop: each request goes out at its time. */
async function placeCalls(port: number, token: string, n: number, rate: number) {
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  const placed: Promise<void>[] = [];
  const t0 = performance.now();
  for (let k = 0; k < n; k++) {
    const due = t0 + (k * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    placed.push(
      fetch(`http://127.0.0.1:${port}/sim/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ from: caller(), digits: DIGITS }),
      })
        .then(async (res) => {
          await res.text();
          if (res.status === 201) {
            latencies.push(performance.now() - due);
            seen.placed++;
          }
          else bump(errors, `HTTP ${res.status}`);
        })
        .catch((err: Error) => void bump(errors, err.message)),
    );
  }
  await Promise.all(placed);
  return { latencies, errors, seconds: (performance.now() - t0) / 1000 };
}

/** Until every call placed so far was answered and hung up, and every agent is ready again. */
async function callsDone(live: BenchAgent[], all: BenchAgent[]) {
  await waitFor('every call answered', () => seen.connected >= seen.placed, 60_000);
  await waitFor('every call hung up', () => all.every((a) => a.hangup === null), TALK_MS + 30_000);
  await waitFor('every agent ready again', () => live.every((a) => a.ws?.readyState !== WebSocket.OPEN || a.state === 'ready'), 30_000);
}

// ---- the run --------------------------------------------------------------------------------

async function main() {
  const loadBefore = os.loadavg()[0]!;
  if (loadBefore > 1) process.stdout.write(`note: load average ${loadBefore.toFixed(2)} before starting: other work is competing for the CPU\n`);
  const limit = openFileLimit();
  if (limit < AGENTS + 1_000) {
    throw new Error(`the open-file limit is ${limit}, too low for ${AGENTS} sockets (each is a descriptor here and in the service): raise it with \`ulimit -n ${AGENTS + 4_096}\` and run again`);
  }
  const namespace = `bench-${randomBytes(4).toString('hex')}`;
  const jwtSecret = randomBytes(32).toString('hex');
  const database = await freshDatabase(ADMIN_URL);
  const databaseUrl = database.url;
  let service: Awaited<ReturnType<typeof startService>> | null = null;
  let db: pg.Client | null = null;
  const agents: BenchAgent[] = [];
  try {
    service = await startService({
      NODE_ENV: 'production',
      LOG_LEVEL,
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      REDIS_NAMESPACE: namespace,
      JWT_SECRET: jwtSecret,
      TELEPHONY: 'sim',
      SIM_KEY_DELAY_MS: '0',
      SIM_TIME_SCALE,
    });
    const port = service.port;
    await waitReady(port);
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();

    // ---- agents, straight into the database, one statement --------------------------------
    const known = new Set((await db.query<{ code: string }>("select code from regions where level = 'prefecture'")).rows.map((r) => r.code.trim()));
    const prefectures = PREFECTURES.filter((c) => known.has(c));
    if (prefectures.length === 0) throw new Error('no Qinghai prefectures in the regions table');
    const usernames: string[] = [];
    const regions: string[] = [];
    const languages: string[] = [];
    const topics: string[] = [];
    for (let i = 0; i < AGENTS; i++) {
      usernames.push(`bench.agent.${String(i).padStart(5, '0')}`);
      regions.push(prefectures[i % prefectures.length]!);
      languages.push(JSON.stringify(i % 10 === 0 ? { zh: 5, bo: 3 } : { zh: 5 }));
      topics.push(JSON.stringify({ labour: 3 + (i % 3), [OTHER_TOPICS[i % OTHER_TOPICS.length]!]: 4, [OTHER_TOPICS[(i + 4) % OTHER_TOPICS.length]!]: 2 }));
    }
    const t0 = performance.now();
    const inserted = await db.query<{ id: string; username: string }>(
      `insert into agents (username, password_hash, display_name, role, region_code, languages, topics)
       select u, 'not-used-by-the-benchmark', '坐席 ' || right(u, 5), 'agent', r, l::jsonb, t::jsonb
       from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as x(u, r, l, t)
       returning id, username`,
      [usernames, regions, languages, topics],
    );
    const supervisor = (
      await db.query<{ id: string }>(
        `insert into agents (username, password_hash, display_name, role, region_code) values ('bench.supervisor', 'not-used', '基准测试', 'supervisor', '630000') returning id`,
      )
    ).rows[0]!;
    const insertMs = performance.now() - t0;
    const sign = createSigner({ key: jwtSecret, expiresIn: 3_600_000 });
    const supervisorToken = sign({ sub: supervisor.id, role: 'supervisor', username: 'bench.supervisor', tv: 0 });
    for (const row of inserted.rows) {
      agents.push({ id: row.id, username: row.username, token: sign({ sub: row.id, role: 'agent', username: row.username, tv: 0 }), ws: null, requestedAt: 0, openedAt: 0, helloAt: 0, offerTimeoutMs: 0, state: 'offline', callId: null, hangup: null, ref: 0 });
    }
    process.stdout.write(`${agents.length} agents inserted in ${Math.round(insertMs)} ms over ${prefectures.length} prefectures\n`);

    // ---- sockets and memory -----------------------------------------------------------------
    const warm = agents.slice(0, WARM_SOCKETS);
    const measured = agents.slice(WARM_SOCKETS);
    process.stdout.write(`warm-up: ${warm.length} sockets…\n`);
    await connectAll(port, warm, Math.min(CONCURRENCY, 50));
    await sleep(SETTLE_MS);
    const before = await scrape(port);
    process.stdout.write(`service before: RSS ${memoryView(before).rssMiB} MiB, heap used ${memoryView(before).heapUsedMiB} MiB\n`);
    process.stdout.write(`connecting ${measured.length} sockets, ${CONCURRENCY} at a time…\n`);
    const c0 = performance.now();
    const opened = await connectAll(port, measured, CONCURRENCY);
    const connectSeconds = (performance.now() - c0) / 1000;
    const duringConnect = await scrape(port);
    process.stdout.write(`${opened} of ${measured.length} said hello in ${connectSeconds.toFixed(1)} s; settling ${SETTLE_MS / 1000} s…\n`);
    const s0 = performance.now();
    await sleep(SETTLE_MS);
    const after = await scrape(port);
    const settleSeconds = (performance.now() - s0) / 1000;
    const open = () => agents.filter((a) => a.ws?.readyState === WebSocket.OPEN).length;
    const openAfterSettle = open();
    const perSocket = (k: 'rss' | 'heapUsed' | 'heapTotal' | 'external') => Math.round((after[k] - before[k]) / opened);
    const connected = measured.filter((a) => a.helloAt > 0);
    const connectResult = {
      warmUpSockets: warm.length,
      sockets: measured.length,
      saidHello: opened,
      openAfterSettle,
      concurrency: CONCURRENCY,
      seconds: round(connectSeconds, 2),
      socketsPerSecond: Math.round(opened / connectSeconds),
      upgradeMs: summary(connected.map((a) => a.openedAt - a.requestedAt)),
      helloMs: summary(connected.map((a) => a.helloAt - a.openedAt)),
      serviceEventLoopDelayMs: { p99: round(duringConnect.eventLoopDelay.p99 * 1000, 2), max: round(duringConnect.eventLoopDelay.max * 1000, 2) },
      serviceCpuSeconds: round(duringConnect.cpuSeconds - before.cpuSeconds, 2),
      // The service's CPU with every socket open and no calls (agents not ready): pings, presence renewals, queue figures.
      serviceCpuShareIdle: round((after.cpuSeconds - duringConnect.cpuSeconds) / (settleSeconds || 1), 3),
    };
    const memory = {
      before: memoryView(before),
      after: memoryView(after),
      perSocketBytes: { rss: perSocket('rss'), heapUsed: perSocket('heapUsed'), heapTotal: perSocket('heapTotal'), external: perSocket('external') },
      gcSecondsBetween: round(after.gcSeconds - before.gcSeconds, 3),
    };
    process.stdout.write(`memory per socket: RSS ${(memory.perSocketBytes.rss / 1024).toFixed(1)} KiB, heap used ${(memory.perSocketBytes.heapUsed / 1024).toFixed(1)} KiB\n`);

    // ---- everyone ready -----------------------------------------------------------------------
    const live = agents.filter((a) => a.ws?.readyState === WebSocket.OPEN);
    const r0 = performance.now();
    for (const a of live) send(a, { type: 'state.set', state: 'ready' });
    await waitFor('every agent ready', () => live.every((a) => a.state === 'ready'), 120_000);
    const readySeconds = (performance.now() - r0) / 1000;
    const readyCount = live.filter((a) => a.state === 'ready').length;
    process.stdout.write(`${readyCount} agents ready in ${readySeconds.toFixed(1)} s\n`);
    await sleep(2_000);

    // ---- offers -------------------------------------------------------------------------------
    // Warm-up calls (not measured): the first call loads the geocoding tables and warms the
    // whole call path; the measured run should not carry that one-time cost.
    process.stdout.write(`warm-up: ${WARM_CALLS} calls…\n`);
    await placeCalls(port, supervisorToken, WARM_CALLS, CALL_RATE);
    await callsDone(live, agents);
    clockOffset = calibrate();
    const total = Math.round(CALL_RATE * SECONDS);
    process.stdout.write(`placing ${total} calls at ${CALL_RATE}/s…\n`);
    const answeredBefore = seen.connected;
    const runBefore = await scrape(port);
    const transactions = async () => Number((await db!.query('select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()')).rows[0].n);
    const xact0 = await transactions();
    const lag = monitorEventLoopDelay({ resolution: 1 });
    lag.enable();
    seen.measuring = true;
    const p0 = performance.now();
    const run = await placeCalls(port, supervisorToken, total, CALL_RATE);
    const placedOk = run.latencies.length;
    await callsDone(live, agents);
    const runSeconds = (performance.now() - p0) / 1000;
    seen.measuring = false;
    lag.disable();
    const runAfter = await scrape(port);
    const simCalls = (await (await fetch(`http://127.0.0.1:${port}/sim/calls?limit=20000&compact=true`, { headers: { authorization: `Bearer ${supervisorToken}` } })).json()) as {
      calls: { outcome: string | null; status: string; surveyScore: number | null }[];
    };
    const outcomes: Record<string, number> = {};
    for (const c of simCalls.calls) outcomes[c.outcome ?? c.status] = (outcomes[c.outcome ?? c.status] ?? 0) + 1;
    // PostgreSQL publishes a connection's counters within 10 s of it going idle.
    await sleep(11_000);
    const xactPerCall = round(((await transactions()) - xact0) / Math.max(1, placedOk), 1);
    const latency = summary(seen.offers);
    const offers = {
      callRate: CALL_RATE,
      seconds: SECONDS,
      talkMs: TALK_MS,
      callsPlaced: placedOk,
      placeErrors: Object.fromEntries(run.errors),
      placeRequestMs: summary(run.latencies),
      placedPerSecond: round(placedOk / run.seconds, 1),
      offersDelivered: seen.offers.length,
      offerLatencyMs: { p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max },
      over20ms: seen.offers.filter((l) => l > TARGET_P99_MS).length,
      offersWithoutCallerNumber: seen.offersWithoutNumber,
      // Latency by when the offer was built, in 5-second windows: flat means steady, rising means a backlog.
      offerLatencyByWindowMs: byWindow(seen.offerTimes, seen.offers, 5_000),
      servicePingPasses: passes(seen.pings, 1_000, seen.offerTimes, seen.offers, TARGET_P99_MS),
      serviceQueueStatsPasses: passes(seen.statsFrames, 500, seen.offerTimes, seen.offers, TARGET_P99_MS),
      callsAnswered: seen.connected - answeredBefore,
      offersCancelled: Object.fromEntries(seen.offerCancelled),
      simulatorOutcomesWithWarmUp: outcomes,
      runSeconds: round(runSeconds, 1),
      // Every statement the service ran on PostgreSQL during the run (its own transaction unless in one), per call placed; approximate.
      postgresTransactionsPerCall: xactPerCall,
      service: {
        cpuShare: round((runAfter.cpuSeconds - runBefore.cpuSeconds) / runSeconds, 3),
        gcShare: round((runAfter.gcSeconds - runBefore.gcSeconds) / runSeconds, 3),
        eventLoopDelayMs: { p50: round(runAfter.eventLoopDelay.p50 * 1000, 2), p99: round(runAfter.eventLoopDelay.p99 * 1000, 2), max: round(runAfter.eventLoopDelay.max * 1000, 2) },
        memoryAfter: memoryView(runAfter),
      },
      benchmarkEventLoopDelayMs: { p50: round(lag.percentile(50) / 1e6, 2), p99: round(lag.percentile(99) / 1e6, 2), max: round(lag.max / 1e6, 2) },
      // The arrival clock's correction at the start of the run, and how far it drifted by the end.
      clockOffsetMs: round(clockOffset, 3),
      clockDriftMs: round(calibrate() - clockOffset, 3),
    };

    const socketsOpen = open();
    const out = {
      benchmark: 'agent desktop sockets',
      at: new Date().toISOString(),
      machine: machine(),
      loadAverage: { before: round(loadBefore, 2), after: round(os.loadavg()[0]!, 2) },
      setup: {
        service: `src/main.ts in its own process (one Node.js process), LOG_LEVEL=${LOG_LEVEL}, TELEPHONY=sim, SIM_KEY_DELAY_MS=0, SIM_TIME_SCALE=${SIM_TIME_SCALE}`,
        database: 'PostgreSQL 127.0.0.1 (fresh database, dropped after)',
        liveState: 'Redis 127.0.0.1 (own namespace, deleted after)',
        agents: `${AGENTS} agents inserted in one statement over ${prefectures.length} prefectures (${prefectures.join(', ')}), Mandarin, labour + 2 topics; tokens signed by the benchmark with the service's JWT secret`,
        sockets: 'ws client in the benchmark process over loopback; each socket is a signed-in agent (routing login, presence renewals every 10 s, pings every 15 s, queue figures every 2 s where they changed)',
        calls: `POST /sim/calls, open loop at ${CALL_RATE}/s for ${SECONDS} s, from 1351971xxxx with keys ${DIGITS} (Xining, Mandarin, labour → Xining's agents at the prefecture step)`,
        offerLatency: 'frame arrival (performance.timeOrigin + performance.now()) − (offer.expiresAt − offerTimeoutSeconds × 1000): from the router building the offer (before its Redis commit) to the frame in the desktop; service clock whole ms, so 0–1 ms high',
      },
      parameters: { agents: AGENTS, warmUpSockets: WARM_SOCKETS, connectConcurrency: CONCURRENCY, settleMs: SETTLE_MS, warmUpCalls: WARM_CALLS, callRate: CALL_RATE, seconds: SECONDS, talkMs: TALK_MS, simTimeScale: Number(SIM_TIME_SCALE) },
      target: {
        sockets: TARGET_SOCKETS,
        offerP99Ms: TARGET_P99_MS,
        socketsMet: socketsOpen >= TARGET_SOCKETS && AGENTS >= TARGET_SOCKETS,
        offerP99Met: latency.count > 0 && latency.p99 <= TARGET_P99_MS,
      },
      connect: connectResult,
      memory,
      ready: { agents: readyCount, seconds: round(readySeconds, 2) },
      offers,
      sockets: {
        openAtEnd: socketsOpen,
        unexpectedCloses: Object.fromEntries(seen.unexpectedCloses),
        errors: Object.fromEntries(seen.errors),
        errorSamples: seen.errorSamples,
        framesReceived: Object.fromEntries(seen.frames),
      },
    };
    const file = path.join(__dirname, 'results', 'agents.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
    process.stdout.write(
      `\nsockets: ${socketsOpen} open; ${opened} connected in ${connectResult.seconds} s (${connectResult.socketsPerSecond}/s), hello p50 ${connectResult.helloMs.p50} ms p99 ${connectResult.helloMs.p99} ms\n` +
        `memory per socket: RSS ${kib(memory.perSocketBytes.rss)}, heap used ${kib(memory.perSocketBytes.heapUsed)}\n` +
        `offers: ${offers.offersDelivered} delivered, p50 ${latency.p50} ms, p90 ${latency.p90} ms, p99 ${latency.p99} ms, max ${latency.max} ms; ${offers.callsAnswered} answered\n` +
        `target ${TARGET_SOCKETS} sockets, offer p99 ≤ ${TARGET_P99_MS} ms: ${out.target.socketsMet && out.target.offerP99Met ? 'met' : 'MISSED'}\n`,
    );
  } catch (err) {
    process.stderr.write(`benchmark failed: ${(err as Error).stack}\n--- service output ---\n${service?.output() ?? ''}\n`);
    process.exitCode = 1;
  } finally {
    seen.closing = true;
    for (const a of agents) {
      if (a.hangup) clearTimeout(a.hangup);
      a.ws?.terminate();
    }
    await db?.end().catch(() => {});
    if (service) {
      // The service's own grace period is 10 s; do not wait for ever.
      const s = service;
      const kill = setTimeout(() => {
        process.stderr.write('the service did not stop within 30 s of SIGTERM; killing it\n');
        s.child.kill('SIGKILL');
      }, 30_000);
      await s.stop();
      clearTimeout(kill);
    }
    await database.drop();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${namespace}:*`);
    for (let i = 0; i < keys.length; i += 1_000) await redis.unlink(...keys.slice(i, i + 1_000));
    redis.disconnect();
  }
}

void main().catch((err) => {
  process.stderr.write(`benchmark failed: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
