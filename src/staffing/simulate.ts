import { Coverage, currentStep, type PolicyContext, RoutingRegions, selectAgent, selectCall } from '../queue/policy';
import { DEFAULT_ROUTING, type RoutingSettings, RoutingSettingsSchema } from '../queue/settings';
import type { LiveAgent, LiveCall } from '../queue/types';
import type { RegionDirectory } from '../regions/region-directory';
import { exponential, seededRandom } from '../sim/random';

/**
 * A discrete-event simulation of one day under a seat plan, routed by the real policy.
 *
 * Synchronous: it is pure CPU work (a day of 20,000 calls takes under 0.2 s on the project's
 * machine, bench:staffing), so an async signature would only add overhead; a route can run it
 * directly or in a worker.
 *
 * Why not the Router class: driving the Router (async steps, a live store, transactions and
 * deadlines) costs about 3,000 whole calls a second on this machine kind (bench:routing), too slow
 * for 20,000 calls in under 2 s. So this is an event-driven simulator that makes every routing
 * decision with the same policy functions the Router uses (src/queue/policy.ts): `RoutingRegions`
 * (scope roots, locality), `Coverage` (a step with nobody signed in who could answer is skipped at
 * once), `currentStep`, `selectAgent` (most local, then best at the topic and language, then
 * longest idle) for a waiting call, and `selectCall` (priority, then longest wait, among the
 * calls the agent may take at their current step) for an agent who becomes free. Candidates
 * handed to those functions are pre-filtered by region (ready agents within the call's scope root;
 * the oldest waiting call of each region) — which changes no answer, since the others are not
 * eligible or are behind in service order.
 *
 * Model: Poisson arrivals per region and interval (demand = expected calls), one language and one
 * topic (every agent speaks and lists it), exponential handle times (AHT = talk + wrap-up, so no
 * separate wrap-up), exponential patience (or none), offers always accepted at once (no ring
 * time, no declines). Agents per region per interval follow the plan: at each boundary missing
 * agents sign in ready and surplus ones sign out — idle ones first (longest idle first), busy
 * ones finishing their call. After the last interval its agents stay until the queue is empty.
 * Arrival times, handle times and patience are drawn from the seed alone, so two plans run with
 * the same seed see exactly the same callers (common random numbers).
 * Service level = answered within the threshold / offered (abandoned and never answered callers
 * included); asa = average wait of answered callers; abandonment = abandoned / offered.
 */

export interface SimulationInput {
  seed: number;
  intervalSeconds: number;
  ahtSeconds: number;
  /** Mean patience (exponential); null: nobody hangs up. */
  patienceSeconds: number | null;
  thresholdSeconds: number;
  /** Agents on the phones per region per interval. */
  plan: Record<string, number[]>;
  /** Expected calls per region per interval. */
  demand: Record<string, number[]>;
  steps?: RoutingSettings['steps'];
}

export interface SimulatedOutcome {
  offered: number;
  answered: number;
  abandoned: number;
  serviceLevel: number;
  asa: number;
  abandonment: number;
}

export interface SimulationResult {
  regions: Record<string, SimulatedOutcome>;
  province: SimulatedOutcome;
  calls: number;
  events: number;
}

const LANGUAGE = 'zh';
const TOPIC = 'other';
// Event kinds.
const END = 0;
const STEP = 1;
const ABANDON = 2;
const BOUNDARY = 3;

export function simulateDay(input: SimulationInput, regions: RegionDirectory): SimulationResult {
  const steps = RoutingSettingsSchema.shape.steps.parse(input.steps ?? DEFAULT_ROUTING.steps);
  const L = validate(input, regions);
  const routing = new RoutingRegions(regions);
  const codes = routing.codes;
  const R = codes.length;
  const regionIndex = (code: string) => routing.index(regions.require(code).code);
  const intervalMs = input.intervalSeconds * 1000;
  const thresholdMs = input.thresholdSeconds * 1000;

  const plan: number[][] = Array.from({ length: R }, () => []);
  for (const [code, values] of Object.entries(input.plan)) plan[regionIndex(code)] = values;

  // Regions within each region (itself and below), for the scope pre-filter.
  const within: number[][] = codes.map((code) => regions.subtree(code).map((c) => routing.index(c)));

  // ---- callers (drawn from the seed alone) ----------------------------------------------------
  const random = seededRandom(input.seed);
  const arrivals: { at: number; region: number; handle: number; patience: number }[] = [];
  for (const code of Object.keys(input.demand).sort()) {
    const r = regionIndex(code);
    input.demand[code]!.forEach((expected, i) => {
      if (expected <= 0) return;
      const mean = intervalMs / expected;
      for (let t = i * intervalMs + exponential(random, mean); t < (i + 1) * intervalMs; t += exponential(random, mean)) {
        arrivals.push({
          at: t,
          region: r,
          handle: exponential(random, input.ahtSeconds * 1000),
          patience: input.patienceSeconds === null ? Infinity : exponential(random, input.patienceSeconds * 1000),
        });
      }
    });
  }
  arrivals.sort((a, b) => a.at - b.at || a.region - b.region);

  // ---- state ----------------------------------------------------------------------------------
  const calls: LiveCall[] = [];
  const callRegion: number[] = [];
  const callPatience: number[] = [];
  const callHandle: number[] = [];
  const queued: boolean[] = [];
  const stepOf: number[] = [];
  const queues: number[][] = Array.from({ length: R }, () => []);
  const queueHead = new Array<number>(R).fill(0);
  const waiting = new Array<number>(R).fill(0);
  const nonEmpty = new Set<number>();

  const agents: LiveAgent[] = [];
  const agentRegion: number[] = [];
  const agentCall: number[] = [];
  const leaving: boolean[] = [];
  const agentsOf: number[][] = Array.from({ length: R }, () => []);
  const ready: Set<number>[] = Array.from({ length: R }, () => new Set());
  const signedIn = new Array<number>(R).fill(0);
  const active = new Array<number>(R).fill(0);
  const agentIndex = new Map<string, number>();

  const stats = Array.from({ length: R }, () => ({ offered: 0, answered: 0, abandoned: 0, within: 0, waitMs: 0 }));
  const ctx: PolicyContext = { steps, regions: routing, coverage: new Coverage([], routing), now: 0 };
  let coverageDirty = true;
  const coverage = () => {
    if (coverageDirty) {
      ctx.coverage = new Coverage(agents.filter((a) => a.state !== 'offline'), routing);
      coverageDirty = false;
    }
    return ctx.coverage;
  };

  // ---- event heap (time, sequence) ------------------------------------------------------------
  const heapAt: number[] = [];
  const heapSeq: number[] = [];
  const heapKind: number[] = [];
  const heapId: number[] = [];
  let seq = 0;
  const less = (i: number, j: number) => heapAt[i]! < heapAt[j]! || (heapAt[i] === heapAt[j] && heapSeq[i]! < heapSeq[j]!);
  const swap = (i: number, j: number) => {
    [heapAt[i], heapAt[j]] = [heapAt[j]!, heapAt[i]!];
    [heapSeq[i], heapSeq[j]] = [heapSeq[j]!, heapSeq[i]!];
    [heapKind[i], heapKind[j]] = [heapKind[j]!, heapKind[i]!];
    [heapId[i], heapId[j]] = [heapId[j]!, heapId[i]!];
  };
  const push = (at: number, kind: number, id: number) => {
    let i = heapAt.length;
    heapAt.push(at);
    heapSeq.push(seq++);
    heapKind.push(kind);
    heapId.push(id);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(i, p)) break;
      swap(i, p);
      i = p;
    }
  };
  const pop = () => {
    const last = heapAt.length - 1;
    swap(0, last);
    const at = heapAt.pop()!;
    heapSeq.pop();
    const kind = heapKind.pop()!;
    const id = heapId.pop()!;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heapAt.length && less(l, m)) m = l;
      if (r < heapAt.length && less(r, m)) m = r;
      if (m === i) break;
      swap(i, m);
      i = m;
    }
    return { at, kind, id };
  };

  // ---- routing --------------------------------------------------------------------------------
  function* readyWithin(root: number): Generator<LiveAgent> {
    for (const r of within[root]!) for (const a of ready[r]!) yield agents[a]!;
  }

  const headOf = (r: number): LiveCall | null => {
    const q = queues[r]!;
    while (queueHead[r]! < q.length && calls[q[queueHead[r]!]!]!.status !== 'waiting') queueHead[r]!++;
    return queueHead[r]! < q.length ? calls[q[queueHead[r]!]!]! : null;
  };
  function* heads(): Generator<LiveCall> {
    for (const r of nonEmpty) {
      const h = headOf(r);
      if (h) yield h;
    }
  }

  const leaveQueue = (c: number) => {
    const r = callRegion[c]!;
    if (--waiting[r]! === 0) nonEmpty.delete(r);
  };

  const connect = (c: number, a: number, now: number) => {
    const call = calls[c]!;
    const agent = agents[a]!;
    const r = callRegion[c]!;
    if (queued[c]) {
      queued[c] = false;
      leaveQueue(c);
    }
    call.status = 'connected';
    call.answeredAt = now;
    call.agentId = agent.id;
    agent.state = 'on_call';
    agent.since = now;
    agent.callId = call.id;
    ready[agentRegion[a]!]!.delete(a);
    agentCall[a] = c;
    const wait = now - call.enqueuedAt;
    const s = stats[r]!;
    s.answered++;
    s.waitMs += wait;
    if (wait <= thresholdMs) s.within++;
    push(now + callHandle[c]!, END, a);
  };

  /** A free agent takes the first call in service order they may take, or waits ready. */
  const agentFree = (a: number, now: number) => {
    const agent = agents[a]!;
    agent.state = 'ready';
    agent.callId = null;
    ctx.now = now;
    coverage();
    const call = nonEmpty.size > 0 ? selectCall(agent, heads(), ctx) : null;
    if (call) {
      connect(callIndex(call), a, now);
      return;
    }
    agent.idleSince = now;
    agent.since = now;
    ready[agentRegion[a]!]!.add(a);
  };

  /** A waiting call goes to the best ready agent who may take it at its current step, if any. */
  const dispatchCall = (c: number, now: number): boolean => {
    const call = calls[c]!;
    ctx.now = now;
    coverage();
    const step = steps[currentStep(call, ctx)]!;
    const root = routing.index(routing.scopeRoot(call.regionCode, step.scope));
    const agent = selectAgent(call, readyWithin(root), ctx);
    if (!agent) return false;
    connect(c, agentIndex.get(agent.id)!, now);
    return true;
  };

  /** After the roster changed: every ready agent, longest idle first, looks for a call again. */
  const redispatchReady = (now: number) => {
    if (nonEmpty.size === 0) return;
    const idle: number[] = [];
    for (const set of ready) for (const a of set) idle.push(a);
    idle.sort((x, y) => (agents[x]!.idleSince ?? 0) - (agents[y]!.idleSince ?? 0) || x - y);
    ctx.now = now;
    coverage();
    for (const a of idle) {
      if (nonEmpty.size === 0) break;
      const call = selectCall(agents[a]!, heads(), ctx);
      if (call) connect(callIndex(call), a, now);
    }
  };

  const callIndex = (call: LiveCall) => Number(call.id.slice(1));

  const signIn = (r: number, now: number) => {
    let a = agentsOf[r]!.find((i) => agents[i]!.state === 'offline');
    if (a === undefined) {
      a = agents.length;
      const id = `a${a}`;
      agents.push({
        id, v: 1, regionCode: codes[r]!, languages: { [LANGUAGE]: 5 }, topics: { [TOPIC]: 3 }, state: 'offline', reason: null,
        since: now, idleSince: null, callId: null, offerId: null, wrapUpEndsAt: null, handleStart: null, presenceExpiresAt: Infinity,
      });
      agentRegion.push(r);
      agentCall.push(-1);
      leaving.push(false);
      agentsOf[r]!.push(a);
      agentIndex.set(id, a);
    }
    const agent = agents[a]!;
    agent.state = 'ready';
    agent.since = now;
    agent.idleSince = now;
    leaving[a] = false;
    ready[r]!.add(a);
    if (signedIn[r]!++ === 0) coverageDirty = true;
    active[r]!++;
  };

  const signOut = (a: number, now: number) => {
    const r = agentRegion[a]!;
    const agent = agents[a]!;
    agent.state = 'offline';
    agent.since = now;
    agent.idleSince = null;
    agent.callId = null;
    ready[r]!.delete(a);
    leaving[a] = false;
    if (--signedIn[r]! === 0) coverageDirty = true;
  };

  const boundary = (i: number, now: number) => {
    for (let r = 0; r < R; r++) {
      const want = plan[r]![i] ?? 0;
      if (want > active[r]!) {
        // Busy agents who were to leave stay on instead, then new agents sign in.
        for (const a of agentsOf[r]!) {
          if (want <= active[r]!) break;
          if (leaving[a]) {
            leaving[a] = false;
            active[r]!++;
          }
        }
        while (active[r]! < want) signIn(r, now);
      } else if (want < active[r]!) {
        for (const a of [...ready[r]!]) {
          if (active[r]! <= want) break;
          signOut(a, now);
          active[r]!--;
        }
        for (const a of agentsOf[r]!) {
          if (active[r]! <= want) break;
          if (agents[a]!.state === 'on_call' && !leaving[a]) {
            leaving[a] = true;
            active[r]!--;
          }
        }
      }
    }
    redispatchReady(now);
  };

  // ---- run ------------------------------------------------------------------------------------
  for (let i = 0; i < L; i++) push(i * intervalMs, BOUNDARY, i);
  let next = 0;
  let events = 0;
  while (next < arrivals.length || heapAt.length > 0) {
    const arrivalFirst = next < arrivals.length && (heapAt.length === 0 || arrivals[next]!.at < heapAt[0]!);
    events++;
    if (arrivalFirst) {
      const arrival = arrivals[next++]!;
      const c = calls.length;
      const now = arrival.at;
      const call: LiveCall = {
        id: `c${c}`, v: 1, kind: 'call', regionCode: codes[arrival.region]!, language: LANGUAGE, topic: TOPIC, priority: 0, enqueuedAt: now,
        status: 'waiting', agentId: null, offerId: null, offerExpiresAt: null, answeredAt: null, missedBy: [],
      };
      calls.push(call);
      callRegion.push(arrival.region);
      callPatience.push(arrival.patience);
      callHandle.push(arrival.handle);
      queued.push(false);
      stepOf.push(0);
      stats[arrival.region]!.offered++;
      if (dispatchCall(c, now)) continue;
      queues[arrival.region]!.push(c);
      queued[c] = true;
      if (waiting[arrival.region]!++ === 0) nonEmpty.add(arrival.region);
      scheduleStep(c, 1);
      if (arrival.patience < Infinity) push(now + arrival.patience, ABANDON, c);
      continue;
    }
    const e = pop();
    switch (e.kind) {
      case END: {
        const a = e.id;
        agentCall[a] = -1;
        if (leaving[a]) {
          signOut(a, e.at);
          if (coverageDirty) redispatchReady(e.at);
        } else agentFree(a, e.at);
        break;
      }
      case STEP: {
        const c = e.id;
        if (calls[c]!.status !== 'waiting') break;
        if (!dispatchCall(c, e.at)) scheduleStep(c, stepOf[c]! + 1);
        break;
      }
      case ABANDON: {
        const c = e.id;
        const call = calls[c]!;
        if (call.status !== 'waiting') break;
        // Gone (the live state deletes it): any status but 'waiting' keeps it out of matching.
        call.status = 'connected';
        queued[c] = false;
        leaveQueue(c);
        stats[callRegion[c]!]!.abandoned++;
        break;
      }
      case BOUNDARY:
        boundary(e.id, e.at);
        break;
    }
  }

  /** The overflow step `i` (by waiting time) as an event for this call: eligibility widens then. */
  function scheduleStep(c: number, i: number) {
    const step = steps[i];
    if (!step) return;
    stepOf[c] = i;
    push(calls[c]!.enqueuedAt + step.afterSeconds * 1000, STEP, c);
  }

  const outcome = (s: { offered: number; answered: number; abandoned: number; within: number; waitMs: number }): SimulatedOutcome => ({
    offered: s.offered,
    answered: s.answered,
    abandoned: s.abandoned,
    serviceLevel: s.offered > 0 ? s.within / s.offered : 1,
    asa: s.answered > 0 ? s.waitMs / s.answered / 1000 : 0,
    abandonment: s.offered > 0 ? s.abandoned / s.offered : 0,
  });
  const out: Record<string, SimulatedOutcome> = {};
  const total = { offered: 0, answered: 0, abandoned: 0, within: 0, waitMs: 0 };
  const shown = new Set([...Object.keys(input.plan), ...Object.keys(input.demand)].map((c) => regionIndex(c)));
  for (let r = 0; r < R; r++) {
    const s = stats[r]!;
    if (shown.has(r)) out[codes[r]!] = outcome(s);
    total.offered += s.offered;
    total.answered += s.answered;
    total.abandoned += s.abandoned;
    total.within += s.within;
    total.waitMs += s.waitMs;
  }
  return { regions: out, province: outcome(total), calls: calls.length, events };
}

/** Checks the input; returns the number of intervals. */
function validate(input: SimulationInput, regions: RegionDirectory): number {
  const positive = (x: number, name: string) => {
    if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`${name} must be a finite number > 0`);
  };
  positive(input.intervalSeconds, 'intervalSeconds');
  positive(input.ahtSeconds, 'ahtSeconds');
  if (input.patienceSeconds !== null) positive(input.patienceSeconds, 'patienceSeconds');
  if (!(input.thresholdSeconds >= 0) || !Number.isFinite(input.thresholdSeconds)) throw new RangeError('thresholdSeconds must be a finite number ≥ 0');
  if (!Number.isFinite(input.seed)) throw new RangeError('seed must be a number');
  let L = 0;
  for (const [what, series] of [['plan', input.plan], ['demand', input.demand]] as const) {
    for (const [code, values] of Object.entries(series)) {
      if (!regions.get(code)) throw new RangeError(`${what}: ${code} is not a region of this province`);
      values.forEach((x, i) => {
        if (what === 'plan' ? !Number.isInteger(x) || x < 0 : !(x >= 0) || !Number.isFinite(x)) {
          throw new RangeError(`${what}[${code}][${i}] must be ${what === 'plan' ? 'a whole number of agents ≥ 0' : 'a finite number of calls ≥ 0'}`);
        }
      });
      L = Math.max(L, values.length);
    }
  }
  return L;
}
