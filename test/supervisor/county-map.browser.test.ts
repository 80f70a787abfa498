/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { chinaDayStart } from '../../src/supervisors/figures';
import { startTestApp, type TestApp } from '../support/app';

/**
 * The wallboard's county map and charts on Apache ECharts, in Debian's Chromium at 1366×768 against
 * the real app: every county of Qinghai drawn and coloured by its service level, a click on the
 * map opens the region, the charts draw and are let go when redrawn, all under the page's CSP.
 * Screenshots in test-artifacts/supervisor-map/.
 */
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'supervisor-map');

/** What the map holds, read through ECharts' own API. */
interface MapState {
  mapName: string;
  shapes: string[];
  data: { name: string; value: number; colour: string }[];
  pieces: { label: string; colour: string; value?: number; gte?: number; lt?: number }[];
  ariaLabel: string | null;
}

// Evaluated as text: the page imports ECharts itself (the module the page uses, so the same instances).
const READ_MAP = `(async () => {
  const echarts = await import('/supervisor/vendor/echarts.js');
  const box = document.getElementById('county-map');
  const chart = echarts.getInstanceByDom(box);
  if (!chart) return null;
  const option = chart.getOption();
  const series = option.series[0];
  if (!series || !series.map) return null;
  const map = echarts.getMap(series.map);
  return {
    mapName: series.map,
    shapes: map.geoJSON.features.map((f) => f.properties.name),
    data: series.data.map((d, i) => ({ name: d.name, value: d.value, colour: chart.getVisual({ seriesIndex: 0, dataIndex: i }, 'color') })),
    pieces: option.visualMap[0].pieces.map((p) => ({ label: p.label, colour: p.color, value: p.value, gte: p.gte, lt: p.lt })),
    ariaLabel: box.getAttribute('aria-label'),
  };
})()`;

describe('supervisor wallboard: county map and charts on ECharts, in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const counties = () => t.app.regions.all().filter((r) => r.level === 'county').map((r) => r.code).sort();

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    await t.addUser({ username: 'admin.qh', role: 'admin', region: '630000' });
    await t.addUser({ username: 'sup.qinghai', role: 'supervisor', region: '630000' });
    await t.addUser({ username: 'sup.yushu', role: 'supervisor', region: '632700' });
    // Today's calls in three counties: Yushu city all answered in time (good), Qilian 3 of 4 (warn),
    // Chengdong none (bad). The rest of the province has had no call.
    const now = Date.now();
    const arrived = new Date(Math.max(now - 120_000, chinaDayStart(now).getTime() + 1_000));
    let n = 0;
    const call = (region: string, answered: boolean, waitMs: number) =>
      t.app.db
        .insertInto('calls')
        .values({
          province_code: '630000',
          driver: 'sim',
          external_id: `map-${++n}`,
          caller_number: `1389761${String(n).padStart(4, '0')}`,
          region_code: region,
          topic: 'labour',
          status: 'ended',
          end_reason: answered ? 'answered' : 'abandoned',
          arrived_at: arrived,
          queued_at: arrived,
          answered_at: answered ? new Date(arrived.getTime() + waitMs) : null,
          ended_at: new Date(arrived.getTime() + waitMs + 1_000),
          wait_ms: waitMs,
        })
        .execute();
    await call('632701', true, 5_000);
    await call('632701', true, 8_000);
    for (let i = 0; i < 3; i++) await call('632222', true, 4_000);
    await call('632222', false, 60_000);
    await call('630102', false, 45_000);
    await call('630102', true, 50_000);
    browser = await launchChromium();
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'zh-CN', viewport: { width: 1366, height: 768 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Any error on the console fails: a CSP refusal (an ECharts tooltip's styled HTML), a failed load.
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
  });
  afterEach(async () => {
    await page.close();
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signIn = async (username: string) => {
    await page.goto(`${base}/supervisor`);
    await page.fill('#username', username);
    await page.fill('#password', 'test-password-1');
    await page.click('#login');
    await page.waitForSelector('#console:not([hidden])');
  };
  /** The map once it shows `count` counties (read from Node: the page's CSP allows no eval). */
  const mapWith = async (count: number): Promise<MapState> => {
    let map: MapState | null = null;
    for (let i = 0; i < 300; i++) {
      map = (await page.evaluate(READ_MAP)) as MapState | null;
      if (map && map.data.length === count && map.shapes.length === count) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(map?.data.length).toBe(count);
    return map!;
  };
  const noHorizontalOverflow = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  const focusOf = () => page.$eval('#focus-select', (s) => (s as HTMLSelectElement).value);

  it('an administrator sees every county of Qinghai on the map, coloured by service level, grey without calls; the charts draw and are let go when redrawn', async () => {
    await signIn('admin.qh');
    await page.waitForSelector('.map-tile[data-code="632701"]');
    // The board has arrived once Yushu city's tile shows its figure.
    await page.waitForSelector('.map-tile[data-code="632701"][data-sl="good"]');
    const map = await mapWith(44);
    expect(map.shapes.sort()).toEqual(counties());
    expect(map.data.map((d) => d.name).sort()).toEqual(counties());

    const colourOf = (label: string) => map.pieces.find((p) => p.label === label)!.colour;
    const [good, warn, bad, none] = ['≥ 80%', '60% – 80%', '< 60%', '暂无来电'].map(colourOf);
    expect(new Set([good, warn, bad, none]).size).toBe(4);
    const byCode = new Map(map.data.map((d) => [d.name, d]));
    expect(byCode.get('632701')).toMatchObject({ value: 1, colour: good });
    expect(byCode.get('632222')).toMatchObject({ value: 0.75, colour: warn });
    expect(byCode.get('630102')!.colour).toBe(bad);
    const silent = map.data.filter((d) => !['632701', '632222', '630102'].includes(d.name));
    expect(silent).toHaveLength(41);
    for (const d of silent) expect(d.colour).toBe(none);
    expect(map.ariaLabel).toContain('44');
    expect(map.ariaLabel).toContain('41 个暂无来电');

    // The charts draw with ECharts as SVG, named for assistive technology.
    await page.waitForSelector('#chart-sl [role="img"] svg');
    await page.waitForSelector('#chart-volume [role="img"] svg');
    expect(await page.getAttribute('#chart-volume [role="img"]', 'aria-label')).toBe('各地区今日呼入与接通');
    // Eight prefectures, offered and answered for each: Yushu's bar is there.
    expect(await page.textContent('#chart-volume svg')).toContain('玉树藏族自治州');
    // Pointing at Yushu's bars tells their figures, drawn in the chart (ECharts' HTML tooltip would break the CSP).
    await page.locator('#chart-volume').scrollIntoViewIfNeeded();
    const bars = await page.locator('#chart-volume [role="img"]').boundingBox();
    await page.mouse.move(bars!.x + bars!.width * 0.75, bars!.y + bars!.height * 0.4);
    await page.waitForFunction(() => /玉树藏族自治州\s*呼入\s*2\s*接通\s*2/.test(document.querySelector('#chart-volume svg')?.textContent ?? ''));
    expect(await noHorizontalOverflow()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, '01-province-board-zh.png'), fullPage: true });
    await page.locator('#county-map').screenshot({ path: path.join(ARTIFACTS, '01-province-map-zh.png') });
    await page.locator('#charts-panel').screenshot({ path: path.join(ARTIFACTS, '01-charts-zh.png') });

    // Redrawn in English and back: the old charts are disposed, not left running.
    await page.click('#lang-toggle');
    await page.waitForFunction(() => document.querySelector('#chart-volume svg')?.textContent?.includes('Offered'));
    await page.click('#lang-toggle');
    await page.waitForFunction(() => document.querySelector('#chart-volume svg')?.textContent?.includes('呼入'));
    const counts = await page.evaluate(`(async () => {
      const charts = await import('/supervisor/assets/charts.js');
      return { live: charts.liveCharts(), onPage: document.querySelectorAll('#charts-panel [role="img"]').length };
    })()`);
    expect(counts).toEqual({ live: 2, onPage: 2 });
  });

  it('a provincial supervisor clicks a county on the map: from the province it opens the prefecture, from there the county; the region table shows it', async () => {
    await signIn('sup.qinghai');
    await page.waitForSelector('.map-tile[data-code="632701"][data-sl="good"]');
    await mapWith(44);
    const pointAt = async (code: string) =>
      (await page.evaluate(`(async () => {
        const echarts = await import('/supervisor/vendor/echarts.js');
        const box = document.getElementById('county-map');
        const [x, y] = echarts.getInstanceByDom(box).convertToPixel({ seriesIndex: 0 }, ${JSON.stringify(code)});
        const r = box.getBoundingClientRect();
        return { x: r.left + x, y: r.top + y };
      })()`)) as { x: number; y: number };
    const clickCounty = async (code: string) => {
      const at = await pointAt(code);
      await page.mouse.click(at.x, at.y);
    };

    // Pointing at 玉树市 tells its figures (drawn in the chart: the CSP would refuse ECharts' HTML tooltip).
    await page.locator('#county-map').scrollIntoViewIfNeeded();
    const yushuCity = await pointAt('632701');
    await page.mouse.move(yushuCity.x, yushuCity.y);
    await page.waitForFunction(() => document.querySelector('#county-map svg')?.textContent?.includes('服务水平（今日）：100.0%'));
    await page.locator('#county-map').screenshot({ path: path.join(ARTIFACTS, '02-tooltip.png') });

    // 称多县 from the province: Yushu prefecture.
    await clickCounty('632723');
    await page.waitForFunction(() => (document.querySelector('#focus-select') as HTMLSelectElement).value === '632700');
    await page.waitForSelector('#region-rows tr[data-code="632723"]');
    expect(await page.$$eval('#region-rows tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.code))).toEqual(['632700', '632701', '632722', '632723', '632724', '632725', '632726']);
    const yushu = await mapWith(6);
    expect(yushu.data.map((d) => d.name).sort()).toEqual(['632701', '632722', '632723', '632724', '632725', '632726']);
    await page.screenshot({ path: path.join(ARTIFACTS, '02-prefecture-map.png'), fullPage: true });

    // Then 称多县 itself.
    await page.locator('#county-map').scrollIntoViewIfNeeded();
    await clickCounty('632723');
    await page.waitForFunction(() => (document.querySelector('#focus-select') as HTMLSelectElement).value === '632723');
    await page.waitForSelector('#region-rows tr[data-code="632723"] th');
    expect(await page.$$eval('#region-rows tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.code))).toEqual(['632723']);
    expect(await page.textContent('#region-rows tr[data-code="632723"] th')).toBe('称多县');
    expect(await focusOf()).toBe('632723');
    expect((await mapWith(1)).data.map((d) => d.name)).toEqual(['632723']);
    expect(await noHorizontalOverflow()).toBe(true);
  });

  it("a prefecture supervisor's map holds their prefecture's counties only", async () => {
    await signIn('sup.yushu');
    await page.waitForSelector('.map-tile[data-code="632701"][data-sl="good"]');
    const map = await mapWith(6);
    expect(map.shapes.sort()).toEqual(['632701', '632722', '632723', '632724', '632725', '632726']);
    expect(map.data.find((d) => d.name === '632701')!.value).toBe(1);
    expect(await noHorizontalOverflow()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, '03-yushu-map.png'), fullPage: true });
  });
});
