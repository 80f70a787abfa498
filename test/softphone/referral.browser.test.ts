/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startTestApp, type TestApp } from '../support/app';

/**
 * The softphone's referral panel in a real browser (Debian's Chromium) against the real app
 * with the simulator: a Yushu agent answers a call from a Yushu landline, pre-checks legal aid
 * for a migrant worker's unpaid wages, refers the caller to the nearest legal aid centre, then
 * diverts them to the 12345 hotline as well. Screenshots are kept in test-artifacts/softphone/.
 */
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'softphone');
const YUSHU = '632700';
/** 0976 is Yushu's area code (provinces/630000-qinghai.json): the call is placed in the prefecture. */
const YUSHU_LANDLINE = '09768123456';
const DIVERSION = '12345 政务服务便民热线';

describe('softphone referral panel in Chromium', () => {
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
    await t.addUser({ username: 'agent.yushu', role: 'agent', region: YUSHU, languages: { zh: 5 }, topics: { labour: 5 } });
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

  let shot = 0;
  const screenshot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `referral-${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  const textOf = async (selector: string) => (await page.textContent(selector)) ?? '';

  /** The organisation the server routes to: the nearest of the kind up the region's lineage. */
  const nearestOrganisation = async (regionCode: string, kind: 'legal_aid_centre' | 'mediation_committee') => {
    const lineage = t.app.regions.lineage(regionCode).map((r) => r.code);
    const rows = await t.app.db.selectFrom('organisations').select(['code', 'name_zh', 'name_en', 'region_code']).where('kind', '=', kind).where('region_code', 'in', lineage).execute();
    for (const code of lineage) {
      const found = rows.filter((r) => r.region_code === code).sort((a, b) => a.code.localeCompare(b.code))[0];
      if (found) return found;
    }
    throw new Error(`no ${kind} serves ${regionCode}`);
  };

  it('refers a Yushu caller to legal aid after the pre-check, then diverts them to 12345; the outcome follows', async () => {
    await page.goto(`${base}/softphone`);
    await page.fill('#username', 'agent.yushu');
    await page.fill('#password', 'test-password-1');
    await page.click('#login');
    await page.waitForSelector('#agent-state[data-state="not_ready"]');
    // No ticket yet: no referral panel.
    expect(await page.isHidden('#referral')).toBe(true);

    await page.click('#go-ready');
    await page.waitForSelector('#agent-state[data-state="ready"]');

    // Chinese, labour, no priority group, the first county offered, survey 5.
    const placed = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: YUSHU_LANDLINE, digits: '11015' } });
    expect(placed.statusCode).toBe(201);
    const callId = placed.json().callId as string;

    await page.waitForSelector('#offer:not([hidden])');
    expect(await textOf('#offer-region')).toContain('玉树');
    await page.click('#accept');
    await page.waitForSelector('#call:not([hidden])');
    await page.waitForFunction(() => /^QH-\d{8}-\d{6}$/.test(document.querySelector('#ticket-number')?.textContent?.trim() ?? ''));
    await page.waitForSelector('#referral:not([hidden])');

    const call = await t.app.db.selectFrom('calls').select(['region_code']).where('id', '=', callId).executeTakeFirstOrThrow();
    expect(call.region_code).toMatch(/^6327/); // Yushu prefecture or one of its counties
    const ticket = await t.app.db.selectFrom('tickets').select(['id', 'region_code']).where('call_id', '=', callId).executeTakeFirstOrThrow();
    expect(ticket.region_code).toBe(call.region_code);
    const centre = await nearestOrganisation(call.region_code!, 'legal_aid_centre');
    expect(centre.name_zh).toMatch(/^玉树藏族自治州.*法律援助中心$/);

    // Legal aid is the default kind: matter, groups and means are offered; the department is not.
    await page.selectOption('#referral-kind', 'legal_aid');
    expect(await page.isVisible('#referral-matter')).toBe(true);
    expect(await page.isHidden('#referral-department')).toBe(true);

    // Sending without a matter is stopped on the page, next to the form.
    await page.click('#referral-send');
    await page.waitForSelector('#referral-error:not([hidden])');
    expect(await textOf('#referral-error')).toContain('请选择法律援助事项');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('referral-matter');

    await page.selectOption('#referral-matter', 'labour_wages_injury');
    await page.check('input.referral-group[value="migrant_worker"]');
    expect(await page.isHidden('#referral-error')).toBe(true);
    await page.click('#referral-check');
    await page.waitForSelector('#referral-verdict:not([hidden])');
    const verdict = await textOf('#referral-verdict');
    expect(verdict).toContain('初步判断：可能符合法律援助条件');
    expect(verdict).toContain('农民工'); // the reason, in Chinese
    expect(verdict).toContain('免予审查');
    expect(await page.getAttribute('#referral-verdict', 'data-verdict')).toBe('likely_eligible');
    await screenshot('legal-aid-pre-check');

    // Changing an answer takes the stale pre-check away.
    await page.fill('#referral-income', '3000');
    await page.waitForSelector('#referral-verdict', { state: 'hidden' });
    await page.fill('#referral-income', '');

    await page.fill('#referral-note', '老板拖欠三个月工资，约 12000 元');
    await page.click('#referral-send');
    await page.waitForSelector('#referral-result:not([hidden])');
    await page.waitForFunction((name) => document.querySelector('#referral-result')?.textContent?.includes(name), centre.name_zh);
    const result = await textOf('#referral-result');
    expect(result).toContain(centre.name_zh);
    expect(result).toContain('待受理');
    expect(result).toContain('可能符合法律援助条件');
    expect(await page.inputValue('#ticket-outcome')).toBe('refer_legal_aid');
    expect(await page.inputValue('#referral-note')).toBe('');
    await screenshot('legal-aid-referred');

    const referrals = await t.app.db.selectFrom('referrals').selectAll().where('ticket_id', '=', ticket.id).execute();
    expect(referrals).toHaveLength(1);
    expect(referrals[0]).toMatchObject({ kind: 'legal_aid', status: 'pending' });
    expect((referrals[0]!.eligibility as { verdict: string; incomeTest: string }).verdict).toBe('likely_eligible');
    expect((referrals[0]!.eligibility as { verdict: string; incomeTest: string }).incomeTest).toBe('waived');
    const org = await t.app.db.selectFrom('organisations').select('code').where('id', '=', referrals[0]!.organisation_id!).executeTakeFirstOrThrow();
    expect(org.code).toBe(centre.code);
    const saved = await t.app.db.selectFrom('tickets').select('outcome').where('id', '=', ticket.id).executeTakeFirstOrThrow();
    expect(saved.outcome).toBe('refer_legal_aid');

    // The call ends; the ticket (and its referral panel) stay for wrap-up.
    await page.click('#hangup');
    await page.waitForSelector('#agent-state[data-state="wrap_up"]');
    await page.waitForSelector('#referral:not([hidden])');

    // Diversion: the department field (with its suggestions) replaces the legal aid questions.
    await page.selectOption('#referral-kind', 'diversion');
    expect(await page.isHidden('#referral-matter')).toBe(true);
    await page.click('#referral-send');
    await page.waitForSelector('#referral-error:not([hidden])');
    expect(await textOf('#referral-error')).toContain('分流部门');
    const suggestions = await page.$$eval('#referral-departments option', (options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(suggestions).toContain(DIVERSION);
    await page.focus('#referral-department');
    await page.keyboard.type(DIVERSION);
    await page.focus('#referral-send');
    await page.keyboard.press('Enter');
    await page.waitForFunction((name) => document.querySelectorAll('#referral-list li').length === 2 && document.querySelector('#referral-list li:last-child')?.textContent?.includes(name), DIVERSION);
    expect(await textOf('#referral-list li:last-child')).toContain('已分流');
    expect(await textOf('#referral-result')).toContain(centre.name_zh); // the first referral is still listed
    expect(await page.inputValue('#ticket-outcome')).toBe('divert');
    expect(await page.isHidden('#referral-error')).toBe(true);
    await screenshot('diverted');

    const all = await t.app.db.selectFrom('referrals').select(['kind', 'department', 'status']).where('ticket_id', '=', ticket.id).orderBy('created_at').execute();
    expect(all).toEqual([
      { kind: 'legal_aid', department: null, status: 'pending' },
      { kind: 'diversion', department: DIVERSION, status: 'closed' },
    ]);

    // In English, the organisation, verdict and status follow the language.
    await page.click('#lang-toggle');
    const english = await textOf('#referral-result');
    expect(english).toContain(centre.name_en);
    expect(english).toContain('likely eligible');
    expect(english).toContain(DIVERSION);
    expect(await textOf('#referral-heading')).toMatch(/Referral/);
    await screenshot('english');
    await page.click('#lang-toggle');

    await page.click('#wrapup-end');
    await page.waitForSelector('#agent-state[data-state="ready"]');
    await page.click('#go-not-ready');
    await page.waitForSelector('#agent-state[data-state="not_ready"]');
  });
});
