import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { ServiceTargets } from '../supervisors/targets';
import { DISSATISFIED_MAX_SCORE } from './follow-ups-repository';

/**
 * The contract's quality figures for a period (Anhui's 12348 contract: satisfaction ≥ 90 %,
 * inspection of ≥ 5 % of calls, every dissatisfied caller followed up), per region and in
 * total, each beside its target. Counted over inbound calls that reached the queue and arrived in
 * the period, as the report's other rows are:
 *  - satisfaction = answers of 4 or 5 ÷ all survey answers;
 *  - inspectionRate = answered calls whose ticket was inspected ÷ answered calls;
 *  - followUpRate = dissatisfied callers (1 or 2) whose follow-up was closed with an outcome by
 *    its deadline ÷ dissatisfied callers. Closed late and still open are shown beside it.
 */
export interface ServiceQualityFigures {
  answered: number;
  surveyed: number;
  satisfied: number;
  satisfaction: number | null;
  inspected: number;
  inspectionRate: number | null;
  dissatisfied: number;
  followedUp: number;
  followedUpLate: number;
  followUpsOpen: number;
  followUpRate: number | null;
  /** Whether each figure meets its target; null without a target or without anything to measure. */
  met: { satisfaction: boolean | null; inspectionRate: boolean | null; followUpRate: boolean | null };
}

export interface ServiceQualityReport {
  targets: { satisfaction: number | null; inspectionRate: number | null; followUpRate: number | null };
  total: ServiceQualityFigures;
  byRegion: ({ regionCode: string } & ServiceQualityFigures)[];
}

type Counts = Pick<ServiceQualityFigures, 'answered' | 'surveyed' | 'satisfied' | 'inspected' | 'dissatisfied' | 'followedUp' | 'followedUpLate' | 'followUpsOpen'>;

const share = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 1000) / 1000 : null);
const meets = (value: number | null, target: number | null) => (value === null || target === null ? null : value >= target);

function figures(c: Counts, t: ServiceQualityReport['targets']): ServiceQualityFigures {
  const satisfaction = share(c.satisfied, c.surveyed);
  const inspectionRate = share(c.inspected, c.answered);
  const followUpRate = share(c.followedUp, c.dissatisfied);
  return {
    ...c,
    satisfaction,
    inspectionRate,
    followUpRate,
    met: { satisfaction: meets(satisfaction, t.satisfaction), inspectionRate: meets(inspectionRate, t.inspectionRate), followUpRate: meets(followUpRate, t.followUpRate) },
  };
}

export async function serviceQualityReport(db: Db, o: { from: Date; until: Date; regionCodes: string[]; targets: ServiceTargets }): Promise<ServiceQualityReport> {
  const targets = { satisfaction: o.targets.satisfaction, inspectionRate: o.targets.inspectionRate, followUpRate: o.targets.followUpRate };
  const zero: Counts = { answered: 0, surveyed: 0, satisfied: 0, inspected: 0, dissatisfied: 0, followedUp: 0, followedUpLate: 0, followUpsOpen: 0 };
  if (o.regionCodes.length === 0) return { targets, total: figures(zero, targets), byRegion: [] };
  // One ticket per call, one survey per call, one inspection and one follow-up per ticket: the
  // joins never multiply a call.
  const { rows } = await sql<{ region_code: string } & Record<keyof Counts, number>>`
    select c.region_code,
      count(*) filter (where c.answered_at is not null)::int as "answered",
      count(s.id)::int as "surveyed",
      count(*) filter (where s.score >= 4)::int as "satisfied",
      count(qi.id) filter (where c.answered_at is not null)::int as "inspected",
      count(*) filter (where s.score <= ${DISSATISFIED_MAX_SCORE})::int as "dissatisfied",
      count(*) filter (where s.score <= ${DISSATISFIED_MAX_SCORE} and f.status = 'done' and f.done_at <= f.due_at)::int as "followedUp",
      count(*) filter (where s.score <= ${DISSATISFIED_MAX_SCORE} and f.status = 'done' and f.done_at > f.due_at)::int as "followedUpLate",
      count(*) filter (where s.score <= ${DISSATISFIED_MAX_SCORE} and f.status = 'open')::int as "followUpsOpen"
    from calls c
    left join survey_responses s on s.call_id = c.id
    left join tickets t on t.call_id = c.id
    left join quality_inspections qi on qi.ticket_id = t.id
    left join follow_ups f on f.ticket_id = t.id
    where c.arrived_at >= ${o.from} and c.arrived_at < ${o.until}
      and c.direction = 'inbound' and c.queued_at is not null
      and c.region_code in (${sql.join(o.regionCodes)})
    group by c.region_code
    order by c.region_code`.execute(db);
  const total = { ...zero };
  const byRegion = rows.map((r) => {
    const counts = Object.fromEntries((Object.keys(zero) as (keyof Counts)[]).map((k) => [k, Number(r[k])])) as Counts;
    for (const k of Object.keys(zero) as (keyof Counts)[]) total[k] += counts[k];
    return { regionCode: r.region_code, ...figures(counts, targets) };
  });
  return { targets, total: figures(total, targets), byRegion };
}
