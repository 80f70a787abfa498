import { type Kysely, sql } from 'kysely';

/**
 * Duty rosters (排班, issue 15): named agents on shifts, per day, built from the day's seat plan.
 * A shift is kept twice over: the supervisors' draft and what was last published, which is all
 * that agents and the wallboard's adherence see. Publishing an area copies its draft over its
 * published shifts, so a supervisor can fix a published roster without agents seeing the
 * half-made change. Times are minutes after China-time midnight on half-hour boundaries (a
 * shift ends at 24:00 at the latest; a night shift is two shifts on two days). No two shifts of
 * an agent overlap: the service checks it under a lock on the day's roster, since an exclusion
 * constraint would need btree_gist, which the embedded database does not ship.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('rosters')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('province_code', 'char(6)', (c) => c.notNull().references('provinces.code'))
    .addColumn('roster_date', 'date', (c) => c.notNull())
    .addColumn('created_by', 'uuid', (c) => c.references('agents.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint('rosters_province_date_key', ['province_code', 'roster_date'])
    .execute();

  await db.schema
    .createTable('roster_shifts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('roster_id', 'uuid', (c) => c.notNull().references('rosters.id').onDelete('cascade'))
    .addColumn('stage', 'text', (c) => c.notNull().check(sql`stage in ('draft', 'published')`))
    .addColumn('agent_id', 'uuid', (c) => c.notNull().references('agents.id'))
    .addColumn('region_code', 'char(6)', (c) => c.notNull().references('regions.code'))
    .addColumn('start_minute', 'smallint', (c) => c.notNull().check(sql`start_minute between 0 and 1410 and start_minute % 30 = 0`))
    .addColumn('end_minute', 'smallint', (c) => c.notNull().check(sql`end_minute between 30 and 1440 and end_minute % 30 = 0`))
    // Set on published shifts: who published them and when.
    .addColumn('published_by', 'uuid', (c) => c.references('agents.id'))
    .addColumn('published_at', 'timestamptz')
    .addCheckConstraint('roster_shifts_order_check', sql`end_minute > start_minute`)
    .addCheckConstraint('roster_shifts_published_check', sql`(stage = 'published') = (published_at is not null)`)
    .execute();
  await db.schema.createIndex('roster_shifts_roster_stage_idx').on('roster_shifts').columns(['roster_id', 'stage']).execute();
  // An agent's own shifts (the desk), over the days ahead.
  await db.schema.createIndex('roster_shifts_agent_idx').on('roster_shifts').columns(['agent_id', 'stage']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('roster_shifts').execute();
  await db.schema.dropTable('rosters').execute();
}
