import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** The supervisors' live wallboard: /supervisors/ws and the /supervisor page. */
export const supervisorsPlugin = fp(
  async function supervisors(app: FastifyInstance) {
    void app;
  },
  { name: 'supervisors', dependencies: ['queue', 'tickets', 'auth'] },
);
