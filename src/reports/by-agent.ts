import { sql } from 'kysely';
import type { Db } from '../db/database';

/**
 * The report's calls per agent who answered them. The same calls as the rest of the report (by
 * the caller's region, so the agents' figures add up to the area's answered calls): an agent of
 * another region who took one of the area's calls on overflow is listed with that call only.
 */
export interface AgentFigures {
  agentId: string;
  username: string;
  displayName: string;
  answered: number;
  avgHandleSeconds: number | null;
  talkSeconds: number;
  referrals: number;
  satisfaction: number | null;
}

export async function agentFigures(db: Db, o: { from: Date; until: Date; regionCodes: string[] }): Promise<AgentFigures[]> {
  if (o.regionCodes.length === 0) return [];
  const { rows } = await sql<{
    agent_id: string;
    username: string;
    display_name: string;
    answered: number;
    talk: number | null;
    talk_total: number;
    referrals: number;
    satisfaction: number | null;
  }>`
    select c.agent_id, a.username, a.display_name,
      count(*)::int as answered,
      avg(c.talk_ms)::float as talk,
      coalesce(sum(c.talk_ms), 0)::float as talk_total,
      coalesce(sum((select count(*) from referrals r join tickets tk on tk.id = r.ticket_id where tk.call_id = c.id)), 0)::int as referrals,
      avg(s.score)::float as satisfaction
    from calls c
    join agents a on a.id = c.agent_id
    left join survey_responses s on s.call_id = c.id
    where c.arrived_at >= ${o.from} and c.arrived_at < ${o.until}
      and c.direction = 'inbound' and c.queued_at is not null and c.answered_at is not null
      and c.region_code in (${sql.join(o.regionCodes)})
    group by c.agent_id, a.username, a.display_name
    order by answered desc, a.username`.execute(db);
  return rows.map((r) => ({
    agentId: r.agent_id,
    username: r.username,
    displayName: r.display_name,
    answered: r.answered,
    avgHandleSeconds: r.talk === null ? null : Math.round(r.talk / 1000),
    talkSeconds: Math.round(r.talk_total / 1000),
    referrals: r.referrals,
    satisfaction: r.satisfaction === null ? null : Math.round(r.satisfaction * 1000) / 1000,
  }));
}
