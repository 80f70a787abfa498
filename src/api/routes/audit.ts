import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../auth/plugin';
import { auditLogReader } from '../../tickets/tickets-service';
import { errors } from '../schemas';
import { Day, PERIOD_OUT_OF_ORDER, periodInOrder } from './tickets';

/** Audit codes are lower-case words joined by dots or underscores ('ticket.read', 'referral'). */
const Code = z.string().trim().regex(/^[a-z][a-z0-9_.]{0,63}$/, 'must be a lower-case code such as ticket.read');

const AuditQuery = z
  .strictObject({
    entityType: Code.optional(),
    entityId: z.string().trim().min(1).max(128).optional(),
    actorId: z.uuid('must be a user id (uuid)').optional(),
    action: Code.optional(),
    from: Day.optional(),
    to: Day.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .refine(periodInOrder, PERIOD_OUT_OF_ORDER);

const AuditEntry = z.object({
  id: z.number().int(),
  at: z.date(),
  actor: z.object({ id: z.string().nullable(), username: z.string().nullable(), role: z.string().nullable() }).nullable(),
  action: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

/** GET /api/audit: who read or changed what (admins). */
export async function auditRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auditLog = auditLogReader({ db: app.db });

  r.get(
    '/api/audit',
    {
      config: { access: ['admin'] },
      schema: {
        tags: ['audit'],
        summary: 'The audit log, newest first: who read or changed which ticket, referral or account, and when',
        querystring: AuditQuery,
        response: { 200: z.object({ items: z.array(AuditEntry), total: z.number().int() }), ...errors(400, 401, 403) },
      },
    },
    async (request) => auditLog.list(actorOf(request), request.query),
  );
}
