import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { projectRoot } from '../../paths';

const ROOT = projectRoot();
const PAGE_DIR = path.join(ROOT, 'public', 'softphone');
/** What the softphone and the supervisors' page share (sign-in, WebSocket, language switch, base CSS). */
const COMMON_DIR = path.join(ROOT, 'public', 'common');
// Both packages' export maps hide their browser bundles from require.resolve; they sit in node_modules.
const TWILIO_SDK_DIR = path.join(ROOT, 'node_modules', '@twilio', 'voice-sdk', 'dist');
const SIP_JS_DIR = path.join(ROOT, 'node_modules', 'sip.js', 'lib');

/**
 * What the page needs and nothing more: its own scripts, the two phone SDKs, and no inline
 * code. Twilio's SDK talks to Twilio's own servers, which connect-src has to allow.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "connect-src 'self' ws: wss: https://*.twilio.com wss://*.twilio.com",
  "frame-ancestors 'none'",
].join('; ');

const FileParams = z.strictObject({ '*': z.string().min(1).max(200) });

/** The agent's softphone page (/softphone), served from public/softphone with the SDKs it loads. */
export async function softphoneRoutes(app: FastifyInstance) {
  // serve: false — every route below is declared here, with its access rule, like any other.
  await app.register(fastifyStatic, { root: PAGE_DIR, serve: false });
  const r = app.withTypeProvider<ZodTypeProvider>();
  const page = { config: { access: 'public' as const }, schema: { hide: true } };
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/softphone') || request.url.startsWith('/common/')) {
      reply.header('content-security-policy', CSP);
      reply.header('x-content-type-options', 'nosniff');
    }
  });

  r.get('/softphone', page, (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html', PAGE_DIR));
  r.get('/softphone/assets/*', { ...page, schema: { ...page.schema, params: FileParams } }, (request, reply) =>
    reply.header('cache-control', 'no-cache').sendFile(request.params['*'], PAGE_DIR),
  );
  r.get('/common/*', { ...page, schema: { ...page.schema, params: FileParams } }, (request, reply) =>
    reply.header('cache-control', 'no-cache').sendFile(request.params['*'], COMMON_DIR),
  );
  r.get('/softphone/vendor/twilio.min.js', page, (_request, reply) => reply.header('cache-control', 'public, max-age=86400').sendFile('twilio.min.js', TWILIO_SDK_DIR));
  r.get('/softphone/vendor/sip/*', { ...page, schema: { ...page.schema, params: FileParams } }, (request, reply) =>
    reply.header('cache-control', 'public, max-age=86400').sendFile(request.params['*'], SIP_JS_DIR),
  );
}
