import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/database';
import { isWorkingDay, referralSettings } from '../tickets/referral-settings';
import { CST_OFFSET_MS, chinaDay, chinaDayStart, DAY_MS } from '../time/china-time';

/**
 * When people answer the hotline (`provinces.settings.serviceHours`), and what a caller gets when
 * nobody can: outside the hours, the hours and a voice message (留言) that becomes a ticket and a
 * callback when the service next opens — or the province's duty number; inside them, a caller
 * whose language no signed-in agent speaks is told at once and offered a callback or a message.
 *
 * Hours are China Standard Time, per weekday. Official holidays and the weekend days worked in
 * exchange (调休) come from the referral calendar (`settings.referrals.holidays` /
 * `workingWeekends`), so the province keeps one calendar. No `week`: open at every hour (the
 * default — as most provinces' 12348 answers around the clock).
 */

const HM = '([01]\\d|2[0-3]):[0-5]\\d';
const SPAN = new RegExp(`^(${HM})-(${HM}|24:00)$`);
const minutesOf = (hm: string) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5));

/** One opening, `HH:MM-HH:MM` (CST; `24:00` ends at midnight). */
const Span = z
  .string()
  .regex(SPAN, 'must be opening hours HH:MM-HH:MM in China Standard Time, e.g. 08:30-17:30')
  .refine((s) => minutesOf(s.slice(0, 5)) < minutesOf(s.slice(6)), 'must end after it starts (a span past midnight is two spans, one per day)');
/** A day's openings; none: closed that day. */
const DayHours = z.array(Span).max(6);

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A mainland number the hotline may put a caller through to (as an agent's transfer allows). */
const DutyNumber = z.string().regex(/^(0[1-9]\d{8,10}|1[3-9]\d{9}|1\d{2,4})$/, 'must be a mainland number: a landline with its area code, a mobile, or a short service number');

export const ServiceHoursSchema = z.strictObject({
  /** Openings per weekday; a weekday left out is closed. Null: open at every hour, every day. */
  week: z.partialRecord(z.enum(WEEKDAYS), DayHours).nullable().default(null),
  /** Openings on official holidays (the referral calendar's `holidays`); default closed. */
  holidays: DayHours.default([]),
  /** Openings on weekend days worked in exchange (调休, `workingWeekends`); null: Monday's. */
  makeUpDays: DayHours.nullable().default(null),
  /** Outside the hours, callers are put through to this number instead of leaving a message. */
  dutyNumber: DutyNumber.nullable().default(null),
  /** Longest voice message, in seconds. */
  messageMaxSeconds: z.number().int().min(10).max(600).default(120),
  /**
   * A caller whose language no signed-in agent speaks is told so at once and offered a callback
   * or a message; one who chooses neither is booked a callback after waiting this long (instead
   * of the queue's maximum wait), unless a speaker has signed in meanwhile.
   */
  noSpeakerWaitSeconds: z.number().int().min(0).max(3600).default(60),
});
export type ServiceHours = z.infer<typeof ServiceHoursSchema>;

export const ALWAYS_OPEN: ServiceHours = ServiceHoursSchema.parse({});

type Calendar = { holidays: string[]; workingWeekends: string[] };

/** Reads the section; anything missing takes its default, anything wrong names itself. */
export function serviceHoursSettings(settings: Record<string, unknown>, provinceCode: string): ServiceHours {
  const parsed = ServiceHoursSchema.safeParse(settings.serviceHours ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `settings.serviceHours.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`province ${provinceCode} has invalid service hours: ${problems}`);
  }
  return parsed.data;
}

/** The hours and the calendar they are read with: pure, so tests can ask it about any instant. */
export class ServiceCalendar {
  constructor(
    readonly hours: ServiceHours,
    readonly calendar: Calendar = { holidays: [], workingWeekends: [] },
  ) {}

  get alwaysOpen(): boolean {
    return this.hours.week === null;
  }

  /** The openings of a CST day, YYYY-MM-DD. */
  spansOf(day: string): string[] {
    const week = this.hours.week;
    if (week === null) return ['00:00-24:00'];
    const weekday = WEEKDAYS[new Date(`${day}T00:00:00Z`).getUTCDay()]!;
    if (this.calendar.holidays.includes(day) && !this.calendar.workingWeekends.includes(day)) return this.hours.holidays;
    if ((weekday === 'sat' || weekday === 'sun') && this.calendar.workingWeekends.includes(day)) return this.hours.makeUpDays ?? week.mon ?? [];
    return week[weekday] ?? [];
  }

  isOpen(at: Date): boolean {
    if (this.alwaysOpen) return true;
    const day = chinaDay(at);
    const m = Math.floor((at.getTime() + CST_OFFSET_MS) / 60_000) % (24 * 60);
    return this.spansOf(day).some((s) => m >= minutesOf(s.slice(0, 5)) && m < minutesOf(s.slice(6)));
  }

  /**
   * When the hotline next opens on a working day after `at` — "the next working morning", when a
   * message left out of hours is called back. `at` itself when always open; null when the hours
   * never open on a working day within 60 days (the callback is then due at once).
   */
  nextWorkingOpening(at: Date): Date | null {
    if (this.alwaysOpen) return at;
    const today = chinaDay(at);
    for (let i = 0; i <= 60; i++) {
      const day = chinaDay(chinaDayStart(today).getTime() + i * DAY_MS + DAY_MS / 2);
      if (!isWorkingDay(day, this.calendar)) continue;
      for (const s of [...this.spansOf(day)].sort()) {
        const opens = new Date(chinaDayStart(day).getTime() + minutesOf(s.slice(0, 5)) * 60_000);
        if (opens.getTime() > at.getTime()) return opens;
      }
    }
    return null;
  }

  /** The hours as callers hear them: "周一至周五 08:30-17:30", or null when always open. */
  describe(language: string): string | null {
    const week = this.hours.week;
    if (week === null) return null;
    const zh: Record<Weekday, string> = { sun: '周日', mon: '周一', tue: '周二', wed: '周三', thu: '周四', fri: '周五', sat: '周六' };
    const en: Record<Weekday, string> = { sun: 'Sunday', mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday' };
    const names = language === 'en' ? en : zh;
    // Runs of days with the same hours, Monday first: 周一至周五 08:30-17:30，周六 09:00-12:00.
    const order: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
    const parts: string[] = [];
    let i = 0;
    while (i < order.length) {
      const spans = (week[order[i]!] ?? []).join(language === 'en' ? ' and ' : '、');
      let j = i;
      while (j + 1 < order.length && (week[order[j + 1]!] ?? []).join() === (week[order[i]!] ?? []).join()) j++;
      if (spans !== '') {
        const days = i === j ? names[order[i]!] : `${names[order[i]!]}${language === 'en' ? ' to ' : '至'}${names[order[j]!]}`;
        parts.push(`${days} ${spans.replaceAll('-', language === 'en' ? ' to ' : '至')}`);
      }
      i = j + 1;
    }
    const holidays = language === 'en' ? (this.hours.holidays.length ? '' : ', closed on public holidays') : this.hours.holidays.length ? '' : '，法定节假日除外';
    return parts.join(language === 'en' ? ', ' : '，') + holidays;
  }
}

/**
 * The province's service hours as they stand, read at start and again every minute (an
 * operator's change applies without a restart); a wrong change is reported once and ignored.
 */
export class ServiceHoursSource {
  private current: ServiceCalendar = new ServiceCalendar(ALWAYS_OPEN);
  private problem = '';
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly provinceCode: string,
    private readonly log: FastifyBaseLogger,
  ) {}

  get calendar(): ServiceCalendar {
    return this.current;
  }

  /** Reads the settings now (start-up, the timer, tests). `strict` (start-up): a wrong section throws. */
  async reload(strict = false): Promise<void> {
    const row = await this.db.selectFrom('provinces').select('settings').where('code', '=', this.provinceCode).executeTakeFirst();
    if (!row) return;
    const settings = (row.settings ?? {}) as Record<string, unknown>;
    try {
      const hours = serviceHoursSettings(settings, this.provinceCode);
      const { holidays, workingWeekends } = referralSettings(settings, this.provinceCode);
      this.current = new ServiceCalendar(hours, { holidays, workingWeekends });
      this.problem = '';
    } catch (err) {
      if (strict) throw err;
      const problem = (err as Error).message;
      if (problem !== this.problem) this.log.error({ problem }, 'service hours changed to something invalid; keeping the previous ones');
      this.problem = problem;
    }
  }

  start(intervalMs = 60_000): void {
    this.timer = setInterval(() => void this.reload().catch((err) => this.log.warn({ err }, 'could not read the service hours; keeping the previous ones')), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
