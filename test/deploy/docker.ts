import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Runs docker (or docker-compose) and collects its output; every child is remembered so a
 * suite can kill what is still running when it fails or times out.
 */
export class DockerCli {
  private readonly children = new Set<ChildProcess>();

  run(command: string, args: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += String(d)));
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : null;
    return new Promise((resolve) => {
      child.on('error', (err) => {
        stderr += String(err);
      });
      child.on('close', (code) => {
        if (timer) clearTimeout(timer);
        this.children.delete(child);
        resolve({ code, stdout, stderr });
      });
    });
  }

  async docker(args: string[], timeoutMs = 60_000): Promise<string> {
    const r = await this.run('docker', args, { timeoutMs });
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr.trim().slice(-2_000)}`);
    return r.stdout.trim();
  }

  killAll(): void {
    for (const c of this.children) c.kill('SIGKILL');
  }
}
