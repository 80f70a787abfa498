import { sql } from 'kysely';
import { z } from 'zod';
import type { Actor } from '../auth/actor';
import { scopeRoot } from '../auth/scope';
import { auditRepository } from '../audit/audit-repository';
import type { Db } from '../db/database';
import { Errors } from '../errors/errors';
import type { RegionDirectory } from '../regions/region-directory';

export const PlanDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), { message: 'must be a real date', params: { messageZh: '不是有效日期' } })
  // A plan for 1900 is a typo, not a plan.
  .refine((d) => d >= '2000-01-01' && d <= '2099-12-31', { message: 'must be between 2000-01-01 and 2099-12-31', params: { messageZh: '应在 2000-01-01 至 2099-12-31 之间' } });

/** Half-hours in a plan's day. */
export const PLAN_INTERVALS = 48;

/**
 * What a plan's request body may weigh. The compact form of a 100-region province is ~15 KB; the
 * entry form of 100 regions × 96 intervals ~540 KB (2,544 entries, all of Qinghai, are 153 KB —
 * over the service's 64 KiB default, which is why these routes have a limit of their own).
 */
export const PLAN_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

const RegionCode = z.string().regex(/^\d{6}$/, 'must be a 6-digit region code');
const Seats = z.number().int().min(0).max(10_000);

export const PlanEntry = z.strictObject({
  regionCode: RegionCode,
  intervalStart: z
    .number()
    .int()
    .min(0)
    .max(1410)
    .refine((m) => m % 30 === 0, { message: 'must be a half-hour start: 0, 30, … 1410 minutes', params: { messageZh: '应为半点的起始分钟：0、30 … 1410' } }),
  seats: Seats,
});
export type PlanEntry = z.infer<typeof PlanEntry>;

/**
 * A day's seats, in either of two forms: `entries` (one object per region and half-hour) or
 * `seats` (per region, the 48 half-hours' seats in order) — the compact form the page sends.
 */
export const PlanSeats = z
  .strictObject({
    entries: z.array(PlanEntry).max(50_000).optional(),
    seats: z.record(RegionCode, z.array(Seats).length(PLAN_INTERVALS, `must list the ${PLAN_INTERVALS} half-hours of the day`)).optional(),
  })
  .refine((b) => (b.entries === undefined) !== (b.seats === undefined), { message: 'give the plan as entries or as seats (one of them)', params: { messageZh: '请以 entries 或 seats 之一给出计划' } })
  .refine((b) => !b.entries || new Set(b.entries.map((e) => `${e.regionCode}|${e.intervalStart}`)).size === b.entries.length, {
    message: 'entries: each region and interval may appear once',
    params: { messageZh: 'entries 中同一地区同一时段只能出现一次' },
  });
export type PlanSeats = z.infer<typeof PlanSeats>;

export const SeatPlanBody = PlanSeats;
export type SeatPlanBody = PlanSeats;

/** Either form as entries, each with the field to name should it be refused. */
export function planEntries(body: PlanSeats, prefix = ''): Array<PlanEntry & { field: string }> {
  if (body.entries) return body.entries.map((e, i) => ({ ...e, field: `${prefix}entries.${i}.regionCode` }));
  return Object.entries(body.seats ?? {}).flatMap(([regionCode, seats]) => seats.map((n, i) => ({ regionCode, intervalStart: i * 30, seats: n, field: `${prefix}seats.${regionCode}` })));
}

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
      const entries = planEntries(body);
      for (const e of entries) {
        if (!regions.get(e.regionCode)) throw new Errors.UNKNOWN_REGION(e.field, e.regionCode);
        if (!inArea.has(e.regionCode)) throw new Errors.OUT_OF_SCOPE(e.regionCode, root);
      }
      await db.transaction().execute(async (trx) => {
        const plan = await trx
          .insertInto('seat_plans')
          .values({ province_code: provinceCode, plan_date: date, created_by: actor.id })
          .onConflict((oc) => oc.columns(['province_code', 'plan_date']).doUpdateSet({ updated_at: sql`now()` }))
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx.deleteFrom('seat_plan_entries').where('plan_id', '=', plan.id).where('region_code', 'in', area).execute();
        if (entries.length > 0) {
          for (let i = 0; i < entries.length; i += 5_000) {
            await trx
              .insertInto('seat_plan_entries')
              .values(entries.slice(i, i + 5_000).map((e) => ({ plan_id: plan.id, region_code: e.regionCode, interval_start: e.intervalStart, seats: e.seats })))
              .execute();
          }
        }
        await audit.record({ actor, action: 'seat_plan.put', entityType: 'seat_plan', entityId: date, requestId, details: { area: root, entries: entries.length } }, trx);
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
