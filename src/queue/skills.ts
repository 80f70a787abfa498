/**
 * The routing vocabulary: the languages a caller can be served in and the legal topics a call
 * can be about. Agents hold these as skills with a proficiency of 1 (can manage) to 5 (expert).
 * Language is never relaxed by the router; topic preference is, at a later overflow step.
 */

export const LANGUAGES = {
  zh: { zh: '普通话', en: 'Mandarin' },
  bo: { zh: '藏语', en: 'Tibetan' },
  mn: { zh: '蒙古语', en: 'Mongolian' },
  ug: { zh: '维吾尔语', en: 'Uyghur' },
  ii: { zh: '彝语', en: 'Yi' },
  za: { zh: '壮语', en: 'Zhuang' },
  ko: { zh: '朝鲜语', en: 'Korean' },
  yue: { zh: '粤语', en: 'Cantonese' },
  hak: { zh: '客家话', en: 'Hakka' },
  nan: { zh: '潮汕话', en: 'Teochew' },
  en: { zh: '英语', en: 'English' },
} as const;
export type LanguageCode = keyof typeof LANGUAGES;
export const LANGUAGE_CODES = Object.keys(LANGUAGES) as [LanguageCode, ...LanguageCode[]];

export const TOPICS = {
  labour: { zh: '劳动争议', en: 'Labour and wages' },
  marriage_family: { zh: '婚姻家庭', en: 'Marriage and family' },
  land_housing: { zh: '土地房产', en: 'Land and housing' },
  contract_debt: { zh: '合同债务', en: 'Contracts and debt' },
  traffic_accident: { zh: '交通事故', en: 'Traffic accidents' },
  consumer: { zh: '消费维权', en: 'Consumer rights' },
  criminal: { zh: '刑事', en: 'Criminal' },
  administrative: { zh: '行政', en: 'Administrative' },
  legal_aid: { zh: '法律援助', en: 'Legal aid' },
  other: { zh: '其他', en: 'Other' },
} as const;
export type TopicCode = keyof typeof TOPICS;
export const TOPIC_CODES = Object.keys(TOPICS) as [TopicCode, ...TopicCode[]];

export const MIN_PROFICIENCY = 1;
export const MAX_PROFICIENCY = 5;
