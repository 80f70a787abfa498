import { detectTopicSpikes } from '../../src/reports/early-warning';
import { startOfChinaDay } from '../../src/time/china-time';
import { startTestApp, type TestApp } from '../support/app';

describe('early warning: a topic far above its baseline in a prefecture', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  const DAY = 86_400_000;
  // 15:00 in Xining (China Standard Time) on a weekday.
  const now = new Date('2026-01-20T07:00:00Z');

  async function calls(region: string, topic: string, at: Date, n: number) {
    const rows = Array.from({ length: n }, (_, i) => ({
      province_code: '630000',
      driver: 'sim',
      external_id: `ew-${region}-${topic}-${at.getTime()}-${i}`,
      caller_number: `1389760${String(i).padStart(4, '0')}`,
      region_code: region,
      topic,
      status: 'ended' as const,
      end_reason: 'answered' as const,
      arrived_at: at,
    }));
    await t.app.db.insertInto('calls').values(rows).execute();
  }

  it('flags wage arrears surging in Haidong today, not a topic at its usual level, nor one too small to matter', async () => {
    for (let d = 1; d <= 28; d++) {
      const day = new Date(now.getTime() - d * DAY);
      await calls('630202', 'labour', day, 2); // Haidong counties: about 2 labour calls a day
      await calls('630102', 'marriage_family', day, 20); // Xining: 20 family calls a day
    }
    await calls('630203', 'labour', new Date(now.getTime() - 3600_000), 30); // today so far: 30
    await calls('630102', 'marriage_family', new Date(now.getTime() - 3600_000), 12); // usual
    await calls('632301', 'consumer', new Date(now.getTime() - 3600_000), 4); // unusual but tiny

    const spikes = await detectTopicSpikes(t.app.db, { regions: t.app.regions, now });
    expect(spikes).toHaveLength(1);
    expect(spikes[0]).toMatchObject({ regionCode: '630200', topic: 'labour', today: 30 });
    expect(spikes[0]!.ratio).toBeGreaterThanOrEqual(3);
  });
});

describe('GET /api/reports/topic-spikes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  }, 120_000);
  afterAll(async () => t.close());

  /** `n` calls about `topic` in `region` (null: no region known), today, in the last minute. */
  async function today(region: string | null, topic: string, n: number) {
    const now = Date.now();
    const dayStart = startOfChinaDay(new Date(now)).getTime();
    await t.app.db
      .insertInto('calls')
      .values(
        Array.from({ length: n }, (_, i) => ({
          province_code: '630000',
          driver: 'sim',
          external_id: `route-${region}-${topic}-${i}`,
          caller_number: `1389760${String(i).padStart(4, '0')}`,
          region_code: region,
          topic,
          status: 'ended' as const,
          end_reason: 'answered' as const,
          arrived_at: new Date(Math.max(dayStart, now - 60_000 + i)),
        })),
      )
      .execute();
  }

  it("gives each supervisor only rows inside their area: never the province's row to a prefecture", async () => {
    await today('630102', 'labour', 12); // Xining (Chengdong)
    await today('630103', 'labour', 12); // Xining (Chengzhong)
    await today('632701', 'labour', 12); // Yushu
    await today(null, 'consumer', 12); // no region: the province's row
    const province = await t.addUser({ username: 'sup.spikes.province', role: 'supervisor', region: '630000' });
    const xining = await t.addUser({ username: 'sup.spikes.xining', role: 'supervisor', region: '630100' });
    const chengdong = await t.addUser({ username: 'sup.spikes.chengdong', role: 'supervisor', region: '630102' });
    const rows = async (who: { token: string }) => {
      const res = await t.app.inject({ method: 'GET', url: '/api/reports/topic-spikes', headers: { authorization: `Bearer ${who.token}` } });
      expect(res.statusCode).toBe(200);
      return (res.json().items as { regionCode: string; topic: string; today: number }[]).map((r) => [r.regionCode, r.topic, r.today]).sort();
    };

    expect(await rows(province)).toEqual([
      ['630000', 'consumer', 12],
      ['630100', 'labour', 24],
      ['632700', 'labour', 12],
    ]);
    expect(await rows(xining)).toEqual([['630100', 'labour', 24]]);
    // Below a prefecture, the supervisor's own county is the unit: its calls only.
    expect(await rows(chengdong)).toEqual([['630102', 'labour', 12]]);
  });
});
