import { z } from 'zod';

/** The body of every error answer (src/errors/error-handler.ts), for routes' OpenAPI responses. */
export const ErrorSchema = z
  .object({
    statusCode: z.number().int(),
    code: z.string(),
    error: z.string(),
    message: z.string(),
    messageZh: z.string(),
    requestId: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    retryAfterSeconds: z.number().int().optional().describe('429: how long to wait before trying again (also the Retry-After header)'),
  })
  .meta({ id: 'Error' });

export const errors = (...codes: (400 | 401 | 403 | 404 | 409 | 429 | 503)[]) =>
  Object.fromEntries(codes.map((c) => [c, ErrorSchema]));
