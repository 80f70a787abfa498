import { z } from 'zod';
import { CST_OFFSET_MS, DAY_MS } from '../time/china-time';

const HourMinute = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a time HH:MM (China Standard Time), 00:00 to 24:00');

/**
 * A province's callback policy (`provinces.settings.callbacks`): how often a callback is tried,
 * how far apart, at which hours callers may be called, and when one counts as overdue.
 */
export const CallbackPolicySchema = z.strictObject({
  /** Attempts before a callback ends as failed. */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  /** Time between one attempt that did not reach the caller and the next. */
  retryMinutes: z.number().int().min(1).max(7 * 24 * 60).default(30),
  /** Callers are called between these times, China Standard Time (00:00 to 24:00: at any hour). */
  callingHours: z.strictObject({ from: HourMinute, to: HourMinute }).default({ from: '08:00', to: '21:00' }),
  /** A callback not completed this long after it fell due is overdue (wallboard, list). */
  overdueMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
  /**
   * An attempt the agent ended without saying whether the caller was reached counts as reached
   * after this much talk, and as not answered before it.
   */
  reachedAfterTalkSeconds: z.number().int().min(0).max(3600).default(20),
  /**
   * Missed-call callbacks (漏接回拨): a caller who hung up after waiting this long in the queue is
   * called back, once per number and day. Null: off.
   */
  missedCall: z.strictObject({ afterSeconds: z.number().int().min(0).max(3600) }).nullable().default(null),
});
export type CallbackPolicy = z.infer<typeof CallbackPolicySchema>;

export const DEFAULT_CALLBACK_POLICY: CallbackPolicy = CallbackPolicySchema.parse({});

/** Reads the province's policy; anything missing takes its default, anything wrong names itself. */
export function callbackPolicy(settings: Record<string, unknown>, provinceCode: string): CallbackPolicy {
  const parsed = CallbackPolicySchema.safeParse(settings.callbacks ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `settings.callbacks.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`province ${provinceCode} has invalid callback settings: ${problems}`);
  }
  if (parsed.data.callingHours.from === parsed.data.callingHours.to) {
    throw new Error(`province ${provinceCode} has invalid callback settings: settings.callbacks.callingHours: from and to must differ`);
  }
  return parsed.data;
}

const minutesOf = (hm: string) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5));

/** Minutes since 00:00 CST of the instant. */
function cstMinutes(at: number): number {
  return Math.floor((((at + CST_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS / 60_000);
}

/** Whether callers may be called at this instant (a window may run past midnight, e.g. 20:00–02:00). */
export function inCallingHours(policy: CallbackPolicy, at: Date): boolean {
  const m = cstMinutes(at.getTime());
  const from = minutesOf(policy.callingHours.from);
  const to = minutesOf(policy.callingHours.to);
  return from < to ? m >= from && m < to : m >= from || m < to;
}

/** The first instant at or after `at` inside calling hours. */
export function nextCallingTime(policy: CallbackPolicy, at: Date): Date {
  if (inCallingHours(policy, at)) return at;
  const t = at.getTime();
  const from = minutesOf(policy.callingHours.from);
  const wait = (from - cstMinutes(t) + 24 * 60) % (24 * 60);
  // To the start of that minute, so the window's first minute counts.
  return new Date(Math.floor(t / 60_000) * 60_000 + wait * 60_000);
}

/** When the next attempt is due after one that did not reach the caller. */
export function retryAt(policy: CallbackPolicy, after: Date): Date {
  return nextCallingTime(policy, new Date(after.getTime() + policy.retryMinutes * 60_000));
}
