import { TITLES_SHIPPED_BEFORE_KEYS } from '../../migrations/0015_knowledge_shipped_keys';
import { type ArticleContent, parseShippedArticles, readShippedArticles } from '../../src/knowledge/article';
import { planShippedSync, type ShippedRowState } from '../../src/knowledge/shipped-sync';

const article = {
  key: 'wage-arrears',
  title: '拖欠工资怎么讨要',
  question: '老板拖欠工资怎么办？',
  answer: '可以向劳动保障监察机构投诉，或者申请劳动仲裁。',
  basis: [{ law: '中华人民共和国劳动合同法', articles: ['第三十条'] }],
  topic: 'labour',
  effectiveFrom: '2013-07-01',
};
const file = (articles: unknown[]) => ({ description: 'test', articles });
const parse = (articles: unknown[]) => () => parseShippedArticles(file(articles), 'articles.json');

describe('the shipped knowledge file', () => {
  it('gives every article a unique lowercase key', async () => {
    const shipped = await readShippedArticles();
    expect(new Set(shipped.map((a) => a.key)).size).toBe(shipped.length);
    for (const a of shipped) expect(a.key).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('names the article and the field of a bad key, a missing key or a key used twice', () => {
    expect(parse([article, { ...article, key: 'Dog_Bites', title: '被狗咬伤谁负责' }])).toThrow(/articles\.1 \(Dog_Bites “被狗咬伤谁负责”\)\.key: must be a lowercase slug/);
    const { key: _key, ...keyless } = article;
    expect(parse([keyless])).toThrow(/articles\.0 \(“拖欠工资怎么讨要”\)\.key: /);
    expect(parse([article, { ...article, title: '另一个标题' }])).toThrow(/articles\.1 \(wage-arrears “另一个标题”\)\.key: the key wage-arrears is used twice/);
    expect(parse([{ ...article, basis: [] }])).toThrow(/articles\.0 \(wage-arrears “拖欠工资怎么讨要”\)\.basis: cite at least one law/);
  });

  it('still holds every article migration 0015 matches by its first title, under the same key', async () => {
    const keys = new Set((await readShippedArticles()).map((a) => a.key));
    expect(TITLES_SHIPPED_BEFORE_KEYS.map(([, key]) => key).filter((key) => !keys.has(key))).toEqual([]);
    expect(new Set(TITLES_SHIPPED_BEFORE_KEYS.map(([title]) => title)).size).toBe(TITLES_SHIPPED_BEFORE_KEYS.length);
  });
});

describe('planning a start\'s shipped articles', () => {
  const content = (answer: string): ArticleContent => ({ ...article, topic: 'labour', answer, regions: [], keywords: [], effectiveTo: null });
  const row = (over: Partial<ShippedRowState>): ShippedRowState => ({ id: 'id', key: 'wage-arrears', version: 1, retired: false, editedByPeople: false, shippedVersions: [content('旧的回答，内容足够长。')], ...over });
  const shipped = [{ key: 'wage-arrears', content: content('新的回答，内容足够长。') }];

  it('updates an untouched article the file changed, naming the fields', () => {
    expect(planShippedSync(shipped, [row({})]).update).toEqual([expect.objectContaining({ id: 'id', version: 1, changed: ['answer'] })]);
  });

  it('keeps an article as people\'s when no version written by the project is found', () => {
    const plan = planShippedSync(shipped, [row({ shippedVersions: [] })]);
    expect(plan.update).toEqual([]);
    expect(plan.report).toMatchObject({ keptEdited: 1, shippedChangedButEdited: [] });
  });

  it('counts a retired article as retired even when people also edited it, and never lists it for review', () => {
    expect(planShippedSync(shipped, [row({ retired: true, editedByPeople: true })]).report).toMatchObject({ keptRetired: 1, keptEdited: 0, shippedChangedButEdited: [] });
  });

  it('compares the legal basis by law and articles, not by how jsonb ordered the keys', () => {
    const stored = { ...content('同一个回答，内容足够长。'), basis: [{ articles: ['第三十条'], law: '中华人民共和国劳动合同法' }] };
    expect(planShippedSync([{ key: 'wage-arrears', content: content('同一个回答，内容足够长。') }], [row({ shippedVersions: [stored] })]).report.unchanged).toBe(1);
  });

  it('never takes an article back to a text the project wrote before the latest (a node of an older release starting)', () => {
    const older = [{ key: 'wage-arrears', content: content('旧的回答，内容足够长。') }];
    const newer = row({ version: 2, shippedVersions: [content('旧的回答，内容足够长。'), content('新的回答，内容足够长。')] });
    expect(planShippedSync(older, [newer])).toMatchObject({ update: [], report: { keptNewer: 1, updated: 0 } });
    expect(planShippedSync(older, [{ ...newer, editedByPeople: true }]).report).toMatchObject({ keptEdited: 1, shippedChangedButEdited: [] });
    expect(planShippedSync(shipped, [newer]).report.unchanged).toBe(1);
  });
});
