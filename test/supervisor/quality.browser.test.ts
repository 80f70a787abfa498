/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, watchPage } from '../support/browser';
import { startTestApp, type TestApp } from '../support/app';
import { setProvinceSettings } from '../support/province-settings';

/**
 * The 回访 / 质检 tab of /supervisor in a real browser (Debian's Chromium) at 1366×768, against the
 * real app with the simulator: a caller rates their call 1, the ticket is on the Yushu
 * supervisor's follow-up list (overdue marked), the supervisor books a call back and records the
 * outcome; then scores the ticket on the evaluation form and finds it in the per-agent table.
 * Screenshots in test-artifacts/supervisor/.
 */
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'supervisor');

describe('follow-up and quality tab in Chromium at 1366×768', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let page: Page;
  let agent: { id: string };
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestApp({ sim: { keyDelayMs: 0, timeScale: 0.001 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    await t.addUser({ username: 'sup.yushu', role: 'supervisor', region: '632700' });
    agent = await t.addUser({ username: 'agent.yushu', role: 'agent', region: '632701', languages: { zh: 5, bo: 4 }, topics: { labour: 5 } });
    // Every answered call is drawn for inspection, so the test's one call is in the sample.
    await setProvinceSettings(t.app, 'targets', { inspectionRate: 1 });
    await t.app.serviceTargets.reload();
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'zh-CN', viewport: { width: 1366, height: 768 } });
    watchPage(page, pageErrors);
  });
  afterEach(() => {
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await page?.close();
    await browser?.close();
    await t?.close();
  });

  let shot = 0;
  const screenshot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `quality-${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  const noHorizontalOverflow = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  const until = async (probe: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 600 && !(await probe()); i++) await new Promise((r) => setTimeout(r, 25));
    if (!(await probe())) throw new Error(`timed out waiting for ${what}`);
  };

  let ticket: { id: string; number: string };

  it('a simulated caller who rates the call 1 is on the follow-up list; overdue is marked; the supervisor books a call back and records the outcome', async () => {
    // A Yushu landline: Mandarin, labour, no priority group, 玉树市, and a survey score of 1.
    await t.app.router.login({ id: agent.id, username: 'agent.yushu', regionCode: '632701', languages: { zh: 5, bo: 4 }, topics: { labour: 5 } });
    await t.app.router.setReady(agent.id);
    const placed = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '09768123456', digits: '11011' } });
    expect(placed.statusCode).toBe(201);
    const callId = placed.json().callId as string;
    const sim = async () => (await t.app.inject({ method: 'GET', url: `/sim/calls/${callId}` })).json();
    await until(async () => t.app.router.liveAgent(agent.id)?.state === 'reserved', 'the offer');
    expect((await t.app.router.accept(agent.id, t.app.router.liveAgent(agent.id)!.offerId!)).ok).toBe(true);
    await until(async () => (await sim()).status === 'connected', 'the caller to be put through');
    await t.app.router.agentHangup(agent.id, callId);
    await until(async () => (await sim()).status === 'ended', 'the survey and the end of the call');
    expect((await sim()).surveyScore).toBe(1);
    await t.app.router.endWrapUp(agent.id, 'not_ready');
    await t.app.callFlow.settled();
    await t.app.records.drained();
    ticket = await t.app.db.selectFrom('tickets').select(['id', 'number']).where('call_id', '=', callId).executeTakeFirstOrThrow();

    await page.goto(`${base}/supervisor`);
    await page.fill('#username', 'sup.yushu');
    await page.fill('#password', 'test-password-1');
    await page.click('#login');
    await page.waitForSelector('#console:not([hidden])');
    await page.click('#tab-quality');
    const row = `#followups-rows tr[data-ticket="${ticket.number}"]`;
    await page.waitForSelector(row);
    expect(await page.textContent(`${row} td:nth-of-type(1)`)).toBe('玉树市');
    expect(await page.textContent(`${row} td:nth-of-type(3)`)).toBe('1');
    expect(await page.getAttribute(row, 'data-overdue')).toBe('no');
    expect(await page.textContent(`${row} .badge`)).toBe('待回访');

    // Past its deadline it stands out, in words as well as colour.
    await t.app.db.updateTable('follow_ups').set({ due_at: new Date(Date.now() - 3600_000) }).where('ticket_id', '=', ticket.id).execute();
    await page.click('#followups-reload');
    await page.waitForSelector(`${row}[data-overdue="yes"]`);
    expect(await page.textContent(`${row} .badge`)).toBe('已逾期');
    expect(await noHorizontalOverflow()).toBe(true);
    await screenshot('follow-up-overdue');

    await page.click(`${row} button[data-action="followups.callBack"]`);
    // The button is disabled while the request is out as well; the answer puts the call back in its cell.
    await page.waitForFunction((cell) => /^(待拨打|拨打中)$/.test(document.querySelector(cell)?.textContent ?? ''), `${row} td:nth-of-type(6)`);
    await page.waitForSelector(`${row} button[data-action="followups.callBack"][disabled]`);
    expect(await page.textContent(`${row} td:nth-of-type(6)`)).toMatch(/^(待拨打|拨打中)$/);
    const callback = await t.app.db.selectFrom('callbacks').select(['reason', 'status']).where('ticket_id', '=', ticket.id).executeTakeFirstOrThrow();
    expect(callback.reason).toBe('follow_up');

    await page.click(`${row} button[data-action="followups.record"]`);
    await page.waitForSelector('#outcome-form:not([hidden])');
    expect(await page.textContent('#outcome-heading')).toContain(ticket.number);
    await page.selectOption('#outcome-select', 'explained');
    await page.fill('#outcome-note', '已回电说明劳动仲裁时效，来电人表示理解');
    expect(await noHorizontalOverflow()).toBe(true);
    await page.click('#outcome-save');
    await page.waitForSelector('#outcome-form', { state: 'hidden' });
    // Closed: off the open list, on the done list with its outcome.
    await page.waitForSelector(row, { state: 'detached' });
    await page.selectOption('#followups-status', 'done');
    await page.waitForSelector(`${row}[data-status="done"]`);
    expect(await page.textContent(`${row} .badge`)).toBe('已解释说明');
    expect(await page.textContent(row)).toContain('已回电说明劳动仲裁时效');
    const saved = await t.app.db.selectFrom('follow_ups').select(['status', 'outcome', 'note']).where('ticket_id', '=', ticket.id).executeTakeFirstOrThrow();
    expect(saved).toEqual({ status: 'done', outcome: 'explained', note: '已回电说明劳动仲裁时效，来电人表示理解' });
    expect((await t.app.db.selectFrom('callbacks').select('status').where('ticket_id', '=', ticket.id).executeTakeFirstOrThrow()).status).toBe('cancelled');
    expect(await noHorizontalOverflow()).toBe(true);
    await screenshot('follow-up-done');
  });

  it('scores the ticket on the evaluation form; it shows in the per-agent table and the month\'s figures; and reads in English', async () => {
    const row = `#inspections-rows tr[data-ticket="${ticket.number}"]`;
    await page.waitForSelector(row);
    await page.click(`${row} button[data-action="inspections.score"]`);
    await page.waitForSelector('#inspection-form:not([hidden])');
    expect(await page.$$eval('#inspection-criteria .field__label', (els) => els.map((e) => e.textContent))).toEqual(['礼貌用语（0–15）', '法律解答准确（0–40）', '服务态度（0–25）', '工单完整（0–20）']);
    await page.fill('#score-greeting', '12');
    await page.fill('#score-legal_answer', '36');
    await page.fill('#score-attitude', '22');
    await page.fill('#score-ticket_completeness', '25');
    // Over the criterion's maximum: refused on the page, nothing sent.
    await page.click('#inspection-save');
    await page.waitForSelector('.message--error');
    expect(await page.textContent('.message--error')).toContain('工单完整');
    expect(await t.app.db.selectFrom('quality_inspections').select('id').where('ticket_id', '=', ticket.id).execute()).toEqual([]);
    await page.fill('#score-ticket_completeness', '18');
    await page.fill('#inspection-comment', '法律依据准确，工单记录完整');
    expect(await page.textContent('#inspection-total')).toBe('合计 88 / 100');
    expect(await noHorizontalOverflow()).toBe(true);
    await screenshot('inspection-form');
    await page.click('#inspection-save');
    await page.waitForSelector('#inspection-form', { state: 'hidden' });
    await page.waitForSelector(row, { state: 'detached' });
    expect((await t.app.db.selectFrom('quality_inspections').select(['total', 'max_total']).where('ticket_id', '=', ticket.id).executeTakeFirstOrThrow())).toEqual({ total: 88, max_total: 100 });

    const agentRow = '#agent-quality-rows tr[data-username="agent.yushu"]';
    await page.waitForSelector(agentRow);
    expect(await page.$$eval(`${agentRow} td`, (tds) => tds.map((td) => td.textContent))).toEqual(['1', '88 / 100', '12', '36', '22', '18']);
    expect(await page.$$eval('#agent-quality-head th', (ths) => ths.map((th) => th.textContent))).toEqual(['坐席', '质检数', '平均分', '礼貌用语 (15)', '法律解答准确 (40)', '服务态度 (25)', '工单完整 (20)']);

    // This month in Yushu: one answer, a 1 (satisfaction 0 %, below 90 %); one of one answered
    // call inspected (100 %); the one dissatisfied caller followed up, but after the deadline the
    // first test moved into the past (0 % in time, below 100 %).
    await page.waitForFunction(() => /100\.0%/.test(document.querySelector('#quality-targets')?.textContent ?? ''));
    const figures = await page.$$eval('#quality-targets > div', (divs) => divs.map((d) => [d.querySelector('dt')?.textContent, d.querySelector('dd')?.firstChild?.textContent, d.querySelector('dd')?.dataset.met ?? null]));
    expect(figures).toEqual([
      ['满意率', '0.0%', 'no'],
      ['质检率', '100.0%', 'yes'],
      ['不满意回访率（按时）', '0.0%', 'no'],
      ['逾期未回访', expect.stringMatching(/^(\d+|—)$/), expect.anything()],
    ]);
    expect(await noHorizontalOverflow()).toBe(true);
    await screenshot('per-agent-and-targets');

    await page.selectOption('#inspections-status', 'done');
    await page.waitForSelector(`${row} button[data-action="inspections.rescore"]`);
    expect(await page.textContent(`${row} td.num`)).toBe('88 / 100');

    await page.click('#lang-toggle');
    expect(await page.textContent('#tab-quality')).toBe('Follow-up & quality');
    expect(await page.textContent('#followups-heading')).toBe('Follow-ups of dissatisfied callers');
    expect(await page.$$eval('#agent-quality-head th', (ths) => ths.map((th) => th.textContent))).toContain('Correctness of the legal answer (40)');
    expect(await noHorizontalOverflow()).toBe(true);
    await screenshot('english');
    await page.click('#lang-toggle');
  });
});
