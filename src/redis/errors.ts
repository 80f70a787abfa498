/**
 * Whether an error means Redis could not serve the request just now — not reachable, failing
 * over, loading its data, or holding a live state this node no longer recognises — so the
 * request may be tried again shortly (routes answer 503, desks get UNAVAILABLE).
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// Replies a Redis (or Sentinel-managed set) gives while it cannot take writes.
const REPLIES = /^(LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;
const MESSAGES = ['Connection is closed', 'max retries per request', "Stream isn't writeable", 'All sentinels are unreachable', 'did not answer within'];
const NAMES = new Set(['MaxRetriesPerRequestError', 'LiveStateLostError']);

export function isRedisUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: unknown; code?: unknown; message?: unknown };
  if (typeof e.name === 'string' && NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return REPLIES.test(message) || MESSAGES.some((m) => message.toLowerCase().includes(m.toLowerCase()));
}
