import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../db/database';
import type { RecordOutbox } from '../../records/outbox';
import type { CallFlow } from '../call-flow';
import { callsRepository } from '../calls-repository';
import { MONITOR_MODES, type MonitorMode } from '../../queue/types';
import type { Action, CallbackDialer, CallRef, ConferenceStep, DriverCapabilities, MonitorRequest, TelephonyDriver } from '../driver';
import type { Prompt } from '../prompts';
import type { AmiClient, Lane } from './ami-client';
import { AmiActionError, AmiNotConnectedError, RedirectNotUpYet } from './ami-errors';
import { allowedActions, describeMissing, type MissingAction, missingActions, missingFor } from './ami-privileges';
import { BridgeEnterEvent, CoreShowChannel, DialEndEvent, GetvarResponse, HangupEvent, OriginateResponseEvent, UserEvent } from './ami-events';
import { isSafeAmiValue } from './ami-fields';
import type { AmiLink } from './ami-link';
import {
  CLOSED_VARIABLE,
  compact,
  CONTEXT_OF,
  CONTEXTS,
  DIAL_TEMPLATE,
  dialString,
  DialTargetError,
  recordingFile,
  recordingUrl,
  render,
  RING_SECONDS,
  USER_EVENTS,
} from './dialplan';
import { LegRooms, type RedirectHeaders } from './leg-rooms';
import { voiceMessage } from './voice-message';

/**
 * The Asterisk phone system behind the call flow, over AMI. Asterisk runs the dialplan in
 * deploy/asterisk/extensions.conf (contract in ./dialplan.ts): it announces each caller with a
 * UserEvent and parks them; the driver asks the call flow what to do and sends the answer as
 * Setvar + Redirect. Events for one channel are handled one at a time, in order.
 *
 * Only the node holding the AMI lease drives Asterisk (`actsOn`). Whenever its link comes up
 * (first connection, reconnection, taking over from another node) it first checks that the
 * account may send every action it needs (ListCommands), then at once sends what the flow
 * decided while the link was down (an agent accepted, an agent hung up at the desk), then
 * re-syncs with the channel list: calls that ended while it was not listening are ended in the
 * flow, calls still there get whatever the flow decided meanwhile, and callers who arrived
 * unannounced are taken in. A waiting caller is never dropped because the link was, and a
 * caller who left unheard never keeps an agent: an action answered "No such channel" ends the
 * call there and then.
 */

export interface AsteriskDriverOptions {
  flow: CallFlow;
  db: Db;
  records: RecordOutbox;
  link: AmiLink;
  log: FastifyBaseLogger;
  provinceCode: string;
  /** ASTERISK_AGENT_DIAL, e.g. `PJSIP/{agent}`. */
  agentDial: string;
  /** How far back a re-sync looks for calls that have not ended (the flow state's lifetime). */
  resyncWindowMs?: number;
  /** While the account lacks a privilege, how often to log in again to see whether it was fixed. */
  privilegeRecheckMs?: number;
  /**
   * The fingerprint of the dialplan generated from this province's settings (dialplan-generator.ts).
   * A caller announced with it walks the menus inside Asterisk and gets one Redirect per decision;
   * any other caller is driven with the generic Setvar + Redirect contexts.
   */
  dialplan?: { fingerprint: string; compactConnect: boolean };
  /** Whether the hotline is open now (service hours): kept in Asterisk's HOTLINE_CLOSED for the generated menus. */
  isOpen?: (at: Date) => boolean;
  /** How often the open/closed flag is checked (default 15 s); it is sent when it changes, and every 5 min. */
  hoursCheckMs?: number;
}

/** What /readyz says of this node's Asterisk link. */
export type AsteriskHealth = { ok: true } | { ok: false; error: string };

interface Delivered {
  type: Action['type'];
  step: number;
  /** When the Redirect was answered: later than a channel list, it makes that list stale. */
  at: number;
  /** A connect's MixMonitor file, when it is not named after the call (the compact connect). */
  recording?: string;
  /** Carried out by the generated dialplan on its own (the menus, the survey): nothing was sent. */
  byDialplan?: boolean;
}

/** A channel as both a UserEvent and a CoreShowChannel item describe it. */
interface ChannelInfo {
  uniqueid: string;
  channel: string;
  calleridnum?: string | undefined;
}

const DTMF = /^[0-9*#]{1,32}$/;
const CALLER_NUMBER = /^\+?[0-9]{3,20}$/;
/** A row older than this with no flow state is a leftover, not a call whose end is being written. */
const LEFTOVER_AFTER_MS = 60_000;
/** ChanSpy's option for each way a supervisor joins (listen: none, only q and E). */
const SPY_OPTION: Record<MonitorMode, string> = { listen: '', whisper: 'w', barge: 'B' };
/** HOTLINE_CLOSED is set again this often even when unchanged (a dialplan reload may clear it). */
const HOURS_REFRESH_MS = 5 * 60_000;
/** Retries of a failed re-sync: 2 s, doubling, at most a minute. */
const RESYNC_RETRY_MS = 2_000;
const RESYNC_RETRY_MAX_MS = 60_000;
/** A Redirect Asterisk calls "channel not up" is asked again after 10, 20, 40 ... 640 ms (1.3 s in all). */
const REDIRECT_RETRY_MS = 10;
const REDIRECT_RETRIES = 7;
/** Then, the channel still there, the action goes out again by the next pass this much later. */
const REDIRECT_AGAIN_MS = 2_000;


/** The caller's number as the network gave it, or 'unknown' when it is not a plain number. */
export function callerNumber(raw: string | undefined): string {
  const cleaned = (raw ?? '').replace(/[\s-]/g, '');
  return CALLER_NUMBER.test(cleaned) ? cleaned : 'unknown';
}

export class AsteriskDriver implements TelephonyDriver {
  readonly name = 'asterisk' as const;
  private readonly client: AmiClient;
  /** Uniqueid → channel name, as Asterisk last reported it. */
  private readonly channels = new Map<string, string>();
  /** Uniqueid → call id, for calls this node has seen. */
  private readonly calls = new Map<string, string>();
  /** The last action each channel was sent, to recognise stale events and repeated decisions. */
  private readonly delivered = new Map<string, Delivered>();
  /** Channels the flow itself hung up (its hangup action), so their end is not the caller's. */
  private readonly endedBySystem = new Set<string>();
  /** The agent's leg of each connected caller (DialEnd's DestChannel): what a supervisor spies on. */
  private readonly agentLegs = new Map<string, string>();
  /** Callers' second legs (consult, interpreter) in ConfBridge rooms. */
  private readonly legs: LegRooms;
  /** The supervisor's ChanSpy channel on each monitored caller's call (its ChannelId). */
  private readonly spies = new Map<string, string>();
  /** The connect step each channel's bridge was reported for (BridgeEnter and DialEnd both say so). */
  private readonly bridgedStep = new Map<string, number>();
  /** Channels with a decision of the flow that could not be sent (the link was down). */
  private readonly undelivered = new Set<string>();
  /** When each caller's channel was last heard of (an event, an answered action, the channel list). */
  private readonly lastHeard = new Map<string, number>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly silentWarned = new Set<string>();
  /** Channels announced by the generated dialplan this service's settings match. */
  private readonly generated = new Set<string>();
  private staleDialplanWarned = '';
  private readonly missingPromptWarned = new Set<string>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private resyncing = false;
  private resyncAgain = false;
  private resyncFailures = 0;
  private lastResyncError = '';
  private stopped = false;
  /** Raised by every login: work for an older login stops. */
  private login = 0;
  /** When this node's link went down, oldest first (the last 64): events after each may have been missed. */
  private readonly linkDowns: number[] = [];
  /** When this node first logged in: it heard nothing before. */
  private listeningSince = 0;
  /** The driver's actions the account may not send (ListCommands, or a Permission denied answer). */
  private missing: MissingAction[] = [];
  /** Whether the account may Originate (ListCommands at the last login; assumed until then). */
  private canOriginate = true;
  private missingLogged = '';
  private recheckTimer: NodeJS.Timeout | undefined;
  private hoursTimer: NodeJS.Timeout | undefined;
  /** The open/closed flag last set in Asterisk on this login, and when (null: not yet). */
  private closedSent: { closed: boolean; at: number; login: number } | null = null;
  /** Dials callbacks (callback-dialer.ts, set by setup.ts). */
  dialer?: CallbackDialer;

  constructor(private readonly o: AsteriskDriverOptions) {
    if (!DIAL_TEMPLATE.test(o.agentDial) || !o.agentDial.includes('{agent}')) {
      throw new Error('ASTERISK_AGENT_DIAL must be a dial string with {agent}, of letters, digits and _ - . / @ : &');
    }
    this.client = o.link.client;
    this.legs = new LegRooms({
      client: this.client,
      flow: o.flow,
      log: o.log,
      agentDial: o.agentDial,
      channelOf: (uniqueid) => this.channels.get(uniqueid),
      agentLegOf: (uniqueid) => this.agentLegs.get(uniqueid),
      spyOn: (uniqueid, channel) => {
        this.spies.delete(uniqueid);
        if (channel) this.agentLegs.set(uniqueid, channel);
        else this.agentLegs.delete(uniqueid);
      },
      redirect: (headers, lane) => this.redirect(headers, lane),
      serial: (uniqueid, fn) => this.serial(uniqueid, fn),
      hangUpCaller: async (uniqueid) => {
        const channel = this.channels.get(uniqueid);
        if (!channel) return;
        this.endedBySystem.add(uniqueid);
        await this.client.action('Hangup', { Channel: channel, Cause: 16 }, { lane: 'urgent' }).catch((err: Error) => {
          if (!(err instanceof AmiActionError)) throw err;
        });
      },
      agentLeft: async (uniqueid, callId) => {
        const next = await o.flow.agentLeft(callId);
        const last = this.delivered.get(uniqueid);
        // agentLeft answers the last action again when the call is past talking: nothing to send.
        if (!next || (last && last.type === next.type && last.step === next.step)) return;
        await this.deliver(uniqueid, callId, next);
      },
      originateRefused: (message) => {
        this.canOriginate = false;
        o.log.error(message);
      },
    });
    this.client.on('UserEvent', UserEvent, (e) => this.onUserEvent(e));
    this.client.on('Hangup', HangupEvent, (e) => this.onHangup(e));
    this.client.on('BridgeEnter', BridgeEnterEvent, (e) => this.onBridged(e.uniqueid));
    this.client.on('OriginateResponse', OriginateResponseEvent, (e) => this.legs.onOriginated(e));
    // Only a caller's dial can bridge a call of the flow (to an agent, or to the outside number
    // of a forward); an Originate's (no calling channel) cannot.
    this.client.on('DialEnd', DialEndEvent, (e) => (e.dialstatus === 'ANSWER' && e.uniqueid ? this.onDialAnswered(e.uniqueid, e.destchannel) : undefined));
    this.client.onUp(() => void this.linkCameUp());
    this.client.onDown(() => {
      this.linkDowns.push(Date.now());
      if (this.linkDowns.length > 64) this.linkDowns.shift();
      clearTimeout(this.resyncTimer);
      clearTimeout(this.recheckTimer);
    });
  }

  /** True on the node that holds the AMI link, whether or not the link is up this moment. */
  actsOn(_call: CallRef, _local: boolean): boolean {
    return this.o.link.holder;
  }

  get linkUp(): boolean {
    return this.o.link.connected;
  }

  /** Whether this node drives Asterisk (holds the AMI lease), whether or not the link is up. */
  get holdsLink(): boolean {
    return this.o.link.holder;
  }

  /**
   * For /readyz: failing on the node that drives Asterisk while the account cannot do what the
   * driver needs (missing privileges, refused login) — faults only an operator can fix. A link
   * that is merely down is not one (it reconnects by itself), and a standby node is healthy.
   */
  health(): AsteriskHealth {
    if (!this.o.link.holder) return { ok: true };
    if (this.missing.length > 0) return { ok: false, error: describeMissing(this.missing) };
    if (this.client.loginRefused) return { ok: false, error: 'Asterisk refused the AMI login: check ASTERISK_USERNAME, ASTERISK_SECRET and permit= in manager.conf' };
    return { ok: true };
  }

  async start(): Promise<void> {
    await this.o.link.start();
    if (this.o.dialplan && this.o.isOpen) {
      this.hoursTimer = setInterval(() => void this.sendHours(false), this.o.hoursCheckMs ?? 15_000);
      this.hoursTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.resyncTimer);
    clearTimeout(this.recheckTimer);
    clearInterval(this.hoursTimer);
    await this.o.link.stop();
    await Promise.allSettled([...this.queues.values()]);
  }

  /** Supervisors join by ChanSpy, and second legs are dialled, by Originate (the originate class). */
  capabilities(): DriverCapabilities {
    return { forward: true, consult: this.canOriginate, interpreter: this.canOriginate, monitor: this.canOriginate ? [...MONITOR_MODES] : [] };
  }

  /**
   * A supervisor on the call: their phone is rung (Originate) into ChanSpy on the agent's leg —
   * q: no announcement; E: out when the agent's leg ends; w: whisper (the agent alone hears
   * them); B: barge (both do). A change of mode hangs the old spy up and rings again.
   */
  async monitor(ref: CallRef, m: MonitorRequest): Promise<void> {
    await this.serial(ref.externalId, async () => {
      const previous = this.spies.get(ref.externalId);
      if (previous) {
        this.spies.delete(ref.externalId);
        await this.client.action('Hangup', { Channel: previous, Cause: 16 }).catch((err: Error) => {
          // Already gone (the supervisor hung up, or the agent's leg ended and ChanSpy with it).
          if (!(err instanceof AmiActionError)) throw err;
        });
      }
      if (!m.mode) return;
      const leg = this.agentLegs.get(ref.externalId);
      if (!leg) {
        this.o.log.warn({ callId: ref.callId }, "cannot monitor the call: the agent's leg is not known (not bridged yet, or bridged while the link was down)");
        return;
      }
      const id = randomUUID();
      await this.client.action('Originate', {
        Channel: dialString(this.o.agentDial, m.supervisor.username),
        Application: 'ChanSpy',
        Data: `${leg},qE${SPY_OPTION[m.mode]}`,
        Async: 'true',
        ChannelId: id,
        Timeout: RING_SECONDS * 1000,
        CallerID: '"12348" <12348>',
      });
      this.spies.set(ref.externalId, id);
    });
  }

  /** An action the router decided (agent accepted, agent hung up, queue timeout). */
  async execute(call: CallRef, action: Action): Promise<void> {
    await this.serial(call.externalId, async () => {
      this.calls.set(call.externalId, call.callId);
      const last = this.delivered.get(call.externalId);
      if (last && last.type === action.type && last.step === action.step) return;
      await this.deliver(call.externalId, call.callId, action);
    });
  }

// ---- second legs: consult transfer and interpreters (leg-rooms.ts) --------------------------

  /** A step of a second leg, in the caller's order (leg-rooms.ts says how each is carried out). */
  async conference(ref: CallRef, step: ConferenceStep): Promise<void> {
    await this.serial(ref.externalId, () => this.legs.step(ref, step));
  }

  // ---- events ------------------------------------------------------------------------------

  private onUserEvent(e: UserEvent): void {
    switch (e.userevent) {
      case USER_EVENTS.arrived:
        void this.serial(e.uniqueid, () => this.arrived(e));
        return;
      case USER_EVENTS.digits:
      case USER_EVENTS.holdTick:
      case USER_EVENTS.dialResult:
        void this.serial(e.uniqueid, () => this.answer(e));
        return;
      case USER_EVENTS.forwardResult:
        void this.serial(e.uniqueid, () => this.forwarded(e));
        return;
      case USER_EVENTS.menus:
        void this.serial(e.uniqueid, () => this.menusAnswered(e));
        return;
      case USER_EVENTS.promptMissing:
        this.promptMissing(e);
        return;
      case USER_EVENTS.message:
        void this.serial(e.uniqueid, () => this.messageRecorded(e));
        return;
      default:
        // Other applications on the same Asterisk may send their own UserEvents.
        this.o.log.debug({ userEvent: e.userevent }, 'UserEvent not meant for the hotline ignored');
    }
  }

  private async arrived(c: ChannelInfo & { ivr?: string | undefined }): Promise<void> {
    // Already taken in by a re-sync that found the caller parked before this event came.
    if (this.delivered.has(c.uniqueid)) return;
    const generated = this.runsGeneratedMenus(c.ivr);
    if (!isSafeAmiValue(c.channel)) {
      // Nothing could be sent back to it; the dialplan's safety exit ends the call.
      this.o.log.error({ uniqueid: c.uniqueid }, 'refusing a call whose channel name cannot be sent to Asterisk safely');
      return;
    }
    const { callId, action } = await this.o.flow.arrived({ driver: 'asterisk', externalId: c.uniqueid, from: callerNumber(c.calleridnum) });
    this.calls.set(c.uniqueid, callId);
    this.channels.set(c.uniqueid, c.channel);
    this.lastHeard.set(c.uniqueid, Date.now());
    if (generated && action.type === 'menu' && action.menu === 'language') {
      // The caller is already hearing the welcome and the language menu from the dialplan.
      this.generated.add(c.uniqueid);
      this.byDialplan(c.uniqueid, action);
      return;
    }
    await this.deliver(c.uniqueid, callId, action);
  }

  /** Whether a caller announced with this fingerprint walks the menus in Asterisk; a stale one is said once. */
  private runsGeneratedMenus(ivr: string | undefined): boolean {
    const expected = this.o.dialplan?.fingerprint;
    if (!ivr || !expected) return false;
    if (ivr === expected) return true;
    if (this.staleDialplanWarned !== ivr) {
      this.staleDialplanWarned = ivr;
      this.o.log.warn(
        { dialplan: ivr, settings: expected },
        "extensions.conf was generated from other IVR settings: the service drives every menu itself (about ten times the AMI actions per call); run npm run asterisk:dialplan and reload the dialplan",
      );
    }
    return false;
  }

  /** Remembers an action the generated dialplan carries out on its own, without sending anything. */
  private byDialplan(uniqueid: string, action: Action): void {
    this.delivered.set(uniqueid, { type: action.type, step: action.step, at: Date.now(), byDialplan: true });
    this.undelivered.delete(uniqueid);
    if (action.type === 'hangup') this.endedBySystem.add(uniqueid);
  }

  /**
   * The generated menus' answers, one event for all: given to the flow menu by menu, as if it had
   * asked. The dialplan reports the last key of a menu it repeated; the flow, seeing it again,
   * takes the default where the dialplan did.
   */
  private async menusAnswered(e: UserEvent): Promise<void> {
    const callId = await this.callIdOf(e.uniqueid);
    if (!callId || !this.generated.has(e.uniqueid)) {
      this.o.log.warn({ uniqueid: e.uniqueid }, 'menu answers for a call not walking the generated menus; ignored');
      return;
    }
    this.channels.set(e.uniqueid, e.channel);
    this.lastHeard.set(e.uniqueid, Date.now());
    const last = (await this.o.flow.state(callId))?.lastAction as Action | null | undefined;
    const asked: Array<[string, string | undefined]> = [['language', e.languagekey], ['topic', e.topickey], ['priority', e.prioritykey]];
    // Closed, the dialplan stops after the language and reports no more: the flow's next step
    // (the hours) follows; should the service find the hotline open after all, its own next menu.
    const unasked = asked.findIndex(([menu, digits]) => menu !== 'language' && digits === undefined);
    const answers = unasked === -1 ? asked : asked.slice(0, unasked);
    const next = await this.feed(callId, last ?? null, answers);
    if (next) await this.deliver(e.uniqueid, callId, next);
  }

  /** Gives each menu its answer for as long as the flow asks that menu; returns what follows. */
  private async feed(callId: string, from: Action | null, answers: Array<[string, string | undefined]>): Promise<Action | null> {
    let next = from;
    for (const [menu, digits] of answers) {
      const key = this.keys(digits, callId);
      // Bounded: the flow takes the default after menuAttempts (at most 5).
      for (let i = 0; i < 8 && next?.type === 'menu' && next.menu === menu; i++) next = await this.o.flow.digits(callId, next.step, key);
    }
    return next;
  }

  private promptMissing(e: UserEvent): void {
    const language = e.promptlanguage;
    const key = `${language ?? ''}:${e.prompt ?? ''}`;
    if (this.missingPromptWarned.has(key)) return;
    this.missingPromptWarned.add(key);
    const fallback = language === 'tts' ? 'nothing: the menu is silent' : language === 'zh' ? 'the generated Mandarin voice' : 'Mandarin';
    this.o.log.warn({ prompt: e.prompt, language, fallback }, `sound file missing on Asterisk; callers hear ${fallback} instead (npm run asterisk:prompts lists the gaps)`);
  }

  /** A menu answered, a hold period over, or a dial finished: the flow decides what is next. */
  private async answer(e: UserEvent): Promise<void> {
    const callId = await this.callIdOf(e.uniqueid);
    if (!callId) {
      this.o.log.warn({ uniqueid: e.uniqueid, userEvent: e.userevent }, 'hotline event for a channel the call flow does not know; ignored');
      return;
    }
    const step = e.step !== undefined && /^\d{1,9}$/.test(e.step) ? Number(e.step) : null;
    if (step === null) {
      this.o.log.warn({ callId, userEvent: e.userevent }, 'hotline event without a valid Step; ignored (check extensions.conf)');
      return;
    }
    this.channels.set(e.uniqueid, e.channel);
    this.lastHeard.set(e.uniqueid, Date.now());
    let next: Action | null;
    if (e.userevent === USER_EVENTS.digits && e.auto === '1' && this.generated.has(e.uniqueid)) {
      // The survey the generated connect ran after the agent; its goodbye is played there too.
      const last = (await this.o.flow.state(callId))?.lastAction as Action | null | undefined;
      next = await this.feed(callId, last ?? null, [['survey', e.digits]]);
      if (next?.type === 'hangup') {
        this.byDialplan(e.uniqueid, next);
        return;
      }
    } else if (e.userevent === USER_EVENTS.digits) next = await this.o.flow.digits(callId, step, this.keys(e.digits, callId));
    else if (e.userevent === USER_EVENTS.holdTick) next = await this.o.flow.holdTick(callId);
    else {
      const connected = this.delivered.get(e.uniqueid);
      next = await this.dialResult(e.uniqueid, callId, e.dialstatus ?? '');
      // After the agent, the generated connect goes on to the survey by itself.
      if (next?.type === 'menu' && next.menu === 'survey' && e.dialstatus === 'ANSWER' && connected?.type === 'connect' && connected.recording) {
        this.byDialplan(e.uniqueid, next);
        return;
      }
    }
    if (!next) return;
    // The channel already moved on to this very action (sent while the event was on its way).
    const last = this.delivered.get(e.uniqueid);
    if (last && last.type === next.type && last.step === next.step && step < last.step) return;
    await this.deliver(e.uniqueid, callId, next);
  }

  /**
   * How the dial to an outside number went ([hotline-forward], when it is over). Failed: the
   * caller waits in hotline-park for what the flow decides (back to the agent). Answered: the
   * DialEnd told the flow already; this only closes it.
   */
  private async forwarded(e: UserEvent): Promise<void> {
    const callId = await this.callIdOf(e.uniqueid);
    const step = e.step !== undefined && /^\d{1,9}$/.test(e.step) ? Number(e.step) : null;
    if (!callId || step === null) {
      this.o.log.warn({ uniqueid: e.uniqueid }, 'forward result for a call the flow does not know, or without a valid Step; ignored');
      return;
    }
    this.lastHeard.set(e.uniqueid, Date.now());
    const next = await this.o.flow.forwardResult(callId, step, e.dialstatus ?? '', e.cause && /^\d{1,3}$/.test(e.cause) ? e.cause : undefined);
    if (next) await this.deliver(e.uniqueid, callId, next);
  }

  /** A voice message recorded (or the caller hung up while recording): the flow makes it a ticket and a callback. */
  private async messageRecorded(e: UserEvent): Promise<void> {
    const callId = await this.callIdOf(e.uniqueid);
    const message = callId ? voiceMessage(e, callId) : null;
    if (!callId || !message) {
      this.o.log.warn({ uniqueid: e.uniqueid }, 'voice message for a call the flow does not know, or without a valid Step; ignored');
      return;
    }
    this.lastHeard.set(e.uniqueid, Date.now());
    const next = await this.o.flow.messageRecorded(callId, message.step, message);
    if (next && !message.hungUp) await this.deliver(e.uniqueid, callId, next);
  }

  private keys(digits: string | undefined, callId: string): string | null {
    if (digits === undefined || digits === '') return null;
    if (DTMF.test(digits)) return digits;
    this.o.log.warn({ callId, length: digits.length }, 'keys from Asterisk that are not DTMF digits; taken as a wrong key');
    // Not a key any menu offers: the flow repeats the menu (or keeps the caller on hold).
    return '?';
  }

  private async dialResult(uniqueid: string, callId: string, status: string): Promise<Action | null> {
    if (status === 'ANSWER') {
      // The agent answered and has now hung up; the caller stays for the survey.
      await this.reportBridged(uniqueid, callId);
      return this.o.flow.agentLeft(callId);
    }
    return this.o.flow.bridgeFailed(callId, status ? status.toLowerCase() : 'unknown');
  }

  /** A caller's Dial was answered: by the agent (the bridge) or by a forward's outside number. */
  private onDialAnswered(uniqueid: string, dialled: string | undefined): void {
    const sent = this.delivered.get(uniqueid);
    if (sent?.type !== 'forward') {
      if (dialled) this.agentLegs.set(uniqueid, dialled);
      return this.onBridged(uniqueid);
    }
    void this.serial(uniqueid, async () => {
      const callId = await this.callIdOf(uniqueid);
      if (!callId) return;
      this.lastHeard.set(uniqueid, Date.now());
      await this.o.flow.forwardResult(callId, sent.step, 'ANSWER', '16');
    });
  }

  private onBridged(uniqueid: string): void {
    void this.serial(uniqueid, async () => {
      const callId = await this.callIdOf(uniqueid);
      if (callId) await this.reportBridged(uniqueid, callId);
    });
  }

  /** Once per connect step: the bridge, and the MixMonitor file that records it. */
  private async reportBridged(uniqueid: string, callId: string): Promise<void> {
    this.lastHeard.set(uniqueid, Date.now());
    const state = await this.o.flow.state(callId);
    const last = state?.lastAction as Action | null | undefined;
    if (!last || last.type !== 'connect' || this.bridgedStep.get(uniqueid) === last.step) return;
    this.bridgedStep.set(uniqueid, last.step);
    await this.o.flow.bridged(callId);
    const sent = this.delivered.get(uniqueid);
    const file = sent?.type === 'connect' && sent.step === last.step && sent.recording ? sent.recording : recordingFile(callId, last.step);
    await this.o.flow.recording(callId, recordingUrl(file));
  }

  private onHangup(e: HangupEvent): void {
    const party = this.legs.partyOf(e);
    if (party) {
      void this.serial(party.uniqueid, () => (party.role === 'target' ? this.legs.targetHungUp(party.uniqueid, party.leg) : this.legs.agentHungUp(party.uniqueid)));
      return;
    }
    void this.serial(e.uniqueid, async () => {
      // Agents' legs and other channels hang up too; only callers are in the flow.
      const callId = await this.callIdOf(e.uniqueid);
      if (!callId) return;
      await this.o.flow.hangup(callId, this.endedBySystem.has(e.uniqueid) ? 'system' : 'caller');
      await this.legs.leave(e.uniqueid);
      this.forget(e.uniqueid);
    });
  }

  // ---- actions -----------------------------------------------------------------------------

  /** Setvar for what the dialplan needs, then Redirect into the action's context. */
  private async deliver(uniqueid: string, callId: string, action: Action): Promise<void> {
    const channel = this.channels.get(uniqueid);
    if (!this.client.connected) {
      // The flow's latest action for this call goes out as soon as the link is back.
      this.undelivered.add(uniqueid);
      this.o.log.info({ callId, action: action.type, step: action.step }, 'AMI link not up; the action goes out when it is back');
      return;
    }
    if (!channel) {
      // Every live call's channel is learnt from its events or from the re-sync's channel list
      // (a node that took the link over knows none before its first re-sync).
      this.undelivered.add(uniqueid);
      this.o.log.warn({ callId, action: action.type, step: action.step }, 'no live Asterisk channel known for this call yet; the re-sync delivers the action');
      return;
    }
    // An agent waits on this one (connect; a forward keeps the agent too): under load it goes
    // before menus and hold announcements, so agents are not held by callers' queueing.
    const lane: Lane = action.type === 'connect' || action.type === 'forward' ? 'urgent' : 'normal';
    const one = this.generated.has(uniqueid) ? compact(action, { uniqueid, agentDial: this.o.dialplan?.compactConnect ?? false }) : null;
    if (one) {
      await this.send(uniqueid, callId, action, async () => {
        await this.redirect({ Channel: channel, Context: one.context, Exten: one.exten, Priority: 1 }, lane);
        return one.recording;
      });
      return;
    }
    let plan: ReturnType<typeof render>;
    try {
      plan = render(action, { callId, agentDial: this.o.agentDial });
    } catch (err) {
      if (!(err instanceof DialTargetError) || action.type !== 'connect') throw err;
      this.o.log.error({ callId, agentId: action.agent.id, reason: err.message }, 'cannot dial the agent; the caller goes back to the queue');
      const next = await this.o.flow.bridgeFailed(callId, 'invalid agent endpoint');
      if (next) await this.deliver(uniqueid, callId, next);
      return;
    }
    for (const p of plan.silent) this.warnSilent(p);
    await this.send(uniqueid, callId, action, async () => {
      // Asterisk handles one session's actions in order: the Setvars land before the Redirect.
      // All of them answered (or failed) before this step is over, so none can still be waiting
      // in the service when the channel's next action, perhaps urgent, overtakes it.
      const set = await Promise.allSettled(Object.entries(plan.variables).map(([name, value]) => this.client.action('Setvar', { Channel: channel, Variable: name, Value: value }, { lane })));
      const failed = set.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      await this.redirect({ Channel: channel, Context: plan.context, Exten: 's', Priority: 1 }, lane);
      return undefined;
    });
  }

  /**
   * Redirect, asked again while Asterisk says "channel not up" (AmiActionError.channelBusy): the
   * previous Redirect may still be on its way through the channel's thread. Asked again ahead of
   * other callers' actions (the channel's own next action waits for this one). A caller really
   * hanging up says "does not exist" soon enough; one that still says "not up" after the last
   * try is asked for with Getvar, and only "No such channel" makes it gone (RedirectNotUpYet
   * otherwise: the action is kept for the next pass).
   */
  private async redirect(headers: RedirectHeaders, lane: Lane): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.action('Redirect', headers, { lane: attempt === 0 ? lane : 'urgent' });
        return;
      } catch (err) {
        if (!(err instanceof AmiActionError && err.channelBusy) || this.stopped) throw err;
        if (attempt >= REDIRECT_RETRIES) {
          await this.client.action('Getvar', { Channel: headers.Channel, Variable: 'HL_STEP' }, { schema: GetvarResponse, lane: 'urgent' });
          throw new RedirectNotUpYet(err.message);
        }
        await new Promise((r) => setTimeout(r, REDIRECT_RETRY_MS * 2 ** attempt));
      }
    }
  }

  /** Sends one action's AMI actions; a channel gone, a link down or a refused action is handled here. */
  private async send(uniqueid: string, callId: string, action: Action, actions: () => Promise<string | undefined>): Promise<void> {
    if (action.type === 'hangup') this.endedBySystem.add(uniqueid);
    // Asterisk answered for the channel between now and the answer's arrival; the answer may be
    // read only after the link has dropped (it was on its way), and a later time would hide a
    // hang-up missed since the drop (hangupTime).
    const sentAt = Date.now();
    try {
      const recording = await actions();
      this.delivered.set(uniqueid, { type: action.type, step: action.step, at: Date.now(), ...(recording ? { recording } : {}) });
      this.undelivered.delete(uniqueid);
      this.lastHeard.set(uniqueid, Math.max(this.lastHeard.get(uniqueid) ?? 0, sentAt));
      // Out of a second leg's room (the survey after the desk hung up): the agent's leg no longer
      // ends with a Dial bridge the caller leaves, so it is hung up here.
      await this.legs.leave(uniqueid);
    } catch (err) {
      if (err instanceof AmiActionError && err.channelGone) {
        await this.gone(uniqueid, callId, action);
      } else if (err instanceof RedirectNotUpYet) {
        // Still there, still busy: sent again by the next pass rather than taken for a hang-up.
        this.undelivered.add(uniqueid);
        this.o.log.warn({ callId, action: action.type }, 'Asterisk still busy with the previous Redirect of this caller; trying again shortly');
        setTimeout(() => void this.deliverPending(), REDIRECT_AGAIN_MS).unref();
      } else if (err instanceof AmiNotConnectedError) {
        this.undelivered.add(uniqueid);
        this.o.log.info({ callId, action: action.type }, 'AMI link went down; the action goes out when it is back');
      } else if (err instanceof AmiActionError && err.permissionDenied) {
        // Kept for when the account is fixed (the client logs in again to check).
        this.undelivered.add(uniqueid);
        this.denied(err.action);
      } else {
        this.o.log.error({ err, callId, action: action.type, step: action.step }, "could not deliver the call flow's action to Asterisk");
      }
    }
  }

  /**
   * Asterisk answered "No such channel": the caller hung up and the Hangup event was missed
   * (the link was down) or is still on its way. The call ends here, whatever it was waiting for:
   * a caller gone before the connect was never answered, and the agent who accepted is free.
   */
  private async gone(uniqueid: string, callId: string, action: Action): Promise<void> {
    const at = this.hangupTime(uniqueid);
    this.o.log.info({ callId, action: action.type, leftAt: at.toISOString() }, 'the caller had left before the action reached them; the call ends');
    await this.o.flow.hangup(callId, this.endedBySystem.has(uniqueid) ? 'system' : 'caller', at);
    await this.legs.leave(uniqueid);
    this.forget(uniqueid);
  }

  /**
   * When a caller whose hang-up was not heard left, as best known. Asterisk writes a
   * session's pending events before it reads the session's next action (main/manager.c,
   * get_input), so a hang-up while the link was up would have been heard first. If the link
   * went down since the channel was last heard of, the caller is taken to have left when it
   * first went down after that: the earliest the Hangup can have been missed, so a wait is
   * never overstated. A channel this node never heard of (taken over from another node) left
   * at the latest when this node began listening. Otherwise the link was up all along and the
   * Hangup event is still on its way: now.
   */
  private hangupTime(uniqueid: string): Date {
    const heard = this.lastHeard.get(uniqueid);
    if (heard === undefined) return new Date(this.listeningSince || Date.now());
    const missedFrom = this.linkDowns.find((down) => down > heard);
    return new Date(missedFrom ?? Date.now());
  }

  private warnSilent(p: Prompt): void {
    const key = `${p.language}:${p.key}`;
    if (this.silentWarned.has(key)) return;
    this.silentWarned.add(key);
    this.o.log.warn({ prompt: p.key, language: p.language }, 'prompt has no sound file; Asterisk callers do not hear it');
  }

  // ---- after each login ----------------------------------------------------------------------

  /**
   * Privileges first (one round trip), then what the flow decided while the link was down —
   * sent at once, whether or not the channel list can be had — then the full re-sync.
   */
  private async linkCameUp(): Promise<void> {
    const login = ++this.login;
    this.listeningSince ||= Date.now();
    this.resyncFailures = 0;
    this.lastResyncError = '';
    const current = () => login === this.login && !this.stopped && this.client.connected;
    try {
      await this.checkPrivileges();
      if (!current()) return;
      await this.sendHours(true);
      if (!current()) return;
      await this.deliverPending();
      if (current()) this.resync();
    } catch (err) {
      this.o.log.error({ err }, 'could not take up the calls after the AMI login');
    }
  }

  /**
   * Keeps HOTLINE_CLOSED (a global variable) as the service hours say, for the generated menus:
   * on every login, when it changes, and every 5 minutes (a `dialplan reload` may clear it).
   * One action per change, not per call; a stale value costs nothing worse than a menu asked.
   */
  private async sendHours(force: boolean): Promise<void> {
    if (!this.o.dialplan || !this.o.isOpen || !this.client.connected || this.stopped) return;
    const closed = !this.o.isOpen(new Date());
    const last = this.closedSent;
    if (!force && last && last.login === this.login && last.closed === closed && Date.now() - last.at < HOURS_REFRESH_MS) return;
    const login = this.login;
    try {
      await this.client.action('Setvar', { Variable: CLOSED_VARIABLE, Value: closed ? '1' : '0' });
      this.closedSent = { closed, at: Date.now(), login };
      if (last?.closed !== closed) this.o.log.info({ closed }, closed ? 'hotline closed (service hours): the generated menus stop after the language' : 'hotline open (service hours)');
    } catch (err) {
      this.o.log.warn({ reason: (err as Error).message }, `could not set ${CLOSED_VARIABLE} in Asterisk; callers out of hours answer every menu before hearing the hours`);
    }
  }

  private async checkPrivileges(): Promise<void> {
    let missing: MissingAction[];
    try {
      const allowed = await allowedActions(this.client);
      // Optional (callbacks, supervisors on calls): without it those are simply not offered.
      this.canOriginate = allowed.has('originate');
      missing = missingActions(allowed);
    } catch (err) {
      // Not worth holding calls up for: a refused action still reports itself (denied()).
      if (this.client.connected) this.o.log.warn({ reason: (err as Error).message }, 'could not list what the AMI account may do (ListCommands); carrying on');
      return;
    }
    this.setMissing(missing);
  }

  /** An action answered "Permission denied" although ListCommands let it through (or said nothing). */
  private denied(action: string): void {
    const m = missingFor(action);
    if (m && !this.missing.some((x) => x.action === m.action)) this.setMissing([...this.missing, m]);
  }

  /**
   * Said once per change (not on every login), and kept for /readyz. A session keeps the
   * privileges it logged in with, so while some are missing the client logs in again now and
   * then: a manager.conf fixed and reloaded is picked up without restarting the service.
   */
  private setMissing(missing: MissingAction[]): void {
    const key = missing.map((m) => m.action).join(',');
    const before = this.missingLogged;
    this.missing = missing;
    this.missingLogged = key;
    clearTimeout(this.recheckTimer);
    if (missing.length === 0) {
      if (before) this.o.log.info('the AMI account now allows every action the driver needs');
      return;
    }
    if (key !== before) {
      const classes = [...new Set(missing.map((m) => m.class))];
      this.o.log.error(
        { account: this.client.account, missing: missing.map((m) => m.action), classes },
        `Asterisk refuses actions the hotline needs: ${describeMissing(missing, this.client.account)}`,
      );
    }
    this.recheckTimer = setTimeout(() => void this.client.relogin('re-checking the AMI privileges'), this.o.privilegeRecheckMs ?? 60_000);
  }

  /** Sends, as soon as the link is back, what the flow decided for calls while it was down. */
  private async deliverPending(): Promise<void> {
    let sent = 0;
    await Promise.all(
      [...this.undelivered].map((uniqueid) =>
        this.serial(uniqueid, async () => {
          const callId = this.calls.get(uniqueid);
          // A channel not known yet (a node that just took over) is found by the re-sync.
          if (!callId || !this.channels.has(uniqueid) || !this.client.connected) return;
          this.undelivered.delete(uniqueid);
          const last = (await this.o.flow.state(callId))?.lastAction as Action | null | undefined;
          const done = this.delivered.get(uniqueid);
          if (!last || (done && done.type === last.type && done.step === last.step)) return;
          sent++;
          await this.deliver(uniqueid, callId, last);
        }),
      ),
    );
    if (sent > 0) this.o.log.info({ sent }, "sent the call flow's decisions made while the AMI link was down");
  }

  // ---- re-sync -----------------------------------------------------------------------------

  /** One re-sync; a failed one says why and is tried again with back-off (2 s doubling to 1 min). */
  private resync(): void {
    clearTimeout(this.resyncTimer);
    // One at a time: a second pass over an older channel list could repeat a Redirect.
    if (this.resyncing) {
      this.resyncAgain = true;
      return;
    }
    this.resyncing = true;
    const login = this.login;
    this.reconcile()
      .then(() => {
        if (this.resyncFailures > 0) this.o.log.info({ attempts: this.resyncFailures + 1 }, 'calls re-synced with Asterisk after failed attempts');
        this.resyncFailures = 0;
        this.lastResyncError = '';
      })
      .catch((err) => {
        if (this.stopped || !this.client.connected || login !== this.login) return;
        if (err instanceof AmiActionError && err.permissionDenied) {
          // Not worth retrying: said once, and the next pass asks channel by channel instead.
          this.denied(err.action);
          this.resyncAgain = true;
          return;
        }
        const delay = Math.min(RESYNC_RETRY_MAX_MS, RESYNC_RETRY_MS * 2 ** this.resyncFailures++);
        const reason = err instanceof Error ? err.message : String(err);
        this.o.log[reason === this.lastResyncError ? 'debug' : 'warn']({ reason, retryInMs: delay }, 'could not re-sync calls with Asterisk; trying again');
        this.lastResyncError = reason;
        this.resyncTimer = setTimeout(() => this.resync(), delay);
      })
      .finally(() => {
        this.resyncing = false;
        if (!this.resyncAgain) return;
        this.resyncAgain = false;
        if (this.client.connected && !this.stopped) this.resync();
      });
  }

  /** Compares the calls the flow has with the channels Asterisk has, and acts on the difference. */
  private async reconcile(): Promise<void> {
    // The calls first, the channels second: a call that arrives in between is then in neither
    // list, rather than in the calls and missing from the channels (and taken for gone).
    const since = new Date(Date.now() - (this.o.resyncWindowMs ?? 6 * 3600_000));
    const known = new Map(this.calls);
    // Without the database, the calls this node knows are still re-synced; the pass is retried.
    let unread: unknown = null;
    try {
      for (const row of await callsRepository.open(this.o.db, this.o.provinceCode, 'asterisk', since)) known.set(row.externalId, row.id);
    } catch (err) {
      unread = err;
    }
    if (this.missing.some((m) => m.action === 'CoreShowChannels')) await this.resyncChannelByChannel(known);
    else await this.compare(known);
    if (unread) throw unread;
  }

  private async compare(known: Map<string, string>): Promise<void> {
    const listedAt = Date.now();
    const live = await this.client.list('CoreShowChannels', {}, { itemEvent: 'CoreShowChannel', completeEvent: 'CoreShowChannelsComplete', itemSchema: CoreShowChannel, timeoutMs: 15_000 });
    const byId = new Map(live.map((c) => [c.uniqueid, c]));
    const counts = { live: live.length, ended: 0, resumed: 0, adopted: 0 };
    await Promise.all(
      [...known].map(([uniqueid, callId]) =>
        this.serial(uniqueid, async () => {
          const channel = byId.get(uniqueid);
          if (!channel) {
            if (await this.vanished(uniqueid, callId)) counts.ended++;
          } else if (await this.resume(callId, channel, listedAt)) counts.resumed++;
        }),
      ),
    );
    // Callers announced while nobody listened are parked, waiting: take them in now.
    // Callers in the generated menus whose arrival went unheard are taken in too: the service's
    // own menus replace the dialplan's (its answers would go unheard as well).
    const parked = live.filter((c) => (c.context === CONTEXTS.park || c.context === CONTEXTS.ivr) && !known.has(c.uniqueid));
    await Promise.all(
      parked.map((c) =>
        this.serial(c.uniqueid, async () => {
          const callId = await this.callIdOf(c.uniqueid);
          if (callId) {
            if (await this.resume(callId, c, listedAt)) counts.resumed++;
          } else {
            await this.arrived(c);
            counts.adopted++;
          }
        }),
      ),
    );
    this.o.log.info(counts, 'calls re-synced with Asterisk');
  }

  /**
   * The re-sync without the channel list (the account may not send CoreShowChannels): each
   * caller's channel this node knows is asked for with Getvar, which answers "No such channel"
   * once it is gone. Callers announced while nobody listened cannot be found this way; the
   * dialplan's safety exit ends their calls.
   */
  private async resyncChannelByChannel(known: Map<string, string>): Promise<void> {
    const counts = { probed: 0, ended: 0 };
    await Promise.all(
      [...known].map(([uniqueid, callId]) =>
        this.serial(uniqueid, async () => {
          const channel = this.channels.get(uniqueid);
          if (!channel) return;
          counts.probed++;
          const askedAt = Date.now();
          try {
            await this.client.action('Getvar', { Channel: channel, Variable: 'HL_STEP' }, { schema: GetvarResponse });
            this.lastHeard.set(uniqueid, Math.max(this.lastHeard.get(uniqueid) ?? 0, askedAt));
          } catch (err) {
            if (!(err instanceof AmiActionError && err.channelGone)) throw err;
            if (await this.vanished(uniqueid, callId)) counts.ended++;
          }
        }),
      ),
    );
    this.o.log.info(counts, 'calls re-synced with Asterisk channel by channel (no channel list)');
  }

  /**
   * Whether Asterisk still has the caller's channel (the reaper asks, for a call gone quiet).
   * Only the node driving Asterisk can tell, and only for a channel it has heard of.
   */
  async probe(ref: CallRef): Promise<'live' | 'gone' | 'unknown'> {
    const channel = this.channels.get(ref.externalId);
    if (!this.o.link.holder || !this.client.connected || !channel) return 'unknown';
    try {
      await this.client.action('Getvar', { Channel: channel, Variable: 'HL_STEP' }, { schema: GetvarResponse });
      return 'live';
    } catch (err) {
      return err instanceof AmiActionError && err.channelGone ? 'gone' : 'unknown';
    }
  }

  /** A call Asterisk no longer has: the caller hung up while the link was down. */
  private async vanished(uniqueid: string, callId: string): Promise<boolean> {
    const state = await this.o.flow.state(callId);
    if (state) {
      await this.o.flow.hangup(callId, this.endedBySystem.has(uniqueid) ? 'system' : 'caller', this.hangupTime(uniqueid));
      await this.legs.leave(uniqueid);
    } else {
      // The flow lost it (a restart without Redis): close the record rather than leave it open.
      const row = await this.o.db.selectFrom('calls').select(['arrived_at', 'status']).where('id', '=', callId).executeTakeFirst();
      if (!row || row.status === 'ended' || Date.now() - row.arrived_at.getTime() < LEFTOVER_AFTER_MS) return false;
      await this.o.records.callEnded(callId, 'failed', new Date(), { end_detail: 'phone_system_lost' });
      await this.o.records.event(callId, 'asterisk.lost', {});
      this.o.log.warn({ callId }, 'call gone from Asterisk and unknown to the call flow; recorded as failed');
    }
    this.forget(uniqueid);
    return true;
  }

  /** A call Asterisk still has: if it is not where the flow's last decision put it, send that. */
  private async resume(callId: string, c: CoreShowChannel, listedAt: number): Promise<boolean> {
    this.calls.set(c.uniqueid, callId);
    this.channels.set(c.uniqueid, c.channel);
    this.lastHeard.set(c.uniqueid, Math.max(this.lastHeard.get(c.uniqueid) ?? 0, listedAt));
    // Its arrival is being handled (the HotlineArrived event is on its way or in hand).
    if (c.context === CONTEXTS.inbound) return false;
    // Walking the generated menus: their answers come in one event.
    if (c.context === CONTEXTS.ivr && this.generated.has(c.uniqueid)) return false;
    // Sent something since the list was taken: the channel has moved on from where it says.
    if ((this.delivered.get(c.uniqueid)?.at ?? 0) >= listedAt) return false;
    const state = await this.o.flow.state(callId);
    const last = state?.lastAction as Action | null | undefined;
    if (!last) {
      if (!state) this.o.log.warn({ callId }, 'live call the call flow no longer knows; the dialplan will end it');
      return false;
    }
    if (CONTEXT_OF[last.type].includes(c.context)) {
      // Already where the flow's last decision put it: nothing is owed to it.
      this.undelivered.delete(c.uniqueid);
      return false;
    }
    if (last.type === 'connect' && c.context === CONTEXTS.park) {
      // The dial ended while the link was down and its result went with the event: ask for it.
      const ranStep = await this.client.action('Getvar', { Channel: c.channel, Variable: 'HL_STEP' }, { schema: GetvarResponse });
      if (ranStep.value === String(last.step)) {
        const status = await this.client.action('Getvar', { Channel: c.channel, Variable: 'DIALSTATUS' }, { schema: GetvarResponse });
        const next = await this.dialResult(c.uniqueid, callId, status.value ?? '');
        if (next) await this.deliver(c.uniqueid, callId, next);
        return true;
      }
    }
    if (last.type === 'forward' && c.context === CONTEXTS.park) {
      // The outside number's dial failed while the link was down: ask how, rather than dial again.
      const ranStep = await this.client.action('Getvar', { Channel: c.channel, Variable: 'HL_STEP' }, { schema: GetvarResponse });
      if (ranStep.value === String(last.step)) {
        const status = await this.client.action('Getvar', { Channel: c.channel, Variable: 'DIALSTATUS' }, { schema: GetvarResponse });
        const cause = await this.client.action('Getvar', { Channel: c.channel, Variable: 'HANGUPCAUSE' }, { schema: GetvarResponse });
        const next = await this.o.flow.forwardResult(callId, last.step, status.value ?? '', cause.value && /^\d{1,3}$/.test(cause.value) ? cause.value : undefined);
        if (next) await this.deliver(c.uniqueid, callId, next);
        return true;
      }
    }
    await this.deliver(c.uniqueid, callId, last);
    return true;
  }

  // ---- bookkeeping -------------------------------------------------------------------------

  private async callIdOf(uniqueid: string): Promise<string | null> {
    const known = this.calls.get(uniqueid);
    if (known) return known;
    const found = await this.o.flow.lookup('asterisk', uniqueid);
    if (found) this.calls.set(uniqueid, found);
    return found;
  }

  private forget(uniqueid: string): void {
    this.undelivered.delete(uniqueid);
    this.lastHeard.delete(uniqueid);
    this.calls.delete(uniqueid);
    this.channels.delete(uniqueid);
    this.delivered.delete(uniqueid);
    this.endedBySystem.delete(uniqueid);
    this.bridgedStep.delete(uniqueid);
    this.generated.delete(uniqueid);
    this.agentLegs.delete(uniqueid);
    this.spies.delete(uniqueid);
    this.legs.forget(uniqueid);
  }

  /** Runs `fn` after everything queued for the same channel; failures are logged, not thrown. */
  private serial(uniqueid: string, fn: () => Promise<void>): Promise<void> {
    const before = this.queues.get(uniqueid) ?? Promise.resolve();
    const run = before.then(fn).catch((err) => this.o.log.error({ err, uniqueid }, 'Asterisk driver could not handle a call event'));
    this.queues.set(uniqueid, run);
    void run.then(() => {
      if (this.queues.get(uniqueid) === run) this.queues.delete(uniqueid);
    });
    return run;
  }
}
