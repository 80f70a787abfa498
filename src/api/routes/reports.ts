import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { actorOf } from '../../auth/plugin';
import { assertInScope, scopeRoot } from '../../auth/scope';
import type { Actor } from '../../auth/actor';
import { auditRepository } from '../../audit/audit-repository';
import { Errors } from '../../errors/errors';
import { halfHourSeries, type ReportRow, reportRows, ticketTypeCounts } from '../../reports/reports';
import { TICKET_TYPE_CODES, TICKET_TYPES } from '../../tickets/ticket-types';
import { detectTopicSpikes } from '../../reports/early-warning';
import { serviceQualityReport } from '../../quality/service-report';
import { RegionCode, errors } from '../schemas';
import { chinaDayEnd, chinaDayStart, chinaMonth } from '../../time/china-time';

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM');
const Common = { region: RegionCode.optional(), thresholdSeconds: z.coerce.number().int().min(1).max(600).default(20), byTopic: z.enum(['true', 'false']).default('true') };
const DailyQuery = z.strictObject({ date: Day, ...Common });
const MonthlyQuery = z.strictObject({ month: Month, ...Common });
const Body = z.looseObject({});

const TypeCounts = Object.fromEntries(TICKET_TYPE_CODES.map((c) => [c, z.number().int().describe(`${TICKET_TYPES[c].en} (${TICKET_TYPES[c].zh})`)])) as Record<(typeof TICKET_TYPE_CODES)[number], z.ZodNumber>;
/** The ticket-type breakdown both reports carry beside their rows. */
const TicketTypes = z
  .object({
    total: z.object(TypeCounts).describe("the area's tickets opened in the period, per type"),
    byRegion: z.array(z.object({ regionCode: z.string(), ...TypeCounts })).describe('the same per region where tickets were opened, by region code'),
  })
  .describe('tickets opened in the period per type (工单类型): consultation 咨询, help 求助, complaint 投诉, suggestion 建议');
const ReportBody = z.looseObject({ ticketTypes: TicketTypes });

const Share = z.number().nullable();
const QualityFigures = {
  answered: z.number().int(),
  surveyed: z.number().int().describe('survey answers'),
  satisfied: z.number().int().describe('answers of 4 or 5'),
  satisfaction: Share.describe('satisfied ÷ surveyed'),
  inspected: z.number().int().describe('answered calls whose ticket was inspected'),
  inspectionRate: Share.describe('inspected ÷ answered'),
  dissatisfied: z.number().int().describe('answers of 1 or 2'),
  followedUp: z.number().int().describe('dissatisfied callers whose follow-up was closed by its deadline'),
  followedUpLate: z.number().int(),
  followUpsOpen: z.number().int(),
  followUpRate: Share.describe('followedUp ÷ dissatisfied'),
  met: z.object({ satisfaction: z.boolean().nullable(), inspectionRate: z.boolean().nullable(), followUpRate: z.boolean().nullable() }).describe('each figure against its target; null: no target or nothing to measure'),
};
const ServiceQuality = z
  .object({
    targets: z.object({ satisfaction: Share, inspectionRate: Share, followUpRate: Share }).describe("the province's targets (provinces.settings.targets); null: not watched"),
    total: z.object(QualityFigures),
    byRegion: z.array(z.object({ regionCode: z.string(), ...QualityFigures })),
  })
  .describe("the contract's quality figures over the month's inbound calls: satisfaction, inspection and follow-up (回访 / 质检), per region and in total");
const MonthlyBody = z.looseObject({ ticketTypes: TicketTypes, serviceQuality: ServiceQuality });


/**
 * Daily and monthly reports per region and topic, as JSON (with a half-hour series for the
 * day's chart) and as CSV; scoped to the supervisor's area. Early warning of topic spikes.
 */
export async function reportRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const managers = ['supervisor', 'admin'] as const;
  const audit = auditRepository(app.db);

  function area(actor: Actor, region: string | undefined): string[] {
    const root = region ?? scopeRoot(actor, app.regions);
    if (!app.regions.get(root)) throw new Errors.UNKNOWN_REGION('region', root);
    assertInScope(actor, root, app.regions);
    return app.regions.subtree(root);
  }

  const names = (code: string) => app.regions.get(code)?.nameZh ?? code;
  const csv = (reply: FastifyReply, filename: string, rows: ReportRow[]) => {
    const body = stringify(
      rows.map((x) => [x.period, x.regionCode, names(x.regionCode), x.topic, x.offered, x.answered, x.abandoned, x.serviceLevel ?? '', x.avgHandleSeconds ?? '', x.abandonment ?? '', x.referrals, x.satisfaction ?? '']),
      { header: true, columns: ['period', 'region_code', 'region_name', 'topic', 'offered', 'answered', 'abandoned', 'service_level', 'avg_handle_seconds', 'abandonment', 'referrals', 'satisfaction'], record_delimiter: '\r\n', escape_formulas: true },
    );
    return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(`\uFEFF${body}`);
  };

  async function daily(actor: Actor, q: z.infer<typeof DailyQuery>, requestId: string) {
    const regionCodes = area(actor, q.region);
    const from = chinaDayStart(q.date);
    const until = chinaDayEnd(q.date);
    const rows = await reportRows(app.db, { from, until, regionCodes, period: 'day', thresholdSeconds: q.thresholdSeconds, byTopic: q.byTopic === 'true' });
    await audit.record({ actor, action: 'report.daily', entityType: 'report', entityId: q.date, requestId, details: { region: q.region ?? null } });
    return {
      rows,
      series: await halfHourSeries(app.db, { from, until, regionCodes, thresholdSeconds: q.thresholdSeconds }),
      ticketTypes: await ticketTypeCounts(app.db, { from, until, regionCodes }),
    };
  }

  async function monthly(actor: Actor, q: z.infer<typeof MonthlyQuery>, requestId: string) {
    const regionCodes = area(actor, q.region);
    const { start: from, end: until } = chinaMonth(q.month);
    const rows = await reportRows(app.db, { from, until, regionCodes, period: 'month', thresholdSeconds: q.thresholdSeconds, byTopic: q.byTopic === 'true' });
    await audit.record({ actor, action: 'report.monthly', entityType: 'report', entityId: q.month, requestId, details: { region: q.region ?? null } });
    return { rows, ticketTypes: await ticketTypeCounts(app.db, { from, until, regionCodes }) };
  }

  const doc = (summary: string, querystring: z.ZodType, body: z.ZodType = Body) => ({ config: { access: managers }, schema: { tags: ['reports'], summary, querystring, response: { 200: body, ...errors(400, 401, 403) } } });

  r.get('/api/reports/daily', doc('A day per region and topic (calls, answered, service level, handle time, abandonment, referrals, satisfaction), per half-hour, and tickets per type', DailyQuery, ReportBody), async (request) => daily(actorOf(request), request.query as z.infer<typeof DailyQuery>, request.id));
  r.get('/api/reports/daily.csv', { config: { access: managers }, schema: { tags: ['reports'], summary: 'The daily report as CSV (UTF-8 with BOM)', querystring: DailyQuery } }, async (request, reply) => {
    const q = request.query as z.infer<typeof DailyQuery>;
    return csv(reply, `report-${q.date}.csv`, (await daily(actorOf(request), q, request.id)).rows);
  });
  r.get('/api/reports/monthly', doc('A month per region and topic, tickets per type, and the contract\'s quality figures (satisfaction, inspection, follow-up) against their targets', MonthlyQuery, MonthlyBody), async (request) => {
    const q = request.query as z.infer<typeof MonthlyQuery>;
    const report = await monthly(actorOf(request), q, request.id);
    const { start: from, end: until } = chinaMonth(q.month);
    return { ...report, serviceQuality: await serviceQualityReport(app.db, { from, until, regionCodes: area(actorOf(request), q.region), targets: app.serviceTargets.current }) };
  });
  r.get('/api/reports/monthly.csv', { config: { access: managers }, schema: { tags: ['reports'], summary: 'The monthly report as CSV (UTF-8 with BOM)', querystring: MonthlyQuery } }, async (request, reply) => {
    const q = request.query as z.infer<typeof MonthlyQuery>;
    return csv(reply, `report-${q.month}.csv`, (await monthly(actorOf(request), q, request.id)).rows);
  });

  r.get(
    '/api/reports/topic-spikes',
    {
      config: { access: managers },
      schema: { tags: ['reports'], summary: 'Topics far above their four-week baseline today, per prefecture of your area (early warning)', querystring: z.strictObject({ minCalls: z.coerce.number().int().min(1).max(10_000).default(10), ratio: z.coerce.number().min(1.1).max(100).default(3) }), response: { 200: Body, ...errors(400, 401, 403) } },
    },
    async (request) => {
      // Only calls and rows inside the caller's area: a prefecture's supervisor never gets the
      // province's row (calls with no prefecture), nor a neighbour's.
      const area = scopeRoot(actorOf(request), app.regions);
      return { items: await detectTopicSpikes(app.db, { regions: app.regions, now: new Date(), area, minCalls: request.query.minCalls, ratio: request.query.ratio }) };
    },
  );
}
