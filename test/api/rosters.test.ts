import { chinaDay, DAY_MS } from '../../src/time/china-time';
import { halfHourOf } from '../../src/supervisors/figures';
import { bearer, startTestApp, type TestApp } from '../support/app';
import { setProvinceSettings } from '../support/province-settings';
import { BoardSocket } from '../supervisors/board-socket';

type User = { id: string; token: string };
type ShiftOut = { agentId: string; username: string; regionCode: string; servingRegion: string; start: string; end: string; languages: Record<string, number>; borrowed: boolean };

/**
 * Duty rosters through the API: built from a saved seat plan in a supervisor's area (serving
 * regions, languages, the minimum of Tibetan and Mongolian speakers), edited with checks that
 * name the field, published, seen by agents (published only) and measured on the wallboard.
 */
describe('duty rosters API', () => {
  let t: TestApp;
  let base: string;
  let admin: User;
  let yushu: User;
  let haixi: User;
  const agents: Record<string, User> = {};
  const DAY = '2026-12-10';

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    admin = await t.addUser({ username: 'admin.rosters', role: 'admin', region: '630000' });
    yushu = await t.addUser({ username: 'sup.yushu', role: 'supervisor', region: '632700' });
    haixi = await t.addUser({ username: 'sup.haixi', role: 'supervisor', region: '632800' });
    for (const [username, region, languages] of [
      ['agent.yushu.zh', '632701', { zh: 5 }],
      ['agent.yushu.bo', '632701', { zh: 3, bo: 5 }],
      ['agent.zaduo', '632722', { zh: 4 }],
      ['agent.golmud.mn', '632801', { zh: 5, mn: 4 }],
      ['agent.delingha', '632802', { zh: 5 }],
    ] as const) {
      agents[username] = await t.addUser({ username, role: 'agent', region, languages });
    }
    await setProvinceSettings(t.app, 'rosters', { minSpeakers: { bo: 1, mn: 1 } });
  });
  afterAll(async () => t?.close());

  const call = (method: 'GET' | 'PUT' | 'POST', url: string, token: string, payload?: object) => t.app.inject({ method, url, headers: bearer(token), ...(payload === undefined ? {} : { payload }) });
  /** Seats from `from` to `to` half-hour index (exclusive). */
  const seats = (from: number, to: number, n = 1) => Array.from({ length: 48 }, (_, i) => (i >= from && i < to ? n : 0));
  const savePlan = async (date: string, token: string, plan: Record<string, number[]>) => {
    const res = await call('PUT', `/api/seat-plans/${date}`, token, { seats: plan });
    expect(res.statusCode).toBe(200);
  };
  const byUser = (shifts: ShiftOut[]) => shifts.map((s) => `${s.username} ${s.regionCode} ${s.start}-${s.end}`).sort();

  it("builds a prefecture's roster from its saved plan: its own agents, a Tibetan speaker on duty, Mongolian reported short", async () => {
    // 08:00–12:00 one seat in Yushu city and one in Zadoi.
    await savePlan(DAY, yushu.token, { '632701': seats(16, 24), '632722': seats(16, 24) });
    const res = await call('POST', `/api/rosters/${DAY}/build`, yushu.token);
    expect(res.statusCode).toBe(200);
    const roster = res.json();
    expect(roster).toMatchObject({ date: DAY, area: '632700', stage: 'draft', status: 'draft', planSaved: true, publishedAt: null });
    // The city's seat goes to the Tibetan speaker (the prefecture needs one); each agent serves the region of their shift.
    expect(byUser(roster.shifts)).toEqual(['agent.yushu.bo 632701 08:00-12:00', 'agent.zaduo 632722 08:00-12:00']);
    expect(roster.shifts.every((s: ShiftOut) => s.servingRegion === s.regionCode && !s.borrowed)).toBe(true);
    expect(roster.shifts.find((s: ShiftOut) => s.username === 'agent.yushu.bo').languages).toEqual({ zh: 3, bo: 5 });
    // Nobody in Yushu speaks Mongolian: short over the half-hours Yushu plans seats.
    expect(roster.uncovered).toEqual([{ regionCode: '632700', start: '08:00', end: '12:00', seatsShort: 0, languagesShort: { mn: 1 } }]);
    expect(roster.settings).toMatchObject({ maxHoursPerDay: 8, minSpeakers: { '632700': { bo: 1, mn: 1 } } });

    const audit = await t.app.db.selectFrom('audit_log').selectAll().where('action', '=', 'roster.build').where('entity_id', '=', DAY).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_username: 'sup.yushu', entity_type: 'roster', details: { area: '632700', shifts: 2, uncovered: 1 } });
  });

  it('meets the Mongolian minimum in Haixi with its speaker, adds one beyond the plan when needed, and reports Tibetan short there', async () => {
    // One seat in Delingha: its own agent takes it, and Golmud's Mongolian speaker is added for the minimum.
    await savePlan(DAY, haixi.token, { '632802': seats(18, 20) });
    const roster = (await call('POST', `/api/rosters/${DAY}/build`, haixi.token)).json();
    expect(byUser(roster.shifts)).toEqual(['agent.delingha 632802 09:00-10:00', 'agent.golmud.mn 632801 09:00-10:00']);
    expect(roster.uncovered).toEqual([{ regionCode: '632800', start: '09:00', end: '10:00', seatsShort: 0, languagesShort: { bo: 1 } }]);
  });

  it("keeps a prefecture supervisor to their area: they build and see only theirs, 403 outside; the admin sees the province's", async () => {
    // Haixi's build left Yushu's draft alone, and each sees only their own.
    const own = (await call('GET', `/api/rosters/${DAY}`, yushu.token)).json();
    expect(own.shifts.map((s: ShiftOut) => s.regionCode).every((c: string) => c.startsWith('6327'))).toBe(true);
    expect(own.shifts).toHaveLength(2);
    const all = (await call('GET', `/api/rosters/${DAY}`, admin.token)).json();
    expect(all.area).toBe('630000');
    expect(all.shifts).toHaveLength(4);

    for (const [method, url] of [
      ['GET', `/api/rosters/${DAY}?region=632800`],
      ['POST', `/api/rosters/${DAY}/build?region=632800`],
      ['POST', `/api/rosters/${DAY}/publish?region=630000`],
    ] as const) {
      const res = await call(method, url, yushu.token);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'HOTLINE_ERR_OUT_OF_SCOPE', messageZh: expect.stringContaining('632700') });
    }
    // A Haixi agent in a Yushu supervisor's roster, or a shift in Haixi: refused, naming the field.
    const golmud = agents['agent.golmud.mn']!;
    const foreign = await call('PUT', `/api/rosters/${DAY}`, yushu.token, { shifts: [{ agentId: golmud.id, regionCode: '632701', start: '08:00', end: '12:00' }] });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().message).toMatch(/^body\.shifts\.0\.agentId: Region 632801 is outside your area \(632700\)/);
    expect(foreign.json().messageZh).toMatch(/^body\.shifts\.0\.agentId：地区 632801 不在您的管辖范围（632700）内/);
    const there = await call('PUT', `/api/rosters/${DAY}`, yushu.token, { shifts: [{ agentId: agents['agent.zaduo']!.id, regionCode: '632801', start: '08:00', end: '12:00' }] });
    expect(there.statusCode).toBe(403);
    expect(there.json().message).toMatch(/^body\.shifts\.0\.regionCode: /);
    // A county of Yushu the supervisor may focus on.
    const county = await call('GET', `/api/rosters/${DAY}?region=632722`, yushu.token);
    expect(county.statusCode).toBe(200);
    expect(byUser(county.json().shifts)).toEqual(['agent.zaduo 632722 08:00-12:00']);
  });

  it('refuses shifts that overlap, are off the half-hour, end before they start or run past the day, naming the field in English and Chinese', async () => {
    const zh = agents['agent.yushu.zh']!.id;
    const put = (shifts: unknown[]) => call('PUT', `/api/rosters/${DAY}`, yushu.token, { shifts });

    const overlap = await put([
      { agentId: zh, regionCode: '632701', start: '08:00', end: '12:00' },
      { agentId: zh, regionCode: '632722', start: '11:30', end: '14:00' },
    ]);
    expect(overlap.statusCode).toBe(400);
    expect(overlap.json().message).toBe('body.shifts.1.start: agent agent.yushu.zh (agent.yushu.zh) already has the shift 08:00–12:00 (body.shifts.0), which overlaps 11:30–14:00');
    expect(overlap.json().messageZh).toBe('body.shifts.1.start：坐席 agent.yushu.zh (agent.yushu.zh) 已有 08:00–12:00 (body.shifts.0) 的班次，与 11:30–14:00 重叠');

    const quarter = await put([{ agentId: zh, regionCode: '632701', start: '08:15', end: '12:00' }]);
    expect(quarter.statusCode).toBe(400);
    expect(quarter.json().message).toMatch(/^body\.shifts\.0\.start: must be a time on the hour or half-hour/);
    expect(quarter.json().messageZh).toContain('body.shifts.0.start 应为整点或半点时间');

    const backwards = await put([{ agentId: zh, regionCode: '632701', start: '12:00', end: '08:00' }]);
    expect(backwards.json().message).toBe('body.shifts.0.end: must be after start');
    expect(backwards.json().messageZh).toContain('body.shifts.0.end 应晚于开始时间');

    const long = await put([
      { agentId: zh, regionCode: '632701', start: '00:00', end: '06:00' },
      { agentId: zh, regionCode: '632701', start: '12:00', end: '16:00' },
    ]);
    expect(long.statusCode).toBe(400);
    expect(long.json()).toMatchObject({ code: 'HOTLINE_ERR_SHIFT_TOO_LONG', message: expect.stringMatching(/^body\.shifts\.0\.agentId: agent .* would be on duty 10 hours that day, more than the 8 allowed/) });

    const stranger = await put([{ agentId: '5f0b7f8e-0000-4000-8000-00000000dead', regionCode: '632701', start: '08:00', end: '12:00' }]);
    expect(stranger.statusCode).toBe(400);
    expect(stranger.json().message).toMatch(/^body\.shifts\.0\.agentId: no agent 5f0b7f8e-0000-4000-8000-00000000dead takes calls here/);
    // Nothing refused changed the draft.
    expect((await call('GET', `/api/rosters/${DAY}`, yushu.token)).json().shifts).toHaveLength(2);
  });

  it("checks a shift against the agent's shifts elsewhere in the day, and accepts a valid edit", async () => {
    // The admin puts a Yushu agent on a shift in Haixi (outside the Yushu supervisor's area) …
    const zh = agents['agent.yushu.zh']!.id;
    const current = (await call('GET', `/api/rosters/${DAY}`, admin.token)).json().shifts as ShiftOut[];
    const keep = current.map((s) => ({ agentId: s.agentId, regionCode: s.regionCode, start: s.start, end: s.end }));
    const adminPut = await call('PUT', `/api/rosters/${DAY}`, admin.token, { shifts: [...keep, { agentId: zh, regionCode: '632802', start: '14:00', end: '16:00' }] });
    expect(adminPut.statusCode).toBe(200);
    // … so the Yushu supervisor cannot overlap it, and sees why.
    const yushuShifts = keep.filter((s) => s.regionCode.startsWith('6327'));
    const clash = await call('PUT', `/api/rosters/${DAY}`, yushu.token, { shifts: [...yushuShifts, { agentId: zh, regionCode: '632701', start: '15:00', end: '17:00' }] });
    expect(clash.statusCode).toBe(400);
    expect(clash.json().message).toContain('already has the shift 14:00–16:00 德令哈市');
    const ok = await call('PUT', `/api/rosters/${DAY}`, yushu.token, { shifts: [...yushuShifts, { agentId: zh, regionCode: '632701', start: '16:00', end: '18:00' }] });
    expect(ok.statusCode).toBe(200);
    expect(byUser(ok.json().shifts)).toEqual(['agent.yushu.bo 632701 08:00-12:00', 'agent.yushu.zh 632701 16:00-18:00', 'agent.zaduo 632722 08:00-12:00']);
    expect(await t.app.db.selectFrom('audit_log').select('actor_username').where('action', '=', 'roster.put').execute()).toEqual([{ actor_username: 'admin.rosters' }, { actor_username: 'sup.yushu' }]);
  });

  it("lets a supervisor keep, but not add, a shift of an agent from outside their area that the admin put in it", async () => {
    const day = '2026-12-11';
    const golmud = agents['agent.golmud.mn']!.id;
    const lent = { agentId: golmud, regionCode: '632701', start: '10:00', end: '12:00' };
    expect((await call('PUT', `/api/rosters/${day}`, admin.token, { shifts: [lent] })).statusCode).toBe(200);
    const own = { agentId: agents['agent.zaduo']!.id, regionCode: '632722', start: '08:00', end: '12:00' };
    const kept = await call('PUT', `/api/rosters/${day}`, yushu.token, { shifts: [lent, own] });
    expect(kept.statusCode).toBe(200);
    expect(byUser(kept.json().shifts)).toEqual(['agent.golmud.mn 632701 10:00-12:00', 'agent.zaduo 632722 08:00-12:00']);
    expect(kept.json().shifts[0]).toMatchObject({ servingRegion: '632801', borrowed: true });
    const moved = await call('PUT', `/api/rosters/${day}`, yushu.token, { shifts: [{ ...lent, start: '09:00' }, own] });
    expect(moved.statusCode).toBe(403);
    expect(moved.json().message).toMatch(/^body\.shifts\.0\.agentId: Region 632801 is outside your area/);
  });

  it('publishes for the area; agents see only published shifts (never a draft), and a change waits for the next publish', async () => {
    const today = chinaDay(Date.now());
    const tomorrow = chinaDay(Date.now() + DAY_MS);
    const bo = agents['agent.yushu.bo']!;
    await savePlan(tomorrow, yushu.token, { '632701': seats(16, 24) });
    expect((await call('POST', `/api/rosters/${tomorrow}/build`, yushu.token)).json().shifts).toHaveLength(1);

    // Agents have no business with the supervisors' roster, draft or not.
    expect((await call('GET', `/api/rosters/${tomorrow}`, bo.token)).statusCode).toBe(403);
    expect((await call('POST', `/api/rosters/${tomorrow}/publish`, bo.token)).statusCode).toBe(403);
    const before = await call('GET', '/api/me/shifts', bo.token);
    expect(before.statusCode).toBe(200);
    expect(before.json()).toEqual({ today, shifts: [] });

    const published = await call('POST', `/api/rosters/${tomorrow}/publish`, yushu.token);
    expect(published.statusCode).toBe(200);
    expect(published.json()).toMatchObject({ status: 'published', publishedBy: { username: 'sup.yushu' }, publishedAt: expect.any(String) });
    expect((await call('GET', '/api/me/shifts', bo.token)).json().shifts).toEqual([
      { date: tomorrow, start: '08:00', end: '12:00', regionCode: '632701', regionName: '玉树市', regionNameEn: expect.stringMatching(/^Yushu/i) },
    ]);
    expect((await call('GET', '/api/me/shifts', agents['agent.zaduo']!.token)).json().shifts).toEqual([]);

    // An edit is a draft until published again: the agent still sees the published shift.
    const edit = await call('PUT', `/api/rosters/${tomorrow}`, yushu.token, { shifts: [{ agentId: bo.id, regionCode: '632701', start: '09:00', end: '12:00' }] });
    expect(edit.json().status).toBe('changed');
    expect((await call('GET', '/api/me/shifts', bo.token)).json().shifts.map((s: { start: string }) => s.start)).toEqual(['08:00']);
    const asPublished = (await call('GET', `/api/rosters/${tomorrow}?stage=published`, yushu.token)).json();
    expect(asPublished).toMatchObject({ stage: 'published', status: 'changed' });
    expect(byUser(asPublished.shifts)).toEqual(['agent.yushu.bo 632701 08:00-12:00']);
    await call('POST', `/api/rosters/${tomorrow}/publish`, yushu.token);
    expect((await call('GET', '/api/me/shifts', bo.token)).json().shifts.map((s: { start: string }) => s.start)).toEqual(['09:00']);
    expect((await t.app.db.selectFrom('audit_log').select('details').where('action', '=', 'roster.publish').execute()).map((r) => r.details)).toEqual([
      { area: '632700', shifts: 1 },
      { area: '632700', shifts: 1 },
    ]);
  });

  it('says what is missing: no plan to build from, no roster to publish', async () => {
    const build = await call('POST', '/api/rosters/2026-12-24/build', yushu.token);
    expect(build.statusCode).toBe(409);
    expect(build.json()).toMatchObject({ code: 'HOTLINE_ERR_NO_SEAT_PLAN', message: expect.stringContaining('2026-12-24'), messageZh: expect.stringContaining('2026-12-24') });
    const publish = await call('POST', '/api/rosters/2026-12-24/publish', yushu.token);
    expect(publish.statusCode).toBe(409);
    expect(publish.json().code).toBe('HOTLINE_ERR_NO_ROSTER');
    expect((await call('GET', '/api/rosters/2026-13-01', yushu.token)).json().message).toMatch(/^params\.date: /);
  });

  it('shows adherence on the wallboard: agents rostered for this half-hour, and how many of them are signed in', async () => {
    const now = Date.now();
    const today = chinaDay(now);
    const half = halfHourOf(now) / 30;
    await savePlan(today, yushu.token, { '632722': seats(half, half + 1) });
    await call('POST', `/api/rosters/${today}/build`, yushu.token);
    const board = await BoardSocket.open(base, yushu.token);
    try {
      // Built but not published: nobody is rostered as far as the wallboard knows.
      await t.app.wallboard.refresh();
      await board.board((b) => b.root.rostered === 0);
      expect((await call('POST', `/api/rosters/${today}/publish`, yushu.token)).statusCode).toBe(200);
      // Zadoi's seat, and Yushu city's Tibetan speaker for the prefecture's minimum.
      const rostered = await board.board((b) => b.root.rostered === 2);
      expect(rostered.regions['632722']).toMatchObject({ rostered: 1, rosteredSignedIn: 0 });
      expect(rostered.regions['632701']).toMatchObject({ rostered: 1, rosteredSignedIn: 0 });
      expect(rostered.root.rosteredSignedIn).toBe(0);
      const zaduo = agents['agent.zaduo']!;
      await t.app.router.login({ id: zaduo.id, username: 'agent.zaduo', regionCode: '632722', languages: { zh: 4 }, topics: {} });
      const signedIn = await board.board((b) => b.root.rosteredSignedIn === 1);
      expect(signedIn.root.rostered).toBe(2);
      expect(signedIn.regions['632722']).toMatchObject({ rostered: 1, rosteredSignedIn: 1 });
      expect(signedIn.regions['632701']).toMatchObject({ rostered: 1, rosteredSignedIn: 0 });
    } finally {
      board.close();
    }
  });
});
