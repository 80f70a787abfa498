import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../db/database';
import type { Database, TicketRow, TicketType } from '../db/schema';

/**
 * Read queries behind the tickets API (list, detail, history, review sample, CSV export). Writes a ticket's agent makes from the desktop stay in tickets-repository.ts.
 */

export type TicketOutcome = NonNullable<TicketRow['outcome']>;

/** Which tickets a query returns. Every field present narrows the set; none means all tickets. */
export interface TicketFilter {
  /** The region subtree tickets must lie in; absent means anywhere (the whole province). */
  regionCodes?: string[];
  /** An agent's own tickets. */
  agentId?: string;
  /** Any of these types. */
  types?: TicketType[];
  topic?: string;
  outcome?: TicketOutcome;
  riskFlag?: boolean;
  /** Inclusive lower bound of created_at. */
  createdFrom?: Date;
  /** Exclusive upper bound of created_at. */
  createdBefore?: Date;
  callerNumber?: string;
  /** Free text searched in summary and advice. */
  search?: string;
}

/** A ticket with the names the API shows next to its ids. */
export type TicketWithNames = TicketRow & {
  agent_username: string | null;
  agent_display_name: string | null;
  reviewer_username: string | null;
};

/** `%text%` for ILIKE, with the pattern characters in the text matched literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function ticketConditions(eb: ExpressionBuilder<Database, 'tickets'>, f: TicketFilter): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [];
  if (f.regionCodes) {
    // `in ()` is not SQL; an empty scope matches nothing.
    conditions.push(f.regionCodes.length > 0 ? eb('tickets.region_code', 'in', f.regionCodes) : sql<SqlBool>`false`);
  }
  if (f.agentId !== undefined) conditions.push(eb('tickets.agent_id', '=', f.agentId));
  if (f.types !== undefined) conditions.push(f.types.length > 0 ? eb('tickets.type', 'in', f.types) : sql<SqlBool>`false`);
  if (f.topic !== undefined) conditions.push(eb('tickets.topic', '=', f.topic));
  if (f.outcome !== undefined) conditions.push(eb('tickets.outcome', '=', f.outcome));
  if (f.riskFlag !== undefined) conditions.push(eb('tickets.risk_flag', '=', f.riskFlag));
  if (f.createdFrom) conditions.push(eb('tickets.created_at', '>=', f.createdFrom));
  if (f.createdBefore) conditions.push(eb('tickets.created_at', '<', f.createdBefore));
  if (f.callerNumber !== undefined) conditions.push(eb('tickets.caller_number', '=', f.callerNumber));
  if (f.search !== undefined) {
    const like = containsPattern(f.search);
    conditions.push(eb.or([eb('tickets.summary', 'ilike', like), eb('tickets.advice', 'ilike', like)]));
  }
  return eb.and(conditions);
}

/** Tickets with their agent's and reviewer's names (scalar subqueries keep the filter on one table). */
function selectTickets(db: Db, f: TicketFilter) {
  return db
    .selectFrom('tickets')
    .selectAll('tickets')
    .select((eb) => [
      eb.selectFrom('agents').select('agents.username').whereRef('agents.id', '=', 'tickets.agent_id').as('agent_username'),
      eb.selectFrom('agents').select('agents.display_name').whereRef('agents.id', '=', 'tickets.agent_id').as('agent_display_name'),
      eb.selectFrom('agents').select('agents.username').whereRef('agents.id', '=', 'tickets.reviewed_by').as('reviewer_username'),
    ])
    .where((eb) => ticketConditions(eb, f));
}

async function countTickets(db: Db, f: TicketFilter): Promise<number> {
  const row = await db
    .selectFrom('tickets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where((eb) => ticketConditions(eb, f))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Where an export batch left off: the last row's exact time as text (a Date would lose microseconds) and id. */
export interface ExportCursor {
  createdAt: string;
  id: string;
}

export function ticketQueries(db: Db) {
  return {
    count: (f: TicketFilter) => countTickets(db, f),

    /** Newest first; the id breaks ties so pages never overlap. */
    async page(f: TicketFilter, limit: number, offset: number): Promise<{ rows: TicketWithNames[]; total: number }> {
      const [rows, total] = await Promise.all([
        selectTickets(db, f).orderBy('tickets.created_at', 'desc').orderBy('tickets.id', 'desc').limit(limit).offset(offset).execute(),
        countTickets(db, f),
      ]);
      return { rows, total };
    },

    byId(id: string): Promise<TicketWithNames | undefined> {
      return selectTickets(db, {}).where('tickets.id', '=', id).executeTakeFirst();
    },

    byNumber(number: string): Promise<TicketWithNames | undefined> {
      return selectTickets(db, {}).where('tickets.number', '=', number).executeTakeFirst();
    },

    /** The row locked for a change, so the audit's "before" is the value actually replaced. */
    lockForUpdate(trx: Db, id: string) {
      return trx.selectFrom('tickets').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    },

    /**
     * One batch of the CSV export after `cursor`, newest first. Keyset paging keeps each batch
     * an index range scan however deep the export goes.
     */
    exportBatch(f: TicketFilter, cursor: ExportCursor | null, size: number) {
      let q = selectTickets(db, f).select(sql<string>`tickets.created_at::text`.as('cursor_at'));
      if (cursor) q = q.where(sql<SqlBool>`(tickets.created_at, tickets.id) < (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)`);
      return q.orderBy('tickets.created_at', 'desc').orderBy('tickets.id', 'desc').limit(size).execute();
    },

    /** A random sample of tickets an agent finished (an outcome recorded), for quality review. */
    sampleForReview(f: TicketFilter, n: number, unreviewedOnly: boolean): Promise<TicketWithNames[]> {
      let q = selectTickets(db, f).where('tickets.agent_id', 'is not', null).where('tickets.outcome', 'is not', null);
      if (unreviewedOnly) q = q.where('tickets.reviewed_at', 'is', null);
      return q.orderBy(sql`random()`).limit(n).execute();
    },

    saveReview(id: string, review: { score: number; comment: string | null; reviewerId: string }, trx: Db = db) {
      // updated_at follows the agent's notes (a reconnecting desktop resumes the latest one);
      // the review carries its own time in reviewed_at.
      return trx
        .updateTable('tickets')
        .set({ quality_score: review.score, quality_comment: review.comment, reviewed_by: review.reviewerId, reviewed_at: sql`now()` })
        .where('id', '=', id)
        .returning('id')
        .executeTakeFirst();
    },

    call(callId: string) {
      return db
        .selectFrom('calls')
        .select(['id', 'driver', 'direction', 'status', 'end_reason', 'arrived_at', 'queued_at', 'answered_at', 'ended_at', 'wait_ms', 'talk_ms', 'recording_url', 'priority_group', 'region_source'])
        .where('id', '=', callId)
        .executeTakeFirst();
    },

    timeline(callId: string) {
      return db.selectFrom('call_events').select(['at', 'type', 'data']).where('call_id', '=', callId).orderBy('at').orderBy('id').execute();
    },

    referrals(ticketId: string) {
      return db
        .selectFrom('referrals')
        .leftJoin('organisations', 'organisations.id', 'referrals.organisation_id')
        .selectAll('referrals')
        .select(['organisations.name_zh as organisation_name'])
        .where('referrals.ticket_id', '=', ticketId)
        .orderBy('referrals.created_at')
        .orderBy('referrals.id')
        .execute();
    },

    referralEvents(referralIds: string[]) {
      if (referralIds.length === 0) return Promise.resolve([]);
      return db
        .selectFrom('referral_events')
        .select(['referral_id', 'at', 'actor', 'type', 'note', 'data'])
        .where('referral_id', 'in', referralIds)
        .orderBy('at')
        .orderBy('id')
        .execute();
    },

    /** The caller's rating: recorded against the ticket, or against its call when it came first. */
    survey(ticketId: string, callId: string | null) {
      return db
        .selectFrom('survey_responses')
        .select(['score', 'created_at'])
        .where((eb) => (callId ? eb.or([eb('ticket_id', '=', ticketId), eb('call_id', '=', callId)]) : eb('ticket_id', '=', ticketId)))
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
    },
  };
}

export type TicketQueries = ReturnType<typeof ticketQueries>;
