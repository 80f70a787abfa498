import { type Kysely, sql } from 'kysely';

/**
 * What the call flow needs beyond the first schema: where a call's region came from (number,
 * IVR choice or neither), which callback a call became, and a per-day counter that numbers
 * tickets QH-20261121-000123 without gaps or races across nodes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('calls')
    .addColumn('region_source', 'text', (c) => c.check(sql`region_source in ('area_code', 'geocoder', 'outside_province', 'unknown', 'ivr')`))
    .execute();
  await db.schema.alterTable('calls').addColumn('callback_id', 'uuid').execute();
  await db.schema
    .createTable('ticket_counters')
    .addColumn('province_code', 'char(6)', (c) => c.notNull())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('last', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('ticket_counters_pkey', ['province_code', 'day'])
    .execute();
  await db.schema.createIndex('tickets_call_key').on('tickets').column('call_id').unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('tickets_call_key').execute();
  await db.schema.dropTable('ticket_counters').execute();
  await db.schema.alterTable('calls').dropColumn('callback_id').execute();
  await db.schema.alterTable('calls').dropColumn('region_source').execute();
}
