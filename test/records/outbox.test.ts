import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { type DatabaseHandle, type Db, openDatabase } from '../../src/db/database';
import type { Database } from '../../src/db/schema';
import { migrateToLatest } from '../../src/db/migrate';
import { importProvince } from '../../src/province/import-province';
import { bundledProvinceFile, readProvinceFile } from '../../src/province/bundled';
import { RecordJournal } from '../../src/records/journal';
import { RecordOutbox } from '../../src/records/outbox';
import type { RecordOp } from '../../src/records/record-ops';
import { memoryLogger } from '../support/memory-logger';
import { eventually } from '../support/tcp-proxy';

/**
 * The outbox of call records on the embedded database: what the database takes is written at
 * once; what it cannot take (unreachable) is kept in a journal on disk, survives the process,
 * and is applied in each call's order when a database answers; a line that is not a record is
 * set aside by its number; a record the database refuses for good is kept aside, not retried.
 */
describe('the records outbox', () => {
  let handle: DatabaseHandle;
  let db: Db;
  let dir: string;
  /** A database that never answers: nothing listens on port 1. */
  let away: Kysely<Database>;

  beforeAll(async () => {
    handle = await openDatabase({ kind: 'pglite', dataDir: null });
    db = handle.db;
    await migrateToLatest(db);
    await importProvince(db, await readProvinceFile((await bundledProvinceFile('630000'))!));
    away = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 500 }) }) });
  }, 120_000);
  afterAll(async () => {
    await away.destroy();
    await handle.close();
  });
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotline-journal-'));
  });
  afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

  const arrived = (callId: string, at = new Date()): RecordOp => ({
    op: 'call.arrived',
    callId,
    provinceCode: '630000',
    driver: 'sim',
    externalId: `sim-${callId}`,
    callerNumber: '13519712345',
    regionCode: '630100',
    regionSource: 'geocoder',
    at,
  });
  const outboxOn = (database: Db, log = memoryLogger()) => new RecordOutbox({ db: database, journal: new RecordJournal(dir, log.log), log: log.log, retryMs: 50 });
  const events = (callId: string) => db.selectFrom('call_events').select(['type', 'data']).where('call_id', '=', callId).orderBy('at').orderBy('id').execute();

  it('writes at once while the database answers, and keeps nothing', async () => {
    const outbox = outboxOn(db);
    await outbox.start();
    const callId = randomUUID();
    expect(await outbox.write(arrived(callId))).toEqual({ unansweredToday: 0, riskFlagged: 0 });
    await outbox.event(callId, 'queued', { priority: 0 });
    expect(outbox.backlog).toBe(0);
    expect((await events(callId)).map((e) => e.type)).toEqual(['arrived', 'queued']);
    await outbox.close();
  });

  it('keeps what an unreachable database cannot take on disk, across the process, and applies it in order when a database answers', async () => {
    const down = outboxOn(away);
    await down.start();
    const callId = randomUUID();
    const t0 = Date.now();
    await down.write(arrived(callId, new Date(t0)));
    await down.updateCall(callId, { status: 'queued' }, { queuedAt: new Date(t0 + 1_000) });
    await down.event(callId, 'queued', {}, new Date(t0 + 1_000));
    await down.callEnded(callId, 'answered', new Date(t0 + 9_000), { talk_ms: 5_000 });
    await down.event(callId, 'ended', { talkMs: 5_000 }, new Date(t0 + 9_000));
    expect(down.backlog).toBe(5);
    expect(down.reachable).toBe(false);
    // The process stops with the records kept.
    await down.close();
    const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.jsonl'));
    expect(files).toHaveLength(1);
    // Its pid is this test's, so a new outbox would take it for a live process's file: write it under a dead one.
    await fs.rename(path.join(dir, files[0]!), path.join(dir, 'records-999999999-deadbeef.jsonl'));

    const up = outboxOn(db);
    await up.start();
    await up.drained();
    const row = await db.selectFrom('calls').select(['status', 'end_reason', 'talk_ms', 'queued_at', 'ended_at']).where('id', '=', callId).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'ended', end_reason: 'answered', talk_ms: 5_000, queued_at: new Date(t0 + 1_000), ended_at: new Date(t0 + 9_000) });
    expect((await events(callId)).map((e) => e.type)).toEqual(['arrived', 'queued', 'ended']);
    // Adopted and applied: the dead process's file is gone, this one's is empty.
    expect((await fs.readdir(dir)).filter((f) => f.includes('999999999'))).toEqual([]);
    await up.close();
  });

  it('applies a kept record once however often it is replayed', async () => {
    const outbox = outboxOn(db);
    await outbox.start();
    const callId = randomUUID();
    await outbox.write(arrived(callId));
    const op: RecordOp = { op: 'call.event', callId, writeId: randomUUID(), at: new Date(), type: 'hold', data: {} };
    await outbox.write(op);
    await outbox.write(op);
    await outbox.write({ op: 'ticket.open', callId, ticketId: randomUUID(), provinceCode: '630000', prefix: 'QH', agentId: null, at: new Date() });
    await outbox.write({ op: 'ticket.open', callId, ticketId: randomUUID(), provinceCode: '630000', prefix: 'QH', agentId: null, at: new Date() });
    expect((await events(callId)).filter((e) => e.type === 'hold')).toHaveLength(1);
    expect(await db.selectFrom('tickets').select('id').where('call_id', '=', callId).execute()).toHaveLength(1);
    await outbox.close();
  });

  it("holds a call's record until its row exists (another node's kept write), without holding up other calls", async () => {
    const outbox = outboxOn(db);
    await outbox.start();
    const late = randomUUID();
    const other = randomUUID();
    await outbox.event(late, 'bridged');
    expect(outbox.backlog).toBe(1);
    await outbox.write(arrived(other));
    expect(outbox.backlog).toBe(1);
    // The row arrives (the other node's journal was applied): the kept entry follows.
    const writer = outboxOn(db);
    await writer.write(arrived(late, new Date(Date.now() - 60_000)));
    await outbox.drained();
    expect((await events(late)).map((e) => e.type)).toEqual(['arrived', 'bridged']);
    await outbox.close();
  });

  it('sets aside a journal line that is not a record, naming its line, and a record the database refuses for good', async () => {
    const callId = randomUUID();
    const good = { e: { seq: 1, key: callId, op: arrived(callId), since: Date.now() } };
    await fs.writeFile(path.join(dir, 'records-999999998-cafe.jsonl'), `${JSON.stringify(good)}\n{"e":{"seq":2,"key":"x","op":{"op":"call.update"}}}\nnot json at all\n`);
    const log = memoryLogger();
    const outbox = outboxOn(db, log);
    await outbox.start();
    await outbox.drained();
    expect(await db.selectFrom('calls').select('id').where('id', '=', callId).executeTakeFirst()).toBeDefined();
    const rejected = (await fs.readFile(path.join(dir, 'rejected.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(rejected.map((r) => r.line)).toEqual([2, 3]);
    expect(rejected[0].problem).toMatch(/op/);
    expect(log.lines.filter((l) => l.msg === 'journal line is not a call record; set aside in rejected.jsonl')).toHaveLength(2);

    // A region the database does not know: refused for good, kept aside, the next record still goes in.
    await outbox.write({ ...arrived(randomUUID()), regionCode: '999999' } as RecordOp);
    await outbox.event(callId, 'after');
    expect(outbox.rejectedCount).toBe(1);
    expect((await events(callId)).map((e) => e.type)).toEqual(['arrived', 'after']);
    expect(await eventually(async () => (await fs.readFile(path.join(dir, 'rejected.jsonl'), 'utf8')).includes('999999'))).toBe(true);
    await outbox.close();
  });
});
