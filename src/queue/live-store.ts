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
}
