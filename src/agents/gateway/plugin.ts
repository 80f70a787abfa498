import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../auth/plugin';
import { AgentGateway } from './gateway';
import { PATH } from './protocol';

declare module 'fastify' {
  interface FastifyInstance {
    agentGateway: AgentGateway;
  }
}

/** /agents/ws: the agent desktop's WebSocket, and the gateway behind it. */
export const agentGatewayPlugin = fp(
  async function agentGateway(app: FastifyInstance) {
    const flow = app.callFlow;
    const gateway = new AgentGateway({
      router: app.router,
      db: app.db,
      records: app.records,
      callbacks: app.callbacks,
      regions: app.regions,
      province: app.province,
      config: app.config,
      bus: app.sessionBus,
      riskFlags: app.riskFlags,
      log: app.log,
      controls: {
        hold: (callId, agentId, held) => flow.agentHold(callId, agentId, held),
        isHeld: (callId) => flow.isHeld(callId),
        transfer: (callId, agentId, to, mode) => flow.agentTransfer(callId, agentId, to, mode),
        interpreter: (callId, agentId, to, language) => flow.addInterpreter(callId, agentId, to, language),
        leg: (callId, agentId, action) => flow.agentLeg(callId, agentId, action),
        capabilities: () => flow.capabilitiesOfAll(),
      },
    });
    gateway.start();
    app.router.onRecovered('agent desktops', () => gateway.resumeAll());
    app.referralSweeper.onAlert((alert) => gateway.alert(alert));
    app.decorate('agentGateway', gateway);
    app.addHook('onClose', () => gateway.stop());

    app.withTypeProvider<ZodTypeProvider>().get(
      PATH,
      {
        websocket: true,
        // Hotline staff only: organisation accounts act on referrals, not calls.
        config: { access: ['agent', 'supervisor', 'admin'] },
        schema: {
          tags: ['agents'],
          summary: 'Agent desktop WebSocket; the token goes as the subprotocol bearer.<token> beside hotline.v1 (or, for tools, in the query). Frames: /asyncapi.json',
          querystring: z.object({ token: z.string().max(4096).optional().describe('for tools; pages send the token as the subprotocol bearer.<token> beside hotline.v1') }),
        },
      },
      (socket, request) => {
        gateway.attach(socket, actorOf(request));
      },
    );
  },
  { name: 'agent-gateway', dependencies: ['queue', 'telephony', 'auth', 'tickets', 'session-bus'] },
);
