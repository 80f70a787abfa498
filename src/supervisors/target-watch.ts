import type { NewAlert } from './alert-feed';
import type { Figures, TargetMetric } from './protocol';
import type { ServiceTargets } from './targets';

type TargetAlert = Extract<NewAlert, { kind: 'target' }>;

/** One target as measured on a region's figures: the figure (null: nothing to judge yet) and the limit. */
interface Measure {
  metric: TargetMetric;
  value: number | null;
  target: number;
  /** True when the figure misses the target. */
  missed(value: number): boolean;
  windowMinutes: number | null;
}

/** What each target reads off a region's figures; targets set to null are not watched. */
function measures(f: Figures, t: ServiceTargets): Measure[] {
  const { windowMinutes, minCalls } = t.alerts;
  // A rate over a handful of calls says nothing: a county's one abandoned caller is not a breach.
  const enough = f.endedWindow + f.waitingPastThreshold >= minCalls;
  const out: Measure[] = [];
  const below = (target: number) => (v: number) => v < target;
  const above = (target: number) => (v: number) => v > target;
  if (t.serviceLevel.goal !== null) out.push({ metric: 'service_level', value: enough ? f.serviceLevelWindow : null, target: t.serviceLevel.goal, missed: below(t.serviceLevel.goal), windowMinutes });
  if (t.answerRate !== null) out.push({ metric: 'answer_rate', value: enough ? f.answerRateWindow : null, target: t.answerRate, missed: below(t.answerRate), windowMinutes });
  if (t.abandonment !== null) out.push({ metric: 'abandonment', value: enough ? f.abandonmentWindow : null, target: t.abandonment, missed: above(t.abandonment), windowMinutes });
  if (t.longestWaitSeconds !== null) out.push({ metric: 'longest_wait', value: f.longestWaitSeconds, target: t.longestWaitSeconds, missed: above(t.longestWaitSeconds), windowMinutes: null });
  if (t.overdueCallbacks !== null) out.push({ metric: 'overdue_callbacks', value: f.overdueCallbacks, target: t.overdueCallbacks, missed: above(t.overdueCallbacks), windowMinutes: null });
  if (t.overdueReferrals !== null) out.push({ metric: 'overdue_referrals', value: f.overdueReferrals, target: t.overdueReferrals, missed: above(t.overdueReferrals), windowMinutes: null });
  return out;
}

interface Breach {
  since: number;
  /** Since when the figure is within target again (null: still missed). */
  okSince: number | null;
}

/**
 * Watches every region's figures against the province's targets: a target missed raises a
 * `target` alert (state breached) at once; once the figure has been back within target for
 * `alerts.clearAfterSeconds` the same key is cleared. A region with too few calls for a rate
 * keeps whatever it was (an alert stays until the figures say it is over). Pure bookkeeping: the
 * caller hands it figures and publishes what it returns.
 */
export class TargetWatch {
  private readonly breaches = new Map<string, Breach>();

  evaluate(byRegion: ReadonlyMap<string, Figures>, targets: ServiceTargets, now: number): TargetAlert[] {
    const out: TargetAlert[] = [];
    const watched = new Set<string>();
    for (const [regionCode, f] of byRegion) {
      for (const m of measures(f, targets)) {
        const key = `${regionCode}:${m.metric}`;
        watched.add(key);
        const breach = this.breaches.get(key);
        if (m.value === null) continue;
        const alert = (state: 'breached' | 'cleared', since: number): TargetAlert => ({
          kind: 'target',
          key,
          state,
          metric: m.metric,
          regionCode,
          value: m.value!,
          target: m.target,
          windowMinutes: m.windowMinutes,
          since: new Date(since).toISOString(),
          at: new Date(now).toISOString(),
        });
        if (m.missed(m.value)) {
          if (!breach) {
            this.breaches.set(key, { since: now, okSince: null });
            out.push(alert('breached', now));
          } else breach.okSince = null;
        } else if (breach) {
          breach.okSince ??= now;
          if (now - breach.okSince >= targets.alerts.clearAfterSeconds * 1000) {
            this.breaches.delete(key);
            out.push(alert('cleared', breach.since));
          }
        }
      }
    }
    // A target no longer watched (settings changed) has no breach to keep.
    for (const key of this.breaches.keys()) if (!watched.has(key)) this.breaches.delete(key);
    return out;
  }

  /** Keys in breach now (region:metric). */
  active(): string[] {
    return [...this.breaches.keys()];
  }
}
