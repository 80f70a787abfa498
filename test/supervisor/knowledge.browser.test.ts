/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, watchPage } from '../support/browser';
import { bearer, startTestApp, type TestApp } from '../support/app';

/**
 * The 知识库 tab of /supervisor in Debian's Chromium at 1366×768, against the real app: a
 * provincial supervisor finds an article, edits it (saved as version 2, the versions listed),
 * retires it, and agents no longer find it. Screenshots in test-artifacts/supervisor-knowledge/.
 */
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'supervisor-knowledge');

describe('knowledge tab of the supervisor page in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let page: Page;
  let agent: { id: string; token: string };
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    await t.addUser({ username: 'sup.province', role: 'supervisor', region: '630000' });
    agent = await t.addUser({ username: 'agent.xining', role: 'agent', region: '630102' });
    browser = await launchChromium();
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'zh-CN', viewport: { width: 1366, height: 768 } });
    watchPage(page, pageErrors);
  });
  afterEach(async () => {
    await page.close();
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const noHorizontalOverflow = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  const agentFinds = async (q: string) =>
    (await t.app.inject({ method: 'GET', url: `/api/knowledge?q=${encodeURIComponent(q)}`, headers: bearer(agent.token) })).json().items.map((i: { title: string }) => i.title);

  it('a supervisor edits an article into version 2 and retires it; agents stop finding it', async () => {
    await page.goto(`${base}/supervisor`);
    await page.fill('#username', 'sup.province');
    await page.fill('#password', 'test-password-1');
    await page.click('#login');
    await page.waitForSelector('#console:not([hidden])');
    expect(await page.textContent('#tab-knowledge')).toBe('知识库');
    await page.click('#tab-knowledge');
    await page.waitForSelector('#knowledge-view:not([hidden]) #kb-admin-table tbody tr');
    expect(await page.$$eval('#kb-admin-table tbody tr', (rows) => rows.length)).toBeGreaterThanOrEqual(30);

    await page.fill('#kb-admin-query', '被狗咬了');
    await page.click('.kb-admin__toolbar button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('#kb-admin-table tbody tr .link-button')?.textContent === '被狗咬伤谁负责');
    await page.click('#kb-admin-table tbody tr:first-child .link-button');
    await page.waitForSelector('#kb-admin-editor:not([hidden]) #kb-edit-answer');
    expect(await page.inputValue('#kb-edit-basis')).toContain('中华人民共和国民法典 第一千二百四十五条');

    await page.fill('#kb-edit-keywords', `${await page.inputValue('#kb-edit-keywords')}、藏獒咬人`);
    await page.fill('#kb-edit-note', '补充牧区常见说法');
    await page.click('#kb-edit-save');
    await page.waitForFunction(() => document.querySelectorAll('#kb-admin-versions li').length === 2);
    expect(await page.textContent('#kb-admin-versions li:first-child')).toContain('sup.province');
    expect(await page.textContent('#kb-admin-versions li:first-child')).toContain('补充牧区常见说法');
    expect(await agentFinds('藏獒咬人')).toContain('被狗咬伤谁负责');
    expect(await noHorizontalOverflow()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'knowledge-01-edited.png'), fullPage: true });

    await page.fill('#kb-retire-reason', '内容已合并');
    await page.click('#kb-retire');
    await page.waitForFunction(() => /已停用/.test(document.querySelector('#kb-admin-editor')?.textContent ?? ''));
    expect(await agentFinds('藏獒咬人')).not.toContain('被狗咬伤谁负责');

    // In English too.
    await page.click('#lang-toggle');
    expect(await page.textContent('#tab-knowledge')).toBe('Knowledge');
    expect(await noHorizontalOverflow()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'knowledge-02-retired-english.png'), fullPage: true });
  });
});
