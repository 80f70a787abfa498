import { parse } from 'csv-parse/sync';
import { bearer, startTestApp, type TestApp } from '../support/app';
import { insertTicket } from './ticket-fixtures';

/**
 * The tickets file for people (lang=zh): Chinese headers and names, China time as a spreadsheet
 * reads it, yes/no as 是/否; the codes stay in the default English file (tickets-api.test.ts).
 */
describe('GET /api/tickets/export.csv?lang=zh', () => {
  let t: TestApp;
  let yushuSup: { id: string; token: string };
  let numbers: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp();
    yushuSup = await t.addUser({ username: 'sup.yushu.zh', role: 'supervisor', region: '632700' });
    const agent = await t.addUser({ username: 'agent.yushu.zh', role: 'agent', region: '632701' });
    const db = t.app.db;
    numbers = {
      // 00:30 China time on 2 April is still 1 April in UTC.
      tibetan: (await insertTicket(db, { regionCode: '632701', agentId: agent.id, callerNumber: '13519712345', language: 'bo', topic: 'labour', outcome: 'refer_legal_aid', riskFlag: true, summary: '=SUM(A1)', createdAt: '2026-04-02T00:30:00+08:00' })).number,
      mongolian: (await insertTicket(db, { regionCode: '632723', agentId: agent.id, language: 'mn', topic: null, outcome: null, createdAt: '2026-04-02T10:00:00+08:00' })).number,
      xining: (await insertTicket(db, { regionCode: '630102', agentId: agent.id, createdAt: '2026-04-02T11:00:00+08:00' })).number,
    };
  });
  afterAll(() => t.close());

  const exportCsv = (query: string) => t.app.inject({ method: 'GET', url: `/api/tickets/export.csv?${query}`, headers: bearer(yushuSup.token) });

  it('writes Chinese headers and names, China time and 是/否, the area only, formulas still defused', async () => {
    const res = await exportCsv('from=2026-04-02&to=2026-04-02&lang=zh');
    expect(res.statusCode).toBe(200);
    expect(res.body.startsWith('\uFEFF')).toBe(true);
    const records = parse(res.body.slice(1), { columns: true }) as Record<string, string>[];
    expect(Object.keys(records[0]!)).toEqual(['工单编号', '创建时间', '地区代码', '地区', '语言', '工单类型', '咨询类别', '处理结果', '风险标记', '来电摘要', '解答意见', '满意度评分', '质检评分', '坐席账号', '来电号码']);
    const byNumber = new Map(records.map((r) => [r['工单编号'], r]));
    expect([...byNumber.keys()].sort()).toEqual([numbers.tibetan, numbers.mongolian].sort());
    expect(byNumber.get(numbers.tibetan)).toMatchObject({
      创建时间: '2026-04-02 00:30:00',
      地区: '玉树市',
      语言: '藏语',
      咨询类别: '劳动争议',
      处理结果: '转法律援助',
      风险标记: '是',
      来电摘要: "'=SUM(A1)",
      来电号码: '135****2345',
    });
    // No topic or outcome recorded: empty cells, not "null".
    expect(byNumber.get(numbers.mongolian)).toMatchObject({ 语言: '蒙古语', 工单类型: '咨询', 咨询类别: '', 处理结果: '', 风险标记: '否' });
  });

  it('keeps the codes without lang or with lang=en, and names a wrong lang', async () => {
    const plain = await exportCsv('from=2026-04-02&to=2026-04-02');
    const en = await exportCsv('from=2026-04-02&to=2026-04-02&lang=en');
    expect(en.body).toBe(plain.body);
    const records = parse(plain.body.slice(1), { columns: true }) as Record<string, string>[];
    expect(records.find((r) => r.number === numbers.tibetan)).toMatchObject({ created_at: '2026-04-02T00:30:00+08:00', language: 'bo', topic: 'labour', outcome: 'refer_legal_aid', risk_flag: 'true' });
    const bad = await exportCsv('lang=bo');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/querystring\.lang/);
    expect((await exportCsv('region=630100&lang=zh')).json().code).toBe('HOTLINE_ERR_OUT_OF_SCOPE');
  });
});
