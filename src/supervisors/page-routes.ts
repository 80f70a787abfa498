import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { projectRoot } from '../paths';

const PAGE_DIR = path.join(projectRoot(), 'public', 'supervisor');

/**
 * The page's own scripts, styles and nothing else: no inline code, no CDN; charts are SVG built
 * with DOM calls. The WebSocket and the REST API are on this host.
 */
export const SUPERVISOR_PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const FileParams = z.strictObject({ '*': z.string().min(1).max(200) });

/** /supervisor: the wallboard and staffing page, served from public/supervisor. */
export async function supervisorPageRoutes(app: FastifyInstance) {
  // serve: false — each route is declared here with its access rule, like any other.
  await app.register(fastifyStatic, { root: PAGE_DIR, serve: false });
  const r = app.withTypeProvider<ZodTypeProvider>();
  const page = { config: { access: 'public' as const }, schema: { hide: true } };
  // This plugin is encapsulated: the header goes on its own routes only.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', SUPERVISOR_PAGE_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });

  r.get('/supervisor', page, (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html', PAGE_DIR));
  r.get('/supervisor/assets/*', { ...page, schema: { ...page.schema, params: FileParams } }, (request, reply) =>
    reply.header('cache-control', 'no-cache').sendFile(request.params['*'], PAGE_DIR),
  );
}
