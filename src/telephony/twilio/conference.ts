import type { FastifyBaseLogger } from 'fastify';
import type twilio from 'twilio';
import type { CallFlow } from '../call-flow';
import type { Action, CallRef, ConferenceStep, LegStatus, MonitorRequest } from '../driver';
import { e164Number, maskPhoneNumbersInText } from '../phone-number';
import { callConference, type Twiml } from './twiml';

/**
 * The caller's conference (twiml.ts renders the caller into `hotline-<callId>`) and everyone the
 * REST API brings into it: the agent's softphone, a supervisor, a colleague or an outside party
 * on a second leg. What Twilio does to whom:
 *
 * | step              | caller                      | agent                     | target / supervisor |
 * |-------------------|-----------------------------|---------------------------|---------------------|
 * | connect           | in, endConferenceOnExit     | added, endConferenceOnExit| —                   |
 * | consult           | hold (music)                | endConferenceOnExit=false | added               |
 * | join              | —                           | —                         | added               |
 * | merge             | hold=false                  | —                         | —                   |
 * | complete          | hold=false                  | removed                   | endConferenceOnExit |
 * | cancel / drop     | hold=false                  | endConferenceOnExit again | removed             |
 * | listen/whisper/barge | —                        | (coached by whisper)      | muted / coaching / unmuted |
 *
 * The agent ends the conference on leaving (so the caller's <Dial> action brings the survey, as
 * before conferences) except during a consult: hanging up then hands the caller over (the router
 * completes the leg), so the conference must outlive the agent's phone. Its state — the
 * conference's SID, whose call is whose — lives in the flow's driverData, so any node can act.
 */

/** A participant's call as its status callback reports it. */
export type ParticipantRole = 'agent' | 'leg';

type LegState = 'ringing' | 'answered' | 'ended' | 'removed' | 'handed';

export interface ConferenceData {
  /** CF…, from the first participants.create answer; updates and removals need it. */
  sid: string | null;
  /** The call of whoever holds the call now (after a completed consult, the colleague or outside party). */
  agent: { sid: string | null; answered: boolean; ended: boolean; stays: boolean } | null;
  legs: Record<string, { sid: string | null; state: LegState }>;
  supervisor: { sid: string } | null;
}

const FINAL = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);
const ANSWERED = new Set(['in-progress', 'answered']);
const NOT_REACHED: Record<string, LegStatus> = { busy: 'busy', 'no-answer': 'no_answer', canceled: 'no_answer', failed: 'failed', completed: 'no_answer' };
/** The From of calls to softphones (Twilio requires a client: identity or an owned number). */
export const HOTLINE_CLIENT = 'client:hotline';
/** How long an outside party's phone rings, as a forward's <Dial> lets it. */
const NUMBER_RING_SECONDS = 60;

export const conferenceOf = (data: Record<string, unknown>): ConferenceData | null => (data.conference as ConferenceData | undefined) ?? null;

const fresh = (): ConferenceData => ({ sid: null, agent: { sid: null, answered: false, ended: false, stays: false }, legs: {}, supervisor: null });

function gone(err: unknown): boolean {
  const e = err as { status?: number; code?: number };
  return e.status === 404 || e.code === 20404;
}

export interface ConferenceDeps {
  client: twilio.Twilio;
  flow: CallFlow;
  twiml: Twiml;
  log: FastifyBaseLogger;
  callerId: string | null;
  dialTimeoutSeconds: number;
  holdMusic: string;
  /** Delivers an action decided here (hold after a missed softphone, survey after the agent left) to the caller. */
  deliver: (ref: CallRef, action: Action) => Promise<void>;
}

export class TwilioConference {
  constructor(private readonly d: ConferenceDeps) {}

  private async read(callId: string): Promise<ConferenceData | null> {
    const state = await this.d.flow.state(callId);
    return state ? conferenceOf(state.driverData) : null;
  }

  private async change(callId: string, f: (c: ConferenceData) => ConferenceData | null): Promise<void> {
    await this.d.flow.driverData(callId, (data) => {
      const c = conferenceOf(data);
      if (!c) return null;
      const next = f(structuredClone(c));
      return next ? { ...data, conference: next } : null;
    });
  }

  private participant(c: ConferenceData, sid: string) {
    return this.d.client.conferences(c.sid!).participants(sid);
  }

  /** A participant's update or removal; false when the participant is no longer there. */
  private async tolerant(what: string, callId: string, run: () => Promise<unknown>): Promise<boolean> {
    try {
      await run();
      return true;
    } catch (err) {
      if (gone(err)) return false;
      const e = err as { status?: number; code?: number; message?: string };
      this.d.log.error({ callId, status: e.status, code: e.code, reason: e.message }, `Twilio conference: could not ${what}`);
      throw err;
    }
  }

  private callback(callId: string, role: ParticipantRole, leg?: string) {
    return {
      statusCallback: this.d.twiml.url('participant', { call: callId, role, ...(leg ? { leg } : {}) }),
      statusCallbackMethod: 'POST',
      statusCallbackEvent: ['answered', 'completed'],
    };
  }

  /**
   * After the caller's <Dial><Conference> landed: the agent's softphone is rung into it. Its
   * answer starts the conference (the bridge); not answering is reported by its status callback.
   * Throws when Twilio refuses, so the caller goes back to the queue.
   */
  async addAgent(ref: CallRef, username: string): Promise<void> {
    await this.d.flow.driverData(ref.callId, (data) => ({ ...data, conference: fresh() }));
    const p = await this.d.client.conferences(callConference(ref.callId)).participants.create({
      from: HOTLINE_CLIENT,
      to: `client:${username}`,
      label: 'agent',
      beep: 'false',
      startConferenceOnEnter: true,
      endConferenceOnExit: true,
      timeout: this.d.dialTimeoutSeconds,
      ...this.callback(ref.callId, 'agent'),
    });
    await this.change(ref.callId, (c) => ({ ...c, sid: c.sid ?? p.conferenceSid, agent: c.agent && { ...c.agent, sid: c.agent.sid ?? p.callSid } }));
  }

  // ---- status callbacks ---------------------------------------------------------------------

  /**
   * A participant's call progressed. Each fact is applied once (driverData remembers it), so a
   * repeated callback changes nothing.
   */
  async participantStatus(ref: CallRef, q: { role: ParticipantRole; leg?: string | undefined }, p: { CallSid: string; CallStatus: string }): Promise<void> {
    if (q.role === 'agent') return this.agentStatus(ref, p);
    const legId = q.leg!;
    let report: (() => Promise<void>) | null = null;
    await this.change(ref.callId, (c) => {
      const leg = c.legs[legId] ?? { sid: p.CallSid, state: 'ringing' as LegState };
      if (leg.sid && leg.sid !== p.CallSid) return null;
      leg.sid = p.CallSid;
      if (ANSWERED.has(p.CallStatus) && leg.state === 'ringing') {
        leg.state = 'answered';
        report = () => this.d.flow.legResult(ref.callId, legId, 'answered');
      } else if (FINAL.has(p.CallStatus) && leg.state === 'ringing') {
        leg.state = 'ended';
        const status = NOT_REACHED[p.CallStatus]!;
        report = () => this.d.flow.legResult(ref.callId, legId, status);
      } else if (FINAL.has(p.CallStatus) && leg.state === 'answered') {
        leg.state = 'ended';
        report = () => this.d.flow.legEnded(ref.callId, legId);
      } else if (FINAL.has(p.CallStatus) && leg.state === 'handed' && c.agent?.sid === p.CallSid) {
        // The colleague or outside party who took the call over: the conference ends with them.
        c.agent.ended = true;
      } else return null;
      c.legs[legId] = leg;
      return c;
    });
    await (report as (() => Promise<void>) | null)?.();
  }

  private async agentStatus(ref: CallRef, p: { CallSid: string; CallStatus: string }): Promise<void> {
    let event: 'bridged' | 'missed' | 'left' | null = null;
    await this.change(ref.callId, (c) => {
      const agent = c.agent;
      // Another connect's softphone, or an agent who handed the call over: nothing to say.
      if (!agent || (agent.sid && agent.sid !== p.CallSid) || agent.ended) return null;
      agent.sid = p.CallSid;
      if (ANSWERED.has(p.CallStatus)) {
        if (agent.answered) return null;
        agent.answered = true;
        event = 'bridged';
      } else if (FINAL.has(p.CallStatus)) {
        agent.ended = true;
        // Without a second leg the agent ended the conference: the caller's <Dial> action speaks.
        event = !agent.answered ? 'missed' : agent.stays ? 'left' : null;
      } else return null;
      return c;
    });
    if (event === 'bridged') await this.d.flow.bridged(ref.callId);
    else if (event === 'missed') {
      const action = await this.d.flow.bridgeFailed(ref.callId, `agent's softphone: ${p.CallStatus}`);
      // The caller waits in the conference: only REST takes them back to the hold loop.
      if (action) await this.d.deliver(ref, action);
    } else if (event === 'left') {
      const before = (await this.d.flow.state(ref.callId))?.step;
      const action = await this.d.flow.agentLeft(ref.callId);
      // During an answered consult the router hands the caller over instead (no new action).
      if (action && before !== undefined && action.step > before) await this.d.deliver(ref, action);
    }
  }

  // ---- supervisors ----------------------------------------------------------------------------

  async monitor(ref: CallRef, m: MonitorRequest): Promise<void> {
    const c = await this.read(ref.callId);
    if (!c?.sid) {
      this.d.log.warn({ callId: ref.callId, mode: m.mode }, 'Twilio: the call has no conference of its own (a remote seat, or not bridged yet); the supervisor is not brought in');
      return;
    }
    const existing = c.supervisor?.sid ?? null;
    if (m.mode === null) {
      if (existing) await this.tolerant('take the supervisor out', ref.callId, () => this.participant(c, existing).remove());
      await this.change(ref.callId, (x) => ({ ...x, supervisor: null }));
      return;
    }
    const coach = m.mode === 'whisper' ? (c.agent?.sid ?? null) : null;
    if (m.mode === 'whisper' && !coach) throw new Error("Twilio: the agent's call is not known yet; whisper needs it");
    const how =
      m.mode === 'listen' ? { muted: true, coaching: false } : m.mode === 'whisper' ? { muted: false, coaching: true, callSidToCoach: coach! } : { muted: false, coaching: false };
    if (existing && (await this.tolerant('change how the supervisor is in', ref.callId, () => this.participant(c, existing).update(how)))) return;
    // Not in yet, or their phone has left since: rung in the way asked.
    const p = await this.d.client.conferences(c.sid).participants.create({
      from: HOTLINE_CLIENT,
      to: `client:${m.supervisor.username}`,
      label: 'supervisor',
      beep: 'false',
      startConferenceOnEnter: false,
      endConferenceOnExit: false,
      timeout: this.d.dialTimeoutSeconds,
      ...(m.mode === 'listen' ? { muted: true } : m.mode === 'whisper' ? { coaching: true, callSidToCoach: coach! } : {}),
    });
    await this.change(ref.callId, (x) => ({ ...x, supervisor: { sid: p.callSid } }));
  }

  // ---- second legs ----------------------------------------------------------------------------

  async step(ref: CallRef, s: ConferenceStep): Promise<void> {
    const c = await this.read(ref.callId);
    if (!c?.sid) {
      this.d.log.warn({ callId: ref.callId, step: s.type, leg: s.leg }, 'Twilio: the call has no conference of its own (a remote seat?); the second leg cannot be carried out');
      if (s.type === 'consult' || s.type === 'join') await this.d.flow.legResult(ref.callId, s.leg, 'failed');
      return;
    }
    const caller = (hold: boolean) =>
      this.tolerant(hold ? 'hold the caller' : 'take the caller off hold', ref.callId, () =>
        this.participant(c, ref.externalId).update(hold ? { hold: true, holdUrl: this.d.twiml.music(this.d.holdMusic), holdMethod: 'GET' } : { hold: false }),
      );
    const agentStays = async (stays: boolean) => {
      const sid = c.agent?.sid;
      if (!sid || c.agent!.ended || c.agent!.stays === stays) return;
      await this.tolerant('change whether the agent ends the conference', ref.callId, () => this.participant(c, sid).update({ endConferenceOnExit: !stays }));
      await this.change(ref.callId, (x) => (x.agent ? { ...x, agent: { ...x.agent, stays } } : null));
    };
    const leg = c.legs[s.leg];
    switch (s.type) {
      case 'consult':
      case 'join': {
        // Dialled once per leg, however often the step is repeated.
        if (leg) return;
        if (s.type === 'consult') {
          await caller(true);
          await agentStays(true);
        }
        await this.dialLeg(ref, c, s);
        return;
      }
      case 'merge':
        await caller(false);
        return;
      case 'complete': {
        const sid = leg?.sid;
        if (!leg || !sid || (leg.state !== 'answered' && leg.state !== 'handed')) {
          this.d.log.warn({ callId: ref.callId, leg: s.leg }, 'Twilio: a completed leg whose target is not in the conference');
          return;
        }
        // The caller and the target keep the conference, and end it when either leaves.
        await this.tolerant('let the target end the conference', ref.callId, () => this.participant(c, sid).update({ endConferenceOnExit: true }));
        await caller(false);
        const previous = c.agent?.ended ? null : (c.agent?.sid ?? null);
        await this.change(ref.callId, (x) => ({ ...x, agent: { sid, answered: true, ended: false, stays: false }, legs: { ...x.legs, [s.leg]: { sid, state: 'handed' } } }));
        // Already gone when the agent hung up and the router completed the leg for them.
        if (previous) await this.tolerant('take the agent out', ref.callId, () => this.participant(c, previous).remove());
        return;
      }
      case 'cancel':
      case 'drop': {
        if (leg && leg.state !== 'handed') {
          await this.change(ref.callId, (x) => ({ ...x, legs: { ...x.legs, [s.leg]: { sid: leg.sid, state: leg.state === 'ended' ? 'ended' : 'removed' } } }));
          if (leg.sid && leg.state !== 'ended') await this.tolerant('hang up the second leg', ref.callId, () => this.participant(c, leg.sid!).remove());
        }
        await caller(false);
        await agentStays(false);
        return;
      }
    }
  }

  private async dialLeg(ref: CallRef, c: ConferenceData, s: ConferenceStep): Promise<void> {
    const number = 'number' in s.target ? e164Number(s.target.number) : null;
    if ('number' in s.target && (!number || !this.d.callerId)) {
      this.d.log.warn({ callId: ref.callId, leg: s.leg, dialable: !!number }, number ? 'Twilio: set TWILIO_CALLER_ID to call outside numbers into a conference' : 'Twilio: not a mainland number; the leg is not dialled');
      await this.d.flow.legResult(ref.callId, s.leg, 'failed');
      return;
    }
    await this.change(ref.callId, (x) => ({ ...x, legs: { ...x.legs, [s.leg]: x.legs[s.leg] ?? { sid: null, state: 'ringing' } } }));
    try {
      const p = await this.d.client.conferences(c.sid!).participants.create({
        // An outside party sees the hotline's number (Twilio only lets owned or verified numbers out).
        from: number ? this.d.callerId! : HOTLINE_CLIENT,
        to: number ?? `client:${'agent' in s.target ? s.target.agent.username : ''}`,
        label: `leg-${s.leg}`,
        beep: 'false',
        // The agent hears the target's phone ring (or the network's busy tone).
        earlyMedia: true,
        startConferenceOnEnter: true,
        endConferenceOnExit: false,
        timeout: number ? NUMBER_RING_SECONDS : this.d.dialTimeoutSeconds,
        ...this.callback(ref.callId, 'leg', s.leg),
      });
      await this.change(ref.callId, (x) => ({ ...x, legs: { ...x.legs, [s.leg]: { sid: x.legs[s.leg]?.sid ?? p.callSid, state: x.legs[s.leg]?.state ?? 'ringing' } } }));
    } catch (err) {
      const e = err as { status?: number; code?: number; message?: string };
      this.d.log.warn({ callId: ref.callId, leg: s.leg, status: e.status, code: e.code, reason: maskPhoneNumbersInText(e.message ?? String(err)) }, 'Twilio refused to dial a second leg into the conference');
      await this.change(ref.callId, (x) => ({ ...x, legs: { ...x.legs, [s.leg]: { sid: null, state: 'ended' } } }));
      await this.d.flow.legResult(ref.callId, s.leg, 'failed');
    }
  }
}
