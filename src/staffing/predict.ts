import type { RegionDirectory } from '../regions/region-directory';
import { type SimulatedOutcome, type SimulationInput, simulateDay } from './simulate';

/**
 * Seeds of the days a plan's forecast is simulated with: fixed (the same plan always gets the same
 * forecast) and apart from the seeds people pick for POST /api/staffing/simulate (1 by default), so
 * that check is an independent day, not a replay of the forecast.
 */
export const FORECAST_SEEDS = [7_919, 104_729, 1_299_709] as const;

export interface PlanForecast extends SimulatedOutcome {
  /** How the figure was made. */
  method: 'simulation';
  /** Simulated days pooled. */
  runs: number;
  /** Lowest and highest service level among them: how much one day may differ. */
  range: [number, number];
}

/**
 * A plan's forecast as the day simulator sees it — queues carried from one half-hour into the
 * next, overflow between regions by the routing policy's steps, callers' patience, the agents the
 * plan leaves on the phones — by pooling a few simulated days of the same demand. The allocation's
 * steady-state queueing model ranks plans well but is optimistic on tight budgets (0.84 against the
 * simulator's 0.69, docs/benchmarks.md); this is the figure a supervisor is shown.
 */
export function forecastPlan(input: Omit<SimulationInput, 'seed'>, regions: RegionDirectory, seeds: readonly number[] = FORECAST_SEEDS): PlanForecast {
  const total = { offered: 0, answered: 0, abandoned: 0, within: 0, waitSeconds: 0 };
  const levels: number[] = [];
  for (const seed of seeds) {
    const p = simulateDay({ ...input, seed }, regions).province;
    total.offered += p.offered;
    total.answered += p.answered;
    total.abandoned += p.abandoned;
    total.within += p.serviceLevel * p.offered;
    total.waitSeconds += p.asa * p.answered;
    levels.push(p.serviceLevel);
  }
  return {
    method: 'simulation',
    runs: seeds.length,
    range: [Math.min(...levels), Math.max(...levels)],
    offered: total.offered / seeds.length,
    answered: total.answered / seeds.length,
    abandoned: total.abandoned / seeds.length,
    serviceLevel: total.offered > 0 ? total.within / total.offered : 1,
    asa: total.answered > 0 ? total.waitSeconds / total.answered : 0,
    abandonment: total.offered > 0 ? total.abandoned / total.offered : 0,
  };
}
