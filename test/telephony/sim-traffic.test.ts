import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEMO_PASSWORD } from '../../src/auth/accounts-bootstrap';
import { DEFAULT_TRAFFIC } from '../../src/sim/traffic';
import { startTestApp, type TestApp } from '../support/app';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';
import { eventually } from '../support/tcp-proxy';

const run = promisify(execFile);

describe('simulated traffic through the whole flow', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
  });
  afterAll(async () => t.close());

  it('ends N calls answered by simulated agents as rows in calls and tickets, with survey scores', async () => {
    const robots = await t.app.inject({ method: 'PUT', url: '/sim/agents', payload: { count: 6, talkSeconds: 0.05, answerDelaySeconds: 0, wrapUpSeconds: 0 } });
    expect(robots.statusCode).toBe(200);
    expect(robots.json().signedIn).toBe(6);
    const N = 40;
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      // Mandarin, labour, no priority group, keep the region, then a score of 5.
      const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: `0971${6_000_000 + i}`, digits: '11005' } });
      ids.push(res.json().callId);
    }
    const ended = await eventually(async () => {
      const { calls } = (await t.app.inject({ method: 'GET', url: '/sim/calls?compact=true&limit=100' })).json();
      return calls.filter((c: { id: string; status: string }) => ids.includes(c.id) && c.status === 'ended').length === N;
    }, 20_000, 50);
    expect(ended).toBe(true);
    await t.app.callFlow.settled();
    await t.app.callRecorder.flush();
    // The rows are written through the records outbox, which a loaded machine applies seconds behind.
    await t.app.records.drained();

    const calls = await t.app.db.selectFrom('calls').select(['id', 'status', 'end_reason', 'agent_id']).where('id', 'in', ids).execute();
    expect(calls).toHaveLength(N);
    expect(calls.every((c) => c.status === 'ended' && c.end_reason === 'answered' && c.agent_id !== null)).toBe(true);
    const tickets = await t.app.db.selectFrom('tickets').select(['number', 'survey_score']).where('call_id', 'in', ids).execute();
    expect(tickets).toHaveLength(N);
    expect(new Set(tickets.map((x) => x.number)).size).toBe(N);
    expect(tickets.every((x) => x.survey_score === 5)).toBe(true);

    expect((await t.app.inject({ method: 'PUT', url: '/sim/agents', payload: { count: 0 } })).json().signedIn).toBe(0);
  });
});

describe('npm run sim', () => {
  let service: ServiceProcess;
  let dir: string;
  beforeAll(async () => {
    service = await startServiceProcess({ SIM_KEY_DELAY_MS: '0', SIM_TIME_SCALE: '0.01', LOG_LEVEL: 'warn' });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotline-sim-'));
  }, 90_000);
  afterAll(async () => {
    await service.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('drives callers against a running service and prints what happened to them', async () => {
    const json = path.join(dir, 'summary.json');
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/sim.ts', '--calls', '30', '--rate', '40', '--agents', '8', '--talk', '0.2', '--answer-delay', '0', '--wrap-up', '0', '--url', `http://127.0.0.1:${service.port}`, '--json', json],
      { cwd: path.join(__dirname, '..', '..'), env: { PATH: process.env.PATH }, timeout: 60_000 },
    );
    expect(stdout).toMatch(/signed in 8 simulated agents/);
    expect(stdout).toMatch(/done: offered 30, answered \d+, abandoned \d+/);
    const summary = JSON.parse(await fs.readFile(json, 'utf8'));
    expect(summary.placed).toBe(30);
    expect(summary.failed).toBe(0);
    // Every caller ends one way or another, and most are answered by 8 agents with short calls.
    expect(summary.answered + summary.abandoned + summary.callbacks + summary.rejected).toBe(30);
    expect(summary.answered).toBeGreaterThan(15);
    expect(summary.serviceLevel).toBeGreaterThan(0);
  }, 90_000);

  it('ends when its callers wait for a language nobody signed in speaks, naming it, and signs its robots out', async () => {
    // Every caller asks for Mongolian; two robots (this seed places them outside Haixi, so they
    // speak Mandarin only) cannot answer; callers would otherwise wait ~17 min before giving up.
    const profileFile = path.join(dir, 'mongolian.json');
    await fs.writeFile(profileFile, JSON.stringify({ ...DEFAULT_TRAFFIC, languages: { default: { mn: 1 }, byRegion: {} }, patienceMeanSeconds: 100_000 }));
    const json = path.join(dir, 'stranded.json');
    const started = Date.now();
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/sim.ts', '--calls', '3', '--rate', '20', '--agents', '2', '--seed', '7', '--profile', profileFile, '--url', `http://127.0.0.1:${service.port}`, '--json', json],
      { cwd: path.join(__dirname, '..', '..'), env: { PATH: process.env.PATH }, timeout: 90_000 },
    );
    expect(stdout).toMatch(/signed in 2 simulated agents/);
    expect(stdout).toMatch(/3 call\(s\) wait for a language no signed-in agent speaks \(mn ×3\); hanging them up/);
    expect(stdout).toMatch(/signed the simulated agents out/);
    const summary = JSON.parse(await fs.readFile(json, 'utf8'));
    expect({ placed: summary.placed, answered: summary.answered, unanswerable: summary.unanswerable }).toEqual({ placed: 3, answered: 0, unanswerable: { mn: 3 } });
    expect(Date.now() - started).toBeLessThan(60_000);

    // Nobody is left signed in on the service.
    const login = await fetch(`http://127.0.0.1:${service.port}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: DEMO_PASSWORD }) });
    const { token } = (await login.json()) as { token: string };
    const snapshot = (await (await fetch(`http://127.0.0.1:${service.port}/api/queue/snapshot`, { headers: { authorization: `Bearer ${token}` } })).json()) as { totals: { agents: Record<string, number> } };
    const signedIn = Object.entries(snapshot.totals.agents).filter(([state]) => state !== 'offline').reduce((n, [, count]) => n + count, 0);
    expect(signedIn).toBe(0);
  }, 120_000);

  it('refuses bad options with a message naming the option', async () => {
    await expect(
      run(process.execPath, ['--import', 'tsx', 'src/cli/sim.ts', '--calls', 'many', '--url', `http://127.0.0.1:${service.port}`], {
        cwd: path.join(__dirname, '..', '..'),
        env: { PATH: process.env.PATH },
      }),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/--calls: /) });
  });
});
