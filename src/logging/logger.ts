import type { LoggerOptions } from 'pino';
import { maskPhoneNumber, maskPhoneNumbersInText } from '../telephony/phone-number';

/** Keys whose values are phone numbers: masked, so support can still tell calls apart. */
const PHONE_KEYS = ['callerNumber', 'caller', 'from', 'to', 'phone', 'phoneNumber', 'number', 'From', 'To', 'Caller', 'Called'];
/** Keys whose values are secrets: removed entirely. */
const SECRET_KEYS = ['password', 'passwordHash', 'token', 'secret', 'jwtSecret', 'authToken', 'apiSecret', 'adminPassword'];

const paths = [
  'req.headers.authorization',
  'req.headers.cookie',
  // The pages' WebSocket carries its bearer token as a subprotocol.
  'req.headers["sec-websocket-protocol"]',
  'res.headers["set-cookie"]',
  'req.headers["x-twilio-signature"]',
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`]),
  ...PHONE_KEYS.flatMap((k) => [k, `*.${k}`]),
];

const PHONE_KEY_SET = new Set(PHONE_KEYS);

function censor(value: unknown, path: string[]): unknown {
  const key = path[path.length - 1] ?? '';
  if (PHONE_KEY_SET.has(key) && typeof value === 'string') return maskPhoneNumber(value);
  return '[REDACTED]';
}

/** Strips the token a browser WebSocket carries in the query string. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|access_token)=)[^&]*/gi, '$1[REDACTED]');
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths, censor },
    serializers: {
      req(req: { method: string; url: string; id: string; ip?: string }) {
        return { method: req.method, url: maskPhoneNumbersInText(redactUrl(req.url)), reqId: req.id };
      },
    },
    hooks: {
      // Field paths cannot reach numbers written into a message, so mask those in the text.
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? maskPhoneNumbersInText(a) : a));
        return method.apply(this, masked as Parameters<typeof method>);
      },
    },
  };
}

/**
 * Probes and scrapes arrive every few seconds from every load balancer and Prometheus: their
 * request lines would bury the log at info, so they show only when the service logs at debug.
 */
export function probeLogLevel(serviceLevel: string): 'debug' | 'trace' | 'warn' {
  return serviceLevel === 'debug' || serviceLevel === 'trace' ? serviceLevel : 'warn';
}
