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
export interface Figures {
  offered: number;
  answered: number;
  abandoned: number;
  serviceLevel: number | null;
  avgHandleSeconds: number | null;
  abandonment: number | null;
  referrals: number;
  satisfaction: number | null;
}

export interface ReportRow extends Figures {
  period: string;
  regionCode: string;
  topic: string;
}

/**
 * What the figures are made of. Rates cannot be added up, their parts can: a prefecture's
 * service level is computed from its counties' counts, never from their rates.
 */
export interface Counts {
  offered: number;
  answered: number;
  abandoned: number;
  answeredIn: number;
  abandonedAfter: number;
  talkMs: number;
  talked: number;
  referrals: number;
  scoreSum: number;
  scored: number;
}

/** Counts of one period, region (as the call recorded it) and topic. */
export interface CountRow extends Counts {
  period: string;
  regionCode: string;
  topic: string;
}

const CST = `interval '8 hours'`;

export const NO_COUNTS: Counts = Object.freeze({ offered: 0, answered: 0, abandoned: 0, answeredIn: 0, abandonedAfter: 0, talkMs: 0, talked: 0, referrals: 0, scoreSum: 0, scored: 0 });

export function addCounts(a: Counts, b: Counts): Counts {
  return {
    offered: a.offered + b.offered,
    answered: a.answered + b.answered,
    abandoned: a.abandoned + b.abandoned,
    answeredIn: a.answeredIn + b.answeredIn,
    abandonedAfter: a.abandonedAfter + b.abandonedAfter,
    talkMs: a.talkMs + b.talkMs,
    talked: a.talked + b.talked,
    referrals: a.referrals + b.referrals,
    scoreSum: a.scoreSum + b.scoreSum,
    scored: a.scored + b.scored,
  };
}

export function figures(c: Counts): Figures {
  return {
    offered: c.offered,
    answered: c.answered,
    abandoned: c.abandoned,
    serviceLevel: c.answered + c.abandonedAfter > 0 ? round(c.answeredIn / (c.answered + c.abandonedAfter)) : null,
    avgHandleSeconds: c.talked > 0 ? Math.round(c.talkMs / c.talked / 1000) : null,
    abandonment: c.offered > 0 ? round(c.abandoned / c.offered) : null,
    referrals: c.referrals,
    satisfaction: c.scored > 0 ? round(c.scoreSum / c.scored) : null,
  };
}

/**
 * Counts per (period, region, topic) for calls that arrived in [from, until) in the given
 * regions, ordered by period, region and topic. A call with no topic counts as 'other'.
 */
export async function reportCounts(db: Db, o: { from: Date; until: Date; regionCodes: string[]; period: 'day' | 'month'; thresholdSeconds: number }): Promise<CountRow[]> {
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
    talk_ms: number;
    talked: number;
    referrals: number;
    score_sum: number;
    scored: number;
  }>`
    select to_char(c.arrived_at + ${sql.raw(CST)}, ${format}) as period,
      c.region_code, coalesce(c.topic, 'other') as topic,
      count(*)::int as offered,
      count(*) filter (where c.answered_at is not null)::int as answered,
      count(*) filter (where c.end_reason = 'abandoned')::int as abandoned,
      count(*) filter (where c.answered_at is not null and coalesce(c.wait_ms, 0) <= ${t})::int as answered_in,
      count(*) filter (where c.end_reason = 'abandoned' and coalesce(c.wait_ms, 0) > ${t})::int as abandoned_after,
      coalesce(sum(c.talk_ms), 0)::float as talk_ms,
      count(c.talk_ms)::int as talked,
      coalesce(sum((select count(*) from referrals r join tickets tk on tk.id = r.ticket_id where tk.call_id = c.id)), 0)::int as referrals,
      coalesce(sum(s.score), 0)::float as score_sum,
      count(s.score)::int as scored
    from calls c
    left join survey_responses s on s.call_id = c.id
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
    answeredIn: r.answered_in,
    abandonedAfter: r.abandoned_after,
    talkMs: r.talk_ms,
    talked: r.talked,
    referrals: r.referrals,
    scoreSum: r.score_sum,
    scored: r.scored,
  }));
}

/**
 * Rows per (period, region, topic — or '*' for all topics), from the counts: the report's
 * detailed rows, regions as the calls recorded them.
 */
export function reportRows(counts: CountRow[], byTopic: boolean): ReportRow[] {
  const out: { period: string; regionCode: string; topic: string; counts: Counts }[] = [];
  for (const c of counts) {
    const last = out[out.length - 1];
    // The counts come ordered by period and region, so a region's topics are consecutive.
    if (!byTopic && last && last.period === c.period && last.regionCode === c.regionCode) last.counts = addCounts(last.counts, c);
    else out.push({ period: c.period, regionCode: c.regionCode, topic: byTopic ? c.topic : '*', counts: c });
  }
  return out.map((r) => ({ period: r.period, regionCode: r.regionCode, topic: r.topic, ...figures(r.counts) }));
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
