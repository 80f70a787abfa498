import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

/** The OpenAPI document is generated from the routes' zod schemas; /docs renders it. */
export const openApiPlugin = fp(
  async function openApi(app: FastifyInstance) {
    await app.register(fastifySwagger, {
      openapi: {
        info: {
          title: '12348 公共法律服务热线 / Public legal service hotline',
          description:
            'Province-wide 12348 call centre: routing by language, topic and region, agent seats, tickets and referrals. ' +
            'Sign in with POST /api/auth/login and send the token as `Authorization: Bearer …`.',
          version: '0.1.0',
        },
        components: {
          securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        },
        security: [{ bearer: [] }],
      },
      transform: jsonSchemaTransform,
    });
    await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'openapi' },
);
