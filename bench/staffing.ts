/**
 * npm run bench:staffing — (a) a province recommendation: Qinghai's 8 prefectures and 44
 * counties, a forecast from eight weeks of synthetic half-hourly history, then seats allocated
 * for all 48 half-hours; (b) a simulated day of about 20,000 calls under that plan, through the
 * real routing policy (and the population-proportional split of the same seats, for comparison);
 * (c) the plan's own forecast (src/staffing/predict.ts) beside the allocation's queueing model and
 * an independent simulated day, from a tight to a loose budget. Writes bench/results/staffing.json.
 *
 * The synthetic history: each region calls at a per-capita rate scaled so the province makes
 * about 20,000 calls on a Monday, skewed (Xining's Chengdong and Chengzhong, Golmud and Yushu
 * at 3×, a spread of ±30 % elsewhere), 15 % of each prefecture's calls placed only by prefecture,
 * weekday factors (Monday high, weekend low), a day shape per prefecture (the default day, peaks
 * shifted by up to an hour), a 15 % rise over the eight weeks, Poisson counts. Maduo has five
 * days of history and Gande none: both fall back to population.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundledProvinceFile, readProvinceFile } from '../src/province/bundled';
import { estimatePopulations } from '../src/province/province-file';
import { regionDirectoryFromEntries } from '../src/regions/region-directory';
import { seededRandom } from '../src/sim/random';
import { agentsFromSeats, allocateSeats, type AllocationInput } from '../src/staffing/allocate';
import { offeredErlangs } from '../src/staffing/erlang';
import { DEFAULT_DAY_PROFILE, forecastDay, type IntervalCount } from '../src/staffing/forecast';
import { forecastPlan } from '../src/staffing/predict';
import { simulateDay } from '../src/staffing/simulate';
import { machine, round } from './machine';

const DATE = '2026-11-23'; // a Monday
const DAILY_CALLS = 20_000;
const AHT = 300;
const INTERVAL = 1800;
const SHRINKAGE = 0.3;
const RUNS = 5;
const HOT = new Set(['630102', '630103', '632801', '632701']);
const WEEKDAY = [0.6, 1.25, 1.1, 1.05, 1.0, 0.95, 0.7]; // Sunday … Saturday

function poisson(random: () => number, mean: number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())));
  let k = 0;
  for (let p = random(), l = Math.exp(-mean); p > l; p *= random()) k++;
  return k;
}

function shifted(profile: readonly number[], by: number): number[] {
  const out = profile.map((_, i) => profile[Math.min(47, Math.max(0, i - by))]!);
  const s = out.reduce((a, b) => a + b, 0);
  return out.map((x) => x / s);
}

async function main() {
  const file = await readProvinceFile((await bundledProvinceFile('630000'))!);
  const directory = regionDirectoryFromEntries('630000', file.regions, estimatePopulations(file).estimates);
  const list = directory.all().filter((r) => r.level !== 'province');
  const random = seededRandom(12348);

  // ---- synthetic history ----------------------------------------------------------------------
  const weight = new Map(list.map((r) => [r.code, r.populationEstimate * (r.level === 'prefecture' ? 0.15 : (HOT.has(r.code) ? 3 : 0.7 + 0.6 * random()))]));
  const totalWeight = [...weight.values()].reduce((a, b) => a + b, 0);
  const shapeOf = new Map(list.map((r) => [r.code, shifted(DEFAULT_DAY_PROFILE, ((Number(r.code.slice(2, 4)) % 3) - 1) * 2)]));
  const end = Date.parse(`${DATE}T00:00:00Z`);
  const history: IntervalCount[] = [];
  for (const r of list) {
    const days = r.code === '632626' ? 5 : r.code === '632623' ? 0 : 56;
    for (let d = days; d >= 1; d--) {
      const t = end - d * 86_400_000;
      const trend = 1 + (0.15 * (56 - d)) / 55;
      // Scaled so a Monday at the end of the trend makes DAILY_CALLS.
      const mean = (DAILY_CALLS * weight.get(r.code)! * WEEKDAY[new Date(t).getUTCDay()]! * trend) / totalWeight / (WEEKDAY[1]! * 1.15);
      const date = new Date(t).toISOString().slice(0, 10);
      shapeOf.get(r.code)!.forEach((w, i) => {
        if (w > 0) history.push({ regionCode: r.code, date, intervalStart: i * 30, calls: poisson(random, mean * w) });
      });
    }
  }
  const regions = list.map((r) => ({ code: r.code, population: r.populationEstimate }));
  // Per-capita rate for the population fallback: the province's calls per head.
  const perCapita = DAILY_CALLS / directory.province.populationEstimate;

  // ---- (a) forecast + allocation, timed ---------------------------------------------------------
  const timings: { forecastMs: number; allocationMs: number; totalMs: number }[] = [];
  let forecast = forecastDay({ date: DATE, regions, history, perCapitaDailyCalls: perCapita });
  let input: AllocationInput | null = null;
  let result = null as ReturnType<typeof allocateSeats> | null;
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    forecast = forecastDay({ date: DATE, regions, history, perCapitaDailyCalls: perCapita });
    const t1 = performance.now();
    const provinceCalls = DEFAULT_DAY_PROFILE.map((_, i) => list.reduce((s, r) => s + forecast.byRegion[r.code]![i]!, 0));
    input = {
      intervalSeconds: INTERVAL,
      ahtSeconds: AHT,
      thresholdSeconds: 20,
      targetServiceLevel: 0.8,
      shrinkage: SHRINKAGE,
      // Seats for 1.2 × the province's offered load + 10 agents on the phones, in every half-hour with calls.
      budget: provinceCalls.map((calls) => (calls > 0.5 ? Math.ceil((1.2 * offeredErlangs({ calls, intervalSeconds: INTERVAL, ahtSeconds: AHT }) + 10) / (1 - SHRINKAGE)) : 0)),
      regions: list.map((r) => ({ code: r.code, parentCode: r.parentCode, population: r.populationEstimate, minSeats: r.level === 'county' ? 1 : 0 })),
      demand: forecast.byRegion,
    };
    result = allocateSeats(input);
    const t2 = performance.now();
    timings.push({ forecastMs: t1 - t0, allocationMs: t2 - t1, totalMs: t2 - t0 });
  }
  const sorted = (k: 'forecastMs' | 'allocationMs' | 'totalMs') => timings.map((t) => t[k]).sort((a, b) => a - b);
  const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;
  const forecastCalls = list.reduce((s, r) => s + forecast.byRegion[r.code]!.reduce((a, b) => a + b, 0), 0);

  // ---- (b) a simulated day under the plan, timed -------------------------------------------------
  const simulate = (which: 'seats' | 'proportional', patienceSeconds: number | null) => {
    const t0 = performance.now();
    const sim = simulateDay({ seed: 2026, intervalSeconds: INTERVAL, ahtSeconds: AHT, patienceSeconds, thresholdSeconds: 20, plan: agentsFromSeats(result!, SHRINKAGE, which), demand: input!.demand }, directory);
    return { ms: performance.now() - t0, sim };
  };
  const runs = [simulate('seats', null), simulate('proportional', null), simulate('seats', 120), simulate('proportional', 120)];
  const simTimes = [...runs.map((r) => r.ms)];
  for (let i = 0; i < RUNS - 1; i++) simTimes.push(simulate('seats', null).ms);
  const outcome = (o: { serviceLevel: number; asa: number; abandonment: number }) => ({ serviceLevel: round(o.serviceLevel), asa: round(o.asa, 1), abandonment: round(o.abandonment) });

  // ---- (c) the plan's own forecast against the simulator, tight to loose budgets ------------------
  // The recommendation's figure (three simulated days pooled, patience 120 s) beside the
  // allocation's queueing model and an independent simulated day (seed 2026) of the same plan.
  const agreement = [1.05, 1.2, 1.5].map((factor) => {
    const provinceCalls = DEFAULT_DAY_PROFILE.map((_, i) => list.reduce((s, r) => s + forecast.byRegion[r.code]![i]!, 0));
    const budget = provinceCalls.map((calls) => (calls > 0.5 ? Math.ceil((factor * offeredErlangs({ calls, intervalSeconds: INTERVAL, ahtSeconds: AHT }) + 10) / (1 - SHRINKAGE)) : 0));
    const allocation = allocateSeats({ ...input!, budget });
    const day = { intervalSeconds: INTERVAL, ahtSeconds: AHT, patienceSeconds: 120, thresholdSeconds: 20, plan: agentsFromSeats(allocation, SHRINKAGE), demand: input!.demand };
    const t0 = performance.now();
    const predicted = forecastPlan(day, directory);
    const forecastMs = performance.now() - t0;
    const simulated = simulateDay({ ...day, seed: 2026 }, directory).province;
    return {
      budget: `(${factor} × offered Erlangs + 10) / 0.7 per half-hour, peak ${Math.max(...budget)}`,
      model: round(allocation.summary.serviceLevel),
      forecast: round(predicted.serviceLevel),
      forecastRange: predicted.range.map((x) => round(x)),
      simulated: round(simulated.serviceLevel),
      difference: round(predicted.serviceLevel - simulated.serviceLevel),
      forecastMs: round(forecastMs, 1),
    };
  });

  const out = {
    benchmark: 'staffing',
    at: new Date().toISOString(),
    machine: machine(),
    setup: {
      province: '630000 Qinghai',
      regions: list.length,
      prefectures: list.filter((r) => r.level === 'prefecture').length,
      counties: list.filter((r) => r.level === 'county').length,
      historyRows: history.length,
      intervals: 48,
      date: DATE,
      ahtSeconds: AHT,
      target: '80 % within 20 s',
      shrinkage: SHRINKAGE,
      overflow: 'county 0 s → prefecture 30 s → province 90 s',
      forecastMethods: Object.values(forecast.method).reduce<Record<string, number>>((acc, m) => ((acc[m] = (acc[m] ?? 0) + 1), acc), {}),
      forecastCalls: Math.round(forecastCalls),
      seatsBudgeted: input!.budget.reduce((a, b) => a + b, 0),
      peakBudget: Math.max(...input!.budget),
    },
    recommendation: {
      runs: RUNS,
      forecastMs: { first: round(timings[0]!.forecastMs, 1), median: round(median(sorted('forecastMs')), 1) },
      allocationMs: { first: round(timings[0]!.allocationMs, 1), median: round(median(sorted('allocationMs')), 1) },
      totalMs: { first: round(timings[0]!.totalMs, 1), median: round(median(sorted('totalMs')), 1), max: round(Math.max(...sorted('totalMs')), 1) },
      target: 'under 1,000 ms',
      expected: { serviceLevel: round(result!.summary.serviceLevel), serviceLevelProportional: round(result!.summary.serviceLevelProportional), seatsUsed: result!.summary.seatsUsed },
    },
    simulation: {
      calls: runs[0]!.sim.calls,
      events: runs[0]!.sim.events,
      ms: { first: round(simTimes[0]!, 1), median: round(median([...simTimes].sort((a, b) => a - b)), 1), max: round(Math.max(...simTimes), 1) },
      target: 'under 2,000 ms',
      noAbandonment: { plan: outcome(runs[0]!.sim.province), proportional: outcome(runs[1]!.sim.province) },
      patience120s: { plan: outcome(runs[2]!.sim.province), proportional: outcome(runs[3]!.sim.province) },
    },
    forecastAgreement: { target: 'forecast within 0.02 of the simulated day', patienceSeconds: 120, rows: agreement },
  };
  const target = path.join(__dirname, 'results', 'staffing.json');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

void main().catch((err) => {
  process.stderr.write(`benchmark failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
