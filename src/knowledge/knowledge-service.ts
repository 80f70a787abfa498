import { sql } from 'kysely';
import type { Actor } from '../auth/actor';
import { scopeRoot } from '../auth/scope';
import { auditRepository } from '../audit/audit-repository';
import type { Db } from '../db/database';
import type { LegalBasis } from '../db/schema';
import { Errors } from '../errors/errors';
import type { RegionDirectory } from '../regions/region-directory';
import { chinaDay } from '../time/china-time';
import { type ArticleContent, basisText, changedFields, type ShippedArticle } from './article';
import { type ArticleFilter, type ArticleRow, type ArticleWords, contentOfRow, knowledgeRepository } from './knowledge-repository';
import { queryWords, type WordCutter } from './segment';
import { planShippedSync, type ShippedContent, type ShippedRowState, type ShippedSyncReport } from './shipped-sync';
import { type SnippetPart, snippet } from './snippet';
import { ticketKnowledge } from './ticket-knowledge';

/**
 * The rules of the knowledge base: staff search and read it, supervisors and admins keep it
 * (every edit a new version, every change audited) within their area, an agent links the article
 * they used to the ticket they are working on.
 */

export interface SearchQuery {
  q?: string;
  topic?: string;
  region?: string;
  status?: ArticleFilter['status'];
  limit: number;
  offset: number;
}

export interface SuggestQuery {
  topic?: string;
  text?: string;
  region?: string;
}

export interface ArticleSummary {
  id: string;
  version: number;
  title: string;
  question: string;
  topic: string;
  regions: string[];
  basis: LegalBasis[];
  basisText: string;
  effectiveFrom: string;
  effectiveTo: string | null;
  retired: boolean;
  snippet: SnippetPart[];
  score: number;
}

/** Kept with a version the project wrote from a newer shipped file; supervisors read it beside each version. */
export const SHIPPED_UPDATE_NOTE = '随系统发布的条目更新（updated from the articles shipped with the service）';

/** Suggestions shown on the desk as the agent types. */
export const SUGGESTIONS = 3;
/** The call's topic counts, but less than the words: a labour call can be about an injury. */
const TOPIC_BOOST = 1.5;

type Staff = Actor & { role: 'agent' | 'supervisor' | 'admin' };

function requireStaff(actor: Actor): asserts actor is Staff {
  if (actor.role !== 'agent' && actor.role !== 'supervisor' && actor.role !== 'admin') throw new Errors.FORBIDDEN_ROLE(actor.role);
}

function requireManager(actor: Actor): void {
  if (actor.role !== 'supervisor' && actor.role !== 'admin') throw new Errors.FORBIDDEN_ROLE(actor.role);
}

interface Deps {
  db: Db;
  regions: RegionDirectory;
  cutter: WordCutter;
  /** The ticket if the actor may work on it (src/tickets/tickets-service.ts `accessible`). */
  accessibleTicket: (actor: Actor, idOrNumber: string) => Promise<{ id: string; number: string }>;
  /** The China day effective dates are read against; tests move it. */
  today?: () => string;
}

export function knowledgeService({ db, regions, cutter, accessibleTicket, today = () => chinaDay(new Date()) }: Deps) {
  const repo = knowledgeRepository(db);
  const audit = auditRepository(db);
  const provinceCode = regions.province.code;

  function wordsOf(content: ArticleContent): ArticleWords {
    return {
      a: cutter.indexText(content.title, content.keywords.join(' ')),
      b: cutter.indexText(content.question),
      c: cutter.indexText(content.answer, basisText(content.basis)),
    };
  }

  function requireKnownRegion(field: string, code: string): string {
    const region = regions.get(code);
    if (!region) throw new Errors.UNKNOWN_REGION(field, code);
    return region.code;
  }

  /**
   * An article applies in its regions; a supervisor keeps those in their area, and only someone
   * whose area is the whole province keeps articles for the whole province.
   */
  function assertMayKeep(actor: Actor, regionCodes: readonly string[]): void {
    const root = scopeRoot(actor, regions);
    if (regionCodes.length === 0) {
      if (root !== provinceCode) throw new Errors.OUT_OF_SCOPE(provinceCode, root);
      return;
    }
    for (const code of regionCodes) if (!regions.isWithin(code, root)) throw new Errors.OUT_OF_SCOPE(code, root);
  }

  function checkContent(content: ArticleContent): ArticleContent {
    content.regions.forEach((code, i) => requireKnownRegion(`body.regions.${i}`, code));
    return { ...content, regions: [...new Set(content.regions)], keywords: [...new Set(content.keywords)] };
  }

  function filterFor(actor: Staff, query: { topic?: string; region?: string; status?: ArticleFilter['status'] }): ArticleFilter {
    const status = query.status ?? 'active';
    if (status !== 'active') requireManager(actor);
    return {
      status,
      today: today(),
      topic: query.topic,
      regionLineage: query.region !== undefined ? regions.lineage(requireKnownRegion('querystring.region', query.region)).map((r) => r.code) : undefined,
    };
  }

  function summary(row: ArticleRow & { score: number }, words: readonly string[]): ArticleSummary {
    return {
      id: row.id,
      version: row.version,
      title: row.title,
      question: row.question,
      topic: row.topic,
      regions: row.region_codes,
      basis: row.basis,
      basisText: basisText(row.basis),
      effectiveFrom: row.effective_from,
      effectiveTo: row.effective_to,
      retired: row.retired_at !== null,
      snippet: snippet(row.answer, words),
      score: Math.round(Number(row.score) * 10_000) / 10_000,
    };
  }

  function detail(row: ArticleRow) {
    return {
      id: row.id,
      version: row.version,
      title: row.title,
      question: row.question,
      answer: row.answer,
      basis: row.basis,
      basisText: basisText(row.basis),
      topic: row.topic,
      regions: row.region_codes,
      keywords: row.keywords,
      effectiveFrom: row.effective_from,
      effectiveTo: row.effective_to,
      retired: row.retired_at !== null,
      retiredAt: row.retired_at,
      retireReason: row.retire_reason,
      shippedKey: row.shipped_key,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** A shipped article's regions must exist here; the start stops naming the article otherwise. */
  function checkShipped(article: ShippedArticle): ShippedContent {
    const { key, ...content } = article;
    content.regions.forEach((code, i) => {
      if (!regions.get(code)) throw new Error(`shipped knowledge article ${key}: regions.${i}: ${code} is not a region of province ${provinceCode}`);
    });
    return { key, content: checkContent(content) };
  }

  async function shippedState(trx: Db): Promise<ShippedRowState[]> {
    const rows = await repo.shippedRows(trx);
    const shippedVersions = new Map<string, ArticleContent[]>();
    for (const v of await repo.shippedVersions(trx)) shippedVersions.set(v.article_id, [...(shippedVersions.get(v.article_id) ?? []), contentOfRow(v)]);
    return rows.map((r) => ({
      id: r.id,
      key: r.shipped_key,
      version: r.version,
      retired: r.retired_at !== null,
      editedByPeople: Boolean(r.edited_by_people),
      shippedVersions: shippedVersions.get(r.id) ?? [],
    }));
  }

  async function find(id: string): Promise<ArticleRow> {
    const row = await repo.byId(id);
    if (!row) throw new Errors.KNOWLEDGE_ARTICLE_NOT_FOUND(id);
    return row;
  }

  return {
    /**
     * Brings the knowledge base up to the articles this release ships (./shipped-sync.ts says
     * what is written). A start with something to write takes the table lock, so two nodes
     * starting together write once (searches go on meanwhile, a supervisor's save waits); a start
     * with nothing to write takes no lock at all.
     */
    async syncShipped(articles: readonly ShippedArticle[]): Promise<ShippedSyncReport> {
      const shipped = articles.map(checkShipped);
      // Most starts find nothing to write: planned first without the lock, they take none, and
      // saves and ticket links on other nodes never wait for a restart. With work to do the plan
      // is made again under the lock, so two nodes starting together still write once.
      const unlocked = planShippedSync(shipped, await shippedState(db));
      if (unlocked.insert.length === 0 && unlocked.update.length === 0) return unlocked.report;
      return db.transaction().execute(async (trx) => {
        await sql`lock table knowledge_articles in exclusive mode`.execute(trx);
        const plan = planShippedSync(shipped, await shippedState(trx));
        await repo.insertShipped(trx, plan.insert.map((a) => ({ ...a, words: wordsOf(a.content) })), null);
        for (const u of plan.update) {
          const version = u.version + 1;
          await repo.saveVersion(trx, u.id, version, u.content, wordsOf(u.content), null, SHIPPED_UPDATE_NOTE);
          // Inserts are not audited (the first seeding never was; version 1 with no editor says
          // where they came from), but an update changes what agents read out: audited like an edit.
          await audit.record(
            { actor: null, action: 'knowledge.update', entityType: 'knowledge_article', entityId: u.id, details: { title: u.content.title, version, changed: u.changed, note: SHIPPED_UPDATE_NOTE, shippedKey: u.key } },
            trx,
          );
        }
        return plan.report;
      });
    },

    async search(actor: Actor, query: SearchQuery) {
      requireStaff(actor);
      const filter = filterFor(actor, query);
      const words = query.q !== undefined ? queryWords(cutter, query.q) : [];
      const page = { limit: query.limit, offset: query.offset };
      // A query of nothing but stop words (怎么办) asks for nothing: no results, not every article.
      if (query.q !== undefined && words.length === 0) return { items: [], total: 0, words };
      const { rows, total } = words.length > 0 ? await repo.search(words, filter, page) : await repo.list(filter, page);
      return { items: rows.map((r) => summary(r, words)), total, words };
    },

    /** The top articles for what the agent has typed so far, the call's topic breaking near-ties. */
    async suggest(actor: Actor, query: SuggestQuery) {
      requireStaff(actor);
      const filter = filterFor(actor, { region: query.region });
      const words = query.text !== undefined ? queryWords(cutter, query.text) : [];
      const page = { limit: SUGGESTIONS, offset: 0 };
      if (words.length === 0) {
        if (query.topic === undefined) return { items: [], words };
        const { rows } = await repo.list({ ...filter, topic: query.topic }, page, true);
        return { items: rows.map((r) => summary(r, words)), words };
      }
      const { rows } = await repo.search(words, filter, page, query.topic !== undefined ? { topic: query.topic, factor: TOPIC_BOOST } : undefined);
      return { items: rows.map((r) => summary(r, words)), words };
    },

    /** One article; managers also get every version, newest first. */
    async get(actor: Actor, id: string) {
      requireStaff(actor);
      const row = await find(id);
      if (actor.role === 'agent') return { article: detail(row) };
      const versions = await repo.versions(id);
      return {
        article: detail(row),
        versions: versions.map((v) => ({
          version: v.version,
          title: v.title,
          question: v.question,
          answer: v.answer,
          basis: v.basis,
          basisText: basisText(v.basis),
          topic: v.topic,
          regions: v.region_codes,
          keywords: v.keywords,
          effectiveFrom: v.effective_from,
          effectiveTo: v.effective_to,
          note: v.note,
          editedBy: v.edited_by ? { id: v.edited_by, username: v.editor_username ?? '' } : null,
          editedAt: v.edited_at,
        })),
      };
    },

    async create(actor: Actor, input: ArticleContent & { note?: string }, requestId: string) {
      requireManager(actor);
      const { note, ...raw } = input;
      const content = checkContent(raw);
      assertMayKeep(actor, content.regions);
      const id = await db.transaction().execute(async (trx) => {
        const id = await repo.insert(trx, content, wordsOf(content), actor.id, note ?? null);
        await audit.record({ actor, action: 'knowledge.create', entityType: 'knowledge_article', entityId: id, requestId, details: { title: content.title, version: 1 } }, trx);
        return id;
      });
      return this.get(actor, id);
    },

    /** A new version. `baseVersion`, when sent, must still be the latest: two editors never overwrite each other unseen. */
    async update(actor: Actor, id: string, input: ArticleContent & { note?: string; baseVersion?: number }, requestId: string) {
      requireManager(actor);
      const { note, baseVersion, ...raw } = input;
      const content = checkContent(raw);
      await db.transaction().execute(async (trx) => {
        const current = await repo.lockById(trx, id);
        if (!current) throw new Errors.KNOWLEDGE_ARTICLE_NOT_FOUND(id);
        if (current.retired_at !== null) throw new Errors.KNOWLEDGE_ARTICLE_RETIRED(id);
        if (baseVersion !== undefined && baseVersion !== current.version) throw new Errors.KNOWLEDGE_VERSION_CONFLICT(id, current.version, baseVersion);
        assertMayKeep(actor, current.region_codes);
        assertMayKeep(actor, content.regions);
        const version = current.version + 1;
        await repo.saveVersion(trx, id, version, content, wordsOf(content), actor.id, note ?? null);
        const changed = changedFields(contentOfRow(current), content);
        await audit.record({ actor, action: 'knowledge.update', entityType: 'knowledge_article', entityId: id, requestId, details: { title: content.title, version, changed, note: note ?? null } }, trx);
      });
      return this.get(actor, id);
    },

    async retire(actor: Actor, id: string, reason: string | undefined, requestId: string) {
      requireManager(actor);
      await db.transaction().execute(async (trx) => {
        const current = await repo.lockById(trx, id);
        if (!current) throw new Errors.KNOWLEDGE_ARTICLE_NOT_FOUND(id);
        if (current.retired_at !== null) throw new Errors.KNOWLEDGE_ARTICLE_RETIRED(id);
        assertMayKeep(actor, current.region_codes);
        await repo.retire(trx, id, actor.id, reason ?? null);
        await audit.record({ actor, action: 'knowledge.retire', entityType: 'knowledge_article', entityId: id, requestId, details: { title: current.title, version: current.version, reason: reason ?? null } }, trx);
      });
      return this.get(actor, id);
    },

    /** The agent used this article on this ticket; the ticket keeps the version they read. */
    async link(actor: Actor, ticketIdOrNumber: string, articleId: string, requestId: string) {
      requireStaff(actor);
      const ticket = await accessibleTicket(actor, ticketIdOrNumber);
      await db.transaction().execute(async (trx) => {
        const article = await repo.byId(articleId, trx);
        if (!article) throw new Errors.KNOWLEDGE_ARTICLE_NOT_FOUND(articleId);
        if (article.retired_at !== null) throw new Errors.KNOWLEDGE_ARTICLE_RETIRED(articleId);
        const added = await repo.link(trx, ticket.id, article.id, article.version, actor.id);
        if (added) {
          await audit.record({ actor, action: 'ticket.knowledge', entityType: 'ticket', entityId: ticket.id, requestId, details: { number: ticket.number, articleId, version: article.version, title: article.title } }, trx);
        }
      });
      return { ticketId: ticket.id, number: ticket.number, knowledge: await ticketKnowledge(db, ticket.id) };
    },
  };
}

export type KnowledgeService = ReturnType<typeof knowledgeService>;
