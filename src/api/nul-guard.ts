import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NUL_MESSAGE, NUL_MESSAGE_ZH, nulPath } from '../validation/nul';

/**
 * PostgreSQL cannot store U+0000 in text, so a NUL anywhere in a request would fail deep in a
 * query (a 500) or, worse, half-way through a write. It is refused at the edge instead, for
 * every route (the validator compiler below) and every WebSocket frame (src/ws/frames.ts),
 * naming the field.
 */
const NoNul = z.unknown().superRefine((value, ctx) => {
  const path = nulPath(value);
  if (path) ctx.addIssue({ code: 'custom', path, message: NUL_MESSAGE, params: { messageZh: NUL_MESSAGE_ZH } });
});

/**
 * fastify-type-provider-zod's compiler, with every querystring, params and body schema run after
 * the NUL check: a request holding one is a 400 validation error naming the field, before the
 * handler runs. Runs after preValidation hooks (the Twilio signature check sees the body as sent).
 */
export const guardedValidatorCompiler: FastifySchemaCompiler<z.ZodType> = (route) => {
  if (!(route.schema instanceof z.ZodType)) return validatorCompiler(route);
  return validatorCompiler({ ...route, schema: NoNul.pipe(route.schema) });
};
