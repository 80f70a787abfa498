import { type Kysely, sql } from 'kysely';

/**
 * Surviving faults: timeline entries carry the id of the write that made them, so a write kept
 * in the outbox during a database outage and applied twice (once before the outage was noticed,
 * once from the journal) adds one row; a call closed for an operational reason says why
 * (`end_detail`: the node carrying it died, the phone system no longer had it); and callbacks are
 * promises kept in the database — booked the moment the caller is told, retried by the
 * province's policy, ended only as completed, failed or cancelled.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('call_events').addColumn('write_id', 'uuid').execute();
  await db.schema.createIndex('call_events_write_key').on('call_events').column('write_id').unique().execute();
  await db.schema.alterTable('calls').addColumn('end_detail', 'text').execute();
  // The reaper looks for calls that have not ended, oldest first.
  await db.schema.createIndex('calls_open_idx').on('calls').column('arrived_at').where(sql.ref('status'), '!=', 'ended').execute();

  await db.schema
    .createTable('callbacks')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('province_code', 'char(6)', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`reason in ('caller_request', 'queue_timeout', 'referral_outcome', 'agent_request')`))
    // No foreign key: during a database outage the booking may be written before the call's own
    // row (both come from the outbox, possibly of two nodes).
    .addColumn('origin_call_id', 'uuid')
    .addColumn('ticket_id', 'uuid')
    .addColumn('task_id', 'uuid')
    .addColumn('caller_number', 'text', (c) => c.notNull())
    .addColumn('region_code', 'char(6)')
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'queued', 'completed', 'failed', 'cancelled')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    // The current attempt's id in the live queue, which is also the id of its outbound call record.
    .addColumn('attempt_id', 'uuid')
    .addColumn('queued_at', 'timestamptz')
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('last_result', 'text', (c) => c.check(sql`last_result in ('reached', 'no_answer', 'busy', 'wrong_number')`))
    .addColumn('agent_id', 'uuid')
    .addColumn('closed_at', 'timestamptz')
    .addColumn('close_reason', 'text')
    .addColumn('closed_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('callbacks_status_next_idx').on('callbacks').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('callbacks_created_idx').on('callbacks').columns(['province_code', 'created_at']).execute();
  await db.schema.createIndex('callbacks_attempt_key').on('callbacks').column('attempt_id').unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('callbacks').execute();
  await db.schema.dropIndex('calls_open_idx').execute();
  await db.schema.alterTable('calls').dropColumn('end_detail').execute();
  await db.schema.dropIndex('call_events_write_key').execute();
  await db.schema.alterTable('call_events').dropColumn('write_id').execute();
}
