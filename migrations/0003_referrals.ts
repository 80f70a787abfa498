import { type Kysely, sql } from 'kysely';

/**
 * Referrals followed to an outcome: accounts for the receiving organisations (legal aid centres,
 * mediation committees), when a referral was found overdue (so it is alerted once), callback
 * tasks that tell callers the outcome, and who reviewed a ticket's quality.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('agents').dropConstraint('agents_role_check').execute();
  await db.schema
    .alterTable('agents')
    .addCheckConstraint('agents_role_check', sql`role in ('agent', 'supervisor', 'admin', 'organisation')`)
    .execute();
  await db.schema.alterTable('agents').addColumn('organisation_id', 'uuid', (c) => c.references('organisations.id')).execute();
  await db.schema
    .alterTable('agents')
    .addCheckConstraint('agents_organisation_account', sql`(role = 'organisation') = (organisation_id is not null)`)
    .execute();

  await db.schema.alterTable('referrals').addColumn('accept_overdue_at', 'timestamptz').execute();
  await db.schema.alterTable('referrals').addColumn('close_overdue_at', 'timestamptz').execute();
  await db.schema.alterTable('referrals').addColumn('closed_at', 'timestamptz').execute();
  await db.schema.createIndex('referrals_status_accept_due_idx').on('referrals').columns(['status', 'accept_due_at']).execute();
  await db.schema.createIndex('referrals_status_close_due_idx').on('referrals').columns(['status', 'close_due_at']).execute();

  await db.schema.alterTable('tickets').addColumn('reviewed_by', 'uuid', (c) => c.references('agents.id')).execute();
  await db.schema.alterTable('tickets').addColumn('reviewed_at', 'timestamptz').execute();
  // The wallboard polls for calls newly flagged as a risk; risk-flagged tickets are few.
  await db.schema.createIndex('tickets_risk_updated_idx').on('tickets').column('updated_at').where(sql.ref('risk_flag'), '=', true).execute();

  await db.schema
    .createTable('callback_tasks')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('ticket_id', 'uuid', (c) => c.notNull().references('tickets.id'))
    .addColumn('referral_id', 'uuid', (c) => c.references('referrals.id'))
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`reason in ('referral_outcome', 'agent_request')`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open', 'queued', 'done', 'cancelled')`))
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('callback_id', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('callback_tasks_status_due_idx').on('callback_tasks').columns(['status', 'due_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('callback_tasks').execute();
  await db.schema.dropIndex('tickets_risk_updated_idx').execute();
  await db.schema.alterTable('tickets').dropColumn('reviewed_at').execute();
  await db.schema.alterTable('tickets').dropColumn('reviewed_by').execute();
  await db.schema.dropIndex('referrals_status_close_due_idx').execute();
  await db.schema.dropIndex('referrals_status_accept_due_idx').execute();
  await db.schema.alterTable('referrals').dropColumn('closed_at').execute();
  await db.schema.alterTable('referrals').dropColumn('close_overdue_at').execute();
  await db.schema.alterTable('referrals').dropColumn('accept_overdue_at').execute();
  await db.schema.alterTable('agents').dropConstraint('agents_organisation_account').execute();
  await db.schema.alterTable('agents').dropColumn('organisation_id').execute();
  await db.schema.alterTable('agents').dropConstraint('agents_role_check').execute();
  await db.schema.alterTable('agents').addCheckConstraint('agents_role_check', sql`role in ('agent', 'supervisor', 'admin')`).execute();
}
