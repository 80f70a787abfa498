import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { Actor } from '../auth/actor';
import { scopeRoot } from '../auth/scope';
import { callbacksRepository } from '../callbacks/callbacks-repository';
import { followUpsRepository } from '../quality/follow-ups-repository';
import type { Db } from '../db/database';
import type { Router } from '../queue/router';
import type { MonitorMode } from '../queue/types';
import { LANGUAGES, TOPICS } from '../queue/skills';
import type { RegionDirectory } from '../regions/region-directory';
import type { Revocation } from '../agents/gateway/session-bus';
import type { TopicSpike } from '../reports/early-warning';
import type { FlaggedTicket } from '../tickets/risk-flags';
import type { AlertFeed } from './alert-feed';
import {
  allFigures,
  type CallCounts,
  chinaDate,
  chinaDayStart,
  halfHourOf,
  Lineages,
  liveCounts,
  rollUpAdherence,
  rollUpCalls,
  rollUpSeats,
} from './figures';
import { type Alert, type BoardBody, CLOSE, type ClientFrame, type Figures, MAX_FRAME_BYTES, PROTOCOL_VERSION, type RegionInfo } from './protocol';
import { SupervisorSession } from './supervisor-session';
import { TargetWatch } from './target-watch';
import type { ServiceTargets } from './targets';
import { wallboardRepository as repo } from './wallboard-repository';

export interface WallboardOptions {
  router: Router;
  db: Db;
  regions: RegionDirectory;
  provinceCode: string;
  provinceLanguages: readonly string[];
  feed: AlertFeed;
  log: FastifyBaseLogger;
  /** The account as stored now (null: gone or disabled); re-read while a board is open. */
  loadActor(id: string): Promise<Actor | null>;
  /** Topic spikes as of `now` (src/reports/early-warning.ts). */
  detectSpikes(now: Date): Promise<TopicSpike[]>;
  /** The callback policy's overdueMinutes as it is now. */
  callbackOverdueMinutes(): number;
  /** How supervisors may join calls here (the phone systems' abilities). */
  monitorModes(): MonitorMode[];
  /** The province's service targets as they are now. */
  targets(): ServiceTargets;
  /** Database figures are read at most this often (all boards of the node share one read). */
  dbTtlMs?: number;
  riskPollMs?: number;
  spikePollMs?: number;
}

/** A board goes out at most this often per socket on change, and at least this often regardless. */
export const BOARD_MIN_INTERVAL_MS = 1_000;
export const BOARD_MAX_INTERVAL_MS = 5_000;
const TICK_MS = 250;
const PING_EVERY_MS = 15_000;
/** How often an open board's account is read again (disabled, moved to another area). */
const ACCOUNT_CHECK_MS = 30_000;
/** Risk-flagged tickets are read back this far before the last poll (commits land late). */
const RISK_LOOKBACK_MS = 60_000;
/** After an idle spell (no boards open), risk flags older than this are not alerted any more. */
const RISK_MAX_AGE_MS = 2 * 3600_000;
const RISK_BATCH = 200;
const SEEN_LIMIT = 10_000;

interface DbFigures {
  calls: Map<string, CallCounts>;
  planned: Map<string, number> | null;
  overdueCallbacks: Map<string, number>;
  overdueReferrals: Map<string, number>;
  overdueFollowUps: Map<string, number>;
  /** Agents on a published shift now, by the region the shift covers (not rolled up). */
  rostered: { agentId: string; regionCode: string }[];
  intervalStart: number;
  readAt: number;
  key: string;
}

/**
 * The supervisors' wallboards open on this node. Figures are computed once per pass for the
 * whole province (one router snapshot pass; database figures from two grouped queries, shared
 * and cached for a few seconds) and each socket gets the part its scope and focus allow.
 * Boards go out when routing changed (at most one a second per socket) and every 5 s anyway.
 */
export class Wallboard {
  private readonly sessions = new Set<SupervisorSession>();
  private readonly lineages: Lineages;
  private readonly subtrees = new Map<string, string[]>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Raised by every routing event and every change in database figures. */
  private changeSeq = 0;
  private dbFigures: DbFigures | null = null;
  private dbRead: Promise<void> | null = null;
  private figures: { seq: number; at: number; byRegion: Map<string, Figures>; handleSeconds: number } | null = null;
  private riskCursor: number;
  private riskPolling: Promise<void> | null = null;
  private readonly riskSeen = new Set<string>();
  private nextRiskPollAt = 0;
  private spikesRunning: Promise<void> | null = null;
  private nextSpikePollAt = 0;
  private readonly spikesSeen = new Set<string>();
  private readonly dbTtlMs: number;
  private readonly riskPollMs: number;
  private readonly spikePollMs: number;
  private readonly targetWatch = new TargetWatch();
  private lastTargetCheck = 0;

  constructor(private readonly o: WallboardOptions) {
    this.lineages = new Lineages(o.regions);
    this.dbTtlMs = o.dbTtlMs ?? 3_000;
    this.riskPollMs = o.riskPollMs ?? 5_000;
    this.spikePollMs = o.spikePollMs ?? 60_000;
    this.riskCursor = Date.now();
    o.router.on(() => this.changeSeq++);
    o.feed.onAlert((a) => this.deliver(a));
  }

  get size(): number {
    return this.sessions.size;
  }

  get thresholdSeconds(): number {
    return this.o.targets().serviceLevel.thresholdSeconds;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const s of this.sessions) s.close(CLOSE.goingAway, 'the service is restarting');
    this.sessions.clear();
    await Promise.allSettled([this.dbRead, this.riskPolling, this.spikesRunning]);
  }

  // ---- sessions ------------------------------------------------------------------------------

  /** A socket that passed authentication (a supervisor or an admin). */
  attach(socket: WebSocket, actor: Actor, tokenExpiresAt: number): SupervisorSession {
    const scope = scopeRoot(actor, this.o.regions);
    const session = new SupervisorSession(actor, scope, scope, tokenExpiresAt, socket, (s, f) => this.command(s, f));
    const now = Date.now();
    session.nextPingAt = now + Math.floor(Math.random() * PING_EVERY_MS);
    session.nextCheckAt = now + ACCOUNT_CHECK_MS;
    const wasIdle = this.sessions.size === 0;
    this.sessions.add(session);
    socket.on('close', () => {
      session.closed = true;
      this.sessions.delete(session);
    });
    socket.on('error', (err) => this.o.log.debug({ err }, 'wallboard socket error'));
    this.hello(session);
    if (wasIdle) {
      // Alerts raised while nobody watched from this node: read them now rather than in a while.
      this.nextRiskPollAt = 0;
      if (Date.now() >= this.nextSpikePollAt) this.nextSpikePollAt = 0;
    }
    this.pushBoards();
    return session;
  }

  private hello(s: SupervisorSession): void {
    const { actor } = s;
    s.send({
      type: 'hello',
      serverTime: Date.now(),
      user: { id: actor.id, username: actor.username, displayName: actor.displayName, role: actor.role, regionCode: actor.regionCode },
      scope: s.scope,
      regions: this.subtree(s.scope).map((code) => regionInfo(this.o.regions, code)),
      settings: {
        serviceLevelThresholdSeconds: this.thresholdSeconds,
        targetServiceLevel: this.o.targets().serviceLevel.goal,
        targets: this.o.targets(),
        boardMinIntervalMs: BOARD_MIN_INTERVAL_MS,
        boardMaxIntervalMs: BOARD_MAX_INTERVAL_MS,
        maxFrameBytes: MAX_FRAME_BYTES,
      },
      capabilities: { monitor: this.o.monitorModes() },
      catalogue: {
        topics: Object.entries(TOPICS).map(([code, l]) => ({ code, zh: l.zh, en: l.en })),
        languages: this.o.provinceLanguages.filter((l) => l in LANGUAGES).map((code) => ({ code, ...LANGUAGES[code as keyof typeof LANGUAGES] })),
      },
      alerts: this.o.feed.recent((a) => this.visible(s, a)),
    });
    s.ready = true;
    s.lastBoardSeq = -1;
  }

  private command(s: SupervisorSession, f: ClientFrame): void {
    switch (f.type) {
      case 'ping':
        s.send({ type: 'pong', ref: f.ref, serverTime: Date.now() });
        return;
      case 'subscribe': {
        const region = this.o.regions.get(f.region);
        if (!region) return s.error('NOT_FOUND', `region ${f.region} does not exist`, f.ref);
        if (!this.o.regions.isWithin(region.code, s.scope)) return s.error('OUT_OF_SCOPE', `region ${region.code} is outside your area (${s.scope})`, f.ref);
        s.focus = region.code;
        s.lastBoardSeq = -1;
        s.lastBoardKey = '';
        s.send({ type: 'subscribed', ref: f.ref, region: region.code });
        this.pushBoards();
        return;
      }
    }
  }

  private visible(s: SupervisorSession, a: Alert): boolean {
    return this.o.regions.isWithin(a.regionCode, s.scope);
  }

  private deliver(a: Alert): void {
    if (this.stopped) return;
    for (const s of this.sessions) if (s.ready && this.visible(s, a)) s.send({ type: 'alert', ...a });
  }

  // ---- boards --------------------------------------------------------------------------------

  /** Sends a board to every socket due one: changed and not sent within 1 s, or not sent within 5 s. */
  private pushBoards(): void {
    if (this.stopped || this.sessions.size === 0) return;
    const now = Date.now();
    if (!this.dbFigures || now - this.dbFigures.readAt >= this.dbTtlMs) this.readDb();
    if (!this.dbFigures) return; // the first read is under way; it pushes when done
    // Boards on the same focus are the same board: built and serialised once per pass.
    const built = new Map<string, { key: string; json: string }>();
    for (const s of this.sessions) {
      if (!s.ready || s.closed) continue;
      const changed = s.lastBoardSeq !== this.changeSeq;
      const since = now - s.lastBoardAt;
      if (!(since >= BOARD_MAX_INTERVAL_MS || (changed && since >= BOARD_MIN_INTERVAL_MS))) continue;
      let board = built.get(s.focus);
      if (!board) {
        const { byRegion, handleSeconds } = this.currentFigures(now);
        const body = this.board(s.focus, byRegion, handleSeconds, now);
        board = { key: JSON.stringify([body.focus, body.root, body.regions]), json: JSON.stringify({ v: PROTOCOL_VERSION, type: 'board', ...body }) };
        built.set(s.focus, board);
      }
      s.lastBoardSeq = this.changeSeq;
      // A change elsewhere in the province that leaves this board as it was sends nothing.
      if (board.key === s.lastBoardKey && since < BOARD_MAX_INTERVAL_MS) continue;
      if (s.sendBoard(board.json)) {
        s.lastBoardAt = now;
        s.lastBoardKey = board.key;
      }
    }
  }

  /** Figures of every region, computed at most once per change (and per second, for waits). */
  private currentFigures(now: number) {
    const f = this.figures;
    if (f && f.seq === this.changeSeq && now - f.at < BOARD_MIN_INTERVAL_MS) return f;
    const snapshot = this.o.router.snapshot();
    const db = this.dbFigures!;
    const signedIn = new Set(snapshot.agents.filter((a) => a.state !== 'offline').map((a) => a.id));
    // The plan is for the half-hour it was read in; across a boundary it waits for the next read.
    const byRegion = allFigures(
      this.o.regions.all().map((r) => r.code),
      {
        live: liveCounts(snapshot, this.o.router.now(), this.lineages, this.thresholdSeconds),
        calls: db.calls,
        planned: db.planned,
        overdueCallbacks: db.overdueCallbacks,
        overdueReferrals: db.overdueReferrals,
        overdueFollowUps: db.overdueFollowUps,
        ahtSeconds: snapshot.handleSeconds,
        thresholdSeconds: this.thresholdSeconds,
        goal: this.o.targets().serviceLevel.goal ?? undefined,
        adherence: rollUpAdherence(db.rostered, (id) => signedIn.has(id), this.lineages),
      },
    );
    this.figures = { seq: this.changeSeq, at: now, byRegion, handleSeconds: snapshot.handleSeconds };
    return this.figures;
  }

  private board(focus: string, figures: Map<string, Figures>, handleSeconds: number, now: number): BoardBody {
    const regions: Record<string, Figures> = {};
    for (const code of this.subtree(focus)) regions[code] = figures.get(code)!;
    return {
      at: new Date(now).toISOString(),
      focus,
      handleSeconds,
      intervalStart: this.dbFigures?.intervalStart ?? halfHourOf(now),
      root: figures.get(focus)!,
      regions,
    };
  }

  /** Reads the database figures again (one read at a time; every board shares it). */
  private readDb(): Promise<void> {
    this.dbRead ??= this.loadDb()
      .catch((err) => {
        this.o.log.warn({ err }, 'wallboard: could not read call figures');
        // Live figures still go out; database figures stay as last read (or empty), retried after the TTL.
        this.dbFigures = this.dbFigures
          ? { ...this.dbFigures, readAt: Date.now() }
          : { calls: new Map(), planned: null, overdueCallbacks: new Map(), overdueReferrals: new Map(), overdueFollowUps: new Map(), rostered: [], intervalStart: halfHourOf(Date.now()), readAt: Date.now(), key: '' };
      })
      .finally(() => {
        this.dbRead = null;
        this.pushBoards();
      });
    return this.dbRead;
  }

  private async loadDb(): Promise<void> {
    const now = Date.now();
    const intervalStart = halfHourOf(now);
    const [rows, plan, overdue, referrals, followUps, rostered] = await Promise.all([
      repo.callCounts(this.o.db, { provinceCode: this.o.provinceCode, now, thresholdSeconds: this.thresholdSeconds, windowMinutes: this.o.targets().alerts.windowMinutes }),
      repo.plannedSeats(this.o.db, { provinceCode: this.o.provinceCode, date: chinaDate(now), intervalStart }),
      callbacksRepository.overdueByRegion(this.o.db, this.o.provinceCode, new Date(now - this.o.callbackOverdueMinutes() * 60_000)),
      repo.overdueReferrals(this.o.db, { now: new Date(now) }),
      followUpsRepository.overdueByRegion(this.o.db, new Date(now)),
      repo.rosteredNow(this.o.db, { provinceCode: this.o.provinceCode, date: chinaDate(now), minute: intervalStart }),
    ]);
    const key = JSON.stringify([chinaDayStart(now).getTime(), intervalStart, rows, plan, overdue, referrals, followUps, rostered]);
    if (key !== this.dbFigures?.key) this.changeSeq++;
    this.dbFigures = {
      calls: rollUpCalls(rows, this.lineages),
      planned: plan ? rollUpSeats(plan, this.lineages) : null,
      overdueCallbacks: rollUpSeats(overdue.map((o) => ({ regionCode: o.region_code ?? this.o.regions.province.code, seats: o.n })), this.lineages),
      overdueReferrals: rollUpSeats(referrals.map((r) => ({ regionCode: this.known(r.regionCode), seats: r.n })), this.lineages),
      overdueFollowUps: rollUpSeats(followUps.map((f) => ({ regionCode: this.known(f.regionCode), seats: f.n })), this.lineages),
      rostered,
      intervalStart,
      readAt: Date.now(),
      key,
    };
  }

  /** Reads the database figures now and sends boards where they changed (tests, and after a plan is saved). */
  async refresh(): Promise<void> {
    await this.dbRead;
    await this.readDb();
  }

  // ---- alert sources that are polled ---------------------------------------------------------

  /** Tickets flagged as a risk since the last poll become `risk_call` alerts (each ticket once). */
  pollRisk(): Promise<void> {
    this.riskPolling ??= this.readRisk().finally(() => (this.riskPolling = null));
    return this.riskPolling;
  }

  private async readRisk(): Promise<void> {
    const now = Date.now();
    const since = new Date(Math.max(this.riskCursor, now - RISK_MAX_AGE_MS) - RISK_LOOKBACK_MS);
    const rows = await repo.riskTicketsSince(this.o.db, since, RISK_BATCH);
    this.riskCursor = rows.length === RISK_BATCH ? rows[rows.length - 1]!.updated_at.getTime() : now;
    for (const r of rows) {
      if (this.riskSeen.has(r.id)) continue;
      remember(this.riskSeen, r.id);
      this.o.feed.publish({
        kind: 'risk_call',
        regionCode: this.known(r.region_code),
        ticketId: r.id,
        ticketNumber: r.number,
        callId: r.call_id,
        topic: r.topic,
        at: r.updated_at.toISOString(),
      });
    }
  }

  /** A ticket flagged on this node: alerted now (each ticket once, whichever of this and the poll comes first). */
  riskFlagged(t: FlaggedTicket): void {
    if (this.riskSeen.has(t.id)) return;
    remember(this.riskSeen, t.id);
    this.o.feed.publish({ kind: 'risk_call', regionCode: this.known(t.regionCode), ticketId: t.id, ticketNumber: t.number, callId: t.callId, topic: t.topic, at: t.at.toISOString() });
  }

  /** Topic spikes not yet alerted today become `topic_spike` alerts. */
  detectSpikes(): Promise<void> {
    this.spikesRunning ??= this.readSpikes().finally(() => (this.spikesRunning = null));
    return this.spikesRunning;
  }

  private async readSpikes(): Promise<void> {
    const now = new Date();
    const day = chinaDate(now.getTime());
    for (const spike of await this.o.detectSpikes(now)) {
      const key = `${day}|${spike.regionCode}|${spike.topic}`;
      if (this.spikesSeen.has(key)) continue;
      remember(this.spikesSeen, key);
      this.o.feed.publish({
        kind: 'topic_spike',
        regionCode: this.known(spike.regionCode),
        topic: spike.topic,
        today: spike.today,
        baseline: spike.baseline,
        ratio: spike.ratio,
        at: now.toISOString(),
      });
    }
  }

  /** A region the directory knows, else the province (an alert must reach someone). */
  known(code: string | null | undefined): string {
    return (code && this.o.regions.get(code)?.code) || this.o.regions.province.code;
  }

  // ---- timers --------------------------------------------------------------------------------

  private tick(): void {
    if (this.stopped || this.sessions.size === 0) return;
    const now = Date.now();
    for (const s of this.sessions) {
      if (s.nextPingAt <= now) {
        s.nextPingAt = now + PING_EVERY_MS;
        if (!s.alive) {
          this.o.log.info({ userId: s.actor.id }, 'wallboard stopped answering pings; dropping its socket');
          s.terminate();
          this.sessions.delete(s);
          continue;
        }
        s.alive = false;
        s.ping();
      }
      if (s.tokenExpiresAt <= now) {
        s.close(CLOSE.unauthorised, 'the sign-in has expired');
        continue;
      }
      if (s.nextCheckAt <= now) {
        s.nextCheckAt = now + ACCOUNT_CHECK_MS;
        void this.recheck(s).catch((err) => this.o.log.warn({ err, userId: s.actor.id }, 'wallboard: could not re-read an account'));
      }
    }
    if (now >= this.nextRiskPollAt) {
      this.nextRiskPollAt = now + this.riskPollMs;
      void this.pollRisk().catch((err) => this.o.log.warn({ err }, 'wallboard: could not read risk-flagged tickets'));
    }
    if (now >= this.nextSpikePollAt) {
      this.nextSpikePollAt = now + this.spikePollMs;
      void this.detectSpikes().catch((err) => this.o.log.warn({ err }, 'wallboard: could not detect topic spikes'));
    }
    this.pushBoards();
    this.watchTargets(now);
  }

  /**
   * Measures every region against the targets, at most once a second while boards are open, and
   * publishes what changed: a breach at once, its clearing once recovered (TargetWatch).
   */
  private watchTargets(now: number): void {
    if (!this.dbFigures || now - this.lastTargetCheck < BOARD_MIN_INTERVAL_MS) return;
    this.lastTargetCheck = now;
    for (const alert of this.targetWatch.evaluate(this.currentFigures(now).byRegion, this.o.targets(), now)) this.o.feed.publish(alert);
  }

  /** Measures the targets now (tests: after the figures changed). */
  async checkTargets(): Promise<void> {
    await this.refresh();
    this.lastTargetCheck = 0;
    this.changeSeq++;
    this.watchTargets(Date.now());
  }

  /** The account's password, status or role changed: its boards here close at once (4003). */
  revoked(r: Revocation): void {
    for (const s of this.sessions) {
      if (s.actor.id === r.accountId && s.actor.tokenVersion < r.tokenVersion) this.unauthorised(s, 'the sign-in is no longer valid (password, role or status changed)');
    }
  }

  private unauthorised(s: SupervisorSession, reason: string): void {
    this.sessions.delete(s);
    s.close(CLOSE.unauthorised, reason);
  }

  /**
   * A disabled account, one no longer a supervisor or whose tokens were revoked is closed (the
   * backstop for a revocation this node did not hear); a moved supervisor gets a new hello.
   */
  private async recheck(s: SupervisorSession): Promise<void> {
    const actor = await this.o.loadActor(s.actor.id);
    if (s.closed) return;
    if (!actor || (actor.role !== 'supervisor' && actor.role !== 'admin') || actor.role !== s.actor.role || actor.tokenVersion !== s.actor.tokenVersion) {
      this.unauthorised(s, 'the account is disabled, no longer a supervisor or signed out everywhere');
      return;
    }
    const scope = scopeRoot(actor, this.o.regions);
    s.actor = actor;
    if (scope === s.scope) return;
    s.scope = scope;
    if (!this.o.regions.isWithin(s.focus, scope)) s.focus = scope;
    s.lastBoardKey = '';
    this.hello(s);
  }

  private subtree(code: string): string[] {
    let codes = this.subtrees.get(code);
    if (!codes) this.subtrees.set(code, (codes = this.o.regions.subtree(code)));
    return codes;
  }
}

function regionInfo(regions: RegionDirectory, code: string): RegionInfo {
  const r = regions.require(code);
  return { code: r.code, name: r.nameZh, nameEn: r.namePinyin, level: r.level, parentCode: r.parentCode, population: r.population2020 ?? r.populationEstimate };
}

/** Adds to a set that forgets its oldest entries past SEEN_LIMIT. */
function remember(set: Set<string>, key: string): void {
  set.add(key);
  if (set.size > SEEN_LIMIT) set.delete(set.values().next().value!);
}
