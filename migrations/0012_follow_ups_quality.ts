import { type Kysely, sql } from 'kysely';

/**
 * Follow-up and quality inspection (回访 / 质检, issue 15 item 6), after the targets of Anhui's
 * 12348 contract: every caller who rates a call 1 or 2 is followed up within one working day
 * (`follow_ups`: one per ticket, worked by a callback — reason `follow_up` — and closed with an
 * outcome), and a share of answered calls' tickets is inspected against the province's
 * evaluation form (`quality_inspections`: one per ticket, each criterion's score kept with the
 * form it was scored on, so a later change of the form does not rewrite old scores).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('follow_ups')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    // One per ticket: a survey saved twice (a replay from the records journal) opens nothing more.
    .addColumn('ticket_id', 'uuid', (c) => c.notNull().unique().references('tickets.id'))
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`reason in ('dissatisfied')`))
    .addColumn('survey_score', 'smallint', (c) => c.check(sql`survey_score between 1 and 5`))
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open', 'done')`))
    .addColumn('outcome', 'text', (c) => c.check(sql`outcome in ('resolved', 'explained', 'escalated_complaint', 'unreachable')`))
    .addColumn('note', 'text')
    // The latest callback booked to work it (callbacks has no foreign keys: see 0005).
    .addColumn('callback_id', 'uuid')
    .addColumn('done_by', 'uuid', (c) => c.references('agents.id'))
    .addColumn('done_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('follow_ups_done_has_outcome', sql`(status = 'done') = (outcome is not null and done_at is not null)`)
    .execute();
  await db.schema.createIndex('follow_ups_status_due_idx').on('follow_ups').columns(['status', 'due_at']).execute();

  await db.schema
    .createTable('quality_inspections')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('ticket_id', 'uuid', (c) => c.notNull().unique().references('tickets.id'))
    // The ticket's agent when it was scored: the per-agent report does not follow later transfers.
    .addColumn('agent_id', 'uuid', (c) => c.references('agents.id'))
    .addColumn('inspector_id', 'uuid', (c) => c.notNull().references('agents.id'))
    // [{code, max}] as the form stood, and {code: score}.
    .addColumn('criteria', 'jsonb', (c) => c.notNull())
    .addColumn('scores', 'jsonb', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull().check(sql`total >= 0`))
    .addColumn('max_total', 'integer', (c) => c.notNull().check(sql`max_total > 0`))
    .addColumn('comment', 'text')
    // Drawn by the sample (true) or chosen by the inspector (false).
    .addColumn('sampled', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('quality_inspections_total_within_max', sql`total <= max_total`)
    .execute();
  await db.schema.createIndex('quality_inspections_agent_idx').on('quality_inspections').columns(['agent_id', 'created_at']).execute();

  await sql`alter table callbacks drop constraint callbacks_reason_check`.execute(db);
  await sql`alter table callbacks add constraint callbacks_reason_check check (reason in ('caller_request', 'queue_timeout', 'referral_outcome', 'agent_request', 'missed_call', 'voice_message', 'forward_failed', 'follow_up'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`update callbacks set reason = 'agent_request' where reason = 'follow_up'`.execute(db);
  await sql`alter table callbacks drop constraint callbacks_reason_check`.execute(db);
  await sql`alter table callbacks add constraint callbacks_reason_check check (reason in ('caller_request', 'queue_timeout', 'referral_outcome', 'agent_request', 'missed_call', 'voice_message', 'forward_failed'))`.execute(db);
  await db.schema.dropTable('quality_inspections').execute();
  await db.schema.dropTable('follow_ups').execute();
}
