import { detectTopicSpikes } from '../../src/reports/early-warning';
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
