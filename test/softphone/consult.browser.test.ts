/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startTestApp, type TestApp } from '../support/app';

/**
 * A consult transfer as agents do it in Chromium (issue 14): the Xining agent consults a Haidong
 * colleague on their desk, the caller waits on hold, the colleague answers, the agent completes,
 * and the colleague carries the call on with its ticket; then a supervisor listens to the
 * colleague's call from the wallboard. Screenshots in test-artifacts/consult/.
 */
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'consult');

describe('consult transfer and listening in Chromium', () => {
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
    await t.addUser({ username: 'agent.xining', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    await t.addUser({ username: 'agent.haidong', role: 'agent', region: '630200', languages: { zh: 5 }, topics: { labour: 5 } });
    await t.addUser({ username: 'sup.qinghai', role: 'supervisor', region: '630000' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  /** Each person in a browser context of their own (their own session storage), at 1366×768. */
  const open = async (url: string, username: string): Promise<Page> => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1366, height: 768 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${username}: ${err.message}`));
    await page.goto(`${base}${url}`);
    await page.fill('#username', username);
    await page.fill('#password', 'test-password-1');
    await page.click('#login');
    return page;
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const sim = async (callId: string) => (await t.app.inject({ method: 'GET', url: `/sim/calls/${callId}` })).json();
  const until = async (probe: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 800 && !(await probe()); i++) await new Promise((r) => setTimeout(r, 25));
    if (!(await probe())) throw new Error(`timed out waiting for ${what}`);
  };

  it('an agent consults a colleague and completes; the colleague has the call and its ticket; a supervisor listens from the wallboard', async () => {
    const a = await open('/softphone', 'agent.xining');
    const b = await open('/softphone', 'agent.haidong');
    for (const p of [a, b]) {
      await p.waitForSelector('#agent-state[data-state="not_ready"]');
      await p.click('#go-ready');
      await p.waitForSelector('#agent-state[data-state="ready"]');
    }
    // B takes a break while A answers, so the caller rings A.
    await b.click('#go-not-ready');
    await b.waitForSelector('#agent-state[data-state="not_ready"]');
    const placed = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '13519712345', digits: '11015' } });
    const callId = placed.json().callId as string;
    await a.waitForSelector('#offer:not([hidden])');
    await a.click('#accept');
    await a.waitForSelector('#call:not([hidden])');
    await a.waitForFunction(() => /^QH-\d{8}-\d{6}$/.test(document.querySelector('#ticket-number')?.textContent?.trim() ?? ''));
    const ticketNumber = (await a.textContent('#ticket-number'))!.trim();
    await a.fill('#ticket-summary', '工伤认定：需咨询海东同事当地仲裁委');
    await a.click('#ticket-save');
    await a.waitForSelector('#ticket-saved:not([hidden])');
    await b.click('#go-ready');
    await b.waitForSelector('#agent-state[data-state="ready"]');

    // A: consult transfer to B.
    expect(await a.isVisible('#transfer-mode-field')).toBe(true);
    await a.selectOption('#transfer-kind', 'agent');
    await a.waitForFunction(() => Array.from(document.querySelectorAll('#transfer-agent option')).some((o) => o.textContent?.includes('agent.haidong')));
    const bId = await a.$eval('#transfer-agent', (s) => Array.from((s as HTMLSelectElement).options).find((o) => o.textContent?.includes('agent.haidong'))!.value);
    await a.selectOption('#transfer-agent', bId);
    await a.selectOption('#transfer-mode', 'consult');
    await a.click('#transfer');
    await a.waitForSelector('#leg-panel:not([hidden])');
    expect(await a.textContent('#leg-status')).toContain('正在呼叫');
    expect(await a.isDisabled('#transfer')).toBe(true);

    // B's desk rings with the consult; B answers and sees whose call it is.
    await b.waitForSelector('#offer:not([hidden])');
    await b.click('#accept');
    await b.waitForSelector('#leg-banner:not([hidden])');
    expect(await b.textContent('#leg-banner')).toContain('请您协助咨询');
    await b.waitForFunction(() => document.querySelector('#leg-banner')?.textContent?.includes('agent.xining'));
    expect(await b.isHidden('#transfer-panel')).toBe(true);
    await a.waitForFunction(() => document.querySelector('#leg-status')?.textContent?.includes('来电者在等待中'));
    expect(await a.isVisible('#leg-complete')).toBe(true);
    expect(await a.isVisible('#leg-merge')).toBe(true);
    // The caller hears hold music while A and B talk.
    await until(async () => (await sim(callId)).leg?.mode === 'consult', 'the consult');
    expect((await sim(callId)).audio).toMatchObject({ caller: [], agent: ['target'], target: ['agent'] });
    await shot(a, 'a-consulting');
    await shot(b, 'b-consulted');
    for (const p of [a, b]) expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

    await a.click('#leg-complete');
    await a.waitForSelector('#agent-state[data-state="wrap_up"]');
    await b.waitForSelector('#leg-banner', { state: 'hidden' });
    await b.waitForFunction((n) => document.querySelector('#ticket-number')?.textContent?.trim() === n, ticketNumber);
    expect(await b.inputValue('#ticket-summary')).toBe('工伤认定：需咨询海东同事当地仲裁委');
    expect(await b.isVisible('#transfer-panel')).toBe(true);
    await until(async () => (await sim(callId)).agentUsername === 'agent.haidong', 'the caller with B');
    expect((await sim(callId)).audio).toMatchObject({ caller: ['agent'], agent: ['caller'] });
    await shot(b, 'b-has-the-call');

    // The provincial supervisor listens to B's call from the wallboard.
    const sup = await open('/supervisor', 'sup.qinghai');
    await sup.waitForSelector('#console:not([hidden])');
    await sup.click('#tab-agents');
    const row = '#agents-rows tr[data-username="agent.haidong"]';
    await sup.waitForSelector(`${row} button[data-action="monitor.listen"]`);
    await sup.click(`${row} button[data-action="monitor.listen"]`);
    await sup.waitForSelector(`${row} button[data-action="monitor.listen"][aria-pressed="true"]`);
    await until(async () => (await sim(callId)).supervisor?.mode === 'listen', 'the supervisor listening');
    expect((await sim(callId)).audio).toMatchObject({ caller: ['agent'], agent: ['caller'], supervisor: ['caller', 'agent'] });
    await shot(sup, 'supervisor-listening');

    await b.click('#hangup');
    await b.waitForSelector('#agent-state[data-state="wrap_up"]');
    await t.app.callFlow.settled();
    await t.app.callRecorder.flush();
    await t.app.records.drained();
    const timeline = await t.app.db.selectFrom('call_events').select('type').where('call_id', '=', callId).orderBy('id').execute();
    expect(timeline.map((e) => e.type).filter((type) => type.startsWith('leg.'))).toEqual(['leg.opened', 'leg.answered', 'leg.completed']);
    expect(pageErrors).toEqual([]);
  });
});
