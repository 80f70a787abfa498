import type { LiveAgent, LiveCall } from '../../src/queue/types';
import { regionDirectoryFromEntries } from '../../src/regions/region-directory';
import {
  allFigures,
  chinaDate,
  chinaDayStart,
  emptyCallCounts,
  halfHourOf,
  Lineages,
  liveCounts,
  rollUpCalls,
  rollUpSeats,
  seatsNeeded,
  serviceLevel,
} from '../../src/supervisors/figures';


/** The wallboard's figures as pure functions, on a small tree: a province, two prefectures, three counties. */
describe('wallboard figures', () => {
  const regions = regionDirectoryFromEntries('630000', [
    { code: '630000', level: 'province', parentCode: null, nameZh: '青海省', namePinyin: 'Qinghai', population2020: 5_923_957, areaCode: null, formerCodes: [] },
    { code: '632700', level: 'prefecture', parentCode: '630000', nameZh: '玉树藏族自治州', namePinyin: 'Yushu', population2020: 425_199, areaCode: '0976', formerCodes: [] },
    { code: '632701', level: 'county', parentCode: '632700', nameZh: '玉树市', namePinyin: 'Yushu Shi', population2020: 120_447, areaCode: '0976', formerCodes: [] },
    { code: '632722', level: 'county', parentCode: '632700', nameZh: '杂多县', namePinyin: 'Zaduo', population2020: 67_287, areaCode: '0976', formerCodes: [] },
    { code: '630200', level: 'prefecture', parentCode: '630000', nameZh: '海东市', namePinyin: 'Haidong', population2020: 1_358_471, areaCode: '0972', formerCodes: [] },
    { code: '630202', level: 'county', parentCode: '630200', nameZh: '乐都区', namePinyin: 'Ledu', population2020: 259_579, areaCode: '0972', formerCodes: [] },
  ]);
  const lineages = new Lineages(regions);

  it('service level leaves out callers who hung up within the threshold, and is null with no such call', () => {
    expect(serviceLevel(8, 10, 0)).toBe(0.8);
    expect(serviceLevel(8, 10, 2)).toBe(0.667);
    expect(serviceLevel(0, 0, 0)).toBeNull();
    expect(serviceLevel(0, 0, 3)).toBe(0);
  });

  it('seats needed follow Erlang C for the half-hour load (independent check), and are 0 without calls', () => {
    expect(seatsNeeded(0, 300, 20)).toBe(0);
    // 100 calls × 180 s in 1800 s = 10 Erlangs. Erlang C by the textbook formula, smallest n with SL ≥ 0.8.
    const independent = (calls: number, aht: number, t: number) => {
      const a = (calls * aht) / 1800;
      for (let n = Math.floor(a) + 1; ; n++) {
        let sum = 0;
        let term = 1;
        for (let k = 0; k < n; k++) {
          if (k > 0) term *= a / k;
          sum += term;
        }
        const top = term * (a / n) * (n / (n - a));
        const pw = top / (sum + top);
        if (1 - pw * Math.exp((-(n - a) * t) / aht) >= 0.8) return n;
      }
    };
    expect(seatsNeeded(100, 180, 20)).toBe(independent(100, 180, 20));
    expect(seatsNeeded(100, 180, 20)).toBe(14);
    expect(seatsNeeded(3, 435, 20)).toBe(independent(3, 435, 20));
  });

  it('counts waiting calls and agents by state for their region and every region above it, from one snapshot', () => {
    const now = 1_000_000;
    const call = (id: string, regionCode: string, status: LiveCall['status'], enqueuedAt: number) => ({ id, kind: 'call', regionCode, status, enqueuedAt }) as LiveCall;
    const agent = (id: string, regionCode: string, state: LiveAgent['state']) => ({ id, regionCode, state }) as LiveAgent;
    const live = liveCounts(
      {
        calls: [call('a', '632701', 'waiting', now - 42_000), call('b', '632722', 'offered', now - 5_000), call('c', '632701', 'connected', now - 90_000), call('e', '999999', 'waiting', now - 1_000)],
        agents: [agent('1', '632701', 'ready'), agent('2', '632722', 'on_call'), agent('3', '630202', 'not_ready'), agent('4', '632701', 'offline')],
      },
      now,
      lineages,
      15,
    );
    // a has waited 42 s, past the 15-s threshold; b only 5 s.
    expect(live.get('632701')).toEqual({ waiting: 1, longestWaitSeconds: 42, waitingPastThreshold: 1, agents: { ready: 1, reserved: 0, on_call: 0, wrap_up: 0, not_ready: 0 } });
    expect(live.get('632700')).toMatchObject({ waiting: 2, longestWaitSeconds: 42, waitingPastThreshold: 1, agents: { ready: 1, on_call: 1 } });
    // A region the directory does not know counts for the province only.
    expect(live.get('630000')).toMatchObject({ waiting: 3, agents: { ready: 1, on_call: 1, not_ready: 1 } });
    expect(live.get('630200')).toMatchObject({ waiting: 0, agents: { not_ready: 1 } });
  });

  it('rolls call counts and planned seats up the tree, and composes every region\'s figures', () => {
    const calls = rollUpCalls(
      [
        { regionCode: '632701', ...emptyCallCounts(), offeredToday: 10, answeredToday: 8, answeredInThresholdToday: 6, abandonedToday: 2, abandonedAfterThresholdToday: 1, offered30m: 4, answered30m: 3, answeredInThreshold30m: 3 },
        { regionCode: '632722', ...emptyCallCounts(), offeredToday: 5, answeredToday: 5, answeredInThresholdToday: 5, offered30m: 1, answered30m: 1, answeredInThreshold30m: 1 },
        { regionCode: null, ...emptyCallCounts(), offeredToday: 1, abandonedToday: 1, abandonedAfterThresholdToday: 1 },
      ],
      lineages,
    );
    const planned = rollUpSeats([{ regionCode: '632701', seats: 3 }, { regionCode: '632700', seats: 1 }, { regionCode: '630202', seats: 2 }], lineages);
    const figures = allFigures(regions.all().map((r) => r.code), { live: new Map(), calls, planned, ahtSeconds: 300, thresholdSeconds: 20 });
    expect(figures.get('632700')).toMatchObject({
      offeredToday: 15,
      answeredToday: 13,
      abandonedToday: 2,
      serviceLevelToday: 0.786, // 11 / (13 + 1)
      serviceLevel30m: 1,
      abandonmentToday: 0.133,
      offered30m: 5,
      seatsPlanned: 4,
      seatsLoggedIn: 0,
      seatsNeeded: seatsNeeded(5, 300, 20),
    });
    expect(figures.get('632722')).toMatchObject({ seatsPlanned: 0, serviceLevelToday: 1 });
    expect(figures.get('630000')).toMatchObject({ offeredToday: 16, abandonedToday: 3, seatsPlanned: 6, serviceLevelToday: 0.733 });
    expect(figures.get('630200')).toMatchObject({ offeredToday: 0, serviceLevelToday: null, serviceLevel30m: null, abandonmentToday: null, seatsNeeded: 0 });
    // No plan saved: null everywhere, not 0.
    const noPlan = allFigures(['632700'], { live: new Map(), calls, planned: null, ahtSeconds: 300, thresholdSeconds: 20 });
    expect(noPlan.get('632700')!.seatsPlanned).toBeNull();
  });

  it('counts callers already waiting past the threshold as missed: 37 callers queued is not 100 % service level', () => {
    const calls = rollUpCalls([{ regionCode: '632701', ...emptyCallCounts(), offeredToday: 10, answeredToday: 10, answeredInThresholdToday: 10, answered30m: 4, answeredInThreshold30m: 4, answeredWindow: 4, answeredInThresholdWindow: 4 }], lineages);
    const live = new Map([['632701', { waiting: 37, longestWaitSeconds: 127, waitingPastThreshold: 30, agents: { ready: 0, reserved: 0, on_call: 3, wrap_up: 0, not_ready: 0 } }]]);
    const f = allFigures(['632701'], { live, calls, planned: null, ahtSeconds: 300, thresholdSeconds: 15 }).get('632701')!;
    expect(f.serviceLevelToday).toBe(0.25); // 10 ÷ (10 + 30)
    expect(f.serviceLevelWindow).toBe(0.118); // 4 ÷ (4 + 30)
    expect(f.waitingPastThreshold).toBe(30);
    expect(f.answerRateWindow).toBe(1);
    const idle = allFigures(['632701'], { live: new Map(), calls, planned: null, ahtSeconds: 300, thresholdSeconds: 15 }).get('632701')!;
    expect(idle.serviceLevelToday).toBe(1);
  });

  it('rates over the alert window: answered and abandoned of the calls that ended in it', () => {
    const calls = rollUpCalls([{ regionCode: '632701', ...emptyCallCounts(), answeredWindow: 6, answeredInThresholdWindow: 3, abandonedWindow: 4, abandonedAfterThresholdWindow: 3 }], lineages);
    const f = allFigures(['632701', '632722'], { live: new Map(), calls, planned: null, ahtSeconds: 300, thresholdSeconds: 15 });
    expect(f.get('632701')).toMatchObject({ serviceLevelWindow: 0.333, answerRateWindow: 0.6, abandonmentWindow: 0.4, endedWindow: 10 });
    expect(f.get('632722')).toMatchObject({ serviceLevelWindow: null, answerRateWindow: null, abandonmentWindow: null, endedWindow: 0 });
  });

  it('days and half-hours are China time', () => {
    // 2026-03-10 23:45 UTC is 07:45 on 11 March in China.
    const at = Date.parse('2026-03-10T23:45:00Z');
    expect(chinaDate(at)).toBe('2026-03-11');
    expect(chinaDayStart(at).toISOString()).toBe('2026-03-10T16:00:00.000Z');
    expect(halfHourOf(at)).toBe(7 * 60 + 30);
    expect(halfHourOf(Date.parse('2026-03-10T15:59:59Z'))).toBe(1410);
  });
});
