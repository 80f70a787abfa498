import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { probeLogLevel } from '../../logging/logger';
import { pingRedis } from '../../redis/plugin';

const CHECK_TIMEOUT_MS = 2_000;
const Check = z.enum(['ok', 'failing', 'not configured']);
const Readiness = z.object({
  status: z.enum(['ready', 'not ready']),
  checks: z.object({ database: Check, redis: Check, routing: Check, asterisk: Check }),
  errors: z.array(z.string()).optional(),
});

async function check(run: () => Promise<void>): Promise<{ ok: true } | { ok: false; error: string }> {
  try {
    await run();
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

export async function healthRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const logLevel = probeLogLevel(app.log.level);

  r.get(
    '/healthz',
    {
      logLevel,
      config: { access: 'public' },
      schema: { tags: ['health'], summary: 'The process is alive', response: { 200: z.object({ status: z.literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  );

  r.get(
    '/readyz',
    {
      logLevel,
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        summary: 'The node can serve: database and Redis answer, the live routing state is usable (not lost or being rebuilt), and the AMI account (on the node driving Asterisk) may do what the driver needs',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (request, reply) => {
      const redis = app.redis;
      const [db, rd] = await Promise.all([
        check(() => app.database.ping(CHECK_TIMEOUT_MS)),
        redis ? check(() => pingRedis(redis, CHECK_TIMEOUT_MS)) : Promise.resolve(null),
      ]);
      // Faults of configuration only an operator can fix (a standby node, or a link merely down, is fine).
      const asterisk = app.asteriskDriver?.health() ?? null;
      // The public answer names what failed; the reason (hosts, ports) goes to the log only.
      const routing = app.router.health;
      const errors = [
        ...(db.ok ? [] : ['database is not reachable']),
        ...(rd && !rd.ok ? ['redis is not reachable'] : []),
        ...(routing === 'ok' ? [] : [`live routing state is ${routing === 'unreachable' ? 'unreachable' : routing === 'lost' ? 'lost (being rebuilt)' : 'being rebuilt'}`]),
        ...(asterisk && !asterisk.ok ? [`asterisk: ${asterisk.error}`] : []),
      ];
      if (!db.ok) request.log.warn({ reason: db.error }, 'readiness: database check failed');
      if (rd && !rd.ok) request.log.warn({ reason: rd.error }, 'readiness: redis check failed');
      const body = {
        status: errors.length === 0 ? ('ready' as const) : ('not ready' as const),
        checks: {
          database: db.ok ? ('ok' as const) : ('failing' as const),
          redis: rd === null ? ('not configured' as const) : rd.ok ? ('ok' as const) : ('failing' as const),
          routing: routing === 'ok' ? ('ok' as const) : ('failing' as const),
          asterisk: asterisk === null ? ('not configured' as const) : asterisk.ok ? ('ok' as const) : ('failing' as const),
        },
        ...(errors.length ? { errors } : {}),
      };
      return reply.code(errors.length === 0 ? 200 : 503).send(body);
    },
  );
}
