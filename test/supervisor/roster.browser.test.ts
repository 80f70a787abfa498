/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium, watchPage } from '../support/browser';
import { halfHourOf } from '../../src/supervisors/figures';
import { chinaDay } from '../../src/time/china-time';
import { bearer, startTestApp, type TestApp } from '../support/app';

/**
 * A duty roster in real browsers (Debian's Chromium) at the 1366×768 of a desk screen: a
 * prefecture supervisor builds today's roster from the saved seat plan in the staffing tab, sees
 * what is uncovered, has an overlapping shift refused, adds and removes a shift and publishes;
 * the rostered agent signs in on /softphone and sees their shift; the wallboard and the agents
 * list show them rostered and signed in. Screenshots in test-artifacts/supervisor/.
 */
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'supervisor');
const VIEWPORT = { width: 1366, height: 768 };

describe('duty roster in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    browser = await launchChromium();
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: VIEWPORT });
    contexts.push(context);
    const page = await context.newPage();
    watchPage(page, pageErrors);
    return page;
  }
  let shot = 0;
  const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `roster-${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  const noHorizontalOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  const signIn = async (page: Page, url: string, username: string) => {
    await page.goto(`${base}${url}`);
    await page.fill('#username', username);
    await page.fill('#password', 'test-password-1');
    await page.click('#login');
  };

  it("a roster built and published in the staffing tab is seen on the agent's desk, and its adherence on the wallboard", async () => {
    const supervisor = await t.addUser({ username: 'sup.yushu', role: 'supervisor', region: '632700' });
    await t.addUser({ username: 'agent.yushu', role: 'agent', region: '632701', languages: { zh: 5, bo: 4 }, topics: { labour: 5 } });
    const zaduo = await t.addUser({ username: 'agent.zaduo', role: 'agent', region: '632722', languages: { zh: 5 }, topics: { labour: 5 } });
    // Today's plan, saved through the API: one seat in Yushu city for this half-hour.
    const now = Date.now();
    const today = chinaDay(now);
    const half = halfHourOf(now) / 30;
    const seats = Array.from({ length: 48 }, (_, i) => (i === half ? 1 : 0));
    const plan = await t.app.inject({ method: 'PUT', url: `/api/seat-plans/${today}`, headers: bearer(supervisor.token), payload: { seats: { '632701': seats } } });
    expect(plan.statusCode).toBe(200);

    // The supervisor builds today's roster from it.
    const board = await newPage();
    await signIn(board, '/supervisor', 'sup.yushu');
    await board.waitForSelector('#console:not([hidden])');
    await board.click('#tab-staffing');
    expect(await board.inputValue('#plan-date')).toBe(today);
    await board.click('#roster-build');
    const row = '#roster-rows tr[data-username="agent.yushu"]';
    await board.waitForSelector(row);
    const time = (await board.textContent(`${row} td.time`))!;
    expect(time).toMatch(/^\d\d:\d\d–\d\d:\d\d$/);
    const [start, end] = time.split('–') as [string, string];
    expect(await board.textContent(`${row} th`)).toBe('玉树市');
    expect(await board.textContent(`${row}`)).toContain('藏语');
    expect(await board.textContent('#roster-state')).toContain('草稿，尚未发布');
    // Nobody in Yushu speaks Mongolian: the page says so.
    expect(await board.textContent('#roster-uncovered')).toBe(`玉树藏族自治州 ${start}–${end}：缺蒙古语坐席 1 人`);
    expect(await noHorizontalOverflow(board)).toBe(true);
    await screenshot(board, 'built');

    // The same agent at the same time again: refused, the field named in Chinese.
    await board.selectOption('#roster-add-agent', { label: 'agent.yushu · 玉树市' });
    await board.selectOption('#roster-add-region', '632701');
    await board.selectOption('#roster-add-start', start);
    await board.selectOption('#roster-add-end', end);
    await board.click('#roster-add-submit');
    await board.waitForSelector('#roster-status[data-tone="error"]');
    expect(await board.textContent('#roster-status')).toMatch(/^body\.shifts\.1\.start：坐席 agent\.yushu \(agent\.yushu\) 已有 .* 的班次，与 .* 重叠$/);
    // Zadoi's agent added, then removed again.
    await board.selectOption('#roster-add-agent', { label: 'agent.zaduo · 杂多县' });
    await board.selectOption('#roster-add-region', '632722');
    await board.selectOption('#roster-add-start', '06:00');
    await board.selectOption('#roster-add-end', '08:00');
    await board.click('#roster-add-submit');
    await board.waitForSelector('#roster-rows tr[data-username="agent.zaduo"]');
    expect(await board.textContent('#roster-rows tr[data-username="agent.zaduo"] td.time')).toBe('06:00–08:00');
    await screenshot(board, 'added');
    await board.click('#roster-rows tr[data-username="agent.zaduo"] button');
    await board.waitForSelector('#roster-rows tr[data-username="agent.zaduo"]', { state: 'detached' });
    expect(await board.textContent('#roster-status')).toContain('已删除 agent.zaduo 06:00–08:00 的班次');

    // Nothing is published yet: the agent's desk shows no shift.
    const desk = await newPage();
    await signIn(desk, '/softphone', 'agent.yushu');
    await desk.waitForSelector('#agent-state[data-state="not_ready"]');
    await desk.waitForFunction(() => document.querySelector('#shifts-today')?.textContent === '今日无班次');

    await board.click('#roster-publish');
    await board.waitForFunction(() => document.querySelector('#roster-state')?.textContent?.includes('已发布'));
    expect(await board.textContent('#roster-state')).toMatch(/^玉树藏族自治州：已发布（sup\.yushu，/);
    expect(await board.isDisabled('#roster-publish')).toBe(true);
    expect(await noHorizontalOverflow(board)).toBe(true);
    await screenshot(board, 'published');

    // The desk reads its shifts when it signs in: a reload shows the published one.
    await desk.reload();
    await desk.waitForFunction((text) => document.querySelector('#shifts-today')?.textContent === text, `今日班次 ${start}–${end} 玉树市`);
    expect(await noHorizontalOverflow(desk)).toBe(true);
    await screenshot(desk, 'desk');
    await desk.click('#lang-toggle');
    expect(await desk.textContent('#shifts-today')).toMatch(new RegExp(`^Today's shift ${start}–${end} Yushu`, 'i'));
    await desk.click('#lang-toggle');

    // The wallboard: one agent rostered in Yushu city now, and signed in.
    await board.click('#tab-board');
    await board.waitForFunction(() => document.querySelector('#tile-roster .tile__value')?.textContent === '1 / 1', undefined, { timeout: 15_000 });
    await board.waitForFunction(() => document.querySelector('#region-rows tr[data-code="632701"] td:last-child')?.textContent === '1 / 1');
    expect(await board.textContent('#region-rows tr[data-code="632722"] td:last-child')).toBe('—');
    expect(await noHorizontalOverflow(board)).toBe(true);
    await screenshot(board, 'adherence');

    // The agents list: on shift and signed in; Zadoi's agent has no shift today.
    await board.click('#tab-agents');
    await board.waitForSelector('#agents-rows tr[data-username="agent.yushu"] td.roster-cell[data-roster="on"]');
    expect(await board.textContent('#agents-rows tr[data-username="agent.yushu"] td.roster-cell')).toBe(`在班 ${start}–${end} 玉树市 · 已登录`);
    expect(await board.getAttribute('#agents-rows tr[data-username="agent.zaduo"] td.roster-cell', 'data-roster')).toBe('none');
    expect(zaduo.id).toBeTruthy();

    // Signed out, the rostered agent shows as missing on the board.
    await desk.click('#logout');
    await desk.waitForSelector('#login-view:not([hidden])');
    await board.click('#tab-board');
    await board.waitForFunction(() => document.querySelector('#tile-roster .tile__value')?.textContent === '0 / 1', undefined, { timeout: 15_000 });
    expect(await board.getAttribute('#tile-roster', 'data-tone')).toBe('warn');
  });
});
