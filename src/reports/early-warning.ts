import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { RegionDirectory } from '../regions/region-directory';
import { DAY_MS, startOfChinaDay } from '../time/china-time';

/** A topic in a prefecture running far above its usual volume today (e.g. wage arrears before Spring Festival). */
export interface TopicSpike {
  regionCode: string;
  topic: string;
  /** Calls today so far. */
  today: number;
  /** Calls expected by this time of day, from the previous weeks. */
  baseline: number;
  ratio: number;
}

const BASELINE_DAYS = 28;

/**
 * Compares each prefecture's calls per topic today with the same topic's average over the last
 * four weeks, scaled to the share of the day gone by. Counties are summed into their prefecture,
 * where volumes are large enough to mean something; calls from outside any prefecture count for
 * the province. With an `area` (a supervisor's region) only calls inside it count and only rows
 * inside it come back: a county's calls are then summed into the county.
 */
export async function detectTopicSpikes(db: Db, o: { regions: RegionDirectory; now: Date; area?: string; minCalls?: number; ratio?: number }): Promise<TopicSpike[]> {
  const minCalls = o.minCalls ?? 10;
  const ratio = o.ratio ?? 3;
  const area = o.area ?? o.regions.province.code;
  const inArea = area === o.regions.province.code ? sql`` : sql`and region_code in (${sql.join(o.regions.subtree(area))})`;
  const unitOf = (code: string | null) => {
    const prefecture = prefectureOf(o.regions, code);
    return o.regions.isWithin(prefecture, area) ? prefecture : area;
  };
  const dayStart = startOfChinaDay(o.now);
  const since = new Date(dayStart.getTime() - BASELINE_DAYS * DAY_MS);
  const { rows } = await sql<{ region_code: string | null; topic: string; today: number; before: number }>`
    select region_code, topic,
      count(*) filter (where arrived_at >= ${dayStart})::int as today,
      count(*) filter (where arrived_at < ${dayStart})::int as before
    from calls
    where arrived_at >= ${since} and arrived_at <= ${o.now} and topic is not null and direction = 'inbound' ${inArea}
    group by region_code, topic`.execute(db);

  const byKey = new Map<string, { regionCode: string; topic: string; today: number; before: number }>();
  for (const r of rows) {
    const regionCode = unitOf(r.region_code);
    const key = `${regionCode}|${r.topic}`;
    const acc = byKey.get(key) ?? { regionCode, topic: r.topic, today: 0, before: 0 };
    acc.today += Number(r.today);
    acc.before += Number(r.before);
    byKey.set(key, acc);
  }
  // The share of a day's calls that have usually arrived by now; calls cluster in office hours,
  // so a linear share from 08:00 to 20:00 is a fair, simple yardstick.
  const hour = ((o.now.getTime() - dayStart.getTime()) / 3_600_000);
  const elapsed = Math.min(1, Math.max(0.05, (hour - 8) / 12));
  const spikes: TopicSpike[] = [];
  for (const a of byKey.values()) {
    const baseline = (a.before / BASELINE_DAYS) * elapsed;
    const r = a.today / Math.max(baseline, 1);
    if (a.today >= minCalls && r >= ratio) spikes.push({ regionCode: a.regionCode, topic: a.topic, today: a.today, baseline: Math.round(baseline * 10) / 10, ratio: Math.round(r * 10) / 10 });
  }
  return spikes.sort((x, y) => y.ratio - x.ratio);
}

function prefectureOf(regions: RegionDirectory, code: string | null): string {
  if (!code) return regions.province.code;
  const lineage = regions.lineage(code);
  return lineage.find((r) => r.level === 'prefecture')?.code ?? regions.province.code;
}
