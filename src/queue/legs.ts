import type { RoutingSettings } from './settings';
import { clearQueueDeadlines, deadlineKeys, endCall, queueDeadlines, waitingCall } from './operations';
import { agentKey, ANY_TOPIC, callKey, emptyTx, type LegCloseReason, type LegPurpose, type LegTo, type LiveAgent, type LiveCall, type LiveLeg, type Tx } from './types';

/**
 * A connected call's second leg (consult transfer, interpreter), as steps of the live state like
 * every other. A colleague, region or language leg is a call of its own (kind 'leg') routed by
 * the same policy — language never relaxed, a region's steps widening as for any call — so it
 * rings whoever the router picks and is accepted on the desk like an offer; a number leg is only
 * a mark on the call, dialled by the phone system. The call keeps one leg at a time.
 */

const sec = (s: number) => Math.round(s * 1000);
const bump = <T extends { v: number }>(e: T, changes: Partial<T>): T => ({ ...e, ...changes, v: e.v + 1 });

/** The agent holds this connected call and may act on it. */
function holds(call: LiveCall, agent: LiveAgent | null): agent is LiveAgent {
  return !!agent && call.status === 'connected' && call.agentId === agent.id && agent.state === 'on_call' && agent.callId === call.id;
}

export interface OpenLeg {
  id: string;
  purpose: LegPurpose;
  to: LegTo;
  /** The language the leg needs: the caller's for a consult, the one to interpret for an interpreter. */
  language: string;
  /** The colleague named by `to.agentId`, as read. */
  target: LiveAgent | null;
  /** Where a language leg is routed from: the province (anyone who speaks it). */
  provinceCode: string;
  offerId: string;
}

/**
 * The agent opens a leg: the caller is held (consult) or stays with the agent (interpreter, who
 * joins once answered). A named colleague must be ready and speak the leg's language.
 */
export function openLeg(call: LiveCall, agent: LiveAgent | null, o: OpenLeg, now: number, settings: RoutingSettings): Tx | null {
  if (call.kind === 'leg' || call.forwardTo || call.leg || !holds(call, agent)) return null;
  const to = o.to;
  if ('agentId' in to && (!o.target || o.target.id !== to.agentId || o.target.state !== 'ready' || o.target.id === agent.id || !((o.target.languages[o.language] ?? 0) >= 1))) return null;
  const leg: LiveLeg = { id: o.id, purpose: o.purpose, by: agent.id, to, agentId: null, state: 'ringing', since: now };
  const opened = bump(call, { leg });
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.expect[agentKey(agent.id)] = agent.v;
  tx.put[callKey(call.id)] = opened;
  tx.events.push({ type: 'call.leg', call: opened, leg, phase: 'opened' });
  if ('number' in to) return tx;
  const child = waitingCall(
    {
      id: o.id,
      kind: 'leg' as const,
      parentId: call.id,
      purpose: o.purpose,
      regionCode: 'region' in to ? to.region : 'language' in to ? o.provinceCode : (o.target?.regionCode ?? call.regionCode),
      language: o.language,
      topic: o.purpose === 'interpreter' ? ANY_TOPIC : call.topic,
      // Someone is on hold for it: ahead of callers who have not been answered yet.
      priority: call.priority + 1,
    },
    now,
  );
  tx.expect[callKey(child.id)] = 0;
  if (o.target) {
    const expiresAt = now + sec(settings.offerTimeoutSeconds);
    const offered: LiveCall = { ...child, status: 'offered', agentId: o.target.id, offerId: o.offerId, offerExpiresAt: expiresAt };
    const reserved = bump(o.target, { state: 'reserved', reason: null, since: now, callId: child.id, offerId: o.offerId });
    tx.expect[agentKey(o.target.id)] = o.target.v;
    tx.put[callKey(child.id)] = offered;
    tx.put[agentKey(o.target.id)] = reserved;
    tx.addDeadlines.push({ key: deadlineKeys.offer(child.id, o.offerId), at: expiresAt });
    tx.events.push({ type: 'call.offered', call: offered, agentId: o.target.id, offerId: o.offerId, expiresAt });
    tx.events.push({ type: 'agent.state', agent: reserved });
  } else {
    tx.put[callKey(child.id)] = child;
    queueDeadlines(child, settings, tx);
    tx.events.push({ type: 'call.queued', call: child });
  }
  return tx;
}

/** The phone system put the leg through: the agent talks with the target (an interpreter joins the call). */
export function legAnswered(call: LiveCall, child: LiveCall | null): Tx | null {
  const leg = call.leg;
  if (!leg || leg.state !== 'ringing' || call.status !== 'connected') return null;
  if (!('number' in leg.to) && (!child || child.status !== 'connected' || !child.agentId)) return null;
  const answered: LiveLeg = { ...leg, state: leg.purpose === 'interpreter' ? 'merged' : 'talking', agentId: child?.agentId ?? null };
  const next = bump(call, { leg: answered });
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  if (child) tx.expect[callKey(child.id)] = child.v;
  tx.put[callKey(call.id)] = next;
  tx.events.push({ type: 'call.leg', call: next, leg: answered, phase: 'answered' });
  return tx;
}

/** The consult becomes a three-way call. */
export function mergeLeg(call: LiveCall, agent: LiveAgent | null): Tx | null {
  const leg = call.leg;
  if (!leg || leg.state !== 'talking' || !holds(call, agent)) return null;
  const merged: LiveLeg = { ...leg, state: 'merged' };
  const next = bump(call, { leg: merged });
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.expect[agentKey(agent.id)] = agent.v;
  tx.put[callKey(call.id)] = next;
  tx.events.push({ type: 'call.leg', call: next, leg: merged, phase: 'merged' });
  return tx;
}

/**
 * The agent leaves the caller with the target: a colleague carries the call on (its ticket
 * with it) and the agent goes to wrap-up; an outside party takes it over and the hotline's part
 * ends, as when a forward is answered.
 */
export function completeLeg(call: LiveCall, agent: LiveAgent | null, child: LiveCall | null, target: LiveAgent | null, now: number, settings: RoutingSettings): Tx | null {
  const leg = call.leg;
  if (!leg || (leg.state !== 'talking' && leg.state !== 'merged') || leg.purpose !== 'consult' || !holds(call, agent)) return null;
  if ('number' in leg.to) {
    // Ended as a forward that was answered: the caller is with the outside number now.
    const tx = endCall({ ...call, forwardTo: leg.to.number }, agent, now, settings);
    if (!tx) return null;
    tx.events.unshift({ type: 'call.leg', call, leg, phase: 'completed' });
    return tx;
  }
  if (!child || child.status !== 'connected' || !target || child.agentId !== target.id || target.callId !== child.id || target.state !== 'on_call') return null;
  const tx = emptyTx();
  const carried = bump(call, { agentId: target.id, leg: null, monitor: null });
  const wrapUpEndsAt = now + sec(settings.wrapUpSeconds);
  const wrapUp = bump(agent, { state: 'wrap_up', since: now, callId: null, wrapUpEndsAt });
  const takes = bump(target, { callId: call.id });
  tx.expect[callKey(call.id)] = call.v;
  tx.expect[callKey(child.id)] = child.v;
  tx.expect[agentKey(agent.id)] = agent.v;
  tx.expect[agentKey(target.id)] = target.v;
  tx.put[callKey(call.id)] = carried;
  tx.del.push(callKey(child.id));
  tx.put[agentKey(agent.id)] = wrapUp;
  tx.put[agentKey(target.id)] = takes;
  tx.addDeadlines.push({ key: deadlineKeys.wrapUp(agent.id), at: wrapUpEndsAt });
  // A supervisor on the agent's phone is let go with it.
  if (call.monitor) tx.events.push({ type: 'call.monitor', call: carried, supervisorId: call.monitor.supervisorId, mode: null, previous: call.monitor.mode });
  tx.events.push({ type: 'call.leg', call: carried, leg: { ...leg, agentId: target.id }, phase: 'completed' });
  tx.events.push({ type: 'agent.state', agent: wrapUp });
  tx.events.push({ type: 'agent.state', agent: takes });
  return tx;
}

/**
 * Adds to `tx` the end of the call's leg: its routed call gone, the colleague on it free again
 * (set aside as after a missed offer when it rang out on them), and the event. The call itself
 * is the caller's to change.
 */
function endLegInto(tx: Tx, call: LiveCall, leg: LiveLeg, child: LiveCall | null, target: LiveAgent | null, reason: LegCloseReason, now: number, settings: RoutingSettings, setAside: 'missed' | 'declined' = 'missed'): void {
  if (child) {
    tx.expect[callKey(child.id)] = child.v;
    tx.del.push(callKey(child.id));
    clearQueueDeadlines(child, settings, tx);
  }
  if (child && target && target.callId === child.id && (target.state === 'reserved' || target.state === 'on_call')) {
    const missed = reason === 'unanswered';
    const free = bump(target, missed
      ? { state: 'not_ready' as const, reason: setAside, since: now, callId: null, offerId: null, idleSince: null, handleStart: null }
      : { state: 'ready' as const, reason: null, since: now, callId: null, offerId: null, idleSince: now, handleStart: null });
    tx.expect[agentKey(target.id)] = target.v;
    tx.put[agentKey(target.id)] = free;
    tx.events.push({ type: 'agent.state', agent: free });
  }
  // A colleague who took the leg on their desk is named even before their phone answered (a
  // busy phone): the phone system then cancels the dial and their desk ends the leg.
  const named = leg.agentId ?? (child?.status === 'connected' ? child.agentId : null);
  tx.events.push({ type: 'call.leg', call, leg: named === leg.agentId ? leg : { ...leg, agentId: named }, phase: 'closed', reason });
}

/** The leg ends (cancelled, dropped, unanswered, the target hung up); the call goes on with the agent. */
/** `setAside`: how a colleague who did not take the leg is set aside — declined on the desk, or let it ring out. */
export function closeLeg(call: LiveCall, child: LiveCall | null, target: LiveAgent | null, reason: LegCloseReason, now: number, settings: RoutingSettings, setAside: 'missed' | 'declined' = 'missed'): Tx | null {
  const leg = call.leg;
  if (!leg || call.status !== 'connected') return null;
  const next = bump(call, { leg: null });
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.put[callKey(call.id)] = next;
  endLegInto(tx, next, leg, child, target, reason, now, settings, setAside);
  return tx;
}

/** A step that ends the call (endCall and the like) also ends its leg. */
export function withLegEnded(tx: Tx | null, call: LiveCall, child: LiveCall | null, target: LiveAgent | null, now: number, settings: RoutingSettings): Tx | null {
  if (!tx || !call.leg) return tx;
  endLegInto(tx, call, call.leg, child, target, 'call_ended', now, settings);
  return tx;
}
