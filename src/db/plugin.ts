import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { DatabaseConfig } from '../config/config';
import { type DatabaseHandle, type Db, openDatabase } from './database';
import { migrateToLatest } from './migrate';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    database: DatabaseHandle;
  }
}

/** Opens PostgreSQL or the embedded PGlite, applies migrations, and closes it with the app. */
export const databasePlugin = fp(
  async function database(app: FastifyInstance, opts: { database: DatabaseConfig }) {
    const handle = await openDatabase(opts.database, (err) => app.log.warn({ err }, 'database connection lost'));
    try {
      const applied = await migrateToLatest(handle.db);
      if (applied.length > 0) app.log.info({ migrations: applied }, 'database migrated');
    } catch (err) {
      await handle.close();
      throw err;
    }
    app.decorate('db', handle.db);
    app.decorate('database', handle);
    app.addHook('onClose', async () => handle.close());
  },
  { name: 'database', dependencies: ['config'] },
);
