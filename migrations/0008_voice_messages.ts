import { type Kysely, sql } from 'kysely';

/**
 * Voice messages (留言): a caller who leaves one out of hours, or because nobody speaks their
 * language, is called back; the callback says why (`voice_message`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table callbacks drop constraint callbacks_reason_check`.execute(db);
  await sql`alter table callbacks add constraint callbacks_reason_check check (reason in ('caller_request', 'queue_timeout', 'referral_outcome', 'agent_request', 'missed_call', 'voice_message'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`update callbacks set reason = 'caller_request' where reason = 'voice_message'`.execute(db);
  await sql`alter table callbacks drop constraint callbacks_reason_check`.execute(db);
  await sql`alter table callbacks add constraint callbacks_reason_check check (reason in ('caller_request', 'queue_timeout', 'referral_outcome', 'agent_request', 'missed_call'))`.execute(db);
}
