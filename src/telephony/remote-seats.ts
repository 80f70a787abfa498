import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database';
import type { Router } from '../queue/router';
import { LANGUAGES, TOPICS } from '../queue/skills';
import type { LiveCall, NotReadyReason, RoutingEvent } from '../queue/types';
import type { RecordOutbox } from '../records/outbox';
import type { RegionDirectory } from '../regions/region-directory';
import type { CallFlow } from './call-flow';
import type { CallRef, DriverName, TelephonyDriver } from './driver';
import { maskPhoneNumber } from './phone-number';
import type { SeatAnnouncement, SeatDialer, SeatEnd, SeatLegRef, SeatReports } from './seat-dialer';
import { Errors } from '../errors/errors';

/**
 * Remote seats (issue 14, item 5): agents whose seat is their own phone — duty lawyers in remote
 * counties answering on their mobiles. The router knows nothing of it: an offer to such an agent is
 * an ordinary offer, and this module, listening to the router as callbacks/dial-out.ts does, has
 * the call's own phone system ring the seat phone. Only the node the call's driver `actsOn` rings.
 *
 * - Key 1 → router.accept: the call is the agent's; the flow's connect then puts the caller through
 *   to that same outside leg (`CallFlow.useSeats`). The ticket opens as for any call and stays the
 *   agent's to finish at the web desk or through the tickets API.
 * - Any other key, a hang-up, busy or no answer → router.decline: a missed offer (not ready,
 *   missed; the call back in its place), exactly as at the desk. An offer that rings out is the
 *   router's own timeout; the leg is hung up then.
 * - An agent with the web desk open may also take the offer there: the phone leg is hung up.
 *
 * Remote seats have no socket to keep their routing session alive, so every node renews the
 * presence of the signed-in remote seats (agents.seat_mode = 'phone') each third of the grace period.
 */

export interface RemoteSeatsOptions {
  db: Db;
  router: Router;
  flow: CallFlow;
  records: RecordOutbox;
  regions: RegionDirectory;
  log: FastifyBaseLogger;
}

interface Leg {
  offerId: string;
  callId: string;
  agentId: string;
  number: string;
  driver: TelephonyDriver;
  /** Key 1 got the agent the call. */
  accepted: boolean;
  ended: boolean;
}

interface Seat {
  phone: string | null;
  remote: boolean;
}

export type RemoteSeatState = 'ready' | 'not_ready' | 'offline';

/** Legs kept after they end, so that late reports find them (and change nothing). */
const KEEP_ENDED = 2_000;

export class RemoteSeats implements SeatReports {
  private readonly dialers = new Map<DriverName, { driver: TelephonyDriver; dialer: SeatDialer }>();
  /** This node's seat legs by offer. */
  private readonly legs = new Map<string, Leg>();
  /** Calls a seat took on its phone: the leg the caller is put through to. */
  private readonly taken = new Map<string, Leg>();
  /** The last seat settings read per agent: used when the database cannot be read. */
  private readonly seats = new Map<string, Seat>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly o: RemoteSeatsOptions) {
    o.router.on((e, local) => this.routed(e, local));
    o.flow.useSeats((agentId, callId) => {
      const leg = this.taken.get(callId);
      return leg && leg.agentId === agentId && !leg.ended ? { number: leg.number, leg: leg.offerId } : null;
    });
    // After the live state was rebuilt, remote seats are signed in again (not ready, as desks are).
    o.router.onRecovered('remote seats', () => this.renew(true));
  }

  /** The phone system `driver` rings seat phones for its own calls with `dialer`. */
  use(driver: TelephonyDriver, dialer: SeatDialer): void {
    this.dialers.set(driver.name, { driver, dialer });
  }

  dialer(name: DriverName): SeatDialer | null {
    return this.dialers.get(name)?.dialer ?? null;
  }

  start(): void {
    const every = Math.max(1_000, (this.o.router.settings.presenceGraceSeconds * 1000) / 3);
    this.timer = setInterval(() => this.track(this.renew(false), 'renew remote seats'), every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.settled();
  }

  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  // ---- signing a remote seat in and out -------------------------------------------------------

  /**
   * Puts a remote seat on or off the rota: `ready` / `not_ready` sign the agent in to routing as a
   * remote seat (offers ring their seat phone), `offline` signs them out and back to the desk.
   * Checked by the caller (scope, role); this only refuses what routing or the account forbid.
   */
  async set(agentId: string, state: RemoteSeatState, reason: NotReadyReason = 'other'): Promise<{ remoteSeat: boolean; state: string }> {
    const row = await this.o.db.selectFrom('agents').select(['id', 'username', 'region_code', 'languages', 'topics', 'seat_phone', 'seat_mode', 'disabled']).where('id', '=', agentId).executeTakeFirst();
    if (!row) throw new Errors.AGENT_NOT_FOUND(agentId);
    if (state === 'offline') {
      const live = this.o.router.liveAgent(agentId);
      if (live && live.state !== 'offline') {
        const r = await this.o.router.logout(agentId);
        if (!r.ok) throw new Errors.REMOTE_SEAT_BUSY(agentId, `cannot sign out now (${r.reason}); try again after the call`);
      }
      await this.o.db.updateTable('agents').set({ seat_mode: 'desk' }).where('id', '=', agentId).execute();
      this.seats.set(agentId, { phone: row.seat_phone, remote: false });
      return { remoteSeat: false, state: 'offline' };
    }
    if (row.disabled) throw new Errors.REMOTE_SEAT_BUSY(agentId, 'the account is disabled');
    if (!row.seat_phone) throw new Errors.NO_SEAT_PHONE(agentId);
    await this.o.db.updateTable('agents').set({ seat_mode: 'phone' }).where('id', '=', agentId).execute();
    this.seats.set(agentId, { phone: row.seat_phone, remote: true });
    await this.o.router.login({ id: row.id, username: row.username, regionCode: row.region_code, languages: row.languages, topics: row.topics });
    const r = state === 'ready' ? await this.o.router.setReady(agentId) : await this.o.router.setNotReady(agentId, reason);
    const live = this.o.router.liveAgent(agentId);
    // An agent on a call or in wrap-up keeps it; the new state applies when routing allows.
    if (!r.ok && live?.state !== state) this.o.log.info({ agentId, state, reason: r.reason }, 'remote seat signed in; its state stays until the call is over');
    return { remoteSeat: true, state: live?.state ?? state };
  }

  /** Whether the agent answers on their phone now, and on which. */
  async seatOf(agentId: string): Promise<Seat> {
    try {
      const row = await this.o.db.selectFrom('agents').select(['seat_phone', 'seat_mode']).where('id', '=', agentId).executeTakeFirst();
      const seat = { phone: row?.seat_phone ?? null, remote: row?.seat_mode === 'phone' };
      this.seats.set(agentId, seat);
      return seat;
    } catch (err) {
      // The database is away: the last word heard stands (a seat that was remote still rings).
      const known = this.seats.get(agentId);
      this.o.log.warn({ err, agentId, known: known?.remote ?? null }, 'could not read whether an agent answers on the phone');
      return known ?? { phone: null, remote: false };
    }
  }

  /** Renews the routing session of every signed-in remote seat (and, after a rebuild, signs them in). */
  private async renew(afterRebuild: boolean): Promise<void> {
    if (this.stopped) return;
    const rows = await this.o.db
      .selectFrom('agents')
      .select(['id', 'username', 'region_code', 'languages', 'topics'])
      .where('seat_mode', '=', 'phone')
      .where('disabled', '=', false)
      .execute();
    for (const row of rows) {
      const live = this.o.router.liveAgent(row.id);
      if (live && live.state !== 'offline') await this.o.router.heartbeat(row.id);
      else if (afterRebuild) await this.o.router.login({ id: row.id, username: row.username, regionCode: row.region_code, languages: row.languages, topics: row.topics });
    }
  }

  // ---- router events ---------------------------------------------------------------------------

  private routed(e: RoutingEvent, local: boolean): void {
    if (this.stopped || this.dialers.size === 0) return;
    switch (e.type) {
      case 'call.offered':
        this.track(this.offered(e.call, e.agentId, e.offerId, e.expiresAt, local), 'ring a remote seat');
        return;
      case 'offer.returned':
        return this.release(this.legs.get(e.offerId));
      case 'call.connected': {
        // Taken at the desk while the phone rang: the phone stops.
        for (const leg of this.legs.values()) if (leg.callId === e.call.id && !leg.accepted) this.release(leg);
        return;
      }
      case 'call.left':
      case 'call.ended':
      case 'call.transferred': {
        // The conversation is over (or the caller left): the seat phone hangs up too.
        for (const leg of this.legs.values()) if (leg.callId === e.call.id) this.release(leg);
        this.taken.delete(e.call.id);
        return;
      }
      default:
        return;
    }
  }

  private async offered(call: LiveCall, agentId: string, offerId: string, expiresAt: number, local: boolean): Promise<void> {
    const state = await this.o.flow.state(call.id);
    const via = state ? this.dialers.get(state.driver as DriverName) : undefined;
    if (!state || !via) return;
    const ref: CallRef = { callId: call.id, externalId: state.externalId };
    if (!via.driver.actsOn(ref, local)) return;
    const seat = await this.seatOf(agentId);
    if (!seat.remote || !seat.phone) return;
    const leg: Leg = { offerId, callId: call.id, agentId, number: seat.phone, driver: via.driver, accepted: false, ended: false };
    this.remember(leg);
    const ringSeconds = Math.max(1, Math.floor((expiresAt - Date.now()) / 1000));
    await this.o.records.event(call.id, 'remote_seat.ringing', { agentId, offerId, number: maskPhoneNumber(seat.phone), driver: via.driver.name });
    this.o.log.info({ callId: call.id, agentId, offerId, number: maskPhoneNumber(seat.phone), driver: via.driver.name }, 'ringing a remote seat');
    try {
      await via.dialer.ring({ offerId, callId: call.id, agentId, number: seat.phone, ringSeconds, announcement: this.announcement(call) });
    } catch (err) {
      this.o.log.warn({ err, callId: call.id, agentId }, 'the phone system did not ring the remote seat; a missed offer');
      await this.ended(offerId, 'failed', (err as Error).message.slice(0, 120));
    }
  }

  /** Who is calling, in the words the seat phone says. */
  announcement(call: Pick<LiveCall, 'regionCode' | 'language' | 'topic'>): SeatAnnouncement {
    const region = this.o.regions.get(call.regionCode);
    const regionName = region ? [...this.o.regions.lineage(region.code)].reverse().filter((r) => r.level !== 'province').map((r) => r.nameZh).join('') || region.nameZh : call.regionCode;
    const languageName = LANGUAGES[call.language as keyof typeof LANGUAGES]?.zh ?? call.language;
    const topicName = TOPICS[call.topic as keyof typeof TOPICS]?.zh ?? call.topic;
    return {
      regionCode: call.regionCode,
      regionName,
      language: call.language,
      languageName,
      topic: call.topic,
      topicName,
      text: `12348热线来电。地区：${regionName}。语言：${languageName}。咨询类别：${topicName}。接听请按1，拒接请按其他键。`,
    };
  }

  // ---- reports from the phone system -------------------------------------------------------------

  async pressed(offerId: string, key: string | null, from?: SeatLegRef): Promise<boolean> {
    return this.during(
      (async () => {
        const leg = await this.legOf(offerId, from);
        if (!leg || leg.ended || leg.accepted) return leg?.accepted ?? false;
        await this.o.records.event(leg.callId, 'remote_seat.key', { agentId: leg.agentId, offerId, key });
        if (key !== '1') {
          await this.miss(leg, key === null ? 'no_key' : 'declined');
          return false;
        }
        // Known before the accept's events run: the flow's connect asks for the leg at once.
        leg.accepted = true;
        this.taken.set(leg.callId, leg);
        const r = await this.o.router.accept(leg.agentId, offerId);
        if (!r.ok) {
          leg.accepted = false;
          this.taken.delete(leg.callId);
          this.o.log.info({ callId: leg.callId, agentId: leg.agentId, reason: r.reason }, 'a remote seat pressed 1 after the offer was gone');
          return false;
        }
        this.o.log.info({ callId: leg.callId, agentId: leg.agentId }, 'a remote seat took the call on its phone');
        return true;
      })(),
    );
  }

  async ended(offerId: string, how: SeatEnd, cause?: string, from?: SeatLegRef): Promise<void> {
    return this.during(
      (async () => {
        const leg = await this.legOf(offerId, from);
        if (!leg || leg.ended) return;
        leg.ended = true;
        if (leg.accepted) return;
        await this.o.records.event(leg.callId, 'remote_seat.ended', { agentId: leg.agentId, offerId, how, cause: cause ?? null });
        await this.miss(leg, how);
      })(),
    );
  }

  async agentLeft(offerId: string): Promise<void> {
    const leg = this.legs.get(offerId);
    if (!leg || !leg.accepted) return;
    leg.ended = true;
    await this.during(
      (async () => {
        const state = await this.o.flow.state(leg.callId);
        const next = await this.o.flow.agentLeft(leg.callId);
        // The caller's phone system heard nothing of it: the survey is sent to the caller from here.
        if (state && next) await leg.driver.execute({ callId: leg.callId, externalId: state.externalId }, next);
      })(),
    );
  }

  /**
   * The leg this node rang, or — for a report that reached another node (a Twilio webhook) — the
   * leg as the report names it, while the router still holds that offer for that agent.
   */
  private async legOf(offerId: string, from?: SeatLegRef): Promise<Leg | undefined> {
    const known = this.legs.get(offerId);
    if (known || !from) return known;
    const via = this.dialers.get(from.driver);
    const live = this.o.router.liveCall(from.callId);
    if (!via || live?.offerId !== offerId || live.agentId !== from.agentId) return undefined;
    const seat = await this.seatOf(from.agentId);
    if (!seat.phone) return undefined;
    const leg: Leg = { offerId, callId: from.callId, agentId: from.agentId, number: seat.phone, driver: via.driver, accepted: false, ended: false };
    this.remember(leg);
    return leg;
  }

  /** A seat that did not take its offer: declined in the router — not ready (missed), the call back in its place. */
  private async miss(leg: Leg, why: string): Promise<void> {
    const live = this.o.router.liveCall(leg.callId);
    if (live?.status !== 'offered' || live.offerId !== leg.offerId) return;
    this.o.log.info({ callId: leg.callId, agentId: leg.agentId, why }, 'a remote seat missed its offer');
    await this.o.router.decline(leg.agentId, leg.offerId, { missed: true });
    this.release(leg);
  }

  private release(leg: Leg | undefined): void {
    if (!leg) return;
    const wasUp = !leg.ended;
    leg.ended = true;
    if (this.taken.get(leg.callId) === leg) this.taken.delete(leg.callId);
    const dialer = this.dialers.get(leg.driver.name)?.dialer;
    if (wasUp && dialer) this.track(dialer.hangUp(leg.offerId), 'hang up a remote seat');
  }

  private remember(leg: Leg): void {
    this.legs.set(leg.offerId, leg);
    if (this.legs.size > KEEP_ENDED) {
      for (const [id, l] of this.legs) {
        if (this.legs.size <= KEEP_ENDED) break;
        if (l.ended) this.legs.delete(id);
      }
    }
  }

  private during<T>(p: Promise<T>): Promise<T> {
    const tracked = p.catch(() => {});
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return p;
  }

  private track(p: Promise<unknown>, what: string): void {
    const tracked = p.catch((err) => this.o.log.error({ err }, `could not ${what}`));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
}
