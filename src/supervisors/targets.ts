import { z } from 'zod';

/**
 * A province's service targets (`provinces.settings.targets`): what the wallboard measures the
 * hotline against and alerts on. Defaults follow GB/T 33358 (government hotlines answer within
 * 15 s and ≥ 95 % of calls) and the targets of Anhui's 12348 service contract (satisfaction
 * ≥ 90 %, quality inspection of ≥ 5 % of calls, follow-up of every dissatisfied caller). A target
 * set to null is not watched.
 */
const Share = z.number().min(0).max(1);

export const ServiceTargetsSchema = z.strictObject({
  serviceLevel: z
    .strictObject({
      /** Answered within this many seconds of joining the queue counts as in service level. */
      thresholdSeconds: z.number().int().min(1).max(600).default(15),
      /** The share to reach (answered within the threshold ÷ answered + abandoned after it + waiting past it). */
      goal: Share.nullable().default(0.8),
    })
    .prefault({}),
  /** Answered ÷ (answered + abandoned) at least this. */
  answerRate: Share.nullable().default(0.95),
  /** Abandoned ÷ (answered + abandoned) at most this. */
  abandonment: Share.nullable().default(0.05),
  /** No caller waits longer than this. */
  longestWaitSeconds: z.number().int().min(1).max(24 * 3600).nullable().default(120),
  /** Callbacks past the callback policy's overdueMinutes: at most this many. */
  overdueCallbacks: z.number().int().min(0).nullable().default(0),
  /** Referrals past their acceptance or closing deadline: at most this many. */
  overdueReferrals: z.number().int().min(0).nullable().default(0),
  /** Satisfied survey answers (4 or 5 of 5) ÷ all answers, at least this (reports). */
  satisfaction: Share.nullable().default(0.9),
  /** Share of answered calls inspected for quality (reports). */
  inspectionRate: Share.nullable().default(0.05),
  /** Share of dissatisfied callers followed up (reports). */
  followUpRate: Share.nullable().default(1),
  alerts: z
    .strictObject({
      /** Rates are measured over the last this many minutes. */
      windowMinutes: z.union([z.literal(15), z.literal(30)]).default(15),
      /** A rate over fewer calls than this in the window says nothing yet: not alerted. */
      minCalls: z.number().int().min(1).max(1000).default(5),
      /** A breach is cleared once the figure has been back within target this long (no flapping). */
      clearAfterSeconds: z.number().int().min(0).max(3600).default(60),
    })
    .prefault({}),
});
export type ServiceTargets = z.infer<typeof ServiceTargetsSchema>;

export const DEFAULT_SERVICE_TARGETS: ServiceTargets = ServiceTargetsSchema.parse({});

/**
 * Reads the province's targets; anything missing takes its default, anything wrong names itself.
 * A threshold set the older way (`settings.routing.serviceLevelThresholdSeconds`) still counts
 * when the targets do not give one.
 */
export function serviceTargets(settings: Record<string, unknown>, provinceCode: string): ServiceTargets {
  const parsed = ServiceTargetsSchema.safeParse(settings.targets ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `settings.targets.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`province ${provinceCode} has invalid service targets: ${problems}`);
  }
  const given = (settings.targets as { serviceLevel?: { thresholdSeconds?: unknown } } | undefined)?.serviceLevel?.thresholdSeconds;
  const older = (settings.routing as { serviceLevelThresholdSeconds?: unknown } | undefined)?.serviceLevelThresholdSeconds;
  if (given === undefined && typeof older === 'number' && Number.isInteger(older) && older >= 1 && older <= 600) {
    return { ...parsed.data, serviceLevel: { ...parsed.data.serviceLevel, thresholdSeconds: older } };
  }
  return parsed.data;
}
