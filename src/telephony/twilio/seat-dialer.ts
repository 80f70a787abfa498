import type { FastifyBaseLogger } from 'fastify';
import twilio from 'twilio';
import { e164Number, maskPhoneNumbersInText } from '../phone-number';
import type { SeatAnnouncement, SeatDialer, SeatEnd, SeatLegRef, SeatReports, SeatRing } from '../seat-dialer';
import { seatConference, WEBHOOK_PREFIX } from './twiml';

/**
 * Remote seats through Twilio: `calls.create` to the seat phone (E.164, from TWILIO_CALLER_ID).
 * When the lawyer answers, Twilio fetches `seat/answer`: a <Gather> that says who is calling and
 * reads one key (`seat/key`). Key 1 that gets them the call puts them in a conference named after
 * the offer, which the caller's connect joins (twiml.ts); anything else ends the leg — a missed
 * offer. The status callback reports a leg that never answered (no-answer, busy, failed,
 * canceled) or that ended. Every URL carries the offer, call and agent and is signed by Twilio, so
 * any node can take the webhooks.
 */

export const SEAT_PREFIX = `${WEBHOOK_PREFIX}/seat`;

/** How long the lawyer has to press a key, each of the two times the announcement is said. */
const KEY_SECONDS = 6;

export const SEAT_STATUSES = ['queued', 'initiated', 'ringing', 'in-progress', 'answered', 'completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;
type SeatStatus = (typeof SEAT_STATUSES)[number];

export interface SeatQuery {
  offer: string;
  call: string;
  agent: string;
}

export interface TwilioSeatDialerOptions {
  reports: SeatReports;
  publicBaseUrl: string;
  /** TWILIO_CALLER_ID; null: seat phones cannot be rung (each offer is missed, said in the log). */
  callerId: string | null;
  /** Says who is calling from the call's codes (on whichever node the webhook reaches). */
  announce: (call: { regionCode: string; language: string; topic: string }) => SeatAnnouncement;
  log: FastifyBaseLogger;
}

const ENDED_BY: Partial<Record<SeatStatus, SeatEnd>> = { 'no-answer': 'no_answer', canceled: 'no_answer', busy: 'busy', failed: 'failed', completed: 'hung_up' };

export class TwilioSeatDialer implements SeatDialer {
  /** Offer → CallSid, on the node that placed it (hang-ups decided by routing usually come here). */
  private readonly sids = new Map<string, string>();

  constructor(
    private readonly client: twilio.Twilio,
    private readonly o: TwilioSeatDialerOptions,
  ) {}

  private url(hook: 'answer' | 'key' | 'status', q: SeatQuery & Partial<Record<'region' | 'lang' | 'topic' | 'try', string>>): string {
    const pairs = Object.entries(q).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
    return `${this.o.publicBaseUrl}${SEAT_PREFIX}/${hook}?${pairs.join('&')}`;
  }

  async ring(r: SeatRing): Promise<void> {
    if (!this.o.callerId) throw new Error('no_caller_id: set TWILIO_CALLER_ID to ring remote seats through Twilio');
    const to = e164Number(r.number);
    if (!to) throw new Error('not_dialable: the seat phone is not a mainland number');
    const q: SeatQuery = { offer: r.offerId, call: r.callId, agent: r.agentId };
    const { regionCode, language, topic } = r.announcement;
    const call = await this.client.calls
      .create({
        to,
        from: this.o.callerId,
        url: this.url('answer', { ...q, region: regionCode, lang: language, topic }),
        method: 'POST',
        statusCallback: this.url('status', q),
        statusCallbackMethod: 'POST',
        statusCallbackEvent: ['completed'],
        timeout: r.ringSeconds,
      })
      .catch((err: unknown) => {
        const e = err as { code?: unknown; message?: unknown };
        throw new Error(`${typeof e.code === 'number' ? `twilio_${e.code}: ` : ''}${maskPhoneNumbersInText(typeof e.message === 'string' ? e.message : String(err))}`);
      });
    this.sids.set(r.offerId, call.sid);
  }

  async hangUp(offerId: string): Promise<void> {
    const sid = this.sids.get(offerId);
    if (!sid) return;
    this.sids.delete(offerId);
    try {
      // A leg still ringing is cancelled; one in progress is ended.
      await this.client.calls(sid).update({ status: 'completed' });
    } catch (err) {
      const e = err as { status?: number; code?: number };
      if (e.status !== 404 && e.code !== 21220) throw err;
    }
  }

  // ---- webhooks ---------------------------------------------------------------------------------

  /** The lawyer answered: who is calling, and one key. No key: `seat/key` without Digits (once more, then missed). */
  answered(q: SeatQuery & { region: string; lang: string; topic: string; try?: string }): string {
    const text = this.o.announce({ regionCode: q.region, language: q.lang, topic: q.topic }).text;
    const response = new twilio.twiml.VoiceResponse();
    const second = q.try === '2';
    const next = this.url(second ? 'key' : 'answer', { offer: q.offer, call: q.call, agent: q.agent, ...(second ? {} : { region: q.region, lang: q.lang, topic: q.topic, try: '2' }) });
    const gather = response.gather({ input: ['dtmf'], numDigits: 1, timeout: KEY_SECONDS, action: this.url('key', { offer: q.offer, call: q.call, agent: q.agent }), method: 'POST', actionOnEmptyResult: false });
    gather.say({ language: 'zh-CN' }, text);
    response.redirect({ method: 'POST' }, next);
    return response.toString();
  }

  /** The key pressed (none: the announcement ran out twice). */
  async key(q: SeatQuery, p: { Digits?: string | undefined }): Promise<string> {
    const key = p.Digits && /^[0-9*#]$/.test(p.Digits) ? p.Digits : null;
    const took = await this.o.reports.pressed(q.offer, key, this.ref(q));
    const response = new twilio.twiml.VoiceResponse();
    if (took) {
      response.say({ language: 'zh-CN' }, '正在为您接通来电。');
      // The caller's connect joins this conference; when either side leaves, it ends.
      response.dial().conference({ beep: 'false', startConferenceOnEnter: true, endConferenceOnExit: true }, seatConference(q.offer));
    } else {
      response.say({ language: 'zh-CN' }, key === '1' ? '该来电已由他人接听或已挂断，谢谢。' : '已拒接，谢谢。');
    }
    response.hangup();
    return response.toString();
  }

  /** The seat leg is over: not answered (how), or ended. */
  async statusChanged(q: SeatQuery, p: { CallStatus: SeatStatus }): Promise<void> {
    const how = ENDED_BY[p.CallStatus];
    if (!how) return;
    this.sids.delete(q.offer);
    await this.o.reports.ended(q.offer, how, `twilio_${p.CallStatus}`, this.ref(q));
  }

  private ref(q: SeatQuery): SeatLegRef {
    return { callId: q.call, agentId: q.agent, driver: 'twilio' };
  }
}
