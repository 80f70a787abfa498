import type { RegionDirectory } from '../regions/region-directory';
import type { OverflowStep } from './settings';
import type { CallBucket } from './live-state';
import { ANY_TOPIC, type LiveAgent, type LiveCall } from './types';

/**
 * The routing policy: plain functions of the live state, no store, no clock of their own.
 * Language is never relaxed; region widens step by step (county → prefecture → province);
 * topic is required until a step relaxes it.
 */

/** Region facts the policy needs, precomputed so each check is a map lookup. */
export class RoutingRegions {
  readonly province: string;
  private readonly prefectureOf = new Map<string, string | null>();
  private readonly levelOf = new Map<string, 'province' | 'prefecture' | 'county'>();
  /** Every region code, numbered, so hot loops index arrays instead of hashing strings. */
  readonly codes: string[] = [];
  private readonly indexOf = new Map<string, number>();
  private readonly servingCache = new Map<string, string[]>();

  constructor(regions: RegionDirectory) {
    this.province = regions.province.code;
    for (const r of regions.all()) {
      this.indexOf.set(r.code, this.codes.length);
      this.codes.push(r.code);
      this.levelOf.set(r.code, r.level);
      this.prefectureOf.set(r.code, r.level === 'county' ? r.parentCode : r.level === 'prefecture' ? r.code : null);
    }
  }

  /** The region's number, or -1 for a code outside the province. */
  index(code: string): number {
    return this.indexOf.get(code) ?? -1;
  }

  prefecture(code: string): string | null {
    return this.prefectureOf.get(code) ?? null;
  }

  /** The region whose seats may answer a call from `callRegion` at a step of this scope. */
  scopeRoot(callRegion: string, scope: OverflowStep['scope']): string {
    if (scope === 'province') return this.province;
    const level = this.levelOf.get(callRegion);
    if (scope === 'prefecture' || level !== 'county') return this.prefecture(callRegion) ?? this.province;
    return callRegion;
  }

  /**
   * Every region an agent may serve to be within `root` (the root itself, and a prefecture's
   * counties); null for the province, where everyone is.
   */
  servingWithin(root: string): readonly string[] | null {
    if (root === this.province) return null;
    let codes = this.servingCache.get(root);
    if (!codes) {
      codes = this.levelOf.get(root) === 'prefecture' ? this.codes.filter((c) => c === root || this.prefectureOf.get(c) === root) : [root];
      this.servingCache.set(root, codes);
    }
    return codes;
  }

  /** Whether an agent serving `agentRegion` sits within `root`. */
  within(agentRegion: string, root: string): boolean {
    if (root === this.province) return true;
    if (agentRegion === root) return true;
    return this.levelOf.get(root) === 'prefecture' && this.prefecture(agentRegion) === root;
  }

  /** 0: the caller's own region; 1: the same prefecture; 2: elsewhere in the province. */
  distance(agentRegion: string, callRegion: string): number {
    if (agentRegion === callRegion) return 0;
    const p = this.prefecture(callRegion);
    return p !== null && this.prefecture(agentRegion) === p ? 1 : 2;
  }

  /** The roots an agent's seat counts towards: its region, its prefecture, the province. */
  rootsOf(agentRegion: string): string[] {
    const roots = new Set([agentRegion, this.province]);
    const p = this.prefecture(agentRegion);
    if (p) roots.add(p);
    return [...roots];
  }
}

/**
 * Who is signed in (any state but offline), by region root, language and topic ('*' for any):
 * a step with nobody signed in who could take the call is skipped at once.
 */
export class Coverage {
  private readonly counts = new Map<string, number>();

  constructor(agents: Iterable<LiveAgent>, regions: RoutingRegions) {
    for (const a of agents) {
      if (a.state === 'offline') continue;
      for (const root of regions.rootsOf(a.regionCode)) {
        for (const lang of Object.keys(a.languages)) {
          this.bump(`${root}|${lang}|*`);
          for (const topic of Object.keys(a.topics)) this.bump(`${root}|${lang}|${topic}`);
        }
      }
    }
  }

  private bump(key: string) {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  has(root: string, language: string, topic: string | null): boolean {
    return (this.counts.get(`${root}|${language}|${topic ?? '*'}`) ?? 0) > 0;
  }
}

export interface PolicyContext {
  steps: OverflowStep[];
  regions: RoutingRegions;
  coverage: Coverage;
  now: number;
  /** Version of the signed-in roster the coverage was built from (bucket caches key on it). */
  roster?: number;
}

/** Calls in service order: priority, then longest wait. */
export function compareCalls(a: LiveCall, b: LiveCall): number {
  return b.priority - a.priority || a.enqueuedAt - b.enqueuedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The step a call is at: by how long it has waited, then past steps nobody could answer. */
export function currentStep(call: LiveCall, ctx: PolicyContext): number {
  const waited = ctx.now - call.enqueuedAt;
  let i = 0;
  while (i + 1 < ctx.steps.length && ctx.steps[i + 1]!.afterSeconds * 1000 <= waited) i++;
  while (i + 1 < ctx.steps.length && !stepIsStaffed(call, ctx.steps[i]!, ctx)) i++;
  return i;
}

function stepIsStaffed(call: LiveCall, step: OverflowStep, ctx: PolicyContext): boolean {
  const root = ctx.regions.scopeRoot(call.regionCode, step.scope);
  return ctx.coverage.has(root, call.language, step.requireTopic ? call.topic : null);
}

export function isEligible(agent: LiveAgent, call: LiveCall, step: OverflowStep, regions: RoutingRegions): boolean {
  if (!((agent.languages[call.language] ?? 0) >= 1)) return false;
  if (step.requireTopic && call.topic !== ANY_TOPIC && !((agent.topics[call.topic] ?? 0) >= 1)) return false;
  return regions.within(agent.regionCode, regions.scopeRoot(call.regionCode, step.scope));
}

/** Agent order for a call: most local, best at the topic, best at the language, longest idle. */
export function compareAgentsFor(call: LiveCall, regions: RoutingRegions) {
  return (a: LiveAgent, b: LiveAgent): number =>
    regions.distance(a.regionCode, call.regionCode) - regions.distance(b.regionCode, call.regionCode) ||
    (b.topics[call.topic] ?? 0) - (a.topics[call.topic] ?? 0) ||
    (b.languages[call.language] ?? 0) - (a.languages[call.language] ?? 0) ||
    (a.idleSince ?? a.since) - (b.idleSince ?? b.since);
}

/** The best ready agent for a waiting call at its current step, if any. */
export function selectAgent(call: LiveCall, readyAgents: Iterable<LiveAgent>, ctx: PolicyContext, taken: ReadonlySet<string> = new Set()): LiveAgent | null {
  const step = ctx.steps[currentStep(call, ctx)]!;
  const better = compareAgentsFor(call, ctx.regions);
  let best: LiveAgent | null = null;
  for (const agent of readyAgents) {
    if (agent.state !== 'ready' || taken.has(agent.id)) continue;
    if (!isEligible(agent, call, step, ctx.regions)) continue;
    if (best === null || better(agent, best) < 0) best = agent;
  }
  return best;
}

/**
 * The waiting call, first in service order, that a newly ready agent may take. `candidates`
 * may be every waiting call, or just the oldest of each group of calls alike in region,
 * language, topic and priority: eligibility only grows with waiting (steps widen the scope and
 * relax the topic), so a group's oldest call is eligible whenever any of it is.
 */
export function selectCall(agent: LiveAgent, candidates: Iterable<LiveCall>, ctx: PolicyContext): LiveCall | null {
  if (agent.state !== 'ready') return null;
  let best: LiveCall | null = null;
  for (const call of candidates) {
    // An agent who missed a call is not_ready until they choose ready again; after that they may
    // get it back, since they may be the only one who speaks the caller's language.
    if (call.status !== 'waiting') continue;
    if (best !== null && compareCalls(call, best) >= 0) continue;
    if (!((agent.languages[call.language] ?? 0) >= 1)) continue;
    if (isEligible(agent, call, ctx.steps[currentStep(call, ctx)]!, ctx.regions)) best = call;
  }
  return best;
}

/** Which steps have anyone signed in who could take this bucket's calls; cached per roster. */
function staffedSteps(bucket: CallBucket, ctx: PolicyContext): boolean[] {
  const roster = ctx.roster ?? -1;
  if (bucket.staffed && bucket.staffed.roster === roster) return bucket.staffed.steps;
  const steps = ctx.steps.map((step) =>
    ctx.coverage.has(ctx.regions.scopeRoot(bucket.regionCode, step.scope), bucket.language, step.requireTopic ? bucket.topic : null),
  );
  bucket.staffed = { roster, steps };
  return steps;
}

function bucketStep(bucket: CallBucket, head: LiveCall, ctx: PolicyContext): number {
  const staffed = staffedSteps(bucket, ctx);
  const waited = ctx.now - head.enqueuedAt;
  let i = 0;
  while (i + 1 < ctx.steps.length && ctx.steps[i + 1]!.afterSeconds * 1000 <= waited) i++;
  while (i + 1 < ctx.steps.length && !staffed[i]) i++;
  return i;
}

/** The first step at which an agent may take calls from a region, with and without the topic. */
function firstStepFor(agent: LiveAgent, regionCode: string, hasTopic: boolean, ctx: PolicyContext): number {
  for (let i = 0; i < ctx.steps.length; i++) {
    const step = ctx.steps[i]!;
    if (step.requireTopic && !hasTopic) continue;
    if (ctx.regions.within(agent.regionCode, ctx.regions.scopeRoot(regionCode, step.scope))) return i;
  }
  return Infinity;
}

// Reach depends only on the agent's region and the steps, so it is worked out once per region.
const reachCache = new WeakMap<OverflowStep[], Map<string, Float64Array>>();

/** Per region number: the first step at which this agent may answer [without, with] the topic. */
function agentReach(agent: LiveAgent, ctx: PolicyContext): Float64Array {
  let byRegion = reachCache.get(ctx.steps);
  if (!byRegion) reachCache.set(ctx.steps, (byRegion = new Map()));
  const cached = byRegion.get(agent.regionCode);
  if (cached && cached.length === ctx.regions.codes.length * 2) return cached;
  const codes = ctx.regions.codes;
  const reach = new Float64Array(codes.length * 2);
  for (let i = 0; i < codes.length; i++) {
    reach[2 * i] = firstStepFor(agent, codes[i]!, false, ctx);
    reach[2 * i + 1] = firstStepFor(agent, codes[i]!, true, ctx);
  }
  byRegion.set(agent.regionCode, reach);
  return reach;
}

/**
 * selectCall over buckets: the same answer as scanning every waiting call, looking only at
 * each bucket's oldest call (eligibility only grows with waiting, and a bucket's calls differ
 * in nothing else). This is the hot loop of matching: numbers and arrays only.
 */
export function selectCallFromBuckets(
  agent: LiveAgent,
  groups: readonly (readonly CallBucket[])[],
  ctx: PolicyContext,
  /** Calls this node is already offering: passed over for the next in their bucket. */
  taken: ReadonlySet<string> = EMPTY,
): LiveCall | null {
  if (agent.state !== 'ready') return null;
  const reach = agentReach(agent, ctx);
  let best: LiveCall | null = null;
  // Each group (one per language the agent speaks) is ordered by oldest call: once a bucket's
  // oldest call is behind the best so far, no later bucket can beat it.
  for (const buckets of groups) {
    for (const bucket of buckets) {
      const head = bucket.calls[0];
      if (!head) continue;
      if (best !== null && compareCalls(head, best) >= 0) break;
      if (!((agent.languages[bucket.language] ?? 0) >= 1)) continue;
      if (bucket.regionIndex === undefined) bucket.regionIndex = ctx.regions.index(bucket.regionCode);
      if (bucket.regionIndex < 0) continue;
      const first = reach[2 * bucket.regionIndex + (bucket.topic === ANY_TOPIC || (agent.topics[bucket.topic] ?? 0) >= 1 ? 1 : 0)]!;
      if (first === Infinity || bucketStep(bucket, head, ctx) < first) continue;
      // The whole bucket is eligible (its oldest call is): take its first call not already taken.
      let candidate: LiveCall | undefined;
      for (const c of bucket.calls) {
        if (c.status === 'waiting' && !taken.has(c.id)) {
          candidate = c;
          break;
        }
      }
      if (candidate && (best === null || compareCalls(candidate, best) < 0)) best = candidate;
      if (candidate === head) break;
    }
  }
  return best;
}

const EMPTY: ReadonlySet<string> = new Set();
