import type { FastifyInstance } from 'fastify';

/** Tickets API (GET /api/tickets, GET|PATCH /api/tickets/:id, history, quality, export.csv). */
export async function ticketRoutes(app: FastifyInstance) {
  void app;
}
