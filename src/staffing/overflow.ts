import { erlangB } from './erlang';

/**
 * One overflow stage: `agents` agents answer calls that wait for them at most `overflowSeconds`
 * (then the call goes on to a wider scope) — the M/M/n+D queue (deterministic patience D),
 * first come first served. With D = ∞ it is Erlang C.
 *
 * Offered wait V (how long a caller would wait for these agents): with π_{n−1} the probability
 * of exactly n − 1 busy agents, P(V = 0) = Σ_{j<n} π_j and for x > 0 the density is
 * λ·π_{n−1}·exp(λ·min(x, D) − nμx) (Baccelli & Hébuterne; Zeltyn & Mandelbaum, M/M/n+G with
 * G deterministic). Everything below is closed form in δ = nμ − λ; relative to π_{n−1} the
 * no-wait mass is 1/ErlangB(n − 1, a), so the only loop is the Erlang B recursion (stable for
 * thousands of agents).
 */
export interface StageResult {
  agents: number;
  /** Answered by this stage's agents without waiting. */
  immediate: number;
  /** Leaves for the next stage after waiting the full overflow time. */
  overflow: number;
  /** E[wait; answered in this stage], seconds (per call entering the stage). */
  waitAnswered: number;
  /** Erlangs carried by the stage's agents. */
  carried: number;
  /** Waiting density f_V(x) = c·e^{−δx} for 0 < x < D (plain data: see stageWithin). */
  c: number;
  delta: number;
  D: number;
  /** For a mixture (mixStages): the two stages and the upper one's weight. */
  mix: { lower: StageResult; upper: StageResult; w: number } | null;
}

/** P(answered by this stage within t seconds of entering it). */
export function stageWithin(s: StageResult, t: number): number {
  if (s.mix) return (1 - s.mix.w) * stageWithin(s.mix.lower, t) + s.mix.w * stageWithin(s.mix.upper, t);
  if (t < 0) return 0;
  if (t >= s.D) return 1 - s.overflow;
  return s.immediate + (s.c === 0 ? 0 : s.c * e1(s.delta, t));
}

/** Exponents are capped here: beyond it the stage is so overloaded that every ratio is at its limit. */
const MAX_EXP = 700;

export function overflowStage(agents: number, callsPerSecond: number, ahtSeconds: number, overflowSeconds: number): StageResult {
  const n = agents;
  const lambda = callsPerSecond;
  const D = overflowSeconds;
  if (!Number.isInteger(n) || n < 0) throw new RangeError('agents must be a whole number ≥ 0');
  if (lambda <= 0) return { agents: n, immediate: 1, overflow: 0, waitAnswered: 0, carried: 0, c: 0, delta: 0, D: Infinity, mix: null };
  if (n === 0) {
    // Nobody to answer: every call waits the whole stage (∞: never answered here).
    return { agents: 0, immediate: 0, overflow: 1, waitAnswered: 0, carried: 0, c: 0, delta: 0, D, mix: null };
  }
  const mu = 1 / ahtSeconds;
  const a = lambda * ahtSeconds;
  const nmu = n * mu;
  const delta = nmu - lambda;
  if (D === Infinity && delta <= 0) throw new RangeError('an Erlang C stage (no overflow) needs more agents than Erlangs');
  const b = erlangB(n - 1, a);
  // Mass relative to the no-wait states (scaled by B so nothing overflows).
  const tail = D === Infinity ? 0 : expCapped(-delta * D) / nmu;
  const waiting = b * lambda * (e1(delta, D) + tail);
  const z = 1 + waiting;
  const c = (b * lambda) / z; // density scale: f_V(x) = c·e^{−δx} for 0 < x < D
  const immediate = 1 / z;
  const overflow = c * tail;
  return {
    agents: n,
    immediate,
    overflow,
    waitAnswered: c * g(delta, D),
    carried: a * (1 - overflow),
    c,
    delta,
    D,
    mix: null,
  };
}

/** ∫_0^t e^{−δx} dx. */
function e1(delta: number, t: number): number {
  if (t === Infinity) return 1 / delta;
  const x = delta * t;
  if (Math.abs(x) < 1e-12) return t;
  if (-x > MAX_EXP) return expCapped(-x) / -delta;
  return -Math.expm1(-x) / delta;
}

/** ∫_0^D x·e^{−δx} dx. */
function g(delta: number, D: number): number {
  if (D === Infinity) return 1 / (delta * delta);
  const x = delta * D;
  if (Math.abs(x) < 1e-4) return D * D * (0.5 - x / 3 + (x * x) / 8);
  return (1 - expCapped(-x) * (1 + x)) / (delta * delta);
}

function expCapped(x: number): number {
  return Math.exp(Math.min(MAX_EXP, x));
}

/**
 * A stage with a fractional number of agents (seats × (1 − shrinkage)): the mixture of the
 * whole numbers either side, weighted by how far between them it lies — as if the last seat
 * were staffed that share of the time.
 */
export function mixStages(lower: StageResult, upper: StageResult, upperWeight: number): StageResult {
  if (upperWeight <= 0) return lower;
  if (upperWeight >= 1) return upper;
  const w = upperWeight;
  const v = 1 - w;
  return {
    agents: v * lower.agents + w * upper.agents,
    immediate: v * lower.immediate + w * upper.immediate,
    overflow: v * lower.overflow + w * upper.overflow,
    waitAnswered: v * lower.waitAnswered + w * upper.waitAnswered,
    carried: v * lower.carried + w * upper.carried,
    c: 0,
    delta: 0,
    D: Math.max(lower.D, upper.D),
    mix: { lower, upper, w },
  };
}
