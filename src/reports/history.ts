import { sql } from 'kysely';
import type { Db } from '../db/database';

/** Calls that reached the queue, per region, China Standard Time day and half-hour: the forecast's input. */
export async function intervalHistory(db: Db, o: { since: Date; until: Date; regionCodes: string[] }) {
  if (o.regionCodes.length === 0) return [];
  const { rows } = await sql<{ region_code: string; date: string; interval_start: number; calls: number }>`
    select c.region_code,
      to_char(c.arrived_at + interval '8 hours', 'YYYY-MM-DD') as date,
      (extract(hour from c.arrived_at + interval '8 hours') * 60 + floor(extract(minute from c.arrived_at + interval '8 hours') / 30) * 30)::int as interval_start,
      count(*)::int as calls
    from calls c
    where c.arrived_at >= ${o.since} and c.arrived_at < ${o.until} and c.direction = 'inbound' and c.queued_at is not null
      and c.region_code in (${sql.join(o.regionCodes)})
    group by 1, 2, 3`.execute(db);
  return rows.map((r) => ({ regionCode: r.region_code, date: r.date, intervalStart: Number(r.interval_start), calls: Number(r.calls) }));
}
