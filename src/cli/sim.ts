/**
 * npm run sim -- --calls N --rate R [--agents A] [--url URL] [...]
 * Drives simulated callers against a running service (its built-in simulator): Poisson
 * arrivals weighted by prefecture population, languages and topics in the shares of a traffic
 * profile, callers who hang up when their patience runs out; prints a live summary (offered,
 * answered, abandoned, service level) and a final one.
 */
import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { callers, DEFAULT_TRAFFIC, type ObservedCall, type ServiceProfile, type SimSummary, summarise, type TrafficProfile, TrafficProfileSchema } from '../sim/traffic';

const USAGE = `usage: npm run sim -- --calls N --rate R [options]
  --calls N         callers to place (default 100)
  --rate R          arrivals per second, Poisson (default 1)
  --agents A        sign in A simulated agents first (0: leave agents as they are; default 0)
  --talk S          simulated agents' mean talk time in seconds (default 60)
  --answer-delay S  simulated agents' ring time before answering (default 2)
  --wrap-up S       simulated agents' wrap-up after each call (default 10)
  --url URL         the service (default http://127.0.0.1:3000)
  --user U --password P   sign in first (a deployed service; the embedded demo needs none)
  --profile FILE    traffic profile JSON (language, topic, priority shares; patience)
  --threshold S     service level threshold in seconds (default 20)
  --seed N          repeat a run exactly (default 12348)
  --json FILE       write the final summary as JSON`;

const Options = z.object({
  calls: z.coerce.number().int().min(1).max(1_000_000),
  rate: z.coerce.number().positive().max(10_000),
  agents: z.coerce.number().int().min(0).max(2_000),
  talk: z.coerce.number().positive().max(3_600),
  'answer-delay': z.coerce.number().min(0).max(60),
  'wrap-up': z.coerce.number().min(0).max(600),
  url: z.url(),
  user: z.string().optional(),
  password: z.string().optional(),
  profile: z.string().optional(),
  threshold: z.coerce.number().positive(),
  seed: z.coerce.number().int(),
  json: z.string().optional(),
});

function parse() {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '100' },
      rate: { type: 'string', default: '1' },
      agents: { type: 'string', default: '0' },
      talk: { type: 'string', default: '60' },
      'answer-delay': { type: 'string', default: '2' },
      'wrap-up': { type: 'string', default: '10' },
      url: { type: 'string', default: 'http://127.0.0.1:3000' },
      user: { type: 'string' },
      password: { type: 'string' },
      profile: { type: 'string' },
      threshold: { type: 'string', default: '20' },
      seed: { type: 'string', default: '12348' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const parsed = Options.safeParse(values);
  if (!parsed.success) throw new Error(`${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n${USAGE}`);
  return parsed.data;
}

class Service {
  private token: string | null = null;
  constructor(private readonly base: string) {}

  async login(username: string, password: string) {
    const { token } = await this.request<{ token: string }>('POST', '/api/auth/login', { username, password });
    this.token = token;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(new URL(path, this.base), {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = JSON.parse(text).message ?? text;
      } catch {}
      throw new Error(`${method} ${path} → ${res.status}: ${message}`);
    }
    return JSON.parse(text) as T;
  }
}

const pct = (v: number | null) => (v === null ? '  –  ' : `${(v * 100).toFixed(1)}%`);

function line(s: SimSummary, placed: number, elapsed: number): string {
  return (
    `${elapsed.toFixed(0).padStart(5)} s  placed ${placed}/${s.offered}  ivr ${s.inIvr}  waiting ${s.waiting}  talking ${s.connected}  ` +
    `answered ${s.answered}  abandoned ${s.abandoned}  callbacks ${s.callbacks}  SL ${pct(s.serviceLevel)}`
  );
}

async function run(): Promise<void> {
  const o = parse();
  const profile = o.profile ? TrafficProfileSchema.parse(JSON.parse(await fs.readFile(o.profile, 'utf8'))) : DEFAULT_TRAFFIC;
  const service = new Service(o.url);
  if (o.user) await service.login(o.user, o.password ?? '');
  const serviceProfile = await service.request<ServiceProfile>('GET', '/sim/profile');
  // The robots this run signs in leave with it: at the end, on an error, or on Ctrl-C.
  let robotsIn = false;
  const signRobotsOut = async () => {
    if (!robotsIn) return;
    robotsIn = false;
    await service
      .request('PUT', '/sim/agents', { count: 0 })
      .then(() => console.log('signed the simulated agents out'))
      .catch((err: Error) => console.error(`could not sign the simulated agents out: ${err.message}`));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (process.stdout.isTTY) process.stdout.write('\n');
      void signRobotsOut().finally(() => process.exit(130));
    });
  }
  try {
    await drive(o, service, serviceProfile, profile, () => (robotsIn = true));
  } finally {
    await signRobotsOut();
  }
}

type Options = z.infer<typeof Options>;
type SimCall = ObservedCall & { id: string; queuedLanguage?: string | null };

/** How long every call still open must have waited for an unspoken language before the run gives up on them. */
const STRANDED_SECONDS = 5;

async function drive(o: Options, service: Service, serviceProfile: ServiceProfile, profile: TrafficProfile, robotsSignedIn: () => void): Promise<void> {
  if (o.agents > 0) {
    const { signedIn } = await service.request<{ signedIn: number }>('PUT', '/sim/agents', {
      count: o.agents,
      talkSeconds: o.talk,
      answerDelaySeconds: o['answer-delay'],
      wrapUpSeconds: o['wrap-up'],
      seed: o.seed,
    });
    robotsSignedIn();
    console.log(`signed in ${signedIn} simulated agents`);
  }
  console.log(`placing ${o.calls} calls at ${o.rate}/s against ${o.url} (province ${serviceProfile.province})`);

  const ids = new Set<string>();
  const start = Date.now();
  let placed = 0;
  let failed = 0;
  let done = false;
  const placing = (async () => {
    const inFlight = new Set<Promise<void>>();
    for (const caller of callers(serviceProfile, profile, o.calls, o.rate, o.seed)) {
      const wait = start + caller.at * 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const p = service
        .request<{ callId: string }>('POST', '/sim/calls', { from: caller.from, digits: caller.digits, patienceSeconds: caller.patienceSeconds })
        .then(({ callId }) => {
          ids.add(callId);
          placed++;
        })
        .catch((err: Error) => {
          failed++;
          if (failed <= 5) console.error(`could not place a call: ${err.message}`);
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  })();

  let summary: SimSummary = summarise([], o.calls, o.threshold);
  const observe = async () => {
    const { calls, spokenLanguages } = await service.request<{ calls: SimCall[]; spokenLanguages?: string[] }>('GET', `/sim/calls?compact=true&limit=20000`);
    const mine = calls.filter((c) => ids.has(c.id));
    summary = summarise(mine, o.calls, o.threshold);
    return { mine, spoken: new Set(spokenLanguages ?? []) };
  };
  const tty = process.stdout.isTTY;
  // Calls nobody signed in can answer would keep the run waiting until the callers give up
  // (minutes): once every call still open has waited STRANDED_SECONDS for such a language, the
  // run names them and hangs them up.
  let strandedFor = 0;
  const unanswerable: Record<string, number> = {};
  while (!done) {
    await new Promise((r) => setTimeout(r, 1_000));
    const { mine, spoken } = await observe();
    const allPlaced = placed + failed === o.calls;
    const open = mine.filter((c) => c.status !== 'ended');
    const stranded = open.filter((c) => c.status === 'queued' && c.queuedLanguage && !spoken.has(c.queuedLanguage));
    strandedFor = allPlaced && open.length > 0 && stranded.length === open.length ? strandedFor + 1 : 0;
    if (strandedFor >= STRANDED_SECONDS) {
      const byLanguage: Record<string, number> = {};
      for (const c of stranded) byLanguage[c.queuedLanguage!] = (byLanguage[c.queuedLanguage!] ?? 0) + 1;
      if (tty) process.stdout.write('\n');
      console.log(
        `${stranded.length} call(s) wait for a language no signed-in agent speaks (${Object.entries(byLanguage)
          .map(([l, n]) => `${l} ×${n}`)
          .join(', ')}); hanging them up`,
      );
      for (const [l, n] of Object.entries(byLanguage)) unanswerable[l] = (unanswerable[l] ?? 0) + n;
      await Promise.all(stranded.map((c) => service.request('POST', `/sim/calls/${c.id}/hangup`).catch(() => {})));
      strandedFor = 0;
    }
    const finished = allPlaced && mine.length === ids.size && mine.every((c) => c.status === 'ended');
    const text = line(summary, placed, (Date.now() - start) / 1000);
    if (tty) process.stdout.write(`\r${text}   `);
    else if (finished || Math.round((Date.now() - start) / 1000) % 5 === 0) console.log(text);
    done = finished;
  }
  await placing;
  if (tty) process.stdout.write('\n');
  const result = { ...summary, placed, failed, unanswerable, seconds: (Date.now() - start) / 1000, thresholdSeconds: o.threshold, rate: o.rate };
  console.log(
    `done: offered ${result.offered}, answered ${result.answered}, abandoned ${result.abandoned}, callbacks ${result.callbacks}, ` +
      `rejected ${result.rejected}, service level ${pct(result.serviceLevel)} within ${o.threshold} s, ` +
      `average wait ${result.averageWaitSeconds === null ? '–' : result.averageWaitSeconds.toFixed(1) + ' s'}` +
      (Object.keys(unanswerable).length ? `; hung up unanswerable: ${Object.entries(unanswerable).map(([l, n]) => `${l} ×${n}`).join(', ')}` : ''),
  );
  if (o.json) await fs.writeFile(o.json, JSON.stringify(result, null, 2));
}

run().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
