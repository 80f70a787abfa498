import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../auth/plugin';
import { agentsForTarget, erlangC, type ErlangCResult } from '../../staffing/erlang';
import { agentsForTargetA, erlangA } from '../../staffing/erlang-a';
import { planner, RecommendationQuery, SimulateBody } from '../../staffing/planner';
import { PLAN_BODY_LIMIT_BYTES, PlanDate, SeatPlanBody, seatPlans } from '../../staffing/seat-plans';
import { errors } from '../schemas';

const ErlangQuery = z
  .strictObject({
    calls: z.coerce.number().min(0).max(10_000_000),
    intervalSeconds: z.coerce.number().int().min(60).max(86_400).default(1800),
    ahtSeconds: z.coerce.number().min(1).max(36_000),
    targetServiceLevel: z.coerce.number().gt(0).lt(1).default(0.8),
    thresholdSeconds: z.coerce.number().min(0).max(3600).default(20),
    /** With it, callers give up after this long on average and the answer is Erlang A. */
    patienceSeconds: z.coerce.number().gt(0).max(36_000).optional(),
    /** With it, the figures are for this many agents rather than the fewest that meet the target. */
    agents: z.coerce.number().int().min(0).max(100_000).optional(),
    shrinkage: z.coerce.number().min(0).lt(1).default(0),
  });

const ErlangAnswer = z.object({
  model: z.enum(['erlang_c', 'erlang_a']),
  agents: z.number(),
  scheduled: z.number(),
  erlangs: z.number(),
  serviceLevel: z.number(),
  asa: z.number().nullable(),
  occupancy: z.number(),
  probabilityOfWait: z.number(),
  probabilityOfAbandon: z.number().optional(),
  note: z.string().nullable(),
  noteZh: z.string().nullable(),
});

const Body = z.looseObject({});

/** Staffing: the Erlang calculator, seat plans, recommendations and the day simulator. */
export async function staffingRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const managers = ['supervisor', 'admin'] as const;
  const plans = seatPlans({ db: app.db, regions: app.regions, provinceCode: app.province.code });

  r.get(
    '/api/staffing/erlang',
    {
      config: { access: managers },
      schema: {
        tags: ['staffing'],
        summary: 'Agents needed for a target service level (Erlang C; Erlang A with patienceSeconds), or the figures for a given number of agents',
        querystring: ErlangQuery,
        response: { 200: ErlangAnswer, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const load = { calls: q.calls, intervalSeconds: q.intervalSeconds, ahtSeconds: q.ahtSeconds, thresholdSeconds: q.thresholdSeconds };
      if (q.patienceSeconds !== undefined) {
        const result =
          q.agents !== undefined
            ? { ...erlangA({ ...load, agents: q.agents, patienceSeconds: q.patienceSeconds }), scheduled: Math.ceil(q.agents / (1 - q.shrinkage) - 1e-9) }
            : agentsForTargetA({ ...load, targetServiceLevel: q.targetServiceLevel, patienceSeconds: q.patienceSeconds, shrinkage: q.shrinkage });
        return answer('erlang_a', result);
      }
      const result =
        q.agents !== undefined
          ? { ...erlangC({ ...load, agents: q.agents }), scheduled: Math.ceil(q.agents / (1 - q.shrinkage) - 1e-9) }
          : agentsForTarget({ ...load, targetServiceLevel: q.targetServiceLevel, shrinkage: q.shrinkage });
      return answer('erlang_c', result);
    },
  );

  const plan = planner({ app, plans });

  r.get(
    '/api/staffing/recommendation',
    {
      config: { access: managers },
      schema: {
        tags: ['staffing'],
        summary: 'Seats per region per half-hour for a day: forecast from the call history (or population), allocated by marginal gain with overflow pooling, beside a population-proportional split',
        querystring: RecommendationQuery,
        response: { 200: Body, ...errors(400, 401, 403) },
      },
    },
    async (request) => plan.recommend(actorOf(request), request.query),
  );

  r.post(
    '/api/staffing/simulate',
    {
      config: { access: managers },
      bodyLimit: PLAN_BODY_LIMIT_BYTES,
      schema: {
        tags: ['staffing'],
        summary: "Simulate a day under a plan (saved, recommended, or given): arrivals, handle times, patience and the routing policy's overflow steps",
        body: SimulateBody,
        response: { 200: Body, ...errors(400, 401, 403) },
      },
    },
    async (request) => plan.simulate(actorOf(request), request.body),
  );

  r.get(
    '/api/seat-plans/:date',
    {
      config: { access: managers },
      bodyLimit: PLAN_BODY_LIMIT_BYTES,
      schema: { tags: ['staffing'], summary: "A day's seat plan (seats per region per half-hour) in your area", params: z.strictObject({ date: PlanDate }), response: { 200: Body, ...errors(400, 401, 403) } },
    },
    async (request) => plans.get(actorOf(request), request.params.date),
  );

  r.put(
    '/api/seat-plans/:date',
    {
      config: { access: managers },
      bodyLimit: PLAN_BODY_LIMIT_BYTES,
      schema: {
        tags: ['staffing'],
        summary: "Replace the day's plan for your area (entries outside it are refused; the rest of the province's plan is kept). Body: `entries` (region, half-hour, seats) or the compact `seats` (region → the 48 half-hours' seats); up to 4 MiB",
        params: z.strictObject({ date: PlanDate }),
        body: SeatPlanBody,
        response: { 200: Body, ...errors(400, 401, 403) },
      },
    },
    async (request) => plans.put(actorOf(request), request.params.date, request.body, request.id),
  );
}

/** JSON has no Infinity: an ASA that never settles is null, with the note saying why. */
function answer(model: 'erlang_c' | 'erlang_a', r: ErlangCResult & { scheduled: number; probabilityOfAbandon?: number }) {
  return {
    model,
    agents: r.agents,
    scheduled: r.scheduled,
    erlangs: r.erlangs,
    serviceLevel: r.serviceLevel,
    asa: Number.isFinite(r.asa) ? r.asa : null,
    occupancy: r.occupancy,
    probabilityOfWait: r.probabilityOfWait,
    ...(r.probabilityOfAbandon !== undefined ? { probabilityOfAbandon: r.probabilityOfAbandon } : {}),
    note: r.note,
    noteZh: r.noteZh,
  };
}
