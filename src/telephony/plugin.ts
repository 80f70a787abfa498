import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { RemoteSeats } from './remote-seats';
import { CallbackCalls } from '../callbacks/dial-out';
import { CallFlow } from './call-flow';
import { CallerRegionResolver, GeocodingTables } from './caller-region';
import type { TelephonyDriver } from './driver';
import type { SeatDialer } from './seat-dialer';
import { type FlowStateStore, MemoryFlowStateStore, RedisFlowStateStore } from './flow-state';
import { ivrSettings, Menus } from './ivr';
import { OrphanReaper } from './reaper';
import { defaultCatalogue, Prompts } from './prompts';
import { ServiceHoursSource } from './service-hours';
import type { AsteriskDriver } from './asterisk/asterisk-driver';
import { dialplanFingerprint, splitAgentDial } from './asterisk/dialplan-generator';
import { createAsteriskDriver } from './asterisk/setup';
import { SimDriver } from './sim/sim-driver';
import { SimSeats } from './sim/sim-seats';
import { TwilioDriver, twilioDriverOptions } from './twilio/twilio-driver';

declare module 'fastify' {
  interface FastifyInstance {
    callFlow: CallFlow;
    /** Adopts or closes calls nobody carries any more. */
    reaper: OrphanReaper;
    /** The built-in simulator, when TELEPHONY includes sim. */
    simDriver: SimDriver | null;
    /** The Asterisk (AMI) driver, when TELEPHONY includes asterisk. */
    asteriskDriver: AsteriskDriver | null;
    /** The Twilio driver, when TELEPHONY includes twilio (its webhooks are registered only then). */
    twilioDriver: TwilioDriver | null;
    /** Callbacks dialled out by the phone system agents accept them on (CALLBACK_DIAL). */
    callbackCalls: CallbackCalls;
    /** Agents whose seat is a phone number: offers ring it through the call's own phone system. */
    remoteSeats: RemoteSeats;
    /** The simulator's remote seats (simulated lawyers' phones), when TELEPHONY includes sim. */
    simSeats: SimSeats | null;
  }
}

/**
 * The call flow and the phone systems configured in TELEPHONY. Drivers start after the flow
 * exists and stop before it, so no event reaches a flow that is gone.
 */
export const telephonyPlugin = fp(
  async function telephony(app: FastifyInstance) {
    const row = await app.db.selectFrom('provinces').select('settings').where('code', '=', app.province.code).executeTakeFirstOrThrow();
    const settings = ivrSettings(z.record(z.string(), z.unknown()).parse(row.settings), app.province.code);
    const catalogue = defaultCatalogue();
    for (const [language, entries] of Object.entries(settings.prompts ?? {})) catalogue[language] = { ...catalogue[language], ...entries };
    const store: FlowStateStore = app.redis
      ? new RedisFlowStateStore(app.redis, {
          provinceCode: app.province.code,
          namespace: app.config.redisNamespace,
          node: app.nodes.id,
          stateIntact: () => app.router.store.verify(),
        })
      : new MemoryFlowStateStore(app.nodes.id);
    await store.start();
    app.router.onRecovered('call flow state', async () => {
      const restored = await store.restore();
      if (restored > 0) app.log.warn({ restored }, 'call flow state put back after the live state was lost');
    });
    // Invalid service hours stop the start, as invalid menus do; later changes are read every minute.
    const hours = new ServiceHoursSource(app.db, app.province.code, app.log);
    await hours.reload(true);
    hours.start();
    const geocoding = new GeocodingTables('zh');
    const resolver = new CallerRegionResolver(app.regions, geocoding.geocode);
    // Said once at start, off the start-up path: a place name the geocoding data spells another
    // way sends every caller of those prefixes to the province step.
    app.addHook('onReady', async () => {
      void resolver
        .coverage(geocoding)
        .then((c) => {
          if (Object.keys(c.unplaced).length > 0) app.log.warn({ blocks: c.blocks, placed: c.placed, unplaced: c.unplaced }, 'mobile prefixes the geocoding data places in the province but in none of its prefectures');
          else app.log.info({ blocks: c.blocks, placed: c.placed }, 'every mobile prefix of the province resolves to a prefecture');
        })
        .catch((err) => app.log.warn({ err }, 'could not check the geocoding data against the province'));
    });
    const flow = new CallFlow({
      db: app.db,
      records: app.records,
      callbacks: app.callbacks,
      router: app.router,
      regions: app.regions,
      province: app.province,
      menus: new Menus(settings, app.province.languages, app.regions),
      prompts: new Prompts(catalogue, app.log),
      store,
      resolver,
      hours,
      log: app.log,
    });

    const callbackCalls = new CallbackCalls({ db: app.db, router: app.router, records: app.records, callbacks: app.callbacks, log: app.log.child({ module: 'callback-calls' }) });
    const remoteSeats = new RemoteSeats({ db: app.db, router: app.router, flow, records: app.records, regions: app.regions, log: app.log.child({ module: 'remote-seats' }) });
    const drivers: TelephonyDriver[] = [];
    let sim: SimDriver | null = null;
    let simSeats: SimSeats | null = null;
    if (app.config.telephony.includes('sim')) {
      sim = new SimDriver(flow, app.log, app.config.sim);
      sim.enableCallbacks(callbackCalls);
      drivers.push(sim);
      simSeats = new SimSeats(remoteSeats, app.log, app.config.sim);
      remoteSeats.use(sim, simSeats);
    }
    let asterisk: AsteriskDriver | null = null;
    const seatDialer: { asterisk?: SeatDialer } = {};
    if (app.config.telephony.includes('asterisk') && app.config.asterisk) {
      // Starting only takes the lease (when there is Redis): the AMI link comes up in the
      // background, so the service starts even while Asterisk is unreachable.
      const dialplan = { languages: app.province.languages, ivr: settings, agentDial: app.config.asterisk.agentDial };
      asterisk = createAsteriskDriver({
        config: app.config.asterisk,
        dialplan: { fingerprint: dialplanFingerprint(dialplan), compactConnect: splitAgentDial(dialplan.agentDial) !== null },
        // Read through the source each time: an operator's change of hours applies within a minute.
        isOpen: (at) => hours.calendar.isOpen(at),
        flow,
        db: app.db,
        records: app.records,
        redis: app.redis,
        redisNamespace: app.config.redisNamespace,
        provinceCode: app.province.code,
        log: app.log,
        metrics: app.metrics,
        callbackReports: callbackCalls,
        seats: { reports: remoteSeats, use: (dialer) => (seatDialer.asterisk = dialer) },
      });
      if (seatDialer.asterisk) remoteSeats.use(asterisk, seatDialer.asterisk);
      drivers.push(asterisk);
    }
    let twilioDriver: TwilioDriver | null = null;
    if (app.config.telephony.includes('twilio')) {
      twilioDriver = new TwilioDriver(flow, app.db, app.log, twilioDriverOptions(app.config, settings.holdMusic));
      twilioDriver.enableCallbacks(callbackCalls);
      remoteSeats.use(twilioDriver, twilioDriver.enableSeats(remoteSeats, (call) => remoteSeats.announcement(call)));
      drivers.push(twilioDriver);
    }
    for (const driver of drivers) {
      flow.addDriver(driver);
      await driver.start();
    }
    const dialVia = app.config.callbackDial ?? app.config.telephony[0];
    callbackCalls.use(drivers.find((d) => d.name === dialVia) ?? null);
    const reaper = new OrphanReaper({
      db: app.db,
      flow,
      store,
      router: app.router,
      records: app.records,
      nodes: app.nodes,
      redis: app.redis,
      lockKey: `${app.config.redisNamespace}:{prov:${app.province.code.slice(0, 2)}}:reaper`,
      provinceCode: app.province.code,
      log: app.log.child({ module: 'reaper' }),
    });
    reaper.start();
    remoteSeats.start();
    app.decorate('callFlow', flow);
    app.decorate('reaper', reaper);
    app.decorate('simDriver', sim);
    app.decorate('asteriskDriver', asterisk);
    app.decorate('twilioDriver', twilioDriver);
    app.decorate('callbackCalls', callbackCalls);
    app.decorate('remoteSeats', remoteSeats);
    app.decorate('simSeats', simSeats);
    app.addHook('onClose', async () => {
      hours.stop();
      await reaper.stop();
      simSeats?.stop();
      await remoteSeats.stop();
      await callbackCalls.stop();
      for (const driver of drivers) await driver.stop();
      await flow.stop();
      await store.close();
    });
  },
  { name: 'telephony', dependencies: ['queue', 'province', 'database', 'redis', 'records', 'callbacks'] },
);
