/**
 * npm run bench:webhooks — Twilio webhooks per second, and latency, through the real service:
 * `src/main.ts` in its own process on PostgreSQL (a fresh database, dropped afterwards) and
 * Redis (its own namespace, deleted afterwards), TELEPHONY=twilio,sim, the REST API pointed at
 * a local fake Twilio. Writes bench/results/webhooks.json.
 *
 * Every request is signed in advance, as Twilio signs it, and sent over loopback. The load is
 * made of "walks": an incoming call for a new CallSid (`voice`), then the three menu answers
 * (`gather`: language, topic, priority group) of a call created before the run. So a quarter of
 * the requests create a call (call row, timeline, caller history, flow state) and three quarters
 * move a call to its next menu (flow state read, checked and written).
 *   - paced: open loop at 1,500, 2,250 and 3,000 requests/s. Each request is due at its time
 *     whether or not earlier ones were answered, and its latency counts from then. The 3,000/s
 *     run is the target: p99 ≤ 20 ms.
 *   - max:   autocannon, 32 connections as fast as they go (closed loop).
 * Then the simulator: robot agents (PUT /sim/agents) and POST /sim/calls, each call walking
 * menus → queue → robot agent → survey; whole calls per second, counted by their survey answers.
 *
 * Adjust a run with BENCH_SECONDS (10), BENCH_RATES (1500,2250,3000), BENCH_SIM_CALLS (3000),
 * BENCH_LOG_LEVEL (warn) and BENCH_NODE_ARGS (e.g. "--cpu-prof"). Diagnostics: BENCH_MIX=gather
 * sends menu answers only; BENCH_HISTOGRAM=1 prints latency histograms; BENCH_ASYNC_COMMIT=1
 * lets PostgreSQL commit without waiting for the disk (shows how much of the tail is the disk's).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, signedWebhook, startFakeTwilio } from '../test/support/fake-twilio';
import { machine, percentile, round } from './machine';
import { startService } from './service';

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TARGET_RATE = 3_000;
const PACED_RATES = process.env.BENCH_RATES ? process.env.BENCH_RATES.split(',').map(Number) : [1_500, 2_250, TARGET_RATE];
const TARGET_P99_MS = 20;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
const SIM_CALLS = Number(process.env.BENCH_SIM_CALLS ?? 3_000);
const SIM_ROBOTS = 200;

interface Prepared {
  path: string;
  headers: Record<string, string>;
  body: string;
}

const sign = (pathAndQuery: string, params: Record<string, string>): Prepared => {
  const r = signedWebhook(pathAndQuery, params);
  return { path: r.url, headers: r.headers, body: r.payload };
};

let sidCounter = 0;
const callSid = () => `CA${randomBytes(12).toString('hex')}${(++sidCounter).toString(16).padStart(8, '0')}`;
/** Qinghai mobile numbers (Xining prefix), so each call is placed by the geocoder like a real one. */
const caller = () => `+861351971${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;

function voiceRequest(): Prepared {
  return sign('/telephony/twilio/voice', { CallSid: callSid(), AccountSid: ACCOUNT_SID, From: caller(), To: '+8697112348', CallStatus: 'ringing', Direction: 'inbound', ApiVersion: '2010-04-01' });
}

/** The menu answers of a call created before the run, signed: language Mandarin, a topic, no priority group. */
function answers(call: { callId: string; sid: string; from: string }): Prepared[] {
  const base = { CallSid: call.sid, AccountSid: ACCOUNT_SID, From: call.from, CallStatus: 'in-progress', Direction: 'inbound', ApiVersion: '2010-04-01' };
  const keys = ['1', String(1 + Math.floor(Math.random() * 9)), '0'];
  return keys.map((Digits, i) => sign(`/telephony/twilio/gather?call=${call.callId}&step=${i + 1}`, { ...base, Digits }));
}

async function json(port: number, method: string, url: string, body?: unknown, token?: string) {
  const res = await fetch(`http://127.0.0.1:${port}${url}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Creates `n` calls through the voice webhook (not measured) and returns their ids. */
async function createCalls(port: number, n: number) {
  const calls: { callId: string; sid: string; from: string }[] = [];
  let i = 0;
  const worker = async () => {
    while (i < n) {
      i++;
      const sid = callSid();
      const from = caller();
      const r = signedWebhook('/telephony/twilio/voice', { CallSid: sid, AccountSid: ACCOUNT_SID, From: from, CallStatus: 'ringing' });
      const res = await fetch(`http://127.0.0.1:${port}${r.url}`, { method: 'POST', headers: r.headers, body: r.payload });
      const xml = await res.text();
      const callId = /call=([0-9a-f-]{36})/.exec(xml)?.[1];
      if (res.status !== 200 || !callId) throw new Error(`voice webhook failed: ${res.status} ${xml}`);
      calls.push({ callId, sid, from });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return calls;
}

interface Walk {
  steps: Prepared[];
}

/** The machine's CPU counters (Linux /proc/stat): busy, idle and stolen (by the hypervisor) jiffies. */
function cpuTimes(): { busy: number; idle: number; steal: number } | null {
  try {
    const [, ...f] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f.map(Number) as number[];
    return { busy: user! + nice! + system! + irq! + softirq!, idle: idle! + iowait!, steal: steal ?? 0 };
  } catch {
    return null;
  }
}

/** What the service itself reports at GET /metrics: time spent per webhook, event-loop delay, GC. */
async function scrape(port: number) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string, labels = '') => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
  };
  const route = (hook: string) => {
    const labels = (le?: string) => `{${le ? `le="${le}",` : ''}method="POST",route="/telephony/twilio/${hook}",status_code="200"}`;
    return {
      count: value('http_request_duration_seconds_count', labels()),
      sum: value('http_request_duration_seconds_sum', labels()),
      le10ms: value('http_request_duration_seconds_bucket', labels('0.01')),
      le25ms: value('http_request_duration_seconds_bucket', labels('0.025')),
    };
  };
  return {
    voice: route('voice'),
    gather: route('gather'),
    eventLoopDelay: { p99: value('nodejs_eventloop_lag_p99_seconds'), max: value('nodejs_eventloop_lag_max_seconds') },
    gc: { minor: value('nodejs_gc_duration_seconds_sum', '{kind="minor"}'), major: value('nodejs_gc_duration_seconds_sum', '{kind="major"}'), incremental: value('nodejs_gc_duration_seconds_sum', '{kind="incremental"}') },
  };
}

/** The service's own view of the interval between two scrapes. */
function serviceDelta(before: Awaited<ReturnType<typeof scrape>>, after: Awaited<ReturnType<typeof scrape>>, seconds: number) {
  const hook = (b: typeof before.voice, a: typeof after.voice) => {
    const n = a.count - b.count;
    return { requests: n, meanMs: round(((a.sum - b.sum) / n) * 1000, 2), over10ms: n - (a.le10ms - b.le10ms), over25ms: n - (a.le25ms - b.le25ms) };
  };
  return {
    timeInServiceByWebhook: { voice: hook(before.voice, after.voice), gather: hook(before.gather, after.gather) },
    eventLoopDelayMs: { p99: round(after.eventLoopDelay.p99 * 1000, 2), max: round(after.eventLoopDelay.max * 1000, 2) },
    gcShareOfTime: round((after.gc.minor + after.gc.major + after.gc.incremental - before.gc.minor - before.gc.major - before.gc.incremental) / seconds, 3),
  };
}

/**
 * Requests at a steady rate, open loop: request k is due at k / rate seconds, whether or not
 * earlier ones have been answered, and its latency counts from that moment (so a backlog shows
 * as latency instead of slowing the sender). autocannon's own rate limit does not pace: it sends
 * a second's budget as fast as it can, then waits for the next second.
 *
 * Each walk is one caller: its next request goes out only after the previous one was answered
 * (a call's menu answers come in order), and enough callers are in flight that one is always
 * ready. Raw keep-alive HTTP/1.1 sockets with the requests serialised in advance keep the
 * sender's own cost small.
 */
async function paced(port: number, pool: Walk[], options: { rate: number; seconds: number; sockets: number; callers: number }) {
  interface Conn {
    socket: net.Socket;
    buffer: Buffer;
    busy: boolean;
    due: number;
    caller: Caller | null;
  }
  interface Caller {
    walk: Walk;
    next: number;
  }
  const latencies: number[] = [];
  /** Latency by the webhook's path (voice, gather). */
  const byHook = new Map<string, number[]>();
  const statuses = new Map<number, number>();
  let errors = 0;
  const serialise = (r: Prepared) =>
    Buffer.from(
      `POST ${r.path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: keep-alive\r\n` +
        Object.entries(r.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
        `content-length: ${Buffer.byteLength(r.body)}\r\n\r\n${r.body}`,
    );
  const requests = new Map<Prepared, Buffer>();
  for (const walk of pool) for (const step of walk.steps) requests.set(step, serialise(step));

  const ready: Caller[] = [];
  const free: Conn[] = [];
  const backlog: number[] = [];
  const refill = () => {
    while (ready.length < 1 && pool.length > 0) ready.push({ walk: pool.pop()!, next: 0 });
  };
  for (let i = 0; i < options.callers && pool.length > 0; i++) ready.push({ walk: pool.pop()!, next: 0 });

  const send = (conn: Conn, due: number) => {
    refill();
    const caller = ready.shift();
    if (!caller) {
      // Every caller is waiting for an answer: the request waits too (and its latency grows).
      backlog.unshift(due);
      free.push(conn);
      return;
    }
    conn.busy = true;
    conn.due = due;
    conn.caller = caller;
    conn.socket.write(requests.get(caller.walk.steps[caller.next]!)!);
  };
  const onData = (conn: Conn, chunk: Buffer) => {
    conn.buffer = conn.buffer.length ? Buffer.concat([conn.buffer, chunk]) : chunk;
    const end = conn.buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = conn.buffer.subarray(0, end).toString('latin1');
    const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (conn.buffer.length < end + 4 + length) return;
    conn.buffer = conn.buffer.subarray(end + 4 + length);
    const status = Number(head.slice(9, 12));
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const latency = performance.now() - conn.due;
    latencies.push(latency);
    const caller = conn.caller!;
    const hook = /\/telephony\/twilio\/(\w+)/.exec(caller.walk.steps[caller.next]!.path)![1]!;
    if (!byHook.has(hook)) byHook.set(hook, []);
    byHook.get(hook)!.push(latency);
    caller.next++;
    if (caller.next < caller.walk.steps.length) ready.push(caller);
    conn.busy = false;
    conn.caller = null;
    const due = backlog.pop();
    if (due !== undefined) send(conn, due);
    else free.push(conn);
  };
  const conns: Conn[] = await Promise.all(
    Array.from({ length: options.sockets }, () =>
      new Promise<Conn>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.setNoDelay(true);
        const conn: Conn = { socket, buffer: Buffer.alloc(0), busy: false, due: 0, caller: null };
        socket.on('data', (d) => onData(conn, d));
        socket.on('error', () => errors++);
        socket.once('connect', () => resolve(conn));
        socket.once('error', reject);
      }),
    ),
  );
  free.push(...conns);

  const total = Math.round(options.rate * options.seconds);
  const started = performance.now();
  let issued = 0;
  /** How late the sender itself was for each batch (its own event loop): part of every latency. */
  const lags: number[] = [];
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const dueCount = Math.min(total, Math.floor(((now - started) / 1000) * options.rate));
      if (issued < dueCount) lags.push(now - (started + (issued * 1000) / options.rate));
      while (issued < dueCount) {
        const due = started + (issued * 1000) / options.rate;
        issued++;
        const conn = free.pop();
        if (conn) send(conn, due);
        else backlog.unshift(due);
      }
      if (issued >= total) return resolve();
      // A timer, not setImmediate: spinning would take a core from the service. Requests due
      // within the same millisecond go out together.
      setTimeout(tick, 1);
    };
    tick();
  });
  // Let the last answers arrive.
  const deadline = performance.now() + 10_000;
  while (latencies.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const seconds = (performance.now() - started) / 1000;
  for (const c of conns) c.socket.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  if (process.env.BENCH_HISTOGRAM) {
    const buckets = new Map<number, number>();
    for (const l of sorted) buckets.set(Math.min(200, Math.floor(l / 5) * 5), (buckets.get(Math.min(200, Math.floor(l / 5) * 5)) ?? 0) + 1);
    process.stdout.write(`latency histogram at ${options.rate}/s (ms bucket: count): ${[...buckets].map(([b, n]) => `${b}:${n}`).join(' ')}\n`);
  }
  const non2xx = [...statuses].filter(([s]) => s < 200 || s > 299).reduce((n, [, c]) => n + c, 0);
  return {
    rate: options.rate,
    sockets: options.sockets,
    callers: options.callers,
    seconds: round(seconds),
    requests: latencies.length,
    requestsPerSecond: Math.round(latencies.length / seconds),
    latencyMs: { p50: round(percentile(sorted, 50), 2), p90: round(percentile(sorted, 90), 2), p99: round(percentile(sorted, 99), 2), max: round(sorted.at(-1) ?? NaN, 2) },
    latencyByWebhookMs: Object.fromEntries(
      [...byHook].map(([hook, l]) => {
        l.sort((a, b) => a - b);
        return [hook, { requests: l.length, p50: round(percentile(l, 50), 2), p99: round(percentile(l, 99), 2) }];
      }),
    ),
    senderLagMs: (() => {
      const l = lags.sort((a, b) => a - b);
      return { p50: round(percentile(l, 50), 2), p99: round(percentile(l, 99), 2), max: round(l.at(-1) ?? NaN, 2) };
    })(),
    non2xx,
    errors,
    unanswered: total - latencies.length,
  };
}

/** One autocannon run over walks taken from `pool`; a connection with no walk left sends new incoming calls. */
async function run(port: number, pool: Walk[], options: { connections: number; overallRate?: number; seconds: number }) {
  let fallbacks = 0;
  const step = (i: number) => ({
    method: 'POST' as const,
    setupRequest: (req: autocannon.Request, context: Record<string, unknown>) => {
      if (i === 0) context.walk = pool.pop();
      const walk = context.walk as Walk | undefined;
      const prepared = walk?.steps[i] ?? (fallbacks++, voiceRequest());
      return { ...req, method: 'POST' as const, path: prepared.path, headers: prepared.headers, body: prepared.body };
    },
  });
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: options.connections,
    pipelining: 1,
    duration: options.seconds,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [step(0), step(1), step(2), step(3)] as autocannon.Request[],
  });
  return {
    connections: options.connections,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    seconds: result.duration,
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.total / result.duration),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    walksLeft: pool.length,
    fallbackRequests: fallbacks,
  };
}

async function simulator(port: number, token: string, db: pg.Client) {
  await json(port, 'PUT', '/sim/agents', { count: SIM_ROBOTS, talkSeconds: 0.5, answerDelaySeconds: 0, wrapUpSeconds: 0, seed: 12348 }, token);
  const before = Number((await db.query('select count(*)::int as n from survey_responses')).rows[0].n);
  const started = performance.now();
  // Outside the province (Shanghai) → the whole province's seats; Mandarin, labour, no group,
  // "none of these" for the region, then a survey score of 5.
  const placed = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 16,
    amount: SIM_CALLS,
    requests: [{ method: 'POST', path: '/sim/calls', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ from: '02188888888', digits: '11005' }) }],
  });
  const placedSeconds = (performance.now() - started) / 1000;
  let done = 0;
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    done = Number((await db.query('select count(*)::int as n from survey_responses')).rows[0].n) - before;
    if (done >= SIM_CALLS) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  // The call records are written behind the calls (they never hold up routing): let them catch up.
  for (let i = 0; i < 100; i++) {
    const open = Number((await db.query("select count(*)::int as n from calls where driver = 'sim' and end_reason is null")).rows[0].n);
    if (open === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const outcomes = (await db.query("select end_reason, count(*)::int as n from calls where driver = 'sim' group by end_reason")).rows;
  await json(port, 'PUT', '/sim/agents', { count: 0 }, token);
  return {
    robots: SIM_ROBOTS,
    meanTalkSeconds: 0.5,
    calls: SIM_CALLS,
    placeRequestsPerSecond: Math.round(placed.requests.total / placedSeconds),
    placeLatencyMs: { p50: placed.latency.p50, p99: placed.latency.p99 },
    completedThroughSurvey: done,
    seconds: round(seconds),
    callsPerSecond: Math.round(done / seconds),
    outcomes: Object.fromEntries(outcomes.map((r) => [r.end_reason ?? 'in progress', r.n])),
  };
}

async function main() {
  const loadBefore = os.loadavg()[0]!;
  if (loadBefore > 1) process.stdout.write(`note: load average ${loadBefore.toFixed(2)} before starting: other work is competing for the CPU\n`);
  const database = `hotline_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const namespace = `bench-${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${database}`);
  // BENCH_ASYNC_COMMIT=1 (diagnostic): commits do not wait for the WAL to reach the disk, to
  // show how much of the latency is the disk's. Never how the service should run.
  if (process.env.BENCH_ASYNC_COMMIT) await admin.query(`alter database ${database} set synchronous_commit = off`);
  const fake = await startFakeTwilio();
  const databaseUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${database}`);
  const service = await startService({
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_NAMESPACE: namespace,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ADMIN_PASSWORD: 'bench-admin-password',
    TELEPHONY: 'twilio,sim',
    PUBLIC_BASE_URL,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_API_BASE_URL: fake.url,
    SIM_KEY_DELAY_MS: '50',
    SIM_TIME_SCALE: '0.01',
  });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const port = service.port;
    // Enough walks for the fastest run we expect, plus warm-up; more are not needed (the
    // fallback sends new incoming calls, counted in the results).
    const needed = (rate: number, seconds: number) => Math.ceil((rate * seconds) / 4);
    const maxWalks = needed(5_000, SECONDS);
    const pacedWalks = PACED_RATES.map((rate) => needed(rate * 1.1, SECONDS) + 256);
    const warmWalks = needed(6_000, WARMUP_SECONDS);
    const all = maxWalks + pacedWalks.reduce((a, b) => a + b, 0) + warmWalks;
    process.stdout.write(`creating ${all} calls in their menus…\n`);
    const created = await createCalls(port, all);
    // BENCH_MIX=gather (diagnostic): menu answers only, no incoming calls, to tell the two costs apart.
    const walks = (n: number): Walk[] =>
      created.splice(0, n).map((c) => {
        const a = answers(c);
        return { steps: process.env.BENCH_MIX === 'gather' ? [...a, a[2]!] : [voiceRequest(), ...a] };
      });
    const warmPool = walks(warmWalks);
    const maxPool = walks(maxWalks);
    const pacedPools = pacedWalks.map((n) => walks(n));

    // The setup wrote tens of thousands of rows: vacuum now rather than have autovacuum compete
    // with a measured run (it still may, for the rows the runs themselves write), and start each
    // run just after a checkpoint rather than have one forced in the middle of it (the whole
    // server's WAL counts towards max_wal_size, including other databases on it).
    const vacuum = async () => {
      await db.query('vacuum analyze calls, call_events');
      await db.query('checkpoint').catch(() => {});
    };
    await vacuum();
    process.stdout.write('warm-up…\n');
    await run(port, warmPool, { connections: 32, seconds: WARMUP_SECONDS });
    const pacedRuns: (Awaited<ReturnType<typeof paced>> & { machineCpu: { busy: number; stolen: number } | null; service: ReturnType<typeof serviceDelta> })[] = [];
    let inService: ReturnType<typeof serviceDelta> | null = null;
    for (const [i, rate] of PACED_RATES.entries()) {
      process.stdout.write(`paced at ${rate}/s…\n`);
      const before = await scrape(port);
      const cpu0 = cpuTimes();
      const result = await paced(port, pacedPools[i]!, { rate, seconds: SECONDS, sockets: 64, callers: 256 });
      const cpu1 = cpuTimes();
      const service = serviceDelta(before, await scrape(port), result.seconds);
      if (rate === TARGET_RATE) inService = service;
      const all = cpu0 && cpu1 ? cpu1.busy + cpu1.idle + cpu1.steal - cpu0.busy - cpu0.idle - cpu0.steal : 0;
      // The whole machine (service, PostgreSQL, Redis, the load itself, anything else running).
      const machineCpu = cpu0 && cpu1 && all > 0 ? { busy: round((cpu1.busy - cpu0.busy) / all, 2), stolen: round((cpu1.steal - cpu0.steal) / all, 2) } : null;
      pacedRuns.push({ ...result, machineCpu, service });
      await vacuum();
    }
    const target = pacedRuns.find((r) => r.rate === TARGET_RATE) ?? pacedRuns.at(-1)!;
    process.stdout.write('max throughput…\n');
    const max = await run(port, maxPool, { connections: 32, seconds: SECONDS });
    await vacuum();

    if (process.env.BENCH_MIX === 'gather') {
      process.stdout.write(`${JSON.stringify({ mix: 'gather', max, paced: pacedRuns, service: inService }, null, 2)}\n`);
      return;
    }
    process.stdout.write('simulator through the whole flow…\n');
    const { token } = await json(port, 'POST', '/api/auth/login', { username: 'admin', password: 'bench-admin-password' });
    const sim = await simulator(port, token, db);

    const out = {
      benchmark: 'twilio webhooks',
      at: new Date().toISOString(),
      machine: machine(),
      // Other work on the machine skews every figure: the 1-minute load average before the benchmark started, and at its end.
      loadAverage: { before: round(loadBefore, 2), after: round(os.loadavg()[0]!, 2) },
      setup: {
        service: 'src/main.ts in its own process (one Node.js process), LOG_LEVEL=' + (process.env.BENCH_LOG_LEVEL ?? 'warn'),
        database: 'PostgreSQL 127.0.0.1 (fresh database, dropped after)',
        liveState: 'Redis 127.0.0.1 (own namespace, deleted after)',
        load: 'from the benchmark process over loopback, requests signed in advance (X-Twilio-Signature): paced = open loop at a fixed rate over 64 keep-alive sockets, latency from each request\'s due time; max = autocannon, 32 connections, closed loop',
        mix: 'walks of 4 requests: voice (new CallSid) + 3 gather answers (language, topic, priority) of a call created before the run',
      },
      target: { requestsPerSecond: TARGET_RATE, p99Ms: TARGET_P99_MS, met: target.requestsPerSecond >= TARGET_RATE * 0.98 && target.latencyMs.p99 <= TARGET_P99_MS && target.non2xx === 0 },
      webhooks: { paced: pacedRuns, max },

      simulator: sim,
    };
    const file = path.join(__dirname, 'results', 'webhooks.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(
      `\nwebhooks, paced: ${pacedRuns.map((r) => `${r.requestsPerSecond}/s p50 ${r.latencyMs.p50} ms p99 ${r.latencyMs.p99} ms`).join('; ')}\n` +
        `webhooks, max (32 connections): ${max.requestsPerSecond}/s, p50 ${max.latencyMs.p50} ms, p99 ${max.latencyMs.p99} ms\n` +
        `target ${TARGET_RATE}/s at p99 ≤ ${TARGET_P99_MS} ms: ${out.target.met ? 'met' : 'MISSED'}\n` +
        `simulator: ${sim.callsPerSecond} whole calls/s (${sim.completedThroughSurvey} of ${sim.calls} through the survey in ${sim.seconds} s)\n`,
    );
  } catch (err) {
    process.stderr.write(`benchmark failed: ${(err as Error).stack}\n--- service output ---\n${service.output()}\n`);
    process.exitCode = 1;
  } finally {
    await db.end().catch(() => {});
    await service.stop();
    await fake.close();
    await admin.query(`drop database if exists ${database} with (force)`).catch((err) => process.stderr.write(`could not drop ${database}: ${err.message}\n`));
    await admin.end();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${namespace}:*`);
    for (let i = 0; i < keys.length; i += 1_000) await redis.unlink(...keys.slice(i, i + 1_000));
    redis.disconnect();
  }
}

void main().catch((err) => {
  process.stderr.write(`benchmark failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
