import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../auth/plugin';
import { assertInScope, inScope, scopeRoot } from '../../auth/scope';
import { RegionCode, errors } from '../schemas';

const AGENT_STATES = ['offline', 'ready', 'reserved', 'on_call', 'wrap_up', 'not_ready'] as const;
const ByState = z.object(Object.fromEntries(AGENT_STATES.map((s) => [s, z.number().int()])) as Record<(typeof AGENT_STATES)[number], z.ZodNumber>);

const RegionFigures = z.object({
  code: z.string(),
  waiting: z.number().int(),
  longestWaitSeconds: z.number().int(),
  agents: ByState,
});

const Snapshot = z.object({
  at: z.date(),
  root: z.string(),
  handleSeconds: z.number().int(),
  totals: RegionFigures,
  regions: z.array(RegionFigures),
  calls: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(['call', 'callback', 'leg']).describe('leg: a consultation or interpreter leg of a connected call, routed like a call'),
      regionCode: z.string(),
      language: z.string(),
      topic: z.string(),
      priority: z.number().int(),
      status: z.enum(['waiting', 'offered', 'connected']),
      waitedSeconds: z.number().int(),
      agentId: z.string().nullable(),
      missedBy: z.number().int(),
    }),
  ),
  agents: z.array(
    z.object({
      id: z.string(),
      regionCode: z.string(),
      state: z.enum(AGENT_STATES),
      reason: z.string().nullable(),
      inStateSeconds: z.number().int(),
      callId: z.string().nullable(),
    }),
  ),
});

const emptyByState = () => Object.fromEntries(AGENT_STATES.map((s) => [s, 0])) as Record<(typeof AGENT_STATES)[number], number>;

export async function queueRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/queue/snapshot',
    {
      config: { access: ['supervisor', 'admin'] },
      schema: {
        tags: ['queue'],
        summary: 'Waiting calls and agents by state, per region, in your area',
        querystring: z.strictObject({ region: RegionCode.optional() }),
        response: { 200: Snapshot, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const root = request.query.region ? app.regions.require(request.query.region).code : scopeRoot(actor, app.regions);
      assertInScope(actor, root, app.regions);
      const now = app.router.now();
      const live = app.router.snapshot();
      const figures = new Map<string, z.infer<typeof RegionFigures>>();
      const figure = (code: string) => {
        let f = figures.get(code);
        if (!f) figures.set(code, (f = { code, waiting: 0, longestWaitSeconds: 0, agents: emptyByState() }));
        return f;
      };
      const totals = { code: root, waiting: 0, longestWaitSeconds: 0, agents: emptyByState() };
      const calls = live.calls.filter((c) => app.regions.isWithin(c.regionCode, root) && inScope(actor, c.regionCode, app.regions));
      const agents = live.agents.filter((a) => app.regions.isWithin(a.regionCode, root));
      for (const c of calls) {
        if (c.status !== 'waiting') continue;
        const waited = Math.floor((now - c.enqueuedAt) / 1000);
        for (const f of [figure(c.regionCode), totals]) {
          f.waiting++;
          f.longestWaitSeconds = Math.max(f.longestWaitSeconds, waited);
        }
      }
      for (const a of agents) {
        figure(a.regionCode).agents[a.state]++;
        totals.agents[a.state]++;
      }
      return {
        at: new Date(now),
        root,
        handleSeconds: live.handleSeconds,
        totals,
        regions: [...figures.values()].sort((a, b) => a.code.localeCompare(b.code)),
        calls: calls.map((c) => ({
          id: c.id,
          kind: c.kind,
          regionCode: c.regionCode,
          language: c.language,
          topic: c.topic,
          priority: c.priority,
          status: c.status,
          waitedSeconds: Math.max(0, Math.floor((now - c.enqueuedAt) / 1000)),
          agentId: c.agentId,
          missedBy: c.missedBy.length,
        })),
        agents: agents.map((a) => ({
          id: a.id,
          regionCode: a.regionCode,
          state: a.state,
          reason: a.reason,
          inStateSeconds: Math.max(0, Math.floor((now - a.since) / 1000)),
          callId: a.callId,
        })),
      };
    },
  );
}
