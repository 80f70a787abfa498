import { agentsFromSeats, allocateSeats, type AllocationInput, largestRemainder } from '../../src/staffing/allocate';
import { DEFAULT_DAY_PROFILE } from '../../src/staffing/forecast';
import { simulateDay } from '../../src/staffing/simulate';
import type { RegionDirectory } from '../../src/regions/region-directory';
import { qinghaiDirectory } from '../queue/harness';

const AHT = 300;

/**
 * Qinghai's prefectures and counties with demand skewed away from population: four counties
 * (Chengdong, Golmud, Yushu, Qilian) call at 4× the per-capita rate of the rest, and callers
 * placed only by prefecture make 10 % of a prefecture's population's share.
 */
function skewed(regions: RegionDirectory, daily: number, budgetFactor: number, minSeats = 1): AllocationInput {
  const hot = new Set(['630102', '632801', '632701', '632222']);
  const list = regions.all().filter((r) => r.level !== 'province');
  const weights = list.map((r) => r.populationEstimate * (r.level === 'prefecture' ? 0.1 : hot.has(r.code) ? 4 : 0.5));
  const total = weights.reduce((s, w) => s + w, 0);
  const demand = Object.fromEntries(list.map((r, i) => [r.code, DEFAULT_DAY_PROFILE.map((w) => (w * daily * weights[i]!) / total)]));
  return {
    intervalSeconds: 1800, ahtSeconds: AHT, thresholdSeconds: 20, targetServiceLevel: 0.8, shrinkage: 0,
    budget: DEFAULT_DAY_PROFILE.map((w) => (w > 0 ? Math.round((w * daily * AHT * budgetFactor) / 1800) + 10 : 0)),
    regions: list.map((r) => ({ code: r.code, parentCode: r.parentCode, population: r.populationEstimate, minSeats: r.level === 'county' ? minSeats : 0 })),
    demand,
  };
}

describe('allocateSeats', () => {
  let regions: RegionDirectory;
  beforeAll(async () => {
    regions = await qinghaiDirectory();
  });

  it('beats the population-proportional split of the same seats on simulated service level, for skewed demand (same seed)', () => {
    const input = skewed(regions, 6000, 1.5);
    const result = allocateSeats(input);
    for (const interval of result.intervals) {
      const sum = (r: Record<string, number>) => Object.values(r).reduce((s, x) => s + x, 0);
      expect(sum(interval.seats)).toBe(interval.budget);
      expect(sum(interval.proportional)).toBe(sum(interval.seats));
    }
    const run = (which: 'seats' | 'proportional') =>
      simulateDay({ seed: 2026, intervalSeconds: 1800, ahtSeconds: AHT, patienceSeconds: null, thresholdSeconds: 20, plan: agentsFromSeats(result, 0, which), demand: input.demand }, regions);
    const allocated = run('seats');
    const proportional = run('proportional');
    expect(allocated.calls).toBe(proportional.calls);
    expect(allocated.province.serviceLevel).toBeGreaterThan(proportional.province.serviceLevel + 0.2);
    expect(allocated.province.asa).toBeLessThan(proportional.province.asa);
    // The model ranks the two plans the same way.
    expect(result.summary.serviceLevel).toBeGreaterThan(result.summary.serviceLevelProportional + 0.2);
  });

  it('expects a service level within ±0.05 of the simulated one, for the plan and for the proportional split (20,000 calls)', () => {
    const input = skewed(regions, 20_000, 1.5);
    const result = allocateSeats(input);
    const run = (which: 'seats' | 'proportional') =>
      simulateDay({ seed: 11, intervalSeconds: 1800, ahtSeconds: AHT, patienceSeconds: null, thresholdSeconds: 20, plan: agentsFromSeats(result, 0, which), demand: input.demand }, regions).province.serviceLevel;
    expect(Math.abs(result.summary.serviceLevel - run('seats'))).toBeLessThan(0.05);
    expect(Math.abs(result.summary.serviceLevelProportional - run('proportional'))).toBeLessThan(0.05);
  });

  it('gives minimum seats first, every seat of the budget, and population shares where no seat adds answered calls', () => {
    const input = skewed(regions, 6000, 1.2, 2);
    const result = allocateSeats(input);
    const counties = input.regions.filter((r) => r.minSeats > 0);
    for (const interval of result.intervals) {
      if (interval.budget >= counties.length * 2) for (const c of counties) expect(interval.seats[c.code]).toBeGreaterThanOrEqual(2);
      for (const o of Object.values(interval.expected)) {
        for (const x of [o.serviceLevel, o.asa, o.occupancy]) expect(Number.isFinite(x)).toBe(true);
        expect(o.serviceLevel).toBeGreaterThanOrEqual(0);
        expect(o.serviceLevel).toBeLessThanOrEqual(1);
      }
    }
    // No calls at all: the seats follow population.
    const quiet = allocateSeats({ ...input, budget: [40], demand: {}, regions: input.regions.map((r) => ({ ...r, minSeats: 0 })) });
    expect(quiet.intervals[0]!.seats).toEqual(quiet.intervals[0]!.proportional);
    expect(quiet.summary.serviceLevel).toBe(1);
  });

  it('takes a province entry in the list (callers the IVR could not place, seats for the whole province)', () => {
    const input = skewed(regions, 6000, 1.5);
    const province = regions.province;
    const withProvince: AllocationInput = {
      ...input,
      regions: [{ code: province.code, parentCode: null, population: 0, minSeats: 0 }, ...input.regions],
      demand: { ...input.demand, [province.code]: DEFAULT_DAY_PROFILE.map((w) => w * 300) },
    };
    const result = allocateSeats(withProvince);
    const peak = result.intervals[20]!;
    expect(peak.seats[province.code]).toBeGreaterThan(0);
    expect(peak.expected[province.code]!.serviceLevel).toBeGreaterThan(0.5);
    expect(Number.isFinite(peak.expected.province.asa)).toBe(true);
  });

  it('splits seats by largest remainder and refuses unknown regions', () => {
    expect(largestRemainder([5, 3, 2], 7)).toEqual([4, 2, 1]);
    expect(largestRemainder([1, 1, 1], 4)).toEqual([2, 1, 1]);
    expect(largestRemainder([0, 0], 3)).toEqual([2, 1]);
    const input = skewed(regions, 100, 1.5);
    expect(() => allocateSeats({ ...input, demand: { ...input.demand, '110101': new Array(48).fill(1) } })).toThrow(/not among the regions/);
    expect(() => allocateSeats({ ...input, budget: input.budget.map((b, i) => (i === 20 ? 1.5 : b)) })).toThrow(/whole number/);
  });
});
