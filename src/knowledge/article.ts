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

export const CONTENT_FIELDS = ['title', 'question', 'answer', 'basis', 'topic', 'regions', 'keywords', 'effectiveFrom', 'effectiveTo'] as const;
export type ContentField = (typeof CONTENT_FIELDS)[number];

/**
 * The fields in which two versions of an article differ. The legal basis is compared field by
 * field: read back from jsonb, its objects' keys need not come in the order they were written.
 */
export function changedFields(a: ArticleContent, b: ArticleContent): ContentField[] {
  const comparable = (c: ArticleContent, f: ContentField) => JSON.stringify(f === 'basis' ? c.basis.map((x) => [x.law, x.articles]) : c[f]);
  return CONTENT_FIELDS.filter((f) => comparable(a, f) !== comparable(b, f));
}

/** `《中华人民共和国劳动合同法》第三十条、第八十五条；《…》` as agents read it out. */
export function basisText(basis: readonly LegalBasisInput[]): string {
  return basis.map((b) => `《${b.law}》${b.articles.join('、')}`).join('；');
}

/**
 * The shipped article's stable name: how a release finds the row it wrote earlier, whatever
 * supervisors or a later file did to the title.
 */
export const ShippedKeySchema = z
  .string()
  .max(60)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be a lowercase slug of letters, digits and single hyphens, e.g. wage-arrears');

export const ShippedArticleSchema = ArticleFields.extend({ key: ShippedKeySchema }).refine(inOrder, OUT_OF_ORDER);
export type ShippedArticle = z.infer<typeof ShippedArticleSchema>;

const ShippedFile = z
  .strictObject({
    description: z.string(),
    articles: z.array(ShippedArticleSchema).min(1),
  })
  .superRefine((file, ctx) => {
    const titles = new Set<string>();
    const keys = new Set<string>();
    file.articles.forEach((a, i) => {
      if (titles.has(a.title)) ctx.addIssue({ code: 'custom', path: ['articles', i, 'title'], message: `the title ${a.title} is used twice` });
      if (keys.has(a.key)) ctx.addIssue({ code: 'custom', path: ['articles', i, 'key'], message: `the key ${a.key} is used twice` });
      titles.add(a.title);
      keys.add(a.key);
    });
  });

export function shippedFilePath(): string {
  return path.join(projectRoot(), 'provinces', 'knowledge', 'articles.json');
}

/** `articles.3 (wage-arrears “拖欠工资怎么讨要”).answer`: the index alone makes people count. */
function issuePath(json: unknown, at: PropertyKey[]): string {
  const [first, index, ...rest] = at;
  const articles = (json as { articles?: unknown } | null)?.articles;
  if (first !== 'articles' || typeof index !== 'number' || !Array.isArray(articles)) return at.map(String).join('.');
  const raw = articles[index] as { key?: unknown; title?: unknown } | undefined;
  const names = [typeof raw?.key === 'string' ? raw.key : null, typeof raw?.title === 'string' ? `“${raw.title}”` : null].filter((n) => n !== null);
  const named = names.length > 0 ? `articles.${index} (${names.join(' ')})` : `articles.${index}`;
  return [named, ...rest.map(String)].join('.');
}

/** The articles the project ships, checked; a bad file stops the start with the article and field named. */
export async function readShippedArticles(file = shippedFilePath()): Promise<ShippedArticle[]> {
  return parseShippedArticles(JSON.parse(await fs.readFile(file, 'utf8')), file);
}

export function parseShippedArticles(json: unknown, file: string): ShippedArticle[] {
  const parsed = ShippedFile.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${issuePath(json, i.path)}: ${i.message}`).join('; ');
    throw new Error(`${file} is not a valid knowledge file: ${problems}`);
  }
  return parsed.data.articles;
}
