import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { freePort } from '../support/service-process';
import { eventually } from '../support/tcp-proxy';
import { DockerCli } from './docker';

/**
 * The image as an operator would run it: built from the Dockerfile (on a machine that cannot
 * pull base images, on a local stand-in of node:20-bookworm-slim, which the build says it made),
 * started on its embedded defaults, it runs as a non-root user, is ready, serves the agents' and
 * supervisors' pages, answers a simulated call with a simulated agent, and stops cleanly on
 * SIGTERM. Containers use the host's network (this machine has no bridge network).
 */
const ROOT = path.join(__dirname, '..', '..');

describe('the Docker image', () => {
  const cli = new DockerCli();
  const tag = `hotline-12348:test-${randomUUID().slice(0, 8)}`;
  const name = `hotline-smoke-${randomUUID().slice(0, 8)}`;
  let built = false;

  afterAll(async () => {
    cli.killAll();
    await cli.run('docker', ['rm', '-f', name], { timeoutMs: 30_000 });
    if (built) await cli.run('docker', ['rmi', '-f', tag], { timeoutMs: 60_000 });
  }, 120_000);

  it('builds, starts as non-root, serves the pages, answers a simulated call and stops cleanly on SIGTERM', async () => {
    const base = await cli.run(path.join(ROOT, 'deploy', 'docker', 'stand-in-node-image.sh'), [], { cwd: ROOT, timeoutMs: 600_000 });
    process.stdout.write(`${base.stdout}`);
    expect({ code: base.code, stderr: base.code === 0 ? '' : base.stderr }).toEqual({ code: 0, stderr: '' });

    // The legacy builder: BuildKit would fetch its Dockerfile frontend from a registry.
    const build = await cli.run('docker', ['build', '--network', 'host', '-t', tag, '.'], { cwd: ROOT, timeoutMs: 1_200_000, env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    expect({ code: build.code, tail: build.code === 0 ? '' : `${build.stdout.slice(-3_000)}\n${build.stderr.slice(-2_000)}` }).toEqual({ code: 0, tail: '' });
    built = true;

    const port = await freePort();
    const base_ = `http://127.0.0.1:${port}`;
    await cli.docker(['run', '-d', '--name', name, '--network', 'host', '-e', `PORT=${port}`, '-e', 'HOST=127.0.0.1', '-e', 'SIM_TIME_SCALE=0.01', '-e', 'SIM_KEY_DELAY_MS=0', tag]);

    const ready = await eventually(async () => (await fetch(`${base_}/readyz`).catch(() => null))?.status === 200, 120_000, 500);
    if (!ready) throw new Error(`the container never became ready:\n${(await cli.run('docker', ['logs', name])).stdout.slice(-3_000)}`);
    expect(await (await fetch(`${base_}/readyz`)).json()).toMatchObject({ status: 'ready', checks: { database: 'ok', routing: 'ok' } });

    expect(await cli.docker(['exec', name, 'id', '-u'])).not.toBe('0');
    expect(await cli.docker(['inspect', '-f', '{{.Config.User}}', name])).toBe('node');

    for (const page of ['/softphone', '/supervisor']) {
      const res = await fetch(`${base_}${page}`);
      expect({ page, status: res.status, type: res.headers.get('content-type') }).toEqual({ page, status: 200, type: expect.stringContaining('text/html') });
    }
    expect((await fetch(`${base_}/softphone/assets/app.js`)).status).toBe(200);
    // The wallboard's ECharts and county shapes, from what the image kept of node_modules.
    expect((await fetch(`${base_}/supervisor/vendor/echarts.js`)).status).toBe(200);
    const counties = (await (await fetch(`${base_}/supervisor/vendor/counties.json`)).json()) as { map: { features: unknown[] }; missing: string[] };
    expect({ shapes: counties.map.features.length, missing: counties.missing }).toEqual({ shapes: 44, missing: [] });

    const robots = await fetch(`${base_}/sim/agents`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: 2, talkSeconds: 0.5, answerDelaySeconds: 0, wrapUpSeconds: 0 }) });
    expect(robots.status).toBe(200);
    const placed = await fetch(`${base_}/sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: '13519710001', digits: '11005' }) });
    expect(placed.status).toBe(201);
    const { callId } = (await placed.json()) as { callId: string };
    let call: { status: string; outcome: string | null; agentUsername: string | null } | null = null;
    await eventually(async () => {
      call = (await (await fetch(`${base_}/sim/calls/${callId}`)).json()) as typeof call;
      return call!.status === 'ended';
    }, 60_000, 250);
    expect(call).toMatchObject({ status: 'ended', outcome: 'answered', agentUsername: expect.stringMatching(/^robot\./) });

    await cli.docker(['stop', '-t', '30', name], 60_000);
    expect(await cli.docker(['inspect', '-f', '{{.State.ExitCode}}', name])).toBe('0');
    const logs = await cli.run('docker', ['logs', name]);
    const lines = `${logs.stdout}${logs.stderr}`.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.some((l) => l.msg === 'shutting down')).toBe(true);
    expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
  }, 1_800_000);
});
