import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * `npm run bench:routing` used to print its results and then die on a Redis command still in
 * flight ("Connection is closed", unhandled): exit 1 two runs in three. It must end with 0,
 * its results written, every store measured — here at a small size, three times over.
 */
describe('routing benchmark', () => {
  const children = new Set<ChildProcess>();
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-routing-'));
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await fs.rm(dir, { recursive: true, force: true });
  });

  function run(out: string): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/routing.ts'], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, NODE_OPTIONS: '', BENCH_ROUTING_AGENTS: '60', BENCH_ROUTING_CALLS: '300', BENCH_ROUTING_CYCLES: '600', BENCH_ROUTING_OUT: out },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.add(child);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    return new Promise((resolve) =>
      child.on('exit', (code) => {
        children.delete(child);
        resolve({ code, stderr });
      }),
    );
  }

  it('exits 0 after writing its results, run after run', async () => {
    for (let i = 0; i < 3; i++) {
      const out = path.join(dir, `routing-${i}.json`);
      const { code, stderr } = await run(out);
      expect({ run: i, code, stderr: stderr.trim() }).toEqual({ run: i, code: 0, stderr: '' });
      const results = JSON.parse(await fs.readFile(out, 'utf8')) as { results: { store: string; skipped?: string; lifecycle?: { calls: number } }[] };
      expect(results.results.map((r) => r.store)).toEqual(['naive FIFO (no skills, no regions, in process)', 'memory (in process)', 'redis (one node, local Redis)']);
      expect(results.results.every((r) => r.lifecycle?.calls === 600)).toBe(true);
    }
  }, 300_000);
});
