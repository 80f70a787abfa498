import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { agentAdmin } from '../../agents/agent-admin';
import { auditRepository } from '../../audit/audit-repository';
import { actorOf } from '../../auth/plugin';
import { Errors } from '../../errors/errors';
import { errors } from '../schemas';

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });

const Body = z.strictObject({
  state: z.enum(['ready', 'not_ready', 'offline']).describe('ready / not_ready: signed in as a remote seat (offers ring the seat phone); offline: off the rota, back to the desk'),
  reason: z.enum(['break', 'meal', 'training', 'other']).optional().describe('why not ready (with state not_ready)'),
});

const Answer = z.object({
  agentId: z.string(),
  remoteSeat: z.boolean().describe('signed in as a remote seat'),
  state: z.string().describe("the agent's routing state now (a call or wrap-up in progress keeps its state)"),
  seatPhone: z.string().nullable(),
});

/**
 * Remote seats on the rota (issue 14, item 5). A province running duty lawyers from their own
 * phones needs both ways in: the supervisor (or admin) who keeps the rota puts a seat on and off
 * it — the lawyer may have no computer at hand at night — and the lawyer at the web desk chooses
 * "answer on my phone" for themself (the same route, on their own id). A remote seat stays signed
 * in without a desk open (src/telephony/remote-seats.ts renews it) until it is set offline.
 */
export async function remoteSeatRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const agents = agentAdmin({ db: app.db, regions: app.regions });
  const audit = auditRepository(app.db);

  r.put(
    '/api/agents/:id/remote-seat',
    {
      config: { access: ['agent', 'supervisor', 'admin'] },
      schema: {
        tags: ['agents'],
        summary: 'Sign an agent in or out as a remote seat (answers on their seat phone): supervisors in their area, admins, or the agent themself',
        params: IdParams,
        body: Body,
        response: { 200: Answer, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      // Scope as for reading the profile: an agent only their own, a supervisor their area.
      const profile = await agents.get(actor, request.params.id);
      if (profile.role !== 'agent') throw new Errors.VALIDATION(`params.id: ${profile.username} is a ${profile.role}, not an agent; only agents take calls`);
      if (request.body.reason && request.body.state !== 'not_ready') throw new Errors.VALIDATION('body.reason: only with state not_ready');
      const result = await app.remoteSeats.set(profile.id, request.body.state, request.body.reason ?? 'other');
      await audit.record({ actor, action: 'agent.remote_seat', entityType: 'agent', entityId: profile.id, requestId: request.id, details: { state: request.body.state } });
      return { agentId: profile.id, remoteSeat: result.remoteSeat, state: result.state, seatPhone: profile.seatPhone };
    },
  );
}
