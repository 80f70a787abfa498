import { DEFAULT_ROUTING } from '../queue/settings';
import { erlangCWait } from './erlang';
import { mixStages, overflowStage, type StageResult } from './overflow';

/**
 * Seat allocation across a province's prefectures and counties, interval by interval.
 *
 * Greedy marginal gain: after the minimum seats, each seat of the interval's budget goes to the
 * region where it adds the most to the objective — calls answered within the threshold, each
 * counted once more while its region is below the target (so seats reach regions short of the
 * target first, and beyond that go where they answer the most calls). A region whose next seat
 * adds nothing by itself (a county's first seat can hurt: with none its calls skip straight to
 * the prefecture's seats) is judged by its best average gain over its next three seats.
 * All of the budget is allocated; seats that add nothing anywhere (no calls) follow population.
 *
 * The queueing model of one interval (steady state; time-varying load is taken interval by
 * interval) follows the routing policy's overflow steps:
 * 1. County stage — a county's calls wait for the county's own seats for up to `overflowSeconds`
 *    (M/M/n+D: deterministic overflow; exact closed form, see overflow.ts). A county with no
 *    agent on the phones is skipped at once, as the router skips a step nobody staffs.
 * 2. Prefecture pool — the prefecture's own calls (callers known only by prefecture), county
 *    calls that overflowed, and calls of unstaffed counties, answered by the prefecture's seats
 *    plus the time county agents have left over from their own calls (n − carried), pooled as
 *    one M/M/N+D queue until the province step (`provinceOverflowSeconds` − `overflowSeconds`).
 * 3. Province — what the pools pass on, answered by the province's remaining spare time (Erlang
 *    C, or a fluid estimate when even that is short). It changes ASA and occupancy; it counts
 *    towards the service level only when the threshold is beyond the province step (and is left
 *    out of the greedy objective).
 * Agents on the phones = seats × (1 − shrinkage); a fractional number is the mixture of the whole
 * numbers either side (the last seat staffed that share of the time).
 *
 * Limits of the approximation: county agents are modelled as serving their own county first,
 * whereas the router gives a freed agent the longest-waiting call it may take (an overflowed
 * sibling's or a prefecture caller's can come first), so counties come out a little better and
 * pools a little worse than they are; spare time is pooled as if it were whole agents; waiting
 * beyond the overflow step keeps the call eligible for its county's agents, which the model
 * folds into the pool; a caller's patience is not modelled (nobody hangs up). The simulator
 * (simulate.ts) runs the real policy and is the check on a plan.
 */

export interface AllocationInput {
  intervalSeconds: number;
  ahtSeconds: number;
  thresholdSeconds: number;
  targetServiceLevel: number;
  shrinkage: number;
  /** Seats per interval (48). */
  budget: number[];
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

const LOOKAHEAD = 3;
const EPS = 1e-12;

interface Model {
  n: number;
  codes: string[];
  population: number[];
  minSeats: number[];
  /** Group (prefecture) of each region: index of its root. */
  root: number[];
  /** Root indexes, and each root's member counties. */
  roots: number[];
  members: Map<number, number[]>;
  mu: number;
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
  /** County stage per region and seat count (cache). */
  stage: Map<number, CountyStage>[];
}

interface CountyStage {
  /** Share skipped at once (no agent on the phones). */
  skip: number;
  s: StageResult;
  /** P(answered in the county stage within the threshold). */
  withinT: number;
}

interface PoolEval {
  pool: StageResult;
  /** Pool agents (fractional). */
  agents: number;
  /** Whether anyone in the prefecture is on the phones (else the pool is skipped). */
  staffed: boolean;
  /** Calls per second into the pool, and of those the ones that waited the full county stage. */
  inflow: number;
  late: number;
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
    const st: IntervalState = { lambda: new Float64Array(m.n), stage: Array.from({ length: m.n }, () => new Map()) };
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
  // A region whose parent is listed belongs to the parent's group; the others head a group.
  const root = input.regions.map((r, i) => {
    let at = i;
    for (let hops = 0; hops < 10; hops++) {
      const parent = input.regions[at]!.parentCode;
      const p = parent === null ? undefined : index.get(parent);
      if (p === undefined) return at;
      at = p;
    }
    throw new RangeError('the regions\' parents form a cycle');
  });
  const roots = [...new Set(root)];
  const members = new Map<number, number[]>(roots.map((g) => [g, []]));
  root.forEach((g, i) => {
    if (g !== i) members.get(g)!.push(i);
  });
  return {
    n: codes.length,
    codes,
    population: input.regions.map((r) => r.population),
    minSeats: input.regions.map((r) => r.minSeats),
    root,
    roots,
    members,
    mu: 1 / input.ahtSeconds,
    aht: input.ahtSeconds,
    T: input.thresholdSeconds,
    O,
    P,
    keep: 1 - input.shrinkage,
    target: input.targetServiceLevel,
    interval: input.intervalSeconds,
  };
}

/** A stage for `agents` (fractional) agents, as the mixture of the whole numbers either side. */
function fractionalStage(agents: number, lambda: number, m: Model, overflowSeconds: number): StageResult {
  const lo = Math.floor(agents + 1e-9);
  const w = agents - lo;
  const lower = overflowStage(lo, lambda, m.aht, overflowSeconds);
  return w > 1e-9 ? mixStages(lower, overflowStage(lo + 1, lambda, m.aht, overflowSeconds), w) : lower;
}

function countyStage(m: Model, st: IntervalState, r: number, seats: number): CountyStage {
  const cached = st.stage[r]!.get(seats);
  if (cached) return cached;
  const agents = seats * m.keep;
  const lambda = st.lambda[r]!;
  // Below one agent the county is staffed only that share of the time; otherwise skipped.
  const skip = agents < 1 ? 1 - agents : 0;
  const s = agents < 1 ? overflowStage(1, lambda, m.aht, m.O) : fractionalStage(agents, lambda, m, m.O);
  const staffedWithin = m.T >= m.O ? 1 - s.overflow : s.within(m.T);
  const result: CountyStage = { skip, s, withinT: (1 - skip) * staffedWithin };
  st.stage[r]!.set(seats, result);
  return result;
}

function poolOf(m: Model, st: IntervalState, g: number, seats: ArrayLike<number>): PoolEval {
  let agents = seats[g]! * m.keep;
  let staffed = agents > 0;
  let inflow = st.lambda[g]!;
  let late = 0;
  for (const c of m.members.get(g)!) {
    const cs = countyStage(m, st, c, seats[c]!);
    const lambda = st.lambda[c]!;
    const countyAgents = seats[c]! * m.keep;
    if (countyAgents > 0) staffed = true;
    const staffedShare = 1 - cs.skip;
    inflow += lambda * (cs.skip + staffedShare * cs.s.overflow);
    late += lambda * staffedShare * cs.s.overflow;
    agents += Math.max(0, countyAgents - staffedShare * cs.s.carried);
  }
  const pool = staffed ? fractionalStage(agents, inflow, m, m.P - m.O) : overflowStage(0, inflow, m.aht, 0);
  return { pool, agents, staffed, inflow, late };
}

/** Calls (per second) answered within the threshold in a group's county and prefecture stages, counted again below the target. */
function groupObjective(m: Model, st: IntervalState, g: number, seats: ArrayLike<number>): number {
  const { pool } = poolOf(m, st, g, seats);
  const poolNow = pool.within(m.T);
  const poolLate = pool.within(m.T - m.O);
  const score = (lambda: number, sl: number) => lambda * (sl + Math.min(sl, m.target));
  let total = score(st.lambda[g]!, poolNow);
  for (const c of m.members.get(g)!) {
    const lambda = st.lambda[c]!;
    if (lambda === 0) continue;
    const cs = countyStage(m, st, c, seats[c]!);
    const sl = cs.withinT + cs.skip * poolNow + (1 - cs.skip) * cs.s.overflow * poolLate;
    total += score(lambda, sl);
  }
  return total;
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
  const value = new Map<number, number>(m.roots.map((g) => [g, groupObjective(m, st, g, seats)]));
  const gain = new Float64Array(m.n);
  const step = new Int32Array(m.n);
  const rate = (r: number) => {
    const g = m.root[r]!;
    const base = value.get(g)!;
    let best = -Infinity;
    let bestK = 1;
    const k1 = Math.min(left, seats[r]! === 0 ? LOOKAHEAD : 1);
    const original = seats[r]!;
    for (let k = 1; k <= Math.max(1, k1); k++) {
      seats[r] = original + k;
      const avg = (groupObjective(m, st, g, seats) - base) / k;
      if (avg > best + EPS) {
        best = avg;
        bestK = k;
      }
      if (k === 1 && avg > EPS) break; // a positive next seat is judged on its own
    }
    seats[r] = original;
    gain[r] = best;
    step[r] = bestK;
  };
  for (let r = 0; r < m.n; r++) rate(r);
  while (left > 0) {
    let best = -1;
    for (let r = 0; r < m.n; r++) if (best < 0 || gain[r]! > gain[best]!) best = r;
    if (best < 0 || !(gain[best]! > EPS)) break;
    const k = Math.min(left, step[best]!);
    seats[best]! += k;
    left -= k;
    const g = m.root[best]!;
    value.set(g, groupObjective(m, st, g, seats));
    for (let r = 0; r < m.n; r++) if (m.root[r] === g) rate(r);
    // Other groups' look-ahead may have been cut by the seats left.
    if (left < LOOKAHEAD) for (let r = 0; r < m.n; r++) if (m.root[r] !== g && step[r]! > left) rate(r);
  }
  if (left > 0) {
    // Nothing adds answered calls any more: the rest follows population.
    const extra = largestRemainder(m.population, left);
    extra.forEach((x, r) => (seats[r]! += x));
  }
  return seats;
}

/** Expected outcome of every region and the province for a seat plan (all three stages). */
function evaluate(m: Model, st: IntervalState, seats: number[]): Record<string, RegionOutcome> & { province: RegionOutcome } {
  const pools = new Map<number, PoolEval>();
  let provinceInflow = 0;
  let provinceAgents = 0;
  for (const g of m.roots) {
    const p = poolOf(m, st, g, seats);
    pools.set(g, p);
    provinceInflow += p.inflow * p.pool.overflow;
    provinceAgents += Math.max(0, p.agents - p.pool.carried);
  }
  // Province stage: Erlang C on the spare time, or a fluid estimate when that is short.
  const provLoad = provinceInflow * m.aht;
  let provWait: number;
  let provWithin: (t: number) => number;
  let provOccupancy: number;
  if (provinceInflow === 0) {
    provWait = 0;
    provWithin = () => 1;
    provOccupancy = 0;
  } else if (provinceAgents > provLoad + 1e-9 && provinceAgents >= 1) {
    const n = Math.max(1, Math.floor(provinceAgents));
    if (n > provLoad) {
      const pw = erlangCWait(n, provLoad);
      provWait = (pw * m.aht) / (n - provLoad);
      provWithin = (t) => (t < 0 ? 0 : 1 - pw * Math.exp((-(n - provLoad) * t) / m.aht));
    } else {
      provWait = fluidWait(provLoad / provinceAgents, m.interval);
      provWithin = () => 0;
    }
    provOccupancy = provLoad / provinceAgents;
  } else {
    // Overloaded (or nobody left): callers arriving over the interval wait, on average, for the
    // queue built up by the excess; with nobody at all, for the whole interval.
    provWait = provinceAgents > 0 ? fluidWait(provLoad / provinceAgents, m.interval) : m.interval;
    provWithin = () => 0;
    provOccupancy = provinceAgents > 0 ? 1 : 0;
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
    busy += carried;
    agentsTotal += agents;
    seatsTotal += seats[r]!;
  };
  const fromProvinceStep = m.T - m.P;
  for (const g of m.roots) {
    const { pool, agents, staffed: poolStaffed } = pools.get(g)!;
    // A prefecture with nobody on the phones is skipped at once: its calls go straight to the province.
    const poolWait = poolStaffed ? pool.waitAnswered + pool.overflow * (m.P - m.O + provWait) : provWait;
    const poolWithin = (t: number) => (poolStaffed ? pool.within(t) + pool.overflow * provWithin(fromProvinceStep) : provWithin(t));
    const poolSpare = Math.max(0, agents - pool.carried);
    const poolBusy = pool.carried + poolSpare * provOccupancy;
    const poolOcc = agents > 0 ? poolBusy / agents : 0;
    const gAgents = seats[g]! * m.keep;
    add(g, poolWithin(m.T), poolWait, gAgents, gAgents * poolOcc);
    for (const c of m.members.get(g)!) {
      const cs = countyStage(m, st, c, seats[c]!);
      const staffed = 1 - cs.skip;
      const cAgents = seats[c]! * m.keep;
      const own = staffed * cs.s.carried;
      const spare = Math.max(0, cAgents - own);
      const sl = cs.withinT + cs.skip * poolWithin(m.T) + staffed * cs.s.overflow * poolWithin(m.T - m.O);
      const asa = staffed * cs.s.waitAnswered + cs.skip * poolWait + staffed * cs.s.overflow * (m.O + poolWait);
      add(c, sl, asa, cAgents, own + spare * poolOcc);
    }
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

/** Splits `total` whole seats in proportion to `weights` (Hamilton's largest remainder). */
export function largestRemainder(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  if (total <= 0 || weights.length === 0) return weights.map(() => 0);
  const w = sum > 0 ? weights : weights.map(() => 1);
  const s = sum > 0 ? sum : weights.length;
  const exact = w.map((x) => (x / s) * total);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let j = 0; left > 0; j = (j + 1) % order.length, left--) out[order[j]![1]]!++;
  return out;
}

function record(codes: string[], values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  codes.forEach((c, i) => (out[c] = values[i]!));
  return out;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
