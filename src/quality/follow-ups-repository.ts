import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { FollowUpOutcome } from '../db/schema';
import { addWorkingDays, type ReferralSettings, ReferralSettingsSchema } from '../tickets/referral-settings';

/** A survey score at or below this is a dissatisfied caller, followed up (回访). */
export const DISSATISFIED_MAX_SCORE = 2;
/** Working days a follow-up has, from the survey. */
export const FOLLOW_UP_WORKING_DAYS = 1;

/**
 * When a follow-up is due: one working day after the survey, at the same time of day (a caller
 * dissatisfied on Friday afternoon is followed up by Monday afternoon, later after a holiday).
 */
export function followUpDueAt(surveyAt: Date, calendar: Pick<ReferralSettings, 'holidays' | 'workingWeekends'>): Date {
  return addWorkingDays(surveyAt, FOLLOW_UP_WORKING_DAYS, calendar);
}

export type FollowUpListStatus = 'open' | 'overdue' | 'done';

export interface FollowUpFilter {
  /** Region subtrees the reader may see (null: all, tickets without a region too). */
  regionCodes: string[] | null;
  status?: FollowUpListStatus;
  now: Date;
  limit: number;
}

/**
 * The official calendar (holidays, working weekends) is the referral deadlines' own. A calendar
 * changed to something invalid after start must not lose a survey that is being written: the
 * deadline then counts weekends only.
 */
async function calendarOf(db: Db, callId: string) {
  const row = await db
    .selectFrom('calls')
    .innerJoin('provinces', 'provinces.code', 'calls.province_code')
    .select('provinces.settings')
    .where('calls.id', '=', callId)
    .executeTakeFirst();
  const parsed = ReferralSettingsSchema.safeParse((row?.settings as { referrals?: unknown } | undefined)?.referrals ?? {});
  return parsed.success ? parsed.data : ReferralSettingsSchema.parse({});
}

export const followUpsRepository = {
  /**
   * A dissatisfied caller's ticket goes on the follow-up list, due one working day after the
   * survey. Once per ticket: the same survey applied again (from the records journal) or a
   * second score adds nothing.
   */
  async openForDissatisfied(db: Db, o: { ticketId: string; callId: string; score: number; at: Date }): Promise<void> {
    if (o.score > DISSATISFIED_MAX_SCORE) return;
    const dueAt = followUpDueAt(o.at, await calendarOf(db, o.callId));
    await db
      .insertInto('follow_ups')
      .values({ ticket_id: o.ticketId, reason: 'dissatisfied', survey_score: o.score, due_at: dueAt, created_at: o.at, updated_at: o.at })
      .onConflict((oc) => oc.column('ticket_id').doNothing())
      .execute();
  },

  /** Follow-ups with their ticket, agent and latest callback; the most urgent first (open by deadline, done newest first). */
  list(db: Db, f: FollowUpFilter) {
    let q = selectFollowUps(db);
    if (f.regionCodes) q = q.where('t.region_code', 'in', f.regionCodes.length ? f.regionCodes : ['-']);
    if (f.status === 'open') q = q.where('f.status', '=', 'open');
    if (f.status === 'overdue') q = q.where('f.status', '=', 'open').where('f.due_at', '<', f.now);
    if (f.status === 'done') q = q.where('f.status', '=', 'done');
    return q
      .orderBy(sql`case when f.status = 'open' then 0 else 1 end`)
      .orderBy(sql`case when f.status = 'open' then f.due_at end`)
      .orderBy('f.done_at', 'desc')
      .limit(f.limit)
      .execute();
  },

  byId(db: Db, id: string) {
    return selectFollowUps(db).where('f.id', '=', id).executeTakeFirst();
  },

  /** The row locked while a callback is booked for it, so two supervisors do not book two. */
  lock(db: Db, id: string) {
    return db.selectFrom('follow_ups').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },

  setCallback(db: Db, id: string, callbackId: string, at: Date) {
    return db.updateTable('follow_ups').set({ callback_id: callbackId, updated_at: at }).where('id', '=', id).execute();
  },

  /** Records the outcome and closes it; undefined when it was already closed. */
  close(db: Db, id: string, o: { outcome: FollowUpOutcome; note: string | null; by: string; at: Date }) {
    return db
      .updateTable('follow_ups')
      .set({ status: 'done', outcome: o.outcome, note: o.note, done_by: o.by, done_at: o.at, updated_at: o.at })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .returning('id')
      .executeTakeFirst();
  },

  /** Open follow-ups past their deadline per region of their ticket: the wallboard's count. */
  async overdueByRegion(db: Db, now: Date): Promise<{ regionCode: string | null; n: number }[]> {
    const rows = await db
      .selectFrom('follow_ups as f')
      .innerJoin('tickets as t', 't.id', 'f.ticket_id')
      .select(['t.region_code', (eb) => eb.fn.countAll<string>().as('n')])
      .where('f.status', '=', 'open')
      .where('f.due_at', '<', now)
      .groupBy('t.region_code')
      .execute();
    return rows.map((r) => ({ regionCode: r.region_code, n: Number(r.n) }));
  },
};

function selectFollowUps(db: Db) {
  return db
    .selectFrom('follow_ups as f')
    .innerJoin('tickets as t', 't.id', 'f.ticket_id')
    .leftJoin('agents as a', 'a.id', 't.agent_id')
    .leftJoin('agents as d', 'd.id', 'f.done_by')
    .leftJoin('callbacks as cb', 'cb.id', 'f.callback_id')
    .select([
      'f.id',
      'f.ticket_id',
      'f.reason',
      'f.survey_score',
      'f.due_at',
      'f.status',
      'f.outcome',
      'f.note',
      'f.callback_id',
      'f.done_at',
      'f.created_at',
      't.number as ticket_number',
      't.region_code',
      't.caller_number',
      't.type as ticket_type',
      't.topic',
      't.summary',
      'a.id as agent_id',
      'a.username as agent_username',
      'a.display_name as agent_name',
      'd.username as done_by_username',
      'cb.status as callback_status',
      'cb.attempts as callback_attempts',
      'cb.last_result as callback_last_result',
    ]);
}

export type FollowUpWithNames = NonNullable<Awaited<ReturnType<typeof followUpsRepository.byId>>>;
