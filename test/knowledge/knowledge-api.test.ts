import { bearer, startTestApp, type TestApp } from '../support/app';
import { insertTicket } from '../tickets/ticket-fixtures';

type User = { id: string; token: string };

const ARTICLE = {
  title: '牧民草场流转合同纠纷',
  question: '把草场租给别人放牧，对方不给租金怎么办？',
  answer: '草场流转应当签订书面合同，约定期限和价款。对方不按约定支付流转费的，可以先请村民委员会或乡镇人民调解委员会调解，也可以申请农村土地承包仲裁或者向人民法院起诉。',
  basis: [{ law: '中华人民共和国农村土地承包法', articles: [] }],
  topic: 'land_housing',
  keywords: ['草场流转', '租草场', '流转费'],
  effectiveFrom: '2019-01-01',
};

describe('knowledge base API', () => {
  let t: TestApp;
  let admin: User;
  let provinceSup: User;
  let xiningSup: User;
  let agent: User;
  let otherAgent: User;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.addUser({ username: 'admin1', role: 'admin', region: '630000' });
    provinceSup = await t.addUser({ username: 'sup.qinghai', role: 'supervisor', region: '630000' });
    xiningSup = await t.addUser({ username: 'sup.xining', role: 'supervisor', region: '630100' });
    agent = await t.addUser({ username: 'agent.xining', role: 'agent', region: '630102' });
    otherAgent = await t.addUser({ username: 'agent.other', role: 'agent', region: '630102' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const get = (user: User, url: string) => t.app.inject({ method: 'GET', url, headers: bearer(user.token) });
  const send = (user: User, method: 'POST' | 'PUT', url: string, payload: unknown) => t.app.inject({ method, url, headers: bearer(user.token), payload: payload as object });
  const auditOf = (id: string) => t.app.db.selectFrom('audit_log').selectAll().where('entity_id', '=', id).orderBy('id').execute();

  it('starts with the shipped articles, searchable by agents in callers\' words', async () => {
    const res = await get(agent, `/api/knowledge?q=${encodeURIComponent('老板拖欠工资怎么办')}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.items[0]).toMatchObject({ title: '拖欠工资怎么讨要', topic: 'labour', retired: false });
    expect(body.items[0].basisText).toContain('第三十条');
    expect(body.items[0].snippet.some((p: { hit: boolean }) => p.hit)).toBe(true);
    expect((await get(agent, '/api/knowledge?limit=100')).json().total).toBeGreaterThanOrEqual(30);
  });

  it('lets supervisors and admins write, edit (as new versions) and retire articles, each audited; agents may not', async () => {
    expect((await send(agent, 'POST', '/api/knowledge', ARTICLE)).statusCode).toBe(403);

    const created = await send(provinceSup, 'POST', '/api/knowledge', { ...ARTICLE, note: '牧区常见问题' });
    expect(created.statusCode).toBe(201);
    const { article } = created.json();
    expect(article).toMatchObject({ version: 1, title: ARTICLE.title, regions: [], effectiveTo: null, retired: false });

    expect((await send(agent, 'PUT', `/api/knowledge/${article.id}`, ARTICLE)).statusCode).toBe(403);
    const edited = await send(admin, 'PUT', `/api/knowledge/${article.id}`, { ...ARTICLE, answer: `${ARTICLE.answer}也可以拨打12348咨询。`, baseVersion: 1, note: '补充热线' });
    expect(edited.statusCode).toBe(200);
    expect(edited.json().article.version).toBe(2);
    expect(edited.json().versions.map((v: { version: number; note: string | null; editedBy: { username: string } | null }) => [v.version, v.note, v.editedBy?.username])).toEqual([
      [2, '补充热线', 'admin1'],
      [1, '牧区常见问题', 'sup.qinghai'],
    ]);

    // An editor who started from version 1 does not overwrite version 2 unseen.
    const stale = await send(provinceSup, 'PUT', `/api/knowledge/${article.id}`, { ...ARTICLE, baseVersion: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: 'HOTLINE_ERR_KNOWLEDGE_VERSION_CONFLICT', messageZh: expect.stringContaining('第 2 版') });

    // Agents read the article but not its versions.
    const asAgent = await get(agent, `/api/knowledge/${article.id}`);
    expect(asAgent.statusCode).toBe(200);
    expect(asAgent.json().versions).toBeUndefined();
    expect((await get(agent, `/api/knowledge?q=${encodeURIComponent('租草场不给钱')}`)).json().items[0].id).toBe(article.id);

    expect((await send(agent, 'POST', `/api/knowledge/${article.id}/retire`, {})).statusCode).toBe(403);
    const retired = await send(provinceSup, 'POST', `/api/knowledge/${article.id}/retire`, { reason: '内容合并' });
    expect(retired.statusCode).toBe(200);
    expect(retired.json().article).toMatchObject({ retired: true, retireReason: '内容合并' });
    expect((await get(agent, `/api/knowledge?q=${encodeURIComponent('租草场不给钱')}`)).json().items.map((i: { id: string }) => i.id)).not.toContain(article.id);
    expect((await get(agent, '/api/knowledge?status=retired')).statusCode).toBe(403);
    expect((await get(provinceSup, '/api/knowledge?status=retired')).json().items.map((i: { id: string }) => i.id)).toContain(article.id);
    expect((await send(provinceSup, 'POST', `/api/knowledge/${article.id}/retire`, {})).json().code).toBe('HOTLINE_ERR_KNOWLEDGE_ARTICLE_RETIRED');

    expect((await auditOf(article.id)).map((r) => [r.action, r.actor_username, r.details])).toEqual([
      ['knowledge.create', 'sup.qinghai', { title: ARTICLE.title, version: 1 }],
      ['knowledge.update', 'admin1', { title: ARTICLE.title, version: 2, changed: ['answer'], note: '补充热线' }],
      ['knowledge.retire', 'sup.qinghai', { title: ARTICLE.title, version: 2, reason: '内容合并' }],
    ]);
  });

  it('keeps a prefecture supervisor to articles for their own area', async () => {
    const provinceWide = await send(xiningSup, 'POST', '/api/knowledge', ARTICLE);
    expect(provinceWide.statusCode).toBe(403);
    expect(provinceWide.json().code).toBe('HOTLINE_ERR_OUT_OF_SCOPE');
    expect((await send(xiningSup, 'POST', '/api/knowledge', { ...ARTICLE, title: '玉树的条目', regions: ['632700'] })).statusCode).toBe(403);
    const own = await send(xiningSup, 'POST', '/api/knowledge', { ...ARTICLE, title: '西宁市城东区的条目', regions: ['630102'] });
    expect(own.statusCode).toBe(201);
  });

  it('names the wrong field, in English and Chinese', async () => {
    const res = await send(admin, 'POST', '/api/knowledge', { ...ARTICLE, basis: [{ law: '中华人民共和国劳动合同法', articles: ['30'] }], effectiveTo: '2018-01-01' });
    expect(res.statusCode).toBe(400);
    const fields = res.json().details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['body.basis.0.articles.0', 'body.effectiveTo']));
    expect(res.json().messageZh).toBeTruthy();
    const unknownRegion = await send(admin, 'POST', '/api/knowledge', { ...ARTICLE, title: '外省', regions: ['110000'] });
    expect(unknownRegion.statusCode).toBe(400);
    expect(unknownRegion.json().code).toBe('HOTLINE_ERR_UNKNOWN_REGION');
  });

  it('suggests articles from the ticket text typed so far', async () => {
    const res = await get(agent, `/api/knowledge/suggest?topic=marriage_family&text=${encodeURIComponent('来电人称丈夫经常打她，想知道怎么申请保护令')}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().items.length).toBeLessThanOrEqual(3);
    expect(res.json().items[0].title).toBe('家庭暴力怎么申请人身安全保护令');
  });

  it('links the article an agent used to their ticket, once, and the ticket lists it', async () => {
    const ticket = await insertTicket(t.app.db, { regionCode: '630102', agentId: agent.id, topic: 'labour' });
    const wage = (await get(agent, `/api/knowledge?q=${encodeURIComponent('拖欠工资')}`)).json().items[0];

    expect((await send(otherAgent, 'POST', `/api/tickets/${ticket.id}/knowledge`, { articleId: wage.id })).json().code).toBe('HOTLINE_ERR_NOT_YOUR_TICKET');
    const linked = await send(agent, 'POST', `/api/tickets/${ticket.id}/knowledge`, { articleId: wage.id });
    expect(linked.statusCode).toBe(200);
    expect(linked.json().knowledge).toEqual([expect.objectContaining({ articleId: wage.id, version: wage.version, title: '拖欠工资怎么讨要', linkedBy: { id: agent.id, username: 'agent.xining' } })]);
    // Pressed twice: still one link, one audit row.
    expect((await send(agent, 'POST', `/api/tickets/${ticket.number}/knowledge`, { articleId: wage.id })).json().knowledge).toHaveLength(1);
    expect((await auditOf(ticket.id)).filter((r) => r.action === 'ticket.knowledge')).toHaveLength(1);

    const view = await get(agent, `/api/tickets/${ticket.id}`);
    expect(view.json().knowledge).toEqual([expect.objectContaining({ articleId: wage.id, title: '拖欠工资怎么讨要', basisText: expect.stringContaining('劳动合同法'), retired: false })]);

    const missing = await send(agent, 'POST', `/api/tickets/${ticket.id}/knowledge`, { articleId: '00000000-0000-4000-8000-000000000000' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('HOTLINE_ERR_KNOWLEDGE_ARTICLE_NOT_FOUND');
  });
});
