import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../auth/plugin';
import { MONITOR_MODES } from '../../queue/types';
import { CallMonitoring } from '../../supervisors/call-monitoring';
import { errors } from '../schemas';

const CallParams = z.strictObject({ id: z.uuid('must be a call id (a UUID)') });
const AgentParams = z.strictObject({ id: z.string().min(1).max(64) });
const MonitorView = z.object({ callId: z.string(), agentId: z.string(), mode: z.enum(MONITOR_MODES).nullable() });

/**
 * Supervisors on agents' calls (listen, whisper, barge) and taking an agent off the phones, for
 * calls and agents of their area; audited (src/supervisors/call-monitoring.ts).
 */
export async function supervisionRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const managers = ['supervisor', 'admin'] as const;
  const monitoring = new CallMonitoring({ db: app.db, router: app.router, regions: app.regions, capabilities: (id) => app.callFlow.capabilities(id) });

  r.put(
    '/api/calls/:id/monitor',
    {
      config: { access: managers },
      schema: {
        tags: ['supervision'],
        summary: "Listen to a connected call (both sides, unheard), whisper to its agent (the caller never hears it), or barge in; your phone is rung",
        params: CallParams,
        body: z.strictObject({ mode: z.enum(MONITOR_MODES, { error: `must be one of ${MONITOR_MODES.join(', ')}` }) }),
        response: { 200: MonitorView, ...errors(400, 401, 403, 409) },
      },
    },
    async (request) => monitoring.set(actorOf(request), request.params.id, request.body.mode, request.id),
  );

  r.delete(
    '/api/calls/:id/monitor',
    {
      config: { access: managers },
      schema: { tags: ['supervision'], summary: 'Stop monitoring the call (your phone leaves it)', params: CallParams, response: { 200: MonitorView, ...errors(400, 401, 403, 409) } },
    },
    async (request) => monitoring.set(actorOf(request), request.params.id, null, request.id),
  );

  r.post(
    '/api/agents/:id/state',
    {
      config: { access: managers },
      schema: {
        tags: ['supervision'],
        summary: 'Set a signed-in agent of your area not ready (a ringing offer goes back to the queue) or sign them out; a call in progress ends first',
        params: AgentParams,
        body: z.strictObject({ state: z.enum(['not_ready', 'offline'], { error: 'must be not_ready or offline' }) }),
        response: { 200: z.object({ agentId: z.string(), state: z.enum(['not_ready', 'offline']) }), ...errors(400, 401, 403, 409) },
      },
    },
    async (request) => {
      await monitoring.setAgentState(actorOf(request), request.params.id, request.body.state, request.id);
      return { agentId: request.params.id, state: request.body.state };
    },
  );
}
