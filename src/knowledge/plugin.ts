import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ticketsService } from '../tickets/tickets-service';
import { readSeedArticles } from './article';
import { type KnowledgeService, knowledgeService } from './knowledge-service';
import { wordCutter } from './segment';

declare module 'fastify' {
  interface FastifyInstance {
    knowledge: KnowledgeService;
  }
}

/**
 * The knowledge base (`app.knowledge`). An empty one is given the articles the project ships
 * (provinces/knowledge/articles.json), so the embedded default and a new deployment start with
 * them; once it has articles, they are the supervisors' to keep and the file is not read again.
 */
export const knowledgePlugin = fp(
  async function knowledge(app: FastifyInstance, opts: { seedFile?: string }) {
    const tickets = ticketsService({ db: app.db, regions: app.regions });
    const service = knowledgeService({ db: app.db, regions: app.regions, cutter: wordCutter(), accessibleTicket: tickets.accessible });
    const seeded = await service.seedIfEmpty(await readSeedArticles(opts.seedFile));
    if (seeded > 0) app.log.info({ articles: seeded }, `knowledge base: ${seeded} articles loaded`);
    app.decorate('knowledge', service);
  },
  { name: 'knowledge', dependencies: ['database', 'province'] },
);
