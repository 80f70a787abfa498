import type { FastifyBaseLogger } from 'fastify';
import twilio from 'twilio';
import type { CallbackDial, CallbackDialer, DialReports } from '../driver';
import { e164Number, maskPhoneNumbersInText } from '../phone-number';
import { AGENT_NAME } from '../asterisk/dialplan';
import { WEBHOOK_PREFIX } from './twiml';

/**
 * Callbacks through Twilio: `calls.create` to the caller's number (E.164, from TWILIO_CALLER_ID);
 * when they answer, Twilio fetches the TwiML URL, which reports the answer and bridges them to
 * the agent's Twilio Client identity (their sign-in name) with a recorded <Dial>. The call's
 * status callback brings the outcome of a call not answered (busy, no-answer, failed, canceled)
 * or the end of the conversation (completed). Every URL carries the attempt's id and is signed by
 * Twilio, so any node can take the webhooks.
 */

export const CALLBACK_PREFIX = `${WEBHOOK_PREFIX}/callback`;

/** How long the caller's phone rings (calls.create `timeout`). */
const CALLEE_RING_SECONDS = 45;
/** How long the agent's softphone rings once the caller has answered. */
const AGENT_RING_SECONDS = 20;

export const CALLBACK_STATUSES = ['queued', 'initiated', 'ringing', 'in-progress', 'answered', 'completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;
type CallbackStatus = (typeof CALLBACK_STATUSES)[number];

export interface TwilioCallbackDialerOptions {
  reports: DialReports;
  publicBaseUrl: string;
  /** TWILIO_CALLER_ID; null: callbacks cannot be placed (each attempt fails, said in the log). */
  callerId: string | null;
  log: FastifyBaseLogger;
}

/**
 * Why Twilio did not place the call, as the attempt's cause (recorded and logged): Twilio's error
 * code first (twilio_21215: no permission to call that number…), and its message with any number
 * in it masked, since Twilio names the callee ("Account not authorized to call +86…").
 */
function refused(err: unknown): Error {
  const e = err as { code?: unknown; message?: unknown };
  const message = maskPhoneNumbersInText(typeof e.message === 'string' ? e.message : String(err));
  return new Error(typeof e.code === 'number' ? `twilio_${e.code}: ${message}` : message);
}

export class TwilioCallbackDialer implements CallbackDialer {
  /** Attempt → CallSid, on the node that placed it (the agent's hang-up comes to the same node). */
  private readonly sids = new Map<string, string>();

  constructor(
    private readonly client: twilio.Twilio,
    private readonly o: TwilioCallbackDialerOptions,
  ) {}

  async dial(d: CallbackDial): Promise<void> {
    if (!this.o.callerId) throw new Error('no_caller_id: set TWILIO_CALLER_ID to dial callbacks through Twilio');
    const to = e164Number(d.number);
    if (!to) throw new Error('not_dialable: the number is not a mainland number');
    if (!AGENT_NAME.test(d.agent.username)) throw new Error('agent_name: not usable as a Twilio Client identity');
    const attempt = encodeURIComponent(d.attemptId);
    const base = `${this.o.publicBaseUrl}${CALLBACK_PREFIX}`;
    const call = await this.client.calls
      .create({
        to,
        from: this.o.callerId,
        url: `${base}/answer?attempt=${attempt}&agent=${encodeURIComponent(d.agent.username)}`,
        method: 'POST',
        statusCallback: `${base}/status?attempt=${attempt}`,
        statusCallbackMethod: 'POST',
        statusCallbackEvent: ['completed'],
        timeout: CALLEE_RING_SECONDS,
      })
      .catch((err: unknown) => {
        throw refused(err);
      });
    this.sids.set(d.attemptId, call.sid);
  }

  async hangUp(attemptId: string): Promise<void> {
    const sid = this.sids.get(attemptId);
    if (!sid) return;
    this.sids.delete(attemptId);
    try {
      await this.client.calls(sid).update({ status: 'completed' });
    } catch (err) {
      const e = err as { status?: number; code?: number };
      // Already over.
      if (e.status !== 404 && e.code !== 21220) throw err;
    }
  }

  // ---- webhooks ---------------------------------------------------------------------------------

  /** The caller answered: reported, and bridged to the agent's softphone, recorded. */
  async answered(q: { attempt: string; agent: string }, p: { CallSid: string }): Promise<string> {
    const applied = await this.o.reports.outcome(q.attempt, 'answered', { externalId: p.CallSid });
    const response = new twilio.twiml.VoiceResponse();
    if (!applied) {
      // The attempt ended while the phone rang (the agent hung up): the callback is tried again.
      response.say({ language: 'zh-CN' }, '您好，这里是12348公共法律服务热线。刚才的回电未能接通，我们会再与您联系。再见。');
      response.hangup();
      return response.toString();
    }
    const dial = response.dial({
      // How the agent's leg went: a softphone that never answered must not count as reached.
      action: `${this.o.publicBaseUrl}${CALLBACK_PREFIX}/dial?attempt=${encodeURIComponent(q.attempt)}`,
      method: 'POST',
      timeout: AGENT_RING_SECONDS,
      record: 'record-from-answer-dual',
      recordingStatusCallback: `${this.o.publicBaseUrl}${CALLBACK_PREFIX}/recording?attempt=${encodeURIComponent(q.attempt)}`,
      recordingStatusCallbackMethod: 'POST',
    });
    dial.client(q.agent);
    return response.toString();
  }

  /**
   * The <Dial> to the agent's softphone ended. Talked (completed): nothing more, the status
   * callback ends the call. Not answered (no-answer, busy, failed): the caller is told they will
   * be called again, and the attempt does not count as reached.
   */
  async dialEnded(q: { attempt: string }, p: { DialCallStatus: string; CallStatus?: string | undefined }): Promise<string> {
    const response = new twilio.twiml.VoiceResponse();
    if (p.DialCallStatus !== 'completed' && p.DialCallStatus !== 'answered' && p.CallStatus !== 'completed' && p.CallStatus !== 'canceled') {
      await this.o.reports.agentMissed(q.attempt, `twilio_agent_${p.DialCallStatus}`);
      response.say({ language: 'zh-CN' }, '您好，这里是12348公共法律服务热线。很抱歉，法律咨询员暂时无法接听，我们会再与您联系。再见。');
    }
    response.hangup();
    return response.toString();
  }

  /** The call is over: not answered (how), or the conversation ended. */
  async statusChanged(q: { attempt: string }, p: { CallSid: string; CallStatus: CallbackStatus }): Promise<void> {
    const cause = `twilio_${p.CallStatus}`;
    switch (p.CallStatus) {
      case 'completed':
        this.sids.delete(q.attempt);
        return this.o.reports.ended(q.attempt);
      case 'busy':
        await this.o.reports.outcome(q.attempt, 'busy', { cause, externalId: p.CallSid });
        return;
      case 'no-answer':
      case 'canceled':
        await this.o.reports.outcome(q.attempt, 'no_answer', { cause, externalId: p.CallSid });
        return;
      case 'failed':
        await this.o.reports.outcome(q.attempt, 'failed', { cause, externalId: p.CallSid });
        return;
      default:
        return;
    }
  }

  async recordingReady(q: { attempt: string }, p: { RecordingUrl: string; RecordingStatus: string }): Promise<void> {
    if (p.RecordingStatus === 'completed') await this.o.reports.recording(q.attempt, p.RecordingUrl);
  }
}
