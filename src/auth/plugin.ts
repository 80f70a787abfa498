import fastifyCookie from '@fastify/cookie';
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { agentsRepository } from '../agents/agents-repository';
import type { Role } from '../db/schema';
import { Errors } from '../errors/errors';
import { type Access, type Actor, actorFromRow } from './actor';

export interface TokenClaims {
  sub: string;
  role: Role;
  username: string;
  /** The account's token version when signed (agents.token_version). */
  tv: number;
  /** 'session': the sign-in kept in the httpOnly cookie, good only for getting a bearer token again. */
  typ?: 'session';
}

/** The cookie that keeps a sign-in across closed tabs (httpOnly, sent only to /api/auth). */
export const SESSION_COOKIE = 'hotline_session';
/** The WebSocket subprotocol pages ask for; the token rides beside it as `bearer.<token>`. */
export const WS_PROTOCOL = 'hotline.v1';
const WS_BEARER = 'bearer.';

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims;
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route. Every route must say; start-up fails otherwise. */
    access?: Access;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyInstance {
    /** Resolves a bearer token to the signed-in user, as route guards and WebSockets do. */
    authenticateToken(token: string | undefined): Promise<Actor>;
    /** Resolves the session cookie's token to the signed-in user (refused as a bearer token). */
    authenticateSession(token: string | undefined): Promise<Actor>;
  }
}

export const TOKEN_LIFETIME = '12h';
/** One algorithm, the one we sign with: no `none`, no algorithm chosen by whoever made the token. */
export const TOKEN_ALGORITHM = 'HS256';

/**
 * Browsers cannot set headers on a WebSocket upgrade: the pages send the token as a subprotocol
 * (`Sec-WebSocket-Protocol: hotline.v1, bearer.<token>`), so it never sits in a URL, a log line or
 * the console; tools may still put it in the query.
 */
export function tokenFrom(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  if (request.headers.upgrade?.toLowerCase() !== 'websocket') return undefined;
  const offered = request.headers['sec-websocket-protocol'];
  const bearer = (typeof offered === 'string' ? offered.split(',') : []).map((p) => p.trim()).find((p) => p.startsWith(WS_BEARER));
  if (bearer) return bearer.slice(WS_BEARER.length);
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.token === 'string' ? query.token : undefined;
}

export const authPlugin = fp(
  async function auth(app: FastifyInstance, opts: { jwtSecret: string }) {
    await app.register(fastifyCookie);
    await app.register(fastifyJwt, {
      secret: opts.jwtSecret,
      sign: { algorithm: TOKEN_ALGORITHM, expiresIn: TOKEN_LIFETIME },
      // A token without an expiry would be good for ever; one without a version could not be revoked.
      verify: { algorithms: [TOKEN_ALGORITHM], requiredClaims: ['exp', 'sub', 'tv'] },
    });
    const agents = agentsRepository(app.db);

    app.decorateRequest('actor', null);

    // The account is read on every request so that disabling it, changing its password or role
    // (each raises its token version), or moving a supervisor to another area, takes effect at
    // once rather than when the token expires.
    app.decorate('authenticateToken', (token: string | undefined) => authenticate(token, 'bearer'));
    app.decorate('authenticateSession', (token: string | undefined) => authenticate(token, 'session'));

    async function authenticate(token: string | undefined, kind: 'bearer' | 'session'): Promise<Actor> {
      if (!token) throw new Errors.UNAUTHENTICATED(kind === 'bearer' ? 'no bearer token was sent' : 'no sign-in is kept in this browser');
      let claims: TokenClaims;
      try {
        claims = app.jwt.verify<TokenClaims>(token);
      } catch (err) {
        const expired = (err as { code?: string }).code === 'FAST_JWT_EXPIRED';
        throw new Errors.UNAUTHENTICATED(expired ? 'the token has expired' : 'the token is not valid');
      }
      // The session cookie's token only gets a bearer token again (POST /api/auth/refresh), and a
      // bearer token is no session.
      if (typeof claims.sub !== 'string' || !Number.isInteger(claims.tv) || (claims.typ === 'session') !== (kind === 'session')) throw new Errors.UNAUTHENTICATED('the token is not valid');
      const row = await agents.findById(claims.sub);
      if (!row || row.disabled) throw new Errors.UNAUTHENTICATED('the account no longer exists or is disabled');
      if (row.token_version !== claims.tv || row.role !== claims.role) {
        throw new Errors.UNAUTHENTICATED('the sign-in is no longer valid (the password, role or status of the account changed)');
      }
      return actorFromRow(row);
    }

    function guard(access: Exclude<Access, 'public'>): onRequestHookHandler {
      return async function requireAccess(request) {
        const actor = await app.authenticateToken(tokenFrom(request));
        if (access !== 'authenticated' && !access.includes(actor.role)) throw new Errors.FORBIDDEN_ROLE(actor.role);
        request.actor = actor;
      };
    }

    app.addHook('onRoute', (route) => {
      const access = route.config?.access;
      if (access === undefined) {
        throw new Error(`route ${String(route.method)} ${route.url} does not declare who may call it (config.access)`);
      }
      if (access === 'public') return;
      const existing = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
      route.onRequest = [guard(access), ...existing];
    });
  },
  { name: 'auth', dependencies: ['database'] },
);

export { actorOf } from './actor';
