import { followUpDueAt } from '../../src/quality/follow-ups-repository';
import { DEFAULT_CRITERIA, qualitySettings } from '../../src/quality/quality-settings';
import { inspectionDraw, isSampled } from '../../src/quality/sampling';
import { ticketIdForCall } from '../../src/records/record-ops';

/** Ticket ids as the call flow makes them (from the call's id): fixed, so the shares below are too. */
const ticketIds = (n: number) => Array.from({ length: n }, (_, i) => ticketIdForCall(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`));

const cst = (s: string) => new Date(`${s}+08:00`);

describe('inspection sampling', () => {
  it('draws the province rate of tickets, within sampling error, over 20,000 tickets', () => {
    const ids = ticketIds(20_000);
    for (const rate of [0.05, 0.2]) {
      const share = ids.filter((id) => isSampled(id, rate)).length / ids.length;
      // Three standard errors of a binomial share at n = 20,000: 0.0046 at 5 %, 0.0085 at 20 %.
      expect(Math.abs(share - rate)).toBeLessThan(3 * Math.sqrt((rate * (1 - rate)) / ids.length));
    }
  });

  it('gives a ticket the same draw every time, so every node agrees, and a higher rate only adds tickets', () => {
    const ids = ticketIds(2_000);
    expect(ids.map(inspectionDraw)).toEqual(ids.map(inspectionDraw));
    expect(inspectionDraw(ids[0]!.toUpperCase())).toBe(inspectionDraw(ids[0]!));
    const at5 = ids.filter((id) => isSampled(id, 0.05));
    const at10 = new Set(ids.filter((id) => isSampled(id, 0.1)));
    expect(at5.every((id) => at10.has(id))).toBe(true);
    expect(at10.size).toBeGreaterThan(at5.length);
    expect(ids.some((id) => isSampled(id, 0))).toBe(false);
    expect(ids.every((id) => isSampled(id, 1))).toBe(true);
  });
});

describe('follow-up deadline: one working day after the survey', () => {
  const plain = { holidays: [], workingWeekends: [] };

  it('is the next working day at the same time', () => {
    expect(followUpDueAt(cst('2026-03-10T10:30:00'), plain)).toEqual(cst('2026-03-11T10:30:00'));
    // Friday afternoon → Monday afternoon; a Saturday survey → Monday too.
    expect(followUpDueAt(cst('2026-03-06T15:00:00'), plain)).toEqual(cst('2026-03-09T15:00:00'));
    expect(followUpDueAt(cst('2026-03-07T11:00:00'), plain)).toEqual(cst('2026-03-09T11:00:00'));
  });

  it('skips the official holidays and counts the weekend days worked in exchange (调休)', () => {
    // Labour Day 2026: 1–5 May off, Saturday 9 May worked.
    const calendar = { holidays: ['2026-05-01', '2026-05-04', '2026-05-05'], workingWeekends: ['2026-05-09'] };
    expect(followUpDueAt(cst('2026-04-30T16:00:00'), calendar)).toEqual(cst('2026-05-06T16:00:00'));
    expect(followUpDueAt(cst('2026-05-08T09:00:00'), calendar)).toEqual(cst('2026-05-09T09:00:00'));
  });

  it('reads the day in China time, whatever the server clock says', () => {
    // 23:30 on Friday in China is still Friday 15:30 UTC: due Monday 23:30 China time.
    expect(followUpDueAt(new Date('2026-03-06T15:30:00Z'), plain)).toEqual(cst('2026-03-09T23:30:00'));
  });
});

describe('quality settings (provinces.settings.quality)', () => {
  it('default to the four-criterion form of 100 points', () => {
    const s = qualitySettings({}, '630000');
    expect(s.criteria).toEqual(DEFAULT_CRITERIA);
    expect(s.criteria.map((c) => c.zh)).toEqual(['礼貌用语', '法律解答准确', '服务态度', '工单完整']);
    expect(s.criteria.reduce((n, c) => n + c.max, 0)).toBe(100);
  });

  it("take a province's own form, and refuse a wrong one naming the setting", () => {
    const own = [
      { code: 'greeting', zh: '开场白', en: 'Opening', max: 10 },
      { code: 'law', zh: '法律依据', en: 'Legal basis', max: 90 },
    ];
    expect(qualitySettings({ quality: { criteria: own } }, '340000').criteria).toEqual(own);
    expect(() => qualitySettings({ quality: { criteria: [own[0], own[0]] } }, '340000')).toThrow(/settings\.quality\.criteria: each criterion needs a code of its own/);
    expect(() => qualitySettings({ quality: { criteria: [{ ...own[0], max: 0 }] } }, '340000')).toThrow(/settings\.quality\.criteria\.0\.max/);
    expect(() => qualitySettings({ quality: { criteria: [] } }, '340000')).toThrow(/settings\.quality\.criteria/);
    expect(() => qualitySettings({ quality: { sample: 0.1 } }, '340000')).toThrow(/province 340000 has invalid quality settings/);
  });
});
