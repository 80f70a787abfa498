import { sql } from 'kysely';
import type { Db } from '../db/database';
import { type CallCounts, chinaDayStart, THIRTY_MINUTES_MS } from './figures';

/** How long a call may sit in the menus before it joins the queue (bounds the index range read). */
const MENU_MARGIN_MS = 2 * 3600_000;
/** How long a call may wait in the queue (well above any province's maxWaitSeconds). */
const QUEUE_MARGIN_MS = 2 * 3600_000;

/**
 * The wallboard's reads: one grouped query for today's and the last half-hour's calls, one for
 * the seat plan's current half-hour, and the risk-flagged tickets since the last poll.
 */
export const wallboardRepository = {
  /**
   * Call counts per region (each region on its own; the caller rolls them up), for today and the
   * last 30 minutes, in one pass over the rows of the calls queued since the earlier of the two.
   */
  async callCounts(db: Db, o: { provinceCode: string; now: number; thresholdSeconds: number; windowMinutes: number }): Promise<({ regionCode: string | null } & CallCounts)[]> {
    const dayStart = chinaDayStart(o.now);
    const since30 = new Date(o.now - THIRTY_MINUTES_MS);
    const sinceWindow = new Date(o.now - o.windowMinutes * 60_000);
    // A call answered or abandoned in the last half-hour may have joined the queue a while before.
    const queuedFrom = new Date(Math.min(dayStart.getTime(), since30.getTime() - QUEUE_MARGIN_MS, sinceWindow.getTime() - QUEUE_MARGIN_MS));
    const arrivedFrom = new Date(queuedFrom.getTime() - MENU_MARGIN_MS);
    const t = Math.round(o.thresholdSeconds * 1000);
    const { rows } = await sql<{ region_code: string | null } & Record<string, number>>`
      select region_code,
        count(*) filter (where queued_at >= ${dayStart})::int as offered_today,
        count(*) filter (where queued_at >= ${dayStart} and answered_at is not null)::int as answered_today,
        count(*) filter (where queued_at >= ${dayStart} and answered_at is not null and wait_ms <= ${t})::int as answered_in_threshold_today,
        count(*) filter (where queued_at >= ${dayStart} and end_reason = 'abandoned' and answered_at is null)::int as abandoned_today,
        count(*) filter (where queued_at >= ${dayStart} and end_reason = 'abandoned' and answered_at is null and wait_ms > ${t})::int as abandoned_after_threshold_today,
        count(*) filter (where queued_at >= ${since30})::int as offered_30m,
        count(*) filter (where answered_at >= ${since30})::int as answered_30m,
        count(*) filter (where answered_at >= ${since30} and wait_ms <= ${t})::int as answered_in_threshold_30m,
        count(*) filter (where ended_at >= ${since30} and end_reason = 'abandoned' and answered_at is null and wait_ms > ${t})::int as abandoned_after_threshold_30m,
        count(*) filter (where answered_at >= ${sinceWindow})::int as answered_window,
        count(*) filter (where answered_at >= ${sinceWindow} and wait_ms <= ${t})::int as answered_in_threshold_window,
        count(*) filter (where ended_at >= ${sinceWindow} and end_reason = 'abandoned' and answered_at is null)::int as abandoned_window,
        count(*) filter (where ended_at >= ${sinceWindow} and end_reason = 'abandoned' and answered_at is null and wait_ms > ${t})::int as abandoned_after_threshold_window
      from calls
      where province_code = ${o.provinceCode} and direction = 'inbound'
        and arrived_at >= ${arrivedFrom} and queued_at >= ${queuedFrom}
      group by region_code`.execute(db);
    return rows.map((r) => ({
      regionCode: r.region_code,
      offeredToday: Number(r.offered_today),
      answeredToday: Number(r.answered_today),
      answeredInThresholdToday: Number(r.answered_in_threshold_today),
      abandonedToday: Number(r.abandoned_today),
      abandonedAfterThresholdToday: Number(r.abandoned_after_threshold_today),
      offered30m: Number(r.offered_30m),
      answered30m: Number(r.answered_30m),
      answeredInThreshold30m: Number(r.answered_in_threshold_30m),
      abandonedAfterThreshold30m: Number(r.abandoned_after_threshold_30m),
      answeredWindow: Number(r.answered_window),
      answeredInThresholdWindow: Number(r.answered_in_threshold_window),
      abandonedWindow: Number(r.abandoned_window),
      abandonedAfterThresholdWindow: Number(r.abandoned_after_threshold_window),
    }));
  },

  /** Referrals past their acceptance or closing deadline, per region of their ticket (tickets are the province's own). */
  async overdueReferrals(db: Db, o: { now: Date }): Promise<{ regionCode: string | null; n: number }[]> {
    const rows = await db
      .selectFrom('referrals as r')
      .innerJoin('tickets as t', 't.id', 'r.ticket_id')
      .select(['t.region_code', (eb) => eb.fn.countAll<string>().as('n')])
      .where((eb) =>
        eb.or([
          eb.and([eb('r.status', '=', 'pending'), eb('r.accept_due_at', '<=', o.now)]),
          eb.and([eb('r.status', 'in', ['accepted', 'in_progress']), eb('r.close_due_at', '<=', o.now)]),
        ]),
      )
      .groupBy('t.region_code')
      .execute();
    return rows.map((r) => ({ regionCode: r.region_code, n: Number(r.n) }));
  },

  /** Today's plan for one half-hour: null when no plan is saved for the day. */
  async plannedSeats(db: Db, o: { provinceCode: string; date: string; intervalStart: number }): Promise<{ regionCode: string; seats: number }[] | null> {
    const rows = await db
      .selectFrom('seat_plans as p')
      .leftJoin('seat_plan_entries as e', (j) => j.onRef('e.plan_id', '=', 'p.id').on('e.interval_start', '=', o.intervalStart))
      .select(['p.id', 'e.region_code', 'e.seats'])
      .where('p.province_code', '=', o.provinceCode)
      .where('p.plan_date', '=', o.date)
      .execute();
    if (rows.length === 0) return null;
    return rows.filter((r) => r.region_code !== null).map((r) => ({ regionCode: r.region_code!, seats: Number(r.seats) }));
  },

  /** Agents on a published shift of today's roster in this half-hour, with the region the shift covers. */
  rosteredNow(db: Db, o: { provinceCode: string; date: string; minute: number }): Promise<{ agentId: string; regionCode: string }[]> {
    return db
      .selectFrom('roster_shifts as s')
      .innerJoin('rosters as r', 'r.id', 's.roster_id')
      .select(['s.agent_id as agentId', 's.region_code as regionCode'])
      .where('r.province_code', '=', o.provinceCode)
      .where('r.roster_date', '=', o.date)
      .where('s.stage', '=', 'published')
      .where('s.start_minute', '<=', o.minute)
      .where('s.end_minute', '>', o.minute)
      .execute();
  },

  /**
   * Tickets carrying the risk flag changed at or after `since` (oldest first). Tickets are written
   * with the node's clock; the caller reads back a little and drops what it has already seen.
   */
  riskTicketsSince(db: Db, since: Date, limit: number) {
    return db
      .selectFrom('tickets')
      .select(['id', 'number', 'call_id', 'region_code', 'topic', 'updated_at'])
      .where('risk_flag', '=', true)
      .where('updated_at', '>=', since)
      .orderBy('updated_at')
      .limit(limit)
      .execute();
  },
};
