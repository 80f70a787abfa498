import fs from 'node:fs';
import os from 'node:os';

/** The machine a benchmark ran on, written beside its figures. */
export function machine() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/** A latency series: how many, median, 99th percentile and the worst (ms, one decimal). */
export function latencySummary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: round(percentile(sorted, 50), 1), p99: round(percentile(sorted, 99), 1), max: round(sorted.at(-1) ?? NaN, 1) };
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The running processes with this command name (/proc/<pid>/comm). */
export function pidsNamed(comm: string): number[] {
  return fs.readdirSync('/proc').filter((d) => {
    if (!/^\d+$/.test(d)) return false;
    try {
      return fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm;
    } catch {
      // The process ended while the list was read.
      return false;
    }
  }).map(Number);
}

/** CPU seconds of every running process with this command name (postgres: the server and its backends). */
export function cpuSecondsOf(comm: string): number {
  let total = 0;
  for (const pid of pidsNamed(comm)) {
    try {
      total += cpuSeconds(pid);
    } catch {
      // Ended since it was listed.
    }
  }
  return total;
}
