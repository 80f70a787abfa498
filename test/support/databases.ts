import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { migrateToLatest } from '../../src/db/migrate';
import type { DatabaseConfig } from '../../src/config/config';

/** A fresh, empty PostgreSQL database on the server in DATABASE_URL, dropped by `drop()`. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL is not set');
  const name = `hotline_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database "${name}"`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists "${name}" with (force)`) };
}

/**
 * A dump of an in-memory PGlite with every migration applied, made once and kept in the temp
 * directory under a name that changes with the migrations, so every suite starts its embedded
 * database from it instead of creating (initdb) and migrating one: ~3 s less per app started,
 * and far more on a loaded machine.
 */
async function migratedPgliteSeed(): Promise<Blob> {
  const dir = path.join(__dirname, '..', '..', 'migrations');
  const hash = createHash('sha256');
  // The seed's format is PGlite's: a new version of it makes a new seed.
  let pkg = path.dirname(require.resolve('@electric-sql/pglite'));
  while (!(await fs.stat(path.join(pkg, 'package.json')).catch(() => null))) pkg = path.dirname(pkg);
  hash.update(await fs.readFile(path.join(pkg, 'package.json')));
  for (const name of (await fs.readdir(dir)).sort()) hash.update(name).update(await fs.readFile(path.join(dir, name)));
  const file = path.join(os.tmpdir(), `hotline-pglite-seed-${hash.digest('hex').slice(0, 16)}.tar.gz`);
  const existing = await fs.readFile(file).catch(() => null);
  if (existing) return new Blob([existing]);
  const client = await PGlite.create();
  try {
    await migrateToLatest(new Kysely<unknown>({ dialect: new PGliteDialect(client) }));
    const dump = Buffer.from(await (await client.dumpDataDir('gzip')).arrayBuffer());
    // Several workers may make it at once: each writes its own file and renames it into place.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await fs.writeFile(tmp, dump);
    await fs.rename(tmp, file);
    return new Blob([dump]);
  } finally {
    await client.close();
  }
}

/**
 * The database tests of the whole app use: a fresh PostgreSQL database when DATABASE_URL is
 * set (CI), otherwise an in-memory PGlite started from the shared migrated seed.
 */
export async function testDatabase(): Promise<{ database: DatabaseConfig; cleanup: () => Promise<void> }> {
  if (!process.env.DATABASE_URL) return { database: { kind: 'pglite', dataDir: null, seed: await migratedPgliteSeed() }, cleanup: async () => {} };
  const { url, drop } = await createPostgresDatabase();
  return { database: { kind: 'postgres', url }, cleanup: drop };
}
