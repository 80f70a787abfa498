import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../db/database';
import { jsonb } from '../db/json';
import type { SkillMap } from '../db/schema';
import type { Router } from '../queue/router';
import type { RoutingEvent } from '../queue/types';
import { TOPIC_CODES } from '../queue/skills';
import type { RegionDirectory } from '../regions/region-directory';
import { exponential, seededRandom, weightedPick } from './random';

/**
 * Simulated agents for demos and `npm run sim`: accounts that cannot sign in (no usable
 * password) which the router sees as real seats. They answer offers after a ring delay, talk
 * for an exponentially distributed handle time, and go ready again after wrap-up. Their seats
 * are spread over the prefectures by population; prefectures with many Tibetan or Mongolian
 * speakers get robots who speak those languages.
 */

export interface RobotOptions {
  count: number;
  /** Mean talk time. */
  talkSeconds: number;
  answerDelaySeconds: number;
  wrapUpSeconds: number;
  seed?: number;
}

// Prefectures whose people largely speak Tibetan or Mongolian (Qinghai's autonomous prefectures).
const TIBETAN = new Set(['632200', '632300', '632500', '632600', '632700']);
const MONGOLIAN = new Set(['632800']);

/** A password hash no password matches: robots never sign in through the API. */
const NO_LOGIN = 'robot$no-login';

export class RobotAgents {
  private readonly robots = new Map<string, { username: string }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private heartbeat: NodeJS.Timeout | null = null;
  private options: RobotOptions | null = null;
  private random = seededRandom(1);

  constructor(
    private readonly db: Db,
    private readonly router: Router,
    private readonly regions: RegionDirectory,
    private readonly log: FastifyBaseLogger,
  ) {
    router.on((e) => this.react(e));
  }

  get size(): number {
    return this.robots.size;
  }

  /** Signs `count` robots in and makes them ready (replacing any robots already running). */
  async start(options: RobotOptions): Promise<{ usernames: string[] }> {
    await this.stop();
    this.options = options;
    this.random = seededRandom(options.seed ?? 12348);
    const prefectures = this.regions.children(this.regions.province.code);
    for (let i = 1; i <= options.count; i++) {
      const username = `robot.${String(i).padStart(4, '0')}`;
      const region = weightedPick(this.random, prefectures, (p) => p.populationEstimate);
      const languages: SkillMap = { zh: 5 };
      if (TIBETAN.has(region.code) && this.random() < 0.6) languages.bo = 5;
      if (MONGOLIAN.has(region.code) && this.random() < 0.5) languages.mn = 5;
      const topics = Object.fromEntries(TOPIC_CODES.map((t) => [t, 3]));
      const row = await this.db
        // The unique index is on lower(username); ON CONFLICT names the same expression.
        .insertInto('agents')
        .values({ username, password_hash: NO_LOGIN, display_name: `模拟坐席 ${i}`, role: 'agent', region_code: region.code, languages: jsonb(languages), topics: jsonb(topics) })
        .onConflict((oc) => oc.expression(sql`lower(username)`).doUpdateSet({ region_code: region.code, languages: jsonb(languages), topics: jsonb(topics) }))
        .returning('id')
        .executeTakeFirstOrThrow();
      this.robots.set(row.id, { username });
      await this.router.login({ id: row.id, username, regionCode: region.code, languages, topics });
      await this.router.setReady(row.id);
    }
    const beat = Math.max(1_000, (this.router.settings.presenceGraceSeconds * 1000) / 3);
    this.heartbeat = setInterval(() => {
      for (const id of this.robots.keys()) void this.router.heartbeat(id).catch(() => {});
    }, beat);
    this.heartbeat.unref();
    return { usernames: [...this.robots.values()].map((r) => r.username) };
  }

  /** Signs every robot out (after its current call, if any). */
  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const id of this.robots.keys()) {
      const agent = this.router.store.state.agent(id);
      if (agent?.state === 'on_call' && agent.callId) await this.router.agentHangup(id, agent.callId).catch(() => {});
      if (agent?.state === 'reserved' && agent.offerId) await this.router.decline(id, agent.offerId).catch(() => {});
      await this.router.endWrapUp(id, 'not_ready').catch(() => {});
      await this.router.logout(id).catch(() => {});
    }
    this.robots.clear();
  }

  private react(e: RoutingEvent): void {
    const o = this.options;
    if (!o) return;
    if (e.type === 'call.offered' && this.robots.has(e.agentId)) {
      this.later(o.answerDelaySeconds * 1000, () => this.router.accept(e.agentId, e.offerId));
    } else if (e.type === 'call.connected' && this.robots.has(e.agentId)) {
      const talk = exponential(this.random, o.talkSeconds) * 1000;
      this.later(talk, () => this.router.agentHangup(e.agentId, e.call.id));
    } else if (e.type === 'agent.state' && e.agent.state === 'wrap_up' && this.robots.has(e.agent.id)) {
      this.later(o.wrapUpSeconds * 1000, () => this.router.endWrapUp(e.agent.id, 'ready'));
    } else if (e.type === 'agent.state' && e.agent.state === 'not_ready' && (e.agent.reason === 'missed' || e.agent.reason === 'declined') && this.robots.has(e.agent.id)) {
      this.later(1_000, () => this.router.setReady(e.agent.id));
    }
  }

  private later(ms: number, fn: () => Promise<unknown>): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn().catch((err) => this.log.warn({ err }, 'simulated agent step failed'));
    }, ms);
    this.timers.add(t);
  }
}

