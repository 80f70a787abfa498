import { type Kysely, sql } from 'kysely';

/**
 * A caller whose transfer to an outside number failed after the agent had already let the call
 * go is called back; the callback says why (`forward_failed`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table callbacks drop constraint callbacks_reason_check`.execute(db);
  await sql`alter table callbacks add constraint callbacks_reason_check check (reason in ('caller_request', 'queue_timeout', 'referral_outcome', 'agent_request', 'missed_call', 'voice_message', 'forward_failed'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`update callbacks set reason = 'caller_request' where reason = 'forward_failed'`.execute(db);
  await sql`alter table callbacks drop constraint callbacks_reason_check`.execute(db);
  await sql`alter table callbacks add constraint callbacks_reason_check check (reason in ('caller_request', 'queue_timeout', 'referral_outcome', 'agent_request', 'missed_call', 'voice_message'))`.execute(db);
}
