import { z } from 'zod';
import type { Actor } from '../auth/actor';
import { assertInScope, scopeRoot } from '../auth/scope';
import { auditRepository } from '../audit/audit-repository';
import type { Db } from '../db/database';
import { atField, Errors } from '../errors/errors';
import type { RegionDirectory } from '../regions/region-directory';
import { chinaDay, DAY_MS } from '../time/china-time';
import { buildRoster, coverage, type Shift, type Uncovered } from './roster-assign';
import { fmt, rosterSettings } from './roster-settings';
import { rostersRepository as repo, type ShiftRow } from './rosters-repository';
import type { seatPlans } from './seat-plans';

const HHMM = /^(([01]\d|2[0-3]):[03]0|24:00)$/;
const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

const Time = z.string().refine((t) => HHMM.test(t), {
  message: 'must be a time on the hour or half-hour, HH:MM from 00:00 to 24:00',
  params: { messageZh: '应为整点或半点时间 HH:MM（00:00 至 24:00）' },
});

export const ShiftInput = z
  .strictObject({
    agentId: z.uuid(),
    regionCode: z.string().regex(/^\d{6}$/, 'must be a 6-digit region code'),
    start: Time,
    end: Time,
  })
  .refine((s) => !HHMM.test(s.start) || !HHMM.test(s.end) || minutes(s.end) > minutes(s.start), {
    path: ['end'],
    message: 'must be after start',
    params: { messageZh: '应晚于开始时间' },
  });

export const RosterBody = z.strictObject({ shifts: z.array(ShiftInput).max(5_000) });
export type RosterBody = z.infer<typeof RosterBody>;

export const RosterQuery = z.strictObject({
  /** A region of your area to work on (default: the whole area). */
  region: z.string().regex(/^\d{6}$/, 'must be a 6-digit region code').optional(),
});

export const RosterView = z.object({
  date: z.string(),
  area: z.string().describe('the region whose subtree this roster part covers'),
  stage: z.enum(['draft', 'published']).describe('which shifts are listed'),
  status: z.enum(['empty', 'draft', 'published', 'changed']).describe('empty: no shifts; draft: never published; published: as published; changed: published, with changes not published yet'),
  publishedAt: z.string().nullable(),
  publishedBy: z.object({ id: z.string(), username: z.string(), displayName: z.string() }).nullable(),
  planSaved: z.boolean().describe('whether a seat plan is saved for the day (what a build and the uncovered list are measured against)'),
  settings: z.object({ maxHoursPerDay: z.number(), shiftTemplates: z.array(z.string()), minSpeakers: z.record(z.string(), z.record(z.string(), z.number())).describe('per prefecture of the area') }),
  shifts: z.array(
    z.object({
      agentId: z.string(),
      username: z.string(),
      displayName: z.string(),
      servingRegion: z.string(),
      languages: z.record(z.string(), z.number()),
      regionCode: z.string(),
      start: z.string().describe('HH:MM, China time'),
      end: z.string().describe('HH:MM, China time; 24:00 is midnight at the end of the day'),
      borrowed: z.boolean().describe('the agent serves another region than the one the shift covers'),
    }),
  ),
  uncovered: z.array(
    z.object({
      regionCode: z.string(),
      start: z.string(),
      end: z.string(),
      seatsShort: z.number().int().describe('planned seats with nobody on duty'),
      languagesShort: z.record(z.string(), z.number().int()).describe("for a prefecture: speakers missing of settings.rosters.minSpeakers, by language"),
    }),
  ),
});
export type RosterView = z.infer<typeof RosterView>;

export const MyShifts = z.object({
  today: z.string(),
  shifts: z.array(z.object({ date: z.string(), start: z.string(), end: z.string(), regionCode: z.string(), regionName: z.string(), regionNameEn: z.string() })),
});

/**
 * Duty rosters (排班): a day's named agents on shifts, built from its seat plan, edited and
 * published by supervisors for their area. Only published shifts reach agents and the
 * wallboard's adherence; see src/staffing/roster-assign.ts for how a roster is built.
 */
export function rosters({ db, regions, provinceCode, provinceLanguages, plans }: { db: Db; regions: RegionDirectory; provinceCode: string; provinceLanguages: readonly string[]; plans: ReturnType<typeof seatPlans> }) {
  const audit = auditRepository(db);

  function area(actor: Actor, region: string | undefined) {
    const root = region ?? scopeRoot(actor, regions);
    const known = regions.get(root);
    if (!known) throw new Errors.UNKNOWN_REGION('querystring.region', root);
    assertInScope(actor, known.code, regions);
    const codes = regions.subtree(known.code);
    return { root: known.code, codes, inArea: new Set(codes) };
  }

  async function settings() {
    const row = await db.selectFrom('provinces').select('settings').where('code', '=', provinceCode).executeTakeFirstOrThrow();
    return rosterSettings(row.settings ?? {}, provinceLanguages);
  }

  /** The saved plan's regions inside the area that plan any seats; null without a plan. */
  async function areaPlan(date: string, inArea: Set<string>) {
    const matrix = await plans.matrix(date);
    if (!matrix) return null;
    return Object.fromEntries(Object.entries(matrix).filter(([code, seats]) => inArea.has(code) && seats.some((n) => n > 0)));
  }

  async function view(actor: Actor, date: string, o: { region?: string; stage?: 'draft' | 'published' }): Promise<RosterView> {
    const { root, codes, inArea } = area(actor, o.region);
    const stage = o.stage ?? 'draft';
    const [roster, plan, rules] = await Promise.all([repo.find(db, provinceCode, date), areaPlan(date, inArea), settings()]);
    const [draft, published] = roster ? await Promise.all([repo.shifts(db, roster.id, 'draft', codes), repo.shifts(db, roster.id, 'published', codes)]) : [[], []];
    const shown = stage === 'draft' ? draft : published;
    const last = published.reduce<ShiftRow | null>((a, s) => (!a || (s.publishedAt && a.publishedAt && s.publishedAt > a.publishedAt) ? s : a), null);
    const publisher = last?.publishedBy ? await repo.displayName(db, last.publishedBy) : undefined;
    const prefectures = [...new Set(codes.map((c) => regions.lineage(c).find((r) => r.level === 'prefecture')?.code).filter((c): c is string => !!c))];
    return {
      date,
      area: root,
      stage,
      status: status(draft, published),
      publishedAt: last?.publishedAt ? new Date(last.publishedAt).toISOString() : null,
      publishedBy: publisher ? { id: publisher.id, username: publisher.username, displayName: publisher.display_name } : null,
      planSaved: plan !== null,
      settings: {
        maxHoursPerDay: rules.maxHoursPerDay,
        shiftTemplates: rules.templates.map(([s, e]) => `${fmt(s)}-${fmt(e)}`),
        minSpeakers: Object.fromEntries(prefectures.map((p) => [p, rules.minSpeakers(p)])),
      },
      shifts: shown.map((s) => ({
        agentId: s.agentId,
        username: s.username,
        displayName: s.displayName,
        servingRegion: s.servingRegion,
        languages: s.languages,
        regionCode: s.regionCode,
        start: fmt(s.start),
        end: fmt(s.end),
        borrowed: s.servingRegion !== s.regionCode,
      })),
      uncovered: plan ? shownUncovered(coverage({ regions, plan, shifts: shown, languagesOf: languagesOf(shown), settings: rules })) : [],
    };
  }

  return {
    view,

    /** Replaces the area's draft with shifts proposed from the day's saved plan. */
    async build(actor: Actor, date: string, o: { region?: string }, requestId: string): Promise<RosterView> {
      const { root, codes, inArea } = area(actor, o.region);
      const [plan, rules] = await Promise.all([areaPlan(date, inArea), settings()]);
      if (!plan) throw new Errors.NO_SEAT_PLAN(date);
      const agents = await db
        .selectFrom('agents')
        .select(['id', 'username', 'region_code as regionCode', 'languages'])
        .where('role', '=', 'agent')
        .where('disabled', '=', false)
        .where('region_code', 'in', codes)
        .execute();
      let built = { shifts: [] as Shift[], uncovered: [] as Uncovered[] };
      await db.transaction().execute(async (trx) => {
        const rosterId = await repo.lock(trx, provinceCode, date, actor.id);
        const fixed = await repo.otherShifts(trx, rosterId, agents.map((a) => a.id), codes);
        built = buildRoster({ regions, plan, agents, fixed, settings: rules });
        await repo.replaceDrafts(trx, rosterId, codes, built.shifts);
        await audit.record(
          { actor, action: 'roster.build', entityType: 'roster', entityId: date, requestId, details: { area: root, shifts: built.shifts.length, uncovered: built.uncovered.length } },
          trx,
        );
      });
      return view(actor, date, { region: root });
    },

    /** Replaces the area's draft with these shifts, each checked: agent and region in the area, half-hours, no overlap, the day's hours. */
    async put(actor: Actor, date: string, body: RosterBody, o: { region?: string }, requestId: string): Promise<RosterView> {
      const { root, codes, inArea } = area(actor, o.region);
      const [rules, roster] = await Promise.all([settings(), repo.find(db, provinceCode, date)]);
      // A shift someone with a wider area put here (an agent from elsewhere) may be sent back as it is.
      const kept = new Set((roster ? await repo.shifts(db, roster.id, 'draft', codes) : []).map(key));
      const ids = [...new Set(body.shifts.map((s) => s.agentId))];
      const agents = new Map(
        ids.length === 0
          ? []
          : (await db.selectFrom('agents').select(['id', 'username', 'display_name', 'role', 'disabled', 'region_code']).where('id', 'in', ids).execute()).map((a) => [a.id, a]),
      );
      const shifts = body.shifts.map((s, i) => {
        const field = `body.shifts.${i}`;
        const agent = agents.get(s.agentId);
        if (!agent || agent.role !== 'agent' || agent.disabled) throw atField(`${field}.agentId`, new Errors.NOT_ROSTERABLE(s.agentId));
        const region = regions.get(s.regionCode);
        if (!region) throw new Errors.UNKNOWN_REGION(`${field}.regionCode`, s.regionCode);
        if (!inArea.has(region.code)) throw atField(`${field}.regionCode`, new Errors.OUT_OF_SCOPE(region.code, root));
        const shift = { agentId: s.agentId, regionCode: region.code, start: minutes(s.start), end: minutes(s.end) };
        if (!inArea.has(agent.region_code) && !kept.has(key(shift))) throw atField(`${field}.agentId`, new Errors.OUT_OF_SCOPE(agent.region_code, root));
        return { ...shift, field, name: `${agent.display_name} (${agent.username})` };
      });
      await db.transaction().execute(async (trx) => {
        const rosterId = await repo.lock(trx, provinceCode, date, actor.id);
        const others = await repo.otherShifts(trx, rosterId, ids, codes);
        checkFits(shifts, others, rules.maxHoursPerDay, regions);
        await repo.replaceDrafts(trx, rosterId, codes, shifts);
        await audit.record({ actor, action: 'roster.put', entityType: 'roster', entityId: date, requestId, details: { area: root, shifts: shifts.length } }, trx);
      });
      return view(actor, date, { region: root });
    },

    /** The area's draft becomes what its agents see. */
    async publish(actor: Actor, date: string, o: { region?: string }, requestId: string): Promise<RosterView> {
      const { root, codes } = area(actor, o.region);
      if (!(await repo.find(db, provinceCode, date))) throw new Errors.NO_ROSTER(date);
      await db.transaction().execute(async (trx) => {
        const rosterId = await repo.lock(trx, provinceCode, date, actor.id);
        const published = await repo.publish(trx, rosterId, codes, actor.id);
        await audit.record({ actor, action: 'roster.publish', entityType: 'roster', entityId: date, requestId, details: { area: root, shifts: published } }, trx);
      });
      return view(actor, date, { region: root });
    },

    /** The signed-in user's published shifts from today (China time) for `days` days. */
    async mine(actor: Actor, days: number, now = Date.now()) {
      const today = chinaDay(now);
      const rows = await repo.mine(db, { provinceCode, agentId: actor.id, from: today, to: chinaDay(now + (days - 1) * DAY_MS) });
      return {
        today,
        shifts: rows.map((r) => {
          const region = regions.get(r.regionCode);
          return { date: r.date, start: fmt(r.start), end: fmt(r.end), regionCode: r.regionCode, regionName: region?.nameZh ?? r.regionCode, regionNameEn: region?.namePinyin ?? r.regionCode };
        }),
      };
    },
  };
}

const key = (s: { agentId: string; regionCode: string; start: number; end: number }) => `${s.agentId}|${s.regionCode}|${s.start}|${s.end}`;

function status(draft: ShiftRow[], published: ShiftRow[]): RosterView['status'] {
  if (draft.length === 0 && published.length === 0) return 'empty';
  if (published.length === 0) return 'draft';
  const a = draft.map(key).sort();
  const b = published.map(key).sort();
  return a.length === b.length && a.every((k, i) => k === b[i]) ? 'published' : 'changed';
}

const languagesOf = (rows: ShiftRow[]) => {
  const map = new Map(rows.map((r) => [r.agentId, r.languages]));
  return (id: string) => map.get(id) ?? {};
};

const shownUncovered = (list: Uncovered[]) => list.map((u) => ({ ...u, start: fmt(u.start), end: fmt(u.end) }));

/**
 * Refuses shifts that overlap (each other, or the agent's shifts elsewhere that day) or that put
 * an agent over the day's hours, naming the shift.
 */
function checkFits(
  shifts: { agentId: string; regionCode: string; start: number; end: number; field: string; name: string }[],
  others: { agentId: string; regionCode: string; start: number; end: number }[],
  maxHoursPerDay: number,
  regions: RegionDirectory,
) {
  const byAgent = new Map<string, { start: number; end: number; label: string; field?: string; name?: string }[]>();
  const add = (agentId: string, s: { start: number; end: number; label: string; field?: string; name?: string }) => byAgent.set(agentId, [...(byAgent.get(agentId) ?? []), s]);
  for (const s of shifts) add(s.agentId, { start: s.start, end: s.end, label: `${fmt(s.start)}–${fmt(s.end)} (${s.field})`, field: s.field, name: s.name });
  for (const o of others) add(o.agentId, { start: o.start, end: o.end, label: `${fmt(o.start)}–${fmt(o.end)} ${regions.get(o.regionCode)?.nameZh ?? o.regionCode}` });
  for (const list of byAgent.values()) {
    list.sort((a, b) => a.start - b.start || (a.field ? 1 : 0) - (b.field ? 1 : 0));
    const name = list.find((s) => s.name)!.name!;
    for (let i = 1; i < list.length; i++) {
      const [prev, cur] = [list[i - 1]!, list[i]!];
      if (cur.start >= prev.end) continue;
      // Name a shift of the request: the later one, or the earlier if only it was sent.
      const [named, other] = cur.field ? [cur, prev] : [prev, cur];
      throw atField(`${named.field}.start`, new Errors.SHIFT_OVERLAP(name, other.label, `${fmt(named.start)}–${fmt(named.end)}`));
    }
    const hours = list.reduce((h, s) => h + (s.end - s.start) / 60, 0);
    if (hours > maxHoursPerDay) {
      const first = list.find((s) => s.field)!;
      throw atField(`${first.field}.agentId`, new Errors.SHIFT_TOO_LONG(name, String(hours), String(maxHoursPerDay)));
    }
  }
}
