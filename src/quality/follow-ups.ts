import type { Actor } from '../auth/actor';
import { assertInScope, scopeRoot } from '../auth/scope';
import { auditRepository } from '../audit/audit-repository';
import { callbacksRepository } from '../callbacks/callbacks-repository';
import type { Callbacks } from '../callbacks/callbacks';
import type { Db } from '../db/database';
import type { FollowUpOutcome } from '../db/schema';
import { Errors } from '../errors/errors';
import type { Router } from '../queue/router';
import type { RegionDirectory } from '../regions/region-directory';
import { type FollowUpListStatus, type FollowUpWithNames, followUpsRepository as repo } from './follow-ups-repository';

/**
 * Following up dissatisfied callers (回访): supervisors list those of their area (the open ones
 * by deadline), book a callback to reach the caller — the callbacks' own machinery tries it like
 * any promised callback — and close each with an outcome. Every change is audited with the
 * change in the same transaction.
 */

export interface FollowUpView {
  id: string;
  reason: 'dissatisfied';
  surveyScore: number | null;
  dueAt: string;
  overdue: boolean;
  status: 'open' | 'done';
  outcome: FollowUpOutcome | null;
  note: string | null;
  doneBy: string | null;
  doneAt: string | null;
  createdAt: string;
  ticket: { id: string; number: string; regionCode: string | null; regionName: string | null; type: string; topic: string | null; summary: string };
  callerNumber: string;
  agent: { id: string; username: string; displayName: string } | null;
  callback: { id: string; status: string | null; attempts: number | null; lastResult: string | null } | null;
}

interface Deps {
  db: Db;
  regions: RegionDirectory;
  callbacks: Callbacks;
  router: Pick<Router, 'withdraw'>;
  now?: () => Date;
}

export function followUpsService({ db, regions, callbacks, router, now = () => new Date() }: Deps) {
  const audit = auditRepository(db);

  const view = (f: FollowUpWithNames, at: Date): FollowUpView => ({
    id: f.id,
    reason: f.reason,
    surveyScore: f.survey_score,
    dueAt: f.due_at.toISOString(),
    overdue: f.status === 'open' && f.due_at < at,
    status: f.status,
    outcome: f.outcome,
    note: f.note,
    doneBy: f.done_by_username,
    doneAt: f.done_at?.toISOString() ?? null,
    createdAt: f.created_at.toISOString(),
    ticket: {
      id: f.ticket_id,
      number: f.ticket_number,
      regionCode: f.region_code,
      regionName: f.region_code ? (regions.get(f.region_code)?.nameZh ?? null) : null,
      type: f.ticket_type,
      topic: f.topic,
      summary: f.summary,
    },
    // Supervisors and admins only: they call the caller back, so they see the number whole.
    callerNumber: f.caller_number,
    agent: f.agent_id ? { id: f.agent_id, username: f.agent_username!, displayName: f.agent_name! } : null,
    callback: f.callback_id ? { id: f.callback_id, status: f.callback_status, attempts: f.callback_attempts, lastResult: f.callback_last_result } : null,
  });

  /** A follow-up the actor may act on; a ticket without a region belongs to the province. */
  async function load(actor: Actor, id: string): Promise<FollowUpWithNames> {
    const f = await repo.byId(db, id);
    if (!f) throw new Errors.FOLLOW_UP_NOT_FOUND(id);
    assertInScope(actor, f.region_code ?? regions.province.code, regions);
    return f;
  }

  async function reload(id: string): Promise<FollowUpView> {
    return view((await repo.byId(db, id))!, now());
  }

  return {
    async list(actor: Actor, q: { region?: string; status?: FollowUpListStatus; limit: number }) {
      const root = q.region ?? scopeRoot(actor, regions);
      if (!regions.get(root)) throw new Errors.UNKNOWN_REGION('querystring.region', root);
      assertInScope(actor, root, regions);
      const at = now();
      const rows = await repo.list(db, { regionCodes: root === regions.province.code ? null : regions.subtree(root), ...(q.status ? { status: q.status } : {}), now: at, limit: q.limit });
      return { items: rows.map((r) => view(r, at)) };
    },

    async get(actor: Actor, id: string) {
      return view(await load(actor, id), now());
    },

    /** Books a callback to the caller; refused while an earlier one is still to be made. */
    async bookCallback(actor: Actor, id: string, requestId: string): Promise<FollowUpView> {
      const current = await load(actor, id);
      await db.transaction().execute(async (tx) => {
        const f = await repo.lock(tx, id);
        if (!f) throw new Errors.FOLLOW_UP_NOT_FOUND(id);
        if (f.status !== 'open') throw new Errors.FOLLOW_UP_CLOSED(id, f.outcome ?? f.status);
        if (f.callback_id) {
          const earlier = await callbacksRepository.byId(tx, f.callback_id);
          if (earlier && (earlier.status === 'pending' || earlier.status === 'queued')) throw new Errors.FOLLOW_UP_CALLBACK_OPEN(id, earlier.id);
        }
        const callbackId = await callbacks.bookForTicket(tx, f.ticket_id, 'follow_up');
        if (!callbackId) throw new Errors.TICKET_NOT_FOUND(f.ticket_id);
        const at = now();
        await repo.setCallback(tx, id, callbackId, at);
        await audit.record({ actor, action: 'follow_up.callback', entityType: 'follow_up', entityId: id, requestId, details: { ticket: current.ticket_number, callbackId } }, tx);
      });
      callbacks.nudge();
      return reload(id);
    },

    /**
     * Records how the follow-up ended and closes it. A callback still waiting to be made is
     * cancelled: the matter is settled, the caller is not to be rung about it again.
     */
    async recordOutcome(actor: Actor, id: string, body: { outcome: FollowUpOutcome; note?: string | undefined }, requestId: string): Promise<FollowUpView> {
      const current = await load(actor, id);
      const at = now();
      const withdraw = await db.transaction().execute(async (tx) => {
        const f = await repo.lock(tx, id);
        if (!f) throw new Errors.FOLLOW_UP_NOT_FOUND(id);
        const closed = await repo.close(tx, id, { outcome: body.outcome, note: body.note ?? null, by: actor.id, at });
        if (!closed) throw new Errors.FOLLOW_UP_CLOSED(id, f.outcome ?? f.status);
        const cancelled = f.callback_id ? await callbacksRepository.cancel(tx, f.callback_id, actor.id, 'follow-up closed', at) : undefined;
        await audit.record(
          {
            actor,
            action: 'follow_up.outcome',
            entityType: 'follow_up',
            entityId: id,
            requestId,
            details: { ticket: current.ticket_number, outcome: body.outcome, note: body.note ?? null, dueAt: f.due_at.toISOString(), late: at > f.due_at, ...(cancelled ? { cancelledCallback: cancelled.id } : {}) },
          },
          tx,
        );
        return cancelled?.attempt_id ?? null;
      });
      if (withdraw) await router.withdraw(withdraw);
      return reload(id);
    },
  };
}
