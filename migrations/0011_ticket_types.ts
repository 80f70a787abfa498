import { type Kysely, sql } from 'kysely';

/**
 * Ticket type (issue 15, item 7): what the caller came for — consultation (咨询), help (求助),
 * complaint (投诉) or suggestion (建议). Every ticket has one; tickets written before the type
 * existed were almost all questions about the law, so they become consultations, and a ticket
 * opened by the call flow starts as one until the agent says otherwise. A constant default adds
 * the column without rewriting the table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tickets add column type text not null default 'consultation'`.execute(db);
  await sql`alter table tickets add constraint tickets_type_check check (type in ('consultation', 'help', 'complaint', 'suggestion'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tickets drop constraint tickets_type_check`.execute(db);
  await sql`alter table tickets drop column type`.execute(db);
}
