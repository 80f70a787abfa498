import { z } from 'zod';
import { chinaDay, chinaDayEnd, DAY_MS } from '../time/china-time';

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');

/**
 * A province's referral rules (`provinces.settings.referrals`): how soon a receiving
 * organisation must accept and close, the official calendar (holidays and the weekend days
 * worked in exchange, 调休), and the legal aid hardship standard.
 */
export const ReferralSettingsSchema = z.strictObject({
  acceptWithinWorkingDays: z.number().int().min(0).max(30).default(1),
  closeWithinDays: z.number().int().min(1).max(365).default(30),
  /** Days off in China Standard Time besides weekends, e.g. the Spring Festival week. */
  holidays: z.array(Day).max(400).default([]),
  /** Weekend days that are working days (调休). */
  workingWeekends: z.array(Day).max(100).default([]),
  legalAid: z
    .strictObject({
      /** Household income per person within this multiple of the minimum living allowance is hardship (Qinghai 2023: 3). */
      hardshipMultiple: z.number().positive().max(20).default(3),
      /** The minimum living allowance (低保), yuan per person per month, where no region sets its own. */
      monthlyAllowanceYuan: z.number().positive().max(100_000).default(752),
      /** Per region (county, prefecture); a region without one uses the nearest region above it. */
      monthlyAllowanceByRegion: z.record(z.string().regex(/^\d{6}$/), z.number().positive().max(100_000)).default({}),
    })
    .default({ hardshipMultiple: 3, monthlyAllowanceYuan: 752, monthlyAllowanceByRegion: {} }),
});
export type ReferralSettings = z.infer<typeof ReferralSettingsSchema>;

/** Reads the province's settings; anything missing takes its default, anything wrong names itself. */
export function referralSettings(settings: Record<string, unknown>, provinceCode: string): ReferralSettings {
  const parsed = ReferralSettingsSchema.safeParse(settings.referrals ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `settings.referrals.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`province ${provinceCode} has invalid referral settings: ${problems}`);
  }
  return parsed.data;
}

/** The CST calendar day of an instant, YYYY-MM-DD. */
export const cstDay = (at: Date): string => chinaDay(at);

export function isWorkingDay(day: string, s: Pick<ReferralSettings, 'holidays' | 'workingWeekends'>): boolean {
  if (s.workingWeekends.includes(day)) return true;
  if (s.holidays.includes(day)) return false;
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/**
 * `n` working days after `from`, at the same time of day: a referral made on Friday afternoon
 * with one working day to accept is due on Monday afternoon (or later after a holiday). With
 * n = 0, the end of `from`'s day if it is a working day, else the end of the next one.
 */
export function addWorkingDays(from: Date, n: number, s: Pick<ReferralSettings, 'holidays' | 'workingWeekends'>): Date {
  let at = from.getTime();
  if (n === 0) {
    while (!isWorkingDay(cstDay(new Date(at)), s)) at += DAY_MS;
    const day = cstDay(new Date(at));
    return new Date(chinaDayEnd(day).getTime() - 1);
  }
  for (let left = n; left > 0; ) {
    at += DAY_MS;
    if (isWorkingDay(cstDay(new Date(at)), s)) left--;
  }
  return new Date(at);
}
