import fs from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { DatabaseConfig } from '../config/config';
import type { Database } from './schema';

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  kind: DatabaseConfig['kind'];
  /** Cheap round trip used by readiness; rejects after `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

// Both drivers read the same types the same way: int8 (counts, identity ids) as a number,
// and `date` as 'YYYY-MM-DD' text rather than a Date at the server's local midnight.
const INT8 = 20;
const DATE = 1082;
const parseInt8 = (v: string) => Number(v);
const keepText = (v: string) => v;

function pgTypes(): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: string) => {
      if (oid === INT8) return parseInt8;
      if (oid === DATE) return keepText;
      return pg.types.getTypeParser(oid, format as 'text');
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function openDatabase(
  config: DatabaseConfig,
  onConnectionError: (err: Error) => void = () => {},
): Promise<DatabaseHandle> {
  if (config.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: config.url,
      max: 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      types: pgTypes(),
    });
    // A dropped connection must not crash the process: pg emits 'error' on idle clients (the
    // pool's event) and on checked-out ones (the client's own, which has no listener by default).
    // The query in flight fails on its own; the next one gets a fresh connection.
    pool.on('error', onConnectionError);
    pool.on('connect', (client) => client.on('error', onConnectionError));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      kind: 'postgres',
      ping: (ms) => withTimeout(sql`select 1`.execute(db).then(() => undefined), ms, 'PostgreSQL'),
      close: () => db.destroy(),
    };
  }

  if (config.dataDir) await fs.mkdir(config.dataDir, { recursive: true });
  const client = await PGlite.create({
    ...(config.dataDir ? { dataDir: config.dataDir } : {}),
    ...(config.seed ? { loadDataDir: config.seed } : {}),
    parsers: { [INT8]: parseInt8, [DATE]: keepText },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  return {
    db,
    kind: 'pglite',
    ping: (ms) => withTimeout(sql`select 1`.execute(db).then(() => undefined), ms, 'embedded database'),
    close: () => db.destroy(),
  };
}
