import type { Figures } from '../../src/supervisors/protocol';
import { TargetWatch } from '../../src/supervisors/target-watch';
import { ServiceTargetsSchema, serviceTargets } from '../../src/supervisors/targets';

const figures = (over: Partial<Figures> = {}): Figures => ({
  waiting: 0,
  longestWaitSeconds: 0,
  agents: { ready: 1, reserved: 0, on_call: 0, wrap_up: 0, not_ready: 0 },
  offeredToday: 0,
  answeredToday: 0,
  abandonedToday: 0,
  serviceLevelToday: null,
  serviceLevel30m: null,
  serviceLevelWindow: null,
  answerRateWindow: null,
  abandonmentWindow: null,
  endedWindow: 0,
  waitingPastThreshold: 0,
  abandonmentToday: null,
  offered30m: 0,
  seatsPlanned: null,
  seatsLoggedIn: 1,
  seatsNeeded: 0,
  overdueCallbacks: 0,
  overdueReferrals: 0,
  overdueFollowUps: 0,
  rostered: 0,
  rosteredSignedIn: 0,
  ...over,
});

describe('service targets and their alerts', () => {
  const targets = ServiceTargetsSchema.parse({ alerts: { clearAfterSeconds: 60 } });

  it('defaults to GB/T 33358 and the 12348 contract targets; a bad setting names itself; the older routing threshold still counts', () => {
    expect(serviceTargets({}, '630000')).toMatchObject({ serviceLevel: { thresholdSeconds: 15, goal: 0.8 }, answerRate: 0.95, satisfaction: 0.9, inspectionRate: 0.05, followUpRate: 1, alerts: { windowMinutes: 15 } });
    expect(() => serviceTargets({ targets: { answerRate: 1.5 } }, '630000')).toThrow('settings.targets.answerRate');
    expect(() => serviceTargets({ targets: { alerts: { windowMinutes: 20 } } }, '630000')).toThrow('settings.targets.alerts.windowMinutes');
    expect(serviceTargets({ routing: { serviceLevelThresholdSeconds: 20 } }, '630000').serviceLevel.thresholdSeconds).toBe(20);
    expect(serviceTargets({ routing: { serviceLevelThresholdSeconds: 20 }, targets: { serviceLevel: { thresholdSeconds: 10 } } }, '630000').serviceLevel.thresholdSeconds).toBe(10);
  });

  it('raises a breach once when the service level drops below the goal, and clears it after it has recovered for a minute', () => {
    const watch = new TargetWatch();
    const t0 = Date.parse('2026-12-04T02:00:00Z');
    const low = new Map([['632700', figures({ serviceLevelWindow: 0.261, answerRateWindow: 0.97, abandonmentWindow: 0.03, endedWindow: 40, waitingPastThreshold: 12 })]]);
    const raised = watch.evaluate(low, targets, t0);
    expect(raised).toEqual([
      expect.objectContaining({ kind: 'target', key: '632700:service_level', state: 'breached', metric: 'service_level', regionCode: '632700', value: 0.261, target: 0.8, windowMinutes: 15 }),
    ]);
    // Still low: nothing new.
    expect(watch.evaluate(low, targets, t0 + 1_000)).toEqual([]);
    const ok = new Map([['632700', figures({ serviceLevelWindow: 0.85, answerRateWindow: 0.97, abandonmentWindow: 0.03, endedWindow: 40 })]]);
    expect(watch.evaluate(ok, targets, t0 + 2_000)).toEqual([]);
    // Dips again before a minute is up: the clock starts again.
    expect(watch.evaluate(low, targets, t0 + 30_000)).toEqual([]);
    expect(watch.evaluate(ok, targets, t0 + 31_000)).toEqual([]);
    expect(watch.evaluate(ok, targets, t0 + 90_000)).toEqual([]);
    const cleared = watch.evaluate(ok, targets, t0 + 91_000);
    expect(cleared).toEqual([expect.objectContaining({ key: '632700:service_level', state: 'cleared', value: 0.85, since: new Date(t0).toISOString() })]);
    expect(watch.active()).toEqual([]);
  });

  it('alerts on answer rate, abandonment, the longest wait and overdue work; not on a rate over too few calls; not on targets set to null', () => {
    const watch = new TargetWatch();
    const now = Date.now();
    const bad = new Map([
      ['632700', figures({ serviceLevelWindow: 0.9, answerRateWindow: 0.569, abandonmentWindow: 0.431, endedWindow: 51, longestWaitSeconds: 127, overdueCallbacks: 2, overdueReferrals: 1 })],
      // A county with 2 calls, both abandoned: too few to judge its rates.
      ['632723', figures({ serviceLevelWindow: 0, answerRateWindow: 0, abandonmentWindow: 1, endedWindow: 2 })],
    ]);
    const metrics = watch.evaluate(bad, targets, now).map((a) => `${a.regionCode}:${a.metric}:${a.value}`);
    expect(metrics.sort()).toEqual(['632700:abandonment:0.431', '632700:answer_rate:0.569', '632700:longest_wait:127', '632700:overdue_callbacks:2', '632700:overdue_referrals:1']);
    const lenient = ServiceTargetsSchema.parse({ answerRate: null, abandonment: null, longestWaitSeconds: null, overdueCallbacks: 5, overdueReferrals: null });
    expect(new TargetWatch().evaluate(bad, lenient, now)).toEqual([]);
  });
});
