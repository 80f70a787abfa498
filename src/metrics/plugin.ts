import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { probeLogLevel } from '../logging/logger';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's metrics registry; modules register their own metrics on it. */
    metrics: Registry;
  }
}

/** A registry per app instance (not prom-client's global one), exposed at GET /metrics. */
export const metricsPlugin = fp(
  async function metrics(app: FastifyInstance) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    app.decorate('metrics', registry);
    app.addHook('onResponse', async (request, reply) => {
      // Unmatched URLs share one label so probing cannot blow up the series count.
      const route = request.routeOptions.url ?? 'unmatched';
      duration.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000);
    });
    app.get('/metrics', { logLevel: probeLogLevel(app.log.level), config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    });
    app.addHook('onClose', async () => registry.clear());
  },
  { name: 'metrics' },
);
