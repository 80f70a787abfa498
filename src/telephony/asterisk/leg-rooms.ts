import type { FastifyBaseLogger } from 'fastify';
import type { CallFlow } from '../call-flow';
import type { CallRef, ConferenceStep, LegStatus } from '../driver';
import type { AmiClient, Lane } from './ami-client';
import { AmiActionError, AmiNotConnectedError, RedirectNotUpYet } from './ami-errors';
import type { HangupEvent, OriginateResponseEvent } from './ami-events';
import { isSafeAmiValue } from './ami-fields';
import { CONTEXTS, dialString, DialTargetError, LEG_NUMBER_RING_SECONDS, LEG_ROLE, legNumberChannel, legRoom, RING_SECONDS } from './dialplan';

/**
 * Second legs of callers' calls on Asterisk (consult transfer, interpreters): each leg talks in a
 * ConfBridge room of its own (dialplan.ts, "second legs"; docs/asterisk.md). The caller and the
 * agent's leg leave the agent's Dial bridge together, by one Redirect with ExtraChannel — Asterisk
 * then hangs neither up, and the caller's Dial does not return, so no HotlineDialResult reports the
 * agent gone — into the leg's room (the caller to music instead during a consult); the target is
 * Originated into the room, its OriginateResponse telling the flow how the dial went. Later steps
 * move the caller into the room (merge, complete), hang the agent's leg up (complete) or the
 * target's (cancel, drop). Every step is safe to repeat or to get after the leg ended by itself.
 * Once out of the Dial bridge the parties' Hangups are heard here, not from the dialplan.
 */

/** What the rooms need of the driver that owns the AMI link and the callers' channels. */
export interface LegRoomsPort {
  client: AmiClient;
  flow: CallFlow;
  log: FastifyBaseLogger;
  agentDial: string;
  /** The caller's channel name, while the caller is up. */
  channelOf(uniqueid: string): string | undefined;
  /** The agent's leg of a connected caller (DialEnd's DestChannel). */
  agentLegOf(uniqueid: string): string | undefined;
  /** The channel a supervisor spies on for this caller from now on (null: none); a running spy is forgotten. */
  spyOn(uniqueid: string, channel: string | null): void;
  /** The driver's Redirect (asked again while Asterisk says "not up"). */
  redirect(headers: RedirectHeaders, lane: Lane): Promise<void>;
  /** Runs `fn` in the caller's order. */
  serial(uniqueid: string, fn: () => Promise<void>): Promise<void>;
  /** The service hangs the caller up (the flow hears a system hang-up). */
  hangUpCaller(uniqueid: string): Promise<void>;
  /** Whoever held the call left it: the flow decides, and what it answers reaches the caller. */
  agentLeft(uniqueid: string, callId: string): Promise<void>;
  /** Asterisk refused Originate: no second legs are offered from now on. */
  originateRefused(message: string): void;
}

export type RedirectHeaders = { Channel: string; Context: string; Exten: string; Priority: number; ExtraChannel?: string; ExtraContext?: string; ExtraExten?: string; ExtraPriority?: number };

/** How a leg's Originate failed (OriginateResponse Reason, as Asterisk 22 derives it) as the flow hears it. */
const LEG_FAILED: Record<string, LegStatus> = { '1': 'busy', '3': 'no_answer', '5': 'busy', '8': 'failed', '0': 'failed' };

/**
 * A second leg of a caller's call (conference()): its ConfBridge room and where each party is.
 * Kept after the leg is over while the caller and the agent still talk in its room: they are out
 * of the Dial bridge for good, so the agent hanging up is heard here, not from the dialplan.
 */
interface Room {
  leg: string;
  /** The leg's id without dashes: the ConfBridge room, and the tail of every extension sent for it. */
  room: string;
  callId: string;
  purpose: 'consult' | 'join';
  /** Where the caller is: on music (a consult), in the room, or sent on by a later action of the flow. */
  caller: 'hold' | 'room' | 'away';
  /** The agent's leg while it is in the room (a channel name, or a remote seat leg's Uniqueid); null once gone. */
  agent: string | null;
  target: {
    /** What was dialled (ChanSpy's fallback after a complete to a colleague). */
    dial: string;
    /** A colleague (takes the call over on complete), not an outside number. */
    colleague: boolean;
    /** Its channel's name (OriginateResponse), once answered. */
    channel: string | null;
    answered: boolean;
    ended: boolean;
    /** Hung up by the service (cancel, drop, the caller gone): its end is nobody's news. */
    given: boolean;
  };
  state: 'open' | 'merged' | 'completed' | 'closed';
}

export class LegRooms {
  /** Each caller's second leg and its room, by the caller's Uniqueid. */
  private readonly rooms = new Map<string, Room>();
  /** Leg id (its target's Uniqueid, the Originate's ChannelId) → the caller's Uniqueid. */
  private readonly legCallers = new Map<string, string>();
  /** A leg's Originate ActionID → the leg, until its OriginateResponse. */
  private readonly legOriginates = new Map<string, string>();

  constructor(private readonly p: LegRoomsPort) {}

  /** Carries out one step of the caller's leg. */
  async step(ref: CallRef, step: ConferenceStep): Promise<void> {
    switch (step.type) {
      case 'consult':
      case 'join':
        return this.openLeg(ref, step);
      case 'merge':
        return this.mergeLeg(ref.externalId, step);
      case 'complete':
        return this.completeLeg(ref.externalId, step);
      case 'cancel':
      case 'drop':
        return this.closeLeg(ref.externalId, step);
    }
  }

  private async openLeg(ref: CallRef, step: ConferenceStep): Promise<void> {
    const uniqueid = ref.externalId;
    const consult = step.type === 'consult';
    const room = legRoom(step.leg);
    let dial: string;
    try {
      if (!room) throw new DialTargetError('the leg id is not one the router makes');
      dial = 'number' in step.target ? legNumberChannel(step.target.number) : dialString(this.p.agentDial, step.target.agent.username);
    } catch (err) {
      if (!(err instanceof DialTargetError)) throw err;
      this.p.log.error({ callId: ref.callId, leg: step.leg, reason: err.message }, 'cannot dial the second leg');
      await this.p.flow.legResult(ref.callId, step.leg, 'failed');
      return;
    }
    const caller = this.p.channelOf(uniqueid);
    // A remote seat's phone leg is found by its Uniqueid, the offer's id (no DialEnd names it).
    const agent = this.p.agentLegOf(uniqueid) ?? step.agent.remote?.leg;
    if (!caller || !agent || !this.p.client.connected) {
      this.p.log.warn({ callId: ref.callId, leg: step.leg, linkUp: this.p.client.connected }, "cannot open the second leg: the caller's or the agent's channel is not known (bridged while the link was down), or the link is down");
      await this.p.flow.legResult(ref.callId, step.leg, 'failed');
      return;
    }
    const before = this.rooms.get(uniqueid);
    if (before) this.legCallers.delete(before.leg);
    const r: Room = {
      leg: step.leg,
      room: room!,
      callId: ref.callId,
      purpose: consult ? 'consult' : 'join',
      caller: consult ? 'hold' : 'room',
      agent,
      target: { dial, colleague: 'agent' in step.target, channel: null, answered: false, ended: false, given: false },
      state: 'open',
    };
    try {
      await this.p.redirect(
        {
          Channel: caller,
          Context: consult ? CONTEXTS.legHold : CONTEXTS.leg,
          Exten: `${consult ? LEG_ROLE.hold : LEG_ROLE.caller}${r.room}`,
          Priority: 1,
          ExtraChannel: agent,
          ExtraContext: CONTEXTS.leg,
          ExtraExten: `${LEG_ROLE.agent}${r.room}`,
          ExtraPriority: 1,
        },
        'urgent',
      );
    } catch (err) {
      if (!(err instanceof AmiActionError || err instanceof RedirectNotUpYet || err instanceof AmiNotConnectedError)) throw err;
      // Nothing moved: the caller and the agent are still together (or one of them is gone,
      // which its Hangup reports).
      this.p.log.warn({ callId: ref.callId, leg: step.leg, reason: err.message }, 'could not take the caller and the agent into the second leg');
      await this.p.flow.legResult(ref.callId, step.leg, 'failed');
      return;
    }
    this.rooms.set(uniqueid, r);
    this.legCallers.set(step.leg, uniqueid);
    const ringSeconds = r.target.colleague ? RING_SECONDS : LEG_NUMBER_RING_SECONDS;
    try {
      await this.p.client.action(
        'Originate',
        {
          Channel: dial,
          Context: CONTEXTS.leg,
          Exten: `${LEG_ROLE.target}${r.room}`,
          Priority: 1,
          Async: 'true',
          // The target's Hangup names the leg; Hangup by this id reaches it even while it rings.
          ChannelId: step.leg,
          // The other half of a Local channel (a number through the trunk, or an agent dialled as
          // Local/... as in the benchmark) gets an id of its own; left to Asterisk it would be
          // `<leg>;2`, which no Uniqueid check accepts (seen on a real Asterisk 22). Unused otherwise.
          OtherChannelId: `${step.leg}-out`,
          Timeout: ringSeconds * 1000,
          CallerID: '"12348" <12348>',
        },
        {
          lane: 'urgent',
          // Kept before the answer is read: a dial that fails at once has its OriginateResponse in the same chunk.
          onActionId: (id) => {
            this.legOriginates.set(id, step.leg);
            setTimeout(() => this.legOriginates.delete(id), (ringSeconds + 30) * 1000).unref();
          },
        },
      );
    } catch (err) {
      if (!(err instanceof AmiActionError || err instanceof AmiNotConnectedError)) throw err;
      if (err instanceof AmiActionError && err.permissionDenied) {
        this.p.originateRefused('Asterisk refused Originate: add the originate class to the write= line of the AMI account in manager.conf (docs/asterisk.md) for consult transfers and interpreters');
      } else this.p.log.warn({ callId: ref.callId, leg: step.leg, reason: err.message }, 'could not dial the second leg');
      r.target.ended = true;
      // The flow closes the leg and sends cancel: the caller comes back to the agent.
      await this.p.flow.legResult(ref.callId, step.leg, 'failed');
    }
  }

  private async mergeLeg(uniqueid: string, step: ConferenceStep): Promise<void> {
    const r = this.legRoomOf(uniqueid, step);
    if (!r) return;
    if (r.caller === 'hold') await this.callerToRoom(uniqueid, r);
    r.state = 'merged';
  }

  /** The target keeps the caller: the caller into the room (if on music), the agent's leg hung up. */
  private async completeLeg(uniqueid: string, step: ConferenceStep): Promise<void> {
    const r = this.legRoomOf(uniqueid, step);
    if (!r) return;
    if (r.caller === 'hold') await this.callerToRoom(uniqueid, r);
    r.state = 'completed';
    const agent = r.agent;
    // Forgotten first: its Hangup is then no agent leaving the caller.
    r.agent = null;
    // The agent may have hung up already (that is what made the router complete the leg).
    if (agent) await this.hangUpQuietly(agent);
    if (r.target.colleague) {
      // A supervisor now listens to the colleague who holds the call.
      this.p.spyOn(uniqueid, r.target.channel ?? r.target.dial);
      if (r.target.ended && !r.target.given) await this.agentGone(uniqueid, r);
    } else {
      this.p.spyOn(uniqueid, null);
      if (r.target.ended && !r.target.given) await this.p.hangUpCaller(uniqueid);
    }
  }

  /** Cancel (from a consult) or drop (from a three-way call): the target hung up, caller and agent together. */
  private async closeLeg(uniqueid: string, step: ConferenceStep): Promise<void> {
    const r = this.rooms.get(uniqueid);
    if (!r || r.leg !== step.leg) {
      // The call is over here (or the leg never opened): a target still ringing is hung up all the same.
      await this.hangUpQuietly(step.leg);
      return;
    }
    this.legCallers.delete(r.leg);
    if (r.state === 'completed') return;
    r.state = 'closed';
    if (!r.target.ended) {
      r.target.ended = true;
      r.target.given = true;
      await this.hangUpQuietly(r.leg);
    }
    if (r.caller === 'hold' && !!this.p.channelOf(uniqueid)) await this.callerToRoom(uniqueid, r);
  }

  private legRoomOf(uniqueid: string, step: ConferenceStep): Room | null {
    const r = this.rooms.get(uniqueid);
    if (r && r.leg === step.leg && r.state !== 'closed') return r;
    this.p.log.warn({ leg: step.leg, step: step.type }, 'second-leg step for a leg this node does not have open; ignored');
    return null;
  }

  private async callerToRoom(uniqueid: string, r: Room): Promise<void> {
    const channel = this.p.channelOf(uniqueid);
    if (!channel) return;
    try {
      await this.p.redirect({ Channel: channel, Context: CONTEXTS.leg, Exten: `${LEG_ROLE.caller}${r.room}`, Priority: 1 }, 'urgent');
      r.caller = 'room';
    } catch (err) {
      if (!(err instanceof AmiActionError || err instanceof RedirectNotUpYet || err instanceof AmiNotConnectedError)) throw err;
      // A caller gone is reported by their Hangup; one still on music hears the agent again after
      // HOTLINE_LEG_HOLD_SECONDS at the latest (the dialplan joins them to the room).
      this.p.log.warn({ callId: r.callId, leg: r.leg, reason: err.message }, 'could not take the caller into the second leg');
    }
  }

  /** How the target's dial went: answered, or why not. */
  onOriginated(e: OriginateResponseEvent): void {
    const leg = e.actionid ? this.legOriginates.get(e.actionid) : undefined;
    if (!leg) return;
    this.legOriginates.delete(e.actionid!);
    const uniqueid = this.legCallers.get(leg);
    if (!uniqueid) {
      // Given up while it rang: a phone that answers now is hung up.
      if (e.response === 'Success') void this.hangUpQuietly(leg).catch((err) => this.p.log.warn({ err, leg }, 'could not hang up a second leg answered too late'));
      return;
    }
    void this.p.serial(uniqueid, async () => {
      const r = this.rooms.get(uniqueid);
      if (!r || r.leg !== leg || r.target.given) {
        if (e.response === 'Success') await this.hangUpQuietly(leg);
        return;
      }
      if (e.response === 'Success') {
        r.target.answered = true;
        if (e.channel && isSafeAmiValue(e.channel)) r.target.channel = e.channel;
        await this.p.flow.legResult(r.callId, leg, 'answered');
        return;
      }
      r.target.ended = true;
      await this.p.flow.legResult(r.callId, leg, LEG_FAILED[e.reason ?? ''] ?? 'failed');
    });
  }

  /** The target's channel hung up. */
  async targetHungUp(uniqueid: string, leg: string): Promise<void> {
    const r = this.rooms.get(uniqueid);
    if (!r || r.leg !== leg) return;
    r.target.ended = true;
    if (r.target.given) return;
    if (r.state === 'completed') {
      this.legCallers.delete(leg);
      // The colleague holds the call now: as the agent hanging up (the survey follows).
      if (r.target.colleague) return this.agentGone(uniqueid, r);
      // The outside party had the caller, and the hotline's part ended with the complete.
      return this.p.hangUpCaller(uniqueid);
    }
    // A target that never answered: its OriginateResponse says how the dial went.
    if (!r.target.answered) return;
    await this.p.flow.legEnded(r.callId, leg);
  }

  /** The agent's leg hung up after it was taken out of the Dial bridge into a room. */
  async agentHungUp(uniqueid: string): Promise<void> {
    const r = this.rooms.get(uniqueid);
    if (!r) return;
    r.agent = null;
    // The flow decides: hanging up on an answered consult hands the caller over, as on a desk
    // phone (agentLeft completes the leg and answers nothing; the complete brings the caller to
    // the target); otherwise the caller gets the survey.
    await this.agentGone(uniqueid, r);
  }

  /** Whoever held the call left it: the flow decides (the survey), as after a Dial that was answered. */
  private async agentGone(uniqueid: string, r: Room): Promise<void> {
    if (r.caller === 'away' || !this.p.channelOf(uniqueid)) return;
    await this.p.agentLeft(uniqueid, r.callId);
  }

  /** The caller went on elsewhere (an action of the flow) or hung up: nobody is left to hear the agent and the target. */
  async leave(uniqueid: string): Promise<void> {
    const r = this.rooms.get(uniqueid);
    if (!r || r.caller === 'away') return;
    r.caller = 'away';
    const agent = r.agent;
    r.agent = null;
    if (agent) await this.hangUpQuietly(agent);
    // Nobody stays in the room without the caller: a colleague who took the call over (the caller
    // now sent to the survey from their desk) or an outside party is hung up as well.
    if (!r.target.ended) {
      r.target.ended = true;
      r.target.given = true;
      await this.hangUpQuietly(r.leg);
    }
  }

  /** Whose Hangup this is: a leg's target, or an agent's leg in a room (by name, or a remote seat's Uniqueid). */
  partyOf(e: HangupEvent): { uniqueid: string; role: 'target' | 'agent'; leg: string } | null {
    const caller = this.legCallers.get(e.uniqueid);
    if (caller) return { uniqueid: caller, role: 'target', leg: e.uniqueid };
    for (const [uniqueid, r] of this.rooms) if (r.agent && (r.agent === e.channel || r.agent === e.uniqueid)) return { uniqueid, role: 'agent', leg: r.leg };
    return null;
  }

  /** Hangup of a channel (name or Uniqueid) that may be gone already. */
  private async hangUpQuietly(channel: string): Promise<void> {
    await this.p.client.action('Hangup', { Channel: channel, Cause: 16 }, { lane: 'urgent' }).catch((err: Error) => {
      if (!(err instanceof AmiActionError)) throw err;
    });
  }

  /** The caller is gone for good: nothing of theirs is kept. */
  forget(uniqueid: string): void {
    const r = this.rooms.get(uniqueid);
    if (r && this.legCallers.get(r.leg) === uniqueid) this.legCallers.delete(r.leg);
    this.rooms.delete(uniqueid);
  }
}
