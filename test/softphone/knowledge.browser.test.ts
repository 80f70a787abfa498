/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, watchPage } from '../support/browser';
import { bearer, startTestApp, type TestApp } from '../support/app';

/**
 * The knowledge base pane (知识库) on the softphone in a real browser (Debian's Chromium) against
 * the real app with the simulator, at the 1366×768 of a desk screen: on a call, typing the ticket
 * summary brings up the matching article; the agent searches in the caller's words, opens an
 * article and marks it used on the ticket, which the tickets API then lists. Screenshots are kept
 * in test-artifacts/softphone/.
 */
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'softphone');

describe('softphone knowledge base in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let page: Page;
  let agent: { id: string; token: string };
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    agent = await t.addUser({ username: 'agent.xining', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
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

  let shot = 0;
  const screenshot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `knowledge-${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  const noHorizontalOverflow = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  const titles = (box: string) => page.$$eval(`${box} .kb__title`, (els) => els.map((e) => e.textContent));

  it('on a call, the ticket summary brings up the matching article; a search finds, opens and links another to the ticket', async () => {
    await page.goto(`${base}/softphone`);
    await page.fill('#username', 'agent.xining');
    await page.fill('#password', 'test-password-1');
    await page.click('#login');
    await page.waitForSelector('#agent-state[data-state="not_ready"]');
    await page.click('#go-ready');
    await page.waitForSelector('#agent-state[data-state="ready"]');

    // A Mandarin labour call (keys: language 1, topic 1, no priority, county 1, survey 5).
    const placed = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '13519712345', digits: '11015' } });
    expect(placed.statusCode).toBe(201);
    const callId = placed.json().callId as string;
    await page.waitForSelector('#offer:not([hidden])');
    await page.click('#accept');
    await page.waitForSelector('#agent-state[data-state="on_call"]');
    await page.waitForFunction(() => /^QH-\d{8}-\d{6}$/.test(document.querySelector('#ticket-number')?.textContent?.trim() ?? ''));

    // The knowledge base is the work column's 知识库 tab, beside the referral and the history.
    await page.click('#tab-knowledge');
    // Before anything is typed: articles of the call's topic, labour.
    await page.waitForSelector('#kb-suggestions .kb__title');
    expect(await page.textContent('#knowledge-pane h2')).toBe('知识库');

    // The agent types what the caller says; the suggestion follows the text.
    await page.click('#ticket-summary');
    await page.keyboard.type('来电人在工地干活，包工头拖欠三个月工钱');
    await page.waitForFunction(() => document.querySelector('#kb-suggestions .kb__title')?.textContent === '农民工在工地干活被欠工资');
    expect((await titles('#kb-suggestions')).length).toBeLessThanOrEqual(3);
    expect(await noHorizontalOverflow()).toBe(true);
    await screenshot('suggested-from-summary');

    // The caller has a second question; the agent searches it as the caller put it.
    await page.fill('#kb-query', '房东不退押金怎么办');
    await page.click('#kb-search');
    await page.waitForFunction(() => document.querySelector('#kb-results .kb__title')?.textContent === '房东不退押金、租房纠纷');
    expect(await page.$$eval('#kb-results .kb__item:first-child mark', (els) => els.map((e) => e.textContent))).toEqual(expect.arrayContaining(['押金']));
    expect(await page.textContent('#kb-results .kb__item:first-child .kb__basis')).toContain('《中华人民共和国民法典》');

    await page.click('#kb-results .kb__item:first-child .kb__title');
    await page.waitForSelector('#kb-article:not([hidden]) #kb-use');
    expect(await page.textContent('#kb-article .kb__answer')).toContain('押金');
    await page.click('#kb-use');
    await page.waitForFunction(() => document.querySelector('#kb-use')?.textContent === '已用于本工单');
    expect(await page.$eval('#kb-use', (el) => (el as HTMLButtonElement).disabled)).toBe(true);
    expect(await titles('#kb-linked')).toEqual(['房东不退押金、租房纠纷']);
    expect(await noHorizontalOverflow()).toBe(true);
    await screenshot('article-linked');

    // The ticket says which article the agent used, and which version they read.
    const ticket = await t.app.db.selectFrom('tickets').select('id').where('call_id', '=', callId).executeTakeFirstOrThrow();
    const view = await t.app.inject({ method: 'GET', url: `/api/tickets/${ticket.id}`, headers: bearer(agent.token) });
    expect(view.json().knowledge).toEqual([expect.objectContaining({ title: '房东不退押金、租房纠纷', version: 1, linkedBy: { id: agent.id, username: 'agent.xining' } })]);

    // The pane follows the language switch.
    await page.click('#lang-toggle');
    expect(await page.textContent('#knowledge-pane h2')).toBe('Knowledge base');
    expect(await page.textContent('#kb-use')).toBe('Used on this ticket');
    expect(await noHorizontalOverflow()).toBe(true);
    await screenshot('english');
    await page.click('#lang-toggle');

    await page.click('#hangup');
    await page.waitForSelector('#agent-state[data-state="wrap_up"]');
    await page.click('#wrapup-end');
    await page.waitForSelector('#agent-state[data-state="ready"]');
    await page.click('#go-not-ready');
    await page.waitForSelector('#agent-state[data-state="not_ready"]');
  });
});
