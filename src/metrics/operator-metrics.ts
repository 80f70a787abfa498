import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { registerCallbackMetrics } from './callback-metrics';
import { registerRoutingMetrics } from './routing-metrics';

/**
 * The figures an operator watches on /metrics (docs/operations.md, "Metrics"): calls by outcome,
 * the queue per prefecture, service level, offers, agents by state and the callback backlog. The
 * outbox backlog and the AMI link are registered by the records and Asterisk modules themselves.
 * Registered after the queue and the callbacks, before telephony: no call can be routed before
 * its counters listen.
 */
export const operatorMetricsPlugin = fp(
  async function operatorMetrics(app: FastifyInstance) {
    registerRoutingMetrics({ registry: app.metrics, router: app.router, regions: app.regions, thresholdSeconds: () => app.serviceTargets.current.serviceLevel.thresholdSeconds });
    registerCallbackMetrics({
      registry: app.metrics,
      db: app.db,
      provinceCode: app.province.code,
      overdueMinutes: () => app.callbacks.policy.overdueMinutes,
      log: app.log.child({ module: 'metrics' }),
    });
  },
  { name: 'operator-metrics', dependencies: ['metrics', 'queue', 'callbacks', 'province', 'database', 'service-targets'] },
);
