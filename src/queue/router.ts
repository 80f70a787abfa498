import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { LiveStore, Committed, MergeInput } from './live-store';
import { LiveStateLostError } from './redis-store';
import * as ops from './operations';
import * as legs from './legs';
import type { CallBucket } from './live-state';
import { Coverage, currentStep, type PolicyContext, RoutingRegions, selectAgent, selectCallFromBuckets } from './policy';
import { FALLBACK_LANGUAGE, type RoutingSettings } from './settings';
import { agentKey, callKey, type Entity, type LegCloseReason, type LegPurpose, type LegTo, type LiveAgent, type LiveCall, type MonitorMode, type NotReadyReason, type RoutingEvent, STATS_KEY, type Tx } from './types';

export interface Clock {
  now(): number;
}

export type EnqueueResult =
  | { status: 'queued'; callId: string; position: number; estimatedWaitSeconds: number | null; offerCallback: boolean }
  | { status: 'rejected'; reason: 'queue_full' };

export type ActionResult = { ok: true } | { ok: false; reason: string };

export interface QueueEstimate {
  position: number;
  /** Null while nobody who speaks the caller's language is staffed. */
  estimatedWaitSeconds: number | null;
  staffed: number;
}

interface RouterOptions {
  store: LiveStore;
  regions: RoutingRegions;
  settings: RoutingSettings;
  clock?: Clock;
  log?: FastifyBaseLogger;
  /** How often the safety sweep runs; it only catches what a lost node left behind. 0: never. */
  sweepMs?: number;
  /**
   * False when the caller drives time itself (simulations, tests on a manual clock) and calls
   * processDue(); otherwise deadlines fire on timers set for the exact moment they fall due.
   */
  timers?: boolean;
}

const MAX_ATTEMPTS = 8;
// A lost version check means another step went through, so matching keeps trying while it
// still sees a candidate pair; the bound only guards against a bug.
const MAX_MATCH_ATTEMPTS = 200;

/**
 * Routes one province's calls. Every change is one atomic step on the live store, and every
 * step that can create a match (a call queued or back in the queue, an agent ready, a step
 * reached) is followed at once by matching — no polling interval adds to a caller's wait.
 * Deadlines (offer timeouts, overflow steps, wrap-up, callbacks, presence) live in the store,
 * so any node can act on them.
 */
export class Router {
  readonly store: LiveStore;
  readonly regions: RoutingRegions;
  settings: RoutingSettings;
  private readonly clock: Clock;
  private readonly log: FastifyBaseLogger | undefined;
  private readonly listeners: ((e: RoutingEvent, local: boolean) => void)[] = [];
  private readonly rejectListeners: ((call: { regionCode: string }) => void)[] = [];
  private coverage: { version: number; value: Coverage } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private sweeper: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly sweepMs: number;
  private inFlight = new Set<Promise<unknown>>();
  // Offers this node is committing right now: its other matching passes over them instead of
  // racing itself for the same call or agent (other nodes are kept out by the version check).
  private readonly offeringCalls = new Set<string>();
  private readonly offeringAgents = new Set<string>();
  private readonly timers: boolean;
  private recovering: Promise<void> | null = null;
  private readonly recoveryHooks: { name: string; run: () => Promise<void> }[] = [];

  constructor(options: RouterOptions) {
    this.store = options.store;
    this.regions = options.regions;
    this.settings = options.settings;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.log = options.log;
    this.sweepMs = options.sweepMs ?? 2_000;
    this.timers = options.timers ?? true;
    this.store.onCommitted((c) => this.committed(c));
    this.store.onLost((why) => {
      this.log?.warn({ why }, 'live state lost or replaced; rebuilding it');
      this.track(this.recover());
    });
  }

  // ---- a lost live state -------------------------------------------------------------------

  /** Whether routing works here now: the shared state answers, is the one this node knows, and is not being rebuilt. */
  get health(): 'ok' | 'unreachable' | 'lost' | 'recovering' {
    return this.recovering ? 'recovering' : this.store.health;
  }

  /**
   * Runs after the live state was rebuilt, in the order added: the agent desktops sign their
   * agents back in, the call flow puts back its state, the callbacks clock re-queues attempts.
   */
  onRecovered(name: string, run: () => Promise<void>): void {
    this.recoveryHooks.push({ name, run });
  }

  /**
   * The shared state was lost (Redis came back empty, a failover to a replica that missed writes,
   * a flush) or rebuilt by another node: put back what this node's replica held (every node
   * does; the newest copy of each entry wins), load the result, tell listeners what changed
   * for agents (an offer that was ringing went back to the queue), and let the rest of the node
   * put back its part. Steps wait meanwhile and then go on; no node restarts.
   */
  recover(): Promise<void> {
    if (!this.recovering) {
      const rebuilt = this.rebuild().finally(() => {
        this.recovering = null;
      });
      this.recovering = rebuilt;
      // The rest of the node puts back its part once steps can run again (its hooks take steps).
      this.track(rebuilt.then(() => this.afterRebuild()));
    }
    return this.recovering;
  }

  private async rebuild(): Promise<void> {
    const started = Date.now();
    const before = new Map(this.store.state.entries());
    const deleted = this.store.state.recentlyDeleted(2_000);
    let written = new Set<string>();
    // Read before the merge, so a timeline puts the return of a ringing offer before any new
    // offer of its call (another node may offer it between this merge and its announcement).
    let mergedAt = Date.now();
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const input = this.mergeInput(before, deleted);
        mergedAt = Date.now();
        written = new Set((await this.store.merge(input)).written);
        await this.store.resync();
        break;
      } catch (err) {
        if (attempt % 10 === 0) this.log?.warn({ err }, 'live state lost; waiting for Redis to rebuild it');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    if (this.stopped) return;
    this.coverage = null;
    const changed = this.announceChanges(before, written, mergedAt);
    this.log?.warn({ putBack: written.size, entities: before.size, agentsChanged: changed, ms: Date.now() - started }, 'live state rebuilt from this node\'s replica');
  }

  private async afterRebuild(): Promise<void> {
    if (this.stopped) return;
    for (const hook of this.recoveryHooks) {
      await hook.run().catch((err) => this.log?.error({ err, hook: hook.name }, 'could not put back part of the live state'));
    }
    this.timerAt = Infinity;
    await this.armTimer();
    await this.sweep();
  }

  private mergeInput(before: Map<string, Entity>, deleted: string[]): MergeInput {
    const now = this.now();
    const input: MergeInput = { entities: [], deleted, deadlines: [] };
    for (const [key, entity] of before) {
      const put = key === STATS_KEY ? entity : ops.restored(entity, now, this.settings);
      input.entities.push({ key, readVersion: entity.v, entity: put });
      if (key !== STATS_KEY) for (const d of ops.deadlinesOf(put, this.settings)) input.deadlines.push({ owner: key, key: d.key, at: d.at });
    }
    return input;
  }

  /**
   * Tells listeners (desktops, wallboards) what changed for agents across the rebuild. An offer
   * this node's merge returned to the queue is this node's step: its recorder writes it down.
   */
  private announceChanges(before: Map<string, Entity>, written: Set<string>, mergedAt: number): number {
    const events: [RoutingEvent, boolean][] = [];
    for (const [key, old] of before) {
      if ('status' in old) {
        // An offer that was ringing and is no more: its call's timeline says so, once (the node
        // whose merge put the call back writes it), and the agent's desk is told by every node.
        if (old.status !== 'offered' || !old.offerId || !old.agentId) continue;
        const call = this.store.state.call(old.id);
        if (call?.offerId === old.offerId) continue;
        events.push([{ type: 'offer.returned', call: call ?? old, agentId: old.agentId, offerId: old.offerId, reason: 'recovered', at: mergedAt }, written.has(key)]);
      } else if ('state' in old) {
        const now = this.store.state.get(key) as LiveAgent | undefined;
        if (now && (now.state !== old.state || now.callId !== old.callId)) events.push([{ type: 'agent.state', agent: now }, false]);
      }
    }
    for (const [e, local] of events) for (const l of this.listeners) l(e, local);
    return events.filter(([e]) => e.type === 'agent.state').length;
  }

  async start(): Promise<void> {
    await this.store.start();
    await this.armTimer();
    if (this.sweepMs > 0) {
      this.sweeper = setInterval(() => this.track(this.sweep()), this.sweepMs);
      this.sweeper.unref();
    }
  }

  /** Waits until the follow-ups of steps already taken (matching, deadlines) have run. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops timers and waits for steps already under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.sweeper) clearInterval(this.sweeper);
    await Promise.allSettled([...this.inFlight]);
  }

  on(listener: (e: RoutingEvent, local: boolean) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Calls turned away because the queue is full. No step is taken for them, so no routing event
   * tells; this node alone saw the refusal.
   */
  onRejected(listener: (call: { regionCode: string }) => void): void {
    this.rejectListeners.push(listener);
  }

  now(): number {
    return this.clock.now();
  }

  // ---- agents ------------------------------------------------------------------------------

  login(profile: ops.AgentProfileForRouting): Promise<ActionResult> {
    return this.step([agentKey(profile.id)], () => ops.login(profile, this.agent(profile.id) ?? null, this.now(), this.settings), 'login');
  }

  heartbeat(agentId: string): Promise<ActionResult> {
    return this.step([agentKey(agentId)], () => this.withAgent(agentId, (a) => ops.heartbeat(a, this.now(), this.settings)), 'not signed in');
  }

  setReady(agentId: string): Promise<ActionResult> {
    return this.step([agentKey(agentId)], () => this.withAgent(agentId, (a) => ops.setAvailability(a, 'ready', null, this.now())), 'agent is busy');
  }

  setNotReady(agentId: string, reason: NotReadyReason): Promise<ActionResult> {
    return this.step([agentKey(agentId)], () => this.withAgent(agentId, (a) => ops.setAvailability(a, 'not_ready', reason, this.now())), 'agent is busy');
  }

  logout(agentId: string): Promise<ActionResult> {
    return this.step([agentKey(agentId)], () => this.withAgent(agentId, (a) => ops.logout(a, this.now())), 'agent has a call');
  }

  accept(agentId: string, offerId: string): Promise<ActionResult> {
    return this.step(this.agentAndCallKeys(agentId), () => {
      const agent = this.agent(agentId);
      const call = agent?.callId ? this.call(agent.callId) : null;
      return agent && call ? ops.accept(call, agent, offerId, this.now(), this.settings) : null;
    }, 'the offer is no longer open');
  }

  /** The agent turned the offer down; `missed`: a seat phone that did not take it (not the agent's choice). */
  decline(agentId: string, offerId: string, { missed = false }: { missed?: boolean } = {}): Promise<ActionResult> {
    return this.step(this.agentAndCallKeys(agentId), () => {
      const agent = this.agent(agentId);
      const call = agent?.callId ? this.call(agent.callId) : null;
      return agent && call && call.offerId === offerId ? this.returnOffer(call, agent, 'declined', missed) : null;
    }, 'the offer is no longer open');
  }

  /** The agent hung up their connected call. */
  agentHangup(agentId: string, callId: string): Promise<ActionResult> {
    return this.step([agentKey(agentId), ...this.callAndAgentKeys(callId)], () => {
      const call = this.call(callId);
      if (!call || call.agentId !== agentId) return null;
      const agent = this.agent(agentId) ?? null;
      const now = this.now();
      if (call.kind === 'leg') {
        // The colleague or interpreter hangs up: the call goes on with the agent who holds it.
        const parent = call.parentId ? this.call(call.parentId) : undefined;
        return parent?.leg?.id === call.id ? legs.closeLeg(parent, call, agent, 'target_left', now, this.settings) : ops.endCall(call, agent, now, this.settings);
      }
      const { child, target } = this.legOf(call);
      // Hanging up on a consult that was answered hands the caller over, as on a desk phone.
      if (call.leg && call.leg.purpose === 'consult' && call.leg.state !== 'ringing') return legs.completeLeg(call, agent, child, target, now, this.settings);
      return legs.withLegEnded(ops.endCall(call, agent, now, this.settings), call, child, target, now, this.settings);
    }, 'no such call for this agent');
  }

  // ---- second legs (src/queue/legs.ts) ----------------------------------------------------

  /**
   * The agent opens a leg on their connected call: a consult with a ready colleague, the next
   * agent of a region, or an outside number; or an interpreter (a colleague who speaks the
   * language, the next who does anywhere in the province, or a number).
   */
  openLeg(agentId: string, callId: string, o: { purpose: LegPurpose; to: LegTo; language?: string }): Promise<{ ok: true; legId: string } | { ok: false; reason: string }> {
    const id = randomUUID();
    const offerId = randomUUID();
    const targetId = 'agentId' in o.to ? o.to.agentId : null;
    return this.step([agentKey(agentId), callKey(callId), ...(targetId ? [agentKey(targetId)] : [])], () => {
      const call = this.call(callId);
      if (!call) return null;
      const language = o.language ?? ('language' in o.to ? o.to.language : call.language);
      const target = targetId ? (this.agent(targetId) ?? null) : null;
      return legs.openLeg(call, this.agent(agentId) ?? null, { id, purpose: o.purpose, to: o.to, language, target, provinceCode: this.regions.province, offerId }, this.now(), this.settings);
    }, targetId ? 'the colleague is not ready, or does not speak the language' : 'the call is not connected to you, or already has a second leg or a transfer under way').then((r) => (r.ok ? { ok: true as const, legId: id } : r));
  }

  /** The phone system put the leg through. */
  legAnswered(callId: string, legId: string): Promise<ActionResult> {
    return this.step(this.callAndAgentKeys(callId), () => {
      const call = this.call(callId);
      return call && call.leg?.id === legId ? legs.legAnswered(call, this.legOf(call).child) : null;
    }, 'no leg ringing on this call');
  }

  mergeLeg(agentId: string, callId: string): Promise<ActionResult> {
    return this.step(this.callAndAgentKeys(callId), () => {
      const call = this.call(callId);
      return call ? legs.mergeLeg(call, this.agent(agentId) ?? null) : null;
    }, 'no consultation under way on your call');
  }

  completeLeg(agentId: string, callId: string): Promise<ActionResult> {
    return this.step(this.callAndAgentKeys(callId), () => {
      const call = this.call(callId);
      if (!call) return null;
      const { child, target } = this.legOf(call);
      return legs.completeLeg(call, this.agent(agentId) ?? null, child, target, this.now(), this.settings);
    }, 'no answered consultation on your call');
  }

  /**
   * The leg ends: cancelled or dropped by the agent holding the call (`agentId`), or reported by
   * the phone system for that leg (not reached, the other party hung up).
   */
  closeLeg(callId: string, reason: LegCloseReason, by: { agentId: string } | { legId: string }): Promise<ActionResult> {
    return this.step(this.callAndAgentKeys(callId), () => {
      const call = this.call(callId);
      if (!call || !call.leg || ('agentId' in by ? call.agentId !== by.agentId : call.leg.id !== by.legId)) return null;
      const { child, target } = this.legOf(call);
      return legs.closeLeg(call, child, target, reason, this.now(), this.settings);
    }, 'no second leg on your call');
  }

  /** The agent passes the caller to an outside number; they keep the call until it answers. */
  forward(agentId: string, callId: string, number: string): Promise<ActionResult> {
    return this.step([agentKey(agentId), callKey(callId)], () => {
      const call = this.call(callId);
      return call && call.agentId === agentId ? ops.forward(call, this.agent(agentId) ?? null, number) : null;
    }, 'the call is not connected to you, or is already being transferred');
  }

  /** The outside number answered: the call ends for the hotline, the agent goes to wrap-up. */
  forwardAnswered(callId: string): Promise<ActionResult> {
    return this.step(this.callAndAgentKeys(callId), () => {
      const call = this.call(callId);
      return call && call.forwardTo && call.agentId ? ops.endCall(call, this.agent(call.agentId) ?? null, this.now(), this.settings) : null;
    }, 'the call is not being transferred');
  }

  /** A supervisor starts, changes or stops (null) monitoring a connected call. */
  monitor(callId: string, supervisorId: string, mode: MonitorMode | null): Promise<ActionResult> {
    return this.step([callKey(callId)], () => {
      const call = this.call(callId);
      return call ? ops.monitor(call, supervisorId, mode, this.now()) : null;
    }, mode ? 'the call is not connected, is being transferred, or another supervisor is monitoring it' : 'you are not monitoring this call');
  }

  /** The outside number did not answer: the caller is the agent's again. */
  forwardFailed(callId: string, status: string, cause: string | null): Promise<ActionResult> {
    return this.step([callKey(callId)], () => {
      const call = this.call(callId);
      return call ? ops.forwardFailed(call, status, cause) : null;
    }, 'the call is not being transferred');
  }

  endWrapUp(agentId: string, next: 'ready' | 'not_ready' = 'ready'): Promise<ActionResult> {
    return this.step([agentKey(agentId)], () => this.withAgent(agentId, (a) => ops.endWrapUp(a, this.now(), next)), 'not in wrap-up');
  }

  extendWrapUp(agentId: string, seconds: number): Promise<ActionResult> {
    return this.step([agentKey(agentId)], () => this.withAgent(agentId, (a) => ops.extendWrapUp(a, seconds, this.now(), this.settings)), 'not in wrap-up');
  }

  // ---- calls -------------------------------------------------------------------------------

  async enqueue(input: Omit<ops.NewCall, 'kind'> & { kind?: ops.NewCall['kind'] }): Promise<EnqueueResult> {
    if (this.store.state.waitingSize() >= this.settings.maxQueueSize) {
      for (const l of this.rejectListeners) l({ regionCode: input.regionCode });
      return { status: 'rejected', reason: 'queue_full' };
    }
    const call = { kind: 'call' as const, ...input };
    const result = await this.step([callKey(call.id)], () => (this.call(call.id) ? null : ops.enqueue(call, this.now(), this.settings)), 'call already queued');
    if (!result.ok) throw new Error(`call ${call.id} is already in the queue`);
    const estimate = this.estimate(call.id);
    const wait = estimate?.estimatedWaitSeconds ?? null;
    return {
      status: 'queued',
      callId: call.id,
      position: estimate?.position ?? 0,
      estimatedWaitSeconds: wait,
      offerCallback: wait === null || wait > this.settings.callbackThresholdSeconds,
    };
  }

  /**
   * The caller hung up: a queued call leaves at once (abandoned); a connected one ends, or, when
   * the phone system never bridged it (`bridged: false`), is abandoned and frees the agent.
   * `at`: when the caller left, if that was before now (a hang-up the phone system reported late).
   */
  callerHangup(callId: string, o: { at?: number; bridged?: boolean } = {}): Promise<ActionResult> {
    return this.step(this.callAndAgentKeys(callId), () => {
      const call = this.call(callId);
      if (!call) return null;
      const agent = call.agentId ? this.agent(call.agentId) ?? null : null;
      const now = this.now();
      const at = Math.min(o.at ?? now, now);
      if (call.status !== 'connected') return ops.leaveQueue(call, agent, 'abandoned', now, this.settings, at);
      const { child, target } = this.legOf(call);
      return legs.withLegEnded(o.bridged === false ? ops.leaveBeforeBridge(call, agent, now, at) : ops.endCall(call, agent, now, this.settings, at), call, child, target, now, this.settings);
    }, 'no such call');
  }

  /** The caller took the callback offer: the call leaves the queue (src/callbacks keeps the promise). */
  requestCallback(callId: string): Promise<ActionResult> {
    return this.step(this.callAndAgentKeys(callId), () => {
      const c = this.call(callId);
      return c ? ops.leaveQueue(c, c.agentId ? this.agent(c.agentId) ?? null : null, 'callback', this.now(), this.settings) : null;
    }, 'the call is no longer queued');
  }

  /**
   * An attempt at a callback, routed like a call at raised priority. `id` is the attempt's (its
   * outbound call record's) id, `origin` the callback's; queueing the same attempt twice (two
   * nodes repairing after a lost live state) queues it once.
   */
  async enqueueCallback(input: { id: string; origin: string; regionCode: string; language: string; topic: string; priority: number }): Promise<ActionResult> {
    return this.step([callKey(input.id)], () =>
      this.call(input.id) ? null : ops.enqueue({ ...input, kind: 'callback', priority: input.priority + this.settings.callbackPriorityBoost }, this.now(), this.settings),
    'already queued');
  }

  /** A callback not yet taken goes back to being a promise (outside calling hours). */
  withdraw(callId: string): Promise<ActionResult> {
    return this.step([callKey(callId)], () => {
      const c = this.call(callId);
      return c && c.kind === 'callback' && c.status === 'waiting' ? ops.leaveQueue(c, null, 'withdrawn', this.now(), this.settings) : null;
    }, 'not a waiting callback');
  }

  /**
   * The phone system bridged an accepted call: it is answered from `at` (when the phone system
   * reported it; the step itself may run later, behind the call's other work).
   */
  bridged(callId: string, at?: number): Promise<ActionResult> {
    return this.step([callKey(callId)], () => {
      const c = this.call(callId);
      return c ? ops.bridged(c, Math.min(at ?? this.now(), this.now())) : null;
    }, 'not a connected call');
  }

  /** The phone system could not bridge an accepted call: back to its place in the queue. */
  bridgeFailed(callId: string): Promise<ActionResult> {
    return this.step(this.callAndAgentKeys(callId), () => {
      const call = this.call(callId);
      return call ? ops.bridgeFailed(call, call.agentId ? this.agent(call.agentId) ?? null : null, this.now(), this.settings) : null;
    }, 'the call is not connected');
  }

  /** The agent's live record, if they have signed in since the live state began. */
  liveAgent(agentId: string): LiveAgent | undefined {
    return this.agent(agentId);
  }

  /** The agent hands their connected call to a region's queue or to a ready colleague. */
  transfer(agentId: string, callId: string, to: { region: string } | { agentId: string }): Promise<ActionResult> {
    const keys = [agentKey(agentId), callKey(callId), ...('agentId' in to ? [agentKey(to.agentId)] : [])];
    const offerId = randomUUID();
    return this.step(keys, () => {
      const call = this.call(callId);
      if (!call || call.agentId !== agentId) return null;
      const target = 'agentId' in to ? this.agent(to.agentId) : null;
      if ('agentId' in to && !target) return null;
      return ops.transfer(call, this.agent(agentId) ?? null, target ? { agent: target } : { region: (to as { region: string }).region }, offerId, this.now(), this.settings);
    }, 'agentId' in to ? 'the colleague is not ready to take a call' : 'the call is not connected to you');
  }

  /** The live call, if it is in the queue or connected. */
  liveCall(callId: string): LiveCall | undefined {
    return this.call(callId);
  }

  /** Position among waiting calls in the same language, and the expected wait. */
  estimate(callId: string): QueueEstimate | null {
    const call = this.call(callId);
    if (!call || call.status !== 'waiting') return null;
    const position = Math.max(0, this.store.state.placeInLine(call));
    let staffed = 0;
    let ready = 0;
    for (const a of this.store.state.agents()) {
      if (!((a.languages[call.language] ?? 0) >= 1)) continue;
      if (a.state === 'ready') ready++;
      if (a.state === 'ready' || a.state === 'reserved' || a.state === 'on_call' || a.state === 'wrap_up') staffed++;
    }
    if (staffed === 0) return { position, estimatedWaitSeconds: null, staffed };
    if (ready > position) return { position, estimatedWaitSeconds: 0, staffed };
    const handleMs = this.store.state.stats()?.handleMs ?? this.settings.defaultHandleSeconds * 1000;
    // With every staffed agent busy, the k-th caller in line waits about k handle times shared
    // among them (exact for exponential handle times).
    return { position, estimatedWaitSeconds: Math.round(((position + 1) * handleMs) / staffed / 1000), staffed };
  }

  // ---- matching ----------------------------------------------------------------------------

  private context(): PolicyContext {
    const state = this.store.state;
    if (!this.coverage || this.coverage.version !== state.rosterVersion) {
      this.coverage = { version: state.rosterVersion, value: new Coverage(state.agents(), this.regions) };
    }
    return { steps: this.settings.steps, regions: this.regions, coverage: this.coverage.value, now: this.now(), roster: state.rosterVersion };
  }

  /** Offers a waiting call to the best ready agent, if one may take it. */
  async dispatchCall(callId: string): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_MATCH_ATTEMPTS && !this.stopped; attempt++) {
      const call = this.call(callId);
      if (!call || call.status !== 'waiting') return false;
      if (this.offeringCalls.has(callId)) return false;
      const ctx = this.context();
      // Only agents the call's current step allows can be chosen: look among those alone.
      const root = this.regions.scopeRoot(call.regionCode, ctx.steps[currentStep(call, ctx)]!.scope);
      const serving = this.regions.servingWithin(root);
      const candidates = serving ? this.store.state.readyServing(serving) : this.store.state.readyAgents();
      const agent = selectAgent(call, candidates, ctx, this.offeringAgents);
      if (!agent) return false;
      if (await this.offer(call, agent)) return true;
    }
    return false;
  }

  /** Offers a newly ready agent the first waiting call they may take. */
  async dispatchAgent(agentId: string): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_MATCH_ATTEMPTS && !this.stopped; attempt++) {
      const agent = this.agent(agentId);
      if (!agent || agent.state !== 'ready') return false;
      if (this.offeringAgents.has(agentId)) return false;
      const call = selectCallFromBuckets(agent, this.buckets(agent), this.context(), this.offeringCalls);
      if (!call) return false;
      if (await this.offer(call, agent)) return true;
    }
    return false;
  }

  private buckets(agent: LiveAgent): (readonly CallBucket[])[] {
    return Object.keys(agent.languages).map((language) => this.store.state.waitingBuckets(language));
  }

  private async offer(call: LiveCall, agent: LiveAgent): Promise<boolean> {
    if (this.recovering) return false;
    const tx = ops.offer(call, agent, randomUUID(), this.now(), this.settings);
    this.offeringCalls.add(call.id);
    this.offeringAgents.add(agent.id);
    try {
      if (tx && (await this.store.commit(tx))) return true;
      await this.store.refresh([callKey(call.id), agentKey(agent.id)]);
    } catch (err) {
      // Matching runs again once the state is put back (recover() ends with a sweep).
      if (err instanceof LiveStateLostError) return false;
      throw err;
    } finally {
      this.offeringCalls.delete(call.id);
      this.offeringAgents.delete(agent.id);
    }
    return false;
  }

  // ---- plumbing ----------------------------------------------------------------------------

  /**
   * An offer declined or rung out goes back to the queue — but a leg meant for one colleague
   * is not theirs to pass on: it ends, and the agent who asked is told.
   */
  private returnOffer(call: LiveCall, agent: LiveAgent | null, reason: 'declined' | 'timeout' | 'agent_lost', missed?: boolean): Tx | null {
    const parent = call.kind === 'leg' && call.parentId ? this.call(call.parentId) : undefined;
    if (parent?.leg?.id === call.id && 'agentId' in parent.leg.to) {
      return legs.closeLeg(parent, call, agent, 'unanswered', this.now(), this.settings, reason === 'declined' && missed !== true ? 'declined' : 'missed');
    }
    return ops.returnOffer(call, agent, reason, this.now(), this.settings, missed);
  }

  private call(id: string): LiveCall | undefined {
    return this.store.state.call(id);
  }

  private agent(id: string): LiveAgent | undefined {
    return this.store.state.agent(id);
  }

  private withAgent(agentId: string, build: (a: LiveAgent) => Tx | null): Tx | null {
    const agent = this.agent(agentId);
    return agent ? build(agent) : null;
  }

  private agentAndCallKeys(agentId: string): string[] {
    const callId = this.agent(agentId)?.callId;
    return callId ? [agentKey(agentId), ...this.callAndAgentKeys(callId)] : [agentKey(agentId)];
  }

  /** The call, its agent, and its leg's (or, for a leg, its parent's) call and agent. */
  private callAndAgentKeys(callId: string): string[] {
    const call = this.call(callId);
    const keys = [callKey(callId)];
    if (call?.agentId) keys.push(agentKey(call.agentId));
    const other = call?.leg?.id ?? call?.parentId;
    const related = other ? this.call(other) : undefined;
    if (other) keys.push(callKey(other));
    if (related?.agentId) keys.push(agentKey(related.agentId));
    return [...new Set(keys)];
  }

  /** A call's leg's routed call and the agent on it (nulls when there are none). */
  private legOf(call: LiveCall): { child: LiveCall | null; target: LiveAgent | null } {
    const child = call.leg ? (this.call(call.leg.id) ?? null) : null;
    return { child, target: child?.agentId ? (this.agent(child.agentId) ?? null) : null };
  }

  /**
   * Builds a step from the current view and commits it; on a version conflict re-reads what it
   * touched and tries again. `build` returning null means the step does not apply.
   */
  private async step(keys: string[], build: () => Tx | null, refusal: string): Promise<ActionResult> {
    let refreshed = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (this.recovering) await this.recovering;
      const tx = build();
      if (!tx) {
        // This node's view may be behind another node's step: look again before refusing.
        if (refreshed || this.store.kind === 'memory') return { ok: false, reason: refusal };
        try {
          await this.store.refresh(keys);
        } catch (err) {
          if (!(err instanceof LiveStateLostError)) throw err;
          await this.recover();
          continue;
        }
        refreshed = true;
        continue;
      }
      // Stamped before the commit: another node's step on what this one wrote is built later.
      const at = Date.now();
      for (const e of tx.events) e.at ??= at;
      try {
        if (await this.store.commit(tx)) return { ok: true };
        await this.store.refresh([...new Set([...keys, ...Object.keys(tx.expect)])]);
      } catch (err) {
        if (!(err instanceof LiveStateLostError)) throw err;
        // The state this step was built on is gone: wait for it to be put back, then build again.
        await this.recover();
        continue;
      }
      refreshed = true;
    }
    throw new Error(`routing step kept conflicting after ${MAX_ATTEMPTS} attempts`);
  }

  private track<T>(p: Promise<T>): void {
    const tracked = p.catch((err) => this.log?.error({ err }, 'routing step failed'));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  /** Follow-ups to a commit: match what became matchable, re-arm the timer, tell listeners. */
  private committed(c: Committed): void {
    for (const e of c.events) for (const l of this.listeners) l(e, c.local);
    if (c.addDeadlines.length > 0) {
      const earliest = Math.min(...c.addDeadlines.map((d) => d.at));
      if (earliest < this.timerAt) this.track(this.armTimer(earliest));
    }
    if (this.stopped) return;
    // Remote steps too: another node matched with its own view, which may have lacked a call
    // or an agent this node already knew. A duplicate attempt just loses the version check.
    for (const e of c.events) {
      if (e.type === 'call.queued' || e.type === 'offer.returned' || e.type === 'call.interpreting' || (e.type === 'call.transferred' && 'region' in e.to)) this.track(this.dispatchCall(e.call.id));
      else if (e.type === 'agent.state' && e.agent.state === 'ready') this.track(this.dispatchAgent(e.agent.id));
      else if (e.type === 'alert.missed' && c.local) this.log?.warn({ callId: e.call.id, missedBy: e.missedBy }, 'call missed by several agents');
    }
  }

  private async armTimer(hint?: number): Promise<void> {
    if (this.stopped || !this.timers) return;
    const next = hint ?? (await this.store.nextDeadline());
    if (next === null || next >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      this.timer = null;
      this.track(this.runDue());
    }, Math.max(0, next - this.now()));
  }

  /** Acts on every deadline due by now (timers call this; so may a caller driving the clock). */
  async processDue(): Promise<void> {
    await this.runDue();
    await this.settled();
  }

  private async runDue(): Promise<void> {
    // Deadlines wait while the state is rebuilt: a session must have its chance to be renewed first.
    if (this.recovering) await this.recovering;
    try {
      for (;;) {
        const due = await this.store.claimDue(this.now(), 200);
        for (const key of due) await this.fireDeadline(key).catch((err) => this.log?.error({ err, key }, 'deadline failed'));
        if (due.length < 200) break;
      }
      await this.armTimer();
    } catch (err) {
      // Redis did not answer: look again shortly rather than never (no deadline may be dropped).
      this.log?.warn({ err }, 'could not read due deadlines; trying again in 1 s');
      if (!this.stopped && this.timers) await this.armTimer(this.now() + 1_000).catch(() => {});
    }
  }

  /** Acts on a deadline that fell due; stale ones (the state moved on) change nothing. */
  async fireDeadline(key: string): Promise<void> {
    const [kind, id, extra] = key.split(':') as [string, string, string | undefined];
    const now = this.now();
    switch (kind) {
      case 'offer':
        await this.step(this.callAndAgentKeys(id), () => {
          const call = this.call(id);
          if (!call || call.offerId !== extra) return null;
          return this.returnOffer(call, call.agentId ? this.agent(call.agentId) ?? null : null, 'timeout');
        }, 'stale');
        return;
      case 'step':
        await this.dispatchCall(id);
        return;
      case 'maxwait':
        await this.step(this.callAndAgentKeys(id), () => {
          const call = this.call(id);
          if (!call || (call.status !== 'waiting' && call.status !== 'offered')) return null;
          return ops.leaveQueue(call, call.agentId ? this.agent(call.agentId) ?? null : null, 'timeout', now, this.settings);
        }, 'stale');
        return;
      case 'interp':
        await this.step([callKey(id)], () => {
          const call = this.call(id);
          return call ? ops.interpreterFallback(call, FALLBACK_LANGUAGE, now, 5_000) : null;
        }, 'stale');
        return;
      case 'wrapup': {
        const agent = this.agent(id);
        if (!agent || agent.state !== 'wrap_up' || (agent.wrapUpEndsAt ?? 0) > now) return;
        const gone = agent.presenceExpiresAt <= now;
        await this.endWrapUp(id, gone ? 'not_ready' : 'ready');
        if (gone) await this.logout(id);
        return;
      }
      case 'presence': {
        const agent = this.agent(id);
        if (!agent || agent.presenceExpiresAt > now) return;
        if (agent.state === 'reserved' && agent.callId) {
          await this.step([agentKey(id), callKey(agent.callId)], () => {
            const a = this.agent(id);
            const call = a?.callId ? this.call(a.callId) : null;
            return a && call ? this.returnOffer(call, a, 'agent_lost') : null;
          }, 'stale');
        } else {
          await this.logout(id);
        }
        return;
      }
      default:
        this.log?.warn({ key }, 'unknown deadline');
    }
  }

  /**
   * Backstop for steps a node died in the middle of: offers and wrap-ups past their time,
   * sessions past their grace, and ready agents next to calls they could take.
   */
  async sweep(): Promise<void> {
    if (this.stopped) return;
    const now = this.now();
    const late = now - 1_000;
    for (const call of [...this.store.state.calls()]) {
      if (call.status === 'offered' && call.offerExpiresAt !== null && call.offerExpiresAt < late) await this.fireDeadline(`offer:${call.id}:${call.offerId}`);
    }
    for (const agent of [...this.store.state.agents()]) {
      if (agent.state !== 'offline' && agent.presenceExpiresAt < late) await this.fireDeadline(`presence:${agent.id}`);
      else if (agent.state === 'wrap_up' && (agent.wrapUpEndsAt ?? Infinity) < late) await this.fireDeadline(`wrapup:${agent.id}`);
      else if ((agent.state === 'reserved' || agent.state === 'on_call') && agent.since < late) await this.releaseIfStale(agent.id);
    }
    if (this.store.state.waitingSize() === 0) return;
    for (const agent of [...this.store.state.readyAgents()]) await this.dispatchAgent(agent.id);
  }

  /** An agent held for a call the state no longer gives them (a rebuilt state): released. */
  private releaseIfStale(agentId: string): Promise<ActionResult> {
    return this.step([agentKey(agentId)], () => {
      const agent = this.agent(agentId);
      if (!agent) return null;
      const call = agent.callId ? this.call(agent.callId) ?? null : null;
      return ops.releaseStale(agent, call, this.now(), this.settings);
    }, 'not stale');
  }

  /** Waiting calls and agents by state, per region, for supervisors. */
  snapshot() {
    const state = this.store.state;
    return {
      calls: [...state.calls()],
      agents: [...state.agents()],
      waiting: state.waitingSize(),
      handleSeconds: Math.round((state.stats()?.handleMs ?? this.settings.defaultHandleSeconds * 1000) / 1000),
    };
  }
}
