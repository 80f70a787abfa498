import { z } from 'zod';

/**
 * A province's routing settings (stored in provinces.settings.routing). Times are seconds and
 * may be fractional, so simulations and tests can run the real policy on a fast clock.
 */

export const OverflowStepSchema = z.strictObject({
  /** The step starts once the call has waited this long. */
  afterSeconds: z.number().min(0),
  /** Whose seats may answer: the caller's county, their prefecture, or the whole province. */
  scope: z.enum(['county', 'prefecture', 'province']),
  /** Whether the agent must list the call's topic; a later step usually relaxes it. */
  requireTopic: z.boolean(),
});
export type OverflowStep = z.output<typeof OverflowStepSchema>;

const SCOPE_ORDER = { county: 0, prefecture: 1, province: 2 } as const;

/**
 * Numbers the hotline may dial for a caller: mainland only (a landline with its area code, a
 * mobile, or a 3–5 digit service number such as 12345), never international — forwards, consult
 * legs and interpreters' lines alike — so a hijacked desktop cannot run up toll fraud.
 */
export const MAINLAND_NUMBER = /^(0[1-9]\d{8,10}|1[3-9]\d{9}|1\d{2,4})$/;

/**
 * Interpreters (DESIGN §3): the province's list of outside interpreters' numbers, and the
 * fallback for a caller who has waited `fallbackSeconds` for a speaker of one of `languages`:
 * routed to a Mandarin agent from then on, an interpreter joining the call when it is answered
 * (from the list, else the next signed-in agent who speaks the language). null: no fallback.
 */
export const InterpreterSettingsSchema = z.strictObject({
  fallbackSeconds: z.number().positive().max(3600).nullable(),
  languages: z.array(z.string().regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})?$/, 'a language code such as bo or mn')).max(16),
  numbers: z
    .array(
      z.strictObject({
        language: z.string().regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})?$/, 'a language code such as bo or mn'),
        name: z.string().min(1).max(80),
        number: z.string().regex(MAINLAND_NUMBER, 'a mainland number: a landline with its area code, a mobile, or a short service number'),
      }),
    )
    .max(100),
});
export type InterpreterSettings = z.output<typeof InterpreterSettingsSchema>;

export const RoutingSettingsSchema = z.strictObject({
  steps: z
    .array(OverflowStepSchema)
    .min(1)
    .refine((s) => s[0]!.afterSeconds === 0, 'the first step must start at 0 seconds')
    .refine((s) => s.every((step, i) => i === 0 || step.afterSeconds > s[i - 1]!.afterSeconds), 'steps must start at increasing times')
    // Matching relies on eligibility only growing with waiting: scopes widen, topics relax.
    .refine((s) => s.every((step, i) => i === 0 || SCOPE_ORDER[step.scope] >= SCOPE_ORDER[s[i - 1]!.scope]), 'a later step may not narrow the scope')
    .refine((s) => s.every((step, i) => i === 0 || !step.requireTopic || s[i - 1]!.requireTopic), 'a later step may not require the topic again'),
  offerTimeoutSeconds: z.number().positive().max(120),
  wrapUpSeconds: z.number().min(0).max(3600),
  maxWrapUpSeconds: z.number().min(0).max(7200),
  /** Offer a callback when the estimated wait is above this. */
  callbackThresholdSeconds: z.number().positive(),
  /** Added to a callback's priority when it falls due. */
  callbackPriorityBoost: z.number().int().min(0).max(100),
  maxQueueSize: z.number().int().positive(),
  /** A caller still waiting after this is offered a callback or a message and leaves the queue. */
  maxWaitSeconds: z.number().positive(),
  /** A call missed by this many agents raises a supervisor alert. */
  missedAlertThreshold: z.number().int().positive(),
  /** Handle time assumed until enough calls have been handled to measure it. */
  defaultHandleSeconds: z.number().positive(),
  /** An agent whose session is not renewed within this is logged out. */
  presenceGraceSeconds: z.number().positive(),
  /**
   * A call connected longer than this is checked with its phone system (the reaper): one the
   * phone system no longer has is closed. The longest a conversation may run unchecked.
   */
  maxTalkSeconds: z.number().positive().max(24 * 3600),
  interpreters: InterpreterSettingsSchema,
});
export type RoutingSettings = z.output<typeof RoutingSettingsSchema>;

/** County seats first, the prefecture after 30 s, the whole province after 90 s. */
export const DEFAULT_ROUTING: RoutingSettings = {
  steps: [
    { afterSeconds: 0, scope: 'county', requireTopic: true },
    { afterSeconds: 30, scope: 'prefecture', requireTopic: true },
    { afterSeconds: 90, scope: 'province', requireTopic: false },
  ],
  offerTimeoutSeconds: 20,
  wrapUpSeconds: 60,
  maxWrapUpSeconds: 600,
  callbackThresholdSeconds: 300,
  callbackPriorityBoost: 5,
  maxQueueSize: 500,
  maxWaitSeconds: 900,
  missedAlertThreshold: 3,
  // Beijing 2024: 81,370 hours for 673,951 calls, about 7.2 minutes a call.
  defaultHandleSeconds: 435,
  presenceGraceSeconds: 30,
  maxTalkSeconds: 2 * 3600,
  // Off until the province has interpreters to call on (an operator sets the wait).
  interpreters: { fallbackSeconds: null, languages: ['bo', 'mn'], numbers: [] },
};

/** The Mandarin a fallback routes to: every seat of the hotline speaks it. */
export const FALLBACK_LANGUAGE = 'zh';
