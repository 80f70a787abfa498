import { type Kysely, sql } from 'kysely';

/**
 * The whole first schema: the province's region tree and organisations, staff accounts with
 * their skills, call records with their timelines, tickets, referrals, seat plans, surveys and
 * the audit log. Later migrations add to it; none edits this one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;

  await db.schema
    .createTable('provinces')
    .addColumn('code', 'char(6)', (c) => c.primaryKey())
    .addColumn('ticket_prefix', 'text', (c) => c.notNull())
    // IVR languages in menu order.
    .addColumn('languages', 'jsonb', (c) => c.notNull())
    // Routing, wrap-up, callback and referral settings; later migrations give them shape.
    .addColumn('settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('regions')
    .addColumn('code', 'char(6)', (c) => c.primaryKey())
    .addColumn('province_code', 'char(6)', (c) => c.notNull().references('provinces.code'))
    .addColumn('level', 'text', (c) => c.notNull().check(sql`level in ('province', 'prefecture', 'county')`))
    .addColumn('parent_code', 'char(6)', (c) => c.references('regions.code'))
    .addColumn('name_zh', 'text', (c) => c.notNull())
    .addColumn('name_pinyin', 'text', (c) => c.notNull())
    .addColumn('population_2020', 'integer', (c) => c.check(sql`population_2020 >= 0`))
    .addColumn('population_source', 'text', (c) => c.notNull())
    // Census figure where known, else the parent's unexplained remainder shared out (see import).
    .addColumn('population_estimate', 'integer', (c) => c.notNull().check(sql`population_estimate >= 0`))
    .addColumn('area_code', 'text')
    .addColumn('former_codes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addCheckConstraint('regions_parent_by_level', sql`(level = 'province') = (parent_code is null)`)
    .execute();
  await db.schema.createIndex('regions_parent_idx').on('regions').column('parent_code').execute();

  await db.schema
    .createTable('organisations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('legal_aid_centre', 'mediation_committee', 'judicial_office', 'department')`),
    )
    .addColumn('name_zh', 'text', (c) => c.notNull())
    .addColumn('name_en', 'text', (c) => c.notNull())
    .addColumn('region_code', 'char(6)', (c) => c.notNull().references('regions.code'))
    .addColumn('phone', 'text')
    .addColumn('address', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('organisations_region_kind_idx').on('organisations').columns(['region_code', 'kind']).execute();

  await db.schema
    .createTable('agents')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('agent', 'supervisor', 'admin')`))
    // An agent's serving region; a supervisor's area (the subtree they see and change).
    .addColumn('region_code', 'char(6)', (c) => c.notNull().references('regions.code'))
    .addColumn('languages', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('topics', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('last_login_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('agents_username_key').on('agents').expression(sql`lower(username)`).unique().execute();
  await db.schema.createIndex('agents_region_idx').on('agents').column('region_code').execute();

  await db.schema
    .createTable('calls')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('province_code', 'char(6)', (c) => c.notNull())
    .addColumn('driver', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('direction', 'text', (c) => c.notNull().defaultTo('inbound').check(sql`direction in ('inbound', 'outbound')`))
    .addColumn('caller_number', 'text', (c) => c.notNull())
    .addColumn('region_code', 'char(6)', (c) => c.references('regions.code'))
    .addColumn('language', 'text')
    .addColumn('topic', 'text')
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('priority_group', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('ivr', 'queued', 'offered', 'connected', 'wrap_up', 'survey', 'ended')`),
    )
    .addColumn('end_reason', 'text', (c) =>
      c.check(sql`end_reason in ('answered', 'abandoned', 'callback', 'rejected', 'failed')`),
    )
    .addColumn('agent_id', 'uuid', (c) => c.references('agents.id'))
    .addColumn('arrived_at', 'timestamptz', (c) => c.notNull())
    .addColumn('queued_at', 'timestamptz')
    .addColumn('answered_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('wait_ms', 'integer')
    .addColumn('talk_ms', 'integer')
    .addColumn('recording_url', 'text')
    .addUniqueConstraint('calls_driver_external_id_key', ['driver', 'external_id'])
    .execute();
  await db.schema.createIndex('calls_arrived_idx').on('calls').columns(['province_code', 'arrived_at']).execute();
  await db.schema.createIndex('calls_caller_idx').on('calls').column('caller_number').execute();

  await db.schema
    .createTable('call_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('call_id', 'uuid', (c) => c.notNull().references('calls.id').onDelete('cascade'))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('call_events_call_idx').on('call_events').columns(['call_id', 'at']).execute();

  await db.schema
    .createTable('tickets')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('number', 'text', (c) => c.notNull().unique())
    .addColumn('call_id', 'uuid', (c) => c.references('calls.id'))
    .addColumn('caller_number', 'text', (c) => c.notNull())
    .addColumn('region_code', 'char(6)', (c) => c.references('regions.code'))
    .addColumn('language', 'text')
    .addColumn('topic', 'text')
    .addColumn('summary', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('advice', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('outcome', 'text', (c) =>
      c.check(sql`outcome in ('answered', 'refer_legal_aid', 'refer_mediation', 'divert', 'callback')`),
    )
    .addColumn('risk_flag', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('agent_id', 'uuid', (c) => c.references('agents.id'))
    .addColumn('survey_score', 'smallint', (c) => c.check(sql`survey_score between 1 and 5`))
    .addColumn('quality_score', 'smallint', (c) => c.check(sql`quality_score between 1 and 5`))
    .addColumn('quality_comment', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('tickets_caller_idx').on('tickets').columns(['caller_number', 'created_at']).execute();
  await db.schema.createIndex('tickets_region_created_idx').on('tickets').columns(['region_code', 'created_at']).execute();
  await db.schema.createIndex('tickets_call_idx').on('tickets').column('call_id').execute();

  await db.schema
    .createTable('referrals')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('ticket_id', 'uuid', (c) => c.notNull().references('tickets.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('legal_aid', 'mediation', 'diversion')`))
    .addColumn('organisation_id', 'uuid', (c) => c.references('organisations.id'))
    .addColumn('department', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('pending', 'accepted', 'declined', 'in_progress', 'closed')`),
    )
    .addColumn('eligibility', 'jsonb')
    .addColumn('accept_due_at', 'timestamptz')
    .addColumn('close_due_at', 'timestamptz')
    .addColumn('outcome', 'text')
    .addColumn('decline_reason', 'text')
    .addColumn('created_by', 'uuid', (c) => c.references('agents.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addCheckConstraint('referrals_target', sql`(kind = 'diversion') = (department is not null)`)
    .execute();
  await db.schema.createIndex('referrals_org_status_idx').on('referrals').columns(['organisation_id', 'status']).execute();
  await db.schema.createIndex('referrals_ticket_idx').on('referrals').column('ticket_id').execute();

  await db.schema
    .createTable('referral_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('referral_id', 'uuid', (c) => c.notNull().references('referrals.id').onDelete('cascade'))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('data', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('referral_events_referral_idx').on('referral_events').columns(['referral_id', 'at']).execute();

  await db.schema
    .createTable('seat_plans')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('province_code', 'char(6)', (c) => c.notNull())
    .addColumn('plan_date', 'date', (c) => c.notNull())
    .addColumn('created_by', 'uuid', (c) => c.references('agents.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint('seat_plans_province_date_key', ['province_code', 'plan_date'])
    .execute();

  await db.schema
    .createTable('seat_plan_entries')
    .addColumn('plan_id', 'uuid', (c) => c.notNull().references('seat_plans.id').onDelete('cascade'))
    .addColumn('region_code', 'char(6)', (c) => c.notNull().references('regions.code'))
    // Start of the half-hour interval, minutes after local midnight (0, 30, ... 1410).
    .addColumn('interval_start', 'smallint', (c) => c.notNull().check(sql`interval_start between 0 and 1410 and interval_start % 30 = 0`))
    .addColumn('seats', 'integer', (c) => c.notNull().check(sql`seats >= 0`))
    .addPrimaryKeyConstraint('seat_plan_entries_pkey', ['plan_id', 'region_code', 'interval_start'])
    .execute();

  await db.schema
    .createTable('survey_responses')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('call_id', 'uuid', (c) => c.notNull().references('calls.id'))
    .addColumn('ticket_id', 'uuid', (c) => c.references('tickets.id'))
    .addColumn('score', 'smallint', (c) => c.notNull().check(sql`score between 1 and 5`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint('survey_responses_call_key', ['call_id'])
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('actor_id', 'uuid')
    .addColumn('actor_username', 'text')
    .addColumn('actor_role', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('audit_log_entity_idx').on('audit_log').columns(['entity_type', 'entity_id', 'at']).execute();
  await db.schema.createIndex('audit_log_actor_idx').on('audit_log').columns(['actor_id', 'at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'audit_log',
    'survey_responses',
    'seat_plan_entries',
    'seat_plans',
    'referral_events',
    'referrals',
    'tickets',
    'call_events',
    'calls',
    'agents',
    'organisations',
    'regions',
    'provinces',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
