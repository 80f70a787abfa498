import { TICKET_TYPES } from './ticket-types';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { maskCallerNumber } from '../agents/gateway/call-context';
import type { Actor } from '../auth/actor';
import { assertInScope, scopeRoot } from '../auth/scope';
import { auditRepository } from '../audit/audit-repository';
import type { Db } from '../db/database';
import type { Role, TicketRow, TicketType } from '../db/schema';
import { Errors } from '../errors/errors';
import type { RegionDirectory } from '../regions/region-directory';
import { maskPhoneNumber } from '../telephony/phone-number';
import { type AuditFilter, auditLogQueries } from '../audit/audit-repository';
import { type ExportCursor, type TicketFilter, type TicketOutcome, type TicketWithNames, ticketQueries } from './tickets-queries';
import { ticketDay, ticketsRepository } from './tickets-repository';
import { CST_OFFSET_MS, chinaDayEnd, chinaDayStart } from '../time/china-time';
import { ticketKnowledge } from '../knowledge/ticket-knowledge';
import { chinaDateTime, type CsvLanguage, languageZh, outcomeZh, topicZh, yesNoZh } from '../export/csv-labels';

/**
 * The rules of the tickets API: who sees which tickets (agents their own, supervisors their
 * region subtree, admins the province; organisation accounts none), how much of the caller's
 * number each role sees, and an audit row for every read of a ticket, change, review and export.
 */

/** The filters shared by the list, the review sample and the export, as the API received them. */
export interface TicketQuery {
  region?: string;
  /** Any of these types. */
  type?: TicketType[];
  topic?: string;
  outcome?: TicketOutcome;
  riskFlag?: boolean;
  /** China Standard Time days, 'YYYY-MM-DD', both inclusive. */
  from?: string;
  to?: string;
  callerNumber?: string;
  q?: string;
}

export interface TicketPatch {
  type?: TicketType;
  topic?: string;
  summary?: string;
  advice?: string;
  outcome?: TicketOutcome | null;
  riskFlag?: boolean;
}

export interface QualityReview {
  score: number;
  comment?: string;
}

export interface TicketView {
  id: string;
  number: string;
  callId: string | null;
  callerNumber: string;
  regionCode: string | null;
  regionName: string | null;
  language: string | null;
  type: TicketType;
  topic: string | null;
  summary: string;
  advice: string;
  outcome: TicketOutcome | null;
  riskFlag: boolean;
  agent: { id: string; username: string; displayName: string } | null;
  surveyScore: number | null;
  qualityScore: number | null;
  qualityComment: string | null;
  reviewer: { id: string; username: string } | null;
  reviewedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Columns of the CSV export, in order; the header row uses these codes. */
export const EXPORT_COLUMNS = [
  'number',
  'created_at',
  'region_code',
  'region_name',
  'language',
  'type',
  'topic',
  'outcome',
  'risk_flag',
  'summary',
  'advice',
  'survey_score',
  'quality_score',
  'agent_username',
  'caller_number',
] as const;

/** The header row of the Chinese export (lang=zh); a column missing here keeps its code. */
export const EXPORT_HEADERS_ZH: Partial<Record<string, string>> = {
  number: '工单编号',
  created_at: '创建时间',
  region_code: '地区代码',
  region_name: '地区',
  language: '语言',
  type: '工单类型',
  topic: '咨询类别',
  outcome: '处理结果',
  risk_flag: '风险标记',
  summary: '来电摘要',
  advice: '解答意见',
  survey_score: '满意度评分',
  quality_score: '质检评分',
  agent_username: '坐席账号',
  caller_number: '来电号码',
};

/** One export is at most this many rows; a wider one is cut and says so. */
export const EXPORT_MAX_ROWS = 100_000;
/** Rows read per query while an export streams: bounded memory however large the file. */
export const EXPORT_BATCH_ROWS = 2_000;
export const HISTORY_MAX_ITEMS = 50;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TICKET_NUMBER = /^[A-Z]{1,8}-\d{8}-\d{6}$/;


/** '2026-11-21T14:03:05+08:00': the hotline's own clock, with the offset so nobody has to guess. */
export function chinaTimestamp(at: Date): string {
  return `${new Date(at.getTime() + CST_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

type Staff = Actor & { role: 'agent' | 'supervisor' | 'admin' };

/** Tickets are hotline records; organisation accounts see referrals only, never tickets. */
function requireStaff(actor: Actor): asserts actor is Staff {
  if (actor.role !== 'agent' && actor.role !== 'supervisor' && actor.role !== 'admin') throw new Errors.FORBIDDEN_ROLE(actor.role);
}

function requireManager(actor: Actor): void {
  if (actor.role !== 'supervisor' && actor.role !== 'admin') throw new Errors.FORBIDDEN_ROLE(actor.role);
}

/**
 * A CSV file leaves the system and is passed around, so only admins export whole numbers;
 * on screen supervisors see them whole (they follow up complaints and risk cases).
 */
function exportRole(actor: Actor): Role {
  return actor.role === 'admin' ? 'admin' : 'agent';
}

interface Deps {
  db: Db;
  regions: RegionDirectory;
  /** Tests shrink these to reach the cap and the batch boundaries with a handful of tickets. */
  exportMaxRows?: number;
  exportBatchRows?: number;
}

export function ticketsService({ db, regions, exportMaxRows = EXPORT_MAX_ROWS, exportBatchRows = EXPORT_BATCH_ROWS }: Deps) {
  const queries = ticketQueries(db);
  const audit = auditRepository(db);
  const provinceCode = regions.province.code;

  function requireKnownRegion(field: string, code: string): string {
    const region = regions.get(code);
    if (!region) throw new Errors.UNKNOWN_REGION(field, code);
    return region.code;
  }

  /** The province covers every ticket, including those whose caller's region was never known. */
  function subtreeCodes(root: string): string[] | undefined {
    return root === provinceCode ? undefined : regions.subtree(root);
  }

  function ticketInScope(actor: Actor, regionCode: string | null): boolean {
    const root = scopeRoot(actor, regions);
    if (root === provinceCode) return true;
    return regionCode !== null && regions.isWithin(regionCode, root);
  }

  /** Who may see which tickets, then what the query asks for. */
  function filterFor(actor: Staff, query: TicketQuery): TicketFilter {
    const asked = query.region !== undefined ? requireKnownRegion('querystring.region', query.region) : undefined;
    let scope: Pick<TicketFilter, 'agentId' | 'regionCodes'>;
    if (actor.role === 'agent') {
      // An agent's scope is their own tickets, wherever the caller was; a region only narrows it.
      if (query.callerNumber !== undefined) throw new Errors.FORBIDDEN_ROLE(actor.role);
      scope = { agentId: actor.id, regionCodes: asked !== undefined ? subtreeCodes(asked) : undefined };
    } else {
      const root = asked ?? scopeRoot(actor, regions);
      assertInScope(actor, root, regions);
      scope = { regionCodes: subtreeCodes(root) };
    }
    return {
      ...scope,
      types: query.type,
      topic: query.topic,
      outcome: query.outcome,
      riskFlag: query.riskFlag,
      createdFrom: query.from !== undefined ? chinaDayStart(query.from) : undefined,
      createdBefore: query.to !== undefined ? chinaDayEnd(query.to) : undefined,
      callerNumber: query.callerNumber,
      search: query.q,
    };
  }

  function toView(row: TicketWithNames, numberRole: Role): TicketView {
    return {
      id: row.id,
      number: row.number,
      callId: row.call_id,
      callerNumber: maskCallerNumber(row.caller_number, numberRole),
      regionCode: row.region_code,
      regionName: row.region_code ? (regions.get(row.region_code)?.nameZh ?? null) : null,
      language: row.language,
      type: row.type,
      topic: row.topic,
      summary: row.summary,
      advice: row.advice,
      outcome: row.outcome,
      riskFlag: row.risk_flag,
      agent: row.agent_id ? { id: row.agent_id, username: row.agent_username ?? '', displayName: row.agent_display_name ?? '' } : null,
      surveyScore: row.survey_score,
      qualityScore: row.quality_score,
      qualityComment: row.quality_comment,
      reviewer: row.reviewed_by ? { id: row.reviewed_by, username: row.reviewer_username ?? '' } : null,
      reviewedAt: row.reviewed_at,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** By id, or by the number people read out to each other (QH-20261121-000123). */
  async function findTicket(idOrNumber: string): Promise<TicketWithNames> {
    const row = UUID.test(idOrNumber)
      ? await queries.byId(idOrNumber)
      : TICKET_NUMBER.test(idOrNumber)
        ? await queries.byNumber(idOrNumber)
        : undefined;
    if (!row) throw new Errors.TICKET_NOT_FOUND(idOrNumber);
    return row;
  }

  /** Agents: their own tickets; supervisors: their subtree; admins: all. */
  function assertMayAccess(actor: Staff, ticket: Pick<TicketRow, 'number' | 'agent_id' | 'region_code'>): void {
    if (actor.role === 'agent') {
      if (ticket.agent_id !== actor.id) throw new Errors.NOT_YOUR_TICKET(ticket.number);
    } else if (!ticketInScope(actor, ticket.region_code)) {
      throw new Errors.OUT_OF_SCOPE(ticket.region_code ?? 'unknown', scopeRoot(actor, regions));
    }
  }

  async function loadAccessible(actor: Actor, idOrNumber: string): Promise<{ actor: Staff; ticket: TicketWithNames }> {
    requireStaff(actor);
    const ticket = await findTicket(idOrNumber);
    assertMayAccess(actor, ticket);
    return { actor, ticket };
  }

  async function callRecord(callId: string | null) {
    if (!callId) return { call: null, timeline: [] };
    const [call, timeline] = await Promise.all([queries.call(callId), queries.timeline(callId)]);
    return {
      call: call
        ? {
            id: call.id,
            driver: call.driver,
            direction: call.direction,
            status: call.status,
            endReason: call.end_reason,
            arrivedAt: call.arrived_at,
            queuedAt: call.queued_at,
            answeredAt: call.answered_at,
            endedAt: call.ended_at,
            waitMs: call.wait_ms,
            talkMs: call.talk_ms,
            recordingUrl: call.recording_url,
            priorityGroup: call.priority_group,
            regionSource: call.region_source,
          }
        : null,
      timeline: timeline.map((e) => ({ at: e.at, type: e.type, data: e.data })),
    };
  }

  async function referralsWithEvents(ticketId: string) {
    const referrals = await queries.referrals(ticketId);
    const events = await queries.referralEvents(referrals.map((r) => r.id));
    return referrals.map((r) => ({
      id: r.id,
      kind: r.kind,
      status: r.status,
      organisation: r.organisation_id ? { id: r.organisation_id, name: r.organisation_name ?? '' } : null,
      department: r.department,
      eligibility: r.eligibility,
      acceptDueAt: r.accept_due_at,
      closeDueAt: r.close_due_at,
      outcome: r.outcome,
      declineReason: r.decline_reason,
      closedAt: r.closed_at,
      createdAt: r.created_at,
      events: events.filter((e) => e.referral_id === r.id).map((e) => ({ at: e.at, actor: e.actor, type: e.type, note: e.note, data: e.data })),
    }));
  }

  /** What an export's audit row says about its filters; a searched caller number only masked. */
  function describeFilters(query: TicketQuery): Record<string, unknown> {
    const { callerNumber, ...rest } = query;
    return { ...rest, ...(callerNumber !== undefined ? { callerNumber: maskPhoneNumber(callerNumber) } : {}) };
  }

  function csvRecord(row: TicketWithNames, role: Role): Record<(typeof EXPORT_COLUMNS)[number], string | number | null> {
    return {
      number: row.number,
      created_at: chinaTimestamp(row.created_at),
      region_code: row.region_code,
      region_name: row.region_code ? (regions.get(row.region_code)?.nameZh ?? '') : '',
      language: row.language,
      type: row.type,
      topic: row.topic,
      outcome: row.outcome,
      risk_flag: row.risk_flag ? 'true' : 'false',
      summary: row.summary,
      advice: row.advice,
      survey_score: row.survey_score,
      quality_score: row.quality_score,
      agent_username: row.agent_username,
      caller_number: maskCallerNumber(row.caller_number, role),
    };
  }

  /** The Chinese file's record: codes as their Chinese names, the time as a spreadsheet reads it. */
  function inChinese<R extends Record<string, unknown>>(record: R, row: TicketWithNames): R {
    return { ...record, created_at: chinaDateTime(row.created_at), language: languageZh(row.language), topic: topicZh(row.topic), outcome: outcomeZh(row.outcome), risk_flag: yesNoZh(row.risk_flag), type: TICKET_TYPES[row.type]?.zh ?? row.type };
  }

  /**
   * The export as CSV text in batches. csv-stringify does all quoting; `escape_formulas` keeps
   * a summary starting with = + - @ from running as a formula in Excel; the BOM makes Excel read
   * UTF-8 (Chinese) instead of the system code page.
   */
  async function* csvChunks(filter: TicketFilter, maxRows: number, role: Role, lang: CsvLanguage): AsyncGenerator<string> {
    const columns = EXPORT_COLUMNS.map((key) => ({ key, header: lang === 'zh' ? (EXPORT_HEADERS_ZH[key] ?? key) : key }));
    const options = { columns, record_delimiter: 'windows' as const, escape_formulas: true };
    yield stringify([], { ...options, header: true, bom: true });
    let cursor: ExportCursor | null = null;
    for (let sent = 0; sent < maxRows; ) {
      const batch = await queries.exportBatch(filter, cursor, Math.min(exportBatchRows, maxRows - sent));
      if (batch.length === 0) return;
      yield stringify(batch.map((row) => (lang === 'zh' ? inChinese(csvRecord(row, role), row) : csvRecord(row, role))), options);
      sent += batch.length;
      const last = batch[batch.length - 1]!;
      cursor = { createdAt: last.cursor_at, id: last.id };
    }
  }

  return {
    /**
     * The ticket, if this actor may work on it (agents: their own; supervisors: their area):
     * for other modules that act on a ticket, such as the knowledge base linking an article.
     */
    async accessible(actor: Actor, idOrNumber: string): Promise<{ id: string; number: string }> {
      const { ticket } = await loadAccessible(actor, idOrNumber);
      return { id: ticket.id, number: ticket.number };
    },

    async list(actor: Actor, query: TicketQuery, page: { limit: number; offset: number }) {
      requireStaff(actor);
      const { rows, total } = await queries.page(filterFor(actor, query), page.limit, page.offset);
      return { items: rows.map((r) => toView(r, actor.role)), total };
    },

    async get(actor: Actor, idOrNumber: string, requestId: string) {
      const { actor: staff, ticket } = await loadAccessible(actor, idOrNumber);
      const [record, referrals, survey, knowledge] = await Promise.all([callRecord(ticket.call_id), referralsWithEvents(ticket.id), queries.survey(ticket.id, ticket.call_id), ticketKnowledge(db, ticket.id)]);
      await audit.record({ actor: staff, action: 'ticket.read', entityType: 'ticket', entityId: ticket.id, requestId, details: { number: ticket.number } });
      return {
        ticket: toView(ticket, staff.role),
        ...record,
        referrals,
        survey: survey ? { score: survey.score, at: survey.created_at } : null,
        knowledge,
      };
    },

    /**
     * Every ticket of the same caller, newest first. Supervisors see those in their subtree;
     * an agent who owns the ticket sees them all, as the desktop shows them on the call.
     */
    async history(actor: Actor, idOrNumber: string, requestId: string) {
      const { actor: staff, ticket } = await loadAccessible(actor, idOrNumber);
      const scope = staff.role === 'agent' ? {} : { regionCodes: subtreeCodes(scopeRoot(staff, regions)) };
      const { rows, total } = await queries.page({ ...scope, callerNumber: ticket.caller_number }, HISTORY_MAX_ITEMS, 0);
      await audit.record({ actor: staff, action: 'ticket.history', entityType: 'ticket', entityId: ticket.id, requestId, details: { number: ticket.number, shown: rows.length } });
      return { callerNumber: maskCallerNumber(ticket.caller_number, staff.role), items: rows.map((r) => toView(r, staff.role)), total };
    },

    /** The notes on a ticket; the audit row keeps each changed field's old and new value. */
    async update(actor: Actor, idOrNumber: string, patch: TicketPatch, requestId: string) {
      const { actor: staff, ticket } = await loadAccessible(actor, idOrNumber);
      await db.transaction().execute(async (trx) => {
        const current = await queries.lockForUpdate(trx, ticket.id);
        if (!current) throw new Errors.TICKET_NOT_FOUND(idOrNumber);
        // Checked again on the locked row: the ticket may have followed a transfer meanwhile.
        assertMayAccess(staff, current);
        const changes = changedFields(current, patch);
        if (Object.keys(changes).length === 0) return;
        await ticketsRepository.saveNotes(trx, ticket.id, patch);
        await audit.record({ actor: staff, action: 'ticket.update', entityType: 'ticket', entityId: ticket.id, requestId, details: { number: ticket.number, changes } }, trx);
      });
      return toView((await queries.byId(ticket.id))!, staff.role);
    },

    async review(actor: Actor, idOrNumber: string, review: QualityReview, requestId: string) {
      requireManager(actor);
      const { actor: staff, ticket } = await loadAccessible(actor, idOrNumber);
      await db.transaction().execute(async (trx) => {
        const saved = await queries.saveReview(ticket.id, { score: review.score, comment: review.comment ?? null, reviewerId: staff.id }, trx);
        if (!saved) throw new Errors.TICKET_NOT_FOUND(idOrNumber);
        await audit.record(
          {
            actor: staff,
            action: 'ticket.quality',
            entityType: 'ticket',
            entityId: ticket.id,
            requestId,
            details: { number: ticket.number, score: review.score, previousScore: ticket.quality_score, previousReviewer: ticket.reviewed_by },
          },
          trx,
        );
      });
      return toView((await queries.byId(ticket.id))!, staff.role);
    },

    async sample(actor: Actor, query: Pick<TicketQuery, 'region' | 'from' | 'to'>, n: number, unreviewedOnly: boolean) {
      requireStaff(actor);
      requireManager(actor);
      const rows = await queries.sampleForReview(filterFor(actor, query), n, unreviewedOnly);
      return { items: rows.map((r) => toView(r, actor.role)) };
    },

    /**
     * The tickets matching the list's filters as a CSV stream. The audit row is written before
     * the first byte leaves, with the number of rows the file will hold; the export reads only
     * tickets created before it started, so rows arriving meanwhile do not shift that number.
     */
    async exportCsv(actor: Actor, query: TicketQuery, requestId: string, lang: CsvLanguage = 'en') {
      requireStaff(actor);
      requireManager(actor);
      const startedAt = new Date();
      const scoped = filterFor(actor, query);
      const filter: TicketFilter = { ...scoped, createdBefore: earliest(scoped.createdBefore, startedAt) };
      const matching = await queries.count(filter);
      const rows = Math.min(matching, exportMaxRows);
      const truncated = matching > exportMaxRows;
      await audit.record({
        actor,
        action: 'tickets.export',
        entityType: 'tickets',
        entityId: query.region !== undefined ? requireKnownRegion('querystring.region', query.region) : scopeRoot(actor, regions),
        requestId,
        details: { filters: describeFilters(query), rows, truncated, asOf: startedAt.toISOString() },
      });
      return {
        filename: `tickets-${ticketDay(startedAt).replaceAll('-', '')}.csv`,
        rows,
        truncated,
        body: Readable.from(csvChunks(filter, rows, exportRole(actor), lang)),
      };
    },
  };
}

function earliest(a: Date | undefined, b: Date): Date {
  return a !== undefined && a < b ? a : b;
}

/** Fields of the patch whose value differs from the row, as { field: { from, to } }. */
function changedFields(current: TicketRow, patch: TicketPatch): Record<string, { from: unknown; to: unknown }> {
  const before: Record<keyof TicketPatch, unknown> = {
    type: current.type,
    topic: current.topic,
    summary: current.summary,
    advice: current.advice,
    outcome: current.outcome,
    riskFlag: current.risk_flag,
  };
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of Object.keys(patch) as (keyof TicketPatch)[]) {
    const to = patch[field];
    if (to !== undefined && to !== before[field]) changes[field] = { from: before[field], to };
  }
  return changes;
}

export type TicketsService = ReturnType<typeof ticketsService>;

/** The audit log, for admins only. */
export function auditLogReader({ db }: { db: Db }) {
  const queries = auditLogQueries(db);
  return {
    async list(actor: Actor, query: Omit<AuditFilter, 'from' | 'before'> & { from?: string; to?: string }) {
      if (actor.role !== 'admin') throw new Errors.FORBIDDEN_ROLE(actor.role);
      const { from, to, ...rest } = query;
      const { rows, total } = await queries.list({
        ...rest,
        from: from !== undefined ? chinaDayStart(from) : undefined,
        before: to !== undefined ? chinaDayEnd(to) : undefined,
      });
      return {
        items: rows.map((r) => ({
          id: r.id,
          at: r.at,
          actor: r.actor_id || r.actor_username ? { id: r.actor_id, username: r.actor_username, role: r.actor_role } : null,
          action: r.action,
          entityType: r.entity_type,
          entityId: r.entity_id,
          requestId: r.request_id,
          details: r.details,
        })),
        total,
      };
    },
  };
}
