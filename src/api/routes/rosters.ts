import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../auth/plugin';
import { MyShifts, RosterBody, RosterQuery, rosters, RosterView } from '../../staffing/rosters';
import { PlanDate, seatPlans } from '../../staffing/seat-plans';
import { errors } from '../schemas';

const Params = z.strictObject({ date: PlanDate });
const ViewQuery = RosterQuery.extend({
  /** draft (default): what supervisors edit; published: what agents and the wallboard see. */
  stage: z.enum(['draft', 'published']).default('draft'),
});
const MineQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(31).default(7) });

/** Duty rosters (排班): built from the day's seat plan, edited and published per area; each agent's own shifts. */
export async function rosterRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const managers = ['supervisor', 'admin'] as const;
  const plans = seatPlans({ db: app.db, regions: app.regions, provinceCode: app.province.code });
  const service = rosters({ db: app.db, regions: app.regions, provinceCode: app.province.code, provinceLanguages: app.province.languages, plans });

  r.get(
    '/api/rosters/:date',
    {
      config: { access: managers },
      schema: {
        tags: ['staffing'],
        summary: "A day's roster in your area (or the region asked for within it): the shifts, their status, and what the saved plan leaves uncovered",
        params: Params,
        querystring: ViewQuery,
        response: { 200: RosterView, ...errors(400, 401, 403) },
      },
    },
    async (request) => service.view(actorOf(request), request.params.date, request.query),
  );

  r.post(
    '/api/rosters/:date/build',
    {
      config: { access: managers },
      schema: {
        tags: ['staffing'],
        summary:
          "Replace your area's draft with shifts proposed from the day's saved seat plan: named agents of each region (borrowed within the prefecture when short), a fair spread of hours, settings.rosters.maxHoursPerDay, and the minimum of speakers per prefecture (settings.rosters.minSpeakers); answers the roster with what could not be covered",
        params: Params,
        querystring: RosterQuery,
        response: { 200: RosterView, ...errors(400, 401, 403, 409) },
      },
    },
    async (request) => service.build(actorOf(request), request.params.date, request.query, request.id),
  );

  r.put(
    '/api/rosters/:date',
    {
      config: { access: managers },
      bodyLimit: 1024 * 1024,
      schema: {
        tags: ['staffing'],
        summary: "Replace your area's draft shifts with these (agents serving in the area, regions in it, half-hour times, no overlaps, the day's hours); the published roster is unchanged until you publish",
        params: Params,
        querystring: RosterQuery,
        body: RosterBody,
        response: { 200: RosterView, ...errors(400, 401, 403) },
      },
    },
    async (request) => service.put(actorOf(request), request.params.date, request.body, request.query, request.id),
  );

  r.post(
    '/api/rosters/:date/publish',
    {
      config: { access: managers },
      schema: {
        tags: ['staffing'],
        summary: "Publish your area's draft: its agents see their shifts on the desk and the wallboard measures adherence against it",
        params: Params,
        querystring: RosterQuery,
        response: { 200: RosterView, ...errors(400, 401, 403, 409) },
      },
    },
    async (request) => {
      const published = await service.publish(actorOf(request), request.params.date, request.query, request.id);
      // Adherence on open wallboards follows at once rather than at the next read.
      void request.server.wallboard?.refresh().catch((err) => request.log.warn({ err }, 'wallboard refresh after publishing a roster failed'));
      return published;
    },
  );

  r.get(
    '/api/me/shifts',
    {
      config: { access: ['agent', 'supervisor', 'admin'] },
      schema: {
        tags: ['staffing'],
        summary: 'Your published shifts from today (China time) for the next days; drafts are never shown',
        querystring: MineQuery,
        response: { 200: MyShifts, ...errors(400, 401, 403) },
      },
    },
    async (request) => service.mine(actorOf(request), request.query.days),
  );
}
