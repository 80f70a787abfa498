import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../src/db/database';
import { migrateDown, migrateToLatest } from '../../src/db/migrate';
import { type ArticleContent, readShippedArticles, type ShippedArticle } from '../../src/knowledge/article';
import { type KnowledgeService, SHIPPED_UPDATE_NOTE } from '../../src/knowledge/knowledge-service';
import { wordCutter } from '../../src/knowledge/segment';
import { TITLES_SHIPPED_BEFORE_KEYS } from '../../migrations/0015_knowledge_shipped_keys';
import { contentColumns } from '../../src/knowledge/knowledge-repository';
import { knowledgeAdmin, knowledgeServiceOn, openKnowledgeDatabase, type OpenDatabase } from './knowledge-fixture';

export type { OpenDatabase };


const admin = knowledgeAdmin;

/** A small shipped article; `key` also makes its title, question and answer distinct. */
function shippedArticle(key: string, changes: Partial<ArticleContent> = {}): ShippedArticle {
  return {
    key,
    title: `条目 ${key}`,
    question: `关于 ${key} 的问题怎么办？`,
    answer: `关于 ${key}，可以先协商，协商不成的可以申请调解或者向人民法院起诉。`,
    basis: [{ law: '中华人民共和国民法典', articles: ['第一千一百六十五条'] }],
    topic: 'other',
    regions: [],
    keywords: [key],
    effectiveFrom: '2021-01-01',
    effectiveTo: null,
    ...changes,
  };
}

function contentOf({ key: _key, ...content }: ShippedArticle): ArticleContent {
  return content;
}

const nothingElse = { inserted: 0, updated: 0, unchanged: 0, keptEdited: 0, keptRetired: 0, keptNewer: 0, shippedChangedButEdited: [] };

/**
 * What each start does with the articles a release ships, asserted on PGlite and PostgreSQL:
 * new ones arrive in a running knowledge base, untouched ones follow the file, and what people
 * edited or retired stays as they left it.
 */
export function shippedArticlesContract(open: OpenDatabase, { connections = 1 }: { connections?: number } = {}): void {
  const start = () => openKnowledgeDatabase(open);
  const serviceOn = (handle: DatabaseHandle) => knowledgeServiceOn(handle);

  describe('releases shipping articles to a running knowledge base', () => {
    let db: Awaited<ReturnType<OpenDatabase>>;
    let knowledge: KnowledgeService;
    const rows = () =>
      db.handle.db.selectFrom('knowledge_articles').select(['id', 'shipped_key', 'version', 'title', 'answer', 'updated_by', 'updated_at', 'retired_at']).orderBy('shipped_key').execute();
    const byKey = async (key: string) => (await rows()).find((r) => r.shipped_key === key)!;
    const versionsOf = (id: string) =>
      db.handle.db.selectFrom('knowledge_article_versions').select(['version', 'title', 'answer', 'edited_by', 'note']).where('article_id', '=', id).orderBy('version').execute();

    const release1 = [shippedArticle('wage-arrears'), shippedArticle('dog-bites'), shippedArticle('child-support'), shippedArticle('unpaid-loans')];

    beforeAll(async () => {
      db = await start();
      knowledge = await serviceOn(db.handle);
    });
    afterAll(async () => {
      await db?.handle.close();
      await db?.cleanup();
    });

    it('writes every shipped article into a fresh knowledge base once, even when two nodes start together', async () => {
      const other = await serviceOn(db.handle);
      const [a, b] = await Promise.all([knowledge.syncShipped(release1), other.syncShipped(release1)]);
      expect(a.inserted + b.inserted).toBe(release1.length);
      expect(a.unchanged + b.unchanged).toBe(release1.length);
      const written = await rows();
      expect(written.map((r) => r.shipped_key)).toEqual(['child-support', 'dog-bites', 'unpaid-loans', 'wage-arrears']);
      expect(written.every((r) => r.version === 1 && r.updated_by === null)).toBe(true);
      expect(await versionsOf(written[0]!.id)).toEqual([expect.objectContaining({ version: 1, edited_by: null, note: null })]);
    });

    it('writes nothing on the next start of the same release', async () => {
      const before = await rows();
      expect(await knowledge.syncShipped(release1)).toEqual({ ...nothingElse, unchanged: release1.length });
      expect(await rows()).toEqual(before);
    });

    // Needs a second connection to hold a save open beside the start (PGlite has one).
    if (connections > 1) {
      it("takes no lock on a start with nothing to write: a supervisor's save in progress does not hold it up", async () => {
        const { id } = await byKey('wage-arrears');
        let finishSave!: () => void;
        let saving!: () => void;
        const saveHeld = new Promise<void>((resolve) => (saving = resolve));
        const save = db.handle.db.transaction().execute(async (trx) => {
          await trx.updateTable('knowledge_articles').set({ updated_at: sql`updated_at` }).where('id', '=', id).execute();
          saving();
          await new Promise<void>((resolve) => (finishSave = resolve));
        });
        await saveHeld;
        try {
          const waited = new Promise((resolve) => setTimeout(() => resolve('still waiting for the save'), 10_000));
          expect(await Promise.race([knowledge.syncShipped(release1), waited])).toEqual({ ...nothingElse, unchanged: release1.length });
        } finally {
          finishSave();
          await save;
        }
      });
    }

    it('adds an article a later release ships, and updates an untouched one the release corrected, as a new version by the project', async () => {
      const corrected = `${release1[1]!.answer}饲养人或者管理人应当承担侵权责任。`;
      const release2 = [...release1.map((a) => (a.key === 'dog-bites' ? { ...a, answer: corrected } : a)), shippedArticle('telecom-fraud')];
      expect(await knowledge.syncShipped(release2)).toEqual({ ...nothingElse, inserted: 1, updated: 1, unchanged: 3 });

      const added = await byKey('telecom-fraud');
      expect(added).toMatchObject({ version: 1, title: '条目 telecom-fraud' });
      const dog = await byKey('dog-bites');
      expect(dog).toMatchObject({ version: 2, answer: corrected, updated_by: null });
      expect(await versionsOf(dog.id)).toEqual([
        expect.objectContaining({ version: 1, edited_by: null, note: null }),
        expect.objectContaining({ version: 2, answer: corrected, edited_by: null, note: SHIPPED_UPDATE_NOTE }),
      ]);
      const audit = await db.handle.db.selectFrom('audit_log').select(['actor_id', 'action', 'details']).where('entity_id', '=', dog.id).execute();
      expect(audit).toEqual([{ actor_id: null, action: 'knowledge.update', details: expect.objectContaining({ version: 2, changed: ['answer'], shippedKey: 'dog-bites' }) }]);
      // The corrected article is searched by its new words.
      expect((await knowledge.search(admin, { q: '饲养人', limit: 1, offset: 0 })).items[0]?.id).toBe(dog.id);
      // Agents find the new one, and a manager sees where it came from.
      expect((await knowledge.get(admin, added.id)).article.shippedKey).toBe('telecom-fraud');
      expect(await knowledge.syncShipped(release2)).toEqual({ ...nothingElse, unchanged: 5 });
      // A node of the earlier release starting beside the new ones (a rolling upgrade) does not
      // take the correction back.
      expect(await knowledge.syncShipped(release1)).toEqual({ ...nothingElse, unchanged: 3, keptNewer: 1 });
      expect(await byKey('dog-bites')).toMatchObject({ version: 2, answer: corrected });
    });

    it('keeps what a supervisor edited or retired when a release changes it, and never brings a retired article back', async () => {
      const child = await byKey('child-support');
      const supervisorsAnswer = `${child.answer}西宁市的来电人可以到市法律援助中心咨询。`;
      await knowledge.update(admin, child.id, { ...contentOf(shippedArticle('child-support')), answer: supervisorsAnswer, baseVersion: 1 }, 'req-edit');
      const loans = await byKey('unpaid-loans');
      await knowledge.retire(admin, loans.id, '与借贷利息条目合并', 'req-retire');

      const release3 = [
        shippedArticle('wage-arrears'),
        shippedArticle('dog-bites', { answer: `${release1[1]!.answer}饲养人或者管理人应当承担侵权责任。` }),
        shippedArticle('child-support', { basis: [{ law: '中华人民共和国民法典', articles: ['第一千零八十五条'] }] }),
        shippedArticle('unpaid-loans', { keywords: ['借钱不还', '欠条'] }),
        shippedArticle('telecom-fraud'),
      ];
      expect(await knowledge.syncShipped(release3)).toEqual({ ...nothingElse, unchanged: 3, keptEdited: 1, keptRetired: 1, shippedChangedButEdited: ['child-support'] });
      expect(await byKey('child-support')).toMatchObject({ version: 2, answer: supervisorsAnswer, updated_by: admin.id });
      expect((await knowledge.get(admin, child.id)).article.basis).toEqual(shippedArticle('child-support').basis);
      const retired = await byKey('unpaid-loans');
      expect(retired.retired_at).not.toBeNull();
      expect(retired.version).toBe(1);
      // The next start of the same release writes nothing, and still names the article to compare.
      const before = await rows();
      expect(await knowledge.syncShipped(release3)).toEqual({ ...nothingElse, unchanged: 3, keptEdited: 1, keptRetired: 1, shippedChangedButEdited: ['child-support'] });
      expect(await rows()).toEqual(before);
    });

    it('leaves an article a release no longer ships as it is', async () => {
      const before = await rows();
      expect(await knowledge.syncShipped(release1.filter((a) => a.key === 'wage-arrears'))).toEqual({ ...nothingElse, unchanged: 1 });
      expect(await rows()).toEqual(before);
    });
  });

  describe('a knowledge base seeded before shipped articles had keys', () => {
    let db: Awaited<ReturnType<OpenDatabase>>;
    let knowledge: KnowledgeService;
    let shipped: ShippedArticle[];

    beforeAll(async () => {
      db = await start();
      knowledge = await serviceOn(db.handle);
      shipped = await readShippedArticles();
    });
    afterAll(async () => {
      await db?.handle.close();
      await db?.cleanup();
    });

    it('gives the rows written from the file their keys, so the first start after the upgrade adds none twice', async () => {
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0015_knowledge_shipped_keys']);
      const shippedTitle = new Map(TITLES_SHIPPED_BEFORE_KEYS.map(([title, key]) => [key, title]));
      const cutter = wordCutter();
      // The release before keys wrote (and its API saved) the row and a version: the columns it had.
      const wordsOf = (content: ArticleContent) => ({ words_a: cutter.indexText(content.title), words_b: cutter.indexText(content.question), words_c: cutter.indexText(content.answer) });
      const writeAsBefore = async (id: string, version: number, content: ArticleContent, by: string | null) => {
        if (version === 1) await db.handle.db.insertInto('knowledge_articles').values({ ...contentColumns(content), ...wordsOf(content), id, version, created_by: by, updated_by: by }).execute();
        else await db.handle.db.updateTable('knowledge_articles').set({ ...contentColumns(content), ...wordsOf(content), version, updated_by: by }).where('id', '=', id).execute();
        await db.handle.db.insertInto('knowledge_article_versions').values({ ...contentColumns(content), article_id: id, version, note: null, edited_by: by }).execute();
      };

      const ids = new Map<string, string>();
      for (const article of shipped.filter((a) => shippedTitle.has(a.key))) {
        ids.set(article.key, randomUUID());
        // Verbatim from the file, with the title that release shipped (a later file may correct one).
        await writeAsBefore(ids.get(article.key)!, 1, { ...contentOf(article), title: shippedTitle.get(article.key)! }, null);
      }
      // Before the upgrade a supervisor retitled one, retired another, and wrote one of their own
      // under a shipped title: the first two are still the shipped articles, the third is not.
      const shippedContent = (key: string) => contentOf(shipped.find((a) => a.key === key)!);
      await writeAsBefore(ids.get('wage-arrears')!, 2, { ...shippedContent('wage-arrears'), title: '拖欠工资怎么办（青海）' }, admin.id);
      await db.handle.db.updateTable('knowledge_articles').set({ retired_at: new Date(), retired_by: admin.id }).where('id', '=', ids.get('dog-bites')!).execute();
      const own = randomUUID();
      await writeAsBefore(own, 1, { ...shippedContent('unsafe-food'), title: '物业费和物业服务纠纷', keywords: ['物业'] }, admin.id);

      expect(await migrateToLatest(db.handle.db)).toEqual(['Up 0015_knowledge_shipped_keys']);
      const keyed = await db.handle.db.selectFrom('knowledge_articles').select(['id', 'shipped_key']).execute();
      expect(keyed.filter((r) => r.shipped_key !== null)).toHaveLength(ids.size);
      for (const r of keyed) expect(r.shipped_key === null ? r.id : ids.get(r.shipped_key)).toBe(r.id);
      expect(keyed.find((r) => r.id === own)!.shipped_key).toBeNull();

      const report = await knowledge.syncShipped(shipped);
      expect(report).toEqual({ ...nothingElse, inserted: shipped.length - ids.size, unchanged: ids.size - 2, keptEdited: 1, keptRetired: 1 });
      expect(await db.handle.db.selectFrom('knowledge_articles').select('id').execute()).toHaveLength(shipped.length + 1);
      expect(await knowledge.syncShipped(shipped)).toMatchObject({ inserted: 0, updated: 0, unchanged: shipped.length - 2 });
    });
  });
}
