import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../auth/plugin';
import { chinaDay, chinaMonth } from '../../time/china-time';
import { errors, RegionCode } from '../schemas';

const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM');

const ListQuery = z.strictObject({
  status: z.enum(['pending', 'done']).default('pending').describe('pending: drawn for inspection and not scored yet; done: scored'),
  month: Month.optional().describe("the calls' month (China time); this month when left out"),
  region: RegionCode.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const ReportQuery = z.strictObject({ month: Month.optional().describe('this month when left out'), region: RegionCode.optional() });

const TicketParam = z.strictObject({ ticket: z.string().min(1).max(64).describe('ticket id or number (QH-20261121-000123)') });

const ScoreBody = z.strictObject({
  scores: z.record(z.string().max(32), z.number().int().min(0).max(100)).describe("criterion code → score, every criterion of the province's form (GET /api/quality/form), each from 0 to its maximum"),
  comment: z.string().trim().max(2000).optional(),
});

const Criterion = z.object({ code: z.string(), zh: z.string(), en: z.string(), max: z.number().int() });

const InspectionView = z.object({
  ticket: z.object({
    id: z.string(),
    number: z.string(),
    regionCode: z.string().nullable(),
    regionName: z.string().nullable(),
    type: z.string(),
    topic: z.string().nullable(),
    summary: z.string(),
    advice: z.string(),
    outcome: z.string().nullable(),
    surveyScore: z.number().int().nullable(),
  }),
  agent: z.object({ id: z.string(), username: z.string(), displayName: z.string() }).nullable(),
  call: z.object({ arrivedAt: z.string(), talkSeconds: z.number().int().nullable(), recordingUrl: z.string().nullable() }).nullable(),
  inspection: z
    .object({ scores: z.record(z.string(), z.number()), total: z.number().int(), maxTotal: z.number().int(), comment: z.string().nullable(), sampled: z.boolean(), inspector: z.string().nullable(), at: z.string() })
    .nullable(),
});

const AgentReport = z.object({
  month: z.string(),
  criteria: z.array(Criterion),
  items: z.array(
    z.object({
      agent: z.object({ id: z.string(), username: z.string(), displayName: z.string() }),
      inspected: z.number().int(),
      averageTotal: z.number(),
      averageMaxTotal: z.number(),
      averageShare: z.number().describe('average of total ÷ maximum, 0..1'),
      criteria: z.record(z.string(), z.number()).describe('criterion code → average score'),
    }),
  ),
});

const thisMonth = () => chinaDay(new Date()).slice(0, 7);

/**
 * Quality inspection (质检): the sample of answered calls' tickets to inspect (a hash of the
 * ticket id under the province's inspection rate), scoring one against the province's form, and
 * the per-agent report.
 */
export async function qualityRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const managers = ['supervisor', 'admin'] as const;
  const service = () => app.quality.inspections;

  r.get(
    '/api/quality/form',
    {
      config: { access: managers },
      schema: {
        tags: ['quality'],
        summary: "The province's evaluation form (provinces.settings.quality.criteria) and the share of answered calls drawn for inspection",
        response: { 200: z.object({ criteria: z.array(Criterion), maxTotal: z.number().int(), inspectionRate: z.number() }), ...errors(401, 403) },
      },
    },
    async () => {
      const criteria = service().criteria();
      return { criteria, maxTotal: criteria.reduce((s, c) => s + c.max, 0), inspectionRate: service().rate() };
    },
  );

  r.get(
    '/api/quality/inspections',
    {
      config: { access: managers },
      schema: {
        tags: ['quality'],
        summary: "Tickets of your area's answered calls drawn for inspection and not scored yet (pending), or scored (done)",
        querystring: ListQuery,
        response: { 200: z.object({ month: z.string(), rate: z.number(), items: z.array(InspectionView) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const { month = thisMonth(), ...q } = request.query;
      const { start, end } = chinaMonth(month);
      return { month, ...(await service().list(actorOf(request), { ...q, from: start, until: end })) };
    },
  );

  r.put(
    '/api/quality/inspections/:ticket',
    {
      config: { access: managers },
      schema: {
        tags: ['quality'],
        summary: "Score a ticket against the province's form (each criterion 0 to its maximum); scoring again replaces the scores (audited with the earlier ones)",
        params: TicketParam,
        body: ScoreBody,
        response: { 200: InspectionView, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => service().score(actorOf(request), request.params.ticket, request.body, request.id),
  );

  r.get(
    '/api/quality/agents',
    {
      config: { access: managers },
      schema: {
        tags: ['quality'],
        summary: "Per agent over a month of your area's tickets: inspections, average total, each criterion's average",
        querystring: ReportQuery,
        response: { 200: AgentReport, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const { month = thisMonth(), region } = request.query;
      const { start, end } = chinaMonth(month);
      return { month, ...(await service().byAgent(actorOf(request), { ...(region ? { region } : {}), from: start, until: end })) };
    },
  );
}
