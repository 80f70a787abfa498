import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import pino, { type DestinationStream } from 'pino';
import { guardedValidatorCompiler } from './api/nul-guard';
import { openApiPlugin } from './api/openapi';
import { agentRoutes } from './api/routes/agents';
import { remoteSeatRoutes } from './api/routes/remote-seats';
import { authRoutes } from './api/routes/auth';
import { healthRoutes } from './api/routes/health';
import { regionRoutes } from './api/routes/regions';
import { accountsBootstrapPlugin } from './auth/accounts-bootstrap';
import { embeddedJwtSecret } from './auth/jwt-secret';
import { authPlugin, WS_PROTOCOL } from './auth/plugin';
import type { Config } from './config/config';
import { configPlugin } from './config/plugin';
import { databasePlugin } from './db/plugin';
import { errorHandlerPlugin } from './errors/error-handler';
import { Errors } from './errors/errors';
import { loggerOptions } from './logging/logger';
import { operatorMetricsPlugin } from './metrics/operator-metrics';
import { metricsPlugin } from './metrics/plugin';
import { provincePlugin } from './province/plugin';
import { queuePlugin } from './queue/plugin';
import { queueRoutes } from './api/routes/queue';
import { recordsPlugin } from './records/plugin';
import { redisPlugin } from './redis/plugin';
import { simRoutes } from './api/routes/sim';
import { telephonyPlugin } from './telephony/plugin';
import { twilioRoutes } from './telephony/twilio/routes';
import websocket from '@fastify/websocket';
import { agentGatewayPlugin } from './agents/gateway/plugin';
import { sessionBusPlugin } from './agents/gateway/session-bus';
import { MAX_FRAME_BYTES } from './agents/gateway/protocol';
import { softphoneRoutes } from './api/routes/softphone';
import { ticketRoutes } from './api/routes/tickets';
import { auditRoutes } from './api/routes/audit';
import { callbacksPlugin } from './callbacks/plugin';
import { referralRoutes } from './api/routes/referrals';
import { reportRoutes } from './api/routes/reports';
import { staffingRoutes } from './api/routes/staffing';
import { rosterRoutes } from './api/routes/rosters';
import { callRoutes } from './api/routes/calls';
import { supervisionRoutes } from './api/routes/supervision';
import { callbackRoutes } from './api/routes/callbacks';
import { ticketsPlugin } from './tickets/plugin';
import { qualityPlugin } from './quality/plugin';
import { followUpRoutes } from './api/routes/follow-ups';
import { qualityRoutes } from './api/routes/quality';
import { knowledgePlugin } from './knowledge/plugin';
import { knowledgeRoutes } from './api/routes/knowledge';
import { serviceTargetsPlugin } from './supervisors/targets-plugin';
import { supervisorsPlugin } from './supervisors/plugin';

export interface BuildOptions {
  /** Where logs go (tests capture them); stdout by default. */
  logStream?: DestinationStream;
}

/** JSON bodies on the API are small; 64 KiB holds the longest ticket text with room to spare. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Builds the service from plugins in start-up order: configuration and cross-cutting concerns,
 * then external resources (database, Redis), then domain state (province, accounts), then
 * authentication and the routes. Each plugin opens what it owns and closes it on app.close().
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const logger = pino(loggerOptions(config.logLevel), options.logStream ?? pino.destination(1));
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
    requestIdHeader: 'x-request-id',
    routerOptions: { ignoreTrailingSlash: true },
    // Opening the database and migrating it can take long on a loaded machine (PGlite compiles
    // its WebAssembly at start); a start that is slow is not a start that failed.
    pluginTimeout: 120_000,
  });
  // While shutting down, answers to requests already in flight close their keep-alive
  // connection, so the server can finish closing instead of waiting for idle clients.
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });
  app.setValidatorCompiler(guardedValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  try {
    await registerPlugins(app, config);
  } catch (err) {
    // Close what the plugins before the failing one opened (database, Redis) and report.
    await app.close().catch(() => {});
    throw err;
  }
  return app;
}

async function registerPlugins(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(configPlugin, { config });
  await app.register(errorHandlerPlugin);
  await app.register(metricsPlugin);
  await app.register(openApiPlugin);
  await app.register(databasePlugin, { database: config.database });
  await app.register(recordsPlugin);
  await app.register(redisPlugin, { target: config.redisUrl ? { url: config.redisUrl } : config.redisSentinel ? { sentinel: config.redisSentinel } : null });
  // Limits count across all nodes of this deployment when Redis is there, and only across
  // them: another deployment on the same Redis has its own namespace.
  await app.register(rateLimit, { global: false, ...(app.redis ? { redis: app.redis, nameSpace: `${config.redisNamespace}:rate-limit:` } : {}) });

  await app.register(provincePlugin, { province: config.province });
  await app.register(serviceTargetsPlugin);
  await app.register(sessionBusPlugin);
  await app.register(accountsBootstrapPlugin, { adminPassword: config.adminPassword, demoAccounts: config.demoAccounts });

  await app.register(queuePlugin);
  await app.register(callbacksPlugin);
  await app.register(operatorMetricsPlugin);
  await app.register(telephonyPlugin);
  await app.register(ticketsPlugin);
  await app.register(qualityPlugin);
  await app.register(knowledgePlugin);

  const jwtSecret = config.jwtSecret ?? (await embeddedJwtSecret(config.dataDir));
  await app.register(authPlugin, { jwtSecret });
  // Client frames are small commands; anything larger is closed (1009) before it is parsed.
  // The pages' subprotocol is chosen, never the bearer token offered beside it (src/auth/plugin.ts).
  await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES, handleProtocols: (offered) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false) } });

  app.setNotFoundHandler(
    { preHandler: app.rateLimit({ max: 120, timeWindow: '1 minute' }) },
    async (request) => {
      throw new Errors.NOT_FOUND(request.method, request.url.split('?')[0]);
    },
  );
  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(regionRoutes);
  await app.register(agentRoutes);
  await app.register(remoteSeatRoutes);
  await app.register(queueRoutes);
  await app.register(simRoutes);
  await app.register(twilioRoutes);
  await app.register(ticketRoutes);
  await app.register(auditRoutes);
  await app.register(referralRoutes);
  await app.register(knowledgeRoutes);
  await app.register(reportRoutes);
  await app.register(staffingRoutes);
  await app.register(rosterRoutes);
  await app.register(callRoutes);
  await app.register(supervisionRoutes);
  await app.register(callbackRoutes);
  await app.register(followUpRoutes);
  await app.register(qualityRoutes);
  await app.register(agentGatewayPlugin);
  await app.register(softphoneRoutes);
  await app.register(supervisorsPlugin);
}
