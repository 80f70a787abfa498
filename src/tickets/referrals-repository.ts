import { sql } from 'kysely';
import type { Db } from '../db/database';
import { jsonb } from '../db/json';
import type { OrganisationKind, ReferralsTable } from '../db/schema';

/** Named queries for referrals, their events, the organisations they go to, and callback tasks. */

export type ReferralStatus = ReferralsTable['status'];

export const referralsRepository = {
  /** The organisation of `kind` at the first region of `lineage` (county, prefecture, province) that has one. */
  async nearestOrganisation(db: Db, kind: OrganisationKind, lineage: string[]) {
    if (lineage.length === 0) return undefined;
    const rows = await db.selectFrom('organisations').selectAll().where('kind', '=', kind).where('region_code', 'in', lineage).execute();
    for (const code of lineage) {
      const found = rows.filter((r) => r.region_code === code).sort((a, b) => a.code.localeCompare(b.code))[0];
      if (found) return found;
    }
    return undefined;
  },

  create(
    db: Db,
    r: {
      ticketId: string;
      kind: ReferralsTable['kind'];
      organisationId: string | null;
      department: string | null;
      status: ReferralStatus;
      eligibility: Record<string, unknown> | null;
      acceptDueAt: Date | null;
      closeDueAt: Date | null;
      outcome: string | null;
      createdBy: string;
      closedAt: Date | null;
    },
  ) {
    return db
      .insertInto('referrals')
      .values({
        ticket_id: r.ticketId,
        kind: r.kind,
        organisation_id: r.organisationId,
        department: r.department,
        status: r.status,
        eligibility: r.eligibility ? jsonb(r.eligibility) : null,
        accept_due_at: r.acceptDueAt,
        close_due_at: r.closeDueAt,
        outcome: r.outcome,
        created_by: r.createdBy,
        closed_at: r.closedAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  event(db: Db, e: { referralId: string; actor: string; type: string; note?: string | null; data?: Record<string, unknown> }) {
    return db
      .insertInto('referral_events')
      .values({ referral_id: e.referralId, actor: e.actor, type: e.type, note: e.note ?? null, data: jsonb(e.data ?? {}) })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  byId(db: Db, id: string) {
    return db.selectFrom('referrals').selectAll().where('id', '=', id).executeTakeFirst();
  },

  events(db: Db, referralId: string) {
    return db.selectFrom('referral_events').selectAll().where('referral_id', '=', referralId).orderBy('id').execute();
  },

  /**
   * Moves a referral from one of `from` to `to` in one statement, so two answers at once (an
   * organisation accepting twice) cannot both succeed. Undefined when it was not in `from`.
   */
  transition(db: Db, id: string, from: ReferralStatus[], to: ReferralStatus, changes: { outcome?: string; declineReason?: string; closedAt?: Date }) {
    return db
      .updateTable('referrals')
      .set({
        status: to,
        ...(changes.outcome !== undefined ? { outcome: changes.outcome } : {}),
        ...(changes.declineReason !== undefined ? { decline_reason: changes.declineReason } : {}),
        ...(changes.closedAt !== undefined ? { closed_at: changes.closedAt } : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .where('status', 'in', from)
      .returningAll()
      .executeTakeFirst();
  },

  /** Referrals past a deadline not yet marked: marks them (once, whichever node gets there first). */
  markOverdue(db: Db, now: Date) {
    return Promise.all([
      db
        .updateTable('referrals')
        .set({ accept_overdue_at: now })
        .where('status', '=', 'pending')
        .where('accept_due_at', '<=', now)
        .where('accept_overdue_at', 'is', null)
        .returningAll()
        .execute(),
      db
        .updateTable('referrals')
        .set({ close_overdue_at: now })
        .where('status', 'in', ['accepted', 'in_progress'])
        .where('close_due_at', '<=', now)
        .where('close_overdue_at', 'is', null)
        .returningAll()
        .execute(),
    ]);
  },

  /** Overdue events written after `afterId`, with what an alert shows. */
  overdueEventsAfter(db: Db, afterId: number, limit: number) {
    return db
      .selectFrom('referral_events as e')
      .innerJoin('referrals as r', 'r.id', 'e.referral_id')
      .innerJoin('tickets as t', 't.id', 'r.ticket_id')
      .leftJoin('organisations as o', 'o.id', 'r.organisation_id')
      .select(['e.id', 'e.type', 'e.at', 'r.id as referralId', 'r.kind', 'r.accept_due_at', 'r.close_due_at', 't.number as ticketNumber', 't.region_code', 'o.name_zh', 'o.name_en', 'o.region_code as orgRegion'])
      .where('e.id', '>', afterId)
      .where('e.type', 'in', ['overdue.accept', 'overdue.close'])
      .orderBy('e.id')
      .limit(limit)
      .execute();
  },

  lastEventId(db: Db) {
    return db
      .selectFrom('referral_events')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst()
      .then((r) => Number(r?.id ?? 0));
  },

  createCallbackTask(db: Db, t: { ticketId: string; referralId: string | null; reason: 'referral_outcome' | 'agent_request'; dueAt: Date; note: string | null }) {
    return db
      .insertInto('callback_tasks')
      .values({ ticket_id: t.ticketId, referral_id: t.referralId, reason: t.reason, due_at: t.dueAt, note: t.note })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** Due tasks, claimed so that only one node queues each (SKIP LOCKED). */
  claimDueCallbackTasks(db: Db, now: Date, limit: number) {
    return db
      .updateTable('callback_tasks')
      .set({ status: 'queued', updated_at: sql`now()` })
      .where('id', 'in', (eb) =>
        eb.selectFrom('callback_tasks').select('id').where('status', '=', 'open').where('due_at', '<=', now).orderBy('due_at').limit(limit).forUpdate().skipLocked(),
      )
      .returningAll()
      .execute();
  },

  setCallbackId(db: Db, taskId: string, callbackId: string) {
    return db.updateTable('callback_tasks').set({ callback_id: callbackId, updated_at: sql`now()` }).where('id', '=', taskId).execute();
  },
};
