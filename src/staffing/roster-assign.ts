import type { RegionDirectory } from '../regions/region-directory';
import type { RosterSettings } from './roster-settings';

/**
 * Building a day's duty roster from its seat plan, and measuring a roster against the plan. Pure
 * functions of what was read; times are minutes after China-time midnight on half-hour
 * boundaries, a shift covering [start, end).
 *
 * The build, template by template (settings.rosters.shiftTemplates, 4-hour blocks by default):
 * 1. Each region's seats: the k-th seat of a template is one agent on duty from the first to the
 *    last half-hour of the template in which the region plans at least k seats (so the shifts
 *    follow the plan's edges and a gap inside a template is covered through). It goes to an
 *    agent serving that region.
 * 2. Seats left over are borrowed within the prefecture: agents serving the prefecture itself
 *    first, then those serving its other counties (a prefecture's own seats borrow from its
 *    counties). Routing overflows a county's calls to the whole prefecture after its first step,
 *    so a borrowed agent answers them wherever they serve; the shift says where they are needed.
 *    Nothing is borrowed from another prefecture or from outside the supervisor's area.
 * 3. Language minimum: in every half-hour a prefecture plans any seats, at least
 *    minSpeakers[lang] of the agents on duty in it speak each listed language. Steps 1–2 take a
 *    speaker of a language still short first; whatever is still short gets an extra shift from a
 *    speaker serving in the prefecture, beyond the plan.
 * Among the agents who could take a shift: a speaker of a language still short first, then the
 * one with the fewest hours so far that day (a fair spread), then by username. An agent is never
 * on two shifts at once and never past settings.rosters.maxHoursPerDay (shifts kept from outside
 * the build count towards both). An agent's adjacent shifts in one region are joined.
 */

export const HALF_HOURS = 48;
const SLOT = 30;

export interface RosterAgent {
  id: string;
  username: string;
  /** The serving region. */
  regionCode: string;
  languages: Record<string, number>;
}

export interface Shift {
  agentId: string;
  regionCode: string;
  start: number;
  end: number;
}

/** What a roster leaves short in a region over [start, end): seats, and (for a prefecture) speakers by language. */
export interface Uncovered {
  regionCode: string;
  start: number;
  end: number;
  seatsShort: number;
  languagesShort: Record<string, number>;
}

export interface BuildInput {
  regions: RegionDirectory;
  /** Seats per region per half-hour (48), for the regions being rostered. */
  plan: Record<string, number[]>;
  /** Agents who may be rostered: active agents serving in the area. */
  agents: RosterAgent[];
  /** Shifts of these agents that the build keeps (outside the area being rostered). */
  fixed: Shift[];
  settings: RosterSettings;
}

/** The prefecture a region lies in (itself for a prefecture); null for the province. */
export function prefectureOf(regions: RegionDirectory, code: string): string | null {
  return regions.lineage(code).find((r) => r.level === 'prefecture')?.code ?? null;
}

export function buildRoster(o: BuildInput): { shifts: Shift[]; uncovered: Uncovered[] } {
  const maxSlots = Math.round(o.settings.maxHoursPerDay * 2);
  const agents = [...o.agents].sort((a, b) => a.username.localeCompare(b.username));
  const busy = new Map(agents.map((a) => [a.id, new Uint8Array(HALF_HOURS)]));
  const used = new Map(agents.map((a) => [a.id, 0]));
  for (const f of o.fixed) {
    const b = busy.get(f.agentId);
    if (!b) continue;
    for (let i = f.start / SLOT; i < f.end / SLOT; i++) b[i] = 1;
    used.set(f.agentId, used.get(f.agentId)! + (f.end - f.start) / SLOT);
  }
  const prefectureCache = new Map<string, string | null>();
  const pref = (code: string) => {
    if (!prefectureCache.has(code)) prefectureCache.set(code, prefectureOf(o.regions, code));
    return prefectureCache.get(code)!;
  };
  const serving = new Map<string, RosterAgent[]>();
  for (const a of agents) serving.set(a.regionCode, [...(serving.get(a.regionCode) ?? []), a]);
  const groups = speakerGroups(o.plan, pref, o.settings);
  const shifts: Shift[] = [];

  const free = (a: RosterAgent, s: number, e: number) => {
    if (used.get(a.id)! + (e - s) > maxSlots) return false;
    const b = busy.get(a.id)!;
    for (let i = s; i < e; i++) if (b[i]) return false;
    return true;
  };
  const assign = (a: RosterAgent, regionCode: string, s: number, e: number) => {
    const b = busy.get(a.id)!;
    for (let i = s; i < e; i++) b[i] = 1;
    used.set(a.id, used.get(a.id)! + (e - s));
    shifts.push({ agentId: a.id, regionCode, start: s * SLOT, end: e * SLOT });
    const g = groups.get(pref(regionCode) ?? '');
    if (!g) return;
    for (const [lang, counts] of g.speakers) if ((a.languages[lang] ?? 0) > 0) for (let i = s; i < e; i++) counts[i]!++;
  };
  /** Languages the region's prefecture is still short of somewhere in [s, e). */
  const shortLanguages = (regionCode: string, s: number, e: number): string[] => {
    const g = groups.get(pref(regionCode) ?? '');
    if (!g) return [];
    return [...g.speakers].filter(([lang, counts]) => {
      for (let i = s; i < e; i++) if (g.planned[i]! > 0 && counts[i]! < g.min[lang]!) return true;
      return false;
    }).map(([lang]) => lang);
  };
  const pick = (pool: RosterAgent[], regionCode: string, s: number, e: number): RosterAgent | undefined => {
    const short = shortLanguages(regionCode, s, e);
    let best: RosterAgent | undefined;
    let bestKey: [number, number] = [0, 0];
    for (const a of pool) {
      if (!free(a, s, e)) continue;
      const key: [number, number] = [-short.filter((l) => (a.languages[l] ?? 0) > 0).length, used.get(a.id)!];
      // The pool is in username order: the first of equals stays.
      if (!best || key[0] < bestKey[0] || (key[0] === bestKey[0] && key[1] < bestKey[1])) [best, bestKey] = [a, key];
    }
    return best;
  };
  /** Who may cover a region's seats its own agents could not: the prefecture's, then its other regions'. */
  const borrowable = (regionCode: string): RosterAgent[] => {
    const p = pref(regionCode);
    if (!p) return [];
    const own = p === regionCode ? [] : (serving.get(p) ?? []);
    const others = agents.filter((a) => a.regionCode !== regionCode && a.regionCode !== p && pref(a.regionCode) === p);
    return [...own, ...others];
  };

  const regionsPlanned = Object.keys(o.plan).sort();
  for (const [ts, te] of o.settings.templates) {
    const i0 = ts / SLOT;
    const i1 = te / SLOT;
    const left: { regionCode: string; s: number; e: number }[] = [];
    for (const regionCode of regionsPlanned) {
      const need = o.plan[regionCode]!;
      let peak = 0;
      for (let i = i0; i < i1; i++) peak = Math.max(peak, need[i] ?? 0);
      for (let k = 1; k <= peak; k++) {
        let s = -1;
        let e = -1;
        for (let i = i0; i < i1; i++) {
          if ((need[i] ?? 0) < k) continue;
          if (s < 0) s = i;
          e = i + 1;
        }
        const a = pick(serving.get(regionCode) ?? [], regionCode, s, e);
        if (a) assign(a, regionCode, s, e);
        else left.push({ regionCode, s, e });
      }
    }
    for (const slot of left) {
      const a = pick(borrowable(slot.regionCode), slot.regionCode, slot.s, slot.e);
      if (a) assign(a, slot.regionCode, slot.s, slot.e);
    }
    for (const [p, g] of groups) {
      for (const [lang, counts] of g.speakers) {
        const speakers = agents.filter((a) => (a.languages[lang] ?? 0) > 0 && pref(a.regionCode) === p);
        for (;;) {
          let s = -1;
          let e = -1;
          for (let i = i0; i < i1; i++) {
            if (!(g.planned[i]! > 0 && counts[i]! < g.min[lang]!)) continue;
            if (s < 0) s = i;
            e = i + 1;
          }
          if (s < 0) break;
          const a = pick(speakers, p, s, e);
          if (!a) break;
          assign(a, a.regionCode, s, e);
        }
      }
    }
  }

  const joined = join(shifts);
  const languages = new Map(agents.map((a) => [a.id, a.languages]));
  return { shifts: joined, uncovered: coverage({ regions: o.regions, plan: o.plan, shifts: joined, languagesOf: (id) => languages.get(id) ?? {}, settings: o.settings }) };
}

/** An agent's back-to-back shifts in one region become one. */
export function join(shifts: Shift[]): Shift[] {
  const sorted = [...shifts].sort((a, b) => a.agentId.localeCompare(b.agentId) || a.start - b.start);
  const out: Shift[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && last.agentId === s.agentId && last.regionCode === s.regionCode && last.end === s.start) last.end = s.end;
    else out.push({ ...s });
  }
  return out;
}

interface SpeakerGroup {
  /** Seats planned in the prefecture (its regions being rostered) per half-hour. */
  planned: Int32Array;
  min: Record<string, number>;
  /** Speakers on duty per language per half-hour. */
  speakers: Map<string, Int32Array>;
}

/** Prefectures with planned seats and a minimum of speakers, with their counts at zero. */
function speakerGroups(plan: Record<string, number[]>, pref: (code: string) => string | null, settings: RosterSettings): Map<string, SpeakerGroup> {
  const groups = new Map<string, SpeakerGroup>();
  for (const [code, seats] of Object.entries(plan)) {
    const p = pref(code);
    if (!p) continue;
    let g = groups.get(p);
    if (!g) {
      const min = Object.fromEntries(Object.entries(settings.minSpeakers(p)).filter(([, n]) => (n ?? 0) > 0)) as Record<string, number>;
      g = { planned: new Int32Array(HALF_HOURS), min, speakers: new Map(Object.keys(min).map((l) => [l, new Int32Array(HALF_HOURS)])) };
      groups.set(p, g);
    }
    for (let i = 0; i < HALF_HOURS; i++) g.planned[i]! += seats[i] ?? 0;
  }
  for (const [p, g] of groups) if (g.speakers.size === 0 || !g.planned.some((n) => n > 0)) groups.delete(p);
  return groups;
}

/**
 * What a roster leaves short of its plan: per region and half-hour the seats not covered, and
 * per prefecture the speakers missing of the minimum (in half-hours it plans seats); runs of
 * half-hours short alike are one entry.
 */
export function coverage(o: { regions: RegionDirectory; plan: Record<string, number[]>; shifts: Shift[]; languagesOf: (agentId: string) => Record<string, number>; settings: RosterSettings }): Uncovered[] {
  const pref = (code: string) => prefectureOf(o.regions, code);
  const groups = speakerGroups(o.plan, pref, o.settings);
  const covered = new Map<string, Int32Array>();
  for (const s of o.shifts) {
    let c = covered.get(s.regionCode);
    if (!c) covered.set(s.regionCode, (c = new Int32Array(HALF_HOURS)));
    for (let i = s.start / SLOT; i < s.end / SLOT; i++) c[i]!++;
    const g = groups.get(pref(s.regionCode) ?? '');
    if (!g) continue;
    const spoken = o.languagesOf(s.agentId);
    for (const [lang, counts] of g.speakers) if ((spoken[lang] ?? 0) > 0) for (let i = s.start / SLOT; i < s.end / SLOT; i++) counts[i]!++;
  }
  const codes = [...new Set([...Object.keys(o.plan), ...groups.keys()])].sort();
  const out: Uncovered[] = [];
  for (const code of codes) {
    const need = o.plan[code];
    const g = groups.get(code);
    let run: Uncovered | null = null;
    for (let i = 0; i <= HALF_HOURS; i++) {
      const seatsShort = i < HALF_HOURS ? Math.max(0, (need?.[i] ?? 0) - (covered.get(code)?.[i] ?? 0)) : 0;
      const languagesShort: Record<string, number> = {};
      if (g && i < HALF_HOURS && g.planned[i]! > 0) for (const [lang, counts] of g.speakers) if (counts[i]! < g.min[lang]!) languagesShort[lang] = g.min[lang]! - counts[i]!;
      const short = seatsShort > 0 || Object.keys(languagesShort).length > 0;
      if (run && short && run.seatsShort === seatsShort && JSON.stringify(run.languagesShort) === JSON.stringify(languagesShort)) {
        run.end = (i + 1) * SLOT;
        continue;
      }
      if (run) out.push(run);
      run = short ? { regionCode: code, start: i * SLOT, end: (i + 1) * SLOT, seatsShort, languagesShort } : null;
    }
  }
  return out;
}
