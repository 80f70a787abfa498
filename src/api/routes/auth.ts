import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { agentsRepository } from '../../agents/agents-repository';
import { toProfile } from '../../agents/agent-admin';
import { UNKNOWN_USER_HASH, verifyPassword } from '../../auth/passwords';
import { actorOf, SESSION_COOKIE, TOKEN_LIFETIME, type TokenClaims } from '../../auth/plugin';
import type { AgentRow } from '../../db/schema';
import { Errors } from '../../errors/errors';
import { AgentProfileSchema, errors } from '../schemas';

const LoginBody = z.strictObject({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(200),
});

const SignedIn = z.object({ token: z.string(), expiresAt: z.date(), user: AgentProfileSchema });

export async function authRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const agents = agentsRepository(app.db);

  /**
   * A bearer token for the account, and the sign-in kept in an httpOnly cookie (a token of type
   * 'session', good only at /api/auth/refresh) so that a closed tab reopened is still signed in.
   * The cookie ends with the working day's token; a changed password, role or status ends both.
   */
  function signedIn(request: FastifyRequest, reply: FastifyReply, row: AgentRow) {
    const claims: TokenClaims = { sub: row.id, role: row.role, username: row.username, tv: row.token_version };
    const token = app.jwt.sign(claims);
    const { exp } = app.jwt.decode<{ exp: number }>(token)!;
    const kept = request.cookies[SESSION_COOKIE];
    // A refresh keeps the cookie it came with: a sign-in lasts one working day, not for ever.
    if (!kept || request.routeOptions.url === '/api/auth/login') {
      reply.setCookie(SESSION_COOKIE, app.jwt.sign({ ...claims, typ: 'session' }, { expiresIn: TOKEN_LIFETIME }), {
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        path: '/api/auth',
        expires: new Date(exp * 1000),
      });
    }
    return { token, expiresAt: new Date(exp * 1000), user: toProfile(row) };
  }

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
          200: SignedIn,
          ...errors(400, 401, 429),
        },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const row = await agents.findByUsername(username);
      const ok = await verifyPassword(password, row?.password_hash ?? UNKNOWN_USER_HASH);
      if (!row || !ok || row.disabled) {
        request.log.info({ username }, 'sign-in refused');
        throw new Errors.INVALID_CREDENTIALS();
      }
      await agents.recordLogin(row.id);
      return signedIn(request, reply, row);
    },
  );

  r.post(
    '/api/auth/refresh',
    {
      config: { access: 'public', rateLimit: { max: 60, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary: 'A bearer token again from the sign-in kept in this browser (the httpOnly session cookie set at sign-in): a tab closed and reopened stays signed in',
        security: [],
        response: { 200: SignedIn, 204: z.null().describe('no sign-in is kept in this browser'), ...errors(401, 429) },
      },
    },
    async (request, reply) => {
      // Every page asks at start; a browser that kept nothing is no error.
      if (!request.cookies[SESSION_COOKIE]) return reply.code(204).send(null);
      const actor = await app.authenticateSession(request.cookies[SESSION_COOKIE]).catch((err: unknown) => {
        reply.clearCookie(SESSION_COOKIE, { path: '/api/auth' });
        throw err;
      });
      const row = await agents.findById(actor.id);
      if (!row) throw new Errors.UNAUTHENTICATED('the account no longer exists');
      return signedIn(request, reply, row);
    },
  );

  r.post(
    '/api/auth/logout',
    {
      config: { access: 'public' },
      schema: { tags: ['auth'], summary: 'Forget the sign-in kept in this browser (the session cookie)', security: [], response: { 204: z.null() } },
    },
    async (_request, reply) => {
      reply.clearCookie(SESSION_COOKIE, { path: '/api/auth' });
      return reply.code(204).send(null);
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
