import { sql } from 'kysely';
import { z } from 'zod';
import type { Actor } from '../auth/actor';
import { inScope, scopeRoot } from '../auth/scope';
import { auditRepository } from '../audit/audit-repository';
import type { Db } from '../db/database';
import type { TicketRow } from '../db/schema';
import { Errors } from '../errors/errors';
import type { RegionDirectory } from '../regions/region-directory';
import { checkEligibility, EligibilityInput } from './eligibility';
import { addWorkingDays, type ReferralSettings } from './referral-settings';
import { type ReferralStatus, referralsRepository as repo } from './referrals-repository';

/** Departments a call is commonly diverted to; any other is named in full. */
export const DEPARTMENTS = ['12345 政务服务便民热线', '劳动保障监察', '人民法院', '公安机关', '妇联', '信访部门', '市场监督管理（12315）', '住房和城乡建设'] as const;

export const NewReferral = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('legal_aid'), eligibility: EligibilityInput, note: z.string().max(2000).optional() }),
  z.strictObject({ kind: z.literal('mediation'), note: z.string().max(2000).optional() }),
  z.strictObject({ kind: z.literal('diversion'), department: z.string().trim().min(2).max(100), note: z.string().max(2000).optional() }),
]);
export type NewReferral = z.infer<typeof NewReferral>;

export const ReferralAction = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('accept'), note: z.string().max(2000).optional() }),
  z.strictObject({ type: z.literal('decline'), reason: z.string().trim().min(2, 'say why the referral is declined').max(2000), note: z.string().max(2000).optional() }),
  z.strictObject({ type: z.literal('progress'), note: z.string().trim().min(1, 'describe the progress').max(2000) }),
  z.strictObject({ type: z.literal('close'), outcome: z.string().trim().min(2, 'give the outcome').max(2000), note: z.string().max(2000).optional(), callCallerBack: z.boolean().default(true) }),
]);
export type ReferralAction = z.infer<typeof ReferralAction>;

/** Which statuses each action may start from, and where it leads. Everything else is refused. */
export const TRANSITIONS: Record<ReferralAction['type'], { from: ReferralStatus[]; to: ReferralStatus; verb: { en: string } }> = {
  accept: { from: ['pending'], to: 'accepted', verb: { en: 'accept' } },
  decline: { from: ['pending'], to: 'declined', verb: { en: 'decline' } },
  progress: { from: ['accepted', 'in_progress'], to: 'in_progress', verb: { en: 'report progress on' } },
  close: { from: ['accepted', 'in_progress'], to: 'closed', verb: { en: 'close' } },
};

const ORG_KIND = { legal_aid: 'legal_aid_centre', mediation: 'mediation_committee' } as const;

export interface ReferralsDeps {
  db: Db;
  regions: RegionDirectory;
  settings: () => ReferralSettings;
  now?: () => Date;
}

export const ListQuery = z.strictObject({
  status: z.enum(['pending', 'accepted', 'declined', 'in_progress', 'closed']).optional(),
  kind: z.enum(['legal_aid', 'mediation', 'diversion']).optional(),
  /** One ticket's referrals (the desk reads them back after a reload, so none is made twice). */
  ticketId: z.uuid().optional(),
  overdue: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export type ListQuery = z.infer<typeof ListQuery>;

/**
 * Referrals: made by the hotline from a ticket, routed to the organisation nearest the caller,
 * and acted on by that organisation alone, within deadlines from the province's settings.
 */
export function referralsService(deps: ReferralsDeps) {
  const { db, regions } = deps;
  const now = deps.now ?? (() => new Date());
  const audit = auditRepository(db);

  async function loadTicket(actor: Actor, ticketId: string): Promise<TicketRow> {
    const ticket = await db.selectFrom('tickets').selectAll().where('id', '=', ticketId).executeTakeFirst();
    if (!ticket) throw new Errors.TICKET_NOT_FOUND(ticketId);
    if (actor.role === 'agent') {
      if (ticket.agent_id !== actor.id) throw new Errors.NOT_YOUR_TICKET(ticket.number);
    } else if (actor.role === 'supervisor') {
      if (!inScope(actor, ticket.region_code ?? regions.province.code, regions)) throw new Errors.OUT_OF_SCOPE(ticket.region_code ?? '', scopeRoot(actor, regions));
    } else if (actor.role !== 'admin') {
      throw new Errors.FORBIDDEN_ROLE(actor.role);
    }
    return ticket;
  }

  /** What an actor may see: their organisation's, their area's, or the referrals they made. */
  function visible(actor: Actor) {
    let q = db.selectFrom('referrals as r').innerJoin('tickets as t', 't.id', 'r.ticket_id').leftJoin('organisations as o', 'o.id', 'r.organisation_id');
    if (actor.role === 'organisation') q = q.where('r.organisation_id', '=', actor.organisationId ?? '00000000-0000-0000-0000-000000000000');
    else if (actor.role === 'agent') q = q.where('r.created_by', '=', actor.id);
    else if (actor.role === 'supervisor') q = q.where('t.region_code', 'in', regions.subtree(actor.regionCode));
    return q;
  }

  const columns = [
    'r.id',
    'r.kind',
    'r.status',
    'r.department',
    'r.eligibility',
    'r.accept_due_at',
    'r.close_due_at',
    'r.accept_overdue_at',
    'r.close_overdue_at',
    'r.outcome',
    'r.decline_reason',
    'r.created_at',
    'r.updated_at',
    'r.closed_at',
    't.id as ticket_id',
    't.number as ticket_number',
    't.region_code',
    't.topic',
    'o.code as organisation_code',
    'o.name_zh as organisation_name',
    'o.name_en as organisation_name_en',
  ] as const;

  return {
    /** Refers the caller of a ticket; legal aid with the eligibility pre-check recorded. */
    async create(actor: Actor, ticketId: string, input: NewReferral, requestId?: string) {
      const ticket = await loadTicket(actor, ticketId);
      const settings = deps.settings();
      const at = now();
      const region = ticket.region_code ?? regions.province.code;
      return db.transaction().execute(async (trx) => {
        let organisation = null;
        let eligibility: Record<string, unknown> | null = null;
        if (input.kind !== 'diversion') {
          const lineage = regions.lineage(region).map((r) => r.code);
          organisation = (await repo.nearestOrganisation(trx, ORG_KIND[input.kind], lineage)) ?? null;
          if (!organisation) throw new Errors.NO_ORGANISATION(ORG_KIND[input.kind], region);
        }
        if (input.kind === 'legal_aid') {
          eligibility = { ...checkEligibility(input.eligibility, legalAidStandard(settings, regions, region)), input: input.eligibility };
        }
        const diverted = input.kind === 'diversion';
        const row = await repo.create(trx, {
          ticketId: ticket.id,
          kind: input.kind,
          organisationId: organisation?.id ?? null,
          department: diverted ? input.department : null,
          // A diversion only tells the caller where to go: nobody receives it to act on.
          status: diverted ? 'closed' : 'pending',
          eligibility,
          acceptDueAt: diverted ? null : addWorkingDays(at, settings.acceptWithinWorkingDays, settings),
          closeDueAt: diverted ? null : new Date(at.getTime() + settings.closeWithinDays * 86_400_000),
          outcome: diverted ? `diverted to ${input.department}` : null,
          createdBy: actor.id,
          closedAt: diverted ? at : null,
        });
        await repo.event(trx, { referralId: row.id, actor: actor.username, type: 'created', note: input.note ?? null, data: { organisation: organisation?.code ?? null, department: row.department } });
        const outcome = input.kind === 'legal_aid' ? 'refer_legal_aid' : input.kind === 'mediation' ? 'refer_mediation' : 'divert';
        await trx.updateTable('tickets').set({ outcome, updated_at: sql`now()` }).where('id', '=', ticket.id).execute();
        await audit.record({ actor, action: 'referral.create', entityType: 'referral', entityId: row.id, requestId, details: { ticket: ticket.number, kind: input.kind, organisation: organisation?.code ?? null } }, trx);
        return { ...row, organisation: organisation ? { code: organisation.code, nameZh: organisation.name_zh, nameEn: organisation.name_en, regionCode: organisation.region_code } : null };
      });
    },

    async list(actor: Actor, query: ListQuery) {
      let q = visible(actor);
      if (query.status) q = q.where('r.status', '=', query.status);
      if (query.kind) q = q.where('r.kind', '=', query.kind);
      if (query.ticketId) q = q.where('r.ticket_id', '=', query.ticketId);
      if (query.overdue !== undefined) {
        const at = now();
        // Past its deadline now, or marked so by a sweep (whose clock is the one alerts follow).
        const overdue = sql<boolean>`((r.status = 'pending' and (r.accept_overdue_at is not null or r.accept_due_at <= ${at})) or (r.status in ('accepted', 'in_progress') and (r.close_overdue_at is not null or r.close_due_at <= ${at})))`;
        q = q.where(query.overdue ? overdue : sql<boolean>`not ${overdue}`);
      }
      const [items, total] = await Promise.all([
        q.select(columns).orderBy('r.created_at', 'desc').limit(query.limit).offset(query.offset).execute(),
        q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { items, total: Number(total.n) };
    },

    async get(actor: Actor, id: string, requestId?: string) {
      const row = await visible(actor).select(columns).where('r.id', '=', id).executeTakeFirst();
      if (!row) {
        if (await repo.byId(db, id)) throw new Errors.NOT_YOUR_REFERRAL(id);
        throw new Errors.REFERRAL_NOT_FOUND(id);
      }
      await audit.record({ actor, action: 'referral.read', entityType: 'referral', entityId: id, requestId });
      return { ...row, events: await repo.events(db, id) };
    },

    /** The receiving organisation accepts, declines, reports progress or closes; nobody else may. */
    async act(actor: Actor, id: string, action: ReferralAction, requestId?: string) {
      if (actor.role !== 'organisation') throw new Errors.FORBIDDEN_ROLE(actor.role);
      const current = await repo.byId(db, id);
      if (!current) throw new Errors.REFERRAL_NOT_FOUND(id);
      if (current.organisation_id !== actor.organisationId) throw new Errors.NOT_YOUR_REFERRAL(id);
      const rule = TRANSITIONS[action.type];
      const at = now();
      return db.transaction().execute(async (trx) => {
        const moved = await repo.transition(trx, id, rule.from, rule.to, {
          ...(action.type === 'decline' ? { declineReason: action.reason } : {}),
          ...(action.type === 'close' ? { outcome: action.outcome, closedAt: at } : {}),
        });
        if (!moved) {
          const latest = (await repo.byId(trx, id))?.status ?? current.status;
          throw new Errors.REFERRAL_TRANSITION(rule.verb.en, latest);
        }
        const data: Record<string, unknown> = { from: current.status, to: rule.to };
        if (action.type === 'decline') data.reason = action.reason;
        if (action.type === 'close') data.outcome = action.outcome;
        await repo.event(trx, { referralId: id, actor: actor.username, type: action.type, note: action.note ?? null, data });
        if (action.type === 'close' && action.callCallerBack) {
          await repo.createCallbackTask(trx, { ticketId: current.ticket_id, referralId: id, reason: 'referral_outcome', dueAt: at, note: action.outcome });
        }
        await audit.record({ actor, action: `referral.${action.type}`, entityType: 'referral', entityId: id, requestId, details: data }, trx);
        return moved;
      });
    },
  };
}

/** The hardship standard for a region: its own allowance, or the nearest region's above it. */
export function legalAidStandard(settings: ReferralSettings, regions: RegionDirectory, regionCode: string) {
  const byRegion = settings.legalAid.monthlyAllowanceByRegion;
  const own = regions.lineage(regionCode).find((r) => byRegion[r.code] !== undefined);
  return { hardshipMultiple: settings.legalAid.hardshipMultiple, monthlyAllowanceYuan: own ? byRegion[own.code]! : settings.legalAid.monthlyAllowanceYuan };
}

