/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { type Browser, type Download, type Page } from 'playwright-core';
import { launchChromium, watchPage } from '../support/browser';
import { startTestApp, type TestApp } from '../support/app';
import { eventually } from '../support/tcp-proxy';

/**
 * The 报表 (reports) tab of /supervisor in Debian's Chromium at 1366×768, against the real app:
 * a prefecture supervisor reads today's report of calls the simulator placed and its robot agents
 * answered, exports it and the day's tickets (files read back with csv-parse), a provincial
 * supervisor reads a month and prints it. Screenshots and the printed PDF in
 * test-artifacts/supervisor-reports/.
 */
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'supervisor-reports');
/** Yushu prefecture and its counties. */
const YUSHU_COUNTIES = ['632701', '632722', '632723', '632724', '632725', '632726'];

describe('reports tab of the supervisor page in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const simCalls: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    await t.addUser({ username: 'sup.yushu', role: 'supervisor', region: '632700' });
    await t.addUser({ username: 'sup.province', role: 'supervisor', region: '630000' });
    const clerk = await t.addUser({ username: 'agent.month', role: 'agent', region: '632701' });

    // Today: three callers from Yushu (Mandarin, labour, first county, score 5) and one from
    // Xining, answered by the simulator's robot agents.
    expect((await t.app.inject({ method: 'PUT', url: '/sim/agents', payload: { count: 6, talkSeconds: 0.05, answerDelaySeconds: 0, wrapUpSeconds: 0 } })).statusCode).toBe(200);
    for (const from of ['09768100001', '09768100002', '09768100003', '09716100004']) {
      const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from, digits: from.startsWith('0976') ? '11015' : '12005' } });
      expect(res.statusCode).toBe(201);
      simCalls.push(res.json().callId);
    }
    const ended = await eventually(async () => {
      const { calls } = (await t.app.inject({ method: 'GET', url: '/sim/calls?compact=true&limit=100' })).json();
      return calls.filter((c: { id: string; status: string }) => simCalls.includes(c.id) && c.status === 'ended').length === simCalls.length;
    }, 30_000, 50);
    expect(ended).toBe(true);
    await t.app.callFlow.settled();
    await t.app.callRecorder.flush();
    await t.app.records.drained();
    await t.app.inject({ method: 'PUT', url: '/sim/agents', payload: { count: 0 } });

    // June 2025, for the monthly report: Yushu labour and Xining family calls.
    let n = 0;
    const call = (region: string, topic: string, at: string, answered: boolean) =>
      t.app.db
        .insertInto('calls')
        .values({
          province_code: '630000',
          driver: 'sim',
          external_id: `month-${++n}`,
          caller_number: `1389761${String(n).padStart(4, '0')}`,
          region_code: region,
          topic,
          status: 'ended',
          end_reason: answered ? 'answered' : 'abandoned',
          arrived_at: new Date(at),
          queued_at: new Date(at),
          answered_at: answered ? new Date(Date.parse(at) + 8_000) : null,
          wait_ms: answered ? 8_000 : 40_000,
          talk_ms: answered ? 240_000 : null,
          agent_id: answered ? clerk.id : null,
        })
        .execute();
    await call('632701', 'labour', '2025-06-03T09:00:00+08:00', true);
    await call('632723', 'labour', '2025-06-03T10:00:00+08:00', false);
    await call('632701', 'labour', '2025-06-17T15:00:00+08:00', true);
    await call('630102', 'marriage_family', '2025-06-20T11:00:00+08:00', true);

    browser = await launchChromium();
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'zh-CN', viewport: { width: 1366, height: 768 }, acceptDownloads: true });
    watchPage(page, pageErrors);
  });
  afterEach(async () => {
    await page?.close();
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  let shot = 0;
  const screenshot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  const signIn = async (username: string) => {
    await page.goto(`${base}/supervisor`);
    await page.fill('#username', username);
    await page.fill('#password', 'test-password-1');
    await page.click('#login');
    await page.waitForSelector('#console:not([hidden])');
  };
  const noHorizontalOverflow = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  /** Clicks `selector`, takes the file it saves, and reads it back as records (header row as keys). */
  const downloadFrom = async (selector: string) => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click(selector)]);
    const text = fs.readFileSync((await (download as Download).path())!, 'utf8');
    fs.writeFileSync(path.join(ARTIFACTS, download.suggestedFilename()), text);
    expect(text.startsWith('\uFEFF')).toBe(true);
    return { name: download.suggestedFilename(), records: parse(text.slice(1), { columns: true }) as Record<string, string>[] };
  };
  const cellTexts = (selector: string) => page.$$eval(selector, (els) => els.map((e) => e.textContent?.trim() ?? ''));

  it("a prefecture supervisor sees today's report of simulated calls, exports it and the day's tickets in Chinese", async () => {
    await signIn('sup.yushu');
    await page.click('#tab-reports');
    await page.waitForSelector('#reports-view:not([hidden])');
    // Only their own prefecture and its counties to choose from.
    const choices = await page.$$eval('#report-region option', (els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(choices.sort()).toEqual(['632700', ...YUSHU_COUNTIES]);
    expect(await page.inputValue('#report-region')).toBe('632700');
    await page.click('#report-load');
    await page.waitForSelector('#report:not([hidden]) #report-regions tbody tr.total');

    expect(await page.textContent('#report-title')).toMatch(/玉树藏族自治州 \d{4}-\d{2}-\d{2} 日报/);
    expect(await page.textContent('#report-figures [data-field="offered"] dd')).toBe('3');
    expect(await page.textContent('#report-figures [data-field="answered"] dd')).toBe('3');
    // Every county, no region of another prefecture, and the total.
    expect(await page.$$eval('#report-regions tbody tr[data-code]', (rows) => rows.map((r) => (r as HTMLElement).dataset.code))).toEqual(YUSHU_COUNTIES);
    expect(await page.textContent('#report-regions tr.total td[data-field="offered"]')).toBe('3');
    expect(await cellTexts('#report-topics tbody tr[data-code] th')).toEqual(['劳动争议']);
    expect(await cellTexts('#report-matrix thead th')).toEqual(['地区', '劳动争议', '合计']);
    const agents = await page.$$eval('#report-agents tbody tr[data-username]', (rows) => rows.length);
    expect(agents).toBeGreaterThan(0);
    for (const id of ['report-chart-sl', 'report-chart-volume', 'report-chart-regions', 'report-chart-topics']) {
      expect(await page.$eval(`#${id}`, (el) => el.childElementCount)).toBe(1);
    }
    expect(await noHorizontalOverflow()).toBe(true);
    await screenshot('daily-prefecture');

    // The details file: Chinese headers and names, rates as percentages.
    const details = await downloadFrom('#report-export');
    expect(details.name).toMatch(/^日报_玉树藏族自治州_\d{4}-\d{2}-\d{2}_明细\.csv$/);
    expect(Object.keys(details.records[0]!)).toEqual(expect.arrayContaining(['日期', '地区代码', '地区', '咨询类别', '呼入量', '接通量', '服务水平', '放弃率']));
    expect(details.records.map((r) => r['咨询类别'])).toEqual(details.records.map(() => '劳动争议'));
    expect(details.records.reduce((sum, r) => sum + Number(r['呼入量']), 0)).toBe(3);
    expect(details.records.every((r) => /^\d+\.\d%$/.test(r['服务水平']!))).toBe(true);
    expect(details.records.every((r) => YUSHU_COUNTIES.includes(r['地区代码']!))).toBe(true);

    // One table of the page: the counties with a total row.
    const regions = await downloadFrom('.report-table-export[data-table="region"]');
    expect(regions.records.map((r) => r['地区'])).toEqual(['玉树市', '杂多县', '称多县', '治多县', '囊谦县', '曲麻莱县', '合计']);
    expect(regions.records.at(-1)!['呼入量']).toBe('3');

    // The day's tickets: the simulated calls' tickets, Chinese headers and names.
    expect(await page.inputValue('#ticket-export-from')).toBe(await page.inputValue('#report-date'));
    const tickets = await downloadFrom('#ticket-export');
    expect(tickets.name).toMatch(/^工单_玉树藏族自治州_\d{4}-\d{2}-\d{2}\.csv$/);
    expect(Object.keys(tickets.records[0]!)).toEqual(expect.arrayContaining(['工单编号', '创建时间', '地区', '语言', '咨询类别', '处理结果', '风险标记', '来电号码']));
    expect(tickets.records).toHaveLength(3);
    expect(tickets.records.map((r) => [r['语言'], r['咨询类别'], r['风险标记']])).toEqual([0, 1, 2].map(() => ['普通话', '劳动争议', '否']));
    expect(tickets.records.every((r) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(r['创建时间']!))).toBe(true);
    expect(await noHorizontalOverflow()).toBe(true);
  });

  it('a provincial supervisor reads a month by prefecture, in Chinese and English, and prints it on A4 without the navigation', async () => {
    await signIn('sup.province');
    await page.click('#tab-reports');
    await page.selectOption('#report-kind', 'month');
    await page.fill('#report-month', '2025-06');
    await page.click('#report-load');
    await page.waitForSelector('#report:not([hidden]) #report-regions tbody tr.total');

    expect(await page.textContent('#report-title')).toBe('青海省 2025-06 月报');
    // Counties added into their prefectures: every prefecture listed, Yushu with its 3 calls.
    expect(await page.$$eval('#report-regions tbody tr[data-code]', (rows) => rows.length)).toBe(8);
    expect(await page.textContent('#report-regions tr[data-code="632700"] td[data-field="offered"]')).toBe('3');
    expect(await page.textContent('#report-regions tr[data-code="630100"] td[data-field="offered"]')).toBe('1');
    expect(await page.textContent('#report-regions tr.total td[data-field="serviceLevel"]')).toBe('75.0%');
    expect(await cellTexts('#report-matrix thead th')).toEqual(['地区', '劳动争议', '婚姻家庭', '合计']);
    expect(await cellTexts('#report-agents tbody tr[data-username="agent.month"] td')).toEqual(['agent.month', '3', '4:00', '12:00', '0', '—']);
    expect(await noHorizontalOverflow()).toBe(true);
    await screenshot('monthly-province');

    // English: the page's words change; the file in codes is the English variant.
    await page.click('#lang-toggle');
    expect(await page.textContent('#report-title')).toBe('Monthly report · Qinghai Sheng · 2025-06');
    expect(await cellTexts('#report-regions thead th')).toContain('Offered');
    await page.selectOption('#report-csv-lang', 'en');
    const topics = await downloadFrom('.report-table-export[data-table="topic"]');
    expect(topics.name).toBe('monthly-report_630000_2025-06_topics.csv');
    expect(topics.records).toEqual([
      expect.objectContaining({ period: '2025-06', topic: 'labour', offered: '3', service_level: '0.667' }),
      expect.objectContaining({ period: '2025-06', topic: 'marriage_family', offered: '1', service_level: '1' }),
    ]);
    await page.click('#lang-toggle');
    expect(await noHorizontalOverflow()).toBe(true);

    // 打印 opens the browser's print dialog.
    await page.evaluate(() => {
      (window as unknown as { printed: number }).printed = 0;
      window.print = () => void (window as unknown as { printed: number }).printed++;
    });
    await page.click('#report-print');
    expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);

    // As printed, on A4's width (186 mm between 12 mm margins, 703 px): the report only, nothing cut off.
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: 703, height: 1000 });
    const shown = (selector: string) => page.$eval(selector, (el) => getComputedStyle(el).display !== 'none' && (el as HTMLElement).offsetHeight > 0);
    for (const hidden of ['.topbar', '.tabs', '.focus-bar', '.report-controls', '#ticket-export-panel', '.report-table-export']) expect({ hidden, shown: await shown(hidden) }).toEqual({ hidden, shown: false });
    for (const visible of ['#report-title', '#report-figures', '#report-chart-sl', '#report-chart-topics', '#report-regions', '#report-matrix', '#report-agents']) expect({ visible, shown: await shown(visible) }).toEqual({ visible, shown: true });
    expect(await page.$$eval('.report .table-wrap', (wraps) => wraps.every((w) => w.scrollWidth <= w.clientWidth))).toBe(true);
    expect(await noHorizontalOverflow()).toBe(true);
    await screenshot('monthly-province-print');
    const pdf = await page.pdf({ path: path.join(ARTIFACTS, 'monthly-province.pdf'), preferCSSPageSize: true, printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  });
});
