import { randomUUID } from 'node:crypto';
import { bundledProvinceFile, readProvinceFile } from '../../src/province/bundled';
import { estimatePopulations } from '../../src/province/province-file';
import { regionDirectoryFromEntries } from '../../src/regions/region-directory';
import type { LiveStore } from '../../src/queue/live-store';
import { RoutingRegions } from '../../src/queue/policy';
import { Router } from '../../src/queue/router';
import { DEFAULT_ROUTING, type RoutingSettings } from '../../src/queue/settings';
import type { RoutingEvent } from '../../src/queue/types';

export async function qinghaiDirectory() {
  const file = await readProvinceFile((await bundledProvinceFile('630000'))!);
  return regionDirectoryFromEntries('630000', file.regions, estimatePopulations(file).estimates);
}

export class ManualClock {
  t = Date.UTC(2026, 10, 21, 2, 0, 0);
  now() {
    return this.t;
  }
  advance(seconds: number) {
    this.t += Math.round(seconds * 1000);
  }
}

/** Opens `n` stores that see the same live state: n nodes of one deployment. */
export type OpenStores = (n: number) => Promise<{ stores: LiveStore[]; cleanup: () => Promise<void> }>;

export interface Node {
  router: Router;
  events: RoutingEvent[];
}

/** The defaults, but sessions that do not lapse while a test moves the clock by minutes. */
export const TEST_ROUTING: RoutingSettings = { ...DEFAULT_ROUTING, presenceGraceSeconds: 86_400 };

export async function makeNodes(open: OpenStores, n: number, clock: ManualClock, settings: RoutingSettings = TEST_ROUTING) {
  const regions = new RoutingRegions(await qinghaiDirectory());
  const { stores, cleanup } = await open(n);
  const nodes: Node[] = [];
  for (const store of stores) {
    const router = new Router({ store, regions, settings, clock, timers: false, sweepMs: 0 });
    const events: RoutingEvent[] = [];
    router.on((e) => events.push(e));
    await router.start();
    nodes.push({ router, events });
  }
  return {
    nodes,
    async close() {
      for (const node of nodes) await node.router.stop();
      for (const s of stores) await s.close();
      await cleanup();
    },
  };
}

export const agent = (id: string, regionCode: string, languages: Record<string, number> = { zh: 5 }, topics: Record<string, number> = { labour: 3 }) => ({
  id,
  regionCode,
  languages,
  topics,
});

export const newCall = (over: Partial<{ id: string; regionCode: string; language: string; topic: string; priority: number }> = {}) => ({
  id: randomUUID(),
  regionCode: '630102',
  language: 'zh',
  topic: 'labour',
  priority: 0,
  ...over,
});
