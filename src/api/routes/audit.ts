import type { FastifyInstance } from 'fastify';

/** GET /api/audit: who read or changed what (admins). */
export async function auditRoutes(app: FastifyInstance) {
  void app;
}
