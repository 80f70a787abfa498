import { type Kysely, sql } from 'kysely';

/**
 * Callbacks dialled by the phone system: an attempt whose dial failed (the trunk refused it, the
 * agent's phone could not be reached) is recorded as `failed` and tried again by the policy, like
 * one the caller did not answer.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table callbacks drop constraint callbacks_last_result_check`.execute(db);
  await sql`alter table callbacks add constraint callbacks_last_result_check check (last_result in ('reached', 'no_answer', 'busy', 'wrong_number', 'failed'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`update callbacks set last_result = 'no_answer' where last_result = 'failed'`.execute(db);
  await sql`alter table callbacks drop constraint callbacks_last_result_check`.execute(db);
  await sql`alter table callbacks add constraint callbacks_last_result_check check (last_result in ('reached', 'no_answer', 'busy', 'wrong_number'))`.execute(db);
}
