import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Errors } from '../errors/errors';
import { projectRoot } from '../paths';
import { BOUNDARY_PACKAGE, loadCountyBoundaries } from '../regions/county-boundaries';

const ROOT = projectRoot();
const PAGE_DIR = path.join(ROOT, 'public', 'supervisor');
// echarts' export map hides its browser bundles from require.resolve; they sit in node_modules.
const ECHARTS_DIST = path.join(ROOT, 'node_modules', 'echarts', 'dist');
const BOUNDARY_DIR = path.join(ROOT, 'node_modules', BOUNDARY_PACKAGE);

/**
 * The page's own scripts, styles and nothing else: no inline code, no CDN; ECharts and the county
 * boundaries come from this host too (ECharts sets styles through the CSSOM, which style-src
 * allows; its HTML tooltips would not pass, so the page draws tooltips on the canvas). The
 * WebSocket and the REST API are on this host.
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
  // The ES module build, so the page's modules import it like their own.
  r.get('/supervisor/vendor/echarts.js', page, (_request, reply) => reply.header('cache-control', 'public, max-age=86400').sendFile('echarts.esm.min.mjs', ECHARTS_DIST));

  // Assembled once, on first demand: most app starts (tests, nodes without supervisors) never need it.
  let counties: Promise<string | null> | undefined;
  const countiesJson = () =>
    (counties ??= loadCountyBoundaries(app.regions, BOUNDARY_DIR).then(
      (b) => {
        if (!b) return null;
        if (b.missing.length || b.unmatched.length) app.log.warn({ missing: b.missing, unmatched: b.unmatched }, 'county boundaries: counties without a shape, or shapes without a county');
        return JSON.stringify(b);
      },
      (err: unknown) => {
        counties = undefined;
        throw err;
      },
    ));
  r.get('/supervisor/vendor/counties.json', page, async (_request, reply) => {
    const json = await countiesJson();
    if (json === null) throw new Errors.NO_BOUNDARIES(app.regions.province.code, BOUNDARY_PACKAGE);
    return reply.header('cache-control', 'public, max-age=3600').type('application/json; charset=utf-8').send(json);
  });
}
