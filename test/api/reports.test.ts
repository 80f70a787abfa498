import { parse } from 'csv-parse/sync';
import { bearer, startTestApp, type TestApp } from '../support/app';
import { setProvinceSettings } from '../support/province-settings';
import { insertTicket } from '../tickets/ticket-fixtures';

describe('reports and call records', () => {
  let t: TestApp;
  let admin: { id: string; token: string };
  let yushu: { id: string; token: string };
  let agent: { id: string; token: string };

  // 2026-12-01 in China Standard Time.
  const at = (hhmm: string) => new Date(`2026-12-01T${hhmm}:00+08:00`);

  beforeAll(async () => {
    t = await startTestApp();
    // The figures below were worked out for a 20-s threshold (the 19-s answer counts as in time);
    // reports follow the province's targets, as the wallboard does.
    await setProvinceSettings(t.app, 'targets', { serviceLevel: { thresholdSeconds: 20 } });
    await t.app.serviceTargets.reload();
    admin = await t.addUser({ username: 'admin.reports', role: 'admin', region: '630000' });
    yushu = await t.addUser({ username: 'sup.yushu', role: 'supervisor', region: '632700' });
    agent = await t.addUser({ username: 'agent.reports', role: 'agent', region: '632700' });
    let n = 0;
    const call = async (region: string, topic: string, arrived: string, o: { waitMs: number; answered: boolean; talkMs?: number; score?: number }) => {
      const row = await t.app.db
        .insertInto('calls')
        .values({
          province_code: '630000',
          driver: 'sim',
          external_id: `r-${++n}`,
          caller_number: `1389761${String(n).padStart(4, '0')}`,
          region_code: region,
          topic,
          status: 'ended',
          end_reason: o.answered ? 'answered' : 'abandoned',
          arrived_at: at(arrived),
          queued_at: at(arrived),
          answered_at: o.answered ? new Date(at(arrived).getTime() + o.waitMs) : null,
          wait_ms: o.waitMs,
          talk_ms: o.talkMs ?? null,
          agent_id: o.answered ? agent.id : null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (o.score) await t.app.db.insertInto('survey_responses').values({ call_id: row.id, score: o.score }).execute();
      return row.id;
    };
    // Yushu, labour, 09:00–09:30: 3 answered within 20 s, 1 answered late, 1 abandoned after 60 s, 1 abandoned after 5 s.
    await call('632701', 'labour', '09:05', { waitMs: 5_000, answered: true, talkMs: 300_000, score: 5 });
    await call('632701', 'labour', '09:10', { waitMs: 10_000, answered: true, talkMs: 200_000, score: 4 });
    await call('632723', 'labour', '09:12', { waitMs: 19_000, answered: true, talkMs: 100_000 });
    await call('632723', 'labour', '09:20', { waitMs: 45_000, answered: true, talkMs: 400_000 });
    await call('632723', 'labour', '09:25', { waitMs: 60_000, answered: false });
    await call('632701', 'labour', '09:26', { waitMs: 5_000, answered: false });
    // Xining, family, 14:00: one answered.
    await call('630102', 'marriage_family', '14:00', { waitMs: 1_000, answered: true, talkMs: 600_000 });
    // The day before (not in the report).
    await call('632701', 'labour', '00:00', { waitMs: 1_000, answered: true }).then((id) =>
      t.app.db.updateTable('calls').set({ arrived_at: new Date(at('00:00').getTime() - 60_000) }).where('id', '=', id).execute(),
    );

    // Tickets of the day by type: Yushu city 2 complaints and a consultation, Chenduo a request for
    // help, Xining a suggestion; one the evening before (23:59 on 30 November) and one later in the month.
    const day = (hhmm: string) => `2026-12-01T${hhmm}:00+08:00`;
    await insertTicket(t.app.db, { regionCode: '632701', type: 'complaint', createdAt: day('09:06') });
    await insertTicket(t.app.db, { regionCode: '632701', type: 'complaint', createdAt: day('09:11') });
    await insertTicket(t.app.db, { regionCode: '632701', createdAt: day('23:59') });
    await insertTicket(t.app.db, { regionCode: '632723', type: 'help', createdAt: day('09:13') });
    await insertTicket(t.app.db, { regionCode: '630102', type: 'suggestion', createdAt: day('14:01') });
    await insertTicket(t.app.db, { regionCode: '632701', type: 'complaint', createdAt: '2026-11-30T23:59:00+08:00' });
    await insertTicket(t.app.db, { regionCode: '632723', type: 'suggestion', createdAt: '2026-12-15T10:00:00+08:00' });
  });
  afterAll(async () => t.close());

  const get = (url: string, token = yushu.token) => t.app.inject({ method: 'GET', url, headers: bearer(token) });

  it("gives a prefecture supervisor their area's day per region and topic, with the stated definitions", async () => {
    const res = await get('/api/reports/daily?date=2026-12-01&byTopic=false');
    expect(res.statusCode).toBe(200);
    const rows = res.json().rows as { regionCode: string }[];
    expect(rows.map((r) => r.regionCode).sort()).toEqual(['632701', '632723']);
    const yushuCity = rows.find((r) => r.regionCode === '632701');
    // 2 answered in time, 1 abandoned within the threshold (not counted against the service level).
    expect(yushuCity).toMatchObject({ offered: 3, answered: 2, abandoned: 1, serviceLevel: 1, avgHandleSeconds: 250, abandonment: 0.333, satisfaction: 4.5 });
    const chenduo = rows.find((r) => r.regionCode === '632723');
    // 1 of (2 answered + 1 abandoned after 20 s) within 20 s.
    expect(chenduo).toMatchObject({ offered: 3, answered: 2, abandoned: 1, serviceLevel: 0.333 });
    const series = res.json().series as { intervalStart: number; offered: number }[];
    expect(series).toHaveLength(48);
    expect(series[18]).toMatchObject({ intervalStart: 540, offered: 6 });
  });

  it("measures against the province's threshold: at GB/T 33358's 15 s the 19-s answer is late; a threshold asked for wins", async () => {
    await setProvinceSettings(t.app, 'targets', {});
    await t.app.serviceTargets.reload();
    try {
      const chenduo = async (url: string) => ((await get(url)).json().rows as { regionCode: string; serviceLevel: number }[]).find((r) => r.regionCode === '632723');
      expect(await chenduo('/api/reports/daily?date=2026-12-01&byTopic=false')).toMatchObject({ serviceLevel: 0 });
      expect(await chenduo('/api/reports/daily?date=2026-12-01&byTopic=false&thresholdSeconds=20')).toMatchObject({ serviceLevel: 0.333 });
    } finally {
      await setProvinceSettings(t.app, 'targets', { serviceLevel: { thresholdSeconds: 20 } });
      await t.app.serviceTargets.reload();
    }
  });

  it('counts the day\'s tickets per type, per region of the area and in total, beside the unchanged rows', async () => {
    const res = await get('/api/reports/daily?date=2026-12-01');
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json())).toEqual(expect.arrayContaining(['rows', 'series', 'ticketTypes', 'byRegion', 'byTopic']));
    expect(res.json().ticketTypes).toEqual({
      total: { consultation: 1, help: 1, complaint: 2, suggestion: 0 },
      byRegion: [
        { regionCode: '632701', consultation: 1, help: 0, complaint: 2, suggestion: 0 },
        { regionCode: '632723', consultation: 0, help: 1, complaint: 0, suggestion: 0 },
      ],
    });
    // The province's day holds Xining's suggestion too; a day without tickets names every type with 0.
    expect((await get('/api/reports/daily?date=2026-12-01', admin.token)).json().ticketTypes.total).toEqual({ consultation: 1, help: 1, complaint: 2, suggestion: 1 });
    expect((await get('/api/reports/daily?date=2026-12-02', admin.token)).json().ticketTypes).toEqual({ total: { consultation: 0, help: 0, complaint: 0, suggestion: 0 }, byRegion: [] });
  });

  it('counts the month\'s tickets per type', async () => {
    const month = (await get('/api/reports/monthly?month=2026-12')).json();
    expect(month.rows.length).toBeGreaterThan(0);
    expect(month.ticketTypes).toEqual({
      total: { consultation: 1, help: 1, complaint: 2, suggestion: 1 },
      byRegion: [
        { regionCode: '632701', consultation: 1, help: 0, complaint: 2, suggestion: 0 },
        { regionCode: '632723', consultation: 0, help: 1, complaint: 0, suggestion: 1 },
      ],
    });
    expect((await get('/api/reports/monthly?month=2026-11')).json().ticketTypes.total).toEqual({ consultation: 0, help: 0, complaint: 1, suggestion: 0 });
  });

  it('exports CSV with a BOM, Chinese region names, and only the area asked for', async () => {
    const res = await get('/api/reports/daily.csv?date=2026-12-01', admin.token);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.body.startsWith('\uFEFF')).toBe(true);
    const records = parse(res.body.slice(1), { columns: true }) as Record<string, string>[];
    expect(records.map((r) => r.region_name)).toEqual(expect.arrayContaining(['城东区', '称多县']));
    expect((await get('/api/reports/daily?date=2026-12-01&region=630100')).statusCode).toBe(403);
  });

  it('sums a month', async () => {
    const rows = (await get('/api/reports/monthly?month=2026-12&byTopic=false', admin.token)).json().rows as { offered: number }[];
    expect(rows.reduce((s, r) => s + r.offered, 0)).toBe(7);
  });

  describe('the tables the page shows', () => {
    const YUSHU_COUNTIES = ['632701', '632722', '632723', '632724', '632725', '632726'];

    it("gives a prefecture supervisor their counties, topics, counties × topics and agents, adding up to the area's total", async () => {
      const body = (await get('/api/reports/daily?date=2026-12-01')).json();
      expect(body.area).toBe('632700');
      // 3 of (4 answered + 1 abandoned after 20 s) in time; 2 of 6 abandoned; talk 300+200+100+400 s.
      expect(body.total).toEqual({ offered: 6, answered: 4, abandoned: 2, serviceLevel: 0.6, avgHandleSeconds: 250, abandonment: 0.333, referrals: 0, satisfaction: 4.5 });
      expect(body.byRegion.map((r: { regionCode: string }) => r.regionCode)).toEqual(YUSHU_COUNTIES);
      expect(body.byRegion.find((r: { regionCode: string }) => r.regionCode === '632722')).toMatchObject({ offered: 0, serviceLevel: null, own: false });
      expect(body.byRegion.find((r: { regionCode: string }) => r.regionCode === '632701')).toMatchObject({ offered: 3, serviceLevel: 1, satisfaction: 4.5 });
      expect(body.byTopic).toEqual([{ topic: 'labour', ...body.total }]);
      expect(body.byRegionTopic.map((r: { regionCode: string; topic: string }) => `${r.regionCode}:${r.topic}`)).toEqual(['632701:labour', '632723:labour']);
      expect(body.byAgent).toEqual([{ agentId: agent.id, username: 'agent.reports', displayName: 'agent.reports', answered: 4, avgHandleSeconds: 250, talkSeconds: 1000, referrals: 0, satisfaction: 4.5 }]);
      // Nothing of Xining's call.
      expect([...body.rows, ...body.byRegion, ...body.byRegionTopic].every((r: { regionCode: string }) => r.regionCode.startsWith('6327'))).toBe(true);
    });

    it('rolls counties up into their prefectures for the province, and gives the month day by day', async () => {
      const day = (await get('/api/reports/daily?date=2026-12-01', admin.token)).json();
      expect(day.byRegion).toHaveLength(8);
      const offered = (code: string) => day.byRegion.find((r: { regionCode: string }) => r.regionCode === code).offered;
      expect([offered('630100'), offered('632700'), offered('630200')]).toEqual([1, 6, 0]);
      expect(day.total.offered).toBe(7);
      expect(day.byTopic.map((r: { topic: string }) => r.topic)).toEqual(['labour', 'marriage_family']);
      expect(day.byAgent[0]).toMatchObject({ username: 'agent.reports', answered: 5 });

      const month = (await get('/api/reports/monthly?month=2026-12', admin.token)).json();
      expect(month.days).toHaveLength(31);
      expect(month.days[0]).toMatchObject({ period: '2026-12-01', offered: 7, answered: 5 });
      expect(month.days[1]).toMatchObject({ period: '2026-12-02', offered: 0, serviceLevel: null });
      expect(month.total.offered).toBe(7);
      // The call of the evening before (30 November, China time) is November's.
      expect((await get('/api/reports/monthly?month=2026-11', admin.token)).json().total.offered).toBe(1);
    });

    it("refuses a prefecture supervisor another prefecture's report and its files", async () => {
      for (const url of ['/api/reports/monthly?month=2026-12&region=630100', '/api/reports/daily.csv?date=2026-12-01&region=630100&lang=zh', '/api/reports/monthly.csv?month=2026-12&region=630000&table=agent']) {
        const res = await get(url);
        expect({ url, status: res.statusCode, code: res.json().code }).toEqual({ url, status: 403, code: 'HOTLINE_ERR_OUT_OF_SCOPE' });
      }
      // A county of their own is fine.
      expect((await get('/api/reports/daily?date=2026-12-01&region=632723')).json().byRegion).toEqual([expect.objectContaining({ regionCode: '632723', offered: 3 })]);
    });
  });

  describe('CSV files', () => {
    const records = (body: string) => {
      expect(body.startsWith('\uFEFF')).toBe(true);
      return parse(body.slice(1), { columns: true }) as Record<string, string>[];
    };

    it('keeps the English file exactly as it was: snake_case columns, codes, rates as fractions', async () => {
      const res = await get('/api/reports/daily.csv?date=2026-12-01');
      expect(res.headers['content-disposition']).toBe('attachment; filename="report-2026-12-01.csv"');
      expect(res.body).toBe(
        '\uFEFF' +
          'period,region_code,region_name,topic,offered,answered,abandoned,service_level,avg_handle_seconds,abandonment,referrals,satisfaction\r\n' +
          '2026-12-01,632701,玉树市,labour,3,2,1,1,250,0.333,0,4.5\r\n' +
          '2026-12-01,632723,称多县,labour,3,2,1,0.333,250,0.333,0,\r\n',
      );
      expect((await get('/api/reports/daily.csv?date=2026-12-01&lang=en')).body).toBe(res.body);
    });

    it('writes Chinese headers, Chinese topic names and percentages with lang=zh', async () => {
      const rows = records((await get('/api/reports/daily.csv?date=2026-12-01&lang=zh')).body);
      expect(Object.keys(rows[0]!)).toEqual(['日期', '地区代码', '地区', '咨询类别', '呼入量', '接通量', '放弃量', '服务水平', '平均通话时长（秒）', '放弃率', '转介数', '满意度（1–5分）']);
      expect(rows[0]).toMatchObject({ 日期: '2026-12-01', 地区: '玉树市', 咨询类别: '劳动争议', 呼入量: '3', 服务水平: '100.0%', 放弃率: '33.3%', '满意度（1–5分）': '4.5' });
      expect(rows[1]).toMatchObject({ 地区: '称多县', 服务水平: '33.3%', '满意度（1–5分）': '' });
      expect(JSON.stringify(rows)).not.toContain('labour');
    });

    it("gives the page's tables as files: regions with a total row, topics, regions × topics, agents", async () => {
      const regions = records((await get('/api/reports/daily.csv?date=2026-12-01&lang=zh&table=region')).body);
      expect(regions.map((r) => r['地区'])).toEqual(['玉树市', '杂多县', '称多县', '治多县', '囊谦县', '曲麻莱县', '合计']);
      expect(regions.at(-1)).toMatchObject({ 呼入量: '6', 接通量: '4', 服务水平: '60.0%' });

      const topics = records((await get('/api/reports/monthly.csv?month=2026-12&lang=zh&table=topic', admin.token)).body);
      expect(topics.map((r) => [r['月份'], r['咨询类别'], r['呼入量']])).toEqual([
        ['2026-12', '劳动争议', '6'],
        ['2026-12', '婚姻家庭', '1'],
        ['2026-12', '合计', '7'],
      ]);

      const cross = await get('/api/reports/monthly.csv?month=2026-12&table=region_topic', admin.token);
      expect(cross.headers['content-disposition']).toBe('attachment; filename="report-2026-12-region-topic.csv"');
      expect(records(cross.body).map((r) => [r.region_code, r.region_name, r.topic, r.offered])).toEqual([
        ['630100', '西宁市', 'marriage_family', '1'],
        ['632700', '玉树藏族自治州', 'labour', '6'],
      ]);

      const agents = records((await get('/api/reports/daily.csv?date=2026-12-01&lang=zh&table=agent')).body);
      expect(agents).toEqual([{ 日期: '2026-12-01', 坐席账号: 'agent.reports', 坐席姓名: 'agent.reports', 接听量: '4', '平均通话时长（秒）': '250', '通话总时长（秒）': '1000', 转介数: '0', '满意度（1–5分）': '4.5' }]);
    });

    it('names a wrong language or table', async () => {
      const lang = await get('/api/reports/daily.csv?date=2026-12-01&lang=fr');
      expect(lang.statusCode).toBe(400);
      expect(lang.json().message).toMatch(/querystring\.lang/);
      expect((await get('/api/reports/daily.csv?date=2026-12-01&table=everything')).json().message).toMatch(/querystring\.table/);
      // The JSON report takes neither.
      expect((await get('/api/reports/daily?date=2026-12-01&lang=zh')).statusCode).toBe(400);
    });
  });

  it('call records: a supervisor sees their area with whole numbers, an agent their own masked, each read audited', async () => {
    const list = (await get('/api/calls?from=2026-12-01&to=2026-12-01')).json().items as { id: string; region_code: string; caller_number: string }[];
    expect(list.every((c) => c.region_code.startsWith('6327'))).toBe(true);
    expect(list[0]!.caller_number).toMatch(/^1389761\d{4}$/);
    const mine = (await get('/api/calls', agent.token)).json().items as { id: string; caller_number: string }[];
    expect(mine.length).toBeGreaterThan(0);
    expect(mine[0]!.caller_number).toMatch(/^138\*+\d{4}$/);
    const one = await get(`/api/calls/${list[0]!.id}`);
    expect(one.json()).toHaveProperty('timeline');
    const audit = await t.app.db.selectFrom('audit_log').select('action').where('entity_id', '=', list[0]!.id).execute();
    expect(audit.map((a) => a.action)).toContain('call.read');
  });
});
