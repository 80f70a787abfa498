import type { Actor } from '../../src/auth/actor';
import { type ArticleContent, readShippedArticles, type ShippedArticle } from '../../src/knowledge/article';
import type { KnowledgeService } from '../../src/knowledge/knowledge-service';
import { CALLER_QUESTIONS } from './caller-questions';
import { knowledgeAdmin, knowledgeServiceOn, openKnowledgeDatabase, type OpenDatabase } from './knowledge-fixture';

export type { OpenDatabase };

const agent: Actor = { id: '00000000-0000-4000-8000-000000000001', username: 'agent.test', displayName: 'agent', role: 'agent', regionCode: '630102', tokenVersion: 0 };
const admin = knowledgeAdmin;

/**
 * The knowledge base's search as callers' questions meet it, asserted on every database the
 * service runs on: PGlite and PostgreSQL must find and rank the same articles.
 */
export function knowledgeSearchContract(open: OpenDatabase): void {
  let db: Awaited<ReturnType<OpenDatabase>>;
  let knowledge: KnowledgeService;
  let today = '2026-03-10';
  let shipped: ShippedArticle[];

  beforeAll(async () => {
    db = await openKnowledgeDatabase(open);
    knowledge = await knowledgeServiceOn(db.handle, () => today);
    shipped = await readShippedArticles();
    expect(await knowledge.syncShipped(shipped)).toMatchObject({ inserted: shipped.length, updated: 0 });
  });
  afterAll(async () => {
    await db?.handle.close();
    await db?.cleanup();
  });

  it('ships at least 30 articles, each citing a law, loaded once however often the service starts', async () => {
    expect(shipped.length).toBeGreaterThanOrEqual(30);
    for (const a of shipped) expect(a.basis.length).toBeGreaterThan(0);
    expect(await knowledge.syncShipped(shipped)).toEqual({ inserted: 0, updated: 0, unchanged: shipped.length, keptEdited: 0, keptRetired: 0, keptNewer: 0, shippedChangedButEdited: [] });
    expect((await knowledge.search(agent, { limit: 100, offset: 0 })).total).toBe(shipped.length);
  });

  it.each(CALLER_QUESTIONS)('“$question” finds “$title” first', async ({ question, title }) => {
    const { items } = await knowledge.search(agent, { q: question, limit: 5, offset: 0 });
    expect(items.map((i) => i.title)[0]).toBe(title);
  });

  it('marks the searched words in the snippet and gives the legal basis as read out', async () => {
    const { items, words } = await knowledge.search(agent, { q: '老板拖欠工资怎么办', limit: 1, offset: 0 });
    expect(words).toEqual(expect.arrayContaining(['老板', '拖欠', '工资']));
    expect(words).not.toContain('怎么');
    const marked = items[0]!.snippet.filter((p) => p.hit).map((p) => p.text);
    expect(marked.length).toBeGreaterThan(0);
    expect(marked.every((m) => ['拖欠', '工资', '老板', '拖欠工资'].some((w) => m.includes(w)))).toBe(true);
    expect(items[0]!.basisText).toContain('《中华人民共和国劳动合同法》第三十条');
  });

  it('answers a question of nothing but stop words with nothing, not with every article', async () => {
    expect((await knowledge.search(agent, { q: '怎么办呢？', limit: 5, offset: 0 })).items).toEqual([]);
  });

  it('suggests from the ticket text, the call\'s topic deciding between near-equals', async () => {
    const typed = await knowledge.suggest(agent, { topic: 'labour', text: '来电人在工地干活，包工头拖欠三个月工钱' });
    expect(typed.items.length).toBeLessThanOrEqual(3);
    expect(typed.items[0]!.title).toBe('农民工在工地干活被欠工资');
    // Nothing typed yet: the articles of the call's topic.
    const start = await knowledge.suggest(agent, { topic: 'traffic_accident', text: '' });
    expect(start.items.length).toBeGreaterThan(0);
    expect(start.items.every((i) => i.topic === 'traffic_accident')).toBe(true);
    // 赔偿 alone could be a traffic accident or a dismissal: the call's topic tips it.
    const labour = await knowledge.suggest(agent, { topic: 'labour', text: '赔偿' });
    const traffic = await knowledge.suggest(agent, { topic: 'traffic_accident', text: '赔偿' });
    expect(labour.items[0]!.topic).toBe('labour');
    expect(traffic.items[0]!.topic).toBe('traffic_accident');
  });

  it('keeps a regional article to callers of that region and the regions under it', async () => {
    const created = await knowledge.create(
      admin,
      {
        title: '玉树州牧区草场纠纷调解',
        question: '玉树的草场边界纠纷找谁调解？',
        answer: '草场边界纠纷可以先请村民委员会和乡镇人民调解委员会调解，调解不成的可以申请农村土地承包仲裁或者向人民法院起诉。',
        basis: [{ law: '中华人民共和国人民调解法', articles: ['第十七条'] }],
        topic: 'land_housing',
        regions: ['632700'],
        keywords: ['草场边界', '牧区'],
        effectiveFrom: '2020-01-01',
        effectiveTo: null,
      },
      'req-region',
    );
    const titles = async (region: string) => (await knowledge.search(agent, { q: '草场边界纠纷', region, limit: 10, offset: 0 })).items.map((i) => i.title);
    expect(await titles('632701')).toContain('玉树州牧区草场纠纷调解'); // a county of Yushu
    expect(await titles('632700')).toContain('玉树州牧区草场纠纷调解');
    expect(await titles('630102')).not.toContain('玉树州牧区草场纠纷调解'); // Xining
    // The province-wide articles reach every region.
    expect(await titles('630102')).toContain('农村土地承包和草场承包纠纷');
    await knowledge.retire(admin, created.article.id, 'test done', 'req-region-retire');
  });

  it('shows an article only on the days it is in effect', async () => {
    const created = await knowledge.create(
      admin,
      {
        title: '新规施行前的说明',
        question: '某项新规定什么时候开始施行？',
        answer: '该规定自2026年5月1日起施行，施行前仍按原规定办理。',
        basis: [{ law: '中华人民共和国立法法', articles: [] }],
        topic: 'other',
        regions: [],
        keywords: ['新规施行'],
        effectiveFrom: '2026-05-01',
        effectiveTo: '2026-12-31',
      },
      'req-effective',
    );
    const found = async () => (await knowledge.search(agent, { q: '新规施行', limit: 5, offset: 0 })).items.map((i) => i.id);
    today = '2026-04-30';
    expect(await found()).not.toContain(created.article.id);
    today = '2026-05-01';
    expect(await found()).toContain(created.article.id);
    today = '2027-01-01';
    expect(await found()).not.toContain(created.article.id);
    // Managers still find it among all articles.
    expect((await knowledge.search(admin, { q: '新规施行', status: 'all', limit: 5, offset: 0 })).items.map((i) => i.id)).toContain(created.article.id);
    today = '2026-03-10';
  });

  it('searches an edited article by its new words, and no longer finds a retired one', async () => {
    const { items } = await knowledge.search(agent, { q: '被狗咬了', limit: 1, offset: 0 });
    const dog = await knowledge.get(admin, items[0]!.id);
    const edited = await knowledge.update(admin, dog.article.id, { ...contentOf(dog.article), keywords: [...dog.article.keywords, '藏獒'], baseVersion: dog.article.version }, 'req-edit');
    expect(edited.article.version).toBe(dog.article.version + 1);
    expect(edited.versions!.map((v) => v.version)).toEqual([2, 1]);
    expect((await knowledge.search(agent, { q: '藏獒', limit: 1, offset: 0 })).items[0]!.id).toBe(dog.article.id);
    await knowledge.retire(admin, dog.article.id, '并入新条目', 'req-retire');
    expect((await knowledge.search(agent, { q: '被狗咬了', limit: 5, offset: 0 })).items.map((i) => i.id)).not.toContain(dog.article.id);
    expect((await knowledge.search(admin, { q: '被狗咬了', status: 'retired', limit: 5, offset: 0 })).items.map((i) => i.id)).toContain(dog.article.id);
  });
}

function contentOf(a: { title: string; question: string; answer: string; basis: { law: string; articles: string[] }[]; topic: string; regions: string[]; keywords: string[]; effectiveFrom: string; effectiveTo: string | null }): ArticleContent {
  return { title: a.title, question: a.question, answer: a.answer, basis: a.basis, topic: a.topic as ArticleContent['topic'], regions: a.regions, keywords: a.keywords, effectiveFrom: a.effectiveFrom, effectiveTo: a.effectiveTo };
}
