import { maskCallerNumber } from '../agents/gateway/call-context';
import type { Actor } from '../auth/actor';
import { assertInScope } from '../auth/scope';
import type { Db } from '../db/database';
import { Errors } from '../errors/errors';
import type { RegionDirectory } from '../regions/region-directory';
import type { SimCallView } from '../telephony/sim/sim-driver';

/** Calls looked up at once while filtering a list. */
const BATCH = 500;

interface CallRecord {
  region_code: string | null;
  agent_id: string | null;
}

/**
 * Simulated calls are call data like any other, so they are scoped as `GET /api/calls` scopes
 * call records: an agent sees the calls they answered, a supervisor the calls of their area (a
 * call whose region is not known yet counts for the province), an admin every call; caller
 * numbers are whole for supervisors and admins and masked for everyone else. Without a signed-in
 * user (the embedded demo on loopback) every call is shown as it is.
 */
export function simCallScope(db: Db, regions: RegionDirectory) {
  const records = async (ids: string[]): Promise<Map<string, CallRecord>> => {
    if (ids.length === 0) return new Map();
    const rows = await db.selectFrom('calls').select(['id', 'region_code', 'agent_id']).where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [r.id, r]));
  };
  const visible = (actor: Actor, record: CallRecord | undefined): boolean => {
    if (actor.role === 'admin') return true;
    if (actor.role === 'agent') return record?.agent_id === actor.id;
    if (actor.role !== 'supervisor') return false;
    return regions.isWithin(record?.region_code ?? regions.province.code, actor.regionCode);
  };
  const shown = <V extends Pick<SimCallView, 'from'>>(actor: Actor | null, view: V): V => (actor ? { ...view, from: maskCallerNumber(view.from, actor.role) } : view);

  return {
    /** The first `limit` of `newestFirst` the actor may see. */
    async list<V extends Pick<SimCallView, 'id' | 'from'>>(actor: Actor | null, newestFirst: V[], limit: number): Promise<V[]> {
      if (!actor || actor.role === 'admin') return newestFirst.slice(0, limit).map((v) => shown(actor, v));
      const out: V[] = [];
      for (let i = 0; i < newestFirst.length && out.length < limit; i += BATCH) {
        const batch = newestFirst.slice(i, i + BATCH);
        const byId = await records(batch.map((v) => v.id));
        for (const v of batch) if (out.length < limit && visible(actor, byId.get(v.id))) out.push(shown(actor, v));
      }
      return out;
    },

    /** One call as the actor may see it; refused (403) as `GET /api/calls/:id` refuses. */
    async one(actor: Actor | null, view: SimCallView): Promise<SimCallView> {
      if (!actor || actor.role === 'admin') return shown(actor, view);
      const record = (await records([view.id])).get(view.id);
      if (actor.role === 'supervisor') assertInScope(actor, record?.region_code ?? regions.province.code, regions);
      else if (!visible(actor, record)) throw new Errors.FORBIDDEN_ROLE(actor.role);
      return shown(actor, view);
    },
  };
}
