import http from 'node:http';
import https from 'node:https';
import type { FastifyBaseLogger } from 'fastify';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type { Config } from '../../config/config';
import type { Db } from '../../db/database';
import { Errors } from '../../errors/errors';
import type { CallFlow, HangupBy } from '../call-flow';
import type { Action, CallRef, ConferenceStep, DialReports, DriverCapabilities, MonitorRequest, TelephonyDriver } from '../driver';
import type { SeatReports } from '../seat-dialer';
import { TwilioSeatDialer, type TwilioSeatDialerOptions } from './seat-dialer';
import { TwilioCallbackDialer } from './callback-dialer';
import type { FlowState } from '../flow-state';
import { Twiml, type TwimlOptions } from './twiml';
import { conferenceOf, TwilioConference, type ParticipantRole } from './conference';

/**
 * The Twilio phone system (DESIGN §2): Twilio asks for TwiML at every step of a call (signed
 * webhooks, answered from the call flow), and what the router decides between those requests
 * (an agent took the call, the agent hung up at the desk, the wait ran out) replaces the live
 * call's TwiML through the REST API. Any node can answer a webhook or reach the REST API, so
 * the node that committed a router step carries it out.
 */

export interface TwilioDriverOptions extends TwimlOptions {
  accountSid: string;
  authToken: string;
  /** Null: https://api.twilio.com. Otherwise every REST request goes to this base instead. */
  apiBaseUrl: string | null;
  restTimeoutMs: number;
  /** TWILIO_CALLER_ID: the number callbacks show (null: callbacks cannot be dialled through Twilio). */
  callerId?: string | null;
}

/** How long the agent's softphone rings before the <Dial> reports no-answer (the call goes back to its place). */
const DIAL_TIMEOUT_SECONDS = 20;

/** The driver's options from the validated configuration (which requires them when TELEPHONY includes twilio). */
export function twilioDriverOptions(config: Config, holdMusic: string): TwilioDriverOptions {
  const t = config.twilio;
  if (!t || !config.publicBaseUrl || !t.audioBaseUrl) throw new Error('TELEPHONY includes twilio but TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN or PUBLIC_BASE_URL is missing');
  return {
    accountSid: t.accountSid,
    authToken: t.authToken,
    apiBaseUrl: t.apiBaseUrl,
    restTimeoutMs: t.restTimeoutMs,
    publicBaseUrl: config.publicBaseUrl.replace(/\/+$/, ''),
    audioBaseUrl: t.audioBaseUrl,
    voices: t.voices,
    dialTimeoutSeconds: DIAL_TIMEOUT_SECONDS,
    holdMusic,
    callerId: t.callerId ?? null,
  };
}

/** Call statuses after which the call is over. */
const ENDED = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

export const DIAL_STATUSES = ['completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled'] as const;
/** Twilio's DialCallStatus as the phone-system dial status and Q.850 cause the flow records (Twilio gives no cause for a failed dial). */
const FORWARD_STATUS: Record<(typeof DIAL_STATUSES)[number], [string, string | undefined]> = {
  completed: ['ANSWER', '16'],
  answered: ['ANSWER', '16'],
  busy: ['BUSY', '17'],
  'no-answer': ['NOANSWER', '19'],
  failed: ['CHANUNAVAIL', undefined],
  canceled: ['CANCEL', undefined],
};
export const CALL_STATUSES = ['queued', 'initiated', 'ringing', 'in-progress', 'answered', 'completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;
export const RECORDING_STATUSES = ['in-progress', 'completed', 'absent', 'failed'] as const;

/** The REST client's transport, sending to another base URL (a local fake Twilio in tests and benchmarks). */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(
    private readonly base: string,
    opts: RequestClient.RequestClientOptions,
  ) {
    super(opts);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request({ ...opts, uri: opts.uri.replace(/^https?:\/\/[^/]+/, this.base) });
  }
}

export class TwilioDriver implements TelephonyDriver {
  readonly name = 'twilio' as const;
  readonly twiml: Twiml;
  private readonly client: twilio.Twilio;
  private readonly agents: (http.Agent | https.Agent)[] = [];
  /** Dials callbacks (callback-dialer.ts), once enableCallbacks() said where to report. */
  dialer?: TwilioCallbackDialer;
  /** Who is in each call's conference, and the steps that change it (conference.ts). */
  private readonly rooms: TwilioConference;

  constructor(
    private readonly flow: CallFlow,
    private readonly db: Db,
    private readonly log: FastifyBaseLogger,
    private readonly o: TwilioDriverOptions,
  ) {
    this.twiml = new Twiml(o);
    const transport = { timeout: o.restTimeoutMs, keepAlive: true, autoRetry: true, maxRetries: 3 };
    const httpClient = o.apiBaseUrl ? new RebasedRequestClient(o.apiBaseUrl, transport) : new twilio.RequestClient(transport);
    // Own the sockets, so stop() can close them instead of leaving keep-alive connections open.
    const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 50 });
    httpClient.axios.defaults.httpAgent = httpAgent;
    this.agents.push(httpAgent);
    if (httpClient.axios.defaults.httpsAgent) this.agents.push(httpClient.axios.defaults.httpsAgent as https.Agent);
    this.client = twilio(o.accountSid, o.authToken, { httpClient });
    this.rooms = new TwilioConference({
      client: this.client,
      flow,
      twiml: this.twiml,
      log,
      callerId: o.callerId ?? null,
      dialTimeoutSeconds: o.dialTimeoutSeconds,
      holdMusic: o.holdMusic,
      deliver: (ref, action) => this.execute(ref, action),
    });
  }

  async start(): Promise<void> {}

  /** Callbacks dialled through Twilio report here; their webhooks are registered with the others. */
  enableCallbacks(reports: DialReports): void {
    this.dialer = new TwilioCallbackDialer(this.client, { reports, publicBaseUrl: this.o.publicBaseUrl, callerId: this.o.callerId ?? null, log: this.log });
  }

  /** Rings remote seats' phones (src/telephony/remote-seats.ts); their webhooks are registered with the others. */
  seats?: TwilioSeatDialer;

  enableSeats(reports: SeatReports, announce: TwilioSeatDialerOptions['announce']): TwilioSeatDialer {
    this.seats = new TwilioSeatDialer(this.client, { reports, announce, publicBaseUrl: this.o.publicBaseUrl, callerId: this.o.callerId ?? null, log: this.log });
    return this.seats;
  }

  async stop(): Promise<void> {
    for (const agent of this.agents) agent.destroy();
  }

  /** Every call is a conference (conference.ts): supervisors, colleagues and interpreters join it. */
  capabilities(): DriverCapabilities {
    return { forward: true, consult: true, interpreter: true, monitor: ['listen', 'whisper', 'barge'] };
  }

  async monitor(ref: CallRef, m: MonitorRequest): Promise<void> {
    await this.rooms.monitor(ref, m);
  }

  async conference(ref: CallRef, step: ConferenceStep): Promise<void> {
    await this.rooms.step(ref, step);
  }

  /** Any node reaches the REST API: the node that committed the router's step acts on it. */
  actsOn(_call: CallRef, local: boolean): boolean {
    return local;
  }

  /**
   * The URL Twilio signed: PUBLIC_BASE_URL and the path and query as this node received them.
   * Throws a 403 unless the X-Twilio-Signature header is Twilio's signature of it and `params`.
   */
  verify(signature: string | string[] | undefined, rawUrl: string, params: Record<string, unknown>): void {
    if (typeof signature !== 'string' || signature === '') throw new Errors.TWILIO_SIGNATURE('no X-Twilio-Signature header');
    if (!twilio.validateRequest(this.o.authToken, signature, `${this.o.publicBaseUrl}${rawUrl}`, params)) {
      throw new Errors.TWILIO_SIGNATURE('X-Twilio-Signature does not match this URL and these parameters (is PUBLIC_BASE_URL the address Twilio calls?)');
    }
  }

  /** Replaces the live call's TwiML: what the router decided while the call was on hold or bridged. */
  async execute(ref: CallRef, action: Action): Promise<void> {
    const state = await this.flow.state(ref.callId);
    if (!state || state.step !== action.step) {
      this.log.info({ callId: ref.callId, action: action.type, step: action.step }, 'Twilio call has moved on; action not sent');
      return;
    }
    try {
      await this.client.calls(ref.externalId).update({ twiml: this.twiml.render(ref.callId, action, 'rest') });
      // A remote seat is already in the conference the caller now joins: bridged as the update lands.
      if (action.type === 'connect' && action.agent.remote) await this.flow.bridged(ref.callId);
    } catch (err) {
      return this.undelivered(ref, action, err);
    }
    if (action.type !== 'connect' || action.agent.remote) return;
    try {
      await this.rooms.addAgent(ref, action.agent.username);
    } catch (err) {
      const e = err as { status?: number; code?: number | string; message?: string };
      this.log.error({ callId: ref.callId, status: e.status, code: e.code, reason: e.message }, "could not ring the agent's softphone into the caller's conference");
      const back = await this.flow.bridgeFailed(ref.callId, `Twilio participants.create failed: ${e.message ?? 'unknown error'}`);
      // The caller waits in the conference: back to the hold loop by REST.
      if (back) await this.execute(ref, back);
    }
  }

  private async undelivered(ref: CallRef, action: Action, err: unknown): Promise<void> {
    const e = err as { status?: number; code?: number | string; message?: string };
    const gone = e.status === 404 || e.code === 21220;
    this.log[gone ? 'warn' : 'error'](
      { callId: ref.callId, action: action.type, status: e.status, code: e.code, reason: e.message },
      gone ? 'Twilio call is no longer in progress; action not delivered' : 'could not deliver an action to the Twilio call',
    );
    if (gone) await this.flow.hangup(ref.callId, 'caller');
    else if (action.type === 'connect') await this.flow.bridgeFailed(ref.callId, `Twilio REST update failed: ${e.message ?? 'unknown error'}`);
  }

  /** Twilio's own view of the call (GET Calls/{sid}): still ringing, queued or in progress, or over. */
  async probe(ref: CallRef): Promise<'live' | 'gone' | 'unknown'> {
    try {
      const call = await this.client.calls(ref.externalId).fetch();
      return ['queued', 'ringing', 'in-progress'].includes(call.status) ? 'live' : 'gone';
    } catch (err) {
      const e = err as { status?: number };
      if (e.status === 404) return 'gone';
      this.log.warn({ callId: ref.callId, status: e.status }, 'could not ask Twilio whether a call is still in progress');
      return 'unknown';
    }
  }

  // ---- webhooks ------------------------------------------------------------------------------

  /** A new call to the hotline number. A retried request is the same call, answered the same way. */
  async incoming(p: { CallSid: string; From: string }): Promise<string> {
    const { callId, action } = await this.flow.arrived({ driver: 'twilio', externalId: p.CallSid, from: p.From });
    return this.twiml.render(callId, action, 'webhook');
  }

  /** A menu's answer: a key, or none when the menu timed out (the fallback <Redirect>). */
  async gathered(q: { call: string; step: number }, p: { CallSid: string; Digits?: string | undefined }): Promise<string> {
    const action = await this.flow.digits(q.call, q.step, p.Digits ? p.Digits : null, { driver: 'twilio', externalId: p.CallSid });
    return action ? this.twiml.render(q.call, action, 'webhook') : this.notInFlow(q.call, p.CallSid);
  }

  /** The hold loop's next turn, or the key the caller pressed on hold (the callback offer). */
  async holding(q: { call: string; step: number }, p: { CallSid: string; Digits?: string | undefined }): Promise<string> {
    const call = { driver: 'twilio' as const, externalId: p.CallSid };
    const action = p.Digits ? await this.flow.digits(q.call, q.step, p.Digits, call) : await this.flow.holdTick(q.call, call);
    return action ? this.twiml.render(q.call, action, 'webhook') : this.notInFlow(q.call, p.CallSid);
  }

  /**
   * The <Dial> to the agent ended. Answered and over: the agent left, the caller goes to the
   * survey. Not answered (busy, no answer, failed): back in the queue, in the same place.
   */
  async dialEnded(
    q: { call: string; step: number },
    p: { CallSid: string; DialCallStatus: (typeof DIAL_STATUSES)[number]; CallStatus?: string | undefined },
  ): Promise<string> {
    const found = await this.dialing(q.call, p);
    if (!found) return this.twiml.hangup();
    // An outside party took the call over (a completed consult): their conference is over.
    if (found.phase === 'ended') return this.twiml.hangup();
    let action: Action | null;
    if (q.step !== found.step) action = found.lastAction as Action | null;
    else if (p.DialCallStatus === 'completed' || p.DialCallStatus === 'answered') action = await this.flow.agentLeft(q.call);
    else action = (await this.flow.bridgeFailed(q.call, `agent's softphone: ${p.DialCallStatus}`)) ?? ((await this.flow.state(q.call))?.lastAction as Action | null);
    return action ? this.twiml.render(q.call, action, 'webhook') : this.twiml.hangup();
  }

  /**
   * The call whose <Dial> reports its end, if its caller is still on the line: null when the flow
   * has finished it, or when the caller hung up (Twilio still reports the <Dial>, but there is no
   * one to answer; the flow is told).
   */
  private async dialing(callId: string, p: { CallSid: string; CallStatus?: string | undefined }): Promise<FlowState | null> {
    const found = await this.find(callId, p.CallSid);
    if (!found) return null;
    if (p.CallStatus && ENDED.has(p.CallStatus)) {
      await this.flow.hangup(callId, 'caller');
      return null;
    }
    return found;
  }

  /**
   * The <Dial> to a forward's outside number ended. Answered and over: nothing more for the
   * hotline. Not answered: the flow puts the caller back through to the agent — a connect, which
   * only REST delivers (render), so the caller hears hold music until it lands.
   */
  async forwardEnded(
    q: { call: string; step: number },
    p: { CallSid: string; DialCallStatus: (typeof DIAL_STATUSES)[number]; CallStatus?: string | undefined },
  ): Promise<string> {
    if (!(await this.dialing(q.call, p))) return this.twiml.hangup();
    const [status, cause] = FORWARD_STATUS[p.DialCallStatus];
    const action = await this.flow.forwardResult(q.call, q.step, status, cause);
    if (!action) return this.twiml.hangup();
    if (action.type === 'connect') {
      // After this answer is on its way, as a connect decided during a hold tick is.
      setImmediate(() => this.execute({ callId: q.call, externalId: p.CallSid }, action).catch((err) => this.log.error({ err, callId: q.call }, 'could not put a caller back through to the agent after a failed forward')));
    }
    return this.twiml.render(q.call, action, 'webhook');
  }

  /**
   * Call status callbacks. The caller's call (the number's status callback): once it is over,
   * the flow ends it; a callback repeating a SequenceNumber already applied, or older than it,
   * changes nothing. The agent's leg (`leg=agent`, from the <Client> noun): answered means
   * the two are bridged.
   */
  async statusChanged(
    q: { call?: string | undefined; leg?: 'agent' | 'forward' | undefined; step?: number | undefined },
    p: { CallSid: string; CallStatus: (typeof CALL_STATUSES)[number]; SequenceNumber?: number | undefined; ParentCallSid?: string | undefined },
  ): Promise<void> {
    if (q.leg === 'forward' && q.call && q.step !== undefined) {
      // The outside number picked up: the hotline's part of the call is over.
      const found = await this.find(q.call, p.ParentCallSid ?? '');
      if (found && (p.CallStatus === 'in-progress' || p.CallStatus === 'answered')) await this.flow.forwardResult(q.call, q.step, 'ANSWER', '16');
      return;
    }
    if (q.leg === 'agent' && q.call) {
      const found = await this.find(q.call, p.ParentCallSid ?? '');
      if (!found || (p.CallStatus !== 'in-progress' && p.CallStatus !== 'answered')) return;
      let first = false;
      await this.flow.driverData(q.call, (data) => {
        if (data.bridgedLeg === p.CallSid) return null;
        first = true;
        return { ...data, bridgedLeg: p.CallSid };
      });
      if (first) await this.flow.bridged(q.call);
      return;
    }

    const callId = await this.flow.lookup('twilio', p.CallSid);
    if (!callId) {
      // Already finished here (a retried final callback), or never heard of.
      if (await twilioCalls.exists(this.db, { externalId: p.CallSid })) return;
      throw new Errors.TWILIO_CALL_NOT_FOUND(p.CallSid);
    }
    let fresh = true;
    let by: HangupBy = 'caller';
    const state = await this.flow.driverData(callId, (data, s) => {
      const last = typeof data.statusSequence === 'number' ? data.statusSequence : -1;
      if (p.SequenceNumber !== undefined && p.SequenceNumber <= last) {
        fresh = false;
        return null;
      }
      // Our own <Hangup/> ended it when the flow had already finished the call.
      by = s.phase === 'ended' ? 'system' : 'caller';
      return p.SequenceNumber === undefined ? null : { ...data, statusSequence: p.SequenceNumber };
    });
    if (!state || !fresh) return;
    if (ENDED.has(p.CallStatus)) await this.flow.hangup(callId, by);
  }

  /**
   * A voice message ended (<Record>'s action; also requested when the caller hung up, before or
   * after the status callback), or the <Record> fell through with nothing recorded.
   */
  async messageEnded(q: { call: string; step: number }, p: { CallSid: string; RecordingUrl?: string | undefined; RecordingDuration?: number | undefined }): Promise<string> {
    const url = p.RecordingUrl ?? null;
    const action = await this.flow.messageRecorded(q.call, q.step, { url, seconds: url ? (p.RecordingDuration ?? 0) : 0 }, { driver: 'twilio', externalId: p.CallSid });
    return action ? this.twiml.render(q.call, action, 'webhook') : this.notInFlow(q.call, p.CallSid);
  }

  /**
   * A recording of the conversation is ready (it usually comes after the call has ended): of the
   * caller's call (CallSid: a remote seat's <Dial>, callers connected before conferences), or of
   * the call's own conference (ConferenceSid, no CallSid). The call id comes from the URL we
   * gave Twilio, signed; the SID only has to agree with what the call knows of it.
   */
  async recordingReady(
    q: { call: string },
    p: { CallSid?: string | undefined; ConferenceSid?: string | undefined; RecordingSid: string; RecordingUrl: string; RecordingStatus: (typeof RECORDING_STATUSES)[number] },
  ): Promise<void> {
    const usable = p.RecordingStatus === 'completed';
    const sid = p.CallSid ?? p.ConferenceSid ?? '';
    const ours = (externalId: string, data: Record<string, unknown>) => {
      if (p.CallSid) return externalId === p.CallSid;
      const room = conferenceOf(data)?.sid;
      return !room || room === p.ConferenceSid;
    };
    // A call the flow still carries may not have its row yet (rows are written off the request
    // path): its flow state knows it, and remembers the recording so a repeat writes nothing.
    let carried = false;
    let first = false;
    await this.flow.driverData(q.call, (data, s) => {
      if (s.driver !== 'twilio' || !ours(s.externalId, data)) return null;
      carried = true;
      if (!usable || data.recordingUrl === p.RecordingUrl) return null;
      first = true;
      return { ...data, recordingUrl: p.RecordingUrl };
    });
    // A call already over: its row decides.
    const row = carried ? null : await twilioCalls.byId(this.db, q.call);
    if (!carried && (!row || (p.CallSid !== undefined && row.external_id !== p.CallSid))) throw new Errors.TWILIO_CALL_NOT_FOUND(sid);
    if (!usable) {
      this.log.warn({ callId: q.call, recordingSid: p.RecordingSid, status: p.RecordingStatus }, 'Twilio reports no usable recording for this call');
      return;
    }
    if (first || (row && row.recording_url !== p.RecordingUrl)) await this.flow.recording(q.call, p.RecordingUrl);
  }

  /**
   * A participant's call in the caller's conference progressed (participants.create's status
   * callback): the agent's softphone (answered = bridged; not answered = back in the queue; gone
   * during a consult = handed over or the survey) or a second leg's target (legResult, legEnded).
   */
  async participantChanged(q: { call: string; role: ParticipantRole; leg?: string | undefined }, p: { CallSid: string; CallStatus: (typeof CALL_STATUSES)[number] }): Promise<void> {
    const state = await this.flow.state(q.call);
    if (!state) {
      // Over already: a participant's last callback often comes after the caller's.
      if (await twilioCalls.byId(this.db, q.call)) return;
      throw new Errors.TWILIO_CALL_NOT_FOUND(q.call);
    }
    if (state.driver !== 'twilio') throw new Errors.TWILIO_CALL_NOT_FOUND(q.call);
    await this.rooms.participantStatus({ callId: q.call, externalId: state.externalId }, q, p);
  }

  /**
   * The answer when the flow did nothing: the call is over here (hang up), or the call id in
   * the URL and Twilio's CallSid do not name a call we know together (404).
   */
  private async notInFlow(callId: string, callSid: string): Promise<string> {
    if (await twilioCalls.exists(this.db, { id: callId, externalId: callSid })) return this.twiml.hangup();
    throw new Errors.TWILIO_CALL_NOT_FOUND(callSid);
  }

  /**
   * The call's state when the call id in the URL and Twilio's CallSid belong together; null
   * when the flow has already finished that call; a 404 when there is no such call.
   */
  private async find(callId: string, callSid: string): Promise<FlowState | null> {
    const state = await this.flow.state(callId);
    if (state) {
      if (state.driver === 'twilio' && state.externalId === callSid) return state;
    } else if (await twilioCalls.exists(this.db, { id: callId, externalId: callSid })) {
      return null;
    }
    throw new Errors.TWILIO_CALL_NOT_FOUND(callSid || callId);
  }
}

/** The two reads the driver makes of the calls table, for calls the flow has already finished. */
const twilioCalls = {
  async exists(db: Db, where: { id?: string; externalId: string }): Promise<boolean> {
    let query = db.selectFrom('calls').select('id').where('driver', '=', 'twilio').where('external_id', '=', where.externalId);
    if (where.id) query = query.where('id', '=', where.id);
    return (await query.executeTakeFirst()) !== undefined;
  },

  byId(db: Db, id: string) {
    return db.selectFrom('calls').select(['id', 'external_id', 'recording_url']).where('id', '=', id).where('driver', '=', 'twilio').executeTakeFirst();
  },
};
