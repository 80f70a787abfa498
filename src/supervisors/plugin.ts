import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { agentsRepository } from '../agents/agents-repository';
import { actorFromRow } from '../auth/actor';
import { actorOf, tokenFrom } from '../auth/plugin';
import { detectTopicSpikes } from '../reports/early-warning';
import { AlertFeed } from './alert-feed';
import { supervisorPageRoutes } from './page-routes';
import { PATH } from './protocol';
import { Wallboard } from './wallboard';

declare module 'fastify' {
  interface FastifyInstance {
    wallboard: Wallboard;
    supervisorAlerts: AlertFeed;
  }
}

/** The supervisors' live wallboard: /supervisors/ws and the /supervisor page. */
export const supervisorsPlugin = fp(
  async function supervisors(app: FastifyInstance) {
    const feed = new AlertFeed();
    const agents = agentsRepository(app.db);
    const wallboard = new Wallboard({
      router: app.router,
      db: app.db,
      regions: app.regions,
      provinceCode: app.province.code,
      provinceLanguages: app.province.languages,
      feed,
      log: app.log,
      loadActor: async (id) => {
        const row = await agents.findById(id);
        return row && !row.disabled ? actorFromRow(row) : null;
      },
      detectSpikes: (now) => detectTopicSpikes(app.db, { regions: app.regions, now }),
      callbackOverdueMinutes: () => app.callbacks.policy.overdueMinutes,
      monitorModes: () => app.callFlow.capabilitiesOfAll().monitor,
      targets: () => app.serviceTargets.current,
    });

    // Every node hears every overdue mark and routing event, and tells its own boards.
    app.referralSweeper.onAlert((a) =>
      feed.publish({
        kind: 'referral_overdue',
        regionCode: wallboard.known(a.regionCode),
        deadline: a.deadline,
        referralId: a.referralId,
        referralKind: a.referralKind,
        ticketNumber: a.ticketNumber,
        organisation: a.organisation,
        dueAt: a.dueAt,
        at: a.at,
      }),
    );
    app.router.on((e) => {
      if (e.type !== 'alert.missed') return;
      const now = app.router.now();
      feed.publish({
        kind: 'missed_call',
        regionCode: wallboard.known(e.call.regionCode),
        callId: e.call.id,
        missedBy: e.missedBy,
        topic: e.call.topic,
        language: e.call.language,
        waitedSeconds: Math.max(0, Math.round((now - e.call.enqueuedAt) / 1000)),
        at: new Date(now).toISOString(),
      });
    });

    app.riskFlags.onFlagged((t) => wallboard.riskFlagged(t));
    app.sessionBus.onRevoke((r) => wallboard.revoked(r));
    wallboard.start();
    app.decorate('wallboard', wallboard);
    app.decorate('supervisorAlerts', feed);
    app.addHook('onClose', () => wallboard.stop());

    app.withTypeProvider<ZodTypeProvider>().get(
      PATH,
      {
        websocket: true,
        // Agents and organisation accounts are refused before the upgrade (403).
        config: { access: ['supervisor', 'admin'] },
        schema: {
          tags: ['supervisors'],
          summary: 'Supervisors\' live wallboard WebSocket; the token goes as the subprotocol bearer.<token> beside hotline.v1 (or, for tools, in the query). Frames: /asyncapi.json',
          querystring: z.object({ token: z.string().max(4096).optional().describe('for tools; pages send the token as the subprotocol bearer.<token> beside hotline.v1') }),
        },
      },
      (socket, request) => {
        const exp = app.jwt.decode<{ exp?: number }>(tokenFrom(request) ?? '')?.exp;
        wallboard.attach(socket, actorOf(request), typeof exp === 'number' ? exp * 1000 : Number.POSITIVE_INFINITY);
      },
    );

    await app.register(supervisorPageRoutes);
  },
  { name: 'supervisors', dependencies: ['queue', 'tickets', 'auth', 'session-bus', 'service-targets'] },
);
