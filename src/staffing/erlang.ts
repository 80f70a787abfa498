/**
 * Erlang C (M/M/n, callers wait as long as it takes): the standard staffing model of a call
 * centre. Computed through the Erlang B recursion, which stays within [0, 1] at every step, so
 * thousands of Erlangs and agents neither overflow nor lose precision (no factorials, no powers).
 */

export interface Load {
  /** Calls offered in the interval. */
  calls: number;
  intervalSeconds: number;
  /** Average handle time: talk plus wrap-up. */
  ahtSeconds: number;
}

export interface ErlangCResult {
  agents: number;
  /** Offered traffic in Erlangs (calls × AHT / interval). */
  erlangs: number;
  /** Probability that a caller waits at all. */
  probabilityOfWait: number;
  /** Share of callers answered within the threshold. */
  serviceLevel: number;
  /** Average speed of answer, seconds (over all callers). */
  asa: number;
  occupancy: number;
  /** Why a figure is what it is (for example a load at or above the agents). */
  note: string | null;
  /** The same in Chinese, for the supervisor's page. */
  noteZh: string | null;
}

/** Erlang C's service-level goal when none is given (80 % within the threshold). */
export const DEFAULT_SERVICE_LEVEL_GOAL = 0.8;

export function offeredErlangs(load: Load): number {
  if (!(load.calls >= 0) || !(load.intervalSeconds > 0) || !(load.ahtSeconds > 0)) throw new RangeError('calls must be ≥ 0, intervalSeconds and ahtSeconds > 0');
  return (load.calls * load.ahtSeconds) / load.intervalSeconds;
}

/** Erlang B blocking probability for `agents` servers and `erlangs` of traffic, by recursion. */
export function erlangB(agents: number, erlangs: number): number {
  let b = 1;
  for (let k = 1; k <= agents; k++) b = (erlangs * b) / (k + erlangs * b);
  return b;
}

/** Probability of waiting (Erlang C); 1 when the load is at or above the agents (the queue never settles). */
export function erlangCWait(agents: number, erlangs: number): number {
  if (erlangs === 0) return 0;
  if (agents <= erlangs) return 1;
  const b = erlangB(agents, erlangs);
  return (agents * b) / (agents - erlangs * (1 - b));
}

export function erlangC(load: Load & { agents: number; thresholdSeconds: number }): ErlangCResult {
  const a = offeredErlangs(load);
  const n = load.agents;
  if (!Number.isInteger(n) || n < 0) throw new RangeError('agents must be a whole number ≥ 0');
  if (a === 0) return { agents: n, erlangs: 0, probabilityOfWait: 0, serviceLevel: 1, asa: 0, occupancy: 0, note: null, noteZh: null };
  if (n <= a) {
    return {
      agents: n,
      erlangs: a,
      probabilityOfWait: 1,
      serviceLevel: 0,
      asa: Infinity,
      occupancy: 1,
      note: `the load (${round(a)} Erlangs) is at or above the agents (${n}): the queue grows without end`,
      noteZh: `话务量（${round(a)} 爱尔兰）不低于坐席数（${n}）：排队将无限增长`,
    };
  }
  const pw = erlangCWait(n, a);
  const sl = 1 - pw * Math.exp((-(n - a) * load.thresholdSeconds) / load.ahtSeconds);
  return { agents: n, erlangs: a, probabilityOfWait: pw, serviceLevel: clamp01(sl), asa: (pw * load.ahtSeconds) / (n - a), occupancy: a / n, note: null, noteZh: null };
}

/**
 * The fewest agents on the phones that meet the target service level, and the agents to
 * schedule once shrinkage (breaks, training, absence) is taken out.
 */
export function agentsForTarget(load: Load & { targetServiceLevel: number; thresholdSeconds: number; shrinkage?: number; maxAgents?: number }): ErlangCResult & { scheduled: number } {
  if (!(load.targetServiceLevel > 0 && load.targetServiceLevel < 1)) throw new RangeError('targetServiceLevel must be between 0 and 1');
  const shrinkage = load.shrinkage ?? 0;
  if (!(shrinkage >= 0 && shrinkage < 1)) throw new RangeError('shrinkage must be in [0, 1)');
  const a = offeredErlangs(load);
  const max = load.maxAgents ?? Math.max(10, Math.ceil(a * 2 + 50));
  let n = Math.max(1, Math.floor(a) + 1);
  let r = erlangC({ ...load, agents: n });
  while (r.serviceLevel < load.targetServiceLevel && n < max) r = erlangC({ ...load, agents: ++n });
  return { ...r, scheduled: Math.ceil(n / (1 - shrinkage) - 1e-9) };
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
const round = (x: number) => Math.round(x * 100) / 100;
