import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { NodeRegistry } from '../redis/node-registry';
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
    /** This node's id and which other nodes are alive. */
    nodes: NodeRegistry;
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
    const nodes = new NodeRegistry(app.redis, { namespace: app.config.redisNamespace, provinceCode: app.province.code, log: app.log });
    const store: LiveStore = app.redis
      ? new RedisLiveStore(app.redis, { provinceCode: app.province.code, namespace: app.config.redisNamespace, nodeId: nodes.id })
      : new MemoryLiveStore();
    const router = new Router({ store, regions: new RoutingRegions(app.regions), settings, log: app.log });
    const recorder = new CallRecorder(app.records, app.log);
    router.on((e, local) => recorder.record(e, local));
    await router.start();
    await nodes.start();
    app.decorate('nodes', nodes);
    app.decorate('router', router);
    app.decorate('callRecorder', recorder);
    app.addHook('onClose', async () => {
      await nodes.stop();
      await router.stop();
      await store.close();
      await recorder.flush();
    });
  },
  { name: 'queue', dependencies: ['province', 'redis', 'database', 'records'] },
);
