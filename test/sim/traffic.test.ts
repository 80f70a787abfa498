import { DEFAULT_IVR } from '../../src/telephony/ivr';
import { callers, DEFAULT_TRAFFIC, type ServiceProfile, summarise, TrafficProfileSchema } from '../../src/sim/traffic';

const service: ServiceProfile = {
  province: '630000',
  languages: ['zh', 'bo', 'mn'],
  topicKeys: DEFAULT_IVR.topicKeys,
  priorityKeys: DEFAULT_IVR.priorityKeys,
  regionMenu: true,
  prefectures: [
    { code: '630100', nameZh: '西宁市', population: 2_467_965, areaCode: '0971' },
    { code: '632700', nameZh: '玉树藏族自治州', population: 425_199, areaCode: '0976' },
    { code: '632800', nameZh: '海西蒙古族藏族自治州', population: 468_216, areaCode: '0977' },
  ],
};

describe('simulated traffic', () => {
  const all = [...callers(service, DEFAULT_TRAFFIC, 20_000, 5, 7)];

  it('arrives as a Poisson stream at the asked rate', () => {
    const gaps = all.slice(1).map((c, i) => c.at - all[i]!.at);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    expect(mean).toBeGreaterThan(0.19);
    expect(mean).toBeLessThan(0.21);
    // Exponential gaps: the standard deviation equals the mean.
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length);
    expect(sd / mean).toBeGreaterThan(0.95);
    expect(sd / mean).toBeLessThan(1.05);
  });

  it('comes from each prefecture in proportion to its population, dialling from its area code', () => {
    const total = service.prefectures.reduce((s, p) => s + p.population, 0);
    for (const p of service.prefectures) {
      const mine = all.filter((c) => c.regionCode === p.code);
      expect(mine.length / all.length).toBeCloseTo(p.population / total, 1);
      expect(mine.every((c) => c.from.startsWith(p.areaCode!) && c.from.length === 11)).toBe(true);
    }
  });

  it("speaks each prefecture's languages in the profile's shares, and presses the service's keys for them", () => {
    const yushu = all.filter((c) => c.regionCode === '632700');
    expect(yushu.filter((c) => c.language === 'bo').length / yushu.length).toBeCloseTo(0.75, 1);
    const xining = all.filter((c) => c.regionCode === '630100');
    expect(xining.filter((c) => c.language === 'zh').length / xining.length).toBeCloseTo(0.93, 1);
    for (const c of all.slice(0, 500)) {
      expect(c.digits[0]).toBe(String(service.languages.indexOf(c.language) + 1));
      expect(service.topicKeys[c.digits[1]!]).toBe(c.topic);
      expect(c.priorityGroup === null ? c.digits[2] === '0' : service.priorityKeys[c.digits[2]!] === c.priorityGroup).toBe(true);
    }
  });

  it('refuses a profile with unknown topics or no positive share, naming the field', () => {
    const bad = TrafficProfileSchema.safeParse({ ...DEFAULT_TRAFFIC, topics: { weather: 1 } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['topics']);
    const zero = TrafficProfileSchema.safeParse({ ...DEFAULT_TRAFFIC, languages: { default: { zh: 0 } } });
    expect(zero.success).toBe(false);
  });

  it('counts service level as answered in time over answered plus abandoned after the threshold', () => {
    const s = summarise(
      [
        { status: 'ended', outcome: 'answered', queuedAt: 0, answeredAt: 10_000, endedAt: 60_000 },
        { status: 'ended', outcome: 'answered', queuedAt: 0, answeredAt: 30_000, endedAt: 90_000 },
        { status: 'ended', outcome: 'abandoned', queuedAt: 0, answeredAt: null, endedAt: 5_000 },
        { status: 'ended', outcome: 'abandoned', queuedAt: 0, answeredAt: null, endedAt: 40_000 },
        { status: 'queued', outcome: null, queuedAt: 0, answeredAt: null, endedAt: null },
      ],
      6,
      20,
    );
    // 1 in time / (2 answered + 1 abandoned late); the early abandon does not count against it.
    expect(s.serviceLevel).toBeCloseTo(1 / 3, 5);
    expect(s).toMatchObject({ offered: 6, answered: 2, abandoned: 2, waiting: 1 });
    expect(s.averageWaitSeconds).toBe(20);
  });
});
