import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../test/support/service-process';

export interface BenchService {
  child: ChildProcessWithoutNullStreams;
  port: number;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * The real service (`src/main.ts`) in its own process on a free loopback port, as the benchmarks
 * run it; resolves once it listens. BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
 * go to its Node.js.
 */
export async function startService(env: Record<string, string>): Promise<BenchService> {
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // A data directory of its own: the records journal of an earlier run (kept when it stopped under load) would
  // otherwise be replayed into this run's fresh database, rejected row by row, while it is being measured.
  const dataDir = env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hotline-bench-'));
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/main.ts'], {
    cwd: path.join(__dirname, '..'),
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, ...env },
  });
  let out = '';
  child.stdout.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr.on('data', (d) => (out = (out + d).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('hotline backend listening')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`service did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    port,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      if (!env.DATA_DIR) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** GET /readyz until the database and Redis answer (migrations and seeding ran before listen). */
export async function waitReady(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`the service never became ready: ${res?.status} ${await res?.text()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A fresh PostgreSQL database for one benchmark run, dropped by `drop()` (the admin connection closes with it). */
export async function freshDatabase(adminUrl: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `hotline_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  return {
    name,
    url: adminUrl.replace(/\/[^/]*$/, `/${name}`),
    async drop() {
      await admin.query(`drop database if exists ${name} with (force)`).catch((err) => process.stderr.write(`could not drop ${name}: ${err.message}\n`));
      await admin.end();
    },
  };
}
