import type { LiveAgent, LiveCall } from '../queue/types';
import type { RegionDirectory } from '../regions/region-directory';
import { agentsForTarget, DEFAULT_SERVICE_LEVEL_GOAL } from '../staffing/erlang';
import type { AgentsByState, Figures } from './protocol';
import { CST_OFFSET_MS, chinaDay, DAY_MS, startOfChinaDay } from '../time/china-time';

/**
 * The wallboard's figures, as pure functions of what was read (a router snapshot, grouped call
 * counts, the seat plan's entries). Every figure of a region covers its whole subtree: a call or
 * an agent counts towards its own region and every region above it.
 *
 * Definitions (the threshold T and the window W are the province's targets,
 * `provinces.settings.targets`: 15 s and 15 minutes unless set; "today" is the China-time
 * calendar day):
 * - waiting: calls in the queue not yet answered (waiting, or ringing an agent); callbacks not
 *   yet due are promises in the database, not in the queue. longestWaitSeconds: the longest of
 *   their waits. waitingPastThreshold: those waiting longer than T now.
 * - agents: signed-in agents by state, by their serving region. seatsLoggedIn: their sum
 *   (every state but offline).
 * - offeredToday: inbound calls that joined the queue today (menus-only hang-ups excluded);
 *   answeredToday / abandonedToday: of those, answered by an agent / hung up while waiting.
 * - serviceLevelToday: answered within T ÷ (answered + abandoned after waiting more than T +
 *   waiting more than T now), the usual definition that leaves out callers who hang up within T —
 *   and counts a caller already past T as missed before they are answered or give up (a queue of
 *   37 callers does not show 100 %); null with no such call.
 * - serviceLevel30m, serviceLevelWindow: the same over calls answered or abandoned in the last 30
 *   minutes / W, with the callers waiting past T now.
 * - answerRateWindow / abandonmentWindow: answered / abandoned ÷ (answered + abandoned) over calls
 *   that ended in W (endedWindow); null when none did.
 * - abandonmentToday: abandonedToday ÷ offeredToday; null when nothing was offered.
 * - seatsPlanned: today's saved seat plan for the current half-hour, summed over the subtree;
 *   null when no plan was saved for today.
 * - overdueCallbacks: callbacks of the subtree's callers still pending or being tried past the
 *   callback policy's overdueMinutes after they fell due. overdueReferrals: referrals of the
 *   subtree's tickets past their acceptance or closing deadline.
 * - rostered: agents on a published shift of today's roster in the current half-hour, by the
 *   region the shift covers; rosteredSignedIn: those of them signed in now (any state but
 *   offline, wherever they serve). Both 0 without a published roster.
 * - seatsNeeded: Erlang C agents on the phones for the last 30 minutes' offered calls (taken as
 *   this half-hour's load), the router's handle time, the service-level goal within T. A
 *   prefecture's figure is computed on its pooled load, so it may be below the sum of its
 *   counties' (overflow pools them).
 */

export const THIRTY_MINUTES_MS = 30 * 60_000;

/** Calls counted per region by the database, each region on its own (not yet rolled up). */
export interface CallCounts {
  offeredToday: number;
  answeredToday: number;
  answeredInThresholdToday: number;
  abandonedToday: number;
  abandonedAfterThresholdToday: number;
  offered30m: number;
  answered30m: number;
  answeredInThreshold30m: number;
  abandonedAfterThreshold30m: number;
  answeredWindow: number;
  answeredInThresholdWindow: number;
  abandonedWindow: number;
  abandonedAfterThresholdWindow: number;
}

export interface LiveCounts {
  waiting: number;
  longestWaitSeconds: number;
  waitingPastThreshold: number;
  agents: AgentsByState;
}

export const emptyCallCounts = (): CallCounts => ({
  offeredToday: 0,
  answeredToday: 0,
  answeredInThresholdToday: 0,
  abandonedToday: 0,
  abandonedAfterThresholdToday: 0,
  offered30m: 0,
  answered30m: 0,
  answeredInThreshold30m: 0,
  abandonedAfterThreshold30m: 0,
  answeredWindow: 0,
  answeredInThresholdWindow: 0,
  abandonedWindow: 0,
  abandonedAfterThresholdWindow: 0,
});

export const emptyLiveCounts = (): LiveCounts => ({ waiting: 0, longestWaitSeconds: 0, waitingPastThreshold: 0, agents: { ready: 0, reserved: 0, on_call: 0, wrap_up: 0, not_ready: 0 } });

/** The start of the China-time day holding `at`. */
export const chinaDayStart = (at: number): Date => startOfChinaDay(at);

/** 'YYYY-MM-DD' of the China-time day holding `at`. */
export const chinaDate = (at: number): string => chinaDay(at);

/** The half-hour holding `at`, in minutes after China-time midnight (0, 30, …, 1410). */
export function halfHourOf(at: number): number {
  const minutes = Math.floor(((at + CST_OFFSET_MS) % DAY_MS) / 60_000);
  return minutes - (minutes % 30);
}

/**
 * A region's code and every code above it, cached: the tree is small and fixed while the app
 * runs. A code the directory does not know (or none) counts for the province only.
 */
export class Lineages {
  private readonly cache = new Map<string, string[]>();

  constructor(private readonly regions: RegionDirectory) {}

  of(code: string | null | undefined): string[] {
    const key = code ?? '';
    let codes = this.cache.get(key);
    if (!codes) {
      const lineage = code ? this.regions.lineage(code).map((r) => r.code) : [];
      codes = lineage.length ? lineage : [this.regions.province.code];
      this.cache.set(key, codes);
    }
    return codes;
  }
}

/** Waiting calls and agents by state from one pass over a router snapshot. */
export function liveCounts(snapshot: { calls: Iterable<LiveCall>; agents: Iterable<LiveAgent> }, now: number, lineages: Lineages, thresholdSeconds: number): Map<string, LiveCounts> {
  const out = new Map<string, LiveCounts>();
  const at = (code: string) => {
    let v = out.get(code);
    if (!v) out.set(code, (v = emptyLiveCounts()));
    return v;
  };
  for (const c of snapshot.calls) {
    if (c.status !== 'waiting' && c.status !== 'offered') continue;
    const waited = Math.max(0, Math.floor((now - c.enqueuedAt) / 1000));
    for (const code of lineages.of(c.regionCode)) {
      const v = at(code);
      v.waiting++;
      if (waited > v.longestWaitSeconds) v.longestWaitSeconds = waited;
      // Callback attempts are the hotline calling out: nobody waits on the line for them.
      if (c.kind === 'call' && now - c.enqueuedAt > thresholdSeconds * 1000) v.waitingPastThreshold++;
    }
  }
  for (const a of snapshot.agents) {
    if (a.state === 'offline') continue;
    for (const code of lineages.of(a.regionCode)) at(code).agents[a.state]++;
  }
  return out;
}

/** Per-region call counts added up the tree. */
export function rollUpCalls(rows: Iterable<{ regionCode: string | null } & CallCounts>, lineages: Lineages): Map<string, CallCounts> {
  const out = new Map<string, CallCounts>();
  for (const row of rows) {
    for (const code of lineages.of(row.regionCode)) {
      let v = out.get(code);
      if (!v) out.set(code, (v = emptyCallCounts()));
      for (const k of Object.keys(v) as (keyof CallCounts)[]) v[k] += Number(row[k]) || 0;
    }
  }
  return out;
}

/** Planned seats added up the tree; null for every region when no plan exists. */
export function rollUpSeats(entries: Iterable<{ regionCode: string; seats: number }>, lineages: Lineages): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of entries) for (const code of lineages.of(e.regionCode)) out.set(code, (out.get(code) ?? 0) + Number(e.seats));
  return out;
}

/** Answered within the threshold over answered, abandoned after it and waiting past it now; null when all are 0. */
export function serviceLevel(answeredInThreshold: number, answered: number, abandonedAfterThreshold: number, waitingPastThreshold = 0): number | null {
  const denominator = answered + abandonedAfterThreshold + waitingPastThreshold;
  return denominator > 0 ? round3(answeredInThreshold / denominator) : null;
}

/** Agents on the phones Erlang C needs for `calls` in half an hour; 0 for no calls. */
export function seatsNeeded(calls: number, ahtSeconds: number, thresholdSeconds: number, target = DEFAULT_SERVICE_LEVEL_GOAL): number {
  if (!(calls > 0) || !(ahtSeconds > 0)) return 0;
  return agentsForTarget({ calls, intervalSeconds: THIRTY_MINUTES_MS / 1000, ahtSeconds, targetServiceLevel: target, thresholdSeconds }).agents;
}

export interface FigureInputs {
  live: Map<string, LiveCounts>;
  calls: Map<string, CallCounts>;
  /** Null: no plan saved for today. */
  planned: Map<string, number> | null;
  /** Overdue callbacks, rolled up. */
  overdueCallbacks?: Map<string, number>;
  /** Overdue referrals, rolled up. */
  overdueReferrals?: Map<string, number>;
  /** Overdue follow-ups of dissatisfied callers, rolled up. */
  overdueFollowUps?: Map<string, number>;
  ahtSeconds: number;
  thresholdSeconds: number;
  /** Erlang C's service-level goal for seatsNeeded. */
  goal?: number;
  /** Rostered now and signed in of them, rolled up. */
  adherence?: Map<string, Adherence>;
}

export interface Adherence {
  rostered: number;
  signedIn: number;
}

/**
 * Agents rostered for now by the region their shift covers, and how many of them are signed in,
 * added up the tree.
 */
export function rollUpAdherence(rostered: Iterable<{ agentId: string; regionCode: string }>, signedIn: (agentId: string) => boolean, lineages: Lineages): Map<string, Adherence> {
  const out = new Map<string, Adherence>();
  for (const r of rostered) {
    const on = signedIn(r.agentId);
    for (const code of lineages.of(r.regionCode)) {
      let v = out.get(code);
      if (!v) out.set(code, (v = { rostered: 0, signedIn: 0 }));
      v.rostered++;
      if (on) v.signedIn++;
    }
  }
  return out;
}

/** The figures of one region (its subtree), from rolled-up inputs. */
export function figuresOf(code: string, o: FigureInputs, needed: (calls: number) => number): Figures {
  const live = o.live.get(code) ?? emptyLiveCounts();
  const c = o.calls.get(code) ?? emptyCallCounts();
  const a = live.agents;
  return {
    waiting: live.waiting,
    longestWaitSeconds: live.longestWaitSeconds,
    agents: { ...a },
    offeredToday: c.offeredToday,
    answeredToday: c.answeredToday,
    abandonedToday: c.abandonedToday,
    serviceLevelToday: serviceLevel(c.answeredInThresholdToday, c.answeredToday, c.abandonedAfterThresholdToday, live.waitingPastThreshold),
    serviceLevel30m: serviceLevel(c.answeredInThreshold30m, c.answered30m, c.abandonedAfterThreshold30m, live.waitingPastThreshold),
    serviceLevelWindow: serviceLevel(c.answeredInThresholdWindow, c.answeredWindow, c.abandonedAfterThresholdWindow, live.waitingPastThreshold),
    answerRateWindow: share(c.answeredWindow, c.answeredWindow + c.abandonedWindow),
    abandonmentWindow: share(c.abandonedWindow, c.answeredWindow + c.abandonedWindow),
    endedWindow: c.answeredWindow + c.abandonedWindow,
    waitingPastThreshold: live.waitingPastThreshold,
    abandonmentToday: c.offeredToday > 0 ? round3(c.abandonedToday / c.offeredToday) : null,
    offered30m: c.offered30m,
    seatsPlanned: o.planned ? (o.planned.get(code) ?? 0) : null,
    seatsLoggedIn: a.ready + a.reserved + a.on_call + a.wrap_up + a.not_ready,
    seatsNeeded: needed(c.offered30m),
    rostered: o.adherence?.get(code)?.rostered ?? 0,
    rosteredSignedIn: o.adherence?.get(code)?.signedIn ?? 0,
    overdueCallbacks: o.overdueCallbacks?.get(code) ?? 0,
    overdueReferrals: o.overdueReferrals?.get(code) ?? 0,
    overdueFollowUps: o.overdueFollowUps?.get(code) ?? 0,
  };
}

/** Figures of every region of the directory; Erlang C is run once per distinct load. */
export function allFigures(codes: Iterable<string>, o: FigureInputs): Map<string, Figures> {
  const memo = new Map<number, number>();
  const needed = (calls: number) => {
    let n = memo.get(calls);
    if (n === undefined) memo.set(calls, (n = seatsNeeded(calls, o.ahtSeconds, o.thresholdSeconds, o.goal)));
    return n;
  };
  const out = new Map<string, Figures>();
  for (const code of codes) out.set(code, figuresOf(code, o, needed));
  return out;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const share = (part: number, whole: number): number | null => (whole > 0 ? round3(part / whole) : null);
