import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { agentAdmin } from '../../agents/agent-admin';
import { actorOf } from '../../auth/plugin';
import { LANGUAGE_CODES, TOPIC_CODES } from '../../queue/skills';
import { seatNumber } from '../../telephony/phone-number';
import { AgentProfileSchema, LanguageSkills, RegionCode, StaffRole, TopicSkills, errors } from '../schemas';

const Username = z
  .string()
  .trim()
  .regex(/^[a-zA-Z0-9._-]{3,64}$/, 'must be 3–64 letters, digits, dots, dashes or underscores');
const Password = z.string().min(8, 'must be at least 8 characters').max(200);
const DisplayName = z.string().trim().min(1).max(100);
/** A remote seat's phone: stored in the form the trunk dials (phone-number.ts). */
const SeatPhone = z
  .string()
  .trim()
  .max(32)
  .transform((raw, ctx) => {
    const n = seatNumber(raw);
    if (!n) ctx.addIssue({ code: 'custom', message: 'must be a mainland mobile (13812345678) or a landline with its area code (09716123456) / 须为中国大陆手机号或带区号的固定电话' });
    return n ?? '';
  })
  .meta({ description: 'A mainland mobile or a landline with its area code; +86 allowed. Offers ring it when the agent signs in as a remote seat.' });
const SpokenLanguages = LanguageSkills.refine((m) => Object.keys(m).length > 0, 'an agent must speak at least one language')
  // The refinement is invisible to the document; without this a generated client sends {}.
  .meta({ minProperties: 1, description: `${LanguageSkills.description} At least one.` });

const CreateAgentBody = z.strictObject({
  username: Username,
  password: Password,
  displayName: DisplayName,
  role: StaffRole.default('agent'),
  servingRegion: RegionCode,
  languages: SpokenLanguages,
  topics: TopicSkills.default({}),
  seatPhone: SeatPhone.optional(),
});

const PatchAgentBody = z
  .strictObject({
    displayName: DisplayName,
    role: StaffRole,
    servingRegion: RegionCode,
    languages: SpokenLanguages,
    topics: TopicSkills,
    password: Password,
    disabled: z.boolean(),
    seatPhone: SeatPhone.nullable(),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change');

const ListQuery = z.strictObject({
  region: RegionCode.optional(),
  role: StaffRole.optional(),
  language: z.enum(LANGUAGE_CODES).optional(),
  topic: z.enum(TOPIC_CODES).optional(),
  q: z.string().trim().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });

export async function agentRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const agents = agentAdmin({
    db: app.db,
    regions: app.regions,
    // The change is committed; open sockets elsewhere are also closed by the periodic re-check.
    revoked: (r) => app.sessionBus.revoke(r).catch((err) => app.log.warn({ err, agentId: r.accountId }, 'could not announce a token revocation')),
  });
  const managers = ['supervisor', 'admin'] as const;

  r.get(
    '/api/agents',
    {
      config: { access: managers },
      schema: {
        tags: ['agents'],
        summary: 'Agents in your area (a supervisor\'s region subtree; the province for admins)',
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(AgentProfileSchema), total: z.number().int() }), ...errors(400, 401, 403) },
      },
    },
    async (request) => agents.list(actorOf(request), request.query),
  );

  r.post(
    '/api/agents',
    {
      config: { access: managers },
      schema: {
        tags: ['agents'],
        summary: 'Create an agent (supervisors: agents in their area; admins: any role)',
        body: CreateAgentBody,
        response: { 201: AgentProfileSchema, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const created = await agents.create(actorOf(request), request.body, request.id);
      return reply.code(201).send(created);
    },
  );

  r.get(
    '/api/agents/:id',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['agents'],
        summary: 'One agent (agents may read their own profile)',
        params: IdParams,
        response: { 200: AgentProfileSchema, ...errors(401, 403, 404) },
      },
    },
    async (request) => agents.get(actorOf(request), request.params.id),
  );

  r.patch(
    '/api/agents/:id',
    {
      config: { access: managers },
      schema: {
        tags: ['agents'],
        summary: 'Change an agent\'s skills, languages, serving region, name, password or status',
        params: IdParams,
        body: PatchAgentBody,
        response: { 200: AgentProfileSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const updated = await agents.update(actorOf(request), request.params.id, request.body, request.id);
      // A signed-in agent's new region or skills route their next call.
      const live = app.router.store.state.agent(updated.id);
      if (live && live.state !== 'offline') {
        if (updated.disabled) await app.router.logout(updated.id);
        else await app.router.login({ id: updated.id, username: updated.username, regionCode: updated.servingRegion, languages: updated.languages, topics: updated.topics });
      }
      return updated;
    },
  );
}
