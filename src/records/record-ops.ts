import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/database';
import { jsonb } from '../db/json';
import { ticketsRepository } from '../tickets/tickets-repository';

/**
 * Every write a call depends on, as data: the call's row and timeline, its ticket, the caller's
 * survey score, a callback booked. Writing them as values (rather than running queries inline)
 * lets the outbox keep one that could not reach the database and apply it later, in order.
 * Each is idempotent: applied twice (once before an outage was noticed, once from the journal)
 * it changes nothing more. Timestamps are when it happened, not when it was applied.
 */

const uuid = z.uuid();
const instant = z.coerce.date();
const REGION_SOURCES = ['area_code', 'geocoder', 'outside_province', 'unknown', 'ivr'] as const;
const END_REASONS = ['answered', 'abandoned', 'callback', 'rejected', 'failed'] as const;

const CallFields = z
  .object({
    status: z.enum(['ivr', 'queued', 'offered', 'connected', 'ended']),
    end_reason: z.enum(END_REASONS),
    end_detail: z.string().max(64).nullable(),
    ended_at: instant,
    /** Null: an accepted call the phone system never bridged was not answered after all. */
    answered_at: instant.nullable(),
    wait_ms: z.number().int().min(0),
    talk_ms: z.number().int().min(0),
    agent_id: uuid,
    language: z.string().max(16),
    topic: z.string().max(32),
    priority_group: z.string().max(32).nullable(),
    priority: z.number().int(),
    region_code: z.string().regex(/^\d{6}$/),
    region_source: z.enum(REGION_SOURCES),
    callback_id: uuid,
    recording_url: z.string().max(2048),
  })
  .partial()
  .strict();
export type CallFields = z.infer<typeof CallFields>;

export const RecordOp = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('call.arrived'),
    callId: uuid,
    provinceCode: z.string().regex(/^\d{6}$/),
    driver: z.string().max(16),
    externalId: z.string().max(256),
    callerNumber: z.string().max(64),
    regionCode: z.string().regex(/^\d{6}$/),
    regionSource: z.enum(REGION_SOURCES),
    at: instant,
  }),
  z.object({
    op: z.literal('call.update'),
    callId: uuid,
    set: CallFields,
    /** First time the call was queued (kept on later re-queues). */
    queuedAt: instant.optional(),
    /**
     * When an agent took the call, kept only if no answer time is recorded yet: the bridge's time
     * (written by the node that heard it, maybe before this) is the real one.
     */
    answeredAtIfUnset: instant.optional(),
    /** The wait until the agent took the call, kept only if no wait is recorded yet (same reason). */
    waitMsIfUnset: z.number().int().min(0).optional(),
    /**
     * Leave a call that has already ended as it is (a late step of another node) — unless the
     * reaper closed it provisionally (end_detail lost).
     */
    unlessEnded: z.boolean(),
  }),
  z.object({ op: z.literal('call.event'), callId: uuid, writeId: uuid, at: instant, type: z.string().max(64), data: z.record(z.string(), z.unknown()) }),
  z.object({ op: z.literal('ticket.open'), callId: uuid, ticketId: uuid, provinceCode: z.string().regex(/^\d{6}$/), prefix: z.string().max(8), agentId: uuid.nullable(), at: instant }),
  z.object({ op: z.literal('survey'), callId: uuid, score: z.number().int().min(1).max(5), at: instant }),
  /**
   * A voice message (留言) left out of hours or because nobody spoke the caller's language: a
   * ticket nobody has answered yet, to be called back (the recording is the call's).
   */
  z.object({
    op: z.literal('ticket.message'),
    callId: uuid,
    ticketId: uuid,
    provinceCode: z.string().regex(/^\d{6}$/),
    prefix: z.string().max(8),
    seconds: z.number().int().min(0),
    reason: z.enum(['after_hours', 'no_speaker']),
    at: instant,
  }),
  z.object({
    op: z.literal('callback.book'),
    callbackId: uuid,
    provinceCode: z.string().regex(/^\d{6}$/),
    reason: z.enum(['caller_request', 'queue_timeout', 'missed_call', 'voice_message', 'forward_failed']),
    originCallId: uuid,
    language: z.string().max(16),
    topic: z.string().max(32),
    regionCode: z.string().regex(/^\d{6}$/),
    priority: z.number().int(),
    maxAttempts: z.number().int().min(1),
    dueAt: instant,
    at: instant,
  }),
  z.object({ op: z.literal('callback.call'), attemptId: uuid, callbackId: uuid, agentId: uuid, at: instant }),
  /** An agent took an attempt: it counts. */
  z.object({ op: z.literal('callback.attempt'), attemptId: uuid, agentId: uuid, at: instant }),
  /**
   * How an attempt went. The agent's own word (`explicit`) overrides the rule applied when the
   * call ended without it; the rule never overrides the agent.
   */
  z.object({ op: z.literal('callback.result'), attemptId: uuid, result: z.enum(['reached', 'no_answer', 'busy', 'wrong_number', 'failed']), explicit: z.boolean(), retryAt: instant, at: instant }),
  /** Taken back out of the queue before anyone took it (outside calling hours): due again at `nextAt`. */
  z.object({ op: z.literal('callback.withdrawn'), attemptId: uuid, nextAt: instant, at: instant }),
]);
export type RecordOp = z.infer<typeof RecordOp>;

/** The call whose writes an op must follow in order. */
export function recordKey(op: RecordOp): string {
  if (op.op === 'callback.call' || op.op === 'callback.attempt' || op.op === 'callback.result' || op.op === 'callback.withdrawn') return op.attemptId;
  return op.op === 'callback.book' ? op.originCallId : op.callId;
}

/** The row an op needs is not there (yet): written by another node's outbox, or not at all. */
export class MissingRowError extends Error {
  constructor(what: string) {
    super(`${what} is not in the database yet`);
    this.name = 'MissingRowError';
  }
}

/**
 * A call's ticket has an id derived from the call's, so the call flow, the agent desktop and a
 * replay from the journal all name the same ticket without asking the database first.
 */
export function ticketIdForCall(callId: string): string {
  const h = createHash('sha256').update(`ticket:${callId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface CallerHistory {
  /** Calls from this number in the last 24 hours that ended without being answered. */
  unansweredToday: number;
  /** Earlier tickets of this number flagged as a risk (violence, self-harm, mass incident). */
  riskFlagged: number;
}

async function callExists(db: Db, callId: string): Promise<boolean> {
  return (await db.selectFrom('calls').select('id').where('id', '=', callId).executeTakeFirst()) !== undefined;
}

/**
 * Applies one op. `call.arrived` answers with the caller's history (read in the same statement:
 * one round trip on the path every incoming call takes), or null when the call was already there.
 */
export async function applyRecord(db: Db, op: RecordOp): Promise<CallerHistory | null | void> {
  switch (op.op) {
    case 'call.arrived': {
      // The history cannot see the new row (a statement reads the snapshot it started with) and
      // counts only earlier calls. Written as SQL: building this with the query builder was a
      // measurable share of each incoming call's cost.
      const since = new Date(op.at.getTime() - 24 * 3600_000);
      const { rows } = await sql<{ id: string | null; unanswered: number; risk: number }>`
        with c as (
          insert into calls (id, province_code, driver, external_id, caller_number, region_code, region_source, status, arrived_at)
          values (${op.callId}::uuid, ${op.provinceCode}, ${op.driver}, ${op.externalId}, ${op.callerNumber}, ${op.regionCode}, ${op.regionSource}, 'ivr', ${op.at})
          on conflict do nothing
          returning id
        ), e as (
          insert into call_events (call_id, at, type, data)
          select id, ${op.at}, 'arrived', ${jsonb({ driver: op.driver, regionCode: op.regionCode, regionSource: op.regionSource })} from c
        )
        select (select id from c) as id,
          (select count(*)::int from calls where caller_number = ${op.callerNumber} and arrived_at >= ${since} and arrived_at < ${op.at}
             and end_reason in ('abandoned', 'callback', 'rejected')) as unanswered,
          (select count(*)::int from tickets where caller_number = ${op.callerNumber} and risk_flag) as risk`.execute(db);
      const row = rows[0]!;
      return row.id ? { unansweredToday: Number(row.unanswered ?? 0), riskFlagged: Number(row.risk ?? 0) } : null;
    }
    case 'call.update': {
      let q = db
        .updateTable('calls')
        .set({
          ...op.set,
          ...(op.queuedAt ? { queued_at: sql`coalesce(queued_at, ${op.queuedAt}::timestamptz)` } : {}),
          ...(op.answeredAtIfUnset ? { answered_at: sql`coalesce(answered_at, ${op.answeredAtIfUnset}::timestamptz)` } : {}),
          ...(op.waitMsIfUnset !== undefined ? { wait_ms: sql`coalesce(wait_ms, ${op.waitMsIfUnset}::integer)` } : {}),
        })
        .where('id', '=', op.callId);
      // A reaper's close of a call nobody carried (end_detail lost) gives way to what really happened.
      if (op.unlessEnded) q = q.where((eb) => eb.or([eb('status', '!=', 'ended'), eb('end_detail', '=', 'lost')]));
      const r = await q.executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0 && !(await callExists(db, op.callId))) throw new MissingRowError(`call ${op.callId}`);
      return;
    }
    case 'call.event': {
      const r = await sql`
        insert into call_events (call_id, at, type, data, write_id)
        select id, ${op.at}, ${op.type}, ${jsonb(op.data)}, ${op.writeId}::uuid from calls where id = ${op.callId}::uuid
        on conflict (write_id) do nothing`.execute(db);
      if (Number(r.numAffectedRows ?? 0) === 0 && !(await callExists(db, op.callId))) throw new MissingRowError(`call ${op.callId}`);
      return;
    }
    case 'ticket.open': {
      // A transferred call keeps its ticket; the agent who answers now carries it on.
      const existing = await db.selectFrom('tickets').select(['id', 'agent_id']).where('call_id', '=', op.callId).executeTakeFirst();
      if (existing) {
        if (op.agentId && existing.agent_id !== op.agentId) await ticketsRepository.assignAgent(db, existing.id, op.agentId);
        return;
      }
      const call = await db.selectFrom('calls').select(['caller_number', 'region_code', 'language', 'topic']).where('id', '=', op.callId).executeTakeFirst();
      if (!call) throw new MissingRowError(`call ${op.callId}`);
      await db.transaction().execute(async (tx) => {
        const number = await ticketsRepository.nextNumber(tx, op.provinceCode, op.prefix, op.at);
        await tx
          .insertInto('tickets')
          .values({ id: op.ticketId, number, call_id: op.callId, caller_number: call.caller_number, region_code: call.region_code, language: call.language, topic: call.topic, agent_id: op.agentId, created_at: op.at, updated_at: op.at })
          .onConflict((oc) => oc.column('call_id').doNothing())
          .execute();
      });
      // A survey written before its ticket (the two from different nodes' outboxes after an
      // outage) is put on the ticket now, with the follow-up a low score calls for.
      const survey = await db.selectFrom('survey_responses').select(['score', 'created_at']).where('call_id', '=', op.callId).where('ticket_id', 'is', null).executeTakeFirst();
      if (survey) {
        await db
          .updateTable('survey_responses')
          .set((eb) => ({ ticket_id: eb.selectFrom('tickets').select('id').where('call_id', '=', op.callId) }))
          .where('call_id', '=', op.callId)
          .execute();
        await ticketsRepository.saveSurvey(db, op.callId, survey.score, survey.created_at);
      }
      return;
    }
    case 'ticket.message': {
      const call = await db.selectFrom('calls').select(['caller_number', 'region_code', 'language', 'topic']).where('id', '=', op.callId).executeTakeFirst();
      if (!call) throw new MissingRowError(`call ${op.callId}`);
      const why = op.reason === 'after_hours' ? '非工作时间' : '无对应语种坐席';
      await db.transaction().execute(async (tx) => {
        if (await tx.selectFrom('tickets').select('id').where('call_id', '=', op.callId).executeTakeFirst()) return;
        const number = await ticketsRepository.nextNumber(tx, op.provinceCode, op.prefix, op.at);
        await tx
          .insertInto('tickets')
          .values({
            id: op.ticketId,
            number,
            call_id: op.callId,
            caller_number: call.caller_number,
            region_code: call.region_code,
            language: call.language,
            topic: call.topic,
            summary: `来电留言（${why}，${op.seconds}秒），录音见通话记录；待回电。`,
            outcome: 'callback',
            agent_id: null,
            created_at: op.at,
            updated_at: op.at,
          })
          .onConflict((oc) => oc.column('call_id').doNothing())
          .execute();
      });
      return;
    }
    case 'survey':
      if (!(await callExists(db, op.callId))) throw new MissingRowError(`call ${op.callId}`);
      await ticketsRepository.saveSurvey(db, op.callId, op.score, op.at);
      return;
    case 'callback.book': {
      const r = await sql`
        insert into callbacks (id, province_code, reason, origin_call_id, caller_number, region_code, language, topic, priority, status, max_attempts, due_at, next_attempt_at, created_at, updated_at)
        select ${op.callbackId}::uuid, ${op.provinceCode}, ${op.reason}, id, caller_number, ${op.regionCode}, ${op.language}, ${op.topic}, ${op.priority}, 'pending', ${op.maxAttempts}, ${op.dueAt}, ${op.dueAt}, ${op.at}, ${op.at}
        from calls c where id = ${op.originCallId}::uuid
          -- A missed-call callback: once per number and China day, however often the number called.
          and (${op.reason} <> 'missed_call' or not exists (
            select 1 from callbacks b
            where b.reason = 'missed_call' and b.caller_number = c.caller_number
              -- Midnight China time (UTC+8, no daylight saving) of the booking's day.
              and b.created_at >= (date_trunc('day', (${op.at}::timestamptz at time zone 'UTC') + interval '8 hours') - interval '8 hours') at time zone 'UTC'))
        on conflict (id) do nothing`.execute(db);
      if (Number(r.numAffectedRows ?? 0) === 0) {
        if (!(await callExists(db, op.originCallId))) throw new MissingRowError(`call ${op.originCallId}`);
        return;
      }
      await db.updateTable('calls').set({ callback_id: op.callbackId }).where('id', '=', op.originCallId).execute();
      return;
    }
    case 'callback.call': {
      // The record of an attempt an agent has taken: an outbound call to the number the
      // callback was booked for, so it gets a ticket of its own.
      const { rows } = await sql<{ id: string }>`
        insert into calls (id, province_code, driver, external_id, direction, caller_number, region_code, language, topic, status, agent_id, arrived_at, answered_at, callback_id)
        select ${op.attemptId}::uuid, province_code, 'callback', ${op.attemptId}, 'outbound', caller_number, region_code, language, topic, 'connected', ${op.agentId}::uuid, ${op.at}, ${op.at}, id
        from callbacks where id = ${op.callbackId}::uuid
        on conflict (id) do nothing
        returning id`.execute(db);
      if (rows.length === 0 && !(await callExists(db, op.attemptId))) throw new MissingRowError(`callback ${op.callbackId}`);
      return;
    }
    case 'callback.attempt':
      // Counted once however often it is applied: a replay carries the same instant.
      await sql`
        update callbacks set attempts = attempts + 1, last_attempt_at = ${op.at}, agent_id = ${op.agentId}::uuid, updated_at = ${op.at}
        where attempt_id = ${op.attemptId}::uuid and status = 'queued' and (last_attempt_at is null or last_attempt_at < ${op.at})`.execute(db);
      return;
    case 'callback.result': {
      const result = sql`${op.result}::text`;
      const closes = sql`(${result} in ('reached', 'wrong_number') or attempts >= max_attempts)`;
      await sql`
        update callbacks set
          last_result = ${result},
          status = case when ${result} = 'reached' then 'completed' when ${closes} then 'failed' else 'pending' end,
          next_attempt_at = case when ${closes} then next_attempt_at else ${op.retryAt}::timestamptz end,
          closed_at = case when ${closes} then ${op.at}::timestamptz else null end,
          close_reason = case when ${result} = 'reached' then 'reached' when ${result} = 'wrong_number' then 'wrong_number'
                              when attempts >= max_attempts then 'attempts_exhausted' else null end,
          updated_at = ${op.at}
        where attempt_id = ${op.attemptId}::uuid and status <> 'cancelled' and (status = 'queued' or ${op.explicit}::boolean)`.execute(db);
      return;
    }
    case 'callback.withdrawn':
      await sql`
        update callbacks set status = 'pending', next_attempt_at = ${op.nextAt}, attempt_id = null, queued_at = null, updated_at = ${op.at}
        where attempt_id = ${op.attemptId}::uuid and status = 'queued'`.execute(db);
      return;
  }
}
