/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, watchPage } from '../support/browser';
import { startTestApp, type TestApp } from '../support/app';
import { setProvinceSettings } from '../support/province-settings';

/**
 * The /supervisor page in a real browser (Debian's Chromium, never a downloaded one) against the
 * real app with the simulator placing calls: a prefecture supervisor watches their board, sees a
 * call arrive, moves an agent, and reads it in English. Screenshots in test-artifacts/supervisor/.
 */
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'supervisor');

describe('supervisor wallboard page in Chromium', () => {
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
    await t.addUser({ username: 'agent.xining', role: 'agent', region: '630102' });
    browser = await launchChromium();
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'zh-CN', viewport: { width: 1400, height: 1000 } });
    watchPage(page, pageErrors);
  });
  afterEach(async () => {
    await page.close();
    expect(pageErrors.splice(0)).toEqual([]);
    for (const c of (await t.app.inject({ method: 'GET', url: '/sim/calls?limit=100' })).json().calls) {
      if (c.status !== 'ended') await t.app.inject({ method: 'POST', url: `/sim/calls/${c.id}/hangup` });
    }
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  let shot = 0;
  const screenshot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  const tileValue = (id: string) => page.textContent(`#${id} .tile__value`);
  const signIn = async (username = 'sup.yushu') => {
    await page.goto(`${base}/supervisor`);
    await page.fill('#username', username);
    await page.fill('#password', 'test-password-1');
    await page.click('#login');
  };

  it('a prefecture supervisor signs in, sees the region tiles, and a simulated call changes the waiting figure; then in English', async () => {
    await signIn();
    await page.waitForSelector('#console:not([hidden])');
    await page.waitForSelector('.map-tile[data-code="632701"]');
    await page.waitForFunction(() => document.querySelector('#tile-waiting .tile__value')?.textContent === '0');
    // Only Yushu and its counties: no tile, row or option of another prefecture.
    const codes = await page.$$eval('.map-tile', (els) => els.map((e) => (e as HTMLElement).dataset.code));
    expect(codes.sort()).toEqual(['632700', '632701', '632722', '632723', '632724', '632725', '632726']);
    expect(await page.$$eval('#focus-select option', (els) => els.map((e) => (e as HTMLOptionElement).value))).not.toContain('630100');
    expect(await page.textContent('#user-scope')).toContain('玉树');
    expect(await page.textContent('.map-tile[data-code="632701"] .map-tile__name')).toBe('玉树市');
    await screenshot('board-zh');

    const res = await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '09768123456', digits: '11015' } });
    expect(res.statusCode).toBe(201);
    await page.waitForFunction(() => document.querySelector('#tile-waiting .tile__value')?.textContent === '1', undefined, { timeout: 8_000 });
    await page.waitForSelector('.map-tile[data-code="632701"][data-waiting="yes"]');
    await page.waitForSelector('#region-rows tr[data-code="632701"][data-waiting="yes"]');
    expect(await tileValue('tile-calls')).toMatch(/^\d+ \/ \d+ \/ \d+$/);
    await screenshot('call-waiting');

    // Drill into the county and back up.
    await page.click('.map-tile[data-code="632701"]');
    await page.waitForFunction(() => (document.querySelector('#focus-select') as HTMLSelectElement).value === '632701');
    await page.waitForSelector('#region-rows tr[data-code="632701"]');
    expect(await page.$$eval('#region-rows tr', (rows) => rows.length)).toBe(1);
    await page.waitForFunction(() => document.querySelector('#tile-waiting .tile__value')?.textContent === '1');
    await page.click('#focus-up');
    await page.waitForSelector('.map-tile[data-code="632722"]');
    await page.waitForFunction(() => document.querySelector('#tile-waiting .tile__value')?.textContent === '1');

    // English.
    const zhHeading = await page.textContent('#map-heading');
    await page.click('#lang-toggle');
    expect(await page.textContent('#map-heading')).toBe('Service level by region');
    expect(await page.textContent('#map-heading')).not.toBe(zhHeading);
    expect(await page.textContent('#tile-waiting .tile__label')).toBe('Calls waiting');
    expect(await page.textContent('.map-tile[data-code="632701"] .map-tile__name')).toMatch(/Yushu/i);
    await page.waitForSelector('#chart-volume svg');
    await page.waitForSelector('#chart-sl svg');
    await screenshot('board-en');
    await page.click('#lang-toggle');
    expect(await page.textContent('#map-heading')).toBe(zhHeading);
  });

  it('shows alerts as they come, and moves an agent to another county', async () => {
    await signIn();
    await page.waitForSelector('.map-tile[data-code="632701"]');
    // A risk-flagged ticket in Yushu.
    await t.app.db
      .insertInto('tickets')
      .values({ number: 'QH-20261122-990001', caller_number: '09768123456', region_code: '632723', topic: 'marriage_family', risk_flag: true, updated_at: new Date() })
      .execute();
    await t.app.wallboard.pollRisk();
    await page.waitForSelector('#alerts .alert[data-kind="risk_call"]');
    expect(await page.textContent('#alerts .alert[data-kind="risk_call"]')).toContain('QH-20261122-990001');
    expect(await page.textContent('#alerts .alert[data-kind="risk_call"]')).toContain('称多县');

    await page.click('#tab-agents');
    await page.waitForSelector('#agents-rows tr[data-username="agent.yushu"]');
    expect(await page.$$eval('#agents-rows tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.username))).toEqual(['agent.yushu']);
    await page.selectOption('#agents-rows tr[data-username="agent.yushu"] select', '632722');
    await page.click('#agents-rows tr[data-username="agent.yushu"] button');
    await page.waitForSelector('#agents-rows tr[data-username="agent.yushu"] td.serving[data-code="632722"]');
    const row = await t.app.db.selectFrom('agents').select('region_code').where('id', '=', agent.id).executeTakeFirstOrThrow();
    expect(row.region_code).toBe('632722');
    await screenshot('agents-moved');
  });

  it('at 1366×768, a service level below target is an alert at once, and the same alert shows it recovered', async () => {
    await setProvinceSettings(t.app, 'targets', { alerts: { clearAfterSeconds: 0 } });
    await t.app.serviceTargets.reload();
    const now = Date.now();
    const call = (i: number, waitMs: number) => ({
      province_code: '630000',
      driver: 'test',
      external_id: `browser-target-${i}`,
      caller_number: `0976777${String(i).padStart(4, '0')}`,
      direction: 'inbound' as const,
      region_code: '632724',
      topic: 'labour',
      status: 'ended' as const,
      end_reason: 'answered' as const,
      arrived_at: new Date(now - 400_000),
      queued_at: new Date(now - 300_000),
      answered_at: new Date(now - 300_000 + waitMs),
      ended_at: new Date(now - 60_000),
      wait_ms: waitMs,
    });
    try {
      await page.setViewportSize({ width: 1366, height: 768 });
      await signIn();
      await page.waitForSelector('.map-tile[data-code="632724"]');
      // Twelve callers in the window, each answered after 2 minutes.
      await t.app.db.insertInto('calls').values(Array.from({ length: 12 }, (_, i) => call(i, 120_000))).execute();
      await t.app.wallboard.checkTargets();
      const breached = '#alerts .alert[data-kind="target"][data-metric="service_level"][data-state="breached"]';
      await page.waitForSelector(breached);
      const text = await page.$$eval(breached, (els) => els.map((e) => e.textContent ?? ''));
      expect(text.some((x) => x.includes('治多县') && x.includes('服务水平 0.0%，低于目标 80.0%（近 15 分钟）'))).toBe(true);
      await screenshot('target-breached');
      // Down at the region table, the alerts are still in sight.
      await page.locator('#table-panel').scrollIntoViewIfNeeded();
      const side = (await page.locator('#alerts-panel').boundingBox())!;
      expect(side.y).toBeGreaterThanOrEqual(0);
      expect(side.y).toBeLessThan(768);

      await t.app.db.insertInto('calls').values(Array.from({ length: 60 }, (_, i) => call(100 + i, 4_000))).execute();
      await t.app.wallboard.checkTargets();
      const cleared = '#alerts .alert[data-kind="target"][data-metric="service_level"][data-state="cleared"]';
      await page.waitForSelector(cleared);
      expect(await page.$$eval(cleared, (els) => els.some((e) => (e.textContent ?? '').includes('服务水平已恢复至 83.3%（目标 80.0%）')))).toBe(true);
      // The breach is replaced by its recovery, not listed beside it.
      expect(await page.$$eval(breached, (els) => els.filter((e) => (e.textContent ?? '').includes('治多县')).length)).toBe(0);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await screenshot('target-cleared');
    } finally {
      await t.app.db.deleteFrom('calls').where('external_id', 'like', 'browser-target-%').execute();
      await setProvinceSettings(t.app, 'targets', {});
      await t.app.serviceTargets.reload();
      await t.app.wallboard.checkTargets();
    }
  });

  it("listens to an agent's call from the agents list, then whispers, then leaves it; the caller never hears the whisper", async () => {
    await t.app.router.login({ id: agent.id, username: 'agent.yushu', regionCode: '632701', languages: { zh: 5, bo: 4 }, topics: { labour: 5 } });
    await t.app.router.setReady(agent.id);
    const callId = (await t.app.inject({ method: 'POST', url: '/sim/calls', payload: { from: '09768123456', digits: '11015' } })).json().callId as string;
    const sim = async () => (await t.app.inject({ method: 'GET', url: `/sim/calls/${callId}` })).json();
    const until = async (probe: () => Promise<boolean>) => {
      for (let i = 0; i < 400 && !(await probe()); i++) await new Promise((r) => setTimeout(r, 25));
      expect(await probe()).toBe(true);
    };
    await until(async () => t.app.router.liveAgent(agent.id)?.state === 'reserved');
    expect((await t.app.router.accept(agent.id, t.app.router.liveAgent(agent.id)!.offerId!)).ok).toBe(true);
    await until(async () => (await sim()).status === 'connected');

    await signIn();
    await page.waitForSelector('#console:not([hidden])');
    await page.click('#tab-agents');
    const row = '#agents-rows tr[data-username="agent.yushu"]';
    await page.waitForSelector(`${row} button[data-action="monitor.listen"]`);
    await page.click(`${row} button[data-action="monitor.listen"]`);
    await page.waitForSelector(`${row} button[data-action="monitor.listen"][aria-pressed="true"]`);
    expect(await page.textContent('#agents-status')).toContain('您的电话将振铃');
    await until(async () => (await sim()).supervisor?.mode === 'listen');
    expect((await sim()).audio).toEqual({ caller: ['agent'], agent: ['caller'], target: [], supervisor: ['caller', 'agent'] });

    await page.click(`${row} button[data-action="monitor.whisper"]`);
    await page.waitForSelector(`${row} button[data-action="monitor.whisper"][aria-pressed="true"]`);
    await until(async () => (await sim()).supervisor?.mode === 'whisper');
    expect((await sim()).audio.caller).toEqual(['agent']);
    await screenshot('agents-monitoring');

    await page.click(`${row} button[data-action="monitor.stop"]`);
    await page.waitForSelector(`${row} button[data-action="monitor.stop"]`, { state: 'detached' });
    await until(async () => (await sim()).supervisor === null);
    const audit = await t.app.db.selectFrom('audit_log').select(['action', 'actor_username']).where('entity_id', '=', callId).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['call.monitor', 'call.monitor', 'call.monitor.stop']);
    await t.app.router.agentHangup(agent.id, callId);
    await t.app.router.endWrapUp(agent.id, 'not_ready');
  });

  it('the staffing panel says clearly when an endpoint is not available yet, and otherwise shows its answer', async () => {
    await signIn();
    await page.waitForSelector('.map-tile[data-code="632701"]');
    await page.click('#tab-staffing');
    await page.click('#erlang-current');
    await page.fill('#erlang-calls', '100');
    await page.click('#erlang-submit');
    await page.waitForFunction(() => !document.querySelector('#erlang-status')!.hasAttribute('hidden') || !document.querySelector('#erlang-result')!.hasAttribute('hidden'));
    const erlang = await t.app.inject({ method: 'GET', url: '/api/staffing/erlang?calls=100&intervalSeconds=1800&ahtSeconds=435&targetServiceLevel=0.8&thresholdSeconds=20' });
    if (erlang.statusCode === 404) expect(await page.textContent('#erlang-status')).toContain('尚未开放');
    else await page.waitForSelector('#erlang-result div[data-field="agents"]');

    await page.click('#plan-load');
    await page.waitForFunction(() => !document.querySelector('#plan-status')!.hasAttribute('hidden') || !document.querySelector('#plan-table')!.hasAttribute('hidden'));
    await page.waitForFunction(() => !/正在计算/.test(document.querySelector('#plan-status')?.textContent ?? ''));
    await page.click('#sim-run');
    await page.waitForFunction(() => !/正在模拟/.test(document.querySelector('#sim-status')?.textContent ?? '') && (!document.querySelector('#sim-status')!.hasAttribute('hidden') || !document.querySelector('#sim-table')!.hasAttribute('hidden')));
    await screenshot('staffing');
  });

  it('the staffing panel refuses a date out of range, reloads the plan for a new date with the budget, shrinkage and minimum seats typed, and drops an Erlang answer once the inputs change', async () => {
    await page.setViewportSize({ width: 1366, height: 768 });
    await signIn();
    await page.waitForSelector('.map-tile[data-code="632701"]');
    await page.click('#tab-staffing');
    await page.fill('#plan-date', '1900-01-01');
    await page.click('#plan-load');
    await page.waitForFunction(() => /2000-01-01/.test(document.querySelector('#plan-status')?.textContent ?? ''));
    expect(await page.isHidden('#plan-table')).toBe(true);

    await page.fill('#plan-budget', '6');
    await page.fill('#plan-shrinkage', '20');
    await page.fill('#plan-min-seats', '1');
    await page.fill('#plan-date', '2026-12-09');
    const first = page.waitForRequest((r) => r.url().includes('/api/staffing/recommendation?date=2026-12-09'));
    await page.click('#plan-load');
    expect(new URL((await first).url()).searchParams.toString()).toBe('date=2026-12-09&budget=6&shrinkage=0.2&minSeats=1');
    await page.waitForSelector('#plan-table:not([hidden]) #plan-rows tr');
    // Another date: the plan is asked for again, without pressing the button.
    const second = page.waitForRequest((r) => r.url().includes('/api/staffing/recommendation?date=2026-12-10'));
    await page.fill('#plan-date', '2026-12-10');
    await page.dispatchEvent('#plan-date', 'change');
    await second;
    await page.waitForSelector('#plan-table:not([hidden]) #plan-rows tr');

    await page.fill('#erlang-calls', '100');
    await page.click('#erlang-submit');
    await page.waitForSelector('#erlang-result:not([hidden]) div[data-field="agents"]');
    await page.click('#erlang-current');
    expect(await page.isHidden('#erlang-result')).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  });

  it("a provincial supervisor at 1366×768 saves the whole province's plan (all 53 regions, every half-hour) and simulates the saved plan", async () => {
    await t.addUser({ username: 'sup.province', role: 'supervisor', region: '630000' });
    await page.setViewportSize({ width: 1366, height: 768 });
    await signIn('sup.province');
    await page.waitForSelector('.map-tile--group[data-code="632700"]');
    await page.click('#tab-staffing');
    await page.fill('#plan-date', '2026-12-08');
    await page.click('#plan-load');
    await page.waitForSelector('#plan-table:not([hidden]) #plan-rows tr');
    await page.waitForSelector('#plan-save:not([disabled])');
    await page.click('#plan-save');
    await page.waitForFunction(() => /计划已保存/.test(document.querySelector('#plan-status')?.textContent ?? ''));
    expect(await page.getAttribute('#plan-status', 'data-tone')).toBe('success');
    const saved = await t.app.db.selectFrom('seat_plan_entries').innerJoin('seat_plans', 'seat_plans.id', 'seat_plan_entries.plan_id').select((eb) => eb.fn.countAll<string>().as('n')).where('plan_date', '=', '2026-12-08').executeTakeFirstOrThrow();
    expect(Number(saved.n)).toBe(t.app.regions.subtree('630000').length * 48);

    await page.selectOption('#sim-plan', 'saved');
    await page.click('#sim-run');
    await page.waitForSelector('#sim-table:not([hidden]) #sim-rows tr.total');
    expect(await page.isHidden('#sim-status')).toBe(true);
    expect(await page.$$eval('#sim-rows tr[data-code]', (rows) => rows.length)).toBeGreaterThan(40);
    // A region the day brought no call shows no service level, wait or abandonment (not "100.0 %", "0:00").
    const cells = await page.$$eval('#sim-rows tr[data-code]', (rows) => rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent)));
    for (const [offered, , , serviceLevel, asa, abandonment] of cells) {
      if (offered === '0') expect([serviceLevel, asa, abandonment]).toEqual(['—', '—', '—']);
      else expect(serviceLevel).toMatch(/%$/);
    }
    await screenshot('province-plan-saved');
  });

  it('an administrator sees the province: every prefecture with its counties, and can drill into one', async () => {
    await t.addUser({ username: 'admin.qh', role: 'admin', region: '630000' });
    await signIn('admin.qh');
    await page.waitForSelector('.map-group .map-tile--group[data-code="632700"]');
    const prefectures = await page.$$eval('.map-tile--group', (els) => els.map((e) => (e as HTMLElement).dataset.code));
    expect(prefectures).toEqual(expect.arrayContaining(['630100', '630200', '632200', '632300', '632500', '632600', '632700', '632800']));
    expect(await page.$$eval('.map-group:has(.map-tile--group[data-code="632700"]) .map-grid .map-tile', (els) => els.length)).toBe(6);
    await page.waitForSelector('#board-at:not(:empty)');
    await screenshot('province-admin');
    await page.click('.map-tile--group[data-code="630200"]');
    await page.waitForSelector('#region-rows tr[data-code="630202"]');
    expect(await page.$$eval('#region-rows tr', (rows) => rows.length)).toBe(7);
  });

  it('refuses an agent at sign-in, and a wrong password is shown on the form', async () => {
    await signIn('agent.yushu');
    await page.waitForSelector('#login-error:not([hidden])');
    expect(await page.textContent('#login-error')).toContain('值班长');
    await page.fill('#username', 'sup.yushu');
    await page.fill('#password', 'wrong-password');
    await page.click('#login');
    await page.waitForFunction(() => {
      const el = document.querySelector('#login-error')!;
      return !el.hasAttribute('hidden') && !/值班长和管理员/.test(el.textContent ?? '');
    });
    expect(await page.textContent('#login-error')).toMatch(/[\u4e00-\u9fff]/);
    expect(await page.isHidden('#console')).toBe(true);
  });
});
