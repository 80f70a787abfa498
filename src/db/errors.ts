/**
 * Whether an error means "the database could not be reached" (try again later) rather than
 * "the statement was wrong" (trying again changes nothing). The outbox keeps the first kind
 * for later; routes answer it with 503 instead of 500.
 */

// Socket-level failures Node reports for a connection that could not be made or was lost.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

// SQLSTATE classes and codes that say the server is unavailable or the transaction may be retried:
// 08 connection exception, 53 insufficient resources, 57P01-03 shutdown / starting up,
// 40001 serialization failure, 40P01 deadlock.
const RETRYABLE_SQLSTATE = /^(08|53|57P0[123]$|40001$|40P01$)/;

// node-pg reports a few of these only by message.
const MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Query read timeout',
  'connection is closed',
  'Cannot use a pool after calling end',
  'did not answer within',
];

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || RETRYABLE_SQLSTATE.test(e.code))) return true;
  // Node 20 reports a failed connect to several addresses (IPv4 and IPv6) as an AggregateError.
  if (Array.isArray(e.errors) && e.errors.some(isDatabaseUnavailable)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return MESSAGES.some((m) => message.includes(m));
}
