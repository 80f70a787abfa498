import { isDatabaseUnavailable } from '../db/errors';
import { isRedisUnavailable } from '../redis/errors';

/** A dependency (PostgreSQL, Redis) is away for now: the request may be tried again shortly. */
export function dependencyUnavailable(err: unknown): 'database' | 'redis' | null {
  if (isDatabaseUnavailable(err)) return 'database';
  if (isRedisUnavailable(err)) return 'redis';
  return null;
}
