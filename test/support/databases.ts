import { randomBytes } from 'node:crypto';
import pg from 'pg';
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
 * The database tests of the whole app use: a fresh PostgreSQL database when DATABASE_URL is
 * set (CI), otherwise an in-memory PGlite.
 */
export async function testDatabase(): Promise<{ database: DatabaseConfig; cleanup: () => Promise<void> }> {
  if (!process.env.DATABASE_URL) return { database: { kind: 'pglite', dataDir: null }, cleanup: async () => {} };
  const { url, drop } = await createPostgresDatabase();
  return { database: { kind: 'postgres', url }, cleanup: drop };
}
