/// <reference lib="dom" />
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startTestApp, type TestApp } from '../support/app';

/**
 * The sign-in in a real browser (Debian's Chromium): a desk tab closed and opened again is still
 * signed in (the httpOnly session cookie, POST /api/auth/refresh), the WebSocket carries the
 * token as a subprotocol and never in its URL, and signing out ends the kept sign-in. The same
 * for the wallboard.
 */

describe('sign-in that survives a closed tab, in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  const pageErrors: string[] = [];
  const socketUrls: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    await t.addUser({ username: 'agent.xining', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    await t.addUser({ username: 'sup.xining', role: 'supervisor', region: '630100' });
    browser = await launchChromium();
  });
  beforeEach(async () => {
    context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1366, height: 768 } });
  });
  afterEach(async () => {
    await context.close();
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const open = async (path: string): Promise<Page> => {
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('websocket', (ws) => socketUrls.push(ws.url()));
    await page.goto(`${base}${path}`);
    return page;
  };
  const signIn = async (page: Page, username: string) => {
    await page.fill('#username', username);
    await page.fill('#password', 'test-password-1');
    await page.click('#login');
  };

  it('an agent closes the desk tab and opens it again: still signed in, the socket URL without the token; signing out asks for the password next time', async () => {
    const first = await open('/softphone');
    await signIn(first, 'agent.xining');
    await first.waitForSelector('#agent-state[data-state="not_ready"]');
    await first.close();

    const again = await open('/softphone');
    // No form to fill: the desk comes back by itself.
    await again.waitForSelector('#agent-state[data-state="not_ready"]');
    expect(await again.isHidden('#login-form')).toBe(true);
    expect(socketUrls.length).toBeGreaterThanOrEqual(2);
    for (const url of socketUrls) expect(url).not.toMatch(/token/i);
    // The kept sign-in is out of the page's reach (httpOnly) and scoped to the sign-in routes.
    const cookie = (await context.cookies()).find((c) => c.name === 'hotline_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/auth' });
    expect(await again.evaluate(() => document.cookie)).toBe('');

    await again.click('#logout');
    await again.waitForSelector('#login-form:not([hidden])');
    await again.close();
    const later = await open('/softphone');
    await later.waitForSelector('#login-form:not([hidden])');
    await later.waitForTimeout(300);
    expect(await later.isVisible('#login-form')).toBe(true);
  });

  it('a supervisor reopens the wallboard signed in; an agent\'s kept sign-in does not open it', async () => {
    const board = await open('/supervisor');
    await signIn(board, 'sup.xining');
    await board.waitForSelector('.map-tile[data-code="630102"]');
    await board.close();
    const again = await open('/supervisor');
    await again.waitForSelector('.map-tile[data-code="630102"]');
    await again.close();

    await context.clearCookies();
    const desk = await open('/softphone');
    await signIn(desk, 'agent.xining');
    await desk.waitForSelector('#agent-state[data-state="not_ready"]');
    const wallboard = await open('/supervisor');
    await wallboard.waitForSelector('#login-form:not([hidden])');
    await wallboard.waitForTimeout(300);
    expect(await wallboard.isVisible('#login-form')).toBe(true);
  });
});
