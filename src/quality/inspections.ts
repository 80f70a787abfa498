import type { Actor } from '../auth/actor';
import { assertInScope, scopeRoot } from '../auth/scope';
import { auditRepository } from '../audit/audit-repository';
import type { Db } from '../db/database';
import { Errors } from '../errors/errors';
import type { RegionDirectory } from '../regions/region-directory';
import { type InspectionRow, inspectionsRepository as repo } from './inspections-repository';
import type { Criterion } from './quality-settings';
import { isSampled } from './sampling';

/**
 * Quality inspection (质检): the sample of answered calls' tickets a supervisor's area has to
 * inspect, scoring one against the province's evaluation form (each criterion from 0 to its
 * maximum, audited with the scores it replaced), and the per-agent report over a month.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface InspectionView {
  ticket: { id: string; number: string; regionCode: string | null; regionName: string | null; type: string; topic: string | null; summary: string; advice: string; outcome: string | null; surveyScore: number | null };
  agent: { id: string; username: string; displayName: string } | null;
  call: { arrivedAt: string; talkSeconds: number | null; recordingUrl: string | null } | null;
  inspection: { scores: Record<string, number>; total: number; maxTotal: number; comment: string | null; sampled: boolean; inspector: string | null; at: string } | null;
}

interface Deps {
  db: Db;
  regions: RegionDirectory;
  criteria: () => Criterion[];
  /** The share of answered calls drawn for inspection (the province's target). */
  rate: () => number;
  now?: () => Date;
}

export function inspectionsService({ db, regions, criteria, rate, now = () => new Date() }: Deps) {
  const audit = auditRepository(db);

  function area(actor: Actor, region: string | undefined): string[] | null {
    const root = region ?? scopeRoot(actor, regions);
    if (!regions.get(root)) throw new Errors.UNKNOWN_REGION('querystring.region', root);
    assertInScope(actor, root, regions);
    return regions.get(root)!.code === regions.province.code ? null : regions.subtree(root);
  }

  const view = (r: InspectionRow): InspectionView => ({
    ticket: {
      id: r.ticket_id,
      number: r.number,
      regionCode: r.region_code,
      regionName: r.region_code ? (regions.get(r.region_code)?.nameZh ?? null) : null,
      type: r.type,
      topic: r.topic,
      summary: r.summary,
      advice: r.advice,
      outcome: r.outcome,
      surveyScore: r.survey_score,
    },
    agent: r.agent_id ? { id: r.agent_id, username: r.agent_username!, displayName: r.agent_name! } : null,
    call: r.arrived_at ? { arrivedAt: r.arrived_at.toISOString(), talkSeconds: r.talk_ms === null ? null : Math.round(r.talk_ms / 1000), recordingUrl: r.recording_url } : null,
    inspection:
      r.inspection_id && r.scores && r.total !== null && r.max_total !== null
        ? { scores: r.scores, total: r.total, maxTotal: r.max_total, comment: r.comment, sampled: Boolean(r.sampled), inspector: r.inspector_username, at: r.inspected_at!.toISOString() }
        : null,
  });

  /** Each criterion scored once, as a whole number within its maximum; nothing else. */
  function checkScores(scores: Record<string, number>, form: Criterion[]): number {
    const known = new Map(form.map((c) => [c.code, c]));
    for (const code of Object.keys(scores)) if (!known.has(code)) throw new Errors.INSPECTION_UNKNOWN_CRITERION(code);
    const missing = form.filter((c) => scores[c.code] === undefined).map((c) => c.code);
    if (missing.length > 0) throw new Errors.INSPECTION_MISSING_CRITERIA(missing.join(', '));
    let total = 0;
    for (const c of form) {
      const s = scores[c.code]!;
      if (!Number.isInteger(s) || s < 0 || s > c.max) throw new Errors.INSPECTION_SCORE(c.code, c.max);
      total += s;
    }
    return total;
  }

  async function findTicket(idOrNumber: string) {
    const q = db.selectFrom('tickets').select(['id', 'number', 'region_code', 'agent_id']);
    const t = await (UUID.test(idOrNumber) ? q.where('id', '=', idOrNumber) : q.where('number', '=', idOrNumber)).executeTakeFirst();
    if (!t) throw new Errors.TICKET_NOT_FOUND(idOrNumber);
    return t;
  }

  return {
    criteria,
    rate,

    async list(actor: Actor, q: { region?: string; status: 'pending' | 'done'; from: Date; until: Date; limit: number }) {
      const regionCodes = area(actor, q.region);
      const filter = { regionCodes, from: q.from, until: q.until, limit: q.limit };
      const rows = q.status === 'pending' ? await repo.pending(db, { ...filter, rate: rate() }) : await repo.done(db, filter);
      return { rate: rate(), items: rows.map(view) };
    },

    async score(actor: Actor, idOrNumber: string, body: { scores: Record<string, number>; comment?: string | undefined }, requestId: string) {
      const form = criteria();
      const total = checkScores(body.scores, form);
      const ticket = await findTicket(idOrNumber);
      assertInScope(actor, ticket.region_code ?? regions.province.code, regions);
      if (!ticket.agent_id) throw new Errors.NOT_INSPECTABLE(ticket.number);
      const maxTotal = form.reduce((sum, c) => sum + c.max, 0);
      const at = now();
      await db.transaction().execute(async (tx) => {
        const previous = await repo.ofTicket(tx, ticket.id);
        await repo.save(tx, {
          ticketId: ticket.id,
          agentId: ticket.agent_id!,
          inspectorId: actor.id,
          criteria: form.map((c) => ({ code: c.code, max: c.max })),
          scores: body.scores,
          total,
          maxTotal,
          comment: body.comment ?? null,
          sampled: isSampled(ticket.id, rate()),
          at,
        });
        await audit.record(
          {
            actor,
            action: 'quality.inspection',
            entityType: 'ticket',
            entityId: ticket.id,
            requestId,
            details: { number: ticket.number, agentId: ticket.agent_id, scores: body.scores, total, maxTotal, previous: previous ? { scores: previous.scores, total: previous.total, inspectorId: previous.inspector_id } : null },
          },
          tx,
        );
      });
      return view((await repo.ofTicketWithNames(db, ticket.id))!);
    },

    /** Per agent over the period: inspections, average total, and each criterion's average. */
    async byAgent(actor: Actor, q: { region?: string; from: Date; until: Date }) {
      const regionCodes = area(actor, q.region);
      const [agents, perCriterion] = await Promise.all([repo.byAgent(db, { regionCodes, from: q.from, until: q.until }), repo.byAgentCriterion(db, { regionCodes, from: q.from, until: q.until })]);
      const round = (x: number) => Math.round(x * 10) / 10;
      return {
        criteria: criteria(),
        items: agents.map((a) => ({
          agent: { id: a.agent_id, username: a.username, displayName: a.display_name },
          inspected: a.inspected,
          averageTotal: round(a.avg_total),
          averageMaxTotal: round(a.avg_max),
          averageShare: Math.round(a.avg_share * 1000) / 1000,
          criteria: Object.fromEntries(perCriterion.filter((c) => c.agent_id === a.agent_id).map((c) => [c.code, round(Number(c.avg))])),
        })),
      };
    },
  };
}
