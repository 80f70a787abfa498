import type { TestApp } from './app';
import { setProvinceSettings } from './province-settings';
import { chinaDay } from '../../src/time/china-time';

/** Monday to Friday, 08:30–17:30 China time. */
export const WORKING_WEEK = { mon: ['08:30-17:30'], tue: ['08:30-17:30'], wed: ['08:30-17:30'], thu: ['08:30-17:30'], fri: ['08:30-17:30'] };

/**
 * Closes the hotline now, whatever the time of day the test runs at: working-week hours, and
 * today made a public holiday. Returns today's China date.
 */
export async function closeToday(t: TestApp, serviceHours: Record<string, unknown> = {}): Promise<string> {
  const today = chinaDay(new Date());
  await setProvinceSettings(t.app, 'referrals', { holidays: [today] });
  await setProvinceSettings(t.app, 'serviceHours', { week: WORKING_WEEK, ...serviceHours });
  await t.app.callFlow.hours.reload();
  return today;
}

/** Always open again (the default). */
export async function reopen(t: TestApp): Promise<void> {
  await setProvinceSettings(t.app, 'serviceHours', {});
  await setProvinceSettings(t.app, 'referrals', {});
  await t.app.callFlow.hours.reload();
}

/** 08:30 China time on the first Monday–Friday after `today` (a holiday): the next working morning. */
export function nextWorkingMorning(today: string): Date {
  let day = new Date(`${today}T12:00:00Z`);
  do day = new Date(day.getTime() + 86_400_000);
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6);
  return new Date(`${day.toISOString().slice(0, 10)}T08:30:00+08:00`);
}
