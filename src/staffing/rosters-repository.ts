import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { RosterStage } from '../db/schema';

export interface ShiftRow {
  agentId: string;
  username: string;
  displayName: string;
  servingRegion: string;
  languages: Record<string, number>;
  regionCode: string;
  start: number;
  end: number;
  publishedBy: string | null;
  publishedAt: Date | null;
}

/** The rosters' reads and writes: small named queries, each on the handle it is given. */
export const rostersRepository = {
  find(db: Db, provinceCode: string, date: string) {
    return db.selectFrom('rosters').selectAll().where('province_code', '=', provinceCode).where('roster_date', '=', date).executeTakeFirst();
  },

  /** The day's roster, made if missing, locked until the transaction ends: writes to one day take turns. */
  async lock(trx: Db, provinceCode: string, date: string, actorId: string): Promise<string> {
    await trx
      .insertInto('rosters')
      .values({ province_code: provinceCode, roster_date: date, created_by: actorId })
      .onConflict((oc) => oc.columns(['province_code', 'roster_date']).doNothing())
      .execute();
    const row = await trx.selectFrom('rosters').select('id').where('province_code', '=', provinceCode).where('roster_date', '=', date).forUpdate().executeTakeFirstOrThrow();
    await trx.updateTable('rosters').set({ updated_at: sql`now()` }).where('id', '=', row.id).execute();
    return row.id;
  },

  /** Shifts of one stage in these regions, with who is on them. */
  async shifts(db: Db, rosterId: string, stage: RosterStage, regionCodes: string[]): Promise<ShiftRow[]> {
    if (regionCodes.length === 0) return [];
    const rows = await db
      .selectFrom('roster_shifts as s')
      .innerJoin('agents as a', 'a.id', 's.agent_id')
      .select(['s.agent_id', 'a.username', 'a.display_name', 'a.region_code as serving_region', 'a.languages', 's.region_code', 's.start_minute', 's.end_minute', 's.published_by', 's.published_at'])
      .where('s.roster_id', '=', rosterId)
      .where('s.stage', '=', stage)
      .where('s.region_code', 'in', regionCodes)
      .orderBy('s.region_code')
      .orderBy('s.start_minute')
      .orderBy('a.username')
      .execute();
    return rows.map((r) => ({
      agentId: r.agent_id,
      username: r.username,
      displayName: r.display_name,
      servingRegion: r.serving_region,
      languages: r.languages,
      regionCode: r.region_code,
      start: r.start_minute,
      end: r.end_minute,
      publishedBy: r.published_by,
      publishedAt: r.published_at,
    }));
  },

  /** Draft shifts of these agents outside these regions: what a change to the regions must fit around. */
  async otherShifts(db: Db, rosterId: string, agentIds: string[], regionCodes: string[]) {
    if (agentIds.length === 0) return [];
    let q = db
      .selectFrom('roster_shifts')
      .select(['agent_id as agentId', 'region_code as regionCode', 'start_minute as start', 'end_minute as end'])
      .where('roster_id', '=', rosterId)
      .where('stage', '=', 'draft')
      .where('agent_id', 'in', agentIds);
    if (regionCodes.length > 0) q = q.where('region_code', 'not in', regionCodes);
    return q.execute();
  },

  async replaceDrafts(trx: Db, rosterId: string, regionCodes: string[], shifts: { agentId: string; regionCode: string; start: number; end: number }[]) {
    await trx.deleteFrom('roster_shifts').where('roster_id', '=', rosterId).where('stage', '=', 'draft').where('region_code', 'in', regionCodes).execute();
    for (let i = 0; i < shifts.length; i += 2_000) {
      await trx
        .insertInto('roster_shifts')
        .values(shifts.slice(i, i + 2_000).map((s) => ({ roster_id: rosterId, stage: 'draft' as const, agent_id: s.agentId, region_code: s.regionCode, start_minute: s.start, end_minute: s.end })))
        .execute();
    }
  },

  /** The regions' draft becomes their published roster; returns how many shifts were published. */
  async publish(trx: Db, rosterId: string, regionCodes: string[], actorId: string): Promise<number> {
    await trx.deleteFrom('roster_shifts').where('roster_id', '=', rosterId).where('stage', '=', 'published').where('region_code', 'in', regionCodes).execute();
    const result = await trx
      .insertInto('roster_shifts')
      .columns(['roster_id', 'stage', 'agent_id', 'region_code', 'start_minute', 'end_minute', 'published_by', 'published_at'])
      .expression((eb) =>
        eb
          .selectFrom('roster_shifts')
          .select(['roster_id', sql<string>`'published'`.as('stage'), 'agent_id', 'region_code', 'start_minute', 'end_minute', sql<string>`${actorId}::uuid`.as('published_by'), sql<Date>`now()`.as('published_at')])
          .where('roster_id', '=', rosterId)
          .where('stage', '=', 'draft')
          .where('region_code', 'in', regionCodes),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0);
  },

  /** An agent's published shifts over a range of days, with the region's names. */
  mine(db: Db, o: { provinceCode: string; agentId: string; from: string; to: string }) {
    return db
      .selectFrom('roster_shifts as s')
      .innerJoin('rosters as r', 'r.id', 's.roster_id')
      .select(['r.roster_date as date', 's.region_code as regionCode', 's.start_minute as start', 's.end_minute as end'])
      .where('r.province_code', '=', o.provinceCode)
      .where('r.roster_date', '>=', o.from)
      .where('r.roster_date', '<=', o.to)
      .where('s.stage', '=', 'published')
      .where('s.agent_id', '=', o.agentId)
      .orderBy('r.roster_date')
      .orderBy('s.start_minute')
      .execute();
  },

  displayName(db: Db, id: string) {
    return db.selectFrom('agents').select(['id', 'username', 'display_name']).where('id', '=', id).executeTakeFirst();
  },
};
