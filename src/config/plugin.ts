import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from './config';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

export const configPlugin = fp(
  async function config(app: FastifyInstance, opts: { config: Config }) {
    app.decorate('config', opts.config);
  },
  { name: 'config' },
);
