import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { RecordOp } from './record-ops';

/**
 * The outbox's journal: an append-only file of record writes the database did not take, under
 * DATA_DIR/journal. An entry is on disk (written and fdatasync'd) before the write that made it
 * returns, so a process that dies during a database outage loses none of them; a later line marks
 * an entry applied. When nothing is left to apply the file is truncated.
 *
 * Each process writes its own file (records-<pid>-<random>.jsonl). At start a process adopts the
 * files of processes that are no longer running — its own earlier life after a restart — so
 * what they kept is applied too.
 */

export interface JournalEntry {
  seq: number;
  /** The call whose writes this one must follow. */
  key: string;
  op: RecordOp;
  /** When the write was first tried (ms): a write waiting for a row that never comes is given up. */
  since: number;
}

const EntryLine = z.object({ e: z.object({ seq: z.number().int().min(1), key: z.string().min(1).max(64), op: RecordOp, since: z.number() }) });
const DoneLine = z.object({ d: z.number().int().min(1) });
const FILE = /^records-(\d+)-([0-9a-f]+)\.jsonl$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RecordJournal {
  readonly file: string;
  private readonly rejectedFile: string;
  private handle: fs.FileHandle | null = null;
  private seq = 0;
  private buffered: string[] = [];
  private waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private flushQueued = false;
  private io: Promise<void> = Promise.resolve();
  private unapplied = 0;

  constructor(
    private readonly dir: string,
    private readonly log: FastifyBaseLogger,
  ) {
    this.file = path.join(dir, `records-${process.pid}-${randomBytes(4).toString('hex')}.jsonl`);
    this.rejectedFile = path.join(dir, 'rejected.jsonl');
  }

  /** Opens this process's file and returns what earlier processes left unapplied, oldest first. */
  async open(): Promise<JournalEntry[]> {
    await fs.mkdir(this.dir, { recursive: true });
    this.handle = await fs.open(this.file, 'a');
    const left: JournalEntry[] = [];
    for (const name of (await fs.readdir(this.dir)).sort()) {
      const m = FILE.exec(name);
      if (!m || path.join(this.dir, name) === this.file) continue;
      const pid = Number(m[1]);
      if (pid !== process.pid && alive(pid)) continue;
      // Claimed by renaming, so two processes starting at once never both adopt a file.
      const claimed = path.join(this.dir, `${name}.adopted-${path.basename(this.file, '.jsonl')}`);
      try {
        await fs.rename(path.join(this.dir, name), claimed);
      } catch {
        continue;
      }
      const entries = await this.read(claimed);
      if (entries.length > 0) this.log.warn({ file: name, entries: entries.length }, 'applying call records a stopped process kept during a database outage');
      for (const e of entries) left.push(await this.append(e.key, e.op, e.since));
      await fs.unlink(claimed);
    }
    return left;
  }

  /** Entries of a journal file not marked applied. A line that is not a valid entry is set aside, named by its number. */
  private async read(file: string): Promise<JournalEntry[]> {
    const text = await fs.readFile(file, 'utf8');
    const entries = new Map<number, JournalEntry>();
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = undefined;
      }
      const done = DoneLine.safeParse(value);
      if (done.success) {
        entries.delete(done.data.d);
        continue;
      }
      const entry = EntryLine.safeParse(value);
      if (entry.success) {
        entries.set(entry.data.e.seq, entry.data.e);
        continue;
      }
      const problem = value === undefined ? 'not JSON (a write cut short?)' : entry.error.issues.slice(0, 3).map((p) => `${p.path.join('.')}: ${p.message}`).join('; ');
      this.log.error({ file: path.basename(file), line: i + 1, problem }, 'journal line is not a call record; set aside in rejected.jsonl');
      await fs.appendFile(this.rejectedFile, `${JSON.stringify({ file: path.basename(file), line: i + 1, problem, text: line.slice(0, 4096) })}\n`);
    }
    return [...entries.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Writes an entry; resolves once it is on disk. */
  async append(key: string, op: RecordOp, since: number): Promise<JournalEntry> {
    const entry: JournalEntry = { seq: ++this.seq, key, op, since };
    this.unapplied++;
    await this.write(JSON.stringify({ e: entry }), true);
    return entry;
  }

  /** Marks an entry applied. Not waited for: applying an entry twice changes nothing. */
  done(seq: number): void {
    this.unapplied--;
    void this.write(JSON.stringify({ d: seq }), false).catch((err) => this.log.warn({ err }, 'could not mark a journal entry applied'));
  }

  /** Entries written and not yet marked applied. */
  get openEntries(): number {
    return this.unapplied;
  }

  /**
   * Starts the file afresh once nothing in it is left to apply. Decided inside the file's queue
   * of operations, so an entry written meanwhile is never cut off.
   */
  compact(): void {
    this.schedule(async () => {
      if (this.unapplied === 0 && this.buffered.length === 0 && this.handle) await this.handle.truncate(0);
    });
  }

  /** An entry the database refuses for good (not an outage): kept aside for an operator. */
  async reject(entry: JournalEntry, reason: string): Promise<void> {
    await fs.appendFile(this.rejectedFile, `${JSON.stringify({ at: new Date().toISOString(), reason, entry })}\n`);
  }

  async close(): Promise<void> {
    await this.io;
    await this.handle?.close();
    this.handle = null;
  }

  // Every file operation runs in one queue; lines written together share one write and one
  // fdatasync (group commit).
  private write(line: string, durable: boolean): Promise<void> {
    this.buffered.push(line);
    const done = durable ? new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject })) : Promise.resolve();
    if (!this.flushQueued) {
      this.flushQueued = true;
      this.schedule(() => this.flush());
    }
    return done;
  }

  private schedule(fn: () => Promise<void>): void {
    this.io = this.io.then(fn).catch((err) => this.log.error({ err }, 'journal file operation failed'));
  }

  private async flush(): Promise<void> {
    this.flushQueued = false;
    const lines = this.buffered;
    const waiting = this.waiting;
    this.buffered = [];
    this.waiting = [];
    if (lines.length === 0) return;
    try {
      if (!this.handle) throw new Error('the journal is closed');
      await this.handle.write(`${lines.join('\n')}\n`);
      if (waiting.length > 0) await this.handle.datasync();
      for (const w of waiting) w.resolve();
    } catch (err) {
      for (const w of waiting) w.reject(err as Error);
    }
  }
}
