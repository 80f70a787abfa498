/**
 * Calls per region per half-hour for one day, from the call history (weekday × time-of-day
 * profile with a recent trend), or from population where the history is thin.
 *
 * Per region with enough history (see THIN_HISTORY):
 * - level: the region's mean daily calls on the target's weekday over the last `weeks` weeks,
 *   shrunk towards its mean over all days × the province's weekday ratio (a weekday seen on
 *   only a few days borrows from the rest): (k·own + 2·borrowed)/(k + 2), k = days of that weekday seen;
 * - trend: r = mean daily calls of the last 2 weeks / mean daily calls of the weeks before;
 *   growth is extrapolated from the middle of the window to the target date at three-quarters strength
 *   (damped) and the factor capped to [0.67, 1.5];
 * - shape: the region's calls per half-hour on that weekday, shrunk towards the province's
 *   profile for that weekday (itself shrunk towards DEFAULT_DAY_PROFILE) with the weight of
 *   SHAPE_PRIOR_CALLS calls, so a small county's few calls do not make a jagged day.
 * Regions with thin history: population × perCapitaDailyCalls spread over DEFAULT_DAY_PROFILE.
 *
 * Days are calendar days in China Standard Time as written (YYYY-MM-DD); a day with any row for
 * a region counts as a day of history for it (rows with 0 calls included), a day with no row
 * does not (missing data, not a quiet day).
 */

export interface IntervalCount {
  regionCode: string;
  /** YYYY-MM-DD, China Standard Time. */
  date: string;
  /** Minutes after midnight: 0, 30, … 1410. */
  intervalStart: number;
  calls: number;
}

export interface ForecastInput {
  /** The day to forecast, YYYY-MM-DD (China Standard Time). */
  date: string;
  regions: { code: string; population: number }[];
  history: IntervalCount[];
  perCapitaDailyCalls: number;
  /** Weeks of history used (default 8). */
  weeks?: number;
}

export interface DayForecast {
  /** Expected calls per half-hour (48 values, not rounded). */
  byRegion: Record<string, number[]>;
  method: Record<string, 'history' | 'population'>;
}

export const INTERVALS_PER_DAY = 48;

/** A region's history is thin (population is used instead) below either figure, within the window. */
export const THIN_HISTORY = { minDays: 14, minCalls: 50 } as const;

/** Pseudo-calls of the prior profile added to a region's own time-of-day counts. */
const SHAPE_PRIOR_CALLS = 200;
const TREND_DAMPING = 0.75;
const TREND_CAP: [number, number] = [0.67, 1.5];
const RECENT_DAYS = 14;

/**
 * The hotline's default day: people answer 08:00–20:00 (calls outside those hours are few and
 * go to voicemail or the web), a morning peak 09:30–11:00, a lunch dip, an afternoon peak
 * 14:30–16:30 and a tail into the evening. 48 half-hour weights summing to 1.
 */
export const DEFAULT_DAY_PROFILE: readonly number[] = (() => {
  // Relative weights by half-hour from 08:00 (index 16) to 19:30 (index 39).
  const day = [
    0.45, 0.8, // 08:00, 08:30
    1.0, 1.2, 1.35, 1.35, 1.25, 1.1, // 09:00 … 11:30
    0.75, 0.6, 0.8, 1.0, // 12:00 … 13:30
    1.15, 1.3, 1.3, 1.25, 1.2, 1.0, // 14:00 … 16:30
    0.85, 0.7, 0.55, 0.45, 0.35, 0.25, // 17:00 … 19:30
  ];
  const w = new Array<number>(INTERVALS_PER_DAY).fill(0);
  day.forEach((x, i) => (w[16 + i] = x));
  const sum = w.reduce((s, x) => s + x, 0);
  return Object.freeze(w.map((x) => x / sum));
})();

export function forecastDay(input: ForecastInput): DayForecast {
  const weeks = input.weeks ?? 8;
  if (!Number.isInteger(weeks) || weeks < 3) throw new RangeError('weeks must be a whole number ≥ 3');
  if (!(input.perCapitaDailyCalls >= 0) || !Number.isFinite(input.perCapitaDailyCalls)) throw new RangeError('perCapitaDailyCalls must be a finite number ≥ 0');
  const target = dayNumber(input.date);
  const targetWeekday = weekday(target);
  const first = target - weeks * 7;
  const windowDays = weeks * 7;
  const codes = new Set(input.regions.map((r) => r.code));

  // Per region: calls per window day × interval, and which days have data.
  const counts = new Map<string, Float64Array>();
  const seen = new Map<string, Uint8Array>();
  for (const row of input.history) {
    if (!codes.has(row.regionCode)) continue;
    const d = dayNumber(row.date) - first;
    if (d < 0 || d >= windowDays) continue;
    const slot = row.intervalStart / 30;
    if (!Number.isInteger(slot) || slot < 0 || slot >= INTERVALS_PER_DAY) throw new RangeError(`intervalStart must be a multiple of 30 in [0, 1410], got ${row.intervalStart}`);
    if (!(row.calls >= 0) || !Number.isFinite(row.calls)) throw new RangeError(`calls must be a finite number ≥ 0 (${row.regionCode} ${row.date})`);
    let c = counts.get(row.regionCode);
    if (!c) {
      counts.set(row.regionCode, (c = new Float64Array(windowDays * INTERVALS_PER_DAY)));
      seen.set(row.regionCode, new Uint8Array(windowDays));
    }
    c[d * INTERVALS_PER_DAY + slot]! += row.calls;
    seen.get(row.regionCode)![d] = 1;
  }

  // Province-wide weekday ratios and time-of-day profile for the target weekday, from every
  // region with data (the prior that thin weekdays and small regions lean on).
  const weekdayTotals = new Float64Array(7);
  const weekdayDays = new Float64Array(7);
  const provinceShape = new Float64Array(INTERVALS_PER_DAY);
  for (const [code, c] of counts) {
    const s = seen.get(code)!;
    for (let d = 0; d < windowDays; d++) {
      if (!s[d]) continue;
      const wd = weekday(first + d);
      let day = 0;
      for (let i = 0; i < INTERVALS_PER_DAY; i++) {
        const x = c[d * INTERVALS_PER_DAY + i]!;
        day += x;
        if (wd === targetWeekday) provinceShape[i]! += x;
      }
      weekdayTotals[wd]! += day;
      weekdayDays[wd]! += 1;
    }
  }
  const allDays = weekdayDays.reduce((s, x) => s + x, 0);
  const overallRate = allDays > 0 ? weekdayTotals.reduce((s, x) => s + x, 0) / allDays : 0;
  const targetRate = weekdayDays[targetWeekday]! > 0 ? weekdayTotals[targetWeekday]! / weekdayDays[targetWeekday]! : overallRate;
  const weekdayRatio = overallRate > 0 ? targetRate / overallRate : 1;
  const prior = shrink(provinceShape, DEFAULT_DAY_PROFILE, SHAPE_PRIOR_CALLS);

  const byRegion: Record<string, number[]> = {};
  const method: Record<string, 'history' | 'population'> = {};
  for (const region of input.regions) {
    const c = counts.get(region.code);
    const s = seen.get(region.code);
    const daysSeen = s ? s.reduce((n, x) => n + x, 0) : 0;
    let total = 0;
    if (c) for (const x of c) total += x;
    if (!c || !s || daysSeen < THIN_HISTORY.minDays || total < THIN_HISTORY.minCalls) {
      if (!(region.population >= 0)) throw new RangeError(`population of ${region.code} must be ≥ 0`);
      const daily = region.population * input.perCapitaDailyCalls;
      byRegion[region.code] = DEFAULT_DAY_PROFILE.map((w) => w * daily);
      method[region.code] = 'population';
      continue;
    }
    // Daily totals of the days seen.
    const daily: { d: number; calls: number }[] = [];
    const shape = new Float64Array(INTERVALS_PER_DAY);
    let sameWeekdaySum = 0;
    let sameWeekdayDays = 0;
    for (let d = 0; d < windowDays; d++) {
      if (!s[d]) continue;
      let day = 0;
      const same = weekday(first + d) === targetWeekday;
      for (let i = 0; i < INTERVALS_PER_DAY; i++) {
        const x = c[d * INTERVALS_PER_DAY + i]!;
        day += x;
        if (same) shape[i]! += x;
      }
      daily.push({ d, calls: day });
      if (same) {
        sameWeekdaySum += day;
        sameWeekdayDays++;
      }
    }
    const mean = daily.reduce((sum, x) => sum + x.calls, 0) / daily.length;
    const borrowed = mean * weekdayRatio;
    const own = sameWeekdayDays > 0 ? sameWeekdaySum / sameWeekdayDays : borrowed;
    const level = (sameWeekdayDays * own + 2 * borrowed) / (sameWeekdayDays + 2);
    const trend = trendFactor(daily, windowDays);
    const profile = shrink(shape, prior, SHAPE_PRIOR_CALLS);
    byRegion[region.code] = profile.map((w) => w * level * trend);
    method[region.code] = 'history';
  }
  return { byRegion, method };
}

/**
 * Growth from the recent two weeks against the weeks before, extrapolated from the middle of
 * the window (where the level is measured) to the target day, damped and capped.
 */
function trendFactor(daily: { d: number; calls: number }[], windowDays: number): number {
  const recent = daily.filter((x) => x.d >= windowDays - RECENT_DAYS);
  const before = daily.filter((x) => x.d < windowDays - RECENT_DAYS);
  if (recent.length < 7 || before.length < 7) return 1;
  const mean = (xs: { d: number; calls: number }[]) => xs.reduce((s, x) => s + x.calls, 0) / xs.length;
  const centre = (xs: { d: number }[]) => xs.reduce((s, x) => s + x.d, 0) / xs.length;
  const r = mean(recent) / mean(before);
  if (!(r > 0) || !Number.isFinite(r)) return 1;
  // Growth per day between the two centres, carried from the window's centre to the target (day windowDays).
  const perDay = Math.log(r) / (centre(recent) - centre(before));
  const factor = Math.exp(TREND_DAMPING * perDay * (windowDays - centre(daily)));
  return Math.min(TREND_CAP[1], Math.max(TREND_CAP[0], factor));
}

/** (counts + weight·prior) normalised to sum to 1. */
function shrink(counts: ArrayLike<number>, prior: ArrayLike<number>, weight: number): number[] {
  let total = 0;
  for (let i = 0; i < INTERVALS_PER_DAY; i++) total += counts[i]!;
  const out = new Array<number>(INTERVALS_PER_DAY);
  for (let i = 0; i < INTERVALS_PER_DAY; i++) out[i] = (counts[i]! + weight * prior[i]!) / (total + weight);
  return out;
}

/** Days since 1970-01-01 for a calendar date (no time zone involved). */
function dayNumber(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`date must be YYYY-MM-DD, got ${date}`);
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const back = new Date(t);
  if (back.getUTCDate() !== Number(m[3]) || back.getUTCMonth() !== Number(m[2]) - 1) throw new RangeError(`no such date: ${date}`);
  return Math.round(t / 86_400_000);
}

/** 0 = Sunday … 6 = Saturday. */
function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}
