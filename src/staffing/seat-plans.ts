import { sql } from 'kysely';
import { z } from 'zod';
import type { Actor } from '../auth/actor';
import { scopeRoot } from '../auth/scope';
import { auditRepository } from '../audit/audit-repository';
import type { Db } from '../db/database';
import { Errors } from '../errors/errors';
import type { RegionDirectory } from '../regions/region-directory';

export const PlanDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'must be a real date');

export const PlanEntry = z.strictObject({
  regionCode: z.string().regex(/^\d{6}$/, 'must be a 6-digit region code'),
  intervalStart: z.number().int().min(0).max(1410).refine((m) => m % 30 === 0, 'must be a half-hour start: 0, 30, … 1410 minutes'),
  seats: z.number().int().min(0).max(10_000),
});

export const SeatPlanBody = z
  .strictObject({ entries: z.array(PlanEntry).max(50_000) })
  .refine((b) => new Set(b.entries.map((e) => `${e.regionCode}|${e.intervalStart}`)).size === b.entries.length, 'entries: each region and interval may appear once');
export type SeatPlanBody = z.infer<typeof SeatPlanBody>;

/**
 * Seat plans per day: seats per region per half-hour. A supervisor reads and replaces the part
 * of the day's plan inside their area; the rest of the plan stays as it is.
 */
export function seatPlans({ db, regions, provinceCode }: { db: Db; regions: RegionDirectory; provinceCode: string }) {
  const audit = auditRepository(db);

  return {
    async get(actor: Actor, date: string) {
      const area = regions.subtree(scopeRoot(actor, regions));
      const plan = await db.selectFrom('seat_plans').selectAll().where('province_code', '=', provinceCode).where('plan_date', '=', date).executeTakeFirst();
      if (!plan) return { date, saved: false, entries: [] as z.infer<typeof PlanEntry>[], updatedAt: null };
      const rows = await db
        .selectFrom('seat_plan_entries')
        .select(['region_code', 'interval_start', 'seats'])
        .where('plan_id', '=', plan.id)
        .where('region_code', 'in', area)
        .orderBy('region_code')
        .orderBy('interval_start')
        .execute();
      return { date, saved: true, entries: rows.map((r) => ({ regionCode: r.region_code, intervalStart: r.interval_start, seats: r.seats })), updatedAt: plan.updated_at };
    },

    /** Replaces the plan's entries for the actor's area with these; one transaction. */
    async put(actor: Actor, date: string, body: SeatPlanBody, requestId: string) {
      const root = scopeRoot(actor, regions);
      const area = regions.subtree(root);
      const inArea = new Set(area);
      body.entries.forEach((e, i) => {
        if (!regions.get(e.regionCode)) throw new Errors.UNKNOWN_REGION(`entries.${i}.regionCode`, e.regionCode);
        if (!inArea.has(e.regionCode)) throw new Errors.OUT_OF_SCOPE(e.regionCode, root);
      });
      await db.transaction().execute(async (trx) => {
        const plan = await trx
          .insertInto('seat_plans')
          .values({ province_code: provinceCode, plan_date: date, created_by: actor.id })
          .onConflict((oc) => oc.columns(['province_code', 'plan_date']).doUpdateSet({ updated_at: sql`now()` }))
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx.deleteFrom('seat_plan_entries').where('plan_id', '=', plan.id).where('region_code', 'in', area).execute();
        if (body.entries.length > 0) {
          for (let i = 0; i < body.entries.length; i += 5_000) {
            await trx
              .insertInto('seat_plan_entries')
              .values(body.entries.slice(i, i + 5_000).map((e) => ({ plan_id: plan.id, region_code: e.regionCode, interval_start: e.intervalStart, seats: e.seats })))
              .execute();
          }
        }
        await audit.record({ actor, action: 'seat_plan.put', entityType: 'seat_plan', entityId: date, requestId, details: { area: root, entries: body.entries.length } }, trx);
      });
      return this.get(actor, date);
    },

    /** Seats per region per interval (48), for a day's saved plan; regions without entries plan 0. */
    async matrix(date: string): Promise<Record<string, number[]> | null> {
      const plan = await db.selectFrom('seat_plans').select('id').where('province_code', '=', provinceCode).where('plan_date', '=', date).executeTakeFirst();
      if (!plan) return null;
      const rows = await db.selectFrom('seat_plan_entries').select(['region_code', 'interval_start', 'seats']).where('plan_id', '=', plan.id).execute();
      const out: Record<string, number[]> = {};
      for (const r of rows) (out[r.region_code] ??= new Array(48).fill(0))[r.interval_start / 30] = r.seats;
      return out;
    },
  };
}
