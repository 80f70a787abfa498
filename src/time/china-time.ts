/**
 * The hotline's calendar is China Standard Time (UTC+8, no daylight saving): ticket numbers,
 * "today" on the wallboard, report days, referral deadlines. Instants are stored in UTC; these
 * turn them into CST days and back.
 */
export const CST_OFFSET_MS = 8 * 3600_000;
export const DAY_MS = 86_400_000;

/** The CST day of an instant, YYYY-MM-DD. */
export function chinaDay(at: Date | number): string {
  return new Date((typeof at === 'number' ? at : at.getTime()) + CST_OFFSET_MS).toISOString().slice(0, 10);
}

/** 00:00 CST of a day given as YYYY-MM-DD. */
export function chinaDayStart(day: string): Date {
  return new Date(Date.parse(`${day}T00:00:00Z`) - CST_OFFSET_MS);
}

/** 00:00 CST of the day after: the exclusive end of `day`. */
export function chinaDayEnd(day: string): Date {
  return new Date(chinaDayStart(day).getTime() + DAY_MS);
}

/** 00:00 CST of the day an instant falls on. */
export function startOfChinaDay(at: Date | number): Date {
  const t = typeof at === 'number' ? at : at.getTime();
  return new Date(Math.floor((t + CST_OFFSET_MS) / DAY_MS) * DAY_MS - CST_OFFSET_MS);
}

/** 00:00 CST on the first of the month (YYYY-MM) and of the month after. */
export function chinaMonth(month: string): { start: Date; end: Date } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  return { start: chinaDayStart(`${month}-01`), end: chinaDayStart(`${next}-01`) };
}
