import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../auth/plugin';
import { ArticleContentSchema } from '../../knowledge/article';
import { SUGGESTIONS } from '../../knowledge/knowledge-service';
import { TOPIC_CODES } from '../../queue/skills';
import { RegionCode, errors } from '../schemas';

const Id = z.strictObject({ id: z.uuid('must be an id (a UUID)') });
const TicketId = z.strictObject({ id: z.string().min(1).max(64) });

const SearchQuery = z.strictObject({
  q: z.string().trim().min(1).max(200).optional().describe('what the caller asked, in their words'),
  topic: z.enum(TOPIC_CODES).optional(),
  region: RegionCode.optional().describe("the caller's region: articles for it, a region above it, or the whole province"),
  status: z.enum(['active', 'retired', 'all']).optional().describe('supervisors and admins: retired or all articles (default: those in effect)'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});

const SuggestQuery = z.strictObject({
  topic: z.enum(TOPIC_CODES).optional().describe("the call's topic"),
  text: z.string().max(4000).optional().describe('the ticket text typed so far'),
  region: RegionCode.optional(),
});

const Note = z.string().trim().max(500).optional().describe('what changed and why, kept with the version');
const NewArticle = ArticleContentSchema.safeExtend({ note: Note });
const ArticleEdit = ArticleContentSchema.safeExtend({ note: Note, baseVersion: z.number().int().min(1).optional().describe('the version you edited; refused (409) if someone saved a later one') });
const Retire = z.strictObject({ reason: z.string().trim().max(500).optional() });

const Basis = z.array(z.object({ law: z.string(), articles: z.array(z.string()) }));
const Summary = z.object({
  id: z.uuid(),
  version: z.number().int(),
  title: z.string(),
  question: z.string(),
  topic: z.string(),
  regions: z.array(z.string()),
  basis: Basis,
  basisText: z.string().describe('《…》第…条 as read out'),
  effectiveFrom: z.string(),
  effectiveTo: z.string().nullable(),
  retired: z.boolean(),
  snippet: z.array(z.object({ text: z.string(), hit: z.boolean() })).describe('a sentence of the answer; hit: a searched word'),
  score: z.number(),
});
const Article = z.object({
  id: z.uuid(),
  version: z.number().int(),
  title: z.string(),
  question: z.string(),
  answer: z.string(),
  basis: Basis,
  basisText: z.string(),
  topic: z.string(),
  regions: z.array(z.string()),
  keywords: z.array(z.string()),
  effectiveFrom: z.string(),
  effectiveTo: z.string().nullable(),
  retired: z.boolean(),
  retiredAt: z.date().nullable(),
  retireReason: z.string().nullable(),
  shippedKey: z.string().nullable().describe('its key in the articles the project ships (provinces/knowledge/articles.json), which a later release may update while nobody has edited it; null: written here'),
  createdAt: z.date(),
  updatedAt: z.date(),
});
const Version = Article.pick({ version: true, title: true, question: true, answer: true, basis: true, basisText: true, topic: true, regions: true, keywords: true, effectiveFrom: true, effectiveTo: true }).extend({
  note: z.string().nullable(),
  editedBy: z.object({ id: z.string(), username: z.string() }).nullable(),
  editedAt: z.date(),
});
const ArticleAnswer = z.object({ article: Article, versions: z.array(Version).optional().describe('supervisors and admins: every version, newest first') });
const TicketKnowledge = z.object({
  ticketId: z.uuid(),
  number: z.string(),
  knowledge: z.array(
    z.object({
      articleId: z.uuid(),
      version: z.number().int(),
      title: z.string(),
      basisText: z.string(),
      retired: z.boolean(),
      linkedBy: z.object({ id: z.string(), username: z.string() }).nullable(),
      linkedAt: z.date(),
    }),
  ),
});

/** The legal knowledge base (法律知识库): search and suggestions for the desk, upkeep for supervisors. */
export async function knowledgeRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const staff = ['agent', 'supervisor', 'admin'] as const;
  const managers = ['supervisor', 'admin'] as const;

  r.get(
    '/api/knowledge',
    {
      config: { access: staff },
      schema: {
        tags: ['knowledge'],
        summary: 'Search the knowledge base (Chinese word segmentation, ranked, with a marked snippet); without q: the articles by topic and title',
        querystring: SearchQuery,
        response: { 200: z.object({ items: z.array(Summary), total: z.number().int(), words: z.array(z.string()).describe('the words searched, after segmentation and stop words') }), ...errors(400, 401, 403) },
      },
    },
    async (request) => app.knowledge.search(actorOf(request), request.query),
  );

  r.get(
    '/api/knowledge/suggest',
    {
      config: { access: staff },
      schema: {
        tags: ['knowledge'],
        summary: `Up to ${SUGGESTIONS} articles for the ticket text typed so far, the call's topic breaking near-ties; with no text, the topic's most used`,
        querystring: SuggestQuery,
        response: { 200: z.object({ items: z.array(Summary), words: z.array(z.string()) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => app.knowledge.suggest(actorOf(request), request.query),
  );

  r.get(
    '/api/knowledge/:id',
    {
      config: { access: staff },
      schema: { tags: ['knowledge'], summary: 'One article; supervisors and admins also get its versions', params: Id, response: { 200: ArticleAnswer, ...errors(400, 401, 403, 404) } },
    },
    async (request) => app.knowledge.get(actorOf(request), request.params.id),
  );

  r.post(
    '/api/knowledge',
    {
      config: { access: managers },
      schema: {
        tags: ['knowledge'],
        summary: 'Write an article (version 1); province-wide articles by province supervisors and admins, regional ones within your area; audited',
        body: NewArticle,
        response: { 201: ArticleAnswer, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => reply.code(201).send(await app.knowledge.create(actorOf(request), request.body, request.id)),
  );

  r.put(
    '/api/knowledge/:id',
    {
      config: { access: managers },
      schema: { tags: ['knowledge'], summary: 'Edit an article: the whole content again, saved as its next version; audited', params: Id, body: ArticleEdit, response: { 200: ArticleAnswer, ...errors(400, 401, 403, 404, 409) } },
    },
    async (request) => app.knowledge.update(actorOf(request), request.params.id, request.body, request.id),
  );

  r.post(
    '/api/knowledge/:id/retire',
    {
      config: { access: managers },
      schema: { tags: ['knowledge'], summary: 'Retire an article: no longer searched or suggested, still shown on the tickets that used it; audited', params: Id, body: Retire, response: { 200: ArticleAnswer, ...errors(400, 401, 403, 404, 409) } },
    },
    async (request) => app.knowledge.retire(actorOf(request), request.params.id, request.body.reason, request.id),
  );

  r.post(
    '/api/tickets/:id/knowledge',
    {
      config: { access: staff },
      schema: {
        tags: ['knowledge'],
        summary: "Record that an article was used on this ticket (agents: their own tickets); answers the ticket's articles",
        params: TicketId,
        body: z.strictObject({ articleId: z.uuid('must be an article id (a UUID)') }),
        response: { 200: TicketKnowledge, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => app.knowledge.link(actorOf(request), request.params.id, request.body.articleId, request.id),
  );
}
