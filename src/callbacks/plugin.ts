import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { Callbacks } from './callbacks';
import { callbackPolicy } from './policy';

declare module 'fastify' {
  interface FastifyInstance {
    callbacks: Callbacks;
  }
}

/** Callbacks kept as promises in the database, and the clock that queues them when due. */
export const callbacksPlugin = fp(
  async function callbacks(app: FastifyInstance, opts: { intervalMs?: number }) {
    const row = await app.db.selectFrom('provinces').select('settings').where('code', '=', app.province.code).executeTakeFirstOrThrow();
    const policy = callbackPolicy(z.record(z.string(), z.unknown()).parse(row.settings), app.province.code);
    const service = new Callbacks({
      db: app.db,
      router: app.router,
      records: app.records,
      provinceCode: app.province.code,
      policy,
      log: app.log.child({ module: 'callbacks' }),
      intervalMs: opts.intervalMs ?? 5_000,
    });
    service.start();
    // Attempts that were in the live queue when it was lost are queued again.
    app.router.onRecovered('callbacks', () => service.pass());
    app.decorate('callbacks', service);
    app.addHook('onClose', () => service.stop());
  },
  { name: 'callbacks', dependencies: ['queue', 'records', 'database', 'province'] },
);
