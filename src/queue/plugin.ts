import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { CallRecorder } from './call-recorder';
import type { LiveStore } from './live-store';
import { MemoryLiveStore } from './memory-store';
import { RoutingRegions } from './policy';
import { RedisLiveStore } from './redis-store';
import { Router } from './router';
import { DEFAULT_ROUTING, RoutingSettingsSchema, type RoutingSettings } from './settings';

declare module 'fastify' {
  interface FastifyInstance {
    router: Router;
    callRecorder: CallRecorder;
  }
}

/** Routing settings from the province's row, or the defaults; a bad value stops start-up. */
export function routingSettings(settings: Record<string, unknown>, province: string): RoutingSettings {
  if (settings.routing === undefined) return DEFAULT_ROUTING;
  const parsed = RoutingSettingsSchema.safeParse({ ...DEFAULT_ROUTING, ...(settings.routing as object) });
  if (!parsed.success) {
    throw new Error(
      `province ${province} has invalid routing settings: ${parsed.error.issues.map((i) => `routing.${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/**
 * The province's queue: the live store (Redis when there is one, else in process), the router
 * on top, and the recorder that writes what happens to calls' records.
 */
export const queuePlugin = fp(
  async function queue(app: FastifyInstance) {
    const row = await app.db.selectFrom('provinces').select('settings').where('code', '=', app.province.code).executeTakeFirstOrThrow();
    const settings = routingSettings(z.record(z.string(), z.unknown()).parse(row.settings), app.province.code);
    const store: LiveStore = app.redis ? new RedisLiveStore(app.redis, { provinceCode: app.province.code, namespace: app.config.redisNamespace }) : new MemoryLiveStore();
    const router = new Router({ store, regions: new RoutingRegions(app.regions), settings, log: app.log });
    const recorder = new CallRecorder(app.records, app.log);
    router.on((e, local) => recorder.record(e, local));
    await router.start();
    app.decorate('router', router);
    app.decorate('callRecorder', recorder);
    app.addHook('onClose', async () => {
      await router.stop();
      await store.close();
      await recorder.flush();
    });
  },
  { name: 'queue', dependencies: ['province', 'redis', 'database', 'records'] },
);
