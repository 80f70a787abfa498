import { z } from 'zod';

const Code = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be a code of lower-case letters, digits and _ (up to 32)');

export const CriterionSchema = z.strictObject({
  code: Code,
  zh: z.string().trim().min(1).max(40),
  en: z.string().trim().min(1).max(80),
  /** The most this criterion gives; a score is a whole number from 0 to this. */
  max: z.number().int().min(1).max(100),
});
export type Criterion = z.infer<typeof CriterionSchema>;

/**
 * The evaluation form most 12348 centres use, 100 points in all: courtesy phrases, the legal
 * answer (the largest share: a wrong answer is the worst a call can do), attitude, and a ticket
 * another person could act on.
 */
export const DEFAULT_CRITERIA: Criterion[] = [
  { code: 'greeting', zh: '礼貌用语', en: 'Greeting and courtesy', max: 15 },
  { code: 'legal_answer', zh: '法律解答准确', en: 'Correctness of the legal answer', max: 40 },
  { code: 'attitude', zh: '服务态度', en: 'Attitude', max: 25 },
  { code: 'ticket_completeness', zh: '工单完整', en: 'Ticket completeness', max: 20 },
];

/** A province's quality inspection form (`provinces.settings.quality`). The sampling rate is the targets' `inspectionRate`. */
export const QualitySettingsSchema = z.strictObject({
  criteria: z
    .array(CriterionSchema)
    .min(1)
    .max(20)
    .refine((c) => new Set(c.map((x) => x.code)).size === c.length, 'each criterion needs a code of its own')
    .default(DEFAULT_CRITERIA),
});
export type QualitySettings = z.infer<typeof QualitySettingsSchema>;

/** Reads the province's form; anything missing takes its default, anything wrong names itself. */
export function qualitySettings(settings: Record<string, unknown>, provinceCode: string): QualitySettings {
  const parsed = QualitySettingsSchema.safeParse(settings.quality ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `settings.quality.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`province ${provinceCode} has invalid quality settings: ${problems}`);
  }
  return parsed.data;
}
