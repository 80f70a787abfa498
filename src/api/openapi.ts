import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type AsyncApiDocument, asyncApiDocument, servedFrom, type SocketRoute } from './asyncapi';

const VERSION = '0.1.0';

/**
 * The OpenAPI document is generated from the routes' zod schemas; /docs renders it. The
 * WebSockets' frames, which OpenAPI cannot describe, are in the AsyncAPI document beside it.
 */
export const openApiPlugin = fp(
  async function openApi(app: FastifyInstance) {
    await app.register(fastifySwagger, {
      openapi: {
        info: {
          title: '12348 公共法律服务热线 / Public legal service hotline',
          description:
            'Province-wide 12348 call centre: routing by language, topic and region, agent seats, tickets and referrals. ' +
            'Sign in with POST /api/auth/login and send the token as `Authorization: Bearer …`.\n\n' +
            'The agent desk (`/agents/ws`) and supervisor wallboard (`/supervisors/ws`) WebSockets, their frames, sign-in and close codes: ' +
            '[AsyncAPI document](/asyncapi.json).',
          version: VERSION,
        },
        components: {
          securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        },
        security: [{ bearer: [] }],
      },
      transform: jsonSchemaTransform,
      // Schemas with a .meta({ id }) are referenced as components; without this the $refs dangle.
      transformObject: jsonSchemaTransformObject,
    });
    await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());

    // Collected as the routes are declared: the document follows the paths and roles really served.
    const sockets = new Map<string, SocketRoute>();
    app.addHook('onRoute', (route) => {
      if (!route.websocket) return;
      const querystring = route.schema?.querystring;
      sockets.set(route.url, { url: route.url, access: route.config?.access, querystring: querystring instanceof z.ZodType ? querystring : undefined });
    });
    let document: AsyncApiDocument | undefined;
    app.get('/asyncapi.json', { config: { access: 'public' }, schema: { hide: true } }, async (request) => {
      // Built at the first request, when every route has been declared.
      document ??= asyncApiDocument({ version: VERSION, routes: sockets });
      return servedFrom(document, request.host, request.protocol === 'https');
    });
  },
  { name: 'openapi' },
);
