import type { AmiClient } from './ami-client';

/**
 * Whether the AMI account may send every action the driver needs. Asterisk checks an action
 * against the account's `write=` classes (main/manager.c: allowed when they share one class with
 * those the action is registered with, or it has none) and answers `Permission denied`
 * otherwise; `ListCommands` (no class needed) lists exactly the actions the session may send,
 * one header per action. A session keeps the classes it logged in with: after manager.conf is
 * fixed and reloaded, only a new login sees the change.
 */

/**
 * The actions the driver sends, with the write classes that allow each (as Asterisk registers
 * them); the first is the one deploy/asterisk/manager.conf grants. Ping, Login and Logoff need none.
 */
export const DRIVER_ACTIONS: Readonly<Record<string, readonly [string, ...string[]]>> = {
  Setvar: ['call'],
  Redirect: ['call'],
  Getvar: ['call', 'reporting'],
  CoreShowChannels: ['reporting', 'system'],
};

/** The write= line of the account in deploy/asterisk/manager.conf. */
export const WRITE_LINE = 'write = call,reporting';

export interface MissingAction {
  action: string;
  /** The class to add for it. */
  class: string;
}

/** The actions the session may send (lower-cased), from its ListCommands answer. */
export async function allowedActions(client: AmiClient): Promise<Set<string>> {
  const answer = await client.action('ListCommands');
  // Header names arrive lower-cased; each allowed action is one header.
  return new Set(Object.keys(answer).map((k) => k.toLowerCase()));
}

/** The driver's actions the session may not send. */
export function missingActions(allowed: ReadonlySet<string>): MissingAction[] {
  return Object.entries(DRIVER_ACTIONS)
    .filter(([action]) => !allowed.has(action.toLowerCase()))
    .map(([action, classes]) => ({ action, class: classes[0] }));
}

export function missingFor(action: string): MissingAction | null {
  const entry = Object.entries(DRIVER_ACTIONS).find(([name]) => name.toLowerCase() === action.toLowerCase());
  return entry ? { action: entry[0], class: entry[1][0] } : null;
}

/** One sentence naming the missing classes, what they are for, and the manager.conf line that fixes it. */
export function describeMissing(missing: readonly MissingAction[], account?: string): string {
  const byClass = new Map<string, string[]>();
  for (const m of missing) byClass.set(m.class, [...(byClass.get(m.class) ?? []), m.action]);
  const classes = [...byClass].map(([c, actions]) => `${c} (${actions.join(', ')})`).join(' and ');
  const section = account ? `the [${account}] section of manager.conf` : 'the account in manager.conf';
  return `the AMI account lacks the write class ${classes}: set "${WRITE_LINE}" in ${section}, then run "manager reload"`;
}
