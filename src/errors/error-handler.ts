import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type DomainError, ERROR_MESSAGES_ZH } from './errors';
import { dependencyUnavailable } from './unavailable';

/** What a 503 for an outage asks clients to wait before trying again. */
const RETRY_AFTER_SECONDS = 5;

export interface ErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
  messageZh: string;
  requestId: string;
  details?: { field: string; message: string }[];
  retryAfterSeconds?: number;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

type Issue = { instancePath: string; message: string; keyword: string; params: Record<string, unknown> };

type Detail = { field: string; message: string; messageZh?: string };

/** "body.languages.bo: Too big: expected number to be <=5" — the field is always named. */
function describeValidation(context: string, issues: Issue[]): Detail[] {
  return issues.map((issue) => {
    const path = issue.instancePath.split('/').filter(Boolean);
    const field = [context, ...path].join('.');
    if (issue.keyword === 'unrecognized_keys' && Array.isArray(issue.params.keys)) {
      const keys = issue.params.keys as string[];
      return { field: keys.map((k) => `${field}.${k}`).join(', '), message: `unknown field${keys.length > 1 ? 's' : ''}`, messageZh: '是未知字段' };
    }
    // A custom check may carry its Chinese text (src/api/nul-guard.ts); zod words the others.
    const zh = (issue.params.params as { messageZh?: unknown } | undefined)?.messageZh;
    return { field, message: issue.message, messageZh: typeof zh === 'string' ? zh : zodZh(issue) };
  });
}

const zhCN = z.locales.zhCN();

/** Zod's own Chinese wording of an issue ("数值过大：期望 number <=5"), from what the type provider kept of it. */
function zodZh(issue: Issue): string | undefined {
  const text = zhCN.localeError({ ...issue.params, code: issue.keyword, message: issue.message, path: [] } as unknown as Parameters<typeof zhCN.localeError>[0]);
  const message = typeof text === 'string' ? text : text?.message;
  // A custom check without a Chinese text of its own is only "无效输入": its English says more.
  return message && issue.keyword !== 'custom' ? message : undefined;
}

/** "请求内容有误：querystring.q 不能包含空字符…" — the Chinese text names the fields too. */
function validationZh(details: Detail[]): string {
  return `${ERROR_MESSAGES_ZH.HOTLINE_ERR_VALIDATION}：${details.map((d) => `${d.field} ${d.messageZh ?? '不符合要求'}`).join('；')}`;
}

function send(reply: FastifyReply, request: FastifyRequest, statusCode: number, code: string, message: string, details?: Detail[], messageZh?: string, extra: Partial<ErrorBody> = {}) {
  const body: ErrorBody = {
    ...extra,
    statusCode,
    code,
    error: STATUS_TEXT[statusCode] ?? 'Error',
    message,
    messageZh: messageZh ?? ERROR_MESSAGES_ZH[code] ?? (statusCode >= 500 ? ERROR_MESSAGES_ZH.HOTLINE_ERR_INTERNAL! : '请求有误'),
    requestId: request.id,
    ...(details ? { details: details.map(({ field, message: m }) => ({ field, message: m })) } : {}),
  };
  return reply.code(statusCode).type('application/json; charset=utf-8').send(body);
}

/**
 * The one place errors become HTTP: 4xx keep their message and code; 5xx are logged with the
 * request id and answered with a generic message, so internals never leak.
 */
export const errorHandlerPlugin = fp(
  async function errorHandler(app: FastifyInstance) {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (hasZodFastifySchemaValidationErrors(error)) {
        const details = describeValidation(error.validationContext ?? 'request', error.validation as unknown as Issue[]);
        const message = details.map((d) => `${d.field}: ${d.message}`).join('; ');
        return send(reply, request, 400, 'HOTLINE_ERR_VALIDATION', message, details, validationZh(details));
      }
      if (isResponseSerializationError(error)) {
        request.log.error({ err: error, issues: error.cause.issues }, 'response did not match its schema');
        return send(reply, request, 500, 'HOTLINE_ERR_INTERNAL', 'Internal server error');
      }
      const status = error.statusCode ?? 500;
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        const limit = request.routeOptions.bodyLimit ?? 0;
        const size = limit >= 1024 * 1024 ? `${Math.round(limit / 1024 / 1024)} MiB` : `${Math.round(limit / 1024)} KiB`;
        return send(reply, request, 413, 'HOTLINE_ERR_BODY_TOO_LARGE', `body: larger than the ${size} this route accepts`, undefined, `请求内容过大：本接口最多接受 ${size}`);
      }
      if (status === 429 && !error.code?.startsWith('HOTLINE_')) {
        // @fastify/rate-limit's refusal: said with our code and the wait it set in Retry-After.
        const retry = Math.max(1, Math.ceil(Number(reply.getHeader('retry-after')) || 60));
        return send(reply, request, 429, 'HOTLINE_ERR_RATE_LIMITED', `Too many requests; try again in ${retry} s`, undefined, `请求过于频繁，请 ${retry} 秒后再试`, { retryAfterSeconds: retry });
      }
      if (status >= 400 && status < 500) {
        const code = error.code ?? 'HOTLINE_ERR_BAD_REQUEST';
        const message =
          code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
            ? `body: malformed JSON (${error.message})`
            : error.message;
        return send(reply, request, status, code, message, undefined, (error as DomainError).messageZh);
      }
      const away = dependencyUnavailable(error);
      if (away) {
        // An outage, not a fault of this request: say so, and when to try again.
        request.log.warn({ err: error, dependency: away }, 'request failed: a dependency is unavailable');
        reply.header('retry-after', String(RETRY_AFTER_SECONDS));
        return send(reply, request, 503, 'HOTLINE_ERR_UNAVAILABLE', away === 'database' ? 'The database is unavailable; try again shortly' : 'The live state (Redis) is unavailable; try again shortly');
      }
      request.log.error({ err: error }, 'request failed');
      return send(reply, request, status === 503 ? 503 : 500, status === 503 ? (error.code ?? 'HOTLINE_ERR_NOT_READY') : 'HOTLINE_ERR_INTERNAL', status === 503 ? error.message : 'Internal server error');
    });
  },
  { name: 'error-handler' },
);
