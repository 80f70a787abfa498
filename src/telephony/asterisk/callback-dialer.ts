import type { FastifyBaseLogger } from 'fastify';
import type { CallbackDial, CallbackDialer, DialOutcome, DialReports } from '../driver';
import { domesticNumber } from '../phone-number';
import type { AmiClient } from './ami-client';
import { AmiActionError } from './ami-errors';
import { CallbackUserEvent, OriginateResponseEvent } from './ami-events';
import { CALLBACK_CONTEXT, CALLBACK_EVENTS, callbackRecordingFile, dialString, RING_SECONDS } from './dialplan';

/**
 * Callbacks through Asterisk: one AMI Originate per attempt (Async), of the agent's endpoint
 * into [hotline-callback] (deploy/asterisk/extensions.conf), which dials the caller through the
 * trunk with MixMonitor. What follows comes back as events on the same AMI link:
 *
 * - OriginateResponse Failure: the agent's phone never answered (Reason 1 hung up, 3 rang out,
 *   5 busy, 8 congestion, 0 no such endpoint) — the attempt failed, `agent_<reason>`;
 * - UserEvent HotlineCallbackAnswered: the caller picked up (the bridge follows at once);
 * - UserEvent HotlineCallbackResult (the `h` extension, when the agent's channel ends): DialStatus
 *   ANSWER means the conversation is over; BUSY, NOANSWER (or CANCEL: the agent gave up while it
 *   rang) that the caller was not reached; CONGESTION, CHANUNAVAIL and the rest that the call
 *   could not be placed, with the Q.850 HangupCause.
 *
 * The agent leg's Uniqueid is the attempt's id (Originate's ChannelId), so nothing here needs
 * to survive a restart to match events to attempts. It runs on the node holding the AMI link.
 * Originate needs the `originate` write class in manager.conf (docs/asterisk.md).
 */

export interface AsteriskCallbackDialerOptions {
  client: AmiClient;
  reports: DialReports;
  /** ASTERISK_AGENT_DIAL, e.g. `PJSIP/{agent}`. */
  agentDial: string;
  log: FastifyBaseLogger;
}

/** OriginateResponse's Reason: the control frame the agent's channel ended with. */
const ORIGINATE_REASON: Record<string, string> = { '0': 'failed', '1': 'hangup', '3': 'no_answer', '5': 'busy', '8': 'congestion' };

/** app_dial's DIALSTATUS → the attempt's outcome. ANSWER is handled apart. */
function outcomeOf(dialStatus: string): DialOutcome {
  switch (dialStatus) {
    case 'BUSY':
      return 'busy';
    case 'NOANSWER':
    case 'CANCEL':
      return 'no_answer';
    default:
      return 'failed';
  }
}

export class AsteriskCallbackDialer implements CallbackDialer {
  /** Originate's ActionID → attempt, until its OriginateResponse. */
  private readonly originating = new Map<string, string>();
  /** Attempt → the agent channel's name, once Asterisk has named it. */
  private readonly channels = new Map<string, string>();
  /** Attempts whose answer was reported, until their end. */
  private readonly answered = new Set<string>();

  constructor(private readonly o: AsteriskCallbackDialerOptions) {
    o.client.on('OriginateResponse', OriginateResponseEvent, (e) => this.onOriginateResponse(e));
    o.client.on('UserEvent', CallbackUserEvent.partial({ attempt: true }), (e) => {
      if (e.userevent === CALLBACK_EVENTS.answered || e.userevent === CALLBACK_EVENTS.result) return this.onUserEvent(e);
    });
  }

  async dial(d: CallbackDial): Promise<void> {
    const number = domesticNumber(d.number);
    if (!number) {
      // Recorded as failed by the caller of dial(): nothing was sent.
      throw new Error('not_dialable: the number is not a mainland number');
    }
    const channel = dialString(this.o.agentDial, d.agent.username);
    let actionId: string | null = null;
    try {
      await this.o.client.action('Originate', {
        Channel: channel,
        Context: CALLBACK_CONTEXT,
        // The number is the extension and the attempt the channel's Uniqueid (ChannelId): no
        // Variable header, whose value the AMI client would refuse, and nothing but digits and
        // an id reach the dialplan.
        Exten: number,
        Priority: 1,
        // The agent's phone rings as for an inbound call; the caller's for CALLBACK_RING_SECONDS (the dialplan's).
        Timeout: RING_SECONDS * 1000,
        Async: 'true',
        ChannelId: d.attemptId,
        CallerID: `"12348" <${number}>`,
      }, {
        // Registered before sending: a phone that fails at once (unregistered) has its
        // OriginateResponse right behind the answer, possibly read before this call returns.
        onActionId: (id) => {
          actionId = id;
          this.originating.set(id, d.attemptId);
          // An OriginateResponse comes within the agent's ring time; forget it if it never does.
          setTimeout(() => this.originating.delete(id), (RING_SECONDS + 30) * 1000).unref();
        },
      });
    } catch (err) {
      if (actionId) this.originating.delete(actionId);
      if (err instanceof AmiActionError && /permission denied/i.test(err.message)) {
        this.o.log.error('Asterisk refused Originate: add the originate class to the write= line of the AMI account in manager.conf (docs/asterisk.md) to dial callbacks');
      }
      throw err;
    }
  }

  async hangUp(attemptId: string): Promise<void> {
    // Asterisk finds a channel by its Uniqueid too, so the attempt id works before the name is known.
    const channel = this.channels.get(attemptId) ?? attemptId;
    await this.o.client.action('Hangup', { Channel: channel, Cause: 16 }).catch((err: Error) => {
      // Already over: nothing to end.
      if (!(err instanceof AmiActionError)) throw err;
    });
  }

  private async onOriginateResponse(e: OriginateResponseEvent): Promise<void> {
    const byAction = e.actionid ? this.originating.get(e.actionid) : undefined;
    if (e.actionid) this.originating.delete(e.actionid);
    // By Uniqueid only for an Originate an earlier process sent (its ActionIDs are forgotten):
    // this process's other Originates (second legs, remote seats) are not callbacks.
    const earlier = !e.actionid || !this.o.client.ownsActionId(e.actionid);
    const attemptId = byAction ?? (earlier && e.uniqueid && /^[0-9a-f-]{36}$/.test(e.uniqueid) ? e.uniqueid : undefined);
    if (!attemptId) return;
    if (e.response === 'Success') {
      if (e.channel) this.channels.set(attemptId, e.channel);
      return;
    }
    const reason = ORIGINATE_REASON[e.reason ?? ''] ?? `reason_${e.reason ?? 'unknown'}`;
    this.o.log.warn({ attemptId, reason }, "the agent's phone did not take the callback; attempt failed");
    await this.o.reports.outcome(attemptId, 'failed', { cause: `agent_${reason}`, externalId: attemptId });
  }

  private async onUserEvent(e: Partial<CallbackUserEvent> & { userevent: string }): Promise<void> {
    const attemptId = e.attempt;
    if (!attemptId) {
      this.o.log.warn({ userEvent: e.userevent }, 'callback event without an Attempt; ignored (check extensions.conf)');
      return;
    }
    if (e.userevent === CALLBACK_EVENTS.answered) {
      if (this.answered.has(attemptId)) return;
      this.answered.add(attemptId);
      await this.o.reports.outcome(attemptId, 'answered', { externalId: attemptId });
      await this.o.reports.recording(attemptId, `asterisk:monitor/${callbackRecordingFile(attemptId)}`);
      return;
    }
    this.channels.delete(attemptId);
    const status = e.dialstatus ?? '';
    const answered = this.answered.delete(attemptId);
    if (status === 'ANSWER') {
      // Its answer was missed (the link was down, another node held it): said now.
      if (!answered) await this.o.reports.outcome(attemptId, 'answered', { externalId: attemptId });
      await this.o.reports.ended(attemptId);
      return;
    }
    const cause = [status || 'NONE', e.hangupcause].filter(Boolean).join(':');
    await this.o.reports.outcome(attemptId, outcomeOf(status), { cause, externalId: attemptId });
  }
}
