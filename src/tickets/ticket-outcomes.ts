/** What the agent did for the caller (tickets.outcome), named in Chinese and English for the desk and the exports. */
export const OUTCOMES = {
  answered: { zh: '已解答', en: 'Answered' },
  refer_legal_aid: { zh: '转法律援助', en: 'Refer to legal aid' },
  refer_mediation: { zh: '转人民调解', en: 'Refer to mediation' },
  divert: { zh: '转其他部门', en: 'Divert to a department' },
  callback: { zh: '需回访', en: 'Call back' },
} as const;
