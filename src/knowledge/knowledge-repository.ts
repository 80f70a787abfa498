import { randomUUID } from 'node:crypto';
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../db/database';
import { jsonb } from '../db/json';
import type { Database, LegalBasis } from '../db/schema';
import type { ArticleContent } from './article';

/** The segmented words of an article by field weight (src/knowledge/segment.ts). */
export interface ArticleWords {
  a: string;
  b: string;
  c: string;
}

/** Which articles a list or search may return. */
export interface ArticleFilter {
  /** active: not retired and in effect on `today`; retired: retired; all: every one. */
  status: 'active' | 'retired' | 'all';
  /** The China day 'YYYY-MM-DD' the effective dates are read against. */
  today: string;
  topic?: string;
  /** The caller's region and every region above it: an article for any of them applies. */
  regionLineage?: string[];
}

/**
 * How the fields weigh in ts_rank: {D, C, B, A}. A (title and caller phrasings) counts most, B
 * the question, C the answer and the legal basis, which mention many things in passing.
 */
const WEIGHTS = '{0.05, 0.2, 0.4, 1.0}';
/** How much a single-character word counts beside longer words in the same query. */
const SINGLE_CHARACTER_WEIGHT = 0.3;

function conditions(eb: ExpressionBuilder<Database, 'knowledge_articles'>, f: ArticleFilter): Expression<SqlBool> {
  const all: Expression<SqlBool>[] = [];
  if (f.status === 'retired') all.push(eb('retired_at', 'is not', null));
  if (f.status === 'active') {
    all.push(eb('retired_at', 'is', null));
    all.push(sql<boolean>`effective_from <= ${f.today}::date`);
    all.push(sql<boolean>`(effective_to is null or effective_to >= ${f.today}::date)`);
  }
  if (f.topic !== undefined) all.push(eb('topic', '=', f.topic));
  if (f.regionLineage !== undefined) all.push(sql<boolean>`(jsonb_array_length(region_codes) = 0 or region_codes ?| cast(${f.regionLineage} as text[]))`);
  return eb.and(all);
}

const ARTICLE_COLUMNS = [
  'id',
  'version',
  'title',
  'question',
  'answer',
  'basis',
  'topic',
  'region_codes',
  'keywords',
  'effective_from',
  'effective_to',
  'created_at',
  'updated_at',
  'retired_at',
  'retire_reason',
  'shipped_key',
] as const;

/** The columns that hold an article's content, on the article row and on each version alike. */
const CONTENT_COLUMNS = ['title', 'question', 'answer', 'basis', 'topic', 'region_codes', 'keywords', 'effective_from', 'effective_to'] as const;
interface ContentRow {
  title: string;
  question: string;
  answer: string;
  basis: LegalBasis[];
  topic: string;
  region_codes: string[];
  keywords: string[];
  effective_from: string;
  effective_to: string | null;
}

/** A stored article or version in the shape of the content a request sends. */
export function contentOfRow(row: ContentRow): ArticleContent {
  return {
    title: row.title,
    question: row.question,
    answer: row.answer,
    basis: row.basis,
    topic: row.topic as ArticleContent['topic'],
    regions: row.region_codes,
    keywords: row.keywords,
    effectiveFrom: row.effective_from,
    effectiveTo: row.effective_to,
  };
}

/** An article's content as the row's columns (also how the knowledge tests write rows of an earlier release). */
export function contentColumns(content: ArticleContent) {
  return {
    title: content.title,
    question: content.question,
    answer: content.answer,
    basis: jsonb(content.basis),
    topic: content.topic,
    region_codes: jsonb(content.regions),
    keywords: jsonb(content.keywords),
    effective_from: content.effectiveFrom,
    effective_to: content.effectiveTo,
  };
}

export function knowledgeRepository(db: Db) {
  return {
    /** A new article at version 1, with that version kept. */
    async insert(trx: Db, content: ArticleContent, words: ArticleWords, actorId: string | null, note: string | null): Promise<string> {
      const row = await trx
        .insertInto('knowledge_articles')
        .values({ ...contentColumns(content), version: 1, words_a: words.a, words_b: words.b, words_c: words.c, created_by: actorId, updated_by: actorId })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx.insertInto('knowledge_article_versions').values({ ...contentColumns(content), article_id: row.id, version: 1, note, edited_by: actorId }).execute();
      return row.id;
    },

    /** Shipped articles new to this knowledge base, at version 1, in two statements (every start may write them). */
    async insertShipped(trx: Db, articles: { key: string; content: ArticleContent; words: ArticleWords }[], note: string | null): Promise<void> {
      if (articles.length === 0) return;
      const rows = articles.map((a) => ({ id: randomUUID(), ...a }));
      await trx
        .insertInto('knowledge_articles')
        .values(
          rows.map(({ id, key, content, words }) => ({
            ...contentColumns(content),
            id,
            version: 1,
            words_a: words.a,
            words_b: words.b,
            words_c: words.c,
            created_by: null,
            updated_by: null,
            shipped_key: key,
          })),
        )
        .execute();
      await trx
        .insertInto('knowledge_article_versions')
        .values(rows.map(({ id, content }) => ({ ...contentColumns(content), article_id: id, version: 1, note, edited_by: null })))
        .execute();
    },

    /** The articles written from the shipped file, and whether a person has saved a version of any. */
    shippedRows(trx: Db) {
      return trx
        .selectFrom('knowledge_articles as k')
        .select(['k.id', 'k.shipped_key', 'k.version', 'k.retired_at'])
        .select((eb) =>
          eb
            .exists(eb.selectFrom('knowledge_article_versions as v').select('v.version').whereRef('v.article_id', '=', 'k.id').where('v.edited_by', 'is not', null))
            .as('edited_by_people'),
        )
        .where('k.shipped_key', 'is not', null)
        .$narrowType<{ shipped_key: string }>()
        .execute();
    },

    /** Every version the project wrote (no editor) of the shipped articles, oldest first: the texts of the file it applied. */
    shippedVersions(trx: Db) {
      return trx
        .selectFrom('knowledge_article_versions as v')
        .innerJoin('knowledge_articles as k', 'k.id', 'v.article_id')
        .select(['v.article_id', ...CONTENT_COLUMNS.map((c) => `v.${c}` as const)])
        .where('k.shipped_key', 'is not', null)
        .where('v.edited_by', 'is', null)
        .orderBy('v.article_id')
        .orderBy('v.version')
        .execute();
    },

    /** The next version: the article row reads it from now on, the versions table keeps it. `actorId` null: the project (a shipped update). */
    async saveVersion(trx: Db, id: string, version: number, content: ArticleContent, words: ArticleWords, actorId: string | null, note: string | null): Promise<void> {
      await trx
        .updateTable('knowledge_articles')
        .set({ ...contentColumns(content), version, words_a: words.a, words_b: words.b, words_c: words.c, updated_by: actorId, updated_at: new Date() })
        .where('id', '=', id)
        .execute();
      await trx.insertInto('knowledge_article_versions').values({ ...contentColumns(content), article_id: id, version, note, edited_by: actorId }).execute();
    },

    retire(trx: Db, id: string, actorId: string, reason: string | null) {
      return trx.updateTable('knowledge_articles').set({ retired_at: new Date(), retired_by: actorId, retire_reason: reason, updated_at: new Date() }).where('id', '=', id).execute();
    },

    byId(id: string, trx: Db = db) {
      return trx.selectFrom('knowledge_articles').select(ARTICLE_COLUMNS).where('id', '=', id).executeTakeFirst();
    },

    lockById(trx: Db, id: string) {
      return trx.selectFrom('knowledge_articles').select(ARTICLE_COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
    },

    versions(id: string) {
      return db
        .selectFrom('knowledge_article_versions as v')
        .leftJoin('agents as a', 'a.id', 'v.edited_by')
        .select(['v.version', 'v.title', 'v.question', 'v.answer', 'v.basis', 'v.topic', 'v.region_codes', 'v.keywords', 'v.effective_from', 'v.effective_to', 'v.note', 'v.edited_by', 'v.edited_at', 'a.username as editor_username'])
        .where('v.article_id', '=', id)
        .orderBy('v.version', 'desc')
        .execute();
    },

    /**
     * Articles matching any of the words, best first: ts_rank over the weighted fields, times
     * `topicBoost` for articles of `boostTopic` (the call's topic nudges, the words decide).
     */
    async search(words: string[], f: ArticleFilter, page: { limit: number; offset: number }, boost?: { topic: string; factor: number }) {
      const tsquery = (ws: string[]) => sql`websearch_to_tsquery('simple', ${ws.join(' or ')})`;
      const query = tsquery(words);
      // ts_rank knows nothing of how common a word is. A single Han character (赔, 打, 车) means
      // many things and turns up everywhere, so it counts for less than a word (开除, 押金).
      const longer = words.filter((w) => [...w].length > 1);
      const single = words.filter((w) => [...w].length === 1);
      const rank = (ws: string[]) => sql<number>`ts_rank(${WEIGHTS}::float4[], search, ${tsquery(ws)})`;
      const base =
        longer.length === 0 ? rank(single) : single.length === 0 ? rank(longer) : sql<number>`(${rank(longer)} + ${SINGLE_CHARACTER_WEIGHT}::float4 * ${rank(single)})`;
      const score = boost ? sql<number>`${base} * (case when topic = ${boost.topic} then ${boost.factor}::float4 else 1 end)` : base;
      const filtered = db.selectFrom('knowledge_articles').where((eb) => eb.and([conditions(eb, f), sql<boolean>`search @@ ${query}`]));
      const [rows, total] = await Promise.all([
        filtered
          .select([...ARTICLE_COLUMNS, score.as('score')])
          .orderBy(sql`score`, 'desc')
          .orderBy('title')
          .limit(page.limit)
          .offset(page.offset)
          .execute(),
        filtered.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { rows, total: Number(total.n) };
    },

    /** Without words: by topic, then title; the most used first when asked (suggestions with no text yet). */
    async list(f: ArticleFilter, page: { limit: number; offset: number }, mostUsedFirst = false) {
      let q = db.selectFrom('knowledge_articles').select([...ARTICLE_COLUMNS, sql<number>`0`.as('score')]).where((eb) => conditions(eb, f));
      if (mostUsedFirst) q = q.orderBy(sql`(select count(*) from ticket_knowledge tk where tk.article_id = knowledge_articles.id)`, 'desc');
      const [rows, total] = await Promise.all([
        q.orderBy('topic').orderBy('title').limit(page.limit).offset(page.offset).execute(),
        db.selectFrom('knowledge_articles').select((eb) => eb.fn.countAll<number>().as('n')).where((eb) => conditions(eb, f)).executeTakeFirstOrThrow(),
      ]);
      return { rows, total: Number(total.n) };
    },

    /** Once per ticket and article: the first use is the one kept. Returns whether it was new. */
    async link(trx: Db, ticketId: string, articleId: string, version: number, actorId: string): Promise<boolean> {
      const row = await trx
        .insertInto('ticket_knowledge')
        .values({ ticket_id: ticketId, article_id: articleId, version, linked_by: actorId })
        .onConflict((oc) => oc.columns(['ticket_id', 'article_id']).doNothing())
        .returning('article_id')
        .executeTakeFirst();
      return row !== undefined;
    },

    /** The articles used on a ticket, in the order they were used, with the version read. */
    linksOfTicket(ticketId: string) {
      return db
        .selectFrom('ticket_knowledge as tk')
        .innerJoin('knowledge_article_versions as v', (j) => j.onRef('v.article_id', '=', 'tk.article_id').onRef('v.version', '=', 'tk.version'))
        .innerJoin('knowledge_articles as k', 'k.id', 'tk.article_id')
        .leftJoin('agents as a', 'a.id', 'tk.linked_by')
        .select(['tk.article_id', 'tk.version', 'v.title', 'v.basis', 'tk.linked_by', 'a.username as linked_by_username', 'tk.linked_at', 'k.retired_at'])
        .where('tk.ticket_id', '=', ticketId)
        .orderBy('tk.linked_at')
        .orderBy('v.title')
        .execute();
    },
  };
}

export type KnowledgeRepository = ReturnType<typeof knowledgeRepository>;
export type ArticleRow = NonNullable<Awaited<ReturnType<KnowledgeRepository['byId']>>>;
