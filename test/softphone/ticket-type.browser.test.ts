/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, watchPage } from '../support/browser';
import { bearer, startTestApp, type TestApp } from '../support/app';

/**
 * The ticket type (工单类型) on the softphone in a real browser (Debian's Chromium) against the
 * real app with the simulator: an agent marks a call's ticket as a complaint, the choice survives
 * a reload and reaches the tickets API, and the next call's ticket starts as a consultation again.
 * At the 1366×768 of a typical desk screen; screenshots are kept in test-artifacts/softphone/.
 */
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'softphone');

describe('softphone ticket type in Chromium', () => {
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
  const screenshot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `ticket-type-${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  const chosenType = () => page.$eval('#ticket-type', (el) => ({ value: (el as HTMLSelectElement).value, label: (el as HTMLSelectElement).selectedOptions[0]?.textContent ?? '' }));
  const typeLabels = () => page.$$eval('#ticket-type option', (els) => els.map((e) => e.textContent));
  const noHorizontalOverflow = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  const answerCall = async () => {
    const placed = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '13519712345', digits: '11015' } });
    expect(placed.statusCode).toBe(201);
    const callId = placed.json().callId as string;
    await page.waitForSelector('#offer:not([hidden])');
    await page.click('#accept');
    await page.waitForSelector('#agent-state[data-state="on_call"]');
    await page.waitForFunction(() => /^QH-\d{8}-\d{6}$/.test(document.querySelector('#ticket-number')?.textContent?.trim() ?? ''));
    return callId;
  };
  const hangUpAndFinish = async () => {
    await page.click('#hangup');
    await page.waitForSelector('#agent-state[data-state="wrap_up"]');
    await page.click('#wrapup-end');
    await page.waitForSelector('#agent-state[data-state="ready"]');
  };

  it('the agent marks a call as a complaint (投诉); it survives a reload, reaches the tickets API, and the next ticket starts as 咨询', async () => {
    await page.goto(`${base}/softphone`);
    await page.fill('#username', 'agent.xining');
    await page.fill('#password', 'test-password-1');
    await page.click('#login');
    await page.waitForSelector('#agent-state[data-state="not_ready"]');
    await page.click('#go-ready');
    await page.waitForSelector('#agent-state[data-state="ready"]');

    const callId = await answerCall();
    // A required choice with no empty option, consultation first and chosen.
    expect(await typeLabels()).toEqual(['咨询', '求助', '投诉', '建议']);
    expect(await chosenType()).toEqual({ value: 'consultation', label: '咨询' });
    expect(await page.$eval('#ticket-type', (el) => (el as HTMLSelectElement).required)).toBe(true);

    await page.selectOption('#ticket-type', { label: '投诉' });
    await page.fill('#ticket-summary', '对乡镇司法所调解结果不满，要求重新处理');
    await page.click('#ticket-save');
    await page.waitForSelector('#ticket-saved:not([hidden])');
    expect(await noHorizontalOverflow()).toBe(true);
    await screenshot('complaint-saved');

    await page.reload();
    await page.waitForSelector('#agent-state[data-state="on_call"]');
    await page.waitForFunction(() => (document.querySelector('#ticket-summary') as HTMLTextAreaElement | null)?.value === '对乡镇司法所调解结果不满，要求重新处理');
    expect(await chosenType()).toEqual({ value: 'complaint', label: '投诉' });

    // The same choice in English, and back.
    await page.click('#lang-toggle');
    expect(await typeLabels()).toEqual(['Consultation', 'Request for help', 'Complaint', 'Suggestion']);
    expect(await page.textContent('label:has(#ticket-type) .field__label')).toBe('Ticket type');
    expect(await chosenType()).toEqual({ value: 'complaint', label: 'Complaint' });
    expect(await noHorizontalOverflow()).toBe(true);
    await screenshot('complaint-english');
    await page.click('#lang-toggle');
    expect(await page.textContent('label:has(#ticket-type) .field__label')).toBe('工单类型');

    await hangUpAndFinish();
    const ticket = await t.app.db.selectFrom('tickets').select(['id', 'number', 'type']).where('call_id', '=', callId).executeTakeFirstOrThrow();
    expect(ticket.type).toBe('complaint');
    const listed = await t.app.inject({ method: 'GET', url: '/api/tickets?type=complaint', headers: bearer(agent.token) });
    expect(listed.json().items).toEqual([expect.objectContaining({ number: ticket.number, type: 'complaint' })]);

    // The next call's ticket is a consultation again, not the last call's complaint.
    const next = await answerCall();
    expect(await chosenType()).toEqual({ value: 'consultation', label: '咨询' });
    await hangUpAndFinish();
    const nextTicket = await t.app.db.selectFrom('tickets').select('type').where('call_id', '=', next).executeTakeFirstOrThrow();
    expect(nextTicket.type).toBe('consultation');
    await page.click('#go-not-ready');
    await page.waitForSelector('#agent-state[data-state="not_ready"]');
  });
});
