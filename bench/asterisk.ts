/**
 * npm run bench:asterisk — calls through the Asterisk driver at rising rates, with the AMI link
 * as the one path between the service and the phone system. Writes bench/results/asterisk.json.
 * Target (issue 13): ≥ 45 connects/s (1.5× app_queue's ~30 on the same 2-core machine) with
 * queue-join → bridge p50 ≤ 20 ms.
 *
 * The real service (`src/main.ts`) in its own process on PostgreSQL (a fresh database, dropped
 * afterwards) and Redis (its own namespace), TELEPHONY=asterisk, its AMI client logged in to the
 * fake Asterisk of the tests (test/support/fake-ami.ts) running here: each action is answered
 * after BENCH_AMI_LATENCY_MS (1), one session's actions one after another as manager.c does, and
 * only the events manager.conf's eventfilter lines let through are sent. The benchmark plays the
 * dialplan: each caller is a channel announced by [hotline-inbound]; it answers every menu at once
 * (Mandarin, labour, no priority group, no district), and when it is Redirected to the agent the
 * agent's leg answers at once (DialEnd, BridgeEnter ×2), talks BENCH_TALK_MS (1000) and hangs up;
 * the caller answers the survey and hangs up.
 *
 * BENCH_AGENTS (50) agents are desks on /agents/ws that accept every offer at once and end wrap-up
 * at once. Callers arrive open-loop at each rate of BENCH_RATES (10,20,30,45,50,60 calls/s) for
 * BENCH_SECONDS (10) each, from Xining mobile numbers; a caller waiting longer than 60 s hangs up.
 * Two modes, one after the other on a fresh service each: `generated` (the dialplan of
 * `npm run asterisk:dialplan`: menus in Asterisk, one Redirect per decision) and `generic` (the
 * service driving every menu with Setvar + Redirect, as before issue 13).
 *
 * Per rate: connects/s (bridges ÷ the time from the first to the last), queue-join → bridge (the Redirect
 * that put the caller on hold reaching "Asterisk" → the Redirect to the agent reaching it) p50 /
 * p99, callers abandoned, AMI actions and events per call, the service's CPU.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { FakeAmi, type FakeChannel } from '../test/support/fake-ami';
import { FakeDialplan } from '../test/support/fake-dialplan';
import { type Desks, type DeskSaw, scriptedDesks } from './desks';
import { cpuSeconds, latencySummary as summary, machine, round } from './machine';
import { freshDatabase, startService, waitReady } from './service';

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const AGENTS = Number(process.env.BENCH_AGENTS ?? 50);
const RATES = (process.env.BENCH_RATES ?? '10,20,30,45,50,60').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const TALK_MS = Number(process.env.BENCH_TALK_MS ?? 1_000);
const LATENCY_MS = Number(process.env.BENCH_AMI_LATENCY_MS ?? 1);
const MODES = (process.env.BENCH_MODES ?? 'generated,generic').split(',') as Mode[];
const PATIENCE_MS = 60_000;
const OUT_FILE = process.env.BENCH_ASTERISK_OUT ?? path.join(__dirname, 'results', 'asterisk.json');
const TARGET_CONNECTS = 45;
const TARGET_P50_MS = 20;
const ROOT = path.join(__dirname, '..');

type Mode = 'generated' | 'generic';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Caller {
  channel: FakeChannel;
  rate: number;
  placedAt: number;
  joinedAt: number | null;
  bridgedAt: number | null;
  endedAt: number | null;
  abandoned: boolean;
  patience: NodeJS.Timeout | null;
}



async function runMode(mode: Mode, fingerprint: string, filters: RegExp[]) {
  const credentials = { username: 'hotline', secret: randomBytes(12).toString('hex') };
  const ami = await new FakeAmi(credentials, undefined, { eventFilters: filters, actionLatencyMs: LATENCY_MS }).start();
  const dialplan = new FakeDialplan(ami);
  const callers = new Map<string, Caller>();
  /** Per agent: when their last call's talk ended, for the turnaround to their next connect. */
  const talkEnded = new Map<string, number>();
  const turnarounds: Array<{ at: number; ms: number }> = [];
  /** Per agent, when the desk last saw each step after a call: where an agent's turnaround goes (set once the desks are in). */
  let deskSaw = new Map<string, DeskSaw>();
  const phases: Record<string, number[]> = { hangupToWrapUp: [], wrapUpToReady: [], readyToOffer: [], offerToRedirect: [] };
  const byChannel = new Map<string, Caller>();

  const done = (c: Caller) => {
    if (c.patience) clearTimeout(c.patience);
    c.patience = null;
    c.endedAt ??= performance.now();
  };
  // The dialplan, played as each Redirect reaches "Asterisk" (after its latency).
  ami.onAction((a) => {
    if (a.action !== 'redirect') return;
    const caller = byChannel.get(a.headers.channel ?? '');
    if (!caller || caller.endedAt !== null) return;
    const uid = caller.channel.uniqueid;
    const context = a.headers.context ?? '';
    // The Redirect is answered after the observers: play on from the next turn.
    setImmediate(() => {
      if (caller.endedAt !== null || !ami.channels.has(uid)) return;
      const menu = ami.channel(uid).vars.get('HL_MENU');
      switch (context) {
        case 'hotline-menu':
        case 'hotline-ask':
          dialplan.press(uid, menu === 'language' || menu === 'topic' ? '1' : menu === 'survey' ? '5' : '0');
          return;
        case 'hotline-hold':
        case 'hotline-wait':
          caller.joinedAt ??= performance.now();
          return;
        case 'hotline-connect':
        case 'hotline-agent': {
          caller.bridgedAt = performance.now();
          if (caller.patience) clearTimeout(caller.patience);
          const agentName = (a.headers.exten ?? '').split('*')[1] ?? ami.channel(uid).vars.get('HL_DIAL') ?? '';
          const ended = talkEnded.get(agentName);
          if (ended !== undefined) {
            turnarounds.push({ at: caller.bridgedAt, ms: caller.bridgedAt - ended });
            const d = deskSaw.get(agentName);
            if (d?.wrapUp && d.ready && d.offer && d.wrapUp > ended) {
              phases.hangupToWrapUp!.push(d.wrapUp - ended);
              phases.wrapUpToReady!.push(d.ready - d.wrapUp);
              phases.readyToOffer!.push(d.offer - d.ready);
              phases.offerToRedirect!.push(caller.bridgedAt - d.offer);
            }
          }
          const agent = dialplan.agentAnswers(uid);
          setTimeout(() => {
            talkEnded.set(agentName, performance.now());
            if (!ami.channels.has(uid)) return;
            if (mode === 'generated') {
              dialplan.agentHangsUpGenerated(uid, agent);
              dialplan.surveyGenerated(uid, '5');
              done(caller);
            } else dialplan.agentHangsUp(uid, agent);
          }, TALK_MS);
          return;
        }
        case 'hotline-bye':
        case 'hotline-end':
          dialplan.bye(uid);
          done(caller);
          return;
      }
    });
  });

  const jwtSecret = randomBytes(32).toString('hex');
  const database = await freshDatabase(ADMIN_URL);
  const databaseUrl = database.url;
  let service: Awaited<ReturnType<typeof startService>> | null = null;
  let desks: Desks | null = null;
  try {
    service = await startService({
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      DATABASE_URL: databaseUrl,
      // BENCH_REDIS=0: the in-process live store (one node), to see what Redis costs.
      ...(process.env.BENCH_REDIS === '0' ? {} : { REDIS_URL, REDIS_NAMESPACE: `bench-${randomBytes(4).toString('hex')}` }),
      JWT_SECRET: jwtSecret,
      TELEPHONY: 'asterisk',
      ASTERISK_HOST: '127.0.0.1',
      ASTERISK_PORT: String(ami.port),
      ASTERISK_USERNAME: credentials.username,
      ASTERISK_SECRET: credentials.secret,
    });
    await waitReady(service.port);
    const deadline = Date.now() + 30_000;
    while (ami.named('coreshowchannels').length === 0 && Date.now() < deadline) await sleep(100);

    // ---- agents: Xining desks that accept at once -------------------------------------------
    desks = await scriptedDesks({ databaseUrl, servicePort: service.port, jwtSecret, count: AGENTS, timeoutMs: 30_000 + Math.max(0, deadline - Date.now()) });
    deskSaw = desks.saw;

    // ---- callers, open loop at each rate --------------------------------------------------------
    const results = [];
    let seq = 0;
    for (const rate of RATES) {
      const cpu0 = cpuSeconds(service.child.pid!);
      const actions0 = ami.actions.length;
      const events0 = ami.sentEvents.length;
      const start = performance.now();
      const total = rate * SECONDS;
      for (let i = 0; i < total; i++) {
        const due = start + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const number = `1351971${String(++seq % 10_000).padStart(4, '0')}`;
        const channel = mode === 'generated' ? dialplan.callGenerated(number, fingerprint) : dialplan.call(number);
        const caller: Caller = { channel, rate, placedAt: performance.now(), joinedAt: null, bridgedAt: null, endedAt: null, abandoned: false, patience: null };
        callers.set(channel.uniqueid, caller);
        byChannel.set(channel.channel, caller);
        caller.patience = setTimeout(() => {
          if (caller.bridgedAt !== null || !ami.channels.has(channel.uniqueid)) return;
          caller.abandoned = true;
          ami.hangup(channel.uniqueid);
          done(caller);
        }, PATIENCE_MS);
        // The generated menus take the caller some seconds; here the answers come at once.
        if (mode === 'generated') setImmediate(() => ami.channels.has(channel.uniqueid) && dialplan.menus(channel.uniqueid, fingerprint, { language: '1', topic: '1', priority: '0' }));
      }
      const window = (performance.now() - start) / 1000;
      // Let this rate's callers finish (or give up) before the next rate.
      const mine = () => [...callers.values()].filter((c) => c.rate === rate);
      const drainBy = Date.now() + PATIENCE_MS + TALK_MS + 10_000;
      while (mine().some((c) => c.endedAt === null) && Date.now() < drainBy) await sleep(100);
      await sleep(500);
      const cs = mine();
      // Throughput: calls bridged per second from the first bridge to the last (the rate a
      // phone system sustains; counting only the offered window would cut off the last few).
      const bridgeTimes = cs.filter((c) => c.bridgedAt !== null).map((c) => c.bridgedAt!).sort((a, b) => a - b);
      const span = bridgeTimes.length > 1 ? (bridgeTimes.at(-1)! - bridgeTimes[0]!) / 1000 : window;
      const waits = cs.filter((c) => c.joinedAt !== null && c.bridgedAt !== null).map((c) => c.bridgedAt! - c.joinedAt!);
      const cpu = cpuSeconds(service.child.pid!) - cpu0;
      const r = {
        rate,
        placed: cs.length,
        bridged: cs.filter((c) => c.bridgedAt !== null).length,
        abandoned: cs.filter((c) => c.abandoned).length,
        connectsPerSecond: round((bridgeTimes.length - 1) / span, 1),
        queueJoinToBridgeMs: summary(waits),
        amiActionsPerCall: round((ami.actions.length - actions0) / cs.length, 1),
        amiEventsPerCall: round((ami.sentEvents.length - events0) / cs.length, 1),
        serviceCpuPercent: round((100 * cpu) / ((performance.now() - start) / 1000), 0),
        // An agent's talk ended → their next call reaches "Asterisk" (hang-up, wrap-up ended, offer, accept, Redirect).
        agentTurnaroundMs: summary(turnarounds.filter((x) => x.at >= start).map((x) => x.ms)),
        turnaroundPhasesMs: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, summary(v)])),
      };
      process.stdout.write(`${mode} ${rate}/s: ${JSON.stringify(r)}\n`);
      results.push(r);
    }
    return results;
  } finally {
    desks?.close();
    await service?.stop();
    await ami.stop();
    await database.drop();
  }
}

async function main() {
  const ext = fs.readFileSync(path.join(ROOT, 'deploy', 'asterisk', 'extensions.conf'), 'utf8');
  const fingerprint = /^HOTLINE_IVR=(\w+)$/m.exec(ext)?.[1];
  if (!fingerprint) throw new Error('deploy/asterisk/extensions.conf has no HOTLINE_IVR line: generate it with npm run asterisk:dialplan -- --defaults');
  const manager = fs.readFileSync(path.join(ROOT, 'deploy', 'asterisk', 'manager.conf'), 'utf8');
  const filters = [...manager.matchAll(/^eventfilter\s*=\s*(.+)$/gm)].map((m) => new RegExp(m[1]!.trim()));
  const modes: Record<string, unknown> = {};
  for (const mode of MODES) modes[mode] = await runMode(mode, fingerprint, filters);
  const generated = (modes.generated ?? []) as Array<{ connectsPerSecond: number; queueJoinToBridgeMs: { p50: number }; abandoned: number }>;
  // The highest rate carried cleanly: every caller bridged, none gave up, p50 within the target.
  const best = generated.filter((r) => r.abandoned === 0 && r.queueJoinToBridgeMs.p50 <= TARGET_P50_MS).reduce((m, r) => Math.max(m, r.connectsPerSecond), 0);
  const out = {
    when: new Date().toISOString(),
    machine: machine(),
    settings: { agents: AGENTS, rates: RATES, secondsPerRate: SECONDS, talkMs: TALK_MS, amiLatencyMs: LATENCY_MS },
    target: { connectsPerSecond: TARGET_CONNECTS, p50Ms: TARGET_P50_MS },
    bestCleanConnectsPerSecond: best,
    met: best >= TARGET_CONNECTS,
    modes,
  };
  fs.mkdirSync(path.dirname(OUT_FILE), { recursive: true });
  fs.writeFileSync(OUT_FILE, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`best clean rate (no caller lost, p50 ≤ ${TARGET_P50_MS} ms): ${best} connects/s (target ${TARGET_CONNECTS}) → ${OUT_FILE}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
