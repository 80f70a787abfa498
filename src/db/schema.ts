import type { ColumnType, Generated, Insertable, RawBuilder, Selectable, Updateable } from 'kysely';

/** The typed shape of the database; it follows migrations/ exactly. */

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** jsonb columns are written through `jsonb()` (src/db/json.ts) so both drivers send the same text. */
type Json<T> = ColumnType<T, RawBuilder<string>, RawBuilder<string>>;

export type RegionLevel = 'province' | 'prefecture' | 'county';
/** `organisation`: staff of a legal aid centre or mediation committee, who act on referrals only. */
export type Role = 'agent' | 'supervisor' | 'admin' | 'organisation';
export type OrganisationKind = 'legal_aid_centre' | 'mediation_committee' | 'judicial_office' | 'department';
/** Skill code → proficiency 1–5. */
export type SkillMap = Record<string, number>;

export interface ProvincesTable {
  code: string;
  ticket_prefix: string;
  languages: Json<string[]>;
  settings: ColumnType<Record<string, unknown>, RawBuilder<string> | undefined, RawBuilder<string>>;
  source: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface RegionsTable {
  code: string;
  province_code: string;
  level: RegionLevel;
  parent_code: string | null;
  name_zh: string;
  name_pinyin: string;
  population_2020: number | null;
  population_source: string;
  population_estimate: number;
  area_code: string | null;
  former_codes: Json<string[]>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface OrganisationsTable {
  id: Generated<string>;
  code: string;
  kind: OrganisationKind;
  name_zh: string;
  name_en: string;
  region_code: string;
  phone: string | null;
  address: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type SeatMode = 'desk' | 'phone';

export interface AgentsTable {
  id: Generated<string>;
  username: string;
  password_hash: string;
  display_name: string;
  role: Role;
  region_code: string;
  languages: Json<SkillMap>;
  topics: Json<SkillMap>;
  disabled: Generated<boolean>;
  /** For an `organisation` account: the centre or committee it acts for. */
  organisation_id: string | null;
  /** Raised by a password change, a disable or a role change; tokens carry it (`tv`) and die when it moves on. */
  token_version: Generated<number>;
  /** A remote seat's phone (mainland digits): offers ring it when the agent answers on the phone. */
  seat_phone: Generated<string | null>;
  /** Where the agent answers now: the browser softphone, or their seat phone (a remote seat). */
  seat_mode: Generated<SeatMode>;
  last_login_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface CallsTable {
  id: Generated<string>;
  province_code: string;
  driver: string;
  external_id: string | null;
  direction: Generated<'inbound' | 'outbound'>;
  caller_number: string;
  region_code: string | null;
  language: string | null;
  topic: string | null;
  priority: Generated<number>;
  priority_group: string | null;
  status: 'ivr' | 'queued' | 'offered' | 'connected' | 'wrap_up' | 'survey' | 'ended';
  end_reason: 'answered' | 'abandoned' | 'callback' | 'rejected' | 'failed' | null;
  agent_id: string | null;
  arrived_at: Date;
  queued_at: Date | null;
  answered_at: Date | null;
  ended_at: Date | null;
  wait_ms: number | null;
  talk_ms: number | null;
  recording_url: string | null;
  region_source: 'area_code' | 'geocoder' | 'outside_province' | 'unknown' | 'ivr' | null;
  /** The callback this call became, when the caller took one or waited too long. */
  callback_id: string | null;
  /** Why a call was closed for an operational reason (its node died, the phone system lost it). */
  end_detail: string | null;
}

export interface CallEventsTable {
  id: Generated<number>;
  call_id: string;
  at: CreatedAt;
  type: string;
  data: Json<Record<string, unknown>>;
  /** The write that made the entry, so applying it again (from the outbox) adds nothing. */
  write_id: string | null;
}

/** Ticket type (工单类型): consultation 咨询, help 求助, complaint 投诉, suggestion 建议 (src/tickets/ticket-types.ts). */
export type TicketType = 'consultation' | 'help' | 'complaint' | 'suggestion';

export interface TicketsTable {
  id: Generated<string>;
  number: string;
  call_id: string | null;
  caller_number: string;
  region_code: string | null;
  language: string | null;
  topic: string | null;
  summary: Generated<string>;
  advice: Generated<string>;
  outcome: 'answered' | 'refer_legal_aid' | 'refer_mediation' | 'divert' | 'callback' | null;
  /** What the caller came for; a new ticket is a consultation until the agent says otherwise. */
  type: Generated<TicketType>;
  risk_flag: Generated<boolean>;
  agent_id: string | null;
  survey_score: number | null;
  quality_score: number | null;
  quality_comment: string | null;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ReferralsTable {
  id: Generated<string>;
  ticket_id: string;
  kind: 'legal_aid' | 'mediation' | 'diversion';
  organisation_id: string | null;
  department: string | null;
  status: 'pending' | 'accepted' | 'declined' | 'in_progress' | 'closed';
  eligibility: Json<Record<string, unknown>> | null;
  accept_due_at: Date | null;
  close_due_at: Date | null;
  outcome: string | null;
  decline_reason: string | null;
  created_by: string | null;
  /** When the missed acceptance or closing deadline was first noticed (alerted once). */
  accept_overdue_at: Date | null;
  close_overdue_at: Date | null;
  closed_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ReferralEventsTable {
  id: Generated<number>;
  referral_id: string;
  at: CreatedAt;
  actor: string;
  type: string;
  note: string | null;
  data: Json<Record<string, unknown>>;
}

export interface SeatPlansTable {
  id: Generated<string>;
  province_code: string;
  /** 'YYYY-MM-DD': dates are read as text, never as a Date at local midnight. */
  plan_date: string;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface SeatPlanEntriesTable {
  plan_id: string;
  region_code: string;
  interval_start: number;
  seats: number;
}

/** A day's duty roster (排班); its shifts are in roster_shifts. */
export interface RostersTable {
  id: Generated<string>;
  province_code: string;
  /** 'YYYY-MM-DD', read as text like plan_date. */
  roster_date: string;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type RosterStage = 'draft' | 'published';

/** A named agent on duty for a region, from start_minute to end_minute after China-time midnight. */
export interface RosterShiftsTable {
  id: Generated<string>;
  roster_id: string;
  stage: RosterStage;
  agent_id: string;
  region_code: string;
  start_minute: number;
  end_minute: number;
  published_by: string | null;
  published_at: Date | null;
}

export interface SurveyResponsesTable {
  id: Generated<string>;
  call_id: string;
  ticket_id: string | null;
  score: number;
  created_at: CreatedAt;
}

export interface TicketCountersTable {
  province_code: string;
  day: string;
  last: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: CreatedAt;
  actor_id: string | null;
  actor_username: string | null;
  actor_role: string | null;
  action: string;
  entity_type: string;
  entity_id: string;
  request_id: string | null;
  details: Json<Record<string, unknown>>;
}

export interface Database {
  provinces: ProvincesTable;
  regions: RegionsTable;
  organisations: OrganisationsTable;
  agents: AgentsTable;
  calls: CallsTable;
  call_events: CallEventsTable;
  tickets: TicketsTable;
  referrals: ReferralsTable;
  referral_events: ReferralEventsTable;
  seat_plans: SeatPlansTable;
  seat_plan_entries: SeatPlanEntriesTable;
  rosters: RostersTable;
  roster_shifts: RosterShiftsTable;
  survey_responses: SurveyResponsesTable;
  audit_log: AuditLogTable;
  ticket_counters: TicketCountersTable;
  callback_tasks: CallbackTasksTable;
  callbacks: CallbacksTable;
  follow_ups: FollowUpsTable;
  quality_inspections: QualityInspectionsTable;
  knowledge_articles: KnowledgeArticlesTable;
  knowledge_article_versions: KnowledgeArticleVersionsTable;
  ticket_knowledge: TicketKnowledgeTable;
}

/** One source of a knowledge article's answer: a law and, where known, its articles (第三十条). */
export interface LegalBasis {
  law: string;
  articles: string[];
}

/** A knowledge base article as it reads now; `version` is its latest version's number. */
export interface KnowledgeArticlesTable {
  id: Generated<string>;
  version: number;
  title: string;
  question: string;
  answer: string;
  basis: Json<LegalBasis[]>;
  topic: string;
  /** Regions the article applies to (and their subtrees); empty: the whole province. */
  region_codes: Json<string[]>;
  /** How callers say it (老板, 欠薪 …): searched with the title's weight. */
  keywords: Json<string[]>;
  /** 'YYYY-MM-DD', China days, both inclusive. */
  effective_from: string;
  effective_to: string | null;
  /** Segmented words by field weight (src/knowledge/segment.ts); `search` is generated from them. */
  words_a: string;
  words_b: string;
  words_c: string;
  search: ColumnType<string, never, never>;
  created_by: string | null;
  updated_by: string | null;
  retired_at: Date | null;
  retired_by: string | null;
  retire_reason: string | null;
  /** The article's key in provinces/knowledge/articles.json; null: written by a person. */
  shipped_key: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface KnowledgeArticleVersionsTable {
  article_id: string;
  version: number;
  title: string;
  question: string;
  answer: string;
  basis: Json<LegalBasis[]>;
  topic: string;
  region_codes: Json<string[]>;
  keywords: Json<string[]>;
  effective_from: string;
  effective_to: string | null;
  note: string | null;
  edited_by: string | null;
  edited_at: CreatedAt;
}

/** An article an agent used on a ticket, at the version they read. */
export interface TicketKnowledgeTable {
  ticket_id: string;
  article_id: string;
  version: number;
  linked_by: string | null;
  linked_at: CreatedAt;
}

export type CallbackStatus = 'pending' | 'queued' | 'completed' | 'failed' | 'cancelled';
export type CallbackReason = 'caller_request' | 'queue_timeout' | 'referral_outcome' | 'agent_request' | 'missed_call' | 'voice_message' | 'forward_failed' | 'follow_up';
/** `failed`: the phone system could not place the call (an attempt dialled out, not the agent's word). */
export type CallbackResult = 'reached' | 'no_answer' | 'busy' | 'wrong_number' | 'failed';

/** A promise to call a caller back: pending until due, queued while an agent is sought, then closed. */
export interface CallbacksTable {
  id: string;
  province_code: string;
  reason: CallbackReason;
  origin_call_id: string | null;
  ticket_id: string | null;
  task_id: string | null;
  caller_number: string;
  region_code: string | null;
  language: string;
  topic: string;
  priority: Generated<number>;
  status: CallbackStatus;
  attempts: Generated<number>;
  max_attempts: number;
  due_at: Date;
  next_attempt_at: Date;
  attempt_id: string | null;
  queued_at: Date | null;
  last_attempt_at: Date | null;
  last_result: CallbackResult | null;
  agent_id: string | null;
  closed_at: Date | null;
  close_reason: string | null;
  closed_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface CallbackTasksTable {
  id: Generated<string>;
  ticket_id: string;
  referral_id: string | null;
  reason: 'referral_outcome' | 'agent_request';
  status: Generated<'open' | 'queued' | 'done' | 'cancelled'>;
  due_at: Date;
  note: string | null;
  callback_id: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type FollowUpOutcome = 'resolved' | 'explained' | 'escalated_complaint' | 'unreachable';

/** A dissatisfied caller (survey 1–2) to be followed up (回访) by `due_at`: open until an outcome is recorded. */
export interface FollowUpsTable {
  id: Generated<string>;
  ticket_id: string;
  reason: 'dissatisfied';
  survey_score: number | null;
  due_at: Date;
  status: Generated<'open' | 'done'>;
  outcome: FollowUpOutcome | null;
  note: string | null;
  callback_id: string | null;
  done_by: string | null;
  done_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** A ticket scored against the province's evaluation form (质检), one per ticket. */
export interface QualityInspectionsTable {
  id: Generated<string>;
  ticket_id: string;
  agent_id: string | null;
  inspector_id: string;
  criteria: Json<{ code: string; max: number }[]>;
  scores: Json<Record<string, number>>;
  total: number;
  max_total: number;
  comment: string | null;
  sampled: boolean;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type ProvinceRow = Selectable<ProvincesTable>;
export type RegionRow = Selectable<RegionsTable>;
export type OrganisationRow = Selectable<OrganisationsTable>;
export type AgentRow = Selectable<AgentsTable>;
export type NewAgent = Insertable<AgentsTable>;
export type AgentUpdate = Updateable<AgentsTable>;
export type TicketRow = Selectable<TicketsTable>;
