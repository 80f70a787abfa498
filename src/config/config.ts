import path from 'node:path';
import { z } from 'zod';

/**
 * Configuration is read from the environment once, at start, and validated here. Everything
 * else receives the typed `Config` object; nothing reads `process.env` on its own.
 */

export const TELEPHONY_DRIVERS = ['sim', 'asterisk', 'twilio'] as const;
export type TelephonyDriverName = (typeof TELEPHONY_DRIVERS)[number];

/** Variables whose values must never appear in a message or a log line. */
export const SECRET_VARIABLES = new Set([
  'DATABASE_URL',
  'REDIS_URL',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
  'ADMIN_PASSWORD',
  'ASTERISK_SIP_SECRET',
  'JWT_SECRET',
  'ASTERISK_SECRET',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_API_SECRET',
]);

// Orchestrators often pass `FOO=` for "unset"; treat an empty string as absent.
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const withDefault = <T extends z.ZodType>(schema: T, value: z.input<T>) =>
  z.preprocess((v) => (v === '' || v === undefined ? value : v), schema);

const booleanFlag = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\/[^\s]+$/.test(v), 'must be a postgres:// or postgresql:// URL');
const redisUrl = z.string().refine((v) => /^rediss?:\/\/[^\s]+$/.test(v), 'must be a redis:// or rediss:// URL');
const httpUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

const EnvSchema = z.object({
  NODE_ENV: withDefault(z.enum(['development', 'production', 'test']), 'development'),
  PORT: withDefault(z.coerce.number().int('must be a whole number').min(1).max(65535), 3000),
  HOST: optional(z.string().min(1)),
  LOG_LEVEL: withDefault(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
  DATA_DIR: withDefault(z.string().min(1), './data'),
  DATABASE_URL: optional(postgresUrl),
  REDIS_URL: optional(redisUrl),
  /** Sentinels watching the Redis primary, host:port,host:port: every Redis client follows a failover. */
  REDIS_SENTINELS: optional(
    z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'each entry must be host:port')).min(1)),
  ),
  REDIS_SENTINEL_NAME: withDefault(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be the master name sentinel.conf monitors'), 'mymaster'),
  REDIS_PASSWORD: optional(z.string().min(1)),
  REDIS_SENTINEL_PASSWORD: optional(z.string().min(1)),
  REDIS_NAMESPACE: withDefault(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be lower-case letters, digits and -, starting with a letter'), 'hotline'),
  ADMIN_PASSWORD: optional(z.string().min(8, 'must be at least 8 characters')),
  JWT_SECRET: optional(z.string().min(32, 'must be at least 32 characters')),
  PUBLIC_BASE_URL: optional(httpUrl),
  PROVINCE: withDefault(z.string().regex(/^\d{2}0000$/, 'must be a 6-digit province code such as 630000'), '630000'),
  TELEPHONY: withDefault(
    z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(z.enum(TELEPHONY_DRIVERS, { error: `each entry must be one of ${TELEPHONY_DRIVERS.join(', ')}` })).min(1)),
    'sim',
  ),
  DEMO_ACCOUNTS: optional(booleanFlag),
  SHUTDOWN_GRACE_MS: withDefault(z.coerce.number().int().min(0).max(600_000), 10_000),
  ASTERISK_HOST: optional(z.string().min(1)),
  ASTERISK_PORT: withDefault(z.coerce.number().int().min(1).max(65535), 5038),
  ASTERISK_USERNAME: optional(z.string().min(1)),
  ASTERISK_SECRET: optional(z.string().min(1)),
  ASTERISK_AGENT_DIAL: withDefault(
    z.string().refine((v) => v.includes('{agent}'), 'must contain the {agent} placeholder'),
    'PJSIP/{agent}',
  ),
  /** Agents' browsers register to Asterisk here (SIP over secure WebSocket), e.g. wss://pbx.example.cn:8089/ws. */
  ASTERISK_WEBRTC_URL: optional(z.url({ protocol: /^wss?$/, error: 'must be a ws:// or wss:// URL' })),
  ASTERISK_SIP_DOMAIN: optional(z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be a host name')),
  /** Each agent's SIP password is an HMAC of their username under this secret (see docs/asterisk.md). */
  ASTERISK_SIP_SECRET: optional(z.string().min(16, 'must be at least 16 characters')),
  SIM_KEY_DELAY_MS: withDefault(z.coerce.number().int().min(0).max(60_000), 400),
  SIM_TIME_SCALE: withDefault(z.coerce.number().min(0.0001).max(10), 1),
  TWILIO_ACCOUNT_SID: optional(z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex digits')),
  TWILIO_AUTH_TOKEN: optional(z.string().min(1)),
  TWILIO_API_KEY: optional(z.string().regex(/^SK[0-9a-fA-F]{32}$/, 'must look like SK followed by 32 hex digits')),
  TWILIO_API_SECRET: optional(z.string().min(1)),
  TWILIO_TWIML_APP_SID: optional(z.string().regex(/^AP[0-9a-fA-F]{32}$/, 'must look like AP followed by 32 hex digits')),
  /** Where the REST client sends its requests instead of https://api.twilio.com (a local fake in tests). */
  TWILIO_API_BASE_URL: optional(httpUrl),
  /** Where <Play> fetches recorded prompts and hold music: {base}/{name}.mp3; default PUBLIC_BASE_URL/audio. */
  TWILIO_AUDIO_BASE_URL: optional(httpUrl),
  /** Text-to-speech voices for <Say> (e.g. Polly.Zhiyu); unset uses the account's default voice for the language. */
  TWILIO_VOICE_ZH: optional(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a Twilio voice name such as Polly.Zhiyu')),
  TWILIO_VOICE_EN: optional(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a Twilio voice name such as Polly.Joanna')),
  TWILIO_REST_TIMEOUT_MS: withDefault(z.coerce.number().int().min(100).max(60_000), 5_000),
  /** The number callbacks dialled through Twilio show (E.164, a number of the account). */
  TWILIO_CALLER_ID: optional(z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +869718000000')),
  /** Which phone system dials callbacks an agent accepted: one of TELEPHONY (default: the first), or `agent` (the agent phones them). */
  CALLBACK_DIAL: optional(z.enum([...TELEPHONY_DRIVERS, 'agent'], { error: `must be one of ${TELEPHONY_DRIVERS.join(', ')} or agent` })),
});

type Env = z.output<typeof EnvSchema>;

export type DatabaseConfig =
  | { kind: 'postgres'; url: string }
  /** `dataDir: null` keeps the embedded database in memory (tests). */
  /** `seed`: a dump (PGlite's dumpDataDir) an in-memory database starts from — tests share one migrated copy. */
  | { kind: 'pglite'; dataDir: string | null; seed?: Blob };

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  /** True when running without DATABASE_URL: one node, embedded database and live store. */
  embedded: boolean;
  database: DatabaseConfig;
  redisUrl: string | null;
  /** Redis behind Sentinel (REDIS_SENTINELS), instead of a fixed REDIS_URL. */
  redisSentinel: { sentinels: { host: string; port: number }[]; name: string; password: string | null; sentinelPassword: string | null } | null;
  /** Prefix of every Redis key, so several deployments (or test runs) can share one Redis. */
  redisNamespace: string;
  adminPassword: string | null;
  /** Null in embedded mode: a secret is generated and kept under DATA_DIR. */
  jwtSecret: string | null;
  publicBaseUrl: string | null;
  province: string;
  telephony: TelephonyDriverName[];
  demoAccounts: boolean;
  shutdownGraceMs: number;
  /** The built-in simulator: how fast its callers press keys, and how its waits are scaled. */
  sim: { keyDelayMs: number; timeScale: number };
  /**
   * Which phone system dials the callbacks agents accept (CALLBACK_DIAL); `agent`: none, the
   * agent phones the caller. Absent: the first of `telephony`.
   */
  callbackDial?: TelephonyDriverName | 'agent';
  asterisk: {
    host: string;
    port: number;
    username: string;
    secret: string;
    agentDial: string;
    /** The browser softphone's registration, when agents use SIP.js rather than desk phones. */
    webrtc: { wsUrl: string; domain: string; sipSecret: string } | null;
    /** While the AMI account lacks a privilege, how often to log in again to see a fix (60 s; tests shorten it). */
    privilegeRecheckMs?: number;
    /** How often the service-hours flag for the generated menus is checked (15 s; tests shorten it). */
    hoursCheckMs?: number;
  } | null;
  twilio: {
    accountSid: string;
    authToken: string;
    apiKey: string | null;
    apiSecret: string | null;
    twimlAppSid: string | null;
    /** Null: the real API (https://api.twilio.com). */
    apiBaseUrl: string | null;
    /** Null when there is no PUBLIC_BASE_URL to derive it from. */
    audioBaseUrl: string | null;
    voices: { zh: string | null; en: string | null };
    restTimeoutMs: number;
    /** The caller ID of callbacks dialled through Twilio (TWILIO_CALLER_ID). */
    callerId?: string | null;
  } | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describeIssue(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const variable = String(issue.path[0] ?? 'environment');
  const raw = env[variable];
  const shown = raw === undefined ? '' : SECRET_VARIABLES.has(variable) ? ' (value hidden)' : ` (got ${JSON.stringify(raw)})`;
  return `${variable}: ${issue.message}${shown}`;
}

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => describeIssue(i, env)));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const embedded = e.DATABASE_URL === undefined;

  if (e.REDIS_URL !== undefined && e.REDIS_SENTINELS !== undefined) {
    problems.push('REDIS_SENTINELS: set either REDIS_URL or REDIS_SENTINELS, not both');
  }
  if (!embedded && e.JWT_SECRET === undefined) {
    problems.push('JWT_SECRET: is required when DATABASE_URL is set, so that every node accepts the same tokens');
  }
  const telephony = [...new Set(e.TELEPHONY)];
  if (telephony.includes('asterisk')) {
    for (const name of ['ASTERISK_HOST', 'ASTERISK_USERNAME', 'ASTERISK_SECRET'] as const) {
      if (e[name] === undefined) problems.push(`${name}: is required when TELEPHONY includes asterisk`);
    }
  }
  if (telephony.includes('twilio')) {
    for (const name of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'PUBLIC_BASE_URL'] as const) {
      if (e[name] === undefined) problems.push(`${name}: is required when TELEPHONY includes twilio`);
    }
  }
  if ((e.ASTERISK_WEBRTC_URL === undefined) !== (e.ASTERISK_SIP_SECRET === undefined)) {
    problems.push(e.ASTERISK_WEBRTC_URL === undefined ? 'ASTERISK_WEBRTC_URL: is required when ASTERISK_SIP_SECRET is set' : 'ASTERISK_SIP_SECRET: is required when ASTERISK_WEBRTC_URL is set');
  }
  // The softphone's access token is signed with an API key and its secret: one without the other is a mistake.
  if ((e.TWILIO_API_KEY === undefined) !== (e.TWILIO_API_SECRET === undefined)) {
    problems.push(e.TWILIO_API_KEY === undefined ? 'TWILIO_API_KEY: is required when TWILIO_API_SECRET is set' : 'TWILIO_API_SECRET: is required when TWILIO_API_KEY is set');
  }
  if (e.CALLBACK_DIAL !== undefined && e.CALLBACK_DIAL !== 'agent' && !telephony.includes(e.CALLBACK_DIAL)) {
    problems.push(`CALLBACK_DIAL: ${e.CALLBACK_DIAL} is not in TELEPHONY (${telephony.join(',')})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = path.resolve(e.DATA_DIR);
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    // The embedded demo has well-known demo passwords, so it listens on loopback unless told otherwise.
    host: e.HOST ?? (embedded ? '127.0.0.1' : '0.0.0.0'),
    logLevel: e.LOG_LEVEL,
    dataDir,
    embedded,
    database: embedded ? { kind: 'pglite', dataDir: path.join(dataDir, 'pgdata') } : { kind: 'postgres', url: e.DATABASE_URL! },
    redisUrl: e.REDIS_URL ?? null,
    redisSentinel: e.REDIS_SENTINELS
      ? {
          sentinels: e.REDIS_SENTINELS.map((hp) => ({ host: hp.slice(0, hp.lastIndexOf(':')), port: Number(hp.slice(hp.lastIndexOf(':') + 1)) })),
          name: e.REDIS_SENTINEL_NAME,
          password: e.REDIS_PASSWORD ?? null,
          sentinelPassword: e.REDIS_SENTINEL_PASSWORD ?? null,
        }
      : null,
    redisNamespace: e.REDIS_NAMESPACE,
    adminPassword: e.ADMIN_PASSWORD ?? null,
    jwtSecret: e.JWT_SECRET ?? null,
    publicBaseUrl: e.PUBLIC_BASE_URL ?? null,
    province: e.PROVINCE,
    telephony,
    demoAccounts: e.DEMO_ACCOUNTS ?? embedded,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    sim: { keyDelayMs: e.SIM_KEY_DELAY_MS, timeScale: e.SIM_TIME_SCALE },
    ...(e.CALLBACK_DIAL ? { callbackDial: e.CALLBACK_DIAL } : {}),
    asterisk:
      e.ASTERISK_HOST && e.ASTERISK_USERNAME && e.ASTERISK_SECRET
        ? {
            host: e.ASTERISK_HOST,
            port: e.ASTERISK_PORT,
            username: e.ASTERISK_USERNAME,
            secret: e.ASTERISK_SECRET,
            agentDial: e.ASTERISK_AGENT_DIAL,
            webrtc:
              e.ASTERISK_WEBRTC_URL && e.ASTERISK_SIP_SECRET
                ? { wsUrl: e.ASTERISK_WEBRTC_URL, domain: e.ASTERISK_SIP_DOMAIN ?? new URL(e.ASTERISK_WEBRTC_URL).hostname, sipSecret: e.ASTERISK_SIP_SECRET }
                : null,
          }
        : null,
    twilio:
      e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN
        ? {
            accountSid: e.TWILIO_ACCOUNT_SID,
            authToken: e.TWILIO_AUTH_TOKEN,
            apiKey: e.TWILIO_API_KEY ?? null,
            apiSecret: e.TWILIO_API_SECRET ?? null,
            twimlAppSid: e.TWILIO_TWIML_APP_SID ?? null,
            apiBaseUrl: e.TWILIO_API_BASE_URL ? withoutTrailingSlash(e.TWILIO_API_BASE_URL) : null,
            audioBaseUrl: e.TWILIO_AUDIO_BASE_URL
              ? withoutTrailingSlash(e.TWILIO_AUDIO_BASE_URL)
              : e.PUBLIC_BASE_URL
                ? `${withoutTrailingSlash(e.PUBLIC_BASE_URL)}/audio`
                : null,
            voices: { zh: e.TWILIO_VOICE_ZH ?? null, en: e.TWILIO_VOICE_EN ?? null },
            restTimeoutMs: e.TWILIO_REST_TIMEOUT_MS,
            callerId: e.TWILIO_CALLER_ID ?? null,
          }
        : null,
  };
}
