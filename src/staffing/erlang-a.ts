import { erlangC, type ErlangCResult, type Load, offeredErlangs } from './erlang';

/**
 * Erlang A (Palm's M/M/n+M): Poisson arrivals, `agents` agents with exponential handle times,
 * callers who hang up after an exponential patience, first come first served.
 *
 * Exact from the birth–death chain of the number of callers in the system: births at rate λ,
 * deaths at min(k, n)·μ + max(k − n, 0)·θ. The weights are built outward from the chain's mode
 * (weight 1), each step a ratio below 1, so nothing overflows and no factorial or power is ever
 * formed; states further out are dropped once what is left of the tail is below 1e-16 of the
 * total. This stays exact and finite for hundreds of agents and thousands of Erlangs, and for
 * any load, also at or above the agents (abandonment keeps the queue finite).
 *
 * Waiting times (FCFS, a caller arriving with i callers ahead of them): the caller's *offered*
 * wait V is a sum of exponentials with rates nμ + jθ, j = i … 0, which is distributed as
 * −ln(B)/θ with B ~ Beta(nμ/θ, i + 1). With α = nμ/θ and m = i + 1, the caller is answered
 * (V before their own patience runs out) with probability α/(α + m), answered within t with
 * probability α/(α + m)·(1 − I_y(α + 1, m)), y = e^{−θt} (I: the regularised incomplete beta
 * function, a negative-binomial sum for whole m, summed in log space), and E[V; answered] is
 * α/(α + m)·Σ_{j<m} 1/(α + 1 + j) / θ.
 *
 * Definitions used here:
 * - `serviceLevel`: share of ALL offered callers answered within the threshold (callers who hang
 *   up count as not answered within it, whenever they hang up).
 * - `asa`: average wait of the callers who are answered (those answered at once included).
 * - `probabilityOfWait`: share of callers who find every agent busy.
 * - `probabilityOfAbandon`: share of callers who hang up before an agent answers.
 * - `occupancy`: carried load (offered Erlangs × share answered) / agents.
 */
export type ErlangAResult = ErlangCResult & { probabilityOfAbandon: number };

export type ErlangAInput = Load & { agents: number; thresholdSeconds: number; patienceSeconds: number };

/** States beyond this are not summed (only reached with near-infinite patience at loads near or above the agents). */
const MAX_STATES = 2_000_000;
/** Relative size of the tail left out of the chain. */
const TAIL = 1e-16;

export function erlangA(input: ErlangAInput): ErlangAResult {
  const a = offeredErlangs(input);
  const n = input.agents;
  if (!Number.isInteger(n) || n < 0) throw new RangeError('agents must be a whole number ≥ 0');
  if (!(input.thresholdSeconds >= 0) || !Number.isFinite(input.thresholdSeconds)) throw new RangeError('thresholdSeconds must be a finite number ≥ 0');
  if (!(input.patienceSeconds > 0)) throw new RangeError('patienceSeconds must be > 0');
  if (input.patienceSeconds === Infinity) {
    // Nobody hangs up: Erlang C (a load at or above the agents has no steady state there).
    return { ...erlangC(input), probabilityOfAbandon: 0 };
  }
  if (a === 0) return { agents: n, erlangs: 0, probabilityOfWait: 0, serviceLevel: 1, asa: 0, occupancy: 0, probabilityOfAbandon: 0, note: null, noteZh: null };
  if (n === 0) {
    return { agents: 0, erlangs: a, probabilityOfWait: 1, serviceLevel: 0, asa: Infinity, occupancy: 0, probabilityOfAbandon: 1, note: 'no agents: every caller hangs up unanswered', noteZh: '没有坐席：所有来电都将无人接听而挂断' };
  }

  // Time in units of the handle time: μ = 1, λ = a, θ = r.
  const r = input.ahtSeconds / input.patienceSeconds;
  const t = input.thresholdSeconds / input.ahtSeconds;
  const death = (k: number) => (k <= n ? k : n + r * (k - n));

  // The mode: the last state whose birth rate still covers its death rate.
  const modeQueue = a < n ? -1 : Math.floor((a - n) / r);
  if (modeQueue > MAX_STATES) return fluidOverload(a, n, r, input, t);
  const mode = a < n ? Math.floor(a) : n + modeQueue;

  // Weights relative to the mode, outward in both directions; `down[j]` is state mode − j.
  const down: number[] = [1];
  let total = 1;
  for (let k = mode, w = 1; k > 0 && down.length < MAX_STATES; k--) {
    const ratio = death(k) / a;
    w *= ratio;
    down.push(w);
    total += w;
    if (w / (1 - ratio) < TAIL * total) break;
  }
  const up: number[] = [];
  let truncated = false;
  for (let k = mode + 1, w = 1; ; k++) {
    const ratio = a / death(k);
    w *= ratio;
    up.push(w);
    total += w;
    if (w / (1 - ratio) < TAIL * total) break;
    if (up.length >= MAX_STATES) {
      truncated = true;
      break;
    }
  }
  const lo = mode - (down.length - 1);
  const hi = mode + up.length;
  const weight = (k: number) => (k < lo || k > hi ? 0 : k <= mode ? down[mode - k]! : up[k - mode - 1]!);

  // Callers answered at once, and the queue states.
  let atOnce = 0;
  for (let k = lo; k < Math.min(n, hi + 1); k++) atOnce += weight(k);
  atOnce /= total;

  const alpha = n / r;
  const logY = -r * t; // ln e^{−θt}
  const log1mY = t > 0 ? Math.log(-Math.expm1(-r * t)) : -Infinity; // ln(1 − y)
  let pWait = 0;
  let abandon = 0;
  let withinQueue = 0;
  let answeredWaitSum = 0;
  // Incomplete beta I_y(α + 1, m) as a negative-binomial sum: T_0 = y^(α+1), T_b = T_{b−1}(1 − y)(α + b)/b.
  let logTerm = (alpha + 1) * logY;
  let cdf = Math.exp(logTerm);
  let harmonic = 0; // Σ_{j ≤ i} 1/(α + 1 + j)
  for (let i = 0; n + i <= hi; i++) {
    if (i > 0) {
      logTerm += log1mY + Math.log(alpha + i) - Math.log(i);
      cdf += Math.exp(logTerm);
    }
    harmonic += 1 / (alpha + 1 + i);
    const k = n + i;
    if (k < lo) continue;
    const p = weight(k) / total;
    const m = i + 1;
    const served = alpha / (alpha + m);
    pWait += p;
    abandon += p * (m / (alpha + m));
    withinQueue += p * served * Math.max(0, 1 - cdf);
    answeredWaitSum += p * served * harmonic;
  }
  const probabilityOfAbandon = clamp01(abandon);
  const answered = 1 - probabilityOfAbandon;
  const asa = answered > 0 ? ((answeredWaitSum / r) * input.ahtSeconds) / answered : Infinity;
  const notes: [string, string][] = [];
  if (a >= n) notes.push([`the load (${round(a)} Erlangs) is at or above the agents (${n}): the queue stays finite only because callers hang up`, `话务量（${round(a)} 爱尔兰）不低于坐席数（${n}）：排队不会无限增长只是因为来电者会挂断`]);
  if (probabilityOfAbandon >= 0.001) notes.push([`service level counts all offered callers, those who hang up (${round(probabilityOfAbandon * 100)} %) as not answered in time`, `服务水平按全部呼入计算，挂断的来电者（${round(probabilityOfAbandon * 100)}%）计为未及时接听`]);
  if (truncated) notes.push([`the chain was cut at ${MAX_STATES} queue states; figures are approximate`, `排队状态在 ${MAX_STATES} 处截断，结果为近似值`]);
  return {
    agents: n,
    erlangs: a,
    probabilityOfWait: clamp01(pWait),
    serviceLevel: clamp01(atOnce + withinQueue),
    asa,
    occupancy: Math.min(1, (a * answered) / n),
    probabilityOfAbandon,
    note: notes.length ? notes.map((x) => x[0]).join('; ') : null,
    noteZh: notes.length ? notes.map((x) => x[1]).join('；') : null,
  };
}

/**
 * Load far above the agents with near-infinite patience (the queue would hold millions): the
 * fluid limit — every agent busy, the queue at (a − n)/θ, the excess hanging up.
 */
function fluidOverload(a: number, n: number, r: number, input: ErlangAInput, t: number): ErlangAResult {
  const queue = (a - n) / r;
  const waitAht = queue / n; // in handle times, for a caller at the back of a queue of that length
  return {
    agents: n,
    erlangs: a,
    probabilityOfWait: 1,
    serviceLevel: waitAht <= t ? 1 - (a - n) / a : 0,
    asa: waitAht * input.ahtSeconds,
    occupancy: 1,
    probabilityOfAbandon: (a - n) / a,
    note: `the load (${round(a)} Erlangs) is far above the agents (${n}) and callers almost never hang up: fluid approximation (queue about ${Math.round(queue)} callers)`,
    noteZh: `话务量（${round(a)} 爱尔兰）远超坐席数（${n}）且来电者几乎不挂断：按流体近似计算（约 ${Math.round(queue)} 人排队）`,
  };
}

/**
 * The fewest agents on the phones that meet the target service level (Erlang A definition:
 * share of all offered callers answered within the threshold), and the agents to schedule once
 * shrinkage is taken out. Service level only grows with agents, so a doubling then binary search.
 */
export function agentsForTargetA(
  load: Load & { targetServiceLevel: number; thresholdSeconds: number; patienceSeconds: number; shrinkage?: number; maxAgents?: number },
): ErlangAResult & { scheduled: number } {
  if (!(load.targetServiceLevel > 0 && load.targetServiceLevel < 1)) throw new RangeError('targetServiceLevel must be between 0 and 1');
  const shrinkage = load.shrinkage ?? 0;
  if (!(shrinkage >= 0 && shrinkage < 1)) throw new RangeError('shrinkage must be in [0, 1)');
  const a = offeredErlangs(load);
  const max = load.maxAgents ?? Math.max(10, Math.ceil(a * 2 + 50));
  const at = (agents: number) => erlangA({ ...load, agents });
  const meets = (res: ErlangAResult) => res.serviceLevel >= load.targetServiceLevel;
  let hiN = 1;
  let hiR = at(hiN);
  while (!meets(hiR) && hiN < max) {
    hiN = Math.min(max, hiN * 2);
    hiR = at(hiN);
  }
  let result = hiR;
  if (meets(hiR)) {
    let loN = Math.floor(hiN / 2); // fails (or 0)
    while (hiN - loN > 1) {
      const mid = (loN + hiN) >>> 1;
      const res = at(mid);
      if (meets(res)) {
        hiN = mid;
        result = res;
      } else loN = mid;
    }
    if (result.agents !== hiN) result = at(hiN);
  } else {
    const note = `the target is not met with ${max} agents`;
    result = { ...hiR, note: hiR.note ? `${hiR.note}; ${note}` : note };
  }
  return { ...result, scheduled: Math.ceil(result.agents / (1 - shrinkage) - 1e-9) };
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
const round = (x: number) => Math.round(x * 100) / 100;
