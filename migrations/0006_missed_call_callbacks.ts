import { type Kysely, sql } from 'kysely';

/**
 * Missed-call callbacks (漏接回拨): a caller who gave up in the queue after a while is called
 * back, once per number and day, when the province turns it on (settings.callbacks.missedCall).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table callbacks drop constraint callbacks_reason_check`.execute(db);
  await sql`alter table callbacks add constraint callbacks_reason_check check (reason in ('caller_request', 'queue_timeout', 'referral_outcome', 'agent_request', 'missed_call'))`.execute(db);
  // "Has this number had its missed-call callback today?" is asked at every such booking.
  await db.schema.createIndex('callbacks_missed_number_idx').on('callbacks').columns(['caller_number', 'created_at']).where(sql.ref('reason'), '=', 'missed_call').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('callbacks_missed_number_idx').execute();
  await sql`delete from callbacks where reason = 'missed_call'`.execute(db);
  await sql`alter table callbacks drop constraint callbacks_reason_check`.execute(db);
  await sql`alter table callbacks add constraint callbacks_reason_check check (reason in ('caller_request', 'queue_timeout', 'referral_outcome', 'agent_request'))`.execute(db);
}
