import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { agentsRepository } from '../../agents/agents-repository';
import { toProfile } from '../../agents/agent-admin';
import { UNKNOWN_USER_HASH, verifyPassword } from '../../auth/passwords';
import { actorOf, type TokenClaims } from '../../auth/plugin';
import { Errors } from '../../errors/errors';
import { AgentProfileSchema, errors } from '../schemas';

const LoginBody = z.strictObject({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(200),
});

export async function authRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const agents = agentsRepository(app.db);

  r.post(
    '/api/auth/login',
    {
      config: {
        access: 'public',
        // Slows password guessing; the limit is per client address.
        rateLimit: { max: 20, timeWindow: '1 minute' },
      },
      schema: {
        tags: ['auth'],
        summary: 'Sign in; returns a bearer token (12 h) and the user',
        security: [],
        body: LoginBody,
        response: {
          200: z.object({ token: z.string(), expiresAt: z.date(), user: AgentProfileSchema }),
          ...errors(400, 401, 429),
        },
      },
    },
    async (request) => {
      const { username, password } = request.body;
      const row = await agents.findByUsername(username);
      const ok = await verifyPassword(password, row?.password_hash ?? UNKNOWN_USER_HASH);
      if (!row || !ok || row.disabled) {
        request.log.info({ username }, 'sign-in refused');
        throw new Errors.INVALID_CREDENTIALS();
      }
      await agents.recordLogin(row.id);
      const claims: TokenClaims = { sub: row.id, role: row.role, username: row.username, tv: row.token_version };
      const token = app.jwt.sign(claims);
      const { exp } = app.jwt.decode<{ exp: number }>(token)!;
      return { token, expiresAt: new Date(exp * 1000), user: toProfile(row) };
    },
  );

  r.get(
    '/api/auth/me',
    {
      config: { access: 'authenticated' },
      schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: AgentProfileSchema, ...errors(401) } },
    },
    async (request) => {
      const row = await agents.findById(actorOf(request).id);
      if (!row) throw new Errors.UNAUTHENTICATED('the account no longer exists');
      return toProfile(row);
    },
  );
}
