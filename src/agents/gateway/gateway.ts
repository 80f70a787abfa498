import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { Actor } from '../../auth/actor';
import { auditRepository } from '../../audit/audit-repository';
import type { Config } from '../../config/config';
import type { Db } from '../../db/database';
import { isDatabaseUnavailable } from '../../db/errors';
import type { Callbacks } from '../../callbacks/callbacks';
import type { RecordOutbox } from '../../records/outbox';
import { ticketIdForCall } from '../../records/record-ops';
import type { Province } from '../../province/plugin';
import type { Router } from '../../queue/router';
import type { LiveAgent, LiveCall, RoutingEvent } from '../../queue/types';
import type { RegionDirectory } from '../../regions/region-directory';
import { sipPassword } from '../../telephony/asterisk/sip-password';
import type { RiskFlags } from '../../tickets/risk-flags';
import type { ControlResult, DriverCapabilities } from '../../telephony/driver';
import type { OverdueAlert } from '../../tickets/referral-sweeper';
import { ticketsRepository } from '../../tickets/tickets-repository';
import { AgentSession } from './agent-session';
import { catalogue, legView, loadCallView, regionView, ticketView } from './call-context';
import { type AudioView, CLOSE, type ClientFrame, type ErrorCode, MAX_FRAME_BYTES, type QueueStatsView, type StateView } from './protocol';
import type { Revocation, SessionBus } from './session-bus';

/** What the desktop asks of the phone system during a call; the call flow answers. */
export interface CallControls {
  hold(callId: string, agentId: string, held: boolean): Promise<ControlResult>;
  transfer(callId: string, agentId: string, to: { agentId: string } | { region: string } | { number: string }, mode: 'blind' | 'consult'): Promise<ControlResult>;
  interpreter(callId: string, agentId: string, to: { agentId: string } | { number: string } | { language: string }, language?: string): Promise<ControlResult>;
  /** The agent's choice on the call's second leg. */
  leg(callId: string, agentId: string, action: 'merge' | 'complete' | 'cancel' | 'drop'): Promise<ControlResult>;
  isHeld(callId: string): Promise<boolean>;
  /** What the phone systems let the desk do (a control none allows is not shown). */
  capabilities(): DriverCapabilities;
}

export interface GatewayOptions {
  router: Router;
  db: Db;
  records: RecordOutbox;
  callbacks: Pick<Callbacks, 'report'>;
  regions: RegionDirectory;
  province: Province;
  config: Config;
  bus: SessionBus;
  /** Told when a ticket is saved with the risk flag newly set (the wallboard alerts at once). */
  riskFlags: RiskFlags;
  controls: CallControls;
  log: FastifyBaseLogger;
  /** How often queue figures are recomputed and sent where they changed. */
  statsIntervalMs?: number;
}

/** WebSocket pings find sockets that died without a close (a laptop lid, a lost Wi-Fi). */
const PING_EVERY_MS = 15_000;
/** How long a ticket may take to appear after the call connects before the desktop makes it itself. */
const TICKET_WAIT_MS = 3_000;
/** A ticket that has not appeared after this long (a long database outage) comes with the next hello. */
const TICKET_GIVE_UP_MS = 5 * 60_000;
const DIRECTORY_LIMIT = 500;
const TICK_MS = 250;
/**
 * How often every open desktop's account is read again, in one query per node: a backstop for a
 * revocation this node did not hear (Redis was away when it was published).
 */
const ACCOUNT_CHECK_MS = 30_000;
const ACCOUNT_CHECK_BATCH = 1_000;

/**
 * The agent desktops connected to this node: router events out to the right socket, the
 * agent's commands in to the router, call flow and tickets. Presence is renewed for every open
 * socket, so the router's grace period starts only when the socket is gone.
 */
export class AgentGateway {
  private readonly sessions = new Map<string, AgentSession>();
  private timer: NodeJS.Timeout | null = null;
  private lastStatsAt = 0;
  private stats = new Map<string, QueueStatsView>();
  private readonly statsIntervalMs: number;
  private stopped = false;
  private nextAccountCheckAt = Date.now() + ACCOUNT_CHECK_MS;
  private accountCheck: Promise<void> | null = null;

  constructor(private readonly o: GatewayOptions) {
    this.statsIntervalMs = o.statsIntervalMs ?? 2_000;
    o.router.on((e) => this.routed(e));
    o.bus.onClaim((agentId, sessionId) => {
      const s = this.sessions.get(agentId);
      if (s && s.id !== sessionId) this.replace(s);
    });
    o.bus.onRevoke((r) => this.revoked(r));
  }

  /** Sessions are renewed three times per grace period, so one lost renewal never logs anyone out. */
  private get heartbeatMs(): number {
    return Math.max(100, Math.floor((this.o.router.settings.presenceGraceSeconds * 1000) / 3));
  }

  start(): void {
    this.stats = this.statsByRegion();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const s of this.sessions.values()) s.close(CLOSE.goingAway, 'the service is restarting');
    await Promise.allSettled([...this.sessions.values()].map((s) => s.flushed()).concat(this.accountCheck ?? []));
    this.sessions.clear();
  }

  // ---- sessions ------------------------------------------------------------------------------

  /** A socket that passed authentication. The agent's earlier session anywhere is closed. */
  attach(socket: WebSocket, actor: Actor): AgentSession {
    const session = new AgentSession(actor, socket, (s, f) => this.command(s, f), (err) => this.o.log.error({ err, agentId: actor.id }, 'agent desktop error'));
    // Spread over the period, so 5,000 pings never leave in one burst ahead of an offer.
    session.nextPingAt = Date.now() + Math.floor(Math.random() * PING_EVERY_MS);
    const previous = this.sessions.get(actor.id);
    if (previous) this.replace(previous);
    this.sessions.set(actor.id, session);
    socket.on('close', () => {
      session.closed = true;
      if (this.sessions.get(actor.id) === session) this.sessions.delete(actor.id);
    });
    session.sendLater(async () => {
      await this.o.bus.claim(actor.id, session.id);
      const live = await this.signIn(actor);
      if (!live) {
        session.close(CLOSE.unauthorised, 'the account no longer exists or is disabled');
        return null;
      }
      session.nextHeartbeatAt = Date.now() + this.heartbeatMs;
      return this.hello(session, live);
    });
    // The figures of the last pass: a reconnect storm must not recount the queue per socket.
    this.sendStats(session, this.stats);
    return session;
  }

  /** The account's password, status or role changed: its desktop here closes at once (4003). */
  private revoked(r: Revocation): void {
    const s = this.sessions.get(r.accountId);
    if (s && s.actor.tokenVersion < r.tokenVersion) this.unauthorised(s);
  }

  private unauthorised(s: AgentSession): void {
    // Out of the map first, so not one more queue figure or offer reaches the closing socket.
    if (this.sessions.get(s.agentId) === s) this.sessions.delete(s.agentId);
    s.close(CLOSE.unauthorised, 'the sign-in is no longer valid (password, role or status changed)');
  }

  private replace(old: AgentSession): void {
    this.sessions.delete(old.agentId);
    old.send({ type: 'session.replaced' });
    old.close(CLOSE.replaced, 'signed in elsewhere');
  }

  /**
   * After the live state was rebuilt: every agent with a desk open here is signed in again, with
   * the state the rebuild gave back (or newly, not ready, if it had none), and their desk told.
   */
  async resumeAll(): Promise<void> {
    for (const s of [...this.sessions.values()]) {
      const live = this.o.router.liveAgent(s.agentId);
      if (live && live.state !== 'offline') {
        await this.o.router.heartbeat(s.agentId);
        continue;
      }
      const agent = await this.signIn(s.actor).catch((err) => {
        this.o.log.warn({ err, agentId: s.agentId }, 'could not sign an agent back in after the live state was rebuilt');
        return null;
      });
      if (agent) s.send({ type: 'state', ...stateView(agent) });
    }
  }

  /** Signs the agent in to routing with their profile as stored now; a live agent keeps their state. */
  private async signIn(actor: Actor): Promise<LiveAgent | null> {
    const row = await this.o.db.selectFrom('agents').select(['region_code', 'languages', 'topics', 'disabled', 'role', 'token_version']).where('id', '=', actor.id).executeTakeFirst();
    // Also a token revoked between the upgrade and now (its revocation may have gone by already).
    if (!row || row.disabled || row.role !== actor.role || row.token_version !== actor.tokenVersion) return null;
    await this.o.router.login({ id: actor.id, username: actor.username, regionCode: row.region_code, languages: row.languages, topics: row.topics });
    return this.o.router.liveAgent(actor.id) ?? null;
  }

  private async hello(session: AgentSession, agent: LiveAgent) {
    const { router, db, regions } = this.o;
    const call = agent.callId ? router.liveCall(agent.callId) : undefined;
    const offer =
      call && agent.state === 'reserved' && call.offerId === agent.offerId && call.offerExpiresAt
        ? { offerId: call.offerId!, expiresAt: call.offerExpiresAt, call: await loadCallView(db, regions, call, session.actor.role, false, this.legHolder(call)) }
        : null;
    const inCall = call && call.status === 'connected' && call.agentId === agent.id ? await loadCallView(db, regions, call, session.actor.role, await this.o.controls.isHeld(call.id), this.legHolder(call)) : null;
    const ticket = inCall
      ? await ticketsRepository.byCall(db, inCall.callId)
      : agent.state === 'wrap_up'
        ? await ticketsRepository.latestOfAgent(db, agent.id, new Date(agent.since - 60_000))
        : undefined;
    const seat = await db.selectFrom('agents').select('seat_mode').where('id', '=', agent.id).executeTakeFirst();
    return {
      type: 'hello' as const,
      sessionId: session.id,
      serverTime: Date.now(),
      agent: {
        id: agent.id,
        username: session.actor.username,
        displayName: session.actor.displayName,
        role: session.actor.role,
        region: regionView(regions, agent.regionCode),
        remoteSeat: seat?.seat_mode === 'phone',
      },
      state: stateView(agent),
      offer,
      call: inCall,
      ticket: ticket ? ticketView(ticket) : null,
      settings: {
        offerTimeoutSeconds: router.settings.offerTimeoutSeconds,
        wrapUpSeconds: router.settings.wrapUpSeconds,
        heartbeatSeconds: Math.round(this.heartbeatMs / 1000),
        maxFrameBytes: MAX_FRAME_BYTES,
      },
      audio: this.audio(session.actor),
      capabilities: this.o.controls.capabilities(),
      catalogue: catalogue(this.o.province.languages),
    };
  }

  private audio(actor: Actor): AudioView {
    const { config } = this.o;
    if (config.telephony.includes('twilio') && config.twilio?.apiKey) return { kind: 'twilio', tokenUrl: '/api/telephony/twilio/token' };
    const webrtc = config.telephony.includes('asterisk') ? config.asterisk?.webrtc : null;
    if (webrtc) return { kind: 'sip', wsUrl: webrtc.wsUrl, domain: webrtc.domain, username: actor.username, password: sipPassword(webrtc.sipSecret, actor.username) };
    return { kind: 'none' };
  }

  /** Supervisors and admins whose area holds the alert's region, on this node, are told at once. */
  alert(alert: OverdueAlert): void {
    const region = alert.regionCode ?? this.o.regions.province.code;
    for (const s of this.sessions.values()) {
      const { role } = s.actor;
      if (role === 'admin' || (role === 'supervisor' && this.o.regions.isWithin(region, s.actor.regionCode))) s.send({ type: 'alert', alert });
    }
  }

  // ---- router events out -------------------------------------------------------------------

  private routed(e: RoutingEvent): void {
    if (this.stopped) return;
    switch (e.type) {
      case 'agent.state': {
        this.sessions.get(e.agent.id)?.send({ type: 'state', ...stateView(e.agent) });
        return;
      }
      case 'call.offered': {
        const s = this.sessions.get(e.agentId);
        s?.sendLater(async () => ({ type: 'offer', offerId: e.offerId, expiresAt: e.expiresAt, call: await loadCallView(this.o.db, this.o.regions, e.call, s.actor.role, false, this.legHolder(e.call)) }));
        return;
      }
      case 'offer.returned': {
        if (e.offerId) this.sessions.get(e.agentId)?.send({ type: 'offer.cancelled', offerId: e.offerId, reason: e.reason });
        else if (e.reason === 'bridge_failed') this.sessions.get(e.agentId)?.send({ type: 'call.ended', callId: e.call.id, talkSeconds: 0, reason: 'hangup' });
        return;
      }
      case 'call.left': {
        if (e.call.status === 'offered' && e.call.agentId && e.call.offerId) {
          this.sessions.get(e.call.agentId)?.send({ type: 'offer.cancelled', offerId: e.call.offerId, reason: 'caller_left' });
        } else if (e.call.status === 'connected' && e.call.agentId) {
          // Accepted, but the caller was gone before the bridge (or, for a callback the phone system
          // dialled, never answered): nothing was said.
          this.sessions.get(e.call.agentId)?.send({ type: 'call.ended', callId: e.call.id, talkSeconds: 0, reason: e.call.kind === 'callback' ? 'not_reached' : 'caller_left' });
        }
        return;
      }
      case 'call.connected': {
        const s = this.sessions.get(e.agentId);
        if (!s) return;
        s.sendLater(async () => ({ type: 'call.connected', call: await loadCallView(this.o.db, this.o.regions, e.call, s.actor.role, await this.o.controls.isHeld(e.call.id), this.legHolder(e.call)) }));
        // A leg has no ticket of its own (the call's is the holder's until a consult completes).
        // No phone system runs a callback attempt's call flow: its ticket is opened at once.
        if (e.call.kind !== 'leg') void this.deliverTicket(s, e.call.id, e.agentId, e.call.kind === 'callback' ? 0 : TICKET_WAIT_MS);
        return;
      }
      case 'call.leg': {
        const frame = { type: 'call.leg.changed' as const, callId: e.call.id, phase: e.phase, leg: legView(e.leg), ...(e.reason ? { reason: e.reason } : {}) };
        const holder = this.sessions.get(e.leg.by);
        const target = e.leg.agentId ? this.sessions.get(e.leg.agentId) : undefined;
        holder?.send(frame);
        target?.send(frame);
        if (e.phase === 'completed' && e.leg.agentId && e.call.agentId === e.leg.agentId) {
          // The colleague carries the caller's call on, with its ticket; the agent's part is over.
          const talkSeconds = e.call.answeredAt ? Math.round((Date.now() - e.call.answeredAt) / 1000) : 0;
          holder?.send({ type: 'call.ended', callId: e.call.id, talkSeconds, reason: 'transferred' });
          if (target) {
            // Not held: the complete takes the caller off music (the flow clears its hold as it
            // acts on this same event, so asking it now could still read the consult's hold).
            target.sendLater(async () => ({ type: 'call.connected', call: await loadCallView(this.o.db, this.o.regions, e.call, target.actor.role, false) }));
            void this.deliverTicket(target, e.call.id, e.leg.agentId, TICKET_WAIT_MS);
          }
        } else if (e.phase === 'closed' && target) {
          target.send({ type: 'call.ended', callId: e.leg.id, talkSeconds: Math.round((Date.now() - e.leg.since) / 1000), reason: 'hangup' });
        }
        return;
      }
      case 'call.transferred': {
        this.sessions.get(e.fromAgentId)?.send({ type: 'call.ended', callId: e.call.id, talkSeconds: Math.round(e.talkMs / 1000), reason: 'transferred' });
        return;
      }
      case 'call.forwarding': {
        this.sessions.get(e.agentId)?.send({ type: 'call.forwarding', callId: e.call.id, number: e.number });
        return;
      }
      case 'call.forward_failed': {
        this.sessions.get(e.agentId)?.send({ type: 'call.forward_failed', callId: e.call.id, number: e.number, status: e.status, cause: e.cause });
        return;
      }
      case 'call.ended': {
        if (e.agentId) this.sessions.get(e.agentId)?.send({ type: 'call.ended', callId: e.call.id, talkSeconds: Math.round(e.talkMs / 1000), reason: e.call.forwardTo ? 'forwarded' : 'hangup' });
        return;
      }
      default:
        return;
    }
  }

  /**
   * The call flow opens the ticket when the call connects, on whichever node runs that call; the
   * desktop waits briefly for it and then opens it itself (the same ticket: its id follows from
   * the call's). While the database is away the ticket comes when it is back — the call itself
   * is on the desk all the while. Sent outside the session's frame queue, so waiting for it never
   * holds up the frames behind it.
   */
  /** The agent holding the call a leg belongs to (null for any other call). */
  private legHolder(call: LiveCall): string | null {
    return call.kind === 'leg' && call.parentId ? (this.o.router.liveCall(call.parentId)?.leg?.by ?? null) : null;
  }

  private async deliverTicket(s: AgentSession, callId: string, agentId: string, openAfterMs: number): Promise<void> {
    const started = Date.now();
    let opened = false;
    for (let delay = 20; !s.closed && Date.now() - started < TICKET_GIVE_UP_MS; delay = Math.min(delay * 2, 2_000)) {
      if (!opened && Date.now() - started >= openAfterMs) {
        opened = true;
        await this.o.records.write({ op: 'ticket.open', callId, ticketId: ticketIdForCall(callId), provinceCode: this.o.province.code, prefix: this.o.province.ticketPrefix, agentId, at: new Date() });
      }
      try {
        const row = await ticketsRepository.byCall(this.o.db, callId);
        if (row) {
          s.send({ type: 'ticket', ticket: ticketView(row) });
          return;
        }
      } catch (err) {
        if (!isDatabaseUnavailable(err)) throw err;
      }
      // The agent moved on to another call (or signed out): this ticket's moment has passed.
      const live = this.o.router.liveAgent(agentId);
      if (live && live.callId !== callId && live.state !== 'wrap_up') return;
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  // ---- commands in ---------------------------------------------------------------------------

  private async command(s: AgentSession, f: ClientFrame): Promise<void> {
    const { router } = this.o;
    const me = s.agentId;
    const ack = () => s.send({ type: 'ack', ref: f.ref, of: f.type });
    const refusedOr = (r: { ok: true } | { ok: false; reason: string }) => (r.ok ? ack() : s.error('REFUSED', r.reason, f.ref));
    const fail = (code: ErrorCode, message: string, messageZh?: string) => s.error(code, message, f.ref, messageZh);
    switch (f.type) {
      case 'ping':
        s.send({ type: 'pong', ref: f.ref, serverTime: Date.now() });
        return;
      case 'state.set': {
        // Logged out behind the agent's back (a long network cut): sign in again first.
        if ((router.liveAgent(me)?.state ?? 'offline') === 'offline' && !(await this.signIn(s.actor))) return fail('REFUSED', 'the account is disabled');
        return refusedOr(f.state === 'ready' ? await router.setReady(me) : await router.setNotReady(me, f.reason ?? 'other'));
      }
      case 'offer.accept':
      case 'offer.decline': {
        if (router.liveAgent(me)?.offerId !== f.offerId) return fail('NOT_YOURS', `offer ${f.offerId} is not open for you`);
        return refusedOr(f.type === 'offer.accept' ? await router.accept(me, f.offerId) : await router.decline(me, f.offerId));
      }
      case 'call.hangup':
      case 'call.hold':
      case 'call.unhold':
      case 'call.transfer':
      case 'call.interpreter':
      case 'call.leg': {
        const call = router.liveCall(f.callId);
        if (!call) return fail('NOT_FOUND', `call ${f.callId} is not in progress`);
        if (call.agentId !== me || call.status !== 'connected') return fail('NOT_YOURS', `call ${f.callId} is not connected to you`);
        if (f.type === 'call.hangup') return refusedOr(await router.agentHangup(me, f.callId));
        const result =
          f.type === 'call.transfer'
            ? await this.o.controls.transfer(f.callId, me, f.to, f.mode)
            : f.type === 'call.interpreter'
              ? await this.o.controls.interpreter(f.callId, me, f.to, f.language)
              : f.type === 'call.leg'
                ? await this.o.controls.leg(f.callId, me, f.action)
                : await this.o.controls.hold(f.callId, me, f.type === 'call.hold');
        if (!result.ok) return fail(result.code, result.message, result.messageZh);
        ack();
        if (f.type === 'call.hold' || f.type === 'call.unhold') s.send({ type: 'call.held', callId: f.callId, held: f.type === 'call.hold' });
        return;
      }
      case 'ticket.save': {
        const ticket = await ticketsRepository.byId(this.o.db, f.ticketId);
        if (!ticket) return fail('NOT_FOUND', `ticket ${f.ticketId} does not exist`);
        const current = router.liveAgent(me)?.callId;
        if (ticket.agent_id !== me && !(ticket.call_id && ticket.call_id === current)) return fail('NOT_YOURS', `ticket ${ticket.number} belongs to another agent`);
        const saved = await this.o.db.transaction().execute(async (trx) => {
          const row = await ticketsRepository.saveNotes(trx, ticket.id, f.fields);
          await auditRepository(trx).record({ actor: s.actor, action: 'ticket.update', entityType: 'ticket', entityId: ticket.id, details: { via: 'desktop', fields: Object.keys(f.fields) } });
          return row;
        });
        ack();
        s.send({ type: 'ticket', ticket: ticketView(saved) });
        if (saved.risk_flag && !ticket.risk_flag) this.o.riskFlags.flagged({ id: saved.id, number: saved.number, callId: saved.call_id, regionCode: saved.region_code, topic: saved.topic, at: saved.updated_at });
        return;
      }
      case 'wrapup.end':
        return refusedOr(await router.endWrapUp(me, f.next ?? 'ready'));
      case 'wrapup.extend':
        return refusedOr(await router.extendWrapUp(me, f.seconds));
      case 'logout': {
        const r = await router.logout(me);
        if (!r.ok) return fail('REFUSED', 'finish the call in progress before signing out');
        ack();
        this.sessions.delete(me);
        s.close(CLOSE.loggedOut, 'signed out');
        return;
      }
      case 'directory.get': {
        s.sendLater(() => this.directory(me));
        return;
      }
      case 'callback.result': {
        // The agent's own attempt: on the call now, or the one they just finished.
        const live = router.liveCall(f.callId);
        const mine = live
          ? live.kind === 'callback' && live.agentId === me
          : (await this.o.db.selectFrom('callbacks').select('agent_id').where('attempt_id', '=', f.callId).executeTakeFirst())?.agent_id === me;
        if (!mine) return fail('NOT_YOURS', `call ${f.callId} is not a callback you made`);
        await this.o.callbacks.report(f.callId, f.result);
        return ack();
      }
    }
  }

  private async directory(except: string) {
    const live = [...this.o.router.store.state.agents()].filter((a) => a.state !== 'offline' && a.id !== except).slice(0, DIRECTORY_LIMIT);
    const names = live.length
      ? new Map((await this.o.db.selectFrom('agents').select(['id', 'display_name']).where('id', 'in', live.map((a) => a.id)).execute()).map((r) => [r.id, r.display_name]))
      : new Map<string, string>();
    return {
      type: 'directory' as const,
      agents: live.map((a) => ({ id: a.id, displayName: names.get(a.id) ?? a.id, region: regionView(this.o.regions, a.regionCode), state: a.state, languages: Object.keys(a.languages) })),
    };
  }

  // ---- timers --------------------------------------------------------------------------------

  private tick(): void {
    const now = Date.now();
    for (const s of this.sessions.values()) {
      if (s.nextPingAt <= now) {
        s.nextPingAt = now + PING_EVERY_MS;
        if (!s.alive) {
          this.o.log.info({ agentId: s.agentId }, 'agent desktop stopped answering pings; dropping its socket');
          s.terminate();
          this.sessions.delete(s.agentId);
          continue;
        }
        s.alive = false;
        s.ping();
      }
      if (s.nextHeartbeatAt !== 0 && s.nextHeartbeatAt <= now) {
        s.nextHeartbeatAt = now + this.heartbeatMs;
        void this.o.router.heartbeat(s.agentId).catch((err) => this.o.log.warn({ err, agentId: s.agentId }, 'could not renew an agent session'));
      }
    }
    if (now >= this.nextAccountCheckAt) {
      this.nextAccountCheckAt = now + ACCOUNT_CHECK_MS;
      this.accountCheck ??= this.recheckAccounts()
        .catch((err) => this.o.log.warn({ err }, 'could not re-read the accounts of open agent desktops'))
        .finally(() => (this.accountCheck = null));
    }
    if (this.sessions.size > 0 && now - this.lastStatsAt >= this.statsIntervalMs) {
      this.lastStatsAt = now;
      this.stats = this.statsByRegion();
      for (const s of this.sessions.values()) this.sendStats(s, this.stats);
    }
  }

  /**
   * Closes the desktops whose account is gone, disabled, has another role or a newer token
   * version. Every 30 s from the tick; tests call it directly.
   */
  async recheckAccounts(): Promise<void> {
    const open = [...this.sessions.values()];
    for (let i = 0; i < open.length; i += ACCOUNT_CHECK_BATCH) {
      const batch = open.slice(i, i + ACCOUNT_CHECK_BATCH);
      const rows = await this.o.db.selectFrom('agents').select(['id', 'disabled', 'role', 'token_version']).where('id', 'in', batch.map((s) => s.agentId)).execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const s of batch) {
        const row = byId.get(s.agentId);
        if (s.closed || this.stopped) continue;
        if (!row || row.disabled || row.role !== s.actor.role || row.token_version !== s.actor.tokenVersion) this.unauthorised(s);
      }
    }
  }

  /** Queue figures for every region at once: each waiting call and agent counts towards its region and the regions above. */
  private statsByRegion(): Map<string, QueueStatsView> {
    const now = this.o.router.now();
    const state = this.o.router.store.state;
    const byRegion = new Map<string, QueueStatsView>();
    const at = (code: string) => {
      let v = byRegion.get(code);
      if (!v) byRegion.set(code, (v = { regionCode: code, waiting: 0, longestWaitSeconds: 0, agentsReady: 0, agentsBusy: 0, estimatedWaitSeconds: null }));
      return v;
    };
    const lineage = (code: string) => this.o.regions.lineage(code).map((r) => r.code);
    for (const c of state.calls() as Iterable<LiveCall>) {
      if (c.status !== 'waiting' && c.status !== 'offered') continue;
      const waited = Math.max(0, Math.round((now - c.enqueuedAt) / 1000));
      for (const code of lineage(c.regionCode)) {
        const v = at(code);
        v.waiting++;
        v.longestWaitSeconds = Math.max(v.longestWaitSeconds, waited);
      }
    }
    for (const a of state.agents() as Iterable<LiveAgent>) {
      if (a.state === 'offline' || a.state === 'not_ready') continue;
      for (const code of lineage(a.regionCode)) {
        if (a.state === 'ready') at(code).agentsReady++;
        else at(code).agentsBusy++;
      }
    }
    const handleSeconds = (state.stats()?.handleMs ?? this.o.router.settings.defaultHandleSeconds * 1000) / 1000;
    for (const v of byRegion.values()) {
      const staffed = v.agentsReady + v.agentsBusy;
      v.estimatedWaitSeconds = v.waiting === 0 ? 0 : staffed === 0 ? null : Math.round((v.waiting * handleSeconds) / staffed);
    }
    return byRegion;
  }

  private sendStats(s: AgentSession, stats: Map<string, QueueStatsView>): void {
    const agent = this.o.router.liveAgent(s.agentId);
    const code = agent?.regionCode ?? s.actor.regionCode;
    const v = stats.get(code) ?? { regionCode: code, waiting: 0, longestWaitSeconds: 0, agentsReady: 0, agentsBusy: 0, estimatedWaitSeconds: 0 };
    const key = `${v.waiting}/${v.longestWaitSeconds}/${v.agentsReady}/${v.agentsBusy}/${v.estimatedWaitSeconds}`;
    if (key === s.lastStats) return;
    s.lastStats = key;
    s.send({ type: 'queue.stats', ...v });
  }
}

function stateView(a: LiveAgent): StateView {
  return { state: a.state, reason: a.reason, since: a.since, wrapUpEndsAt: a.wrapUpEndsAt };
}
