import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { CallerHistory } from '../records/record-ops';

/**
 * What the call flow and the drivers read of calls' records. Every write goes through the
 * records outbox (src/records), which keeps it while the database is away.
 */

export const callsRepository = {
  async byExternalId(db: Db, driver: string, externalId: string): Promise<string | null> {
    const row = await db.selectFrom('calls').select('id').where('driver', '=', driver).where('external_id', '=', externalId).executeTakeFirst();
    return row?.id ?? null;
  },

  /**
   * A driver's calls that have not ended, arrived since `since` (a driver re-syncing with its
   * phone system after a lost link compares them with the calls that are still there).
   */
  async open(db: Db, provinceCode: string, driver: string, since: Date): Promise<{ id: string; externalId: string }[]> {
    const rows = await db
      .selectFrom('calls')
      .select(['id', 'external_id'])
      .where('province_code', '=', provinceCode)
      .where('arrived_at', '>=', since)
      .where('driver', '=', driver)
      .where('status', '!=', 'ended')
      .where('external_id', 'is not', null)
      .execute();
    return rows.map((r) => ({ id: r.id, externalId: r.external_id! }));
  },

  async history(db: Db, callerNumber: string, before: Date): Promise<CallerHistory> {
    const since = new Date(before.getTime() - 24 * 3600_000);
    // Both counts in one round trip.
    const row = await db
      .selectNoFrom((eb) => [
        eb
          .selectFrom('calls')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('caller_number', '=', callerNumber)
          .where('arrived_at', '>=', since)
          .where('arrived_at', '<', before)
          .where('end_reason', 'in', ['abandoned', 'callback', 'rejected'])
          .as('unanswered'),
        eb.selectFrom('tickets').select(sql<number>`count(*)::int`.as('n')).where('caller_number', '=', callerNumber).where('risk_flag', '=', true).as('risk'),
      ])
      .executeTakeFirstOrThrow();
    return { unansweredToday: Number(row.unanswered ?? 0), riskFlagged: Number(row.risk ?? 0) };
  },

  /**
   * The history of the number behind a call, before the call. A withheld or unreadable number
   * ("anonymous") is shared by many callers and has none.
   */
  async historyOfCall(db: Db, callId: string): Promise<CallerHistory> {
    const call = await db.selectFrom('calls').select(['caller_number', 'arrived_at']).where('id', '=', callId).executeTakeFirst();
    if (!call || !/^\+?\d{5,}$/.test(call.caller_number)) return { unansweredToday: 0, riskFlagged: 0 };
    return callsRepository.history(db, call.caller_number, call.arrived_at);
  },
};
