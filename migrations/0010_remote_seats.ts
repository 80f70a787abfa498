import { type Kysely, sql } from 'kysely';

/**
 * Remote seats (issue 14, item 5): a duty lawyer whose seat is their own phone. `seat_phone` is
 * the mainland number an offer rings (digits as dialled in China: a mobile, or a landline with
 * its area code); `seat_mode` says where the agent answers now — `desk` (the browser softphone)
 * or `phone` (signed in to routing as a remote seat). Kept in the database, not in the live
 * routing state, so that the router never learns about phone numbers.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table agents add column seat_phone text`.execute(db);
  await sql`alter table agents add constraint agents_seat_phone_check check (seat_phone is null or seat_phone ~ '^(0[1-9][0-9]{8,10}|1[3-9][0-9]{9})$')`.execute(db);
  await sql`alter table agents add column seat_mode text not null default 'desk'`.execute(db);
  await sql`alter table agents add constraint agents_seat_mode_check check (seat_mode in ('desk', 'phone') and (seat_mode = 'desk' or seat_phone is not null))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table agents drop constraint agents_seat_mode_check`.execute(db);
  await sql`alter table agents drop column seat_mode`.execute(db);
  await sql`alter table agents drop constraint agents_seat_phone_check`.execute(db);
  await sql`alter table agents drop column seat_phone`.execute(db);
}
