import { type ChildProcess, type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ServiceProcess {
  child: ChildProcessWithoutNullStreams;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Services still running, killed when the test process exits however it ends (a failed or timed-out test included). */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The service as `npm start` runs it, in its own process, on an embedded database in a temp dir. */
export async function startServiceProcess(env: Record<string, string> = {}): Promise<ServiceProcess> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotline-proc-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.join(__dirname, '..', '..'),
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info', ...env },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  running.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  // Generous: the embedded database compiles and initialises on start, slowly on a busy machine.
  const deadline = Date.now() + 180_000;
  while (!out.includes('hotline backend listening')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      // A start that failed must not leave the service running behind the test.
      child.kill('SIGKILL');
      await exited;
      await fs.rm(dataDir, { recursive: true, force: true });
      throw new Error(`service did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    port,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
