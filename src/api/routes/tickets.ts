import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../auth/plugin';
import { TOPIC_CODES } from '../../queue/skills';
import type { TicketType as TicketTypeCode } from '../../db/schema';
import { TICKET_TYPE_CODES, TICKET_TYPES } from '../../tickets/ticket-types';
import { HISTORY_MAX_ITEMS, ticketsService } from '../../tickets/tickets-service';
import { RegionCode, errors } from '../schemas';
import { CsvLanguage } from '../../export/csv-labels';

/** A China Standard Time day; zod refuses impossible dates such as 2026-02-30. */
export const Day = z.iso.date('must be a date written YYYY-MM-DD');

/** A period whose end comes before its start is a typo, not an empty result. */
export const periodInOrder = (q: { from?: string; to?: string }) => q.from === undefined || q.to === undefined || q.from <= q.to;
export const PERIOD_OUT_OF_ORDER = { path: ['to'], message: 'must be the same day as from or later' };

/** Query strings carry text; z.coerce.boolean() would read "false" as true. */
const BooleanText = z.enum(['true', 'false'], 'must be true or false').transform((v) => v === 'true');

const Outcome = z.enum(['answered', 'refer_legal_aid', 'refer_mediation', 'divert', 'callback']);
const CallerNumber = z.string().trim().regex(/^\+?\d{3,20}$/, 'must be 3–20 digits, optionally after +');
const TextSearch = z.string().trim().min(1).max(100);

const TicketType = z.enum(TICKET_TYPE_CODES).describe(`ticket type (工单类型): ${TICKET_TYPE_CODES.map((c) => `${c} ${TICKET_TYPES[c].zh}`).join(', ')}`);

const TYPE_NAMES = TICKET_TYPE_CODES.map((c) => ({ en: c, zh: `${c}（${TICKET_TYPES[c].zh}）` }));

/**
 * One type or several: `type=help,complaint`, or the parameter repeated. Checked as one field, so
 * a wrong code is named as `querystring.type` however the list was written.
 */
const TypeList = z
  .union([z.string(), z.array(z.string())])
  .transform((v, ctx) => {
    const codes = (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
    const unknown = codes.filter((c) => !(TICKET_TYPE_CODES as string[]).includes(c));
    if (codes.length > 0 && unknown.length === 0) return codes as TicketTypeCode[];
    ctx.addIssue({
      code: 'custom',
      message: `must be one or more of ${TYPE_NAMES.map((n) => n.en).join(', ')}, comma-separated${unknown.length > 0 ? ` (not ${unknown.join(', ')})` : ''}`,
      params: { messageZh: `应为 ${TYPE_NAMES.map((n) => n.zh).join('、')} 中的一个或几个，以逗号分隔${unknown.length > 0 ? `（${unknown.join('、')} 不是工单类型）` : ''}` },
    });
    return z.NEVER;
  })
  .describe(`ticket types, comma-separated or the parameter repeated: ${TICKET_TYPE_CODES.join(', ')}`);

const FilterFields = {
  region: RegionCode.optional(),
  type: TypeList.optional(),
  topic: z.enum(TOPIC_CODES).optional(),
  outcome: Outcome.optional(),
  riskFlag: BooleanText.optional(),
  from: Day.optional(),
  to: Day.optional(),
  callerNumber: CallerNumber.optional(),
  q: TextSearch.optional(),
};

const ListQuery = z
  .strictObject({
    ...FilterFields,
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .refine(periodInOrder, PERIOD_OUT_OF_ORDER);

/** lang=zh: Chinese headers and names for people opening the file; en (the default): the codes. */
const ExportQuery = z.strictObject({ ...FilterFields, lang: CsvLanguage.default('en') }).refine(periodInOrder, PERIOD_OUT_OF_ORDER);

const SampleQuery = z
  .strictObject({
    region: RegionCode.optional(),
    from: Day.optional(),
    to: Day.optional(),
    n: z.coerce.number().int().min(1).max(100).default(10),
    unreviewedOnly: BooleanText.default(true),
  })
  .refine(periodInOrder, PERIOD_OUT_OF_ORDER);

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });

const PatchBody = z
  .strictObject({
    type: TicketType,
    topic: z.enum(TOPIC_CODES),
    summary: z.string().max(4000),
    advice: z.string().max(4000),
    outcome: Outcome.nullable(),
    riskFlag: z.boolean(),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change');

const QualityBody = z.strictObject({
  score: z.number().int().min(1).max(5),
  comment: z.string().trim().max(2000).optional(),
});

/** The export streams; Fastify sends a stream as it is, without the JSON serializer. */
const CsvFile = z.custom<Readable>((v) => v instanceof Readable).describe('text/csv; charset=utf-8, UTF-8 BOM, CRLF line ends');

const JsonObject = z.record(z.string(), z.unknown());

const TicketSchema = z.object({
  id: z.uuid(),
  number: z.string(),
  callId: z.string().nullable(),
  callerNumber: z.string().describe('Masked (135****2345) for agents; whole for supervisors and admins'),
  regionCode: z.string().nullable(),
  regionName: z.string().nullable(),
  language: z.string().nullable(),
  type: TicketType,
  topic: z.string().nullable(),
  summary: z.string(),
  advice: z.string(),
  outcome: Outcome.nullable(),
  riskFlag: z.boolean(),
  agent: z.object({ id: z.string(), username: z.string(), displayName: z.string() }).nullable(),
  surveyScore: z.number().int().nullable(),
  qualityScore: z.number().int().nullable(),
  qualityComment: z.string().nullable(),
  reviewer: z.object({ id: z.string(), username: z.string() }).nullable(),
  reviewedAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const TicketPage = z.object({ items: z.array(TicketSchema), total: z.number().int() });

const TicketDetail = z.object({
  ticket: TicketSchema,
  call: z
    .object({
      id: z.string(),
      driver: z.string(),
      direction: z.string(),
      status: z.string(),
      endReason: z.string().nullable(),
      arrivedAt: z.date(),
      queuedAt: z.date().nullable(),
      answeredAt: z.date().nullable(),
      endedAt: z.date().nullable(),
      waitMs: z.number().int().nullable(),
      talkMs: z.number().int().nullable(),
      recordingUrl: z.string().nullable(),
      priorityGroup: z.string().nullable(),
      regionSource: z.string().nullable(),
    })
    .nullable(),
  timeline: z.array(z.object({ at: z.date(), type: z.string(), data: JsonObject })),
  referrals: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      status: z.string(),
      organisation: z.object({ id: z.string(), name: z.string() }).nullable(),
      department: z.string().nullable(),
      eligibility: JsonObject.nullable(),
      acceptDueAt: z.date().nullable(),
      closeDueAt: z.date().nullable(),
      outcome: z.string().nullable(),
      declineReason: z.string().nullable(),
      closedAt: z.date().nullable(),
      createdAt: z.date(),
      events: z.array(z.object({ at: z.date(), actor: z.string(), type: z.string(), note: z.string().nullable(), data: JsonObject })),
    }),
  ),
  survey: z.object({ score: z.number().int(), at: z.date() }).nullable(),
  knowledge: z
    .array(
      z.object({
        articleId: z.string(),
        version: z.number().int(),
        title: z.string(),
        basisText: z.string(),
        retired: z.boolean(),
        linkedBy: z.object({ id: z.string(), username: z.string() }).nullable(),
        linkedAt: z.date(),
      }),
    )
    .describe('knowledge base articles used on the ticket, at the version read'),
});

/** Tickets API (GET /api/tickets, GET|PATCH /api/tickets/:id, history, quality, export.csv). */
export async function ticketRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tickets = ticketsService({ db: app.db, regions: app.regions });
  // Organisation accounts (legal aid centres, mediation committees) never see tickets.
  const staff = ['agent', 'supervisor', 'admin'] as const;
  const managers = ['supervisor', 'admin'] as const;

  r.get(
    '/api/tickets',
    {
      config: { access: staff },
      schema: {
        tags: ['tickets'],
        summary: 'Tickets, newest first: an agent\'s own, a supervisor\'s region subtree, all for admins',
        querystring: ListQuery,
        response: { 200: TicketPage, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit, offset, ...filters } = request.query;
      return tickets.list(actorOf(request), filters, { limit, offset });
    },
  );

  r.get(
    '/api/tickets/export.csv',
    {
      config: {
        access: managers,
        // Each export can read 100,000 rows; a few a minute is plenty for a person.
        rateLimit: { max: 20, timeWindow: '1 minute' },
      },
      schema: {
        tags: ['tickets'],
        summary: 'The list\'s tickets as CSV (UTF-8 with BOM, up to 100,000 rows); caller numbers masked unless admin; lang=zh: Chinese headers and names, China time',
        querystring: ExportQuery,
        response: { 200: CsvFile, ...errors(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const { lang, ...filters } = request.query;
      const csv = await tickets.exportCsv(actorOf(request), filters, request.id, lang);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${csv.filename}"`)
        .header('x-export-rows', String(csv.rows))
        .header('x-export-truncated', String(csv.truncated))
        .send(csv.body);
    },
  );

  r.get(
    '/api/tickets/quality/sample',
    {
      config: { access: managers },
      schema: {
        tags: ['tickets'],
        summary: 'A random sample of finished tickets in your area for quality review',
        querystring: SampleQuery,
        response: { 200: z.object({ items: z.array(TicketSchema) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const { n, unreviewedOnly, ...filters } = request.query;
      return tickets.sample(actorOf(request), filters, n, unreviewedOnly);
    },
  );

  r.get(
    '/api/tickets/:id',
    {
      config: { access: staff },
      schema: {
        tags: ['tickets'],
        summary: 'One ticket (by id or number) with its call, timeline, referrals and survey; the read is audited',
        params: IdParams,
        response: { 200: TicketDetail, ...errors(401, 403, 404) },
      },
    },
    async (request) => tickets.get(actorOf(request), request.params.id, request.id),
  );

  r.get(
    '/api/tickets/:id/history',
    {
      config: { access: staff },
      schema: {
        tags: ['tickets'],
        summary: `Every ticket of the same caller, newest first (at most ${HISTORY_MAX_ITEMS}); the read is audited`,
        params: IdParams,
        response: { 200: TicketPage.extend({ callerNumber: z.string() }), ...errors(401, 403, 404) },
      },
    },
    async (request) => tickets.history(actorOf(request), request.params.id, request.id),
  );

  r.patch(
    '/api/tickets/:id',
    {
      config: { access: staff },
      schema: {
        tags: ['tickets'],
        summary: 'Change a ticket\'s type, topic, summary, advice, outcome or risk flag (agents: their own tickets)',
        params: IdParams,
        body: PatchBody,
        response: { 200: TicketSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const ticket = await tickets.update(actorOf(request), request.params.id, request.body, request.id);
      // The wallboard dedupes: a flag saved again is not alerted twice.
      if (request.body.riskFlag === true) app.riskFlags.flagged({ id: ticket.id, number: ticket.number, callId: ticket.callId, regionCode: ticket.regionCode, topic: ticket.topic, at: ticket.updatedAt });
      return ticket;
    },
  );

  r.post(
    '/api/tickets/:id/quality',
    {
      config: { access: managers },
      schema: {
        tags: ['tickets'],
        summary: 'Record a quality review: score 1–5 and a comment',
        params: IdParams,
        body: QualityBody,
        response: { 200: TicketSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => tickets.review(actorOf(request), request.params.id, request.body, request.id),
  );
}
