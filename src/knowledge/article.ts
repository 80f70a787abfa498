import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../paths';
import { TOPIC_CODES } from '../queue/skills';

/**
 * What a knowledge article says, as supervisors write it (the API) and as the project ships it
 * (provinces/knowledge/articles.json): the caller's question, the answer an agent can give, the
 * law it rests on, its topic, the regions it applies to and the days it is in effect.
 */

const CHINESE_NUMERAL = '[零〇一二三四五六七八九十百千]+';
/** 第三十条, 第一千零七十九条, 第十四条第二款, 第三十一条第（五）项 … as laws number their parts. */
const ARTICLE_NUMBER = new RegExp(`^第${CHINESE_NUMERAL}条(之${CHINESE_NUMERAL})?(第${CHINESE_NUMERAL}款)?(第[（(]?${CHINESE_NUMERAL}[）)]?项)?$`);

export const LegalBasisSchema = z.strictObject({
  law: z
    .string()
    .trim()
    .min(2)
    .max(80)
    .refine((s) => !/[《》]/.test(s), 'write the law\'s name without 《》 (〈〉 inside it)')
    .describe('the law, regulation or judicial interpretation, e.g. 中华人民共和国劳动合同法'),
  articles: z
    .array(z.string().trim().regex(ARTICLE_NUMBER, 'must be an article number as the law writes it, e.g. 第三十条 or 第十四条第二款'))
    .max(20)
    .default([])
    .describe('its articles, e.g. ["第三十条", "第八十五条"]; empty when the law is cited as a whole'),
});
export type LegalBasisInput = z.infer<typeof LegalBasisSchema>;

const Day = z.iso.date('must be a date written YYYY-MM-DD');

const ArticleFields = z.strictObject({
  title: z.string().trim().min(2).max(100),
  question: z.string().trim().min(2).max(500).describe('the question as a caller asks it'),
  answer: z.string().trim().min(10).max(5000).describe('what the agent can tell the caller: what they can do, where to go'),
  basis: z.array(LegalBasisSchema).min(1, 'cite at least one law').max(10),
  topic: z.enum(TOPIC_CODES),
  regions: z.array(z.string().regex(/^\d{6}$/, 'must be a 6-digit region code')).max(60).default([]).describe('regions (and their subtrees) the article applies to; empty: the whole province'),
  keywords: z.array(z.string().trim().min(1).max(30)).max(60).default([]).describe('how callers say it (老板, 欠薪 …), searched like the title'),
  effectiveFrom: Day.describe('first China day the article is in effect'),
  effectiveTo: Day.nullable().default(null).describe('last China day it is in effect; null: open-ended'),
});

const inOrder = (a: { effectiveFrom: string; effectiveTo: string | null }) => a.effectiveTo === null || a.effectiveTo >= a.effectiveFrom;
const OUT_OF_ORDER = { path: ['effectiveTo'], message: 'must be the same day as effectiveFrom or later' };

export const ArticleContentSchema = ArticleFields.refine(inOrder, OUT_OF_ORDER);
export type ArticleContent = z.infer<typeof ArticleContentSchema>;

/** `《中华人民共和国劳动合同法》第三十条、第八十五条；《…》` as agents read it out. */
export function basisText(basis: readonly LegalBasisInput[]): string {
  return basis.map((b) => `《${b.law}》${b.articles.join('、')}`).join('；');
}

const SeedFile = z
  .strictObject({
    description: z.string(),
    articles: z.array(ArticleContentSchema).min(1),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.articles.forEach((a, i) => {
      if (seen.has(a.title)) ctx.addIssue({ code: 'custom', path: ['articles', i, 'title'], message: `the title ${a.title} is used twice` });
      seen.add(a.title);
    });
  });

export function seedFilePath(): string {
  return path.join(projectRoot(), 'provinces', 'knowledge', 'articles.json');
}

/** The articles the project ships, checked; a bad file stops the start with the field named. */
export async function readSeedArticles(file = seedFilePath()): Promise<ArticleContent[]> {
  const json: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
  const parsed = SeedFile.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`${file} is not a valid knowledge file: ${problems}`);
  }
  return parsed.data.articles;
}
