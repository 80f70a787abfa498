import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { TicketRow, TicketType } from '../db/schema';
import { followUpsRepository } from '../quality/follow-ups-repository';
import { chinaDay } from '../time/china-time';

/** Tickets: one per answered call (and per callback), numbered QH-20261121-000123. */

/** The ticket's day in China Standard Time, where the hotline's day begins. */
export function ticketDay(at: Date): string {
  return chinaDay(at);
}

export function formatTicketNumber(prefix: string, day: string, n: number): string {
  return `${prefix}-${day.replaceAll('-', '')}-${String(n).padStart(6, '0')}`;
}

export const ticketsRepository = {
  /** Next number of the day; one statement, so concurrent nodes never hand out the same one. */
  async nextNumber(db: Db, provinceCode: string, prefix: string, at = new Date()): Promise<string> {
    const day = ticketDay(at);
    const row = await db
      .insertInto('ticket_counters')
      .values({ province_code: provinceCode, day, last: 1 })
      .onConflict((oc) => oc.columns(['province_code', 'day']).doUpdateSet({ last: sql`ticket_counters.last + 1` }))
      .returning('last')
      .executeTakeFirstOrThrow();
    return formatTicketNumber(prefix, day, row.last);
  },

  /** The ticket of a call, made when an agent answers it; answering twice keeps the first. */
  async createForCall(db: Db, input: { callId: string; provinceCode: string; prefix: string; agentId: string | null }): Promise<{ id: string; number: string }> {
    const existing = await db.selectFrom('tickets').select(['id', 'number']).where('call_id', '=', input.callId).executeTakeFirst();
    if (existing) return existing;
    const call = await db.selectFrom('calls').select(['caller_number', 'region_code', 'language', 'topic']).where('id', '=', input.callId).executeTakeFirstOrThrow();
    const number = await ticketsRepository.nextNumber(db, input.provinceCode, input.prefix);
    const row = await db
      .insertInto('tickets')
      .values({ number, call_id: input.callId, caller_number: call.caller_number, region_code: call.region_code, language: call.language, topic: call.topic, agent_id: input.agentId })
      .onConflict((oc) => oc.column('call_id').doNothing())
      .returning(['id', 'number'])
      .executeTakeFirst();
    return row ?? (await db.selectFrom('tickets').select(['id', 'number']).where('call_id', '=', input.callId).executeTakeFirstOrThrow());
  },

  byId(db: Db, id: string) {
    return db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirst();
  },

  byCall(db: Db, callId: string) {
    return db.selectFrom('tickets').selectAll().where('call_id', '=', callId).executeTakeFirst();
  },

  /** The agent's most recent ticket, for a desktop that reconnects during wrap-up. */
  latestOfAgent(db: Db, agentId: string, since: Date) {
    return db.selectFrom('tickets').selectAll().where('agent_id', '=', agentId).where('updated_at', '>=', since).orderBy('updated_at', 'desc').limit(1).executeTakeFirst();
  },

  /** Earlier tickets of the same number, newest first: the caller's history. */
  historyOfNumber(db: Db, callerNumber: string, exceptCallId: string | null, limit: number) {
    let q = db
      .selectFrom('tickets')
      .select(['id', 'number', 'created_at', 'topic', 'outcome', 'risk_flag', 'summary'])
      .where('caller_number', '=', callerNumber);
    if (exceptCallId) q = q.where((eb) => eb.or([eb('call_id', 'is', null), eb('call_id', '!=', exceptCallId)]));
    return q.orderBy('created_at', 'desc').limit(limit).execute();
  },

  /** A call answered by another agent after a transfer: the ticket follows the call to them. */
  assignAgent(db: Db, ticketId: string, agentId: string) {
    return db.updateTable('tickets').set({ agent_id: agentId, updated_at: new Date() }).where('id', '=', ticketId).execute();
  },

  /** The agent's notes on the ticket; only the fields sent change. */
  saveNotes(db: Db, ticketId: string, fields: { type?: TicketType; topic?: string; summary?: string; advice?: string; outcome?: TicketRow['outcome']; riskFlag?: boolean }) {
    return db
      .updateTable('tickets')
      .set({
        ...(fields.type !== undefined ? { type: fields.type } : {}),
        ...(fields.topic !== undefined ? { topic: fields.topic } : {}),
        ...(fields.summary !== undefined ? { summary: fields.summary } : {}),
        ...(fields.advice !== undefined ? { advice: fields.advice } : {}),
        ...(fields.outcome !== undefined ? { outcome: fields.outcome } : {}),
        ...(fields.riskFlag !== undefined ? { risk_flag: fields.riskFlag } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', ticketId)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /**
   * The caller's rating after the call: on the ticket and as a survey response, once per call.
   * A dissatisfied caller's ticket goes on the follow-up list in the same transaction, so the
   * survey never stands without its follow-up, however it arrives (live or from the journal).
   */
  async saveSurvey(db: Db, callId: string, score: number, at = new Date()): Promise<void> {
    await db.transaction().execute(async (tx) => {
      const ticket = await tx.selectFrom('tickets').select('id').where('call_id', '=', callId).executeTakeFirst();
      await tx
        .insertInto('survey_responses')
        .values({ call_id: callId, ticket_id: ticket?.id ?? null, score })
        .onConflict((oc) => oc.column('call_id').doUpdateSet({ score }))
        .execute();
      if (!ticket) return;
      await tx.updateTable('tickets').set({ survey_score: score, updated_at: new Date() }).where('id', '=', ticket.id).execute();
      await followUpsRepository.openForDissatisfied(tx, { ticketId: ticket.id, callId, score, at });
    });
  },
};
