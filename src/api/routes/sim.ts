import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Errors } from '../../errors/errors';
import { simCallScope } from '../../sim/call-scope';
import { RobotAgents } from '../../sim/robot-agents';
import { MAX_PATIENCE_SECONDS } from '../../sim/traffic';
import { SIM_FORWARD_RESULTS, type SimDriver } from '../../telephony/sim/sim-driver';
import { errors } from '../schemas';

const PhoneNumber = z
  .string()
  .regex(/^\+?[0-9]{3,20}$/, 'must be a phone number of 3 to 20 digits, optionally starting with +');
const Digits = z
  .string()
  .max(32, 'must be at most 32 keys')
  .regex(/^[0-9*#.]*$/, "must be keys 0-9, * or #, with '.' for a menu left unanswered");

const SimParty = z.enum(['caller', 'agent', 'target', 'supervisor']);
const SimCallView = z.object({
  id: z.string(),
  from: z.string(),
  status: z.enum(['ivr', 'queued', 'connected', 'survey', 'message', 'ended']),
  outcome: z.enum(['answered', 'abandoned', 'callback', 'rejected', 'ended_by_system', 'forwarded', 'message']).nullable(),
  forwardedTo: z.string().nullable(),
  createdAt: z.number(),
  queuedAt: z.number().nullable(),
  answeredAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  agentUsername: z.string().nullable(),
  heard: z.array(z.object({ at: z.number(), key: z.string(), language: z.string(), text: z.string().nullable() })),
  pressed: z.array(z.string()),
  surveyScore: z.number().nullable(),
  supervisor: z.object({ username: z.string(), mode: z.enum(['listen', 'whisper', 'barge']) }).nullable().describe('The supervisor on the call, and how'),
  audio: z
    .object({ caller: z.array(SimParty), agent: z.array(SimParty), target: z.array(SimParty), supervisor: z.array(SimParty) })
    .nullable()
    .describe("While connected: for each party, whose voices reach them (the simulator's audio model; target: a second leg's colleague, interpreter or outside party)"),
  leg: z
    .object({ id: z.string(), target: z.string(), mode: z.enum(['ringing', 'consult', 'three-way']) })
    .nullable()
    .describe('A second leg on the call (consult or interpreter): whom it reaches (username or number) and how far it has got'),
  queuedLanguage: z.string().nullable().describe('While the call waits in the queue: the language it waits for'),
});
const CallId = z.strictObject({ id: z.uuid('must be a call id (a UUID)') });

/**
 * The built-in simulator's controls (DESIGN §5): place a call that walks the real call flow,
 * hang it up, watch it, and sign simulated agents in. In the embedded demo, which listens on
 * loopback only, they are open; on a deployed service supervisors and admins use them, and
 * agents may watch the calls they answered. Calls are scoped like call records (src/sim/call-scope.ts).
 */
export async function simRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const access = app.config.embedded ? ('public' as const) : (['supervisor', 'admin'] as ('supervisor' | 'admin')[]);
  const readers = app.config.embedded ? ('public' as const) : (['agent', 'supervisor', 'admin'] as ('agent' | 'supervisor' | 'admin')[]);
  const scope = simCallScope(app.db, app.regions);
  const sim = (): SimDriver => {
    if (!app.simDriver) throw new Errors.SIM_OFF();
    return app.simDriver;
  };
  const robots = new RobotAgents(app.db, app.router, app.regions, app.log);
  const withQueuedLanguage = <T extends { id: string; status: string }>(view: T): T & { queuedLanguage: string | null } => ({
    ...view,
    queuedLanguage: view.status === 'queued' ? (app.router.liveCall(view.id)?.language ?? null) : null,
  });
  const spoken = (): string[] => {
    const languages = new Set<string>();
    for (const a of app.router.snapshot().agents) {
      if (a.state === 'offline') continue;
      for (const [language, level] of Object.entries(a.languages)) if (level > 0) languages.add(language);
    }
    return [...languages].sort();
  };
  app.addHook('onClose', async () => robots.stop());

  r.post(
    '/sim/calls',
    {
      config: { access },
      schema: {
        tags: ['simulator'],
        summary: 'Place a simulated call; its keys answer the menus in order (language, topic, priority, region, then the survey)',
        body: z.strictObject({
          from: PhoneNumber,
          digits: Digits.default(''),
          acceptCallback: z.boolean().optional(),
          leaveMessage: z.boolean().optional().describe("Press 2 when offered a message because nobody speaks the caller's language"),
          messageSeconds: z.number().int().min(0).max(600).optional().describe('Length of the voice message the caller leaves when invited (default 20; 0: hangs up at the tone)'),
          patienceSeconds: z.number().min(0).max(MAX_PATIENCE_SECONDS).optional(),
          forwardResult: z.enum(SIM_FORWARD_RESULTS).optional().describe('What the outside number does if an agent transfers this caller there (default ANSWER)'),
          callbackResult: z.enum(SIM_FORWARD_RESULTS).optional().describe('What this caller does when the hotline calls back a callback booked from this call (default ANSWER)'),
          legResult: z.enum(SIM_FORWARD_RESULTS).optional().describe('What an outside number does when an agent consults it or calls it in as an interpreter on this call (default ANSWER)'),
        }),
        response: { 201: z.object({ callId: z.string() }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const callId = await sim().place(request.body);
      return reply.code(201).send({ callId });
    },
  );

  r.get(
    '/sim/calls',
    {
      config: { access: readers },
      schema: {
        tags: ['simulator'],
        summary: 'Simulated calls placed on this node that you may see (scoped like /api/calls), newest first',
        querystring: z.strictObject({
          limit: z.coerce.number().int().min(1).max(20_000).default(100),
          compact: z.enum(['true', 'false']).default('false').describe('true leaves out what each caller heard and pressed'),
        }),
        response: {
          200: z.object({
            calls: z.array(SimCallView.partial({ heard: true, pressed: true })),
            spokenLanguages: z.array(z.string()).describe('Languages at least one signed-in agent speaks: a call waiting for any other is answered by nobody'),
          }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const driver = sim();
      const all = request.actor && request.actor.role !== 'admin' ? driver.list(Number.MAX_SAFE_INTEGER) : driver.list(request.query.limit);
      const calls = (await scope.list(request.actor, all, request.query.limit)).map(withQueuedLanguage);
      const spokenLanguages = spoken();
      if (request.query.compact === 'false') return { calls, spokenLanguages };
      return { calls: calls.map(({ heard: _h, pressed: _p, ...rest }) => rest), spokenLanguages };
    },
  );

  r.get(
    '/sim/profile',
    {
      config: { access },
      schema: {
        tags: ['simulator'],
        summary: "What a traffic generator needs: the menus' keys and the prefectures with population and area code",
        response: {
          200: z.object({
            province: z.string(),
            languages: z.array(z.string()),
            topicKeys: z.record(z.string(), z.string()),
            priorityKeys: z.record(z.string(), z.string()),
            regionMenu: z.boolean(),
            prefectures: z.array(z.object({ code: z.string(), nameZh: z.string(), population: z.number(), areaCode: z.string().nullable() })),
          }),
          ...errors(401, 403, 404),
        },
      },
    },
    async () => {
      sim();
      const menus = app.callFlow.menus;
      return {
        province: app.province.code,
        languages: menus.languageOptions().map((o) => o.value),
        topicKeys: menus.settings.topicKeys,
        priorityKeys: menus.settings.priorityKeys,
        regionMenu: menus.settings.regionMenu,
        prefectures: app.regions.children(app.province.code).map((p) => ({ code: p.code, nameZh: p.nameZh, population: p.populationEstimate, areaCode: p.areaCode })),
      };
    },
  );

  r.get(
    '/sim/calls/:id',
    {
      config: { access: readers },
      schema: { tags: ['simulator'], summary: 'One simulated call: what the caller heard and pressed', params: CallId, response: { 200: SimCallView, ...errors(400, 401, 403, 404) } },
    },
    async (request) => {
      const view = sim().view(request.params.id);
      if (!view) throw new Errors.SIM_CALL_NOT_FOUND(request.params.id);
      return withQueuedLanguage(await scope.one(request.actor, view));
    },
  );

  r.post(
    '/sim/calls/:id/hangup',
    {
      config: { access },
      schema: { tags: ['simulator'], summary: 'The simulated caller hangs up', params: CallId, response: { 200: SimCallView, ...errors(400, 401, 403, 404, 409) } },
    },
    async (request) => {
      const driver = sim();
      const view = driver.view(request.params.id);
      if (!view) throw new Errors.SIM_CALL_NOT_FOUND(request.params.id);
      await scope.one(request.actor, view);
      if (!(await driver.hangup(request.params.id))) throw new Errors.SIM_CALL_ENDED(request.params.id);
      return withQueuedLanguage(await scope.one(request.actor, driver.view(request.params.id)!));
    },
  );

  r.post(
    '/sim/calls/:id/leg/hangup',
    {
      config: { access },
      schema: { tags: ['simulator'], summary: "The target of the call's second leg (colleague, interpreter, outside party) hangs up", params: CallId, response: { 200: SimCallView, ...errors(400, 401, 403, 404, 409) } },
    },
    async (request) => {
      const driver = sim();
      const view = driver.view(request.params.id);
      if (!view) throw new Errors.SIM_CALL_NOT_FOUND(request.params.id);
      await scope.one(request.actor, view);
      if (!(await driver.legHangup(request.params.id))) throw new Errors.SIM_NO_LEG(request.params.id);
      return withQueuedLanguage(await scope.one(request.actor, driver.view(request.params.id)!));
    },
  );

  r.put(
    '/sim/agents',
    {
      config: { access },
      schema: {
        tags: ['simulator'],
        summary: 'Sign in simulated agents (robots) who answer, talk and wrap up on their own; count 0 signs them out',
        body: z.strictObject({
          count: z.number().int().min(0).max(2_000),
          talkSeconds: z.number().min(0.01).max(3_600).default(180),
          answerDelaySeconds: z.number().min(0).max(60).default(2),
          wrapUpSeconds: z.number().min(0).max(600).default(10),
          seed: z.number().int().optional(),
        }),
        response: { 200: z.object({ signedIn: z.number().int(), usernames: z.array(z.string()) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      sim();
      if (request.body.count === 0) {
        await robots.stop();
        return { signedIn: 0, usernames: [] };
      }
      const { usernames } = await robots.start(request.body);
      return { signedIn: usernames.length, usernames };
    },
  );
}
