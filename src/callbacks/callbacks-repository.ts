import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { CallbackStatus } from '../db/schema';

/** Named queries on `callbacks` (writes that follow a call go through the records outbox). */

export interface ClaimedCallback {
  id: string;
  attempt_id: string;
  region_code: string | null;
  language: string;
  topic: string;
  priority: number;
}

export interface CallbackFilter {
  provinceCode: string;
  /** Region subtrees the reader may see (null: all). */
  regionCodes: string[] | null;
  status?: CallbackStatus[];
  overdueBefore?: Date;
  limit: number;
  before?: Date;
}

export const callbacksRepository = {
  /**
   * Due callbacks become attempts: each gets the id its place in the queue and its call record
   * will carry. SKIP LOCKED: several nodes claiming at once each take different ones.
   */
  async claimDue(db: Db, provinceCode: string, now: Date, limit: number): Promise<ClaimedCallback[]> {
    const { rows } = await sql<ClaimedCallback>`
      update callbacks set status = 'queued', attempt_id = gen_random_uuid(), queued_at = ${now}, updated_at = ${now}
      where id in (
        select id from callbacks
        where province_code = ${provinceCode} and status = 'pending' and next_attempt_at <= ${now}
        order by next_attempt_at
        limit ${limit}
        for update skip locked)
      returning id, attempt_id, region_code, language, topic, priority`.execute(db);
    return rows;
  },

  /**
   * Attempts queued a while ago that no agent has taken (no call record): after the live state
   * was lost they are in no queue, and are queued again.
   */
  async queuedUntaken(db: Db, provinceCode: string, queuedBefore: Date, limit: number): Promise<ClaimedCallback[]> {
    const { rows } = await sql<ClaimedCallback>`
      select cb.id, cb.attempt_id, cb.region_code, cb.language, cb.topic, cb.priority from callbacks cb
      where cb.province_code = ${provinceCode} and cb.status = 'queued' and cb.queued_at < ${queuedBefore}
        and not exists (select 1 from calls c where c.id = cb.attempt_id)
      order by cb.queued_at
      limit ${limit}`.execute(db);
    return rows;
  },

  byId(db: Db, id: string) {
    return db.selectFrom('callbacks').selectAll().where('id', '=', id).executeTakeFirst();
  },

  byAttempt(db: Db, attemptId: string) {
    return db.selectFrom('callbacks').selectAll().where('attempt_id', '=', attemptId).executeTakeFirst();
  },

  list(db: Db, f: CallbackFilter) {
    let q = db.selectFrom('callbacks').selectAll().where('province_code', '=', f.provinceCode);
    if (f.regionCodes) q = q.where('region_code', 'in', f.regionCodes.length ? f.regionCodes : ['-']);
    if (f.status?.length) q = q.where('status', 'in', f.status);
    if (f.overdueBefore) q = q.where('status', 'in', ['pending', 'queued']).where('due_at', '<', f.overdueBefore);
    if (f.before) q = q.where('created_at', '<', f.before);
    return q.orderBy('created_at', 'desc').limit(f.limit).execute();
  },

  /** Open callbacks due before `before`, per region: the wallboard's overdue count. */
  async overdueByRegion(db: Db, provinceCode: string, before: Date): Promise<{ region_code: string | null; n: number }[]> {
    const rows = await db
      .selectFrom('callbacks')
      .select(['region_code', sql<number>`count(*)::int`.as('n')])
      .where('province_code', '=', provinceCode)
      .where('status', 'in', ['pending', 'queued'])
      .where('due_at', '<', before)
      .groupBy('region_code')
      .execute();
    return rows.map((r) => ({ region_code: r.region_code, n: Number(r.n) }));
  },

  /**
   * Open callbacks by status (pending: waiting for their time or a retry; queued: an attempt is in
   * the queue or with an agent), and how many of them fell due before `overdueBefore`: /metrics.
   */
  async backlog(db: Db, provinceCode: string, overdueBefore: Date): Promise<{ status: 'pending' | 'queued'; n: number; overdue: number }[]> {
    const rows = await db
      .selectFrom('callbacks')
      .select(['status', sql<number>`count(*)::int`.as('n'), sql<number>`count(*) filter (where due_at < ${overdueBefore})::int`.as('overdue')])
      .where('province_code', '=', provinceCode)
      .where('status', 'in', ['pending', 'queued'])
      .groupBy('status')
      .execute();
    return rows.map((r) => ({ status: r.status as 'pending' | 'queued', n: Number(r.n), overdue: Number(r.overdue) }));
  },

  /** Cancels an open callback; null when it had already ended. */
  cancel(db: Db, id: string, by: string, reason: string, at: Date) {
    return db
      .updateTable('callbacks')
      .set({ status: 'cancelled', closed_at: at, close_reason: reason, closed_by: by, updated_at: at })
      .where('id', '=', id)
      .where('status', 'in', ['pending', 'queued'])
      .returningAll()
      .executeTakeFirst();
  },

  /**
   * A callback to a ticket's caller, due at once: to hear a referral's outcome (a callback task),
   * or a supervisor following up a dissatisfied caller (`follow_up`, no task).
   */
  async bookForTicket(
    db: Db,
    c: { id: string; provinceCode: string; ticketId: string; taskId: string | null; reason: 'referral_outcome' | 'agent_request' | 'follow_up'; maxAttempts: number; at: Date },
  ): Promise<boolean> {
    const { rows } = await sql<{ id: string }>`
      insert into callbacks (id, province_code, reason, ticket_id, task_id, origin_call_id, caller_number, region_code, language, topic, priority, status, max_attempts, due_at, next_attempt_at)
      select ${c.id}::uuid, ${c.provinceCode}, ${c.reason}, t.id, ${c.taskId}::uuid, t.call_id, t.caller_number, t.region_code, coalesce(t.language, 'zh'), coalesce(t.topic, 'other'), 1, 'pending', ${c.maxAttempts}, ${c.at}, ${c.at}
      from tickets t where t.id = ${c.ticketId}::uuid
      returning id`.execute(db);
    return rows.length > 0;
  },
};
