import { z } from 'zod';

/**
 * The hotline's pre-check for legal aid (Legal Aid Law of the PRC, 2022): whether the matter is
 * within scope, whether the income test applies, and how the caller's stated income compares
 * with the province's hardship standard. The legal aid centre decides; this records what the
 * agent learnt on the call and why the referral was made.
 */

/** Art. 31: covered matters for applicants in economic hardship. */
export const ART31_MATTERS = [
  'state_compensation',
  'social_insurance_assistance',
  'pension',
  'support_maintenance',
  'labour_wages_injury',
  'legal_capacity',
  'personal_injury',
  'environmental_damage',
] as const;
/** Art. 32: covered with no income test. */
export const ART32_MATTERS = ['martyr_reputation', 'good_samaritan', 'retrial_compensation', 'abuse_domestic_violence'] as const;
export const MATTERS = [...ART31_MATTERS, ...ART32_MATTERS, 'criminal_defence', 'other'] as const;
export type Matter = (typeof MATTERS)[number];

/** Groups the hotline gives priority; some waive the income check on proof (Art. 42). */
export const PRIORITY_GROUPS = ['minor', 'elderly', 'disabled', 'migrant_worker', 'military_family_veteran', 'low_income'] as const;
export type PriorityGroup = (typeof PRIORITY_GROUPS)[number];

export const EligibilityInput = z.strictObject({
  matter: z.enum(MATTERS),
  groups: z.array(z.enum(PRIORITY_GROUPS)).max(PRIORITY_GROUPS.length).default([]),
  /** Minors, elderly and disabled people qualify under Art. 42 only without a fixed income. */
  noFixedIncome: z.boolean().default(false),
  /** Receives minimum living allowance, judicial assistance or special care (优抚). */
  receivesAssistance: z.boolean().default(false),
  householdMonthlyIncomeYuan: z.number().min(0).max(10_000_000).optional(),
  householdSize: z.number().int().min(1).max(30).optional(),
});
export type EligibilityInput = z.infer<typeof EligibilityInput>;

export type Verdict = 'likely_eligible' | 'likely_ineligible' | 'needs_assessment';

export interface EligibilityResult {
  matter: Matter;
  /** Which article covers the matter; null when it is outside Art. 31/32. */
  article: '31' | '32' | null;
  withinScope: boolean;
  incomeTest: 'not_required' | 'waived' | 'passed' | 'failed' | 'unknown';
  groups: PriorityGroup[];
  /** Income per person per month against the standard, yuan. */
  incomePerPersonYuan: number | null;
  standardYuan: number;
  verdict: Verdict;
  reasons: { zh: string; en: string }[];
  /** The province's standard when the check was made. */
  hardshipMultiple: number;
  monthlyAllowanceYuan: number;
}

export function checkEligibility(input: EligibilityInput, standard: { hardshipMultiple: number; monthlyAllowanceYuan: number }): EligibilityResult {
  const reasons: { zh: string; en: string }[] = [];
  const art31 = (ART31_MATTERS as readonly string[]).includes(input.matter);
  const art32 = (ART32_MATTERS as readonly string[]).includes(input.matter);
  const standardYuan = Math.round(standard.hardshipMultiple * standard.monthlyAllowanceYuan * 100) / 100;
  const incomePerPerson =
    input.householdMonthlyIncomeYuan !== undefined ? Math.round((input.householdMonthlyIncomeYuan / (input.householdSize ?? 1)) * 100) / 100 : null;
  const base = {
    matter: input.matter,
    groups: input.groups,
    incomePerPersonYuan: incomePerPerson,
    standardYuan,
    hardshipMultiple: standard.hardshipMultiple,
    monthlyAllowanceYuan: standard.monthlyAllowanceYuan,
  };

  if (input.matter === 'criminal_defence') {
    reasons.push({ zh: '刑事辩护法律援助由法援中心依刑事诉讼程序审查', en: 'Criminal defence aid is decided by the centre under criminal procedure' });
    return { ...base, article: null, withinScope: true, incomeTest: 'unknown', verdict: 'needs_assessment', reasons };
  }
  if (!art31 && !art32) {
    reasons.push({ zh: '事项不在《法律援助法》第三十一、三十二条范围内', en: 'The matter is outside Legal Aid Law Art. 31 and 32' });
    return { ...base, article: null, withinScope: false, incomeTest: 'unknown', verdict: 'likely_ineligible', reasons };
  }
  if (art32) {
    reasons.push({ zh: '属第三十二条情形，不受经济困难条件限制', en: 'Art. 32 matter: no income test' });
    return { ...base, article: '32', withinScope: true, incomeTest: 'not_required', verdict: 'likely_eligible', reasons };
  }

  const waived = waiver(input);
  if (waived) {
    reasons.push(waived);
    return { ...base, article: '31', withinScope: true, incomeTest: 'waived', verdict: 'likely_eligible', reasons };
  }
  if (incomePerPerson === null) {
    reasons.push({ zh: '未提供家庭收入，需法援中心审查经济困难情况', en: 'No household income given: the centre must assess hardship' });
    return { ...base, article: '31', withinScope: true, incomeTest: 'unknown', verdict: 'needs_assessment', reasons };
  }
  if (incomePerPerson <= standardYuan) {
    reasons.push({ zh: `人均月收入 ${incomePerPerson} 元，不超过困难标准 ${standardYuan} 元`, en: `Income ${incomePerPerson} yuan per person per month is within the standard of ${standardYuan}` });
    return { ...base, article: '31', withinScope: true, incomeTest: 'passed', verdict: 'likely_eligible', reasons };
  }
  reasons.push({ zh: `人均月收入 ${incomePerPerson} 元，超过困难标准 ${standardYuan} 元`, en: `Income ${incomePerPerson} yuan per person per month is above the standard of ${standardYuan}` });
  return { ...base, article: '31', withinScope: true, incomeTest: 'failed', verdict: 'likely_ineligible', reasons };
}

/** Art. 42: who is spared the income check on proof of status. */
function waiver(input: EligibilityInput): { zh: string; en: string } | null {
  const has = (g: PriorityGroup) => input.groups.includes(g);
  if (has('migrant_worker') && input.matter === 'labour_wages_injury') {
    return { zh: '农民工请求支付劳动报酬或工伤赔偿，免予经济困难审查（第四十二条）', en: 'Migrant worker claiming wages or injury compensation: income check waived (Art. 42)' };
  }
  if (input.receivesAssistance || has('low_income')) {
    return { zh: '领取最低生活保障、司法救助或优抚，免予经济困难审查（第四十二条）', en: 'Receives minimum living allowance, judicial assistance or special care: income check waived (Art. 42)' };
  }
  if ((has('minor') || has('elderly') || has('disabled')) && input.noFixedIncome) {
    return { zh: '无固定生活来源的未成年人、老年人、残疾人，免予经济困难审查（第四十二条）', en: 'Minor, elderly or disabled person without fixed income: income check waived (Art. 42)' };
  }
  return null;
}
