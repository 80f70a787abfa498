import type { LiveState } from './live-state';
import type { Deadline, Entity, RoutingEvent, Tx } from './types';

/** What a committed step tells listeners on every node. */
export interface Committed {
  put: Record<string, Entity>;
  del: string[];
  events: RoutingEvent[];
  addDeadlines: Deadline[];
  /** True on the node that made the change. */
  local: boolean;
}

/**
 * Where the live routing state is kept. Two implementations share one contract suite:
 * in process (one node) and Redis (several nodes). The routing logic is the same for both;
 * a store only makes each step atomic and tells every node what changed.
 */
export interface LiveStore {
  readonly kind: 'memory' | 'redis';
  /** This node's view: the state itself in process, a replica kept current for Redis. */
  readonly state: LiveState;
  start(): Promise<void>;
  /** All of the step or none of it; false when a version read has changed since. */
  commit(tx: Tx): Promise<boolean>;
  /** Re-reads entries from the source of truth after a conflict. */
  refresh(keys: string[]): Promise<void>;
  /** Takes deadlines that are due; each is handed to exactly one node. */
  claimDue(now: number, limit: number): Promise<string[]>;
  nextDeadline(): Promise<number | null>;
  onCommitted(listener: (c: Committed) => void): void;
  close(): Promise<void>;
  /**
   * Whether the shared state can be used: `unreachable` while Redis does not answer, `lost` from
   * the moment it turns out to have lost (or replaced) what this node knew until it is recovered.
   * Always `ok` in process.
   */
  readonly health: 'ok' | 'unreachable' | 'lost';
  /** Checks now whether the shared state is still the one this node knows (false: lost, or unreachable). */
  verify(): Promise<boolean>;
  /** Told when the shared state turns out lost or replaced. */
  onLost(listener: (why: string) => void): void;
  /** Puts back a replica's entities where the shared state lacks them or holds older versions. */
  merge(input: MergeInput): Promise<{ written: string[]; armed: number }>;
  /** Loads the shared state as it is now. */
  resync(): Promise<void>;
}

/** What a node puts back after the live state was lost: entities with the version read, and their deadlines. */
export interface MergeInput {
  entities: { key: string; readVersion: number; entity: Entity }[];
  deleted: string[];
  deadlines: { owner: string; key: string; at: number }[];
}
