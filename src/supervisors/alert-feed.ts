import { randomUUID } from 'node:crypto';
import type { Alert } from './protocol';

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
export type NewAlert = DistributiveOmit<Alert, 'id'>;

/** How many recent alerts a node keeps to show a wallboard that opens later, and for how long. */
const KEEP = 200;
const KEEP_MS = 12 * 3600_000;

/**
 * The alerts of this node's wallboards: every source (overdue referrals, risk-flagged calls,
 * missed calls, topic spikes) publishes here; listeners (the wallboard) deliver each to the
 * sockets whose scope holds its region. A recent few are kept for boards that open later. A call
 * missed again replaces its earlier alert among the recent ones, and a target's clearing its breach.
 */
export class AlertFeed {
  private recentAlerts: Alert[] = [];
  private readonly listeners: ((a: Alert) => void)[] = [];

  onAlert(listener: (a: Alert) => void): void {
    this.listeners.push(listener);
  }

  publish(input: NewAlert): Alert {
    const alert = { id: randomUUID(), ...input } as Alert;
    const now = Date.now();
    this.recentAlerts = this.recentAlerts.filter((a) => Date.parse(a.at) > now - KEEP_MS && !supersedes(alert, a));
    this.recentAlerts.push(alert);
    if (this.recentAlerts.length > KEEP) this.recentAlerts.splice(0, this.recentAlerts.length - KEEP);
    for (const l of this.listeners) l(alert);
    return alert;
  }

  /** Recent alerts that pass `visible`, oldest first, at most `limit`. */
  recent(visible: (a: Alert) => boolean, limit = 50): Alert[] {
    return this.recentAlerts.filter(visible).slice(-limit);
  }
}

/** The newer alert tells what the older one told, and more: the older is not kept. */
function supersedes(newer: Alert, older: Alert): boolean {
  if (newer.kind === 'missed_call' && older.kind === 'missed_call') return newer.callId === older.callId;
  if (newer.kind === 'target' && older.kind === 'target') return newer.key === older.key;
  return false;
}
