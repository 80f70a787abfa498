import { sql } from 'kysely';
import type { Db } from '../db/database';
import { jsonb } from '../db/json';
import type { CallsTable } from '../db/schema';

/** The call flow's writes to a call's record (the CDR) and its timeline. */

export interface NewCallRecord {
  /** Made by the service, so the caller can hear the first menu before the row is written. */
  id: string;
  provinceCode: string;
  driver: string;
  externalId: string;
  callerNumber: string;
  regionCode: string;
  regionSource: NonNullable<CallsTable['region_source']>;
  arrivedAt: Date;
}

export interface CallerHistory {
  /** Calls from this number in the last 24 hours that ended without being answered. */
  unansweredToday: number;
  /** Earlier tickets of this number flagged as a risk (violence, self-harm, mass incident). */
  riskFlagged: number;
}

export const callsRepository = {
  /**
   * The row for a new call, with the caller's history before it. A driver that reports the
   * same call twice (a retried webhook, a re-sync after reconnecting) gets the existing row back.
   */
  async create(db: Db, c: NewCallRecord): Promise<{ id: string; created: boolean; history: CallerHistory }> {
    // The row, its first timeline entry and the caller's history in one statement: one round
    // trip and one commit on the path every incoming call takes. The history cannot see the
    // new row (a statement reads the snapshot it started with), and counts only earlier calls.
    // Written as SQL rather than with the query builder: building and compiling this statement
    // was a measurable share of each incoming call's cost.
    const since = new Date(c.arrivedAt.getTime() - 24 * 3600_000);
    const { rows } = await sql<{ id: string | null; unanswered: number; risk: number }>`
      with c as (
        insert into calls (id, province_code, driver, external_id, caller_number, region_code, region_source, status, arrived_at)
        values (${c.id}::uuid, ${c.provinceCode}, ${c.driver}, ${c.externalId}, ${c.callerNumber}, ${c.regionCode}, ${c.regionSource}, 'ivr', ${c.arrivedAt})
        on conflict (driver, external_id) do nothing
        returning id
      ), e as (
        insert into call_events (call_id, type, data)
        select id, 'arrived', ${jsonb({ driver: c.driver, regionCode: c.regionCode, regionSource: c.regionSource })} from c
      )
      select (select id from c) as id,
        (select count(*)::int from calls where caller_number = ${c.callerNumber} and arrived_at >= ${since} and arrived_at < ${c.arrivedAt}
           and end_reason in ('abandoned', 'callback', 'rejected')) as unanswered,
        (select count(*)::int from tickets where caller_number = ${c.callerNumber} and risk_flag) as risk`.execute(db);
    const row = rows[0]!;
    const history = { unansweredToday: Number(row.unanswered ?? 0), riskFlagged: Number(row.risk ?? 0) };
    if (row.id) return { id: row.id, created: true, history };
    const existing = await db.selectFrom('calls').select('id').where('driver', '=', c.driver).where('external_id', '=', c.externalId).executeTakeFirstOrThrow();
    return { id: existing.id, created: false, history };
  },

  /**
   * The record of a callback an agent has taken: an outbound call to the number of the call
   * (or, for a callback task, the ticket) it came from, so it gets a ticket of its own. Once.
   */
  async openCallback(db: Db, c: { callbackId: string; originId: string; agentId: string; at: Date }): Promise<boolean> {
    const { rows } = await sql<{ id: string }>`
      insert into calls (id, province_code, driver, external_id, direction, caller_number, region_code, language, topic, status, agent_id, arrived_at, answered_at)
      select ${c.callbackId}::uuid, o.province_code, 'callback', ${c.callbackId}, 'outbound', o.caller_number, o.region_code, o.language, o.topic, 'connected', ${c.agentId}::uuid, ${c.at}, ${c.at}
      from (
        select province_code, caller_number, region_code, language, topic from calls where id = ${c.originId}::uuid
        union all
        select p.code, t.caller_number, t.region_code, t.language, t.topic from tickets t cross join (select code from provinces limit 1) p
          where t.id = ${c.originId}::uuid and t.call_id is null
      ) o
      limit 1
      on conflict (id) do nothing
      returning id`.execute(db);
    return rows.length > 0;
  },

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

  /** What the caller chose in the menus. */
  async chosen(
    db: Db,
    id: string,
    c: { language: string; topic: string; priorityGroup: string | null; priority: number; regionCode: string; regionSource: NonNullable<CallsTable['region_source']> },
  ): Promise<void> {
    await db
      .updateTable('calls')
      .set({ language: c.language, topic: c.topic, priority_group: c.priorityGroup, priority: c.priority, region_code: c.regionCode, region_source: c.regionSource })
      .where('id', '=', id)
      .execute();
  },

  async ended(db: Db, id: string, reason: NonNullable<CallsTable['end_reason']>, at: Date): Promise<void> {
    await db.updateTable('calls').set({ status: 'ended', end_reason: reason, ended_at: at }).where('id', '=', id).where('status', '!=', 'ended').execute();
  },

  async setCallback(db: Db, id: string, callbackId: string): Promise<void> {
    await db.updateTable('calls').set({ callback_id: callbackId }).where('id', '=', id).execute();
  },

  async setRecording(db: Db, id: string, url: string): Promise<void> {
    await db.updateTable('calls').set({ recording_url: url }).where('id', '=', id).execute();
  },

  async event(db: Db, id: string, type: string, data: Record<string, unknown>): Promise<void> {
    await db.insertInto('call_events').values({ call_id: id, type, data: jsonb(data) }).execute();
  },
};
