import type { FastifyBaseLogger } from 'fastify';
import { seatNumber } from '../phone-number';
import type { SeatDialer, SeatEnd, SeatReports, SeatRing } from '../seat-dialer';
import type { AmiClient } from './ami-client';
import { AmiActionError } from './ami-errors';
import { OriginateResponseEvent, SeatUserEvent } from './ami-events';
import { SEAT_CONTEXTS, SEAT_EVENTS, SEAT_LEG } from './dialplan';

/**
 * Remote seats through Asterisk: one AMI Originate per offer (Async) of a Local channel that dials
 * the seat phone through the trunk ([hotline-seat-out]) into [hotline-seat], which tells the
 * lawyer who is calling and reads one key (dialplan.ts, "remote seats"). The Local channel's
 * Uniqueid is the offer's id (ChannelId), so the caller's [hotline-seat-connect] can Bridge() to
 * it by that id, and nothing here must survive a restart to match events to offers.
 *
 * - OriginateResponse Failure: the phone never answered (3), was busy (5), rejected (1) or could
 *   not be dialled (0, 8) — the seat leg ended before a key: a missed offer;
 * - UserEvent HotlineSeatKey: the key pressed ('' when none); 1 asks the router for the call;
 * - UserEvent HotlineSeatEnd (the `h` extension): the leg is over.
 *
 * It runs on the node holding the AMI link (the Asterisk driver's `actsOn`); Originate needs the
 * `originate` write class in manager.conf, as callbacks do.
 */

export interface AsteriskSeatDialerOptions {
  client: AmiClient;
  reports: SeatReports;
  log: FastifyBaseLogger;
}

const ENDED_BY: Record<string, SeatEnd> = { '1': 'hung_up', '3': 'no_answer', '5': 'busy', '8': 'failed', '0': 'failed' };
/** Characters of codes that go into the Originate's extension (region digits, language, topic). */
const CODE = /^[a-z0-9_]{1,32}$/;

export class AsteriskSeatDialer implements SeatDialer {
  /** Originate's ActionID → offer, until its OriginateResponse. */
  private readonly originating = new Map<string, string>();

  constructor(private readonly o: AsteriskSeatDialerOptions) {
    o.client.on('OriginateResponse', OriginateResponseEvent, (e) => this.onOriginateResponse(e));
    o.client.on('UserEvent', SeatUserEvent.partial({ seat: true }), (e) => {
      if (e.userevent === SEAT_EVENTS.key || e.userevent === SEAT_EVENTS.end) return this.onUserEvent(e);
    });
  }

  async ring(r: SeatRing): Promise<void> {
    const number = seatNumber(r.number);
    if (!number) throw new Error('not_dialable: the seat phone is not a mainland number');
    const { regionCode, language, topic } = r.announcement;
    if (!SEAT_LEG.test(r.offerId) || ![regionCode, language, topic].every((c) => CODE.test(c))) throw new Error('not_dialable: the offer cannot be described to the dialplan');
    let actionId: string | null = null;
    try {
      await this.o.client.action(
        'Originate',
        {
          // /n: the Local channel stays itself, so the caller can be bridged to it by its id.
          Channel: `Local/${number}@${SEAT_CONTEXTS.out}/n`,
          Context: SEAT_CONTEXTS.seat,
          // Who is calling, as codes the dialplan turns into sound names; nothing caller-typed.
          Exten: `${regionCode}*${language}*${topic}`,
          Priority: 1,
          Timeout: r.ringSeconds * 1000,
          Async: 'true',
          ChannelId: r.offerId,
          OtherChannelId: `${r.offerId}-out`,
          CallerID: '"12348" <12348>',
        },
        {
          onActionId: (id) => {
            actionId = id;
            this.originating.set(id, r.offerId);
            setTimeout(() => this.originating.delete(id), (r.ringSeconds + 30) * 1000).unref();
          },
        },
      );
    } catch (err) {
      if (actionId) this.originating.delete(actionId);
      if (err instanceof AmiActionError && /permission denied/i.test(err.message)) {
        this.o.log.error('Asterisk refused Originate: add the originate class to the write= line of the AMI account in manager.conf (docs/asterisk.md) to ring remote seats');
      }
      throw err;
    }
  }

  async hangUp(offerId: string): Promise<void> {
    // Asterisk finds a channel by its Uniqueid: the offer's id names the seat leg.
    await this.o.client.action('Hangup', { Channel: offerId, Cause: 16 }).catch((err: Error) => {
      // Already over (or never answered): nothing to end.
      if (!(err instanceof AmiActionError)) throw err;
    });
  }

  private async onOriginateResponse(e: OriginateResponseEvent): Promise<void> {
    const offerId = e.actionid ? this.originating.get(e.actionid) : undefined;
    if (!offerId) return;
    this.originating.delete(e.actionid!);
    if (e.response === 'Success') return;
    const how = ENDED_BY[e.reason ?? ''] ?? 'failed';
    await this.o.reports.ended(offerId, how, `originate_${e.reason ?? 'unknown'}`);
  }

  private async onUserEvent(e: Partial<SeatUserEvent> & { userevent: string }): Promise<void> {
    const offerId = e.seat;
    if (!offerId) {
      this.o.log.warn({ userEvent: e.userevent }, 'remote seat event without a Seat; ignored (check extensions.conf)');
      return;
    }
    if (e.userevent === SEAT_EVENTS.key) {
      const key = e.digits && /^[0-9*#]$/.test(e.digits) ? e.digits : null;
      const took = await this.o.reports.pressed(offerId, key);
      // Pressed 1 too late (the offer was gone): the dialplan is waiting for the caller; end it.
      if (key === '1' && !took) await this.hangUp(offerId);
      return;
    }
    await this.o.reports.ended(offerId, 'hung_up', e.hangupcause ? `cause_${e.hangupcause}` : undefined);
  }
}
