import { Coverage, compareCalls, currentStep, RoutingRegions, selectAgent, selectCall } from '../../src/queue/policy';
import { DEFAULT_ROUTING } from '../../src/queue/settings';
import type { LiveAgent, LiveCall } from '../../src/queue/types';
import { qinghaiDirectory } from './harness';

const T0 = 1_800_000_000_000;
const call = (over: Partial<LiveCall> = {}): LiveCall => ({
  id: 'c1', v: 1, kind: 'call', regionCode: '630102', language: 'zh', topic: 'labour', priority: 0, enqueuedAt: T0,
  status: 'waiting', agentId: null, offerId: null, offerExpiresAt: null, answeredAt: null, missedBy: [], ...over,
});
const agent = (id: string, regionCode: string, over: Partial<LiveAgent> = {}): LiveAgent => ({
  id, v: 1, regionCode, languages: { zh: 5 }, topics: { labour: 3 }, state: 'ready', reason: null, since: T0, idleSince: T0,
  callId: null, offerId: null, wrapUpEndsAt: null, handleStart: null, presenceExpiresAt: T0 + 1e9, ...over,
});

describe('routing policy (no store)', () => {
  let regions: RoutingRegions;
  beforeAll(async () => {
    regions = new RoutingRegions(await qinghaiDirectory());
  });
  const ctx = (agents: LiveAgent[], seconds: number) => ({ steps: DEFAULT_ROUTING.steps, regions, coverage: new Coverage(agents, regions), now: T0 + seconds * 1000 });

  it('widens a county call\'s scope: the county, then its prefecture, then the province', () => {
    expect(regions.scopeRoot('630102', 'county')).toBe('630102');
    expect(regions.scopeRoot('630102', 'prefecture')).toBe('630100');
    expect(regions.scopeRoot('630102', 'province')).toBe('630000');
    // A caller known only by prefecture starts at the prefecture.
    expect(regions.scopeRoot('630100', 'county')).toBe('630100');
  });

  it('moves through the steps with time, and straight past a step nobody staffs', () => {
    const staffed = [agent('county', '630102', { state: 'on_call' }), agent('pref', '630100')];
    expect(currentStep(call(), ctx(staffed, 0))).toBe(0);
    expect(currentStep(call(), ctx(staffed, 30))).toBe(1);
    expect(currentStep(call(), ctx(staffed, 90))).toBe(2);
    const noCountySeat = [agent('pref', '630100')];
    expect(currentStep(call(), ctx(noCountySeat, 0))).toBe(1);
    const offline = [agent('county', '630102', { state: 'offline' }), agent('pref', '630100')];
    expect(currentStep(call(), ctx(offline, 0))).toBe(1);
  });

  it('prefers the most local agent, then the best at the topic, then the longest idle', () => {
    const c = call();
    const agents = [
      agent('province', '630000', { topics: { labour: 5 }, idleSince: T0 - 9e6 }),
      agent('county-novice', '630102', { topics: { labour: 1 }, idleSince: T0 - 5e6 }),
      agent('county-expert-new', '630102', { topics: { labour: 5 }, idleSince: T0 - 1000 }),
      agent('county-expert-idle', '630102', { topics: { labour: 5 }, idleSince: T0 - 2000 }),
    ];
    expect(selectAgent(c, agents, ctx(agents, 0))!.id).toBe('county-expert-idle');
  });

  it('never matches a language the agent does not speak', () => {
    const agents = [agent('zh', '632701'), agent('zh2', '630000')];
    expect(selectAgent(call({ language: 'bo', regionCode: '632701' }), agents, ctx(agents, 10_000))).toBeNull();
    const tibetan = agent('bo', '632701', { languages: { bo: 4 } });
    expect(selectCall(tibetan, [call({ language: 'zh' }), call({ id: 'c2', language: 'bo', regionCode: '632701' })], ctx([tibetan], 0))!.id).toBe('c2');
  });

  it('orders calls by priority, then by how long they have waited', () => {
    const list = [call({ id: 'late', enqueuedAt: T0 + 5 }), call({ id: 'vip', priority: 10, enqueuedAt: T0 + 9 }), call({ id: 'early', enqueuedAt: T0 })];
    expect(list.sort(compareCalls).map((c) => c.id)).toEqual(['vip', 'early', 'late']);
  });
});
