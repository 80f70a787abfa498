import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { maskCallerNumber } from '../../agents/gateway/call-context';
import type { Actor } from '../../auth/actor';
import { actorOf } from '../../auth/plugin';
import { assertInScope, scopeRoot } from '../../auth/scope';
import { auditRepository } from '../../audit/audit-repository';
import type { CallsTable } from '../../db/schema';
import { Errors } from '../../errors/errors';
import { RegionCode, errors } from '../schemas';
import { chinaDayEnd, chinaDayStart } from '../../time/china-time';

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');

const ListQuery = z.strictObject({
  region: RegionCode.optional(),
  from: Day.optional(),
  to: Day.optional(),
  endReason: z.enum(['answered', 'abandoned', 'callback', 'rejected', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
const Body = z.looseObject({});

/** Call detail records (`GET /api/calls`, `GET /api/calls/:id` with the timeline), scoped like tickets. */
export async function callRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const staff = ['agent', 'supervisor', 'admin'] as const;
  const audit = auditRepository(app.db);

  const view = (c: Pick<CallsTable, 'caller_number'> & Record<string, unknown>, actor: Actor) => ({ ...c, caller_number: maskCallerNumber(c.caller_number as string, actor.role) });

  r.get(
    '/api/calls',
    { config: { access: staff }, schema: { tags: ['calls'], summary: 'Call records: an agent their own, a supervisor their area, newest first', querystring: ListQuery, response: { 200: Body, ...errors(400, 401, 403) } } },
    async (request) => {
      const actor = actorOf(request);
      const q = request.query;
      let query = app.db.selectFrom('calls').selectAll();
      if (actor.role === 'agent') query = query.where('agent_id', '=', actor.id);
      const root = q.region ?? scopeRoot(actor, app.regions);
      if (q.region && !app.regions.get(q.region)) throw new Errors.UNKNOWN_REGION('region', q.region);
      if (actor.role !== 'agent') assertInScope(actor, root, app.regions);
      if (actor.role !== 'agent' || q.region) query = query.where('region_code', 'in', app.regions.subtree(root));
      if (q.from) query = query.where('arrived_at', '>=', chinaDayStart(q.from));
      if (q.to) query = query.where('arrived_at', '<', chinaDayEnd(q.to));
      if (q.endReason) query = query.where('end_reason', '=', q.endReason);
      const rows = await query.orderBy('arrived_at', 'desc').limit(q.limit).offset(q.offset).execute();
      return { items: rows.map((c) => view(c, actor)) };
    },
  );

  r.get(
    '/api/calls/:id',
    { config: { access: staff }, schema: { tags: ['calls'], summary: 'One call with its timeline (reading it is audited)', params: z.strictObject({ id: z.uuid('must be a call id (a UUID)') }), response: { 200: Body, ...errors(400, 401, 403, 404) } } },
    async (request) => {
      const actor = actorOf(request);
      const call = await app.db.selectFrom('calls').selectAll().where('id', '=', request.params.id).executeTakeFirst();
      if (!call) throw new Errors.NOT_FOUND('GET', `/api/calls/${request.params.id}`);
      if (actor.role === 'agent') {
        if (call.agent_id !== actor.id) throw new Errors.FORBIDDEN_ROLE(actor.role);
      } else {
        assertInScope(actor, call.region_code ?? app.regions.province.code, app.regions);
      }
      const timeline = await app.db.selectFrom('call_events').select(['at', 'type', 'data']).where('call_id', '=', call.id).orderBy('at').orderBy('id').execute();
      await audit.record({ actor, action: 'call.read', entityType: 'call', entityId: call.id, requestId: request.id });
      return { ...view(call, actor), timeline };
    },
  );
}
