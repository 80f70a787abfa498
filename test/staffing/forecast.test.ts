import { DEFAULT_DAY_PROFILE, forecastDay, type IntervalCount } from '../../src/staffing/forecast';
import { seededRandom } from '../../src/sim/random';

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
const poisson = (random: () => number, mean: number) => {
  // Knuth for small means, normal approximation above.
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())));
  let k = 0;
  for (let p = random(), l = Math.exp(-mean); p > l; p *= random()) k++;
  return k;
};

/** History for `days` days before `date`: daily level(dayIndex, weekday) spread over `shape`. */
function history(region: string, date: string, days: number, level: (d: number, weekday: number) => number, shape: number[], seed = 7): IntervalCount[] {
  const random = seededRandom(seed);
  const end = Date.parse(`${date}T00:00:00Z`);
  const out: IntervalCount[] = [];
  for (let d = days; d >= 1; d--) {
    const t = end - d * DAY;
    const wd = new Date(t).getUTCDay();
    const total = level(days - d, wd);
    shape.forEach((w, i) => out.push({ regionCode: region, date: iso(t), intervalStart: i * 30, calls: poisson(random, total * w) }));
  }
  return out;
}

/** A day peaking at one half-hour (hours 8–20 only). */
const peakAt = (slot: number) => {
  const w = Array.from({ length: 48 }, (_, i) => (i >= 16 && i < 40 ? 1 + 4 * Math.exp(-((i - slot) ** 2) / 4) : 0));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
};
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));

describe('forecastDay', () => {
  it('has a default day of 48 weights summing to 1: closed at night, morning and afternoon peaks, a lunch dip', () => {
    expect(DEFAULT_DAY_PROFILE).toHaveLength(48);
    expect(sum([...DEFAULT_DAY_PROFILE])).toBeCloseTo(1, 12);
    expect(DEFAULT_DAY_PROFILE.slice(0, 16).every((w) => w === 0)).toBe(true);
    expect(DEFAULT_DAY_PROFILE.slice(40).every((w) => w === 0)).toBe(true);
    const morning = argmax(DEFAULT_DAY_PROFILE.slice(16, 24)) + 16;
    const afternoon = argmax(DEFAULT_DAY_PROFILE.slice(28, 36)) + 28;
    expect(morning).toBeGreaterThanOrEqual(19); // 09:30 or later
    expect(morning).toBeLessThanOrEqual(22);
    expect(afternoon).toBeGreaterThanOrEqual(29);
    expect(DEFAULT_DAY_PROFILE[25]!).toBeLessThan(DEFAULT_DAY_PROFILE[morning]! * 0.6); // 12:30
  });

  it('falls back to population × per-capita calls over the default day when history is thin', () => {
    const date = '2026-11-23';
    const thin = history('630102', date, 10, () => 300, peakAt(20)); // 10 days < 14
    const few = history('632626', date, 56, () => 0.5, peakAt(20)); // ~28 calls < 50
    const f = forecastDay({
      date,
      regions: [{ code: '630102', population: 489_372 }, { code: '632626', population: 14_500 }, { code: '632623', population: 40_000 }],
      history: [...thin, ...few],
      perCapitaDailyCalls: 3e-5,
    });
    for (const [code, pop] of [['630102', 489_372], ['632626', 14_500], ['632623', 40_000]] as const) {
      expect(f.method[code]).toBe('population');
      expect(f.byRegion[code]).toHaveLength(48);
      f.byRegion[code]!.forEach((x, i) => expect(x).toBeCloseTo(pop * 3e-5 * DEFAULT_DAY_PROFILE[i]!, 9));
    }
  });

  it('follows the weekday and time-of-day profile of the history', () => {
    // Mondays twice the other weekdays, Sundays half; Chengdong peaks at 10:00, Golmud at 15:00.
    const level = (_d: number, wd: number) => (wd === 1 ? 400 : wd === 0 ? 100 : 200);
    const hist = [...history('630102', '2026-11-23', 56, level, peakAt(20), 1), ...history('632801', '2026-11-23', 56, level, peakAt(30), 2)];
    const regions = [{ code: '630102', population: 489_372 }, { code: '632801', population: 221_863 }];
    const monday = forecastDay({ date: '2026-11-23', regions, history: hist, perCapitaDailyCalls: 1e-5 }); // a Monday
    const sunday = forecastDay({ date: '2026-11-29', regions, history: hist, perCapitaDailyCalls: 1e-5 }); // Sunday, a week on
    expect(monday.method['630102']).toBe('history');
    expect(Math.abs(sum(monday.byRegion['630102']!) - 400) / 400).toBeLessThan(0.12);
    expect(Math.abs(sum(sunday.byRegion['630102']!) - 100) / 100).toBeLessThan(0.15);
    expect(argmax(monday.byRegion['630102']!)).toBe(20);
    expect(argmax(monday.byRegion['632801']!)).toBe(30);
    // The shape is the history's, not the default day's.
    const shape = monday.byRegion['632801']!.map((x) => x / sum(monday.byRegion['632801']!));
    const target = peakAt(30);
    expect(sum(shape.map((x, i) => Math.abs(x - target[i]!)))).toBeLessThan(0.1);
  });

  it('follows a rising trend (damped, capped) and stays flat without one', () => {
    // 100 calls a day rising to about 200 over eight weeks.
    const rising = history('630102', '2026-11-23', 56, (d) => 100 + (100 * d) / 55, peakAt(20), 3);
    const flat = history('630103', '2026-11-23', 56, () => 150, peakAt(20), 4);
    const jump = history('630104', '2026-11-23', 56, (d) => (d < 42 ? 20 : 400), peakAt(20), 5);
    const f = forecastDay({
      date: '2026-11-23',
      regions: [{ code: '630102', population: 1 }, { code: '630103', population: 1 }, { code: '630104', population: 1 }],
      history: [...rising, ...flat, ...jump],
      perCapitaDailyCalls: 0,
    });
    const windowMean = 150;
    const lastTwoWeeks = 100 + (100 * 48.5) / 55; // ≈ 188
    const r = sum(f.byRegion['630102']!);
    expect(r).toBeGreaterThan(windowMean * 1.1);
    expect(r).toBeGreaterThan(lastTwoWeeks * 0.93);
    expect(r).toBeLessThan(215);
    expect(Math.abs(sum(f.byRegion['630103']!) - 150) / 150).toBeLessThan(0.06);
    // A twentyfold jump is capped at 1.5 × the window's level.
    const jumpMean = (20 * 42 + 400 * 14) / 56;
    expect(sum(f.byRegion['630104']!)).toBeLessThanOrEqual(jumpMean * 1.5 * 1.05);
  });

  it('refuses malformed dates and intervals', () => {
    const regions = [{ code: '630102', population: 1 }];
    expect(() => forecastDay({ date: '2026-02-30', regions, history: [], perCapitaDailyCalls: 1 })).toThrow(RangeError);
    expect(() => forecastDay({ date: '2026-11-23', regions, history: [{ regionCode: '630102', date: '2026-11-20', intervalStart: 45, calls: 1 }], perCapitaDailyCalls: 1 })).toThrow(/multiple of 30/);
  });
});
