import type { SkillMap } from '../db/schema';
import type { RoutingSettings } from './settings';
import {
  agentKey,
  callKey,
  emptyTx,
  type CallKind,
  type Deadline,
  type Entity,
  type LiveAgent,
  type LiveCall,
  type MonitorMode,
  type NotReadyReason,
  type Tx,
} from './types';

/**
 * Every change to the live state, as a pure function from what was read to one atomic step
 * (a Tx). Both stores apply the same steps; they differ only in how they make them atomic.
 * Each function returns null when the step no longer applies (the state moved on).
 */

const sec = (s: number) => Math.round(s * 1000);

export const deadlineKeys = {
  offer: (callId: string, offerId: string) => `offer:${callId}:${offerId}`,
  step: (callId: string, i: number) => `step:${callId}:${i}`,
  maxWait: (callId: string) => `maxwait:${callId}`,
  interpreter: (callId: string) => `interp:${callId}`,
  wrapUp: (agentId: string) => `wrapup:${agentId}`,
  presence: (agentId: string) => `presence:${agentId}`,
};

/**
 * The deadlines a waiting call has: its overflow steps and, for a caller on the line, the wait
 * limit. A callback has no wait limit: nobody is holding, and the promise stands until an agent
 * takes it (src/callbacks withdraws it outside calling hours).
 */
export function queueDeadlines(call: LiveCall, settings: RoutingSettings, tx: Tx) {
  settings.steps.forEach((step, i) => {
    if (i > 0) tx.addDeadlines.push({ key: deadlineKeys.step(call.id, i), at: call.enqueuedAt + sec(step.afterSeconds) });
  });
  if (call.kind === 'call') tx.addDeadlines.push({ key: deadlineKeys.maxWait(call.id), at: call.enqueuedAt + sec(settings.maxWaitSeconds) });
  const fallback = settings.interpreters.fallbackSeconds;
  if (call.kind === 'call' && fallback !== null && !call.interpret && settings.interpreters.languages.includes(call.language)) {
    tx.addDeadlines.push({ key: deadlineKeys.interpreter(call.id), at: call.enqueuedAt + sec(fallback) });
  }
}

/**
 * A caller who has waited the province's fallback for a speaker of their language: routed in
 * Mandarin from now on, keeping their place, with an interpreter to join when answered. An offer
 * ringing at that moment is left to ring; the fallback waits for it (`retryAt`).
 */
export function interpreterFallback(call: LiveCall, via: string, now: number, retryMs: number): Tx | null {
  if (call.kind !== 'call' || call.interpret || call.language === via) return null;
  const tx = emptyTx();
  if (call.status === 'offered') {
    tx.addDeadlines.push({ key: deadlineKeys.interpreter(call.id), at: now + retryMs });
    return tx;
  }
  if (call.status !== 'waiting') return null;
  const rerouted = bump(call, { language: via, interpret: call.language });
  tx.expect[callKey(call.id)] = call.v;
  tx.put[callKey(call.id)] = rerouted;
  tx.events.push({ type: 'call.interpreting', call: rerouted, language: call.language });
  return tx;
}

export function clearQueueDeadlines(call: LiveCall, settings: RoutingSettings, tx: Tx) {
  settings.steps.forEach((_s, i) => i > 0 && tx.removeDeadlines.push(deadlineKeys.step(call.id, i)));
  tx.removeDeadlines.push(deadlineKeys.maxWait(call.id), deadlineKeys.interpreter(call.id));
  if (call.offerId) tx.removeDeadlines.push(deadlineKeys.offer(call.id, call.offerId));
}

/**
 * A step that releases a call must read the agent holding it too: if this node's copy of the
 * agent is behind, the version check fails and the step is retried on fresh data, instead of
 * leaving the agent reserved for a call that is gone.
 */
function expectHolder(tx: Tx, call: LiveCall, agent: LiveAgent | null) {
  if (call.agentId) tx.expect[agentKey(call.agentId)] = agent && agent.id === call.agentId ? agent.v : 0;
}

const bump = <T extends { v: number }>(e: T, changes: Partial<T>): T => ({ ...e, ...changes, v: e.v + 1 });

export interface NewCall {
  id: string;
  kind: CallKind;
  regionCode: string;
  language: string;
  topic: string;
  priority: number;
  origin?: string;
}

/** A call as it enters the queue: waiting, nobody offered it yet. */
export function waitingCall<T extends NewCall>(input: T, now: number): LiveCall & T {
  return { ...input, v: 1, enqueuedAt: now, status: 'waiting', agentId: null, offerId: null, offerExpiresAt: null, answeredAt: null, missedBy: [] };
}

export function enqueue(input: NewCall, now: number, settings: RoutingSettings): Tx {
  const call: LiveCall = waitingCall(input, now);
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = 0;
  tx.put[callKey(call.id)] = call;
  queueDeadlines(call, settings, tx);
  tx.events.push({ type: 'call.queued', call });
  return tx;
}

export function offer(call: LiveCall, agent: LiveAgent, offerId: string, now: number, settings: RoutingSettings): Tx | null {
  if (call.status !== 'waiting' || agent.state !== 'ready') return null;
  const expiresAt = now + sec(settings.offerTimeoutSeconds);
  const offered = bump(call, { status: 'offered', agentId: agent.id, offerId, offerExpiresAt: expiresAt });
  const reserved = bump(agent, { state: 'reserved', reason: null, since: now, callId: call.id, offerId });
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.expect[agentKey(agent.id)] = agent.v;
  tx.put[callKey(call.id)] = offered;
  tx.put[agentKey(agent.id)] = reserved;
  tx.addDeadlines.push({ key: deadlineKeys.offer(call.id, offerId), at: expiresAt });
  tx.events.push({ type: 'call.offered', call: offered, agentId: agent.id, offerId, expiresAt });
  tx.events.push({ type: 'agent.state', agent: reserved });
  return tx;
}

export function accept(call: LiveCall, agent: LiveAgent, offerId: string, now: number, settings: RoutingSettings): Tx | null {
  if (call.status !== 'offered' || call.offerId !== offerId || call.agentId !== agent.id || agent.offerId !== offerId) return null;
  const connected = bump(call, { status: 'connected', offerId: null, offerExpiresAt: null, answeredAt: now });
  const onCall = bump(agent, { state: 'on_call', since: now, offerId: null, handleStart: now });
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.expect[agentKey(agent.id)] = agent.v;
  tx.put[callKey(call.id)] = connected;
  tx.put[agentKey(agent.id)] = onCall;
  clearQueueDeadlines(call, settings, tx);
  tx.events.push({ type: 'call.connected', call: connected, agentId: agent.id });
  tx.events.push({ type: 'agent.state', agent: onCall });
  return tx;
}

/**
 * The phone system bridged caller and agent: the call is answered from now on — talk time counts
 * from here, not from the agent's accept (the agent's phone may ring for seconds first).
 */
export function bridged(call: LiveCall, now: number): Tx | null {
  if (call.status !== 'connected' || !call.agentId) return null;
  const answered = bump(call, { answeredAt: Math.max(now, call.answeredAt ?? now), bridgedOnce: true });
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.put[callKey(call.id)] = answered;
  tx.events.push({ type: 'call.bridged', call: answered, agentId: call.agentId, first: !call.bridgedOnce });
  return tx;
}

/**
 * An offer declined, rung out, or lost with the agent's session: the call goes back to its
 * original place in the queue and the agent is set aside: not_ready with reason 'declined' when
 * they turned it down at the desk, 'missed' when it rang out or a seat phone did not take it;
 * offline when the session was lost.
 */
export function returnOffer(
  call: LiveCall,
  agent: LiveAgent | null,
  reason: 'declined' | 'timeout' | 'agent_lost',
  now: number,
  settings: RoutingSettings,
  missed = reason !== 'declined',
): Tx | null {
  if (call.status !== 'offered' || !call.offerId || !call.agentId) return null;
  const agentId = call.agentId;
  const offerId = call.offerId;
  const missedBy = [...call.missedBy, agentId];
  const waiting = bump(call, { status: 'waiting', agentId: null, offerId: null, offerExpiresAt: null, missedBy });
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.put[callKey(call.id)] = waiting;
  tx.removeDeadlines.push(deadlineKeys.offer(call.id, offerId));
  expectHolder(tx, call, agent);
  if (agent && agent.offerId === offerId) {
    const setAside =
      reason === 'agent_lost'
        ? bump(agent, { state: 'offline', reason: null, since: now, callId: null, offerId: null, idleSince: null })
        : bump(agent, { state: 'not_ready', reason: missed ? 'missed' : 'declined', since: now, callId: null, offerId: null, idleSince: null });
    tx.put[agentKey(agent.id)] = setAside;
    tx.events.push({ type: 'agent.state', agent: setAside });
  }
  tx.events.push({ type: 'offer.returned', call: waiting, agentId, offerId, reason });
  if (missedBy.length >= settings.missedAlertThreshold) tx.events.push({ type: 'alert.missed', call: waiting, missedBy: missedBy.length });
  return tx;
}

export type LeaveOutcome = 'abandoned' | 'callback' | 'timeout' | 'withdrawn';

/**
 * The caller hung up, took a callback, or waited past the limit (or a callback is withdrawn
 * until calling hours): the call leaves the queue at once. An agent whose phone was ringing for
 * it is ready again, keeping their place.
 */
export function leaveQueue(
  call: LiveCall,
  agent: LiveAgent | null,
  outcome: LeaveOutcome,
  now: number,
  settings: RoutingSettings,
  at = now,
): Tx | null {
  if (call.status !== 'waiting' && call.status !== 'offered') return null;
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.del.push(callKey(call.id));
  clearQueueDeadlines(call, settings, tx);
  expectHolder(tx, call, agent);
  if (call.status === 'offered' && agent && agent.offerId === call.offerId) {
    const ready = bump(agent, { state: 'ready', since: now, callId: null, offerId: null });
    tx.put[agentKey(agent.id)] = ready;
    tx.events.push({ type: 'agent.state', agent: ready });
  }
  tx.events.push({ type: 'call.left', call, outcome, waitedMs: Math.max(0, at - call.enqueuedAt), ...(at !== now ? { at } : {}) });
  return tx;
}

/**
 * The caller hung up after the agent accepted but before the phone system bridged them (the
 * connect found the caller gone). Nobody talked: the call is abandoned, not answered, and the
 * agent is ready again at once, with nothing to wrap up.
 */
export function leaveBeforeBridge(call: LiveCall, agent: LiveAgent | null, now: number, at = now): Tx | null {
  if (call.status !== 'connected') return null;
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.del.push(callKey(call.id));
  expectHolder(tx, call, agent);
  if (agent && agent.callId === call.id && agent.state === 'on_call') {
    const ready = bump(agent, { state: 'ready', reason: null, since: now, idleSince: now, callId: null, offerId: null, wrapUpEndsAt: null, handleStart: null });
    tx.put[agentKey(agent.id)] = ready;
    tx.events.push({ type: 'agent.state', agent: ready });
  }
  tx.events.push({ type: 'call.left', call, outcome: 'abandoned', waitedMs: Math.max(0, at - call.enqueuedAt), ...(at !== now ? { at } : {}) });
  return tx;
}

/** A connected call ended (either side hung up): the agent goes to timed wrap-up. */
export function endCall(call: LiveCall, agent: LiveAgent | null, now: number, settings: RoutingSettings, at = now): Tx | null {
  if (call.status !== 'connected') return null;
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.del.push(callKey(call.id));
  expectHolder(tx, call, agent);
  if (agent && agent.callId === call.id && agent.state === 'on_call') {
    const wrapUpEndsAt = now + sec(settings.wrapUpSeconds);
    const wrapUp = bump(agent, { state: 'wrap_up', since: now, callId: null, wrapUpEndsAt });
    tx.put[agentKey(agent.id)] = wrapUp;
    tx.addDeadlines.push({ key: deadlineKeys.wrapUp(agent.id), at: wrapUpEndsAt });
    tx.events.push({ type: 'agent.state', agent: wrapUp });
  }
  tx.events.push({ type: 'call.ended', call, agentId: call.agentId, talkMs: call.answeredAt ? Math.max(0, at - call.answeredAt) : 0, ...(at !== now ? { at } : {}) });
  return tx;
}

/**
 * The agent hands a connected call on, to a region's queue or straight to a ready colleague,
 * and goes to wrap-up. The caller has already waited once, so the call's priority is raised
 * and its place counts from now (its queue limits start again).
 */
export function transfer(
  call: LiveCall,
  from: LiveAgent | null,
  target: { region: string } | { agent: LiveAgent },
  offerId: string,
  now: number,
  settings: RoutingSettings,
): Tx | null {
  if (call.status !== 'connected' || call.forwardTo || call.leg || !from || call.agentId !== from.id || from.state !== 'on_call' || from.callId !== call.id) return null;
  if ('agent' in target && (target.agent.state !== 'ready' || target.agent.id === from.id)) return null;
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.expect[agentKey(from.id)] = from.v;
  const wrapUpEndsAt = now + sec(settings.wrapUpSeconds);
  const wrapUp = bump(from, { state: 'wrap_up', since: now, callId: null, wrapUpEndsAt });
  tx.put[agentKey(from.id)] = wrapUp;
  tx.addDeadlines.push({ key: deadlineKeys.wrapUp(from.id), at: wrapUpEndsAt });
  const talkMs = call.answeredAt ? now - call.answeredAt : 0;
  const requeued = { agentId: null, offerId: null, offerExpiresAt: null, answeredAt: null, missedBy: [], priority: call.priority + 1, enqueuedAt: now, monitor: null };
  if ('agent' in target) {
    const to = target.agent;
    const expiresAt = now + sec(settings.offerTimeoutSeconds);
    const offered = bump(call, { ...requeued, status: 'offered' as const, agentId: to.id, offerId, offerExpiresAt: expiresAt });
    const reserved = bump(to, { state: 'reserved', reason: null, since: now, callId: call.id, offerId });
    tx.expect[agentKey(to.id)] = to.v;
    tx.put[callKey(call.id)] = offered;
    tx.put[agentKey(to.id)] = reserved;
    queueDeadlines(offered, settings, tx);
    tx.addDeadlines.push({ key: deadlineKeys.offer(call.id, offerId), at: expiresAt });
    tx.events.push({ type: 'call.transferred', call: offered, fromAgentId: from.id, talkMs, to: { agentId: to.id } });
    tx.events.push({ type: 'agent.state', agent: wrapUp });
    tx.events.push({ type: 'call.offered', call: offered, agentId: to.id, offerId, expiresAt });
    tx.events.push({ type: 'agent.state', agent: reserved });
  } else {
    const waiting = bump(call, { ...requeued, status: 'waiting' as const, regionCode: target.region });
    tx.put[callKey(call.id)] = waiting;
    queueDeadlines(waiting, settings, tx);
    tx.events.push({ type: 'call.transferred', call: waiting, fromAgentId: from.id, talkMs, to: { region: target.region } });
    tx.events.push({ type: 'agent.state', agent: wrapUp });
  }
  return tx;
}

/**
 * The agent passes the caller to an outside number. Routing keeps the call with the agent while
 * the phone system dials it: answered, the call ends as usual (endCall); not answered, it is
 * the agent's again (forwardFailed) rather than lost.
 */
export function forward(call: LiveCall, agent: LiveAgent | null, number: string): Tx | null {
  if (call.status !== 'connected' || call.forwardTo || call.leg || !agent || call.agentId !== agent.id || agent.state !== 'on_call' || agent.callId !== call.id) return null;
  // The agent's leg ends as the caller is put through: a supervisor on it is let go first.
  const forwarding = bump(call, { forwardTo: number, monitor: null });
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.expect[agentKey(agent.id)] = agent.v;
  tx.put[callKey(call.id)] = forwarding;
  if (call.monitor) tx.events.push({ type: 'call.monitor', call: forwarding, supervisorId: call.monitor.supervisorId, mode: null, previous: call.monitor.mode });
  tx.events.push({ type: 'call.forwarding', call: forwarding, agentId: agent.id, number });
  return tx;
}

/**
 * A supervisor listens to, whispers into or barges into a connected call (mode null: stops).
 * One supervisor at a time: another's monitoring must stop first, so nobody is dropped unseen.
 */
export function monitor(call: LiveCall, supervisorId: string, mode: MonitorMode | null, now: number): Tx | null {
  if (call.status !== 'connected' || call.forwardTo || !call.agentId) return null;
  const current = call.monitor ?? null;
  if (current && current.supervisorId !== supervisorId) return null;
  if ((current?.mode ?? null) === mode) return null;
  const changed = bump(call, { monitor: mode ? { supervisorId, mode, since: current?.since ?? now } : null });
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.put[callKey(call.id)] = changed;
  tx.events.push({ type: 'call.monitor', call: changed, supervisorId, mode, previous: current?.mode ?? null });
  return tx;
}

/** The outside number did not answer: the caller is the agent's again. */
export function forwardFailed(call: LiveCall, status: string, cause: string | null): Tx | null {
  if (call.status !== 'connected' || !call.forwardTo || !call.agentId) return null;
  const back = bump(call, { forwardTo: null });
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.put[callKey(call.id)] = back;
  tx.events.push({ type: 'call.forward_failed', call: back, agentId: call.agentId, number: call.forwardTo, status, cause });
  return tx;
}

export function extendWrapUp(agent: LiveAgent, seconds: number, now: number, settings: RoutingSettings): Tx | null {
  if (agent.state !== 'wrap_up' || agent.wrapUpEndsAt === null) return null;
  const limit = agent.since + sec(settings.maxWrapUpSeconds);
  const wrapUpEndsAt = Math.min(limit, Math.max(agent.wrapUpEndsAt, now) + sec(seconds));
  const extended = bump(agent, { wrapUpEndsAt });
  const tx = emptyTx();
  tx.expect[agentKey(agent.id)] = agent.v;
  tx.put[agentKey(agent.id)] = extended;
  tx.addDeadlines.push({ key: deadlineKeys.wrapUp(agent.id), at: wrapUpEndsAt });
  tx.events.push({ type: 'agent.state', agent: extended });
  return tx;
}

/**
 * The agent accepted but the phone system could not bridge the caller to them (endpoint
 * unreachable, softphone gone): the call goes back to its original place and the agent is set
 * aside as if they had missed the offer.
 */
export function bridgeFailed(call: LiveCall, agent: LiveAgent | null, now: number, settings: RoutingSettings): Tx | null {
  if (call.status !== 'connected' || !call.agentId) return null;
  const agentId = call.agentId;
  const missedBy = [...call.missedBy, agentId];
  const waiting = bump(call, { status: 'waiting', agentId: null, offerId: null, offerExpiresAt: null, answeredAt: null, missedBy, forwardTo: null, monitor: null });
  const tx = emptyTx();
  tx.expect[callKey(call.id)] = call.v;
  tx.put[callKey(call.id)] = waiting;
  expectHolder(tx, call, agent);
  queueDeadlines(waiting, settings, tx);
  if (agent && agent.callId === call.id && agent.state === 'on_call') {
    const setAside = bump(agent, { state: 'not_ready', reason: 'missed', since: now, callId: null, offerId: null, idleSince: null, handleStart: null });
    tx.put[agentKey(agent.id)] = setAside;
    tx.events.push({ type: 'agent.state', agent: setAside });
  }
  tx.events.push({ type: 'offer.returned', call: waiting, agentId, offerId: '', reason: 'bridge_failed' });
  return tx;
}

/** Wrap-up over: the agent is ready again, and the handle time feeds the wait estimates. */
export function endWrapUp(agent: LiveAgent, now: number, next: 'ready' | 'not_ready' = 'ready'): Tx | null {
  if (agent.state !== 'wrap_up') return null;
  const after = bump(agent, {
    state: next,
    reason: next === 'not_ready' ? 'other' : null,
    since: now,
    idleSince: next === 'ready' ? now : null,
    wrapUpEndsAt: null,
    handleStart: null,
  });
  const tx = emptyTx();
  tx.expect[agentKey(agent.id)] = agent.v;
  tx.put[agentKey(agent.id)] = after;
  tx.removeDeadlines.push(deadlineKeys.wrapUp(agent.id));
  if (agent.handleStart !== null) tx.handleSampleMs = now - agent.handleStart;
  tx.events.push({ type: 'agent.state', agent: after });
  return tx;
}

export interface AgentProfileForRouting {
  id: string;
  username?: string;
  regionCode: string;
  languages: SkillMap;
  topics: SkillMap;
}

/** Sign-in (or a changed profile): a new or offline agent starts not ready; skills and region apply at once. */
export function login(profile: AgentProfileForRouting, current: LiveAgent | null, now: number, settings: RoutingSettings): Tx {
  const presenceExpiresAt = now + sec(settings.presenceGraceSeconds);
  const agent: LiveAgent =
    current && current.state !== 'offline'
      ? bump(current, { regionCode: profile.regionCode, languages: profile.languages, topics: profile.topics, presenceExpiresAt, ...(profile.username ? { username: profile.username } : {}) })
      : {
          id: profile.id,
          v: (current?.v ?? 0) + 1,
          ...(profile.username ? { username: profile.username } : {}),
          regionCode: profile.regionCode,
          languages: profile.languages,
          topics: profile.topics,
          state: 'not_ready',
          reason: 'login',
          since: now,
          idleSince: null,
          callId: null,
          offerId: null,
          wrapUpEndsAt: null,
          handleStart: null,
          presenceExpiresAt,
        };
  const tx = emptyTx();
  tx.expect[agentKey(profile.id)] = current?.v ?? 0;
  tx.put[agentKey(profile.id)] = agent;
  tx.addDeadlines.push({ key: deadlineKeys.presence(profile.id), at: presenceExpiresAt });
  tx.events.push({ type: 'agent.state', agent });
  return tx;
}

export function heartbeat(agent: LiveAgent, now: number, settings: RoutingSettings): Tx | null {
  if (agent.state === 'offline') return null;
  const presenceExpiresAt = now + sec(settings.presenceGraceSeconds);
  const tx = emptyTx();
  tx.expect[agentKey(agent.id)] = agent.v;
  tx.put[agentKey(agent.id)] = bump(agent, { presenceExpiresAt });
  tx.addDeadlines.push({ key: deadlineKeys.presence(agent.id), at: presenceExpiresAt });
  return tx;
}

const SETTABLE_FROM = new Set(['ready', 'not_ready', 'wrap_up']);

/** The agent's own choice: ready, or not ready with a reason. Not while a call rings or is up. */
export function setAvailability(agent: LiveAgent, state: 'ready' | 'not_ready', reason: NotReadyReason | null, now: number): Tx | null {
  if (!SETTABLE_FROM.has(agent.state)) return null;
  if (agent.state === state && agent.reason === reason) return null;
  const next = bump(agent, {
    state,
    reason: state === 'not_ready' ? (reason ?? 'other') : null,
    since: now,
    idleSince: state === 'ready' ? (agent.state === 'ready' ? agent.idleSince : now) : null,
    wrapUpEndsAt: null,
    handleStart: agent.state === 'wrap_up' ? agent.handleStart : null,
  });
  const tx = emptyTx();
  tx.expect[agentKey(agent.id)] = agent.v;
  tx.put[agentKey(agent.id)] = next;
  if (agent.state === 'wrap_up') tx.removeDeadlines.push(deadlineKeys.wrapUp(agent.id));
  tx.events.push({ type: 'agent.state', agent: next });
  return tx;
}

/** Sign-out, or a session that was not renewed. An agent on a call stays until it ends. */
export function logout(agent: LiveAgent, now: number): Tx | null {
  if (agent.state === 'offline' || agent.state === 'on_call' || agent.state === 'reserved') return null;
  const off = bump(agent, { state: 'offline', reason: null, since: now, idleSince: null, wrapUpEndsAt: null, handleStart: null });
  const tx = emptyTx();
  tx.expect[agentKey(agent.id)] = agent.v;
  tx.put[agentKey(agent.id)] = off;
  tx.removeDeadlines.push(deadlineKeys.presence(agent.id), deadlineKeys.wrapUp(agent.id));
  tx.events.push({ type: 'agent.state', agent: off });
  return tx;
}

/**
 * The live state was lost (Redis restarted empty, a failover to a replica that missed writes):
 * what a node's replica held is put back. An offer that was ringing goes back to the queue at
 * its place (the agent could not answer it while the state was gone) and the agent is ready
 * again; a signed-in agent gets a full grace period for their desk to renew the session.
 * Other entities come back as they were. Versions rise only where something changed.
 */
export function restored(entity: Entity, now: number, settings: RoutingSettings): Entity {
  if ('status' in entity) {
    if (entity.status !== 'offered') return entity;
    return bump(entity, { status: 'waiting', agentId: null, offerId: null, offerExpiresAt: null });
  }
  if ('state' in entity) {
    if (entity.state === 'offline') return entity;
    const presenceExpiresAt = Math.max(entity.presenceExpiresAt, now + sec(settings.presenceGraceSeconds));
    if (entity.state === 'reserved') return bump(entity, { state: 'ready', since: now, callId: null, offerId: null, presenceExpiresAt });
    return bump(entity, { presenceExpiresAt });
  }
  return entity;
}

/** The deadlines an entity put back must have (see `restored`). */
export function deadlinesOf(entity: Entity, settings: RoutingSettings): Deadline[] {
  const tx = emptyTx();
  if ('status' in entity) {
    if (entity.status === 'waiting') queueDeadlines(entity, settings, tx);
    if (entity.status === 'offered' && entity.offerId && entity.offerExpiresAt) tx.addDeadlines.push({ key: deadlineKeys.offer(entity.id, entity.offerId), at: entity.offerExpiresAt });
  } else if ('state' in entity && entity.state !== 'offline') {
    tx.addDeadlines.push({ key: deadlineKeys.presence(entity.id), at: entity.presenceExpiresAt });
    if (entity.state === 'wrap_up' && entity.wrapUpEndsAt) tx.addDeadlines.push({ key: deadlineKeys.wrapUp(entity.id), at: entity.wrapUpEndsAt });
  }
  return tx.addDeadlines;
}

/**
 * An agent reserved or on a call the live state no longer has for them (left behind by a lost
 * or rebuilt state): released — ready if they were only ringing, wrap-up after a call.
 */
export function releaseStale(agent: LiveAgent, call: LiveCall | null, now: number, settings: RoutingSettings): Tx | null {
  if (agent.state === 'reserved' && call && call.status === 'offered' && call.offerId === agent.offerId && call.agentId === agent.id) return null;
  if (agent.state === 'on_call' && call && call.status === 'connected' && call.agentId === agent.id) return null;
  if (agent.state !== 'reserved' && agent.state !== 'on_call') return null;
  const tx = emptyTx();
  tx.expect[agentKey(agent.id)] = agent.v;
  if (agent.callId) tx.expect[callKey(agent.callId)] = call?.v ?? 0;
  let next: LiveAgent;
  if (agent.state === 'reserved') next = bump(agent, { state: 'ready', since: now, callId: null, offerId: null });
  else {
    const wrapUpEndsAt = now + sec(settings.wrapUpSeconds);
    next = bump(agent, { state: 'wrap_up', since: now, callId: null, offerId: null, wrapUpEndsAt });
    tx.addDeadlines.push({ key: deadlineKeys.wrapUp(agent.id), at: wrapUpEndsAt });
  }
  tx.put[agentKey(agent.id)] = next;
  tx.events.push({ type: 'agent.state', agent: next });
  return tx;
}
