import { type Kysely, sql } from 'kysely';

/**
 * A version per account, carried in its tokens (`tv`): changing the password, disabling the
 * account or changing its role raises it, so every token issued before stops working at once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('agents').addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(0).check(sql`token_version >= 0`)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('agents').dropColumn('token_version').execute();
}
