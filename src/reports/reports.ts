import { sql } from 'kysely';
import type { Db } from '../db/database';
import { type TicketTypeCounts, zeroTypeCounts } from '../tickets/ticket-types';

/**
 * Daily and monthly figures per region and topic, from the calls' records.
 *  - offered: inbound calls that reached the queue;
 *  - answered: answered by an agent; abandoned: hung up while queued;
 *  - serviceLevel: answered within the threshold ÷ (answered + abandoned after the threshold) —
 *    callers who gave up within the threshold are not counted against the hotline;
 *  - avgHandleSeconds: average talk time (wrap-up is not recorded per call);
 *  - abandonment: abandoned ÷ offered; referrals: referrals made from those calls' tickets;
 *  - satisfaction: average survey score (1–5) of those calls.
 */
export interface ReportRow {
  period: string;
  regionCode: string;
  topic: string;
  offered: number;
  answered: number;
  abandoned: number;
  serviceLevel: number | null;
  avgHandleSeconds: number | null;
  abandonment: number | null;
  referrals: number;
  satisfaction: number | null;
}

const CST = `interval '8 hours'`;

/** Rows per (period, region, topic — or '*' for all topics) for calls that arrived in [from, until) in the given regions. */
export async function reportRows(
  db: Db,
  o: { from: Date; until: Date; regionCodes: string[]; period: 'day' | 'month'; thresholdSeconds: number; byTopic: boolean },
): Promise<ReportRow[]> {
  if (o.regionCodes.length === 0) return [];
  const format = o.period === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM';
  const t = o.thresholdSeconds * 1000;
  const { rows } = await sql<{
    period: string;
    region_code: string;
    topic: string;
    offered: number;
    answered: number;
    abandoned: number;
    answered_in: number;
    abandoned_after: number;
    talk: number | null;
    referrals: number;
    satisfaction: number | null;
  }>`
    select to_char(c.arrived_at + ${sql.raw(CST)}, ${format}) as period,
      c.region_code, ${o.byTopic ? sql`coalesce(c.topic, 'other')` : sql`'*'`} as topic,
      count(*)::int as offered,
      count(*) filter (where c.answered_at is not null)::int as answered,
      count(*) filter (where c.end_reason = 'abandoned')::int as abandoned,
      count(*) filter (where c.answered_at is not null and coalesce(c.wait_ms, 0) <= ${t})::int as answered_in,
      count(*) filter (where c.end_reason = 'abandoned' and coalesce(c.wait_ms, 0) > ${t})::int as abandoned_after,
      avg(c.talk_ms) filter (where c.talk_ms is not null)::float as talk,
      coalesce(sum((select count(*) from referrals r join tickets tk on tk.id = r.ticket_id where tk.call_id = c.id)), 0)::int as referrals,
      avg((select s.score from survey_responses s where s.call_id = c.id))::float as satisfaction
    from calls c
    where c.arrived_at >= ${o.from} and c.arrived_at < ${o.until}
      and c.direction = 'inbound' and c.queued_at is not null
      and c.region_code in (${sql.join(o.regionCodes)})
    group by 1, 2, 3
    order by 1, 2, 3`.execute(db);
  return rows.map((r) => ({
    period: r.period,
    regionCode: r.region_code,
    topic: r.topic,
    offered: r.offered,
    answered: r.answered,
    abandoned: r.abandoned,
    serviceLevel: r.answered + r.abandoned_after > 0 ? round(r.answered_in / (r.answered + r.abandoned_after)) : null,
    avgHandleSeconds: r.talk === null ? null : Math.round(r.talk / 1000),
    abandonment: r.offered > 0 ? round(r.abandoned / r.offered) : null,
    referrals: r.referrals,
    satisfaction: r.satisfaction === null ? null : round(r.satisfaction),
  }));
}

/** Offered, answered and service level per half-hour of one day, for the day's chart. */
export async function halfHourSeries(db: Db, o: { from: Date; until: Date; regionCodes: string[]; thresholdSeconds: number }) {
  if (o.regionCodes.length === 0) return [];
  const t = o.thresholdSeconds * 1000;
  const { rows } = await sql<{ slot: number; offered: number; answered: number; answered_in: number; abandoned_after: number }>`
    select (extract(hour from c.arrived_at + ${sql.raw(CST)}) * 2 + floor(extract(minute from c.arrived_at + ${sql.raw(CST)}) / 30))::int as slot,
      count(*)::int as offered,
      count(*) filter (where c.answered_at is not null)::int as answered,
      count(*) filter (where c.answered_at is not null and coalesce(c.wait_ms, 0) <= ${t})::int as answered_in,
      count(*) filter (where c.end_reason = 'abandoned' and coalesce(c.wait_ms, 0) > ${t})::int as abandoned_after
    from calls c
    where c.arrived_at >= ${o.from} and c.arrived_at < ${o.until}
      and c.direction = 'inbound' and c.queued_at is not null and c.region_code in (${sql.join(o.regionCodes)})
    group by 1 order by 1`.execute(db);
  const series = Array.from({ length: 48 }, (_, i) => ({ intervalStart: i * 30, offered: 0, answered: 0, serviceLevel: null as number | null }));
  for (const r of rows) {
    const s = series[r.slot]!;
    s.offered = r.offered;
    s.answered = r.answered;
    s.serviceLevel = r.answered + r.abandoned_after > 0 ? round(r.answered_in / (r.answered + r.abandoned_after)) : null;
  }
  return series;
}

/**
 * Tickets per type (consultation, help, complaint, suggestion) opened in [from, until) in the
 * given regions: per region where any was opened, and in total. Counted from tickets, not calls,
 * so callbacks and voice messages that became tickets count too.
 */
export interface TicketTypeReport {
  total: TicketTypeCounts;
  byRegion: ({ regionCode: string } & TicketTypeCounts)[];
}

export async function ticketTypeCounts(db: Db, o: { from: Date; until: Date; regionCodes: string[] }): Promise<TicketTypeReport> {
  const total = zeroTypeCounts();
  if (o.regionCodes.length === 0) return { total, byRegion: [] };
  const rows = await db
    .selectFrom('tickets')
    .select((eb) => ['region_code', 'type', eb.fn.countAll<number>().as('n')])
    .where('created_at', '>=', o.from)
    .where('created_at', '<', o.until)
    .where('region_code', 'in', o.regionCodes)
    .groupBy(['region_code', 'type'])
    .orderBy('region_code')
    .execute();
  const byRegion = new Map<string, { regionCode: string } & TicketTypeCounts>();
  for (const r of rows) {
    if (r.region_code === null) continue; // the column is nullable; the filter has left those out already
    const region = byRegion.get(r.region_code) ?? { regionCode: r.region_code, ...zeroTypeCounts() };
    region[r.type] += Number(r.n);
    total[r.type] += Number(r.n);
    byRegion.set(r.region_code, region);
  }
  return { total, byRegion: [...byRegion.values()] };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
