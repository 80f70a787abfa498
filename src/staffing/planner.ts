import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../auth/actor';
import { assertInScope, scopeRoot } from '../auth/scope';
import { Errors } from '../errors/errors';
import { intervalHistory } from '../reports/history';
import { agentsFromSeats, allocateSeats } from './allocate';
import { DEFAULT_SERVICE_LEVEL_GOAL } from './erlang';
import { forecastDay } from './forecast';
import { FORECAST_SEEDS, forecastPlan } from './predict';
import { PlanDate, planEntries, PlanSeats, type seatPlans } from './seat-plans';
import { simulateDay } from './simulate';
import { chinaDayStart, DAY_MS } from '../time/china-time';

const INTERVALS = 48;
const HISTORY_WEEKS = 8;
/** Qinghai answered about 175 calls a day for 5.92 million people (2023–24): about 3 calls per 100,000 a day. */
const DEFAULT_PER_CAPITA = 175 / 5_923_957;

const RegionCode = z.string().regex(/^\d{6}$/, 'must be a 6-digit region code');
const Targets = {
  region: RegionCode.optional(),
  /** Default: the province's service-level goal (settings.targets). */
  targetServiceLevel: z.coerce.number().gt(0).lt(1).optional(),
  /** Default: the province's service-level threshold (settings.targets). */
  thresholdSeconds: z.coerce.number().min(1).max(600).optional(),
  shrinkage: z.coerce.number().min(0).lt(1).default(0),
  minSeats: z.coerce.number().int().min(0).max(100).default(0),
  /** Seats available in every interval with calls; default: the agent accounts in the area. */
  budget: z.coerce.number().int().min(0).max(100_000).optional(),
  perCapitaDailyCalls: z.coerce.number().positive().max(1).default(DEFAULT_PER_CAPITA),
};

export const RecommendationQuery = z.strictObject({
  date: PlanDate,
  ...Targets,
  /** Callers' mean patience in the plan's forecast, as in a simulation; 0: nobody hangs up. */
  patienceSeconds: z.coerce.number().min(0).max(3600).default(120),
});
export type RecommendationQuery = z.infer<typeof RecommendationQuery>;

export const SimulateBody = z.strictObject({
  date: PlanDate,
  plan: z.union([z.literal('saved'), z.literal('recommended'), PlanSeats]),
  seed: z.number().int().min(0).max(2 ** 31).default(1),
  /** Callers' mean patience; null: nobody hangs up (Erlang C conditions). */
  patienceSeconds: z.number().positive().max(3600).nullable().default(120),
  ...Targets,
});
export type SimulateBody = z.infer<typeof SimulateBody>;

/**
 * Recommendations and simulations for a supervisor's area: the forecast from the area's call
 * history (population where it is thin), seats allocated by marginal gain, and a day simulated
 * under a saved, recommended or given plan.
 */
export function planner({ app, plans }: { app: FastifyInstance; plans: ReturnType<typeof seatPlans> }) {
  const { regions } = app;

  function area(actor: Actor, region: string | undefined): string[] {
    const root = region ?? scopeRoot(actor, regions);
    if (!regions.get(root)) throw new Errors.UNKNOWN_REGION('region', root);
    assertInScope(actor, root, regions);
    return regions.subtree(root);
  }

  const aht = () => (app.router.store.state.stats()?.handleMs ?? app.router.settings.defaultHandleSeconds * 1000) / 1000;

  async function demand(date: string, codes: string[], perCapita: number) {
    const dayStart = chinaDayStart(date).getTime();
    const history = await intervalHistory(app.db, { since: new Date(dayStart - HISTORY_WEEKS * 7 * DAY_MS), until: new Date(dayStart), regionCodes: codes });
    return forecastDay({
      date,
      regions: codes.map((code) => ({ code, population: ownPopulation(code, codes) })),
      history,
      perCapitaDailyCalls: perCapita,
      weeks: HISTORY_WEEKS,
    });
  }

  /**
   * Calls are recorded at the most precise region known (a county, or a prefecture when the
   * caller could not be placed further), so a prefecture's own demand is from the part of its
   * population not in a county of the list — usually none.
   */
  function ownPopulation(code: string, codes: string[]): number {
    const r = regions.get(code)!;
    if (r.level === 'county') return r.populationEstimate;
    const children = regions.children(code).filter((c) => codes.includes(c.code));
    return Math.max(0, r.populationEstimate - children.reduce((s, c) => s + c.populationEstimate, 0));
  }

  /** The threshold and goal asked for, else the province's targets. */
  const goals = (q: { thresholdSeconds?: number; targetServiceLevel?: number }) => {
    const goal = app.serviceTargets.current.serviceLevel.goal;
    return { thresholdSeconds: app.serviceTargets.thresholdOr(q.thresholdSeconds), targetServiceLevel: q.targetServiceLevel ?? goal ?? DEFAULT_SERVICE_LEVEL_GOAL };
  };

  /**
   * The recommendation with its forecast: the plan's service level as the day simulator sees it
   * (three simulated days pooled; the population-proportional split of the same seats on one, for
   * comparison) beside the allocation's own queueing model.
   */
  async function recommend(actor: Actor, q: RecommendationQuery) {
    const { answer, allocation, forecast } = await plan(actor, q);
    const day = {
      intervalSeconds: 1800,
      ahtSeconds: aht(),
      patienceSeconds: q.patienceSeconds > 0 ? q.patienceSeconds : null,
      thresholdSeconds: goals(q).thresholdSeconds,
      demand: forecast.byRegion,
      steps: app.router.settings.steps,
    };
    const predicted = forecastPlan({ ...day, plan: agentsFromSeats(allocation, q.shrinkage) }, regions);
    const proportional = forecastPlan({ ...day, plan: agentsFromSeats(allocation, q.shrinkage, 'proportional') }, regions, FORECAST_SEEDS.slice(0, 1));
    return {
      ...answer,
      summary: {
        serviceLevel: predicted.serviceLevel,
        serviceLevelProportional: proportional.serviceLevel,
        seatsUsed: allocation.summary.seatsUsed,
        forecast: { ...predicted, patienceSeconds: day.patienceSeconds },
        model: { serviceLevel: allocation.summary.serviceLevel, serviceLevelProportional: allocation.summary.serviceLevelProportional },
      },
    };
  }

  async function plan(actor: Actor, q: Omit<RecommendationQuery, 'patienceSeconds'>) {
    const codes = area(actor, q.region);
    const inArea = new Set(codes);
    const forecast = await demand(q.date, codes, q.perCapitaDailyCalls);
    const accounts = await app.db.selectFrom('agents').select((eb) => eb.fn.countAll<number>().as('n')).where('role', '=', 'agent').where('disabled', '=', false).where('region_code', 'in', codes).executeTakeFirstOrThrow();
    const seatsAvailable = q.budget ?? Number(accounts.n);
    const hasCalls = Array.from({ length: INTERVALS }, (_, i) => codes.some((c) => (forecast.byRegion[c]?.[i] ?? 0) > 0));
    const budget = hasCalls.map((busy) => (busy ? seatsAvailable : 0));
    const ahtSeconds = aht();
    const allocation = allocateSeats({
      intervalSeconds: 1800,
      ahtSeconds,
      ...goals(q),
      shrinkage: q.shrinkage,
      budget,
      regions: codes.map((code) => {
        const r = regions.get(code)!;
        return { code, parentCode: r.parentCode && inArea.has(r.parentCode) ? r.parentCode : null, population: r.populationEstimate, minSeats: q.minSeats };
      }),
      demand: forecast.byRegion,
    });
    const answer = {
      date: q.date,
      ahtSeconds: Math.round(ahtSeconds),
      budget,
      regions: codes.map((code) => {
        const r = regions.get(code)!;
        return {
          code,
          name: r.nameZh,
          nameEn: r.namePinyin,
          level: r.level,
          population: r.populationEstimate,
          method: forecast.method[code] ?? 'population',
          forecast: (forecast.byRegion[code] ?? new Array(INTERVALS).fill(0)).map((x) => Math.round(x * 10) / 10),
          seats: allocation.intervals.map((i) => i.seats[code] ?? 0),
          proportional: allocation.intervals.map((i) => i.proportional[code] ?? 0),
        };
      }),
      intervals: allocation.intervals.map((i) => ({ start: i.start, budget: i.budget, expected: i.expected.province, expectedProportional: i.expectedProportional.province })),
      summary: allocation.summary,
    };
    return { answer, allocation, forecast };
  }

  async function simulate(actor: Actor, body: SimulateBody) {
    const codes = area(actor, body.region);
    const inArea = new Set(codes);
    const { allocation, forecast } = await plan(actor, body);
    // Seats are scheduled agents; shrinkage (breaks, training) takes some off the phones.
    const onPhones = (seats: number[]) => seats.map((x) => Math.round(x * (1 - body.shrinkage)));
    let matrix: Record<string, number[]>;
    if (body.plan === 'recommended') {
      matrix = agentsFromSeats(allocation, body.shrinkage);
    } else if (body.plan === 'saved') {
      const saved = await plans.matrix(body.date);
      if (!saved) throw new Errors.VALIDATION(`plan: no seat plan is saved for ${body.date}`);
      matrix = Object.fromEntries(Object.entries(saved).filter(([code]) => inArea.has(code)).map(([code, seats]) => [code, onPhones(seats)]));
    } else {
      matrix = {};
      for (const e of planEntries(body.plan, 'plan.')) {
        if (!regions.get(e.regionCode)) throw new Errors.UNKNOWN_REGION(e.field, e.regionCode);
        if (!inArea.has(e.regionCode)) throw new Errors.OUT_OF_SCOPE(e.regionCode, scopeRoot(actor, regions));
        (matrix[e.regionCode] ??= new Array(INTERVALS).fill(0))[e.intervalStart / 30] = Math.round(e.seats * (1 - body.shrinkage));
      }
    }
    const result = simulateDay(
      {
        seed: body.seed,
        intervalSeconds: 1800,
        ahtSeconds: aht(),
        patienceSeconds: body.patienceSeconds,
        thresholdSeconds: goals(body).thresholdSeconds,
        plan: matrix,
        demand: forecast.byRegion,
        steps: app.router.settings.steps,
      },
      regions,
    );
    return {
      date: body.date,
      plan: typeof body.plan === 'string' ? body.plan : 'given',
      province: result.province,
      regions: Object.fromEntries(Object.entries(result.regions).map(([code, o]) => [code, { ...o, name: regions.get(code)?.nameZh ?? code }])),
      calls: result.calls,
    };
  }

  return { recommend, simulate };
}
