import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditRepository } from '../../audit/audit-repository';
import { actorOf } from '../../auth/plugin';
import { assertInScope, scopeRoot } from '../../auth/scope';
import { callbacksRepository } from '../../callbacks/callbacks-repository';
import type { Selectable } from 'kysely';
import type { CallbacksTable } from '../../db/schema';
import { Errors } from '../../errors/errors';
import { errors, RegionCode } from '../schemas';

const STATUSES = ['pending', 'queued', 'completed', 'failed', 'cancelled'] as const;

const ListQuery = z.strictObject({
  status: z
    .string()
    .transform((v) => v.split(',').filter(Boolean))
    .pipe(z.array(z.enum(STATUSES, { error: `each status must be one of ${STATUSES.join(', ')}` })))
    .optional(),
  overdue: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  region: RegionCode.optional(),
  before: z.iso.datetime({ error: 'must be an ISO 8601 time such as 2026-12-03T08:00:00Z' }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const CallbackView = z.object({
  id: z.string(),
  reason: z.enum(['caller_request', 'queue_timeout', 'referral_outcome', 'agent_request', 'missed_call', 'voice_message', 'forward_failed', 'follow_up']),
  status: z.enum(STATUSES),
  overdue: z.boolean(),
  callerNumber: z.string(),
  regionCode: z.string().nullable(),
  language: z.string(),
  topic: z.string(),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  dueAt: z.string(),
  nextAttemptAt: z.string(),
  lastAttemptAt: z.string().nullable(),
  lastResult: z.enum(['reached', 'no_answer', 'busy', 'wrong_number', 'failed']).nullable(),
  originCallId: z.string().nullable(),
  ticketId: z.string().nullable(),
  closedAt: z.string().nullable(),
  closeReason: z.string().nullable(),
});

const Id = z.strictObject({ id: z.uuid('must be a callback id (a UUID)') });
const CancelBody = z.strictObject({ reason: z.string().trim().min(1, 'say why the callback is cancelled').max(200) });

/**
 * Callbacks the hotline has promised, for supervisors: every one in their area with where it
 * stands (due, being tried, completed, failed after its attempts, cancelled), the overdue ones,
 * and cancelling one that should not be made (the caller called again and was helped).
 */
export async function callbackRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const managers = ['supervisor', 'admin'] as const;

  const view = (c: Selectable<CallbacksTable>, overdueBefore: Date): z.infer<typeof CallbackView> => ({
    id: c.id,
    reason: c.reason,
    status: c.status,
    overdue: (c.status === 'pending' || c.status === 'queued') && c.due_at < overdueBefore,
    callerNumber: c.caller_number,
    regionCode: c.region_code,
    language: c.language,
    topic: c.topic,
    attempts: c.attempts,
    maxAttempts: c.max_attempts,
    dueAt: c.due_at.toISOString(),
    nextAttemptAt: c.next_attempt_at.toISOString(),
    lastAttemptAt: c.last_attempt_at?.toISOString() ?? null,
    lastResult: c.last_result,
    originCallId: c.origin_call_id,
    ticketId: c.ticket_id,
    closedAt: c.closed_at?.toISOString() ?? null,
    closeReason: c.close_reason,
  });
  const overdueBefore = () => new Date(Date.now() - app.callbacks.policy.overdueMinutes * 60_000);

  r.get(
    '/api/callbacks',
    {
      config: { access: managers },
      schema: {
        tags: ['callbacks'],
        summary: 'Callbacks in your area, newest first; overdue=true lists those not completed within the policy time after they fell due',
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(CallbackView) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const root = request.query.region ?? scopeRoot(actor, app.regions);
      assertInScope(actor, root, app.regions);
      const before = overdueBefore();
      const rows = await callbacksRepository.list(app.db, {
        provinceCode: app.province.code,
        regionCodes: root === app.regions.province.code ? null : app.regions.subtree(root),
        ...(request.query.status ? { status: request.query.status } : {}),
        ...(request.query.overdue ? { overdueBefore: before } : {}),
        ...(request.query.before ? { before: new Date(request.query.before) } : {}),
        limit: request.query.limit,
      });
      return { items: rows.map((c) => view(c, before)) };
    },
  );

  r.post(
    '/api/callbacks/:id/cancel',
    {
      config: { access: managers },
      schema: {
        tags: ['callbacks'],
        summary: 'Cancel a callback that has not been made yet (audited); one being tried is taken out of the queue',
        params: Id,
        body: CancelBody,
        response: { 200: CallbackView, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const current = await callbacksRepository.byId(app.db, request.params.id);
      if (!current) throw new Errors.CALLBACK_NOT_FOUND(request.params.id);
      assertInScope(actor, current.region_code ?? app.regions.province.code, app.regions);
      const cancelled = await app.db.transaction().execute(async (tx) => {
        const row = await callbacksRepository.cancel(tx, current.id, actor.id, request.body.reason, new Date());
        if (row) await auditRepository(tx).record({ actor, action: 'callback.cancel', entityType: 'callback', entityId: current.id, details: { reason: request.body.reason }, requestId: request.id });
        return row;
      });
      if (!cancelled) throw new Errors.CALLBACK_CLOSED(current.id, current.status);
      if (current.attempt_id) await app.router.withdraw(current.attempt_id);
      return view(cancelled, overdueBefore());
    },
  );
}
