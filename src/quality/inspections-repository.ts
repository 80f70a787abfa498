import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../db/database';
import { jsonb } from '../db/json';
import { drawSql } from './sampling';

/** Named queries on quality inspections (质检) and the sample they are drawn from. */

export interface InspectionFilter {
  /** Region subtrees the reader may see (null: all). */
  regionCodes: string[] | null;
  /** The calls' arrival (a ticket without a call: its creation) in [from, until). */
  from: Date;
  until: Date;
  limit: number;
}

const regionFilter = (codes: string[] | null): RawBuilder<unknown> =>
  codes === null ? sql`true` : sql`t.region_code in (${sql.join(codes.length ? codes : ['-'])})`;

export interface InspectionRow {
  ticket_id: string;
  number: string;
  region_code: string | null;
  type: string;
  topic: string | null;
  summary: string;
  advice: string;
  outcome: string | null;
  agent_id: string | null;
  agent_username: string | null;
  agent_name: string | null;
  arrived_at: Date | null;
  talk_ms: number | null;
  recording_url: string | null;
  survey_score: number | null;
  inspection_id: string | null;
  scores: Record<string, number> | null;
  criteria: { code: string; max: number }[] | null;
  total: number | null;
  max_total: number | null;
  comment: string | null;
  sampled: boolean | null;
  inspector_username: string | null;
  inspected_at: Date | null;
}

const columns = sql`
  t.id as ticket_id, t.number, t.region_code, t.type, t.topic, t.summary, t.advice, t.outcome, t.survey_score,
  a.id as agent_id, a.username as agent_username, a.display_name as agent_name,
  c.arrived_at, c.talk_ms, c.recording_url,
  qi.id as inspection_id, qi.scores, qi.criteria, qi.total, qi.max_total, qi.comment, qi.sampled,
  i.username as inspector_username, qi.updated_at as inspected_at`;

export const inspectionsRepository = {
  /**
   * Tickets of answered calls drawn for inspection and not yet scored, newest first: calls that
   * have ended, answered by an agent, whose ticket's draw is below the rate.
   */
  async pending(db: Db, f: InspectionFilter & { rate: number }): Promise<InspectionRow[]> {
    const { rows } = await sql<InspectionRow>`
      select ${columns}
      from tickets t
      join calls c on c.id = t.call_id
      left join agents a on a.id = t.agent_id
      left join quality_inspections qi on qi.ticket_id = t.id
      left join agents i on i.id = qi.inspector_id
      where qi.id is null and t.agent_id is not null
        and c.direction = 'inbound' and c.answered_at is not null and c.ended_at is not null
        and c.arrived_at >= ${f.from} and c.arrived_at < ${f.until}
        and ${regionFilter(f.regionCodes)}
        and ${drawSql('t.id')} < ${f.rate}
      order by c.arrived_at desc
      limit ${f.limit}`.execute(db);
    return rows;
  },

  /** Tickets already scored, the latest scored first. */
  async done(db: Db, f: InspectionFilter): Promise<InspectionRow[]> {
    const { rows } = await sql<InspectionRow>`
      select ${columns}
      from quality_inspections qi
      join tickets t on t.id = qi.ticket_id
      left join calls c on c.id = t.call_id
      left join agents a on a.id = qi.agent_id
      left join agents i on i.id = qi.inspector_id
      where coalesce(c.arrived_at, t.created_at) >= ${f.from} and coalesce(c.arrived_at, t.created_at) < ${f.until}
        and ${regionFilter(f.regionCodes)}
      order by qi.updated_at desc
      limit ${f.limit}`.execute(db);
    return rows;
  },

  /** One ticket as the lists show it, scored or not. */
  async ofTicketWithNames(db: Db, ticketId: string): Promise<InspectionRow | undefined> {
    const { rows } = await sql<InspectionRow>`
      select ${columns}
      from tickets t
      left join calls c on c.id = t.call_id
      left join quality_inspections qi on qi.ticket_id = t.id
      left join agents a on a.id = coalesce(qi.agent_id, t.agent_id)
      left join agents i on i.id = qi.inspector_id
      where t.id = ${ticketId}::uuid`.execute(db);
    return rows[0];
  },

  ofTicket(db: Db, ticketId: string) {
    return db.selectFrom('quality_inspections').selectAll().where('ticket_id', '=', ticketId).executeTakeFirst();
  },

  /** Scores a ticket, or scores it again (the latest scoring stands; the audit keeps the earlier). */
  save(
    db: Db,
    i: { ticketId: string; agentId: string; inspectorId: string; criteria: { code: string; max: number }[]; scores: Record<string, number>; total: number; maxTotal: number; comment: string | null; sampled: boolean; at: Date },
  ) {
    const values = {
      agent_id: i.agentId,
      inspector_id: i.inspectorId,
      criteria: jsonb(i.criteria),
      scores: jsonb(i.scores),
      total: i.total,
      max_total: i.maxTotal,
      comment: i.comment,
      sampled: i.sampled,
      updated_at: i.at,
    };
    return db
      .insertInto('quality_inspections')
      .values({ ticket_id: i.ticketId, ...values, created_at: i.at })
      .onConflict((oc) => oc.column('ticket_id').doUpdateSet(values))
      .execute();
  },

  /** Per agent over the period: how many of their tickets were scored, the average total and share of the maximum. */
  async byAgent(db: Db, f: Omit<InspectionFilter, 'limit'>) {
    const { rows } = await sql<{ agent_id: string; username: string; display_name: string; inspected: number; avg_total: number; avg_max: number; avg_share: number }>`
      select a.id as agent_id, a.username, a.display_name, count(*)::int as inspected,
        avg(qi.total)::float8 as avg_total, avg(qi.max_total)::float8 as avg_max, avg(qi.total::float8 / qi.max_total)::float8 as avg_share
      from quality_inspections qi
      join tickets t on t.id = qi.ticket_id
      left join calls c on c.id = t.call_id
      join agents a on a.id = qi.agent_id
      where coalesce(c.arrived_at, t.created_at) >= ${f.from} and coalesce(c.arrived_at, t.created_at) < ${f.until}
        and ${regionFilter(f.regionCodes)}
      group by a.id, a.username, a.display_name
      order by a.username`.execute(db);
    return rows.map((r) => ({ ...r, inspected: Number(r.inspected) }));
  },

  /** Per agent and criterion over the period: the average score and how many scorings it is over. */
  async byAgentCriterion(db: Db, f: Omit<InspectionFilter, 'limit'>) {
    const { rows } = await sql<{ agent_id: string; code: string; avg: number; n: number }>`
      select qi.agent_id, s.key as code, avg(s.value::numeric)::float8 as avg, count(*)::int as n
      from quality_inspections qi
      join tickets t on t.id = qi.ticket_id
      left join calls c on c.id = t.call_id
      cross join lateral jsonb_each_text(qi.scores) s
      where qi.agent_id is not null
        and coalesce(c.arrived_at, t.created_at) >= ${f.from} and coalesce(c.arrived_at, t.created_at) < ${f.until}
        and ${regionFilter(f.regionCodes)}
      group by qi.agent_id, s.key`.execute(db);
    return rows;
  },
};
