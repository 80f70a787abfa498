/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startTestApp, type TestApp } from '../support/app';

/**
 * The softphone page in a real browser (Debian's Chromium, never a downloaded one) against the
 * real app with the simulator placing calls: what an agent does on a shift. Screenshots of each
 * step are kept in test-artifacts/softphone/.
 */
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'softphone');

describe('softphone page in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    await t.addUser({ username: 'agent.xining', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { labour: 5 } });
    browser = await launchChromium();
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'zh-CN' });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });
  afterEach(async () => {
    await page.close();
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const pageErrors: string[] = [];
  let shot = 0;
  const screenshot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  const placeCall = async () => {
    const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '13519712345', digits: '11015' } });
    expect(res.statusCode).toBe(201);
    return res.json().callId as string;
  };
  const signIn = async () => {
    await page.goto(`${base}/softphone`);
    await page.fill('#username', 'agent.xining');
    await page.fill('#password', 'test-password-1');
    await page.click('#login');
    await page.waitForSelector('#agent-state[data-state="not_ready"]');
  };

  it('an agent signs in, goes ready, answers a call, writes the ticket, hangs up and finishes wrap-up; a reload mid-call keeps the call', async () => {
    await signIn();
    await screenshot('signed-in');
    expect(await page.textContent('#agent-name')).toContain('agent.xining');

    await page.click('#go-ready');
    await page.waitForSelector('#agent-state[data-state="ready"]');

    const callId = await placeCall();
    await page.waitForSelector('#offer:not([hidden])');
    expect(await page.textContent('#offer-number')).toContain('135****2345');
    expect(await page.textContent('#offer-topic')).toContain('劳动');
    await screenshot('ringing');

    await page.click('#accept');
    await page.waitForSelector('#call:not([hidden])');
    await page.waitForFunction(() => /^QH-\d{8}-\d{6}$/.test(document.querySelector('#ticket-number')?.textContent?.trim() ?? ''));
    await page.waitForSelector('#agent-state[data-state="on_call"]');
    await page.waitForFunction(() => /\d+:\d{2}/.test(document.querySelector('#call-timer')?.textContent ?? ''));

    await page.fill('#ticket-summary', '农民工讨薪：老板拖欠三个月工资');
    await page.fill('#ticket-advice', '建议向劳动保障监察投诉，可申请法律援助');
    await page.selectOption('#ticket-outcome', 'refer_legal_aid');
    await page.check('#ticket-risk');
    await page.click('#ticket-save');
    await page.waitForSelector('#ticket-saved:not([hidden])');
    await screenshot('in-call-ticket-saved');
    // The simulator carries out consult transfers and interpreters: their controls are shown.
    expect(await page.isVisible('#interpreter-panel')).toBe(true);
    expect(await page.isVisible('#transfer-mode-field')).toBe(true);
    expect(await page.$$eval('#transfer-kind option:not([hidden])', (els) => els.map((e) => (e as HTMLOptionElement).value))).toEqual(['agent', 'region', 'number']);

    // Reload in the middle of the call: the page signs back in by itself and the call is still there.
    await page.reload();
    await page.waitForSelector('#call:not([hidden])');
    await page.waitForSelector('#agent-state[data-state="on_call"]');
    expect(await page.textContent('#call-number')).toContain('135****2345');
    expect(await page.inputValue('#ticket-summary')).toBe('农民工讨薪：老板拖欠三个月工资');
    await screenshot('after-reload');

    await page.click('#hangup');
    await page.waitForSelector('#agent-state[data-state="wrap_up"]');
    await page.waitForSelector('#wrapup:not([hidden])');
    await screenshot('wrap-up');
    await page.click('#wrapup-end');
    await page.waitForSelector('#agent-state[data-state="ready"]');

    const ticket = await t.app.db.selectFrom('tickets').selectAll().where('call_id', '=', callId).executeTakeFirstOrThrow();
    expect(ticket).toMatchObject({ summary: '农民工讨薪：老板拖欠三个月工资', advice: '建议向劳动保障监察投诉，可申请法律援助', outcome: 'refer_legal_aid', risk_flag: true });
    const call = await t.app.db.selectFrom('calls').select(['status', 'end_reason']).where('id', '=', callId).executeTakeFirstOrThrow();
    expect(call.end_reason).toBe('answered');

    await page.click('#go-not-ready');
    await page.waitForSelector('#agent-state[data-state="not_ready"]');
  });

  it('shows no consult, interpreter or outside-number control when the phone system cannot carry them out', async () => {
    // The hello of a phone system with none of them (an Asterisk account that may not Originate,
    // say): the server's own frames, with the capabilities such a service would send.
    await page.routeWebSocket(/\/agents\/ws/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => {
        const frame = JSON.parse(String(m));
        if (frame.type === 'hello') frame.capabilities = { forward: false, consult: false, interpreter: false, monitor: [] };
        ws.send(JSON.stringify(frame));
      });
    });
    await signIn();
    await page.click('#go-ready');
    await page.waitForSelector('#agent-state[data-state="ready"]');
    const callId = await placeCall();
    await page.waitForSelector('#offer:not([hidden])');
    await page.click('#accept');
    await page.waitForSelector('#call:not([hidden])');
    expect(await page.isHidden('#interpreter-panel')).toBe(true);
    expect(await page.isHidden('#transfer-mode-field')).toBe(true);
    expect(await page.$$eval('#transfer-kind option:not([hidden])', (els) => els.map((e) => (e as HTMLOptionElement).value))).toEqual(['agent', 'region']);
    await page.click('#hangup');
    await page.waitForSelector('#agent-state[data-state="wrap_up"]');
    await page.click('#wrapup-not-ready');
    await page.waitForSelector('#agent-state[data-state="not_ready"]');
    expect(t.app.router.liveCall(callId)).toBeUndefined();
  });

  it('an offer not accepted in time disappears from the page and the call goes back to the queue', async () => {
    t.app.router.settings = { ...t.app.router.settings, offerTimeoutSeconds: 2 };
    try {
      await signIn();
      await page.click('#go-ready');
      await page.waitForSelector('#agent-state[data-state="ready"]');
      const callId = await placeCall();
      await page.waitForSelector('#offer:not([hidden])');
      await page.waitForSelector('#offer', { state: 'hidden', timeout: 6_000 });
      await page.waitForSelector('#agent-state[data-state="not_ready"]');
      await screenshot('offer-withdrawn');
      expect(t.app.router.liveCall(callId)).toMatchObject({ status: 'waiting' });
      await t.app.inject({ method: 'POST', url: `/sim/calls/${callId}/hangup` });
    } finally {
      t.app.router.settings = { ...t.app.router.settings, offerTimeoutSeconds: 20 };
    }
  });

  it('switches to English and back', async () => {
    await signIn();
    const zh = await page.textContent('#go-ready');
    await page.click('#lang-toggle');
    const en = await page.textContent('#go-ready');
    expect(en).not.toEqual(zh);
    expect(en).toMatch(/[A-Za-z]/);
    await screenshot('english');
    await page.click('#lang-toggle');
    expect(await page.textContent('#go-ready')).toEqual(zh);
  });

  it('a wrong password is shown on the form, in Chinese', async () => {
    await page.goto(`${base}/softphone`);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await page.fill('#username', 'agent.xining');
    await page.fill('#password', 'wrong-password');
    await page.click('#login');
    await page.waitForSelector('#login-error:not([hidden])');
    expect(await page.textContent('#login-error')).toMatch(/[\u4e00-\u9fff]/);
  });
});
