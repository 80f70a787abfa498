import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './service-process';
import { eventually } from './tcp-proxy';

/**
 * redis-server processes of a test's own (a primary, a replica, sentinels), on free ports, that
 * the test may kill and restart without touching the shared Redis. Every process started is
 * killed when the test process exits, whatever happened.
 */

const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

function run(args: string[]): ChildProcess {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  child.on('exit', () => started.delete(child));
  // Drained, so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

async function answers(port: number): Promise<boolean> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

export class RedisProcess {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly args: string[],
    private readonly dir: string,
  ) {}

  /**
   * A Redis that keeps nothing: restarted, it comes back empty. Its own directory, emptied at
   * every start: a replica writes the primary's data there, and a Redis loads what it finds.
   */
  static async start(options: { replicaOf?: number } = {}): Promise<RedisProcess> {
    const port = await freePort();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotline-redis-'));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];
    if (options.replicaOf) args.push('--replicaof', '127.0.0.1', String(options.replicaOf));
    const redis = new RedisProcess(port, args, dir);
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async up(): Promise<void> {
    for (const f of await fs.readdir(this.dir)) await fs.rm(path.join(this.dir, f), { force: true, recursive: true });
    this.child = run(this.args);
    if (!(await eventually(() => answers(this.port), 15_000, 50))) throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /** Gone at once, with everything it held (SIGKILL: no goodbye to clients). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/** A Sentinel watching one primary (quorum 1: a test needs one opinion, quickly). */
export class SentinelProcess {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(primaryPort: number, name = 'mymaster'): Promise<SentinelProcess> {
    const port = await freePort();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotline-sentinel-'));
    const conf = path.join(dir, 'sentinel.conf');
    await fs.writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        'protected-mode no',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    const sentinel = new SentinelProcess(port, dir);
    sentinel.child = run([conf, '--sentinel']);
    if (!(await eventually(() => answers(port), 15_000, 50))) throw new Error(`sentinel did not start on port ${port}`);
    return sentinel;
  }

  /** Where the sentinel says the primary is now. */
  async primaryPort(name = 'mymaster'): Promise<number | null> {
    const r = new Redis({ port: this.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try {
      await r.connect();
      const addr = (await r.call('SENTINEL', 'get-master-addr-by-name', name)) as [string, string] | null;
      return addr ? Number(addr[1]) : null;
    } catch {
      return null;
    } finally {
      r.disconnect();
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
