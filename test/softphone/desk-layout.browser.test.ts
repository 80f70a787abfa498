/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startTestApp, type TestApp } from '../support/app';

/**
 * The desk as a new agent meets it at 1366×768 (issue 16): one screen in every state, honest
 * messages (a non-mainland transfer, a declined offer, too many sign-ins), toasts that go, and the
 * referrals of the call back after a reload. Screenshots in test-artifacts/softphone/desk-*.
 */
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'softphone');
const VIEWPORT = { width: 1366, height: 768 };

describe('the agent desk on one screen (Chromium, 1366×768)', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    await t.addUser({ username: 'agent.desk', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    // A long name: the top bar must still be one line.
    await t.app.db.updateTable('agents').set({ display_name: 'Tsering Dorje Gyaltsen Namgyal (night shift, Xining)' }).where('username', '=', 'agent.desk').execute();
    browser = await launchChromium();
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'zh-CN', viewport: VIEWPORT });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/.test(m.text())) pageErrors.push(m.text());
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

  let shot = 0;
  const screenshot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `desk-${String(++shot).padStart(2, '0')}-${name}.png`) });
  const textOf = async (selector: string) => (await page.textContent(selector)) ?? '';
  /** Neither scrolls: the page is the viewport, columns scroll inside. */
  const expectOneScreen = async () => {
    const size = await page.evaluate(() => ({ h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth, ih: innerHeight, iw: innerWidth }));
    expect(size.h).toBeLessThanOrEqual(size.ih);
    expect(size.w).toBeLessThanOrEqual(size.iw);
  };
  /** One line: no taller than one line of its own text (a wrap doubles it). */
  const oneLine = (selector: string) =>
    page.$eval(selector, (el) => {
      const line = parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.5;
      const rects = [...el.querySelectorAll('*'), el].filter((e) => (e as HTMLElement).offsetParent !== null && e.getClientRects().length).map((e) => e.getBoundingClientRect());
      const tops = new Set(rects.filter((r) => r.height > 0 && r.height < line * 1.8).map((r) => Math.round(r.top + r.height / 2)));
      return { height: el.getBoundingClientRect().height, line, centres: tops.size };
    });
  const signIn = async () => {
    await page.goto(`${base}/softphone`);
    await page.fill('#username', 'agent.desk');
    await page.fill('#password', 'test-password-1');
    await page.click('#login');
    await page.waitForSelector('#agent-state[data-state="not_ready"]');
  };
  const placeCall = async () => {
    const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '09718123456', digits: '11015' } });
    expect(res.statusCode).toBe(201);
    return res.json().callId as string;
  };
  const ready = async () => {
    await page.click('#go-ready');
    await page.waitForSelector('#agent-state[data-state="ready"]');
  };

  it('fits 1366×768 idle, ringing, in a call and in wrap-up; referrals of the call come back after a reload', async () => {
    await signIn();
    await page.waitForSelector('#shifts-panel:not([hidden])');
    expect(await page.getAttribute('#desk', 'data-mode')).toBe('idle');
    await expectOneScreen();
    await screenshot('idle');

    await ready();
    const callId = await placeCall();
    await page.waitForSelector('#offer:not([hidden])');
    expect(await page.getAttribute('#desk', 'data-mode')).toBe('ringing');
    // Ringing uses the space: the queue figures and shifts stay beside the offer.
    expect(await page.isVisible('#queue-panel')).toBe(true);
    await expectOneScreen();
    await screenshot('ringing');

    await page.click('#accept');
    await page.waitForSelector('#call:not([hidden])');
    await page.waitForSelector('#referral:not([hidden])');
    expect(await page.getAttribute('#desk', 'data-mode')).toBe('work');
    await expectOneScreen();
    // What a call needs is in sight without scrolling: the strip's buttons, the ticket's save, the referral's send.
    for (const id of ['#hangup', '#hold', '#ticket-save', '#referral-send', '#transfer']) {
      await page.$eval(id, (el) => el.scrollIntoView({ block: 'nearest' }));
      const box = await page.$eval(id, (el) => el.getBoundingClientRect().toJSON() as DOMRect);
      expect(box.bottom).toBeLessThanOrEqual(VIEWPORT.height);
    }
    expect(await page.$eval('#hangup', (el) => el.getBoundingClientRect().bottom)).toBeLessThanOrEqual(VIEWPORT.height);
    // The masked number is one line.
    expect((await oneLine('#call-number')).centres).toBe(1);
    await screenshot('in-call');

    // A mediation referral, then a reload mid-call: it is listed again.
    await page.selectOption('#referral-kind', 'mediation');
    await page.click('#referral-send');
    await page.waitForFunction(() => document.querySelectorAll('#referral-list li').length === 1);
    await page.reload();
    await page.waitForSelector('#agent-state[data-state="on_call"]');
    await page.waitForFunction(() => document.querySelectorAll('#referral-list li').length === 1);
    expect(await textOf('#referral-list')).toContain('调解');
    await expectOneScreen();
    await screenshot('in-call-after-reload');

    await page.click('#hangup');
    await page.waitForSelector('#agent-state[data-state="wrap_up"]');
    await page.waitForSelector('#wrapup:not([hidden])');
    await expectOneScreen();
    await screenshot('wrap-up');
    // A reload in wrap-up: the ticket, its referral and the caller's history are all back.
    await page.reload();
    await page.waitForSelector('#agent-state[data-state="wrap_up"]');
    await page.waitForFunction(() => document.querySelectorAll('#referral-list li').length === 1);
    expect(await page.$eval('#history-panel', (el) => (el as HTMLElement).hidden)).toBe(false);
    await expectOneScreen();
    await screenshot('wrap-up-after-reload');

    const referrals = await t.app.db.selectFrom('referrals').innerJoin('tickets', 'tickets.id', 'referrals.ticket_id').select('referrals.id').where('tickets.call_id', '=', callId).execute();
    expect(referrals).toHaveLength(1);
    await page.click('#wrapup-not-ready');
    await page.waitForSelector('#agent-state[data-state="not_ready"]');
  });

  it('a transfer to a non-mainland number says "mainland numbers only"; a declined offer is labelled declined; toasts go and are at most three', async () => {
    await signIn();
    await ready();
    await placeCall();
    await page.waitForSelector('#offer:not([hidden])');
    await page.click('#accept');
    await page.waitForSelector('#agent-state[data-state="on_call"]');

    await page.selectOption('#transfer-kind', 'number');
    await page.fill('#transfer-number', '+14155550100');
    await page.click('#transfer');
    await page.waitForFunction(() => /只能转接中国大陆号码/.test(document.querySelector('#messages')?.textContent ?? ''));
    // Errors stay until dismissed, and no more than three are on screen.
    await page.selectOption('#transfer-kind', 'agent');
    for (let i = 0; i < 4; i++) await page.click('#transfer'); // no colleague chosen: refused on the page each time
    expect(await page.$$eval('#messages .message', (els) => els.length)).toBe(3);
    for (const close of await page.$$('#messages .message__close')) await close.click();
    expect(await page.$$eval('#messages .message', (els) => els.length)).toBe(0);

    // Hanging up tells the agent the call ended: information that goes by itself.
    await page.click('#hangup');
    await page.waitForSelector('#messages .message--info');
    await page.waitForSelector('#messages .message--info', { state: 'detached', timeout: 20_000 });
    await page.waitForSelector('#agent-state[data-state="wrap_up"]');
    await page.click('#wrapup-end');
    await page.waitForSelector('#agent-state[data-state="ready"]');

    const second = await placeCall();
    await page.waitForSelector('#offer:not([hidden])');
    await page.click('#decline');
    await page.waitForSelector('#agent-state[data-state="not_ready"]');
    const label = await textOf('#agent-state');
    expect(label).toContain('拒接');
    expect(label).not.toContain('未接');
    expect(t.app.router.liveAgent((await t.app.db.selectFrom('agents').select('id').where('username', '=', 'agent.desk').executeTakeFirstOrThrow()).id)).toMatchObject({ reason: 'declined' });
    await t.app.inject({ method: 'POST', url: `/sim/calls/${second}/hangup` });
  });

  it('in English the top bar and the masked number stay on one line', async () => {
    await signIn();
    await page.click('#lang-toggle');
    await ready();
    const callId = await placeCall();
    await page.waitForSelector('#offer:not([hidden])');
    const bar = await oneLine('.topbar');
    expect(bar.height).toBeLessThan(64);
    expect((await oneLine('#offer-number')).centres).toBe(1);
    await page.click('#accept');
    await page.waitForSelector('#call:not([hidden])');
    expect((await oneLine('#call-number')).centres).toBe(1);
    expect((await oneLine('.topbar')).height).toBeLessThan(64);
    // The cut name is whole in the title.
    expect(await page.getAttribute('#agent-name', 'title')).toContain('Tsering Dorje Gyaltsen Namgyal');
    await expectOneScreen();
    await screenshot('english-in-call');
    await page.click('#hangup');
    await page.waitForSelector('#agent-state[data-state="wrap_up"]');
    await page.click('#wrapup-not-ready');
    await page.waitForSelector('#agent-state[data-state="not_ready"]');
    expect(t.app.router.liveCall(callId)).toBeUndefined();
    await page.click('#lang-toggle');
  });

  it('too many sign-ins: the wait is shown in Chinese', async () => {
    await page.goto(`${base}/softphone`);
    // The limit is per address: the page's own address makes wrong attempts until it answers 429.
    const status = await page.evaluate(async () => {
      for (let i = 0; i < 40; i++) {
        const res = await fetch('/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'agent.desk', password: 'wrong-password' }) });
        if (res.status === 429) return 429;
      }
      return 0;
    });
    expect(status).toBe(429);
    await page.fill('#username', 'agent.desk');
    await page.fill('#password', 'wrong-password');
    await page.click('#login');
    await page.waitForSelector('#login-error:not([hidden])');
    const text = await textOf('#login-error');
    expect(text).toMatch(/请\s*\d+\s*秒后再试/);
    expect(text).not.toContain('请求有误');
    await screenshot('rate-limited');
  });
});
