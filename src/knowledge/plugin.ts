import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ticketsService } from '../tickets/tickets-service';
import { readShippedArticles } from './article';
import { type KnowledgeService, knowledgeService } from './knowledge-service';
import { wordCutter } from './segment';

declare module 'fastify' {
  interface FastifyInstance {
    knowledge: KnowledgeService;
  }
}

/**
 * The knowledge base (`app.knowledge`). Every start brings it up to the articles this release
 * ships (provinces/knowledge/articles.json): new ones are added and the ones nobody has touched
 * follow the file, so a province already running gets a new law article or a corrected citation;
 * what supervisors and admins edited or retired stays theirs.
 */
export const knowledgePlugin = fp(
  async function knowledge(app: FastifyInstance, opts: { shippedFile?: string }) {
    const tickets = ticketsService({ db: app.db, regions: app.regions });
    const service = knowledgeService({ db: app.db, regions: app.regions, cutter: wordCutter(), accessibleTicket: tickets.accessible });
    const report = await service.syncShipped(await readShippedArticles(opts.shippedFile));
    const { inserted, updated, unchanged, keptEdited, keptRetired, keptNewer, shippedChangedButEdited } = report;
    app.log.info(
      { knowledge: report },
      `knowledge base: shipped articles ${inserted} added, ${updated} updated, ${unchanged} unchanged, ${keptEdited} kept as edited, ${keptRetired} kept retired` +
        (keptNewer > 0 ? `, ${keptNewer} kept at a newer release's text` : ''),
    );
    // Not a fault, but someone should look: the release corrected an article people had rewritten.
    if (shippedChangedButEdited.length > 0) {
      app.log.warn({ keys: shippedChangedButEdited }, 'knowledge base: the shipped text of articles supervisors edited has changed; their version is kept, compare it with provinces/knowledge/articles.json');
    }
    app.decorate('knowledge', service);
  },
  { name: 'knowledge', dependencies: ['database', 'province'] },
);
