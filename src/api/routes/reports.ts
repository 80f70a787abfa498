import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../auth/plugin';
import { assertInScope, scopeRoot } from '../../auth/scope';
import type { Actor } from '../../auth/actor';
import { auditRepository } from '../../audit/audit-repository';
import { Errors } from '../../errors/errors';
import { halfHourSeries, reportCounts, reportRows, ticketTypeCounts } from '../../reports/reports';
import { TICKET_TYPE_CODES, TICKET_TYPES } from '../../tickets/ticket-types';
import { breakdowns, byPeriod } from '../../reports/breakdowns';
import { agentFigures } from '../../reports/by-agent';
import { REPORT_TABLES, type ReportCsvInput, reportCsv } from '../../reports/report-csv';
import { detectTopicSpikes } from '../../reports/early-warning';
import { CsvLanguage } from '../../export/csv-labels';
import { serviceQualityReport } from '../../quality/service-report';
import { RegionCode, errors } from '../schemas';
import { chinaDay, chinaDayEnd, chinaDayStart, chinaMonth, DAY_MS } from '../../time/china-time';

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM');
/** thresholdSeconds: the province's service-level threshold (settings.targets) unless given. */
const Common = { region: RegionCode.optional(), thresholdSeconds: z.coerce.number().int().min(1).max(600).optional(), byTopic: z.enum(['true', 'false']).default('true') };
const DailyQuery = z.strictObject({ date: Day, ...Common });
const MonthlyQuery = z.strictObject({ month: Month, ...Common });
/** The files: which table, and Chinese headers and names (`zh`) or the codes (`en`, the default, as it always was). */
const CsvFields = {
  lang: CsvLanguage.default('en'),
  table: z.enum(REPORT_TABLES, `must be one of ${REPORT_TABLES.join(', ')}`).default('rows'),
};
const DailyCsvQuery = DailyQuery.extend(CsvFields);
const MonthlyCsvQuery = MonthlyQuery.extend(CsvFields);
const Body = z.looseObject({});
const TypeCounts = Object.fromEntries(TICKET_TYPE_CODES.map((c) => [c, z.number().int().describe(`${TICKET_TYPES[c].en} (${TICKET_TYPES[c].zh})`)])) as Record<(typeof TICKET_TYPE_CODES)[number], z.ZodNumber>;
/** The ticket-type breakdown both reports carry beside their tables. */
const TicketTypes = z
  .object({
    total: z.object(TypeCounts).describe("the area's tickets opened in the period, per type"),
    byRegion: z.array(z.object({ regionCode: z.string(), ...TypeCounts })).describe('the same per region where tickets were opened, by region code'),
  })
  .describe('tickets opened in the period per type (工单类型): consultation 咨询, help 求助, complaint 投诉, suggestion 建议');
const ReportBody = z.looseObject({ ticketTypes: TicketTypes });

type Period = { kind: 'day' | 'month'; period: string; region?: string | undefined; thresholdSeconds: number; byTopic: 'true' | 'false' };
type CsvChoice = { lang: CsvLanguage; table: (typeof REPORT_TABLES)[number] };
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
 * Daily and monthly reports of an area, as JSON and as CSV; scoped to the supervisor's area.
 * JSON: the detailed rows per region (as the calls recorded it) and topic; the tables the page
 * shows (total, each region one level below the area, each topic, region × topic, each agent);
 * the day's half-hours or the month's days for its charts. Early warning of topic spikes.
 */
export async function reportRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const managers = ['supervisor', 'admin'] as const;
  const audit = auditRepository(app.db);

  function areaRoot(actor: Actor, region: string | undefined): string {
    const root = region ?? scopeRoot(actor, app.regions);
    if (!app.regions.get(root)) throw new Errors.UNKNOWN_REGION('region', root);
    assertInScope(actor, root, app.regions);
    return app.regions.get(root)!.code;
  }

  async function report(actor: Actor, q: Period, requestId: string, exported: CsvChoice | null) {
    const area = areaRoot(actor, q.region);
    const regionCodes = app.regions.subtree(area);
    const { start: from, end: until } = q.kind === 'day' ? { start: chinaDayStart(q.period), end: chinaDayEnd(q.period) } : chinaMonth(q.period);
    const counts = await reportCounts(app.db, { from, until, regionCodes, period: q.kind, thresholdSeconds: q.thresholdSeconds });
    const byAgent = await agentFigures(app.db, { from, until, regionCodes });
    await audit.record({
      actor,
      action: q.kind === 'day' ? 'report.daily' : 'report.monthly',
      entityType: 'report',
      entityId: q.period,
      requestId,
      details: { region: q.region ?? null, ...(exported ? { export: exported.table, lang: exported.lang } : {}) },
    });
    return { area, rows: reportRows(counts, q.byTopic === 'true'), ...breakdowns(counts, app.regions, area), byAgent, from, until, regionCodes };
  }

  const csv = async (reply: FastifyReply, actor: Actor, q: Period & CsvChoice, requestId: string) => {
    const got = await report(actor, q, requestId, q);
    const input: ReportCsvInput = { period: q.period, kind: q.kind, rows: got.rows, breakdowns: got, byAgent: got.byAgent };
    const name = `report-${q.period}${q.table === 'rows' ? '' : `-${q.table.replaceAll('_', '-')}`}${q.lang === 'zh' ? '-zh' : ''}.csv`;
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .send(reportCsv(input, q.table, q.lang, app.regions));
  };

  const threshold = (q: { thresholdSeconds?: number | undefined }) => app.serviceTargets.thresholdOr(q.thresholdSeconds);
  const daily = (q: z.infer<typeof DailyQuery>): Period => ({ kind: 'day', period: q.date, region: q.region, thresholdSeconds: threshold(q), byTopic: q.byTopic });
  const monthly = (q: z.infer<typeof MonthlyQuery>): Period => ({ kind: 'month', period: q.month, region: q.region, thresholdSeconds: threshold(q), byTopic: q.byTopic });
  const tables = ({ area, rows, total, byRegion, byTopic, byRegionTopic, byAgent }: Awaited<ReturnType<typeof report>>) => ({ area, rows, total, byRegion, byTopic, byRegionTopic, byAgent });

  const doc = (summary: string, querystring: z.ZodType, body: z.ZodType = Body) => ({ config: { access: managers }, schema: { tags: ['reports'], summary, querystring, response: { 200: body, ...errors(400, 401, 403) } } });
  const typesOf = (got: { from: Date; until: Date; regionCodes: string[] }) => ticketTypeCounts(app.db, { from: got.from, until: got.until, regionCodes: got.regionCodes });
  const csvDoc = (summary: string, querystring: z.ZodType) => ({ config: { access: managers }, schema: { tags: ['reports'], summary, querystring } });

  r.get(
    '/api/reports/daily',
    doc('A day of your area: rows per region and topic (calls, answered, service level, handle time, abandonment, referrals, satisfaction), the same per region one level down, per topic, per region × topic and per agent, per half-hour, and tickets per type', DailyQuery, ReportBody),
    async (request) => {
      const q = request.query as z.infer<typeof DailyQuery>;
      const got = await report(actorOf(request), daily(q), request.id, null);
      return { ...tables(got), series: await halfHourSeries(app.db, { from: got.from, until: got.until, regionCodes: got.regionCodes, thresholdSeconds: threshold(q) }), ticketTypes: await typesOf(got) };
    },
  );
  r.get('/api/reports/daily.csv', csvDoc('One table of the daily report as CSV (UTF-8 with BOM); lang=zh: Chinese headers and names, rates as percentages', DailyCsvQuery), async (request, reply) => {
    const q = request.query as z.infer<typeof DailyCsvQuery>;
    return csv(reply, actorOf(request), { ...daily(q), lang: q.lang, table: q.table }, request.id);
  });
  r.get('/api/reports/monthly', doc("A month of your area: as the daily report, with each day of the month instead of half-hours, tickets per type, and the contract's quality figures (satisfaction, inspection, follow-up) against their targets", MonthlyQuery, MonthlyBody), async (request) => {
    const q = request.query as z.infer<typeof MonthlyQuery>;
    const got = await report(actorOf(request), monthly(q), request.id, null);
    const days = await reportCounts(app.db, { from: got.from, until: got.until, regionCodes: got.regionCodes, period: 'day', thresholdSeconds: threshold(q) });
    const serviceQuality = await serviceQualityReport(app.db, { from: got.from, until: got.until, regionCodes: got.regionCodes, targets: app.serviceTargets.current });
    return { ...tables(got), days: byPeriod(days, daysBetween(got.from, got.until)), ticketTypes: await typesOf(got), serviceQuality };
  });
  r.get('/api/reports/monthly.csv', csvDoc('One table of the monthly report as CSV (UTF-8 with BOM); lang=zh: Chinese headers and names, rates as percentages', MonthlyCsvQuery), async (request, reply) => {
    const q = request.query as z.infer<typeof MonthlyCsvQuery>;
    return csv(reply, actorOf(request), { ...monthly(q), lang: q.lang, table: q.table }, request.id);
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

/** The CST days in [from, until), as YYYY-MM-DD. */
function daysBetween(from: Date, until: Date): string[] {
  const out: string[] = [];
  for (let t = from.getTime(); t < until.getTime(); t += DAY_MS) out.push(chinaDay(t));
  return out;
}
