import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../auth/plugin';
import { errors, RegionCode } from '../schemas';

const OUTCOMES = ['resolved', 'explained', 'escalated_complaint', 'unreachable'] as const;

const ListQuery = z.strictObject({
  status: z.enum(['open', 'overdue', 'done']).optional().describe('open: not closed yet; overdue: open past the deadline; done: closed with an outcome. Left out: all'),
  region: RegionCode.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const Id = z.strictObject({ id: z.uuid('must be a follow-up id (a UUID)') });

const OutcomeBody = z.strictObject({
  outcome: z.enum(OUTCOMES).describe('resolved 问题已解决, explained 已解释说明, escalated_complaint 转为投诉处理, unreachable 无法联系'),
  note: z.string().trim().max(2000).optional(),
});

const FollowUpView = z.object({
  id: z.string(),
  reason: z.literal('dissatisfied'),
  surveyScore: z.number().int().nullable(),
  dueAt: z.string().describe('one working day after the survey (the referral calendar: holidays, working weekends)'),
  overdue: z.boolean(),
  status: z.enum(['open', 'done']),
  outcome: z.enum(OUTCOMES).nullable(),
  note: z.string().nullable(),
  doneBy: z.string().nullable(),
  doneAt: z.string().nullable(),
  createdAt: z.string(),
  ticket: z.object({ id: z.string(), number: z.string(), regionCode: z.string().nullable(), regionName: z.string().nullable(), type: z.string(), topic: z.string().nullable(), summary: z.string() }),
  callerNumber: z.string(),
  agent: z.object({ id: z.string(), username: z.string(), displayName: z.string() }).nullable(),
  callback: z.object({ id: z.string(), status: z.string().nullable(), attempts: z.number().int().nullable(), lastResult: z.string().nullable() }).nullable().describe('the latest callback booked for it'),
});

/**
 * Follow-ups of dissatisfied callers (回访): every survey score of 1 or 2 puts the ticket here,
 * due one working day later; supervisors of the ticket's area book a callback and record how it
 * ended.
 */
export async function followUpRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const managers = ['supervisor', 'admin'] as const;
  const service = () => app.quality.followUps;

  r.get(
    '/api/follow-ups',
    {
      config: { access: managers },
      schema: {
        tags: ['quality'],
        summary: 'Follow-ups of dissatisfied callers in your area: open ones by deadline first, then closed ones newest first',
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(FollowUpView) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => service().list(actorOf(request), request.query),
  );

  r.get(
    '/api/follow-ups/:id',
    { config: { access: managers }, schema: { tags: ['quality'], summary: 'One follow-up', params: Id, response: { 200: FollowUpView, ...errors(400, 401, 403, 404) } } },
    async (request) => service().get(actorOf(request), request.params.id),
  );

  r.post(
    '/api/follow-ups/:id/callback',
    {
      config: { access: managers },
      schema: {
        tags: ['quality'],
        summary: 'Book a callback to the caller (reason follow_up), tried as every callback is; refused while an earlier one is still to be made (audited)',
        params: Id,
        response: { 200: FollowUpView, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => service().bookCallback(actorOf(request), request.params.id, request.id),
  );

  r.post(
    '/api/follow-ups/:id/outcome',
    {
      config: { access: managers },
      schema: {
        tags: ['quality'],
        summary: 'Record how the follow-up ended and close it; a callback still to be made is cancelled (audited)',
        params: Id,
        body: OutcomeBody,
        response: { 200: FollowUpView, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => service().recordOutcome(actorOf(request), request.params.id, request.body, request.id),
  );
}
