import type { FastifyBaseLogger } from 'fastify';
import type { Province } from '../province/plugin';
import type { RecordOutbox } from '../records/outbox';
import { ticketIdForCall } from '../records/record-ops';
import type { Router } from '../queue/router';
import { MAINLAND_NUMBER } from '../queue/settings';
import type { LegPurpose, LegTo, LiveLeg, RoutingEvent } from '../queue/types';
import type { RegionDirectory } from '../regions/region-directory';
import type { AgentEndpoint, CallRef, ConferenceStep, ControlResult, LegStatus, LegTarget, TelephonyDriver } from './driver';
import type { FlowStateStore } from './flow-state';

/**
 * The call flow's part in a connected call's second leg (consult transfer, interpreter; the
 * router's steps are in src/queue/legs.ts): the desk's requests checked and passed to the router,
 * each leg event turned into one ConferenceStep for the node driving the call's phone system,
 * and that phone system's reports (the dial's result, a target hanging up) passed back.
 */
export interface SecondLegsDeps {
  router: Router;
  store: FlowStateStore;
  records: RecordOutbox;
  regions: RegionDirectory;
  province: Province;
  log: FastifyBaseLogger;
  driverOf(name: string): TelephonyDriver | undefined;
  /** Runs `fn` under the call's lock (the flow's per-call order). */
  withCall<T>(callId: string, fn: () => Promise<T>): Promise<T>;
  agent(id: string): Promise<AgentEndpoint>;
  /** Background work the flow waits for when it settles or stops. */
  track(p: Promise<unknown>, callId: string, what: string): void;
}

export type LegAction = 'merge' | 'complete' | 'cancel' | 'drop';

export class SecondLegs {
  constructor(private readonly d: SecondLegsDeps) {}

  /** The agent opens a leg on their connected call, where the call's phone system can carry it. */
  async open(callId: string, agentId: string, purpose: LegPurpose, to: LegTo, language?: string): Promise<ControlResult> {
    const state = await this.d.store.get(callId);
    if (!state || state.phase !== 'connected') return { ok: false, code: 'NOT_FOUND', message: `call ${callId} is not connected` };
    if (state.agentId !== agentId) return { ok: false, code: 'NOT_YOURS', message: `call ${callId} is not connected to you` };
    const caps = this.d.driverOf(state.driver)?.capabilities();
    if (!caps || !(purpose === 'consult' ? caps.consult : caps.interpreter)) {
      return { ok: false, code: 'UNSUPPORTED', message: `the ${state.driver} phone system cannot add ${purpose === 'consult' ? 'a consultation' : 'an interpreter'} to a call` };
    }
    if ('number' in to && !MAINLAND_NUMBER.test(to.number)) {
      return {
        ok: false,
        code: 'REFUSED',
        message: `${to.number}: mainland numbers only — only numbers in mainland China can be called (a landline with its area code, a mobile, or a short service number)`,
        messageZh: `${to.number}：只能呼叫中国大陆号码（带区号的固定电话、手机或短号码）`,
      };
    }
    if ('region' in to && !this.d.regions.get(to.region)) return { ok: false, code: 'NOT_FOUND', message: `region ${to.region} is not in this province` };
    if (purpose === 'interpreter' && 'agentId' in to && !language) return { ok: false, code: 'REFUSED', message: 'name the language the colleague is to interpret' };
    const r = await this.d.router.openLeg(agentId, callId, { purpose, to, ...(language ? { language } : {}) });
    return r.ok ? { ok: true } : { ok: false, code: 'REFUSED', message: r.reason };
  }

  /** The agent's choice on an open leg: merge into a three-way call, complete (hand over), cancel or drop it. */
  async act(callId: string, agentId: string, action: LegAction): Promise<ControlResult> {
    const { router } = this.d;
    const call = router.liveCall(callId);
    if (!call || call.status !== 'connected') return { ok: false, code: 'NOT_FOUND', message: `call ${callId} is not connected` };
    if (call.agentId !== agentId) return { ok: false, code: 'NOT_YOURS', message: `call ${callId} is not connected to you` };
    const r =
      action === 'merge'
        ? await router.mergeLeg(agentId, callId)
        : action === 'complete'
          ? await router.completeLeg(agentId, callId)
          : await router.closeLeg(callId, action === 'cancel' ? 'cancelled' : 'dropped', { agentId });
    return r.ok ? { ok: true } : { ok: false, code: 'REFUSED', message: r.reason };
  }

  /** How the phone system's dial of a leg went (the target's phone or the outside number). */
  async result(callId: string, legId: string, status: LegStatus): Promise<void> {
    if (status === 'answered') {
      await this.d.router.legAnswered(callId, legId);
      return;
    }
    // On the timeline before the leg's end, which it explains.
    if (this.d.router.liveCall(callId)?.leg?.id === legId) await this.d.records.event(callId, 'leg.result', { legId, status });
    await this.d.router.closeLeg(callId, 'unanswered', { legId });
  }

  /** The target's side of a leg hung up by itself. */
  async ended(callId: string, legId: string): Promise<void> {
    await this.d.router.closeLeg(callId, 'target_left', { legId });
  }

  /** Whether an agent hanging up now hands the caller over (an answered consult) rather than ending the call. */
  handsOver(callId: string): boolean {
    const leg = this.d.router.liveCall(callId)?.leg;
    return !!leg && leg.purpose === 'consult' && leg.state !== 'ringing';
  }

  /**
   * What a leg's change means for the phone system: the node driving the call's phone system
   * dials, merges, hands over or hangs up the leg. Runs in the call's order (a completed leg to
   * an outside number ends the call for the hotline before the end is acted on).
   */
  async changed(e: Extract<RoutingEvent, { type: 'call.leg' | 'call.connected' }>, local: boolean): Promise<void> {
    const parentId = e.type === 'call.leg' ? e.call.id : e.call.parentId;
    if (!parentId) return;
    const { store, router } = this.d;
    const planned = await this.d.withCall(parentId, async () => {
      const state = await store.get(parentId);
      if (!state) return null;
      const driver = this.d.driverOf(state.driver);
      const ref: CallRef = { callId: parentId, externalId: state.externalId };
      if (!driver?.conference || !driver.actsOn(ref, local)) return null;
      let leg: LiveLeg;
      let type: ConferenceStep['type'];
      let targetAgent: string | null;
      if (e.type === 'call.connected') {
        // A colleague took the leg on their desk: their phone is brought in now.
        const current = router.liveCall(parentId)?.leg;
        if (!current || current.id !== e.call.id) return null;
        leg = current;
        type = leg.purpose === 'consult' ? 'consult' : 'join';
        targetAgent = e.agentId;
      } else {
        leg = e.leg;
        targetAgent = leg.agentId;
        if (e.phase === 'opened') {
          if (!('number' in leg.to)) return null;
          type = leg.purpose === 'consult' ? 'consult' : 'join';
        } else if (e.phase === 'merged') type = 'merge';
        else if (e.phase === 'completed') {
          type = 'complete';
          if ('number' in leg.to) {
            // The outside party has the caller now: the hotline's part is over, no survey.
            state.phase = 'ended';
          } else if (targetAgent) {
            state.agentId = targetAgent;
            const { province } = this.d;
            const ticket = { op: 'ticket.open', callId: parentId, ticketId: state.ticketId ?? ticketIdForCall(parentId), provinceCode: province.code, prefix: province.ticketPrefix, agentId: targetAgent, at: new Date() } as const;
            this.d.track(this.d.records.write(ticket), parentId, 'hand the ticket to the colleague who took the call');
          }
          state.held = false;
          await store.put(state);
        } else if (e.phase === 'closed') {
          // Nothing was dialled yet for a colleague who never took the leg on their desk.
          if (!('number' in leg.to) && !targetAgent && e.reason !== 'target_left') return null;
          type = leg.state === 'merged' || e.reason === 'call_ended' ? 'drop' : 'cancel';
          if (state.held) {
            state.held = false;
            await store.put(state);
          }
        } else return null;
      }
      if (type === 'consult' && !state.held) {
        state.held = true;
        await store.put(state);
      }
      const agent = await this.d.agent(leg.by);
      const target: LegTarget = 'number' in leg.to ? { number: leg.to.number } : { agent: await this.d.agent(targetAgent ?? '') };
      return { driver, ref, step: { type, leg: leg.id, agent, target } satisfies ConferenceStep };
    });
    if (!planned) return;
    await planned.driver.conference!(planned.ref, planned.step);
  }

  /** A caller routed in Mandarin after the interpreter fallback: the interpreter is called as the agent answers. */
  async interpreterFor(callId: string, agentId: string, language: string): Promise<void> {
    const listed = this.d.router.settings.interpreters.numbers.find((n) => n.language === language);
    const to: LegTo = listed ? { number: listed.number } : { language };
    const r = await this.open(callId, agentId, 'interpreter', to, language);
    if (!r.ok) this.d.log.warn({ callId, language, reason: r.message }, 'could not call an interpreter for a caller routed after the interpreter fallback');
  }
}
