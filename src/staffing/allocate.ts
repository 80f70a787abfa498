import { DEFAULT_ROUTING } from '../queue/settings';
import { erlangCWait } from './erlang';
import { mixStages, overflowStage, type StageResult, stageWithin } from './overflow';

/**
 * Seat allocation across a province's prefectures and counties, interval by interval.
 *
 * Greedy marginal gain: after the minimum seats, each seat of the interval's budget goes to the
 * region where it adds the most to the objective — calls answered within the threshold, each
 * counted once more while its region is below the target (so seats reach regions short of the
 * target first, and beyond that go where they answer the most calls). Where a region's seats
 * cannot yet carry its load, the next seat alone adds almost nothing (its callers keep waiting
 * past the county step whatever happens), so such a region is judged by its best average gain
 * over its next k seats, k up to what makes its own load fit; so is a county with no seat (its
 * first seat can even hurt: with none its calls skip straight to the prefecture's seats). All of
 * the budget is allocated; seats that add nothing anywhere (no calls) follow population. Gains
 * are re-evaluated lazily (only the best candidate's, until it stays best).
 *
 * The queueing model of one interval (steady state; a day is taken interval by interval) follows
 * the routing policy's overflow steps:
 * 1. County stage — a county's new calls wait for the county's own agents for up to
 *    `overflowSeconds`: M/M/n+D (deterministic overflow, exact closed form: overflow.ts). A
 *    county with nobody signed in is skipped at once, as the router skips a step nobody staffs.
 * 2. Prefecture pool — the prefecture's own calls (callers known only by prefecture), county
 *    calls that overflowed and calls of unstaffed counties, answered by the time the group's
 *    agents (the prefecture's and its counties') have left from county calls, pooled as one
 *    M/M/N+D queue until the province step (`provinceOverflowSeconds` − `overflowSeconds`).
 *    Pool calls have waited longer than a county's new calls, and the router gives a freed agent
 *    the longest-waiting call it may take, so the pool's work comes first: it is shared out among
 *    the group's agents and taken off the time county agents have for their own new calls (a
 *    fixed point of a few damped rounds). This is what makes an overloaded county's seats answer
 *    its own overflow rather than new callers.
 * 3. Province — what the pools pass on, plus the province's own calls (callers the IVR could not
 *    place) and seats, if the list holds the province: Erlang C on the spare time left across
 *    the province (a fluid estimate when even that is short). It changes ASA and occupancy; it
 *    counts towards the service level only for thresholds beyond the province step, and is left
 *    out of the greedy objective.
 * Agents on the phones = seats × (1 − shrinkage); a fractional number is the mixture of the whole
 * numbers either side (the last seat staffed that share of the time).
 *
 * Limits: the pool's work is shared by a heuristic (calls that find someone free go to the free
 * time, the rest in proportion to busy agents); spare time is pooled as if it were whole agents;
 * priority is treated as pre-emptive (capacity taken off the top), whereas a freed agent only
 * picks the oldest call when one is waiting; patience is not modelled (nobody hangs up); each
 * interval is in steady state (no queue carried over between intervals). The simulator
 * (simulate.ts), which runs the real policy, is the check on a plan: bench:staffing and
 * docs/benchmarks.md give the model against it.
 */

export interface AllocationInput {
  intervalSeconds: number;
  ahtSeconds: number;
  thresholdSeconds: number;
  targetServiceLevel: number;
  shrinkage: number;
  /** Seats per interval (48). */
  budget: number[];
  /** Prefectures and counties (a province entry is allowed: its seats and calls go to the province stage). */
  regions: { code: string; parentCode: string | null; population: number; minSeats: number }[];
  /** Calls per interval (48) by region; a region missing here has none. */
  demand: Record<string, number[]>;
  /** When a county's waiting call may go to its prefecture's seats (routing step), default 30. */
  overflowSeconds?: number;
  /** When a waiting call may go to any seat in the province (routing step), default 90. */
  provinceOverflowSeconds?: number;
}

export interface RegionOutcome {
  seats: number;
  serviceLevel: number;
  asa: number;
  occupancy: number;
}

export interface AllocationResult {
  intervals: {
    start: number;
    budget: number;
    seats: Record<string, number>;
    proportional: Record<string, number>;
    expected: Record<string, RegionOutcome> & { province: RegionOutcome };
    expectedProportional: Record<string, RegionOutcome> & { province: RegionOutcome };
  }[];
  summary: { serviceLevel: number; serviceLevelProportional: number; seatsUsed: number };
}

const EPS = 1e-12;
/** Rounds of the fixed point between county stages and the pool. */
const ROUNDS = 3;
/** Seat counts tried ahead when a region's next seat alone is not judged enough. */
const AHEAD = [1, 2, 3, 4, 6, 8, 11, 15, 20, 27, 36, 48, 64, 85, 113, 150, 200, 270, 360, 480, 640];

interface Model {
  n: number;
  codes: string[];
  population: number[];
  minSeats: number[];
  /** Group (prefecture) of each region, -1 for a province entry. */
  group: number[];
  /** Group roots (prefectures), each with its member counties. */
  roots: number[];
  members: Map<number, number[]>;
  /** Province entries in the list (callers and seats of the whole province). */
  provinceEntries: number[];
  aht: number;
  T: number;
  O: number;
  P: number;
  keep: number;
  target: number;
  interval: number;
}

interface IntervalState {
  lambda: Float64Array;
  /** County stages by region and whole number of agents (own calls only depend on these). */
  stages: Map<number, StageResult>[];
}

interface CountyStage {
  /** Share of the time nobody is signed in: calls skip straight to the prefecture. */
  skip: number;
  /** The county stage while someone is signed in (own calls, on the time pool work leaves). */
  s: StageResult;
  /** P(answered in the county stage within the threshold). */
  withinT: number;
  /** Erlangs of pool work (older calls) the county's agents carry ahead of their own new calls. */
  high: number;
  /** Erlangs of the county's own calls its agents carry in the county stage. */
  own: number;
}

interface GroupEval {
  pool: StageResult;
  /** Agent time available to the pool (fractional agents). */
  poolAgents: number;
  /** Whether anyone in the prefecture is on the phones (else the pool is skipped). */
  staffed: boolean;
  /** Calls per second into the pool. */
  inflow: number;
  counties: Map<number, CountyStage>;
}

export function allocateSeats(input: AllocationInput): AllocationResult {
  const m = buildModel(input);
  const L = input.budget.length;
  const intervals: AllocationResult['intervals'] = [];
  let calls = 0;
  let within = 0;
  let withinProp = 0;
  let seatsUsed = 0;
  for (let i = 0; i < L; i++) {
    const budget = input.budget[i]!;
    if (!Number.isInteger(budget) || budget < 0) throw new RangeError(`budget[${i}] must be a whole number ≥ 0`);
    const st: IntervalState = { lambda: new Float64Array(m.n), stages: Array.from({ length: m.n }, () => new Map()) };
    for (let r = 0; r < m.n; r++) st.lambda[r] = (input.demand[m.codes[r]!]?.[i] ?? 0) / m.interval;
    const seats = greedy(m, st, budget);
    const used = seats.reduce((s, x) => s + x, 0);
    const prop = largestRemainder(m.population, used);
    const expected = evaluate(m, st, seats);
    const expectedProportional = evaluate(m, st, prop);
    const intervalCalls = st.lambda.reduce((s, x) => s + x, 0) * m.interval;
    calls += intervalCalls;
    within += expected.province.serviceLevel * intervalCalls;
    withinProp += expectedProportional.province.serviceLevel * intervalCalls;
    seatsUsed += used;
    intervals.push({
      start: i * (input.intervalSeconds / 60),
      budget,
      seats: record(m.codes, seats),
      proportional: record(m.codes, prop),
      expected,
      expectedProportional,
    });
  }
  return {
    intervals,
    summary: { serviceLevel: calls > 0 ? within / calls : 1, serviceLevelProportional: calls > 0 ? withinProp / calls : 1, seatsUsed },
  };
}

function buildModel(input: AllocationInput): Model {
  const num = (x: number, name: string, min = 0) => {
    if (!(x >= min) || !Number.isFinite(x)) throw new RangeError(`${name} must be a finite number ≥ ${min}`);
    return x;
  };
  num(input.intervalSeconds, 'intervalSeconds', 1);
  num(input.ahtSeconds, 'ahtSeconds', 1e-9);
  num(input.thresholdSeconds, 'thresholdSeconds');
  if (!(input.targetServiceLevel > 0 && input.targetServiceLevel < 1)) throw new RangeError('targetServiceLevel must be between 0 and 1');
  if (!(input.shrinkage >= 0 && input.shrinkage < 1)) throw new RangeError('shrinkage must be in [0, 1)');
  const O = num(input.overflowSeconds ?? DEFAULT_ROUTING.steps[1]!.afterSeconds, 'overflowSeconds');
  const P = num(input.provinceOverflowSeconds ?? DEFAULT_ROUTING.steps[2]!.afterSeconds, 'provinceOverflowSeconds');
  if (P < O) throw new RangeError('provinceOverflowSeconds must not be before overflowSeconds');
  const L = input.budget.length;
  if (L === 0) throw new RangeError('budget needs at least one interval');

  const codes = input.regions.map((r) => r.code);
  const index = new Map(codes.map((c, i) => [c, i]));
  if (index.size !== codes.length) throw new RangeError('regions must not repeat a code');
  for (const [code, series] of Object.entries(input.demand)) {
    if (!index.has(code)) throw new RangeError(`demand for ${code}, which is not among the regions`);
    if (series.length !== L) throw new RangeError(`demand for ${code} has ${series.length} intervals, the budget ${L}`);
    series.forEach((x, i) => num(x, `demand[${code}][${i}]`));
  }
  input.regions.forEach((r) => {
    num(r.population, `population of ${r.code}`);
    if (!Number.isInteger(r.minSeats) || r.minSeats < 0) throw new RangeError(`minSeats of ${r.code} must be a whole number ≥ 0`);
  });
  // Listed ancestors of each region (nearest first): 0 heads a group, 1 is a county of a listed
  // prefecture, 2 a county under a listed province and prefecture.
  const parentOf = input.regions.map((r) => (r.parentCode === null ? -1 : index.get(r.parentCode) ?? -1));
  const ancestors = parentOf.map((_, i) => {
    const out: number[] = [];
    for (let p = parentOf[i]!; p >= 0; p = parentOf[p]!) {
      out.push(p);
      if (out.length > 2) throw new RangeError('regions go at most three levels deep (province, prefecture, county) and may not form a cycle');
    }
    return out;
  });
  // A top region with grandchildren listed is the province: its children head the groups.
  const isProvince = ancestors.map((_, i) => parentOf[i] === -1 && ancestors.some((a) => a.length === 2 && a[1] === i));
  const group = ancestors.map((a, i) => {
    if (isProvince[i]) return -1;
    const top = a.length === 0 ? i : a[a.length - 1]!;
    if (!isProvince[top]) return top;
    return a.length === 1 ? i : a[a.length - 2]!; // a prefecture under the province heads its own group
  });
  const roots = [...new Set(group.filter((g) => g >= 0))];
  const members = new Map<number, number[]>(roots.map((g) => [g, []]));
  group.forEach((g, i) => {
    if (g >= 0 && g !== i) members.get(g)!.push(i);
  });
  return {
    n: codes.length,
    codes,
    population: input.regions.map((r) => r.population),
    minSeats: input.regions.map((r) => r.minSeats),
    group,
    roots,
    members,
    provinceEntries: group.flatMap((g, i) => (g === -1 ? [i] : [])),
    aht: input.ahtSeconds,
    T: input.thresholdSeconds,
    O,
    P,
    keep: 1 - input.shrinkage,
    target: input.targetServiceLevel,
    interval: input.intervalSeconds,
  };
}

/** A county's stage for a fractional number of agents: the mixture of the whole numbers either side (cached). */
function countyAgentsStage(m: Model, st: IntervalState, r: number, agents: number): StageResult {
  const lo = Math.floor(agents + 1e-9);
  const w = agents - lo;
  const lower = cachedStage(m, st, r, lo);
  return w > 1e-9 ? mixStages(lower, cachedStage(m, st, r, lo + 1), w) : lower;
}

function cachedStage(m: Model, st: IntervalState, r: number, n: number): StageResult {
  const cache = st.stages[r]!;
  let s = cache.get(n);
  if (!s) cache.set(n, (s = overflowStage(n, st.lambda[r]!, m.aht, m.O)));
  return s;
}

function fractionalStage(agents: number, lambda: number, m: Model, overflowSeconds: number): StageResult {
  const lo = Math.floor(agents + 1e-9);
  const w = agents - lo;
  const lower = overflowStage(lo, lambda, m.aht, overflowSeconds);
  return w > 1e-9 ? mixStages(lower, overflowStage(lo + 1, lambda, m.aht, overflowSeconds), w) : lower;
}

/** A county's own new calls with `agents` signed in, of whom `high` Erlangs go to older calls first. */
function countyStage(m: Model, st: IntervalState, r: number, agents: number, high: number): CountyStage {
  // Below one agent the county is staffed only that share of the time, and skipped otherwise.
  const skip = agents < 1 ? 1 - agents : 0;
  const present = agents < 1 ? 1 : agents;
  const staffedShare = 1 - skip;
  const perStaffedTime = staffedShare > 0 ? high / staffedShare : 0;
  const s = countyAgentsStage(m, st, r, Math.max(0, present - perStaffedTime));
  const staffedWithin = m.T >= m.O ? 1 - s.overflow : stageWithin(s, m.T);
  return { skip, s, withinT: staffedShare * staffedWithin, high, own: staffedShare * s.carried };
}

/**
 * A prefecture's group: county stages and the pool, solved together (see the file comment): the
 * pool's carried load is shared out — the share of its calls that find someone free goes to the
 * free time, the rest to whoever frees first, in proportion to busy agents — and taken off the
 * time county agents have for their own new calls, over a few damped rounds.
 */
function groupEval(m: Model, st: IntervalState, g: number, seats: ArrayLike<number>): GroupEval {
  const members = m.members.get(g)!;
  const nP = seats[g]! * m.keep;
  const high = new Float64Array(members.length);
  for (let round = 0; ; round++) {
    const counties = new Map<number, CountyStage>();
    let poolAgents = nP;
    let staffed = nP > 0;
    let inflow = st.lambda[g]!;
    for (let j = 0; j < members.length; j++) {
      const c = members[j]!;
      const n = seats[c]! * m.keep;
      const cs = countyStage(m, st, c, n, high[j]!);
      counties.set(c, cs);
      if (n > 0) staffed = true;
      inflow += st.lambda[c]! * (cs.skip + (1 - cs.skip) * cs.s.overflow);
      poolAgents += Math.max(0, n - cs.own);
    }
    const pool = staffed ? fractionalStage(poolAgents, inflow, m, m.P - m.O) : overflowStage(0, inflow, m.aht, 0);
    if (round === ROUNDS - 1 || members.length === 0 || !staffed || pool.carried <= 0) return { pool, poolAgents, staffed, inflow, counties };
    let idleTotal = nP;
    let busyTotal = 0;
    for (let j = 0; j < members.length; j++) {
      const n = seats[members[j]!]! * m.keep;
      const own = counties.get(members[j]!)!.own;
      idleTotal += Math.max(0, n - own - high[j]!);
      busyTotal += Math.min(n, own + high[j]!);
    }
    for (let j = 0; j < members.length; j++) {
      const n = seats[members[j]!]! * m.keep;
      const own = counties.get(members[j]!)!.own;
      const idle = Math.max(0, n - own - high[j]!);
      const busy = Math.min(n, own + high[j]!);
      const share = (idleTotal > 0 ? (pool.immediate * idle) / idleTotal : 0) + (busyTotal > 0 ? ((1 - pool.immediate) * busy) / busyTotal : 0);
      high[j] = 0.5 * high[j]! + 0.5 * Math.min(n, pool.carried * share);
    }
  }
}

const score = (m: Model, lambda: number, sl: number) => lambda * (sl + Math.min(sl, m.target));

/** Calls (per second) answered within the threshold in a group's county and prefecture stages, counted again below the target. */
function groupObjective(m: Model, st: IntervalState, g: number, seats: ArrayLike<number>): number {
  const e = groupEval(m, st, g, seats);
  const poolNow = e.staffed ? stageWithin(e.pool, m.T) : 0;
  const poolLate = e.staffed ? stageWithin(e.pool, m.T - m.O) : 0;
  let total = score(m, st.lambda[g]!, poolNow);
  for (const c of m.members.get(g)!) {
    const lambda = st.lambda[c]!;
    if (lambda === 0) continue;
    const cs = e.counties.get(c)!;
    total += score(m, lambda, cs.withinT + cs.skip * poolNow + (1 - cs.skip) * cs.s.overflow * poolLate);
  }
  return total;
}

/** The province's own callers answered by the province's own seats (the greedy's view of a province entry). */
function provinceObjective(m: Model, st: IntervalState, r: number, seats: ArrayLike<number>): number {
  const lambda = st.lambda[r]!;
  if (lambda === 0) return 0;
  const agents = seats[r]! * m.keep;
  if (agents < 1) return 0;
  return score(m, lambda, stageWithin(fractionalStage(agents, lambda, m, m.interval), m.T));
}

function greedy(m: Model, st: IntervalState, budget: number): number[] {
  const seats = new Array<number>(m.n).fill(0);
  let left = budget;
  // Minimums first; if the budget cannot cover them, the regions with the most calls get theirs first.
  const byNeed = [...Array(m.n).keys()].sort((a, b) => st.lambda[b]! - st.lambda[a]! || m.population[b]! - m.population[a]! || a - b);
  for (const r of byNeed) {
    const give = Math.min(left, m.minSeats[r]!);
    seats[r] = give;
    left -= give;
  }
  const objective = (key: number) => (key >= 0 ? groupObjective(m, st, key, seats) : provinceObjective(m, st, -key - 1, seats));
  const keyOf = (r: number) => (m.group[r]! >= 0 ? m.group[r]! : -r - 1);
  const value = new Map<number, number>();
  for (let r = 0; r < m.n; r++) if (!value.has(keyOf(r))) value.set(keyOf(r), objective(keyOf(r)));
  // Load a region's seats must carry before its next seat counts on its own (Erlangs, in seats).
  const ownLoad = (r: number) => (st.lambda[r]! * m.aht) / m.keep;
  const gain = new Float64Array(m.n);
  const step = new Int32Array(m.n);
  const fresh = new Uint8Array(m.n);
  const rate = (r: number) => {
    const key = keyOf(r);
    const base = value.get(key)!;
    const original = seats[r]!;
    const reach = original === 0 || original < ownLoad(r) + 1 ? Math.ceil(ownLoad(r) + 2) - original : 1;
    const kMax = Math.max(1, Math.min(left, reach));
    let best = -Infinity;
    let bestK = 1;
    for (const k of AHEAD) {
      if (k > kMax) break;
      seats[r] = original + k;
      const avg = (objective(key) - base) / k;
      if (avg > best + EPS) {
        best = avg;
        bestK = k;
      }
    }
    seats[r] = original;
    gain[r] = best;
    step[r] = bestK;
    fresh[r] = 1;
  };
  for (let r = 0; r < m.n; r++) rate(r);
  while (left > 0) {
    let best = -1;
    for (let r = 0; r < m.n; r++) if (best < 0 || gain[r]! > gain[best]!) best = r;
    if (best < 0) break;
    if (!fresh[best] || step[best]! > left) {
      rate(best);
      continue;
    }
    if (!(gain[best]! > EPS)) break;
    const k = step[best]!;
    seats[best]! += k;
    left -= k;
    const key = keyOf(best);
    value.set(key, objective(key));
    // Seats in a group change every member's gains: they are re-rated when they come out on top.
    for (let r = 0; r < m.n; r++) if (keyOf(r) === key) fresh[r] = 0;
  }
  if (left > 0) {
    // Nothing adds answered calls any more: the rest follows population.
    largestRemainder(m.population, left).forEach((x, r) => (seats[r]! += x));
  }
  return seats;
}

/** Expected outcome of every region and the province for a seat plan (all three stages). */
function evaluate(m: Model, st: IntervalState, seats: number[]): Record<string, RegionOutcome> & { province: RegionOutcome } {
  const groups = new Map<number, GroupEval>();
  let provinceInflow = 0;
  let provinceAgents = 0;
  for (const g of m.roots) {
    const e = groupEval(m, st, g, seats);
    groups.set(g, e);
    provinceInflow += e.inflow * e.pool.overflow;
    provinceAgents += Math.max(0, e.poolAgents - e.pool.carried);
  }
  for (const p of m.provinceEntries) {
    provinceInflow += st.lambda[p]!;
    provinceAgents += seats[p]! * m.keep;
  }
  // Province stage: Erlang C on the spare time, or a fluid estimate when that is short.
  const provLoad = provinceInflow * m.aht;
  let provWait: number;
  let provWithin: (t: number) => number;
  let provOccupancy: number;
  const n = Math.floor(provinceAgents + 1e-9);
  if (provinceInflow === 0) {
    provWait = 0;
    provWithin = () => 1;
    provOccupancy = 0;
  } else if (n >= 1 && n > provLoad) {
    const pw = erlangCWait(n, provLoad);
    provWait = (pw * m.aht) / (n - provLoad);
    provWithin = (t) => (t < 0 ? 0 : 1 - pw * Math.exp((-(n - provLoad) * t) / m.aht));
    provOccupancy = provLoad / provinceAgents;
  } else {
    // Overloaded (or nobody left): callers arriving over the interval wait, on average, for the
    // queue the excess builds up; with nobody at all, for the whole interval.
    provWait = provinceAgents > 0 ? fluidWait(provLoad / provinceAgents, m.interval) : m.interval;
    provWithin = () => 0;
    provOccupancy = provinceAgents > 0 ? Math.min(1, provLoad / provinceAgents) : 0;
  }

  const out: Record<string, RegionOutcome> = {};
  let calls = 0;
  let withinSum = 0;
  let waitSum = 0;
  let busy = 0;
  let agentsTotal = 0;
  let seatsTotal = 0;
  const add = (r: number, sl: number, asa: number, agents: number, carried: number) => {
    const lambda = st.lambda[r]!;
    out[m.codes[r]!] = {
      seats: seats[r]!,
      serviceLevel: lambda > 0 ? clamp01(sl) : 1,
      asa: lambda > 0 ? asa : 0,
      occupancy: agents > 0 ? clamp01(carried / agents) : 0,
    };
    calls += lambda;
    withinSum += lambda * clamp01(sl);
    waitSum += lambda * asa;
    busy += Math.min(agents, carried);
    agentsTotal += agents;
    seatsTotal += seats[r]!;
  };
  const fromProvinceStep = m.T - m.P;
  for (const g of m.roots) {
    const { pool, poolAgents, staffed: poolStaffed, counties } = groups.get(g)!;
    // A prefecture with nobody on the phones is skipped at once: its calls go straight to the province.
    const poolWait = poolStaffed ? pool.waitAnswered + pool.overflow * (m.P - m.O + provWait) : provWait;
    const poolWithin = (t: number) => (poolStaffed ? stageWithin(pool, t) + pool.overflow * provWithin(fromProvinceStep) : provWithin(t));
    const poolSpare = Math.max(0, poolAgents - pool.carried);
    const poolOcc = poolAgents > 0 ? (pool.carried + poolSpare * provOccupancy) / poolAgents : 0;
    const gAgents = seats[g]! * m.keep;
    add(g, poolWithin(m.T), poolWait, gAgents, gAgents * poolOcc);
    for (const c of m.members.get(g)!) {
      const cs = counties.get(c)!;
      const staffed = 1 - cs.skip;
      const cAgents = seats[c]! * m.keep;
      const sl = cs.withinT + cs.skip * poolWithin(m.T) + staffed * cs.s.overflow * poolWithin(m.T - m.O);
      const asa = staffed * cs.s.waitAnswered + cs.skip * poolWait + staffed * cs.s.overflow * (m.O + poolWait);
      add(c, sl, asa, cAgents, cs.own + Math.max(0, cAgents - cs.own) * poolOcc);
    }
  }
  for (const p of m.provinceEntries) {
    const agents = seats[p]! * m.keep;
    add(p, provWithin(m.T), provWait, agents, agents * provOccupancy);
  }
  const result = out as Record<string, RegionOutcome> & { province: RegionOutcome };
  result.province = {
    seats: seatsTotal,
    serviceLevel: calls > 0 ? withinSum / calls : 1,
    asa: calls > 0 ? waitSum / calls : 0,
    occupancy: agentsTotal > 0 ? clamp01(busy / agentsTotal) : 0,
  };
  return result;
}

/** Average wait of callers arriving over an interval that starts with no queue, at load ρ > 1. */
function fluidWait(rho: number, interval: number): number {
  return Math.max(0, rho - 1) * interval * 0.5;
}

/** Splits `total` whole seats in proportion to `weights` (Hamilton's largest remainder; equal shares when all weights are 0). */
export function largestRemainder(weights: readonly number[], total: number): number[] {
  if (total <= 0 || weights.length === 0) return weights.map(() => 0);
  const sum = weights.reduce((s, w) => s + w, 0);
  const w = sum > 0 ? weights : weights.map(() => 1);
  const s = sum > 0 ? sum : weights.length;
  const exact = w.map((x) => (x / s) * total);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let j = 0; left > 0; j = (j + 1) % order.length, left--) out[order[j]![1]]!++;
  return out;
}

/**
 * Agents on the phones per region per interval for a seat plan, as simulateDay takes them:
 * per interval, round(seats × (1 − shrinkage)) agents in all, shared out in proportion to each
 * region's seats (largest remainder).
 */
export function agentsFromSeats(result: AllocationResult, shrinkage: number, which: 'seats' | 'proportional' = 'seats'): Record<string, number[]> {
  if (!(shrinkage >= 0 && shrinkage < 1)) throw new RangeError('shrinkage must be in [0, 1)');
  const codes = Object.keys(result.intervals[0]?.seats ?? {});
  const plan: Record<string, number[]> = Object.fromEntries(codes.map((c) => [c, [] as number[]]));
  for (const interval of result.intervals) {
    const seats = codes.map((c) => interval[which][c] ?? 0);
    const total = Math.round(seats.reduce((s, x) => s + x, 0) * (1 - shrinkage));
    largestRemainder(seats, total).forEach((x, i) => plan[codes[i]!]!.push(x));
  }
  return plan;
}

function record(codes: string[], values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  codes.forEach((c, i) => (out[c] = values[i]!));
  return out;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
