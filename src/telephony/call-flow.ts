import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { KeyedSerial } from '../async/keyed-serial';
import type { Db } from '../db/database';
import type { Province } from '../province/plugin';
import type { RecordOutbox } from '../records/outbox';
import { type CallerHistory, ticketIdForCall } from '../records/record-ops';
import type { Router } from '../queue/router';
import { MAINLAND_NUMBER } from '../queue/settings';
import type { RoutingEvent } from '../queue/types';
import type { RegionDirectory } from '../regions/region-directory';
import type { CallerRegionResolver } from './caller-region';
import { callsRepository } from './calls-repository';
import type { Action, AgentEndpoint, CallRef, ControlResult, DriverCapabilities, DriverName, LegStatus, TelephonyDriver } from './driver';
import type { FlowState, FlowStateStore } from './flow-state';
import type { Menus, MenuId, MenuOption } from './ivr';
import type { Prompt, PromptKey, Prompts } from './prompts';
import { type LegAction, SecondLegs } from './second-legs';
import type { ServiceHoursSource } from './service-hours';

/** Books the callback a caller was promised (src/callbacks); resolves once it is kept. */
export interface CallbackBooking {
  book(
    origin: { callId: string; language: string; topic: string; regionCode: string; priority: number },
    reason: 'caller_request' | 'queue_timeout' | 'voice_message' | 'forward_failed',
    options?: { dueAt?: Date },
  ): Promise<string>;
}

export interface CallFlowOptions {
  db: Db;
  /** Every write the call depends on goes here: applied now, or kept until the database is back. */
  records: RecordOutbox;
  callbacks: CallbackBooking;
  router: Router;
  regions: RegionDirectory;
  province: Province;
  menus: Menus;
  prompts: Prompts;
  store: FlowStateStore;
  resolver: CallerRegionResolver;
  /** When the hotline is answered, the duty number, and what a caller nobody can answer gets. */
  hours: ServiceHoursSource;
  log: FastifyBaseLogger;
}

export interface Arrival {
  driver: DriverName;
  /** The phone system's id for the call (Twilio CallSid, Asterisk Uniqueid, simulator id). */
  externalId: string;
  /** The caller's number as the network presented it. */
  from: string;
}

export type HangupBy = 'caller' | 'system';

/** A call as its phone system names it, to check a request against before acting on it. */
export interface PhoneCall {
  driver: DriverName;
  externalId: string;
}

const belongs = (state: FlowState, expect: PhoneCall | undefined) => !expect || (state.driver === expect.driver && state.externalId === expect.externalId);

const SURVEY_KEYS = new Set(['1', '2', '3', '4', '5']);

/**
 * The caller's number as it is stored: control characters (a NUL from a broken gateway) would
 * make the database refuse the row, so they are dropped; what is left is kept at most 32 long.
 */
export function callerNumberOf(raw: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = raw.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 32);
  return cleaned === '' ? 'unknown' : cleaned;
}

/**
 * The call flow, written once for every phone system: greeting and menus (language → topic →
 * priority group → region), the queue with announcements and the callback offer, the bridge
 * to the agent the router chose, the survey after the agent hangs up. Each driver event is
 * applied under a per-call lock so that a call's steps happen in order on this node; the
 * state itself is in a FlowStateStore that every node shares.
 */
export class CallFlow {
  private readonly drivers = new Map<string, TelephonyDriver>();
  private readonly locks = new KeyedSerial();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly agents = new Map<string, AgentEndpoint>();
  /** Call rows being written on this node, with the caller's history (null if not written). */
  private readonly rows = new Map<string, Promise<CallerHistory | null>>();
  private stopped = false;

  private readonly legs: SecondLegs;

  constructor(private readonly o: CallFlowOptions) {
    this.legs = new SecondLegs({
      router: o.router,
      store: o.store,
      records: o.records,
      regions: o.regions,
      province: o.province,
      log: o.log,
      driverOf: (name) => this.drivers.get(name),
      withCall: (callId, fn) => this.withCall(callId, fn),
      agent: (id) => this.agent(id),
      track: (p, callId, what) => this.track(p, callId, what),
    });
    o.router.on((e, local) => this.routed(e, local));
  }

  addDriver(driver: TelephonyDriver): void {
    this.drivers.set(driver.name, driver);
  }

  driver(name: DriverName): TelephonyDriver | undefined {
    return this.drivers.get(name);
  }

  /** Stops acting on router events and waits for what is under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.settled();
  }

  /** Resolves when the flow's writes and follow-ups to router events so far are done (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** The province's service hours as the flow applies them (reloaded every minute). */
  get hours(): ServiceHoursSource {
    return this.o.hours;
  }

  /** The province's menus (keys and what they mean), for tools that answer them. */
  get menus(): Menus {
    return this.o.menus;
  }

  lookup(driver: DriverName, externalId: string): Promise<string | null> {
    return this.o.store.lookup(driver, externalId);
  }

  state(callId: string): Promise<FlowState | null> {
    return this.o.store.get(callId);
  }

  /**
   * A driver's own bookkeeping for a call (`driverData`, e.g. the last status callback it
   * applied), read and changed in order with the call's other steps. `change` returns the new
   * data, or null to keep it as it is. Returns the state as it stands after, or null when the
   * call is not (or no longer) in the flow.
   */
  async driverData(callId: string, change: (data: Record<string, unknown>, state: FlowState) => Record<string, unknown> | null): Promise<FlowState | null> {
    return this.withCall(callId, async () => {
      const state = await this.o.store.get(callId);
      if (!state) return null;
      const next = change(state.driverData, state);
      if (next === null) return state;
      state.driverData = next;
      await this.o.store.put(state);
      return state;
    });
  }

  // ---- events from the phone system -------------------------------------------------------

  /** A new call: record it, place the caller, and start the menus. Reported twice, it is one call. */
  async arrived(a: Arrival): Promise<{ callId: string; action: Action }> {
    const known = await this.o.store.lookup(a.driver, a.externalId);
    if (known) {
      const state = await this.o.store.get(known);
      if (state?.lastAction) return { callId: known, action: state.lastAction as Action };
    }
    const arrivedAt = new Date();
    const from = callerNumberOf(a.from);
    const place = await this.o.resolver.resolve(from);
    const id = randomUUID();
    // The row is written while the caller hears the first menu: no database commit stands
    // between a ringing call and its greeting. It goes through the outbox like every later
    // write for the call (which follow it in order), so a call arriving while the database is
    // away is served and gets its row when it is back. The caller's history, read in the same
    // statement, is used when the call is queued.
    const row = this.o.records
      .callArrived({
        callId: id,
        provinceCode: this.o.province.code,
        driver: a.driver,
        externalId: a.externalId,
        callerNumber: from,
        regionCode: place.regionCode,
        regionSource: place.source,
        at: arrivedAt,
      })
      .then((history) => {
        if (history === null) this.o.log.warn({ callId: id, driver: a.driver }, 'the phone system reported a call twice at once; the second report has no row of its own');
        return history ?? null;
      })
      .catch((err) => {
        this.o.log.error({ err, callId: id }, 'could not write the record of a new call');
        return null;
      });
    this.rows.set(id, row);
    this.pending.add(row);
    void row.finally(() => {
      this.pending.delete(row);
      setTimeout(() => this.rows.delete(id), 60_000).unref();
    });
    return this.withCall(id, async () => {
      const state: FlowState = {
        callId: id,
        driver: a.driver,
        externalId: a.externalId,
        step: 0,
        phase: 'menu',
        menu: null,
        attempts: 0,
        language: this.o.province.languages[0] ?? 'zh',
        topic: null,
        priorityGroup: null,
        priority: 0,
        regionCode: place.regionCode,
        regionSource: place.source,
        regionMenuOf: null,
        historyPriority: 0,
        callbackOffered: false,
        agentId: null,
        ticketId: null,
        held: false,
        forwardTo: null,
        bridged: false,
        message: null,
        arrivedAt: arrivedAt.getTime(),
        lastAction: null,
        driverData: {},
      };
      const action = this.menu(state, 'language', ['welcome']);
      await this.save(state, action);
      return { callId: id, action };
    });
  }

  /**
   * A key pressed (or none: `digits` null when the menu timed out) in answer to the action of
   * `step`. An answer to an older step is a retried request: it gets the current action again.
   * With `expect`, null (nothing done) unless the call is that phone system's call.
   */
  async digits(callId: string, step: number, digits: string | null, expect?: PhoneCall): Promise<Action | null> {
    return this.withCall(callId, async () => {
      const state = await this.o.store.get(callId);
      if (!state || !belongs(state, expect)) return null;
      if (step !== state.step) return (state.lastAction as Action | null) ?? null;
      const key = digits && /^[0-9*#]$/.test(digits) ? digits : null;
      if (digits !== null && key === null) this.o.log.info({ callId, menu: state.menu ?? state.phase }, 'caller pressed keys that are no option');
      switch (state.phase) {
        case 'menu':
          return this.menuAnswer(state, key);
        case 'queued':
          await this.ensureQueued(state);
          return this.holdKey(state, key);
        case 'survey':
          return this.surveyAnswer(state, key);
        default:
          return (state.lastAction as Action | null) ?? null;
      }
    });
  }

  /** Time for the next hold announcement: position and expected wait as they are now. */
  async holdTick(callId: string, expect?: PhoneCall): Promise<Action | null> {
    return this.withCall(callId, async () => {
      const state = await this.o.store.get(callId);
      if (!state || !belongs(state, expect)) return null;
      if (state.phase !== 'queued') return (state.lastAction as Action | null) ?? null;
      await this.ensureQueued(state);
      const timedOut = await this.noSpeakerTimeout(state);
      if (timedOut) return timedOut;
      const action = this.hold(state, false);
      await this.save(state, action);
      return action;
    });
  }

  /** The phone system bridged the caller and the agent. */
  async bridged(callId: string): Promise<void> {
    // Taken now: recording the event and the call's order may hold the step up.
    const at = new Date();
    await this.o.records.event(callId, 'bridged', {}, at);
    // Remembered so that a hang-up now ends an answered call, not one abandoned before the bridge.
    await this.withCall(callId, async () => {
      const state = await this.o.store.get(callId);
      if (!state || state.bridged || state.phase !== 'connected') return;
      state.bridged = true;
      await this.o.store.put(state);
      // Talk time counts from here; should routing be unreachable, it counts from the accept.
      await this.o.router.bridged(callId, at.getTime()).catch((err) => this.o.log.warn({ err, callId }, 'could not record the bridge time; answered counts from the accept'));
    });
  }

  /** The agent could not be reached: the call goes back to its place and the caller back on hold. */
  async bridgeFailed(callId: string, reason: string): Promise<Action | null> {
    return this.withCall(callId, async () => {
      const state = await this.o.store.get(callId);
      if (!state || state.phase !== 'connected') return null;
      this.o.log.warn({ callId, agentId: state.agentId, reason }, 'could not bridge the caller to the agent; back in the queue');
      state.phase = 'queued';
      state.agentId = null;
      const action = this.hold(state, true);
      await this.save(state, action);
      await this.o.records.event(callId, 'bridge.failed', { reason });
      await this.o.router.bridgeFailed(callId);
      return action;
    });
  }

  /**
   * The agent's side of the call ended while the caller is still on the line (the phone system
   * saw it): the conversation is over and the caller goes to the survey.
   */
  async agentLeft(callId: string): Promise<Action | null> {
    return this.withCall(callId, async () => {
      const state = await this.o.store.get(callId);
      if (!state) return null;
      // The agent's leg ends when the caller is taken out of the bridge to be put through.
      if (state.phase !== 'connected' || state.forwardTo) return (state.lastAction as Action | null) ?? null;
      if (this.legs.handsOver(callId) && state.agentId) {
        // Hanging up on an answered consult hands the caller over (the router completes the leg;
        // legChanged tells the phone system): the caller stays on the line with the target.
        await this.o.router.agentHangup(state.agentId, callId);
        return null;
      }
      const action = this.survey(state);
      await this.save(state, action);
      if (state.agentId) await this.o.router.agentHangup(state.agentId, callId);
      return action;
    });
  }

  /**
   * The caller's line went down (or the flow's own hang-up completed). Nothing else is sent.
   * `at`: when, if the phone system learnt it late (a hang-up missed while its link was down).
   * A caller who leaves before the bridge was never answered, even if an agent had accepted.
   */
  async hangup(callId: string, by: HangupBy, at = new Date()): Promise<void> {
    await this.withCall(callId, async () => {
      const state = await this.o.store.get(callId);
      if (!state) return;
      const phase = state.phase;
      // Marked ended first, so the queue's own events for this call (call.ended) start no survey;
      // dropped last, so a call whose state is gone has been fully put away.
      state.phase = 'ended';
      await this.o.store.put(state);
      if (by === 'caller') await this.o.records.event(callId, 'caller.hangup', { phase, menu: state.menu }, at);
      if (phase === 'message') {
        // The message may still be reported after the hang-up (Twilio requests <Record>'s action
        // after it): the state stays until then, or until the reaper forgets it. Out of hours,
        // nothing is booked yet, so the call ends as abandoned unless a message follows; from
        // the queue the callback is booked already and the record says so.
        if (state.message === 'after_hours') await this.o.records.callEnded(callId, 'abandoned', at);
        return;
      }
      if (phase === 'menu') await this.o.records.callEnded(callId, 'abandoned', at);
      else if (phase === 'queued' || phase === 'connected') {
        const left = await this.o.router.callerHangup(callId, { at: at.getTime(), bridged: state.bridged });
        // The router records the end; a call it no longer holds was finished another way.
        if (!left.ok) await this.o.records.callEnded(callId, phase === 'connected' && state.bridged ? 'answered' : 'abandoned', at);
      }
      await this.o.store.delete(state);
    });
  }

  /** Asks the call's phone system whether the caller is still on the line. */
  async probe(state: FlowState): Promise<'live' | 'gone' | 'unknown'> {
    const driver = this.drivers.get(state.driver);
    if (!driver?.probe) return 'unknown';
    return driver.probe({ callId: state.callId, externalId: state.externalId });
  }

  /**
   * Closes a call nobody carries any more (its node died with the caller, the phone system no
   * longer has it), as the hang-up it was, and says why on the record.
   */
  async close(callId: string, detail: string): Promise<void> {
    await this.hangup(callId, 'system');
    await this.o.records.event(callId, 'closed', { detail });
    await this.o.records.updateCall(callId, { end_detail: detail }, { unlessEnded: false });
  }

  /** This node carries the call from now on (its state names this node). */
  async adopt(callId: string): Promise<void> {
    await this.withCall(callId, async () => {
      const state = await this.o.store.get(callId);
      if (state) await this.o.store.touch(state);
    });
  }

  /** Forgets the flow state of a call whose record has ended (left behind by a lost node or a rebuild). */
  async forget(callId: string): Promise<void> {
    await this.withCall(callId, async () => {
      const state = await this.o.store.get(callId);
      if (state) await this.o.store.delete(state);
    });
  }

  async recording(callId: string, url: string): Promise<void> {
    await this.o.records.updateCall(callId, { recording_url: url }, { unlessEnded: false });
    await this.o.records.event(callId, 'recording', { url });
  }

  /**
   * The caller's voice message of the `message` action of `step`: its recording (null, or under
   * a second, when nothing was said) — reported while the caller is still on the line or just
   * after they hung up. A message becomes a ticket with the recording, and a callback: out of
   * hours, due when the hotline next opens on a working day; from the no-speaker offer, booked
   * already when the caller chose it. Reported again, it changes nothing.
   */
  async messageRecorded(callId: string, step: number, message: { url: string | null; seconds: number }, expect?: PhoneCall): Promise<Action | null> {
    return this.withCall(callId, async () => {
      const state = await this.o.store.get(callId);
      if (!state || !belongs(state, expect)) return null;
      const last = state.lastAction as Action | null;
      if (step !== state.step || last?.type !== 'message') return last ?? null;
      const gone = state.phase === 'ended';
      const reason = state.message ?? 'after_hours';
      const at = new Date();
      const recorded = message.url !== null && message.seconds >= 1;
      await this.o.records.event(callId, 'message', { reason, url: recorded ? message.url : null, seconds: message.seconds });
      let keys: PromptKey[] = ['goodbye'];
      let when: string | null = null;
      if (recorded) {
        await this.o.records.updateCall(callId, { recording_url: message.url! }, { unlessEnded: false });
        await this.o.records.write({ op: 'ticket.message', callId, ticketId: ticketIdForCall(callId), provinceCode: this.o.province.code, prefix: this.o.province.ticketPrefix, seconds: message.seconds, reason, at });
        state.ticketId = ticketIdForCall(callId);
      }
      if (reason === 'after_hours' && recorded) {
        const dueAt = this.o.hours.calendar.nextWorkingOpening(at) ?? at;
        await this.o.callbacks.book(this.origin(state), 'voice_message', { dueAt });
        // Out of hours the call ends here (or ended at the hang-up, as abandoned until now).
        await this.o.records.updateCall(callId, { status: 'ended', end_reason: 'callback', ...(gone ? {} : { ended_at: at }), end_detail: null }, { unlessEnded: false });
        when = this.when(dueAt, state.language);
        keys = ['message_saved'];
      } else if (reason === 'after_hours') {
        if (!gone) await this.o.records.callEnded(callId, 'abandoned', at);
      } else {
        // From the no-speaker offer: the callback was booked when the caller chose to leave a message.
        when = state.language === 'en' ? 'as soon as an adviser who speaks your language is available' : '有能用您所选语言接听的法律咨询员时尽快';
        keys = ['message_saved'];
      }
      state.phase = 'ended';
      state.step++;
      const action: Action = { type: 'hangup', step: state.step, prompts: keys.map((k) => this.prompt(k, state, when ? { when } : {})) };
      if (gone) await this.o.store.delete(state);
      else await this.save(state, action);
      return action;
    });
  }

  // ---- decisions ---------------------------------------------------------------------------

  private async menuAnswer(state: FlowState, key: string | null): Promise<Action> {
    const menu = state.menu!;
    const options = this.options(state, menu);
    const chosen = this.o.menus.choose(options, key);
    // The region and priority menus have a "none of these" key (0) that is a valid answer.
    const declined = key === '0' && (menu === 'region' || menu === 'priority');
    if (!chosen && !declined) {
      if (state.attempts < this.o.menus.settings.menuAttempts) {
        const action = this.menu(state, menu, ['invalid']);
        await this.save(state, action);
        return action;
      }
      this.o.log.info({ callId: state.callId, menu }, 'menu unanswered; taking its default');
    }
    switch (menu) {
      case 'language':
        state.language = chosen?.value ?? this.o.province.languages[0] ?? 'zh';
        // Out of hours the caller learns it in their own language, before any other menu.
        if (!this.o.hours.calendar.isOpen(new Date())) return this.afterHours(state);
        return this.next(state, 'topic');
      case 'topic':
        state.topic = chosen?.value ?? this.o.menus.defaultTopic();
        return this.next(state, 'priority');
      case 'priority':
        state.priorityGroup = chosen?.value ?? null;
        return this.next(state, 'region');
      case 'region':
        if (chosen) {
          state.regionCode = chosen.value;
          state.regionSource = 'ivr';
          // A prefecture chosen from the province's list can narrow down once more.
          if (this.o.menus.regionOptions(chosen.value).length > 0 && state.regionMenuOf !== null && this.o.regions.get(state.regionMenuOf)?.level === 'province') {
            return this.next(state, 'region');
          }
        }
        return this.enqueue(state);
    }
  }

  /**
   * Outside the service hours: the caller hears the hours, then is put through to the duty
   * number where the province names one, or else invited to leave a voice message.
   */
  private async afterHours(state: FlowState): Promise<Action> {
    const calendar = this.o.hours.calendar;
    const hours = this.prompt('after_hours', state, { hours: calendar.describe(state.language) ?? '' });
    const duty = calendar.hours.dutyNumber;
    state.menu = null;
    state.step++;
    await this.o.records.updateCall(state.callId, { language: state.language });
    await this.o.records.event(state.callId, 'after_hours', { duty: duty !== null });
    let action: Action;
    if (duty) {
      state.phase = 'ended';
      state.forwardTo = duty;
      await this.o.records.event(state.callId, 'forwarded', { number: duty, afterHours: true });
      // Nobody at the hotline answered it: passed on, as a full queue turns a caller away.
      await this.o.records.callEnded(state.callId, 'rejected', new Date(), { end_detail: 'after_hours_forwarded' });
      action = { type: 'forward', step: state.step, prompts: [hours, this.prompt('duty_forward', state)], number: duty };
    } else {
      state.phase = 'message';
      state.message = 'after_hours';
      action = { type: 'message', step: state.step, prompts: [hours, this.prompt('message_invite', state)], maxSeconds: calendar.hours.messageMaxSeconds };
    }
    await this.save(state, action);
    return action;
  }

  /** What a callback booked for this caller is routed by. */
  private origin(state: FlowState) {
    const { id, ...rest } = this.queueEntry(state);
    return { callId: id, ...rest };
  }

  /** The call as routing queues it. */
  private queueEntry(state: FlowState) {
    return { id: state.callId, regionCode: state.regionCode, language: state.language, topic: state.topic ?? this.o.menus.defaultTopic(), priority: state.priority };
  }

  /** When a callback is due, as the caller hears it: "12月7日8:30以后", "on 7 December after 08:30". */
  private when(at: Date, language: string): string {
    const cst = new Date(at.getTime() + 8 * 3600_000);
    const hm = `${String(cst.getUTCHours()).padStart(2, '0')}:${String(cst.getUTCMinutes()).padStart(2, '0')}`;
    if (language === 'en') return `on ${cst.getUTCDate()} ${cst.toLocaleString('en', { month: 'long', timeZone: 'UTC' })} after ${hm}`;
    return `${cst.getUTCMonth() + 1}月${cst.getUTCDate()}日${hm}以后`;
  }

  /** Agents signed in (in any state but offline) who speak the language. */
  private speakers(language: string): number {
    let n = 0;
    for (const a of this.o.router.store.state.agents()) if (a.state !== 'offline' && (a.languages[language] ?? 0) >= 1) n++;
    return n;
  }

  /** Moves to the next menu, skipping the region menu when there is nothing to choose. */
  private async next(state: FlowState, menu: MenuId): Promise<Action> {
    if (menu === 'region' && (!this.o.menus.settings.regionMenu || this.o.menus.regionOptions(state.regionCode).length === 0)) {
      return this.enqueue(state);
    }
    if (menu === 'region') state.regionMenuOf = state.regionCode;
    state.menu = null;
    const action = this.menu(state, menu, []);
    await this.save(state, action);
    return action;
  }

  private async enqueue(state: FlowState): Promise<Action> {
    const settings = this.o.menus.settings;
    const history = (await this.rowWritten(state.callId)) ?? (await this.historyOf(state.callId));
    state.historyPriority =
      (history.unansweredToday > 0 ? settings.repeatCallerPriority : 0) + (history.riskFlagged > 0 ? settings.riskHistoryPriority : 0);
    state.priority = (state.priorityGroup ? settings.groupPriority : 0) + state.historyPriority;
    state.menu = null;
    state.phase = 'queued';
    // Saved before the router sees the call: an agent may take it before enqueue returns.
    await this.o.store.put(state);
    await this.o.records.updateCall(state.callId, {
      language: state.language,
      topic: state.topic ?? this.o.menus.defaultTopic(),
      priority_group: state.priorityGroup,
      priority: state.priority,
      region_code: state.regionCode,
      region_source: state.regionSource,
    });
    const result = await this.o.router.enqueue(this.queueEntry(state));
    if (result.status === 'rejected') {
      this.o.log.warn({ callId: state.callId }, 'queue full; call turned away');
      await this.o.records.callEnded(state.callId, 'rejected', new Date());
      return this.finish(state, ['queue_full']);
    }
    const fresh = (await this.o.store.get(state.callId)) ?? state;
    if (fresh.phase !== 'queued') return (fresh.lastAction as Action) ?? this.hold(state, true);
    const action = this.hold(fresh, true);
    await this.save(fresh, action);
    return action;
  }

  /**
   * A caller on hold whom routing does not have: the enqueue that put them on hold failed after
   * the flow state was saved (Redis went away between the two), and the phone system's retry of
   * the same request finds the call "queued". Queued now; one already there (a replica that has
   * not caught up) is left as it is.
   */
  private async ensureQueued(state: FlowState): Promise<void> {
    if (this.o.router.liveCall(state.callId)) return;
    try {
      const result = await this.o.router.enqueue(this.queueEntry(state));
      if (result.status === 'queued') this.o.log.warn({ callId: state.callId }, 'caller was on hold but not in the queue (the enqueue had failed); queued now');
    } catch (err) {
      if (!(err instanceof Error && err.message.includes('already in the queue'))) throw err;
    }
  }

  private async holdKey(state: FlowState, key: string | null): Promise<Action> {
    if (key === '2' && state.message === 'no_speaker') {
      // Nobody speaks the caller's language: they leave a message instead of waiting. The
      // callback is booked now (they asked to be called); the message, if any, becomes a ticket.
      const call = this.o.router.liveCall(state.callId);
      const left = call ? await this.o.router.requestCallback(state.callId) : { ok: false };
      if (call && left.ok) {
        await this.o.callbacks.book(this.origin(state), 'voice_message');
        state.phase = 'message';
        state.step++;
        const action: Action = { type: 'message', step: state.step, prompts: [this.prompt('message_invite', state)], maxSeconds: this.o.hours.calendar.hours.messageMaxSeconds };
        await this.save(state, action);
        return action;
      }
    }
    if (key === '1' && state.callbackOffered) {
      const call = this.o.router.liveCall(state.callId);
      const left = call ? await this.o.router.requestCallback(state.callId) : { ok: false };
      if (call && left.ok) {
        // Kept (in the database, or on disk until it is back) before the caller is told.
        await this.o.callbacks.book({ callId: call.id, language: call.language, topic: call.topic, regionCode: call.regionCode, priority: call.priority }, 'caller_request');
        return this.finish(state, ['callback_confirmed']);
      }
    }
    const action = this.hold(state, false);
    await this.save(state, action);
    return action;
  }

  /**
   * A caller who was offered a callback or a message because nobody speaks their language, chose
   * neither, and still has nobody after the province's no-speaker wait: called back instead of
   * waiting out the queue's maximum wait.
   */
  private async noSpeakerTimeout(state: FlowState): Promise<Action | null> {
    if (state.message !== 'no_speaker' || this.speakers(state.language) > 0) return null;
    const call = this.o.router.liveCall(state.callId);
    if (!call || call.status !== 'waiting' || Date.now() - call.enqueuedAt < this.o.hours.calendar.hours.noSpeakerWaitSeconds * 1000) return null;
    const left = await this.o.router.requestCallback(state.callId);
    if (!left.ok) return null;
    await this.o.callbacks.book({ callId: call.id, language: call.language, topic: call.topic, regionCode: call.regionCode, priority: call.priority }, 'queue_timeout');
    return this.finish(state, ['no_speaker_callback']);
  }

  private async surveyAnswer(state: FlowState, key: string | null): Promise<Action> {
    if (key && SURVEY_KEYS.has(key)) {
      const score = Number(key);
      await this.o.records.write({ op: 'survey', callId: state.callId, score, at: new Date() });
      await this.o.records.event(state.callId, 'survey', { score });
      return this.finish(state, ['survey_thanks']);
    }
    if (state.attempts < this.o.menus.settings.menuAttempts) {
      state.attempts++;
      state.step++;
      const action: Action = { type: 'menu', step: state.step, menu: 'survey', prompts: [this.prompt('invalid', state), this.prompt('survey', state)], timeoutSeconds: this.o.menus.settings.surveyTimeoutSeconds };
      await this.save(state, action);
      return action;
    }
    await this.o.records.event(state.callId, 'survey', { score: null });
    return this.finish(state, ['goodbye']);
  }

  // ---- the agent's controls ----------------------------------------------------------------

  /** The agent puts the caller on hold or takes them off it; recorded on the call's timeline. */
  async agentHold(callId: string, agentId: string, held: boolean): Promise<ControlResult> {
    return this.withCall(callId, async (): Promise<ControlResult> => {
      const state = await this.o.store.get(callId);
      if (!state || state.phase !== 'connected') return { ok: false, code: 'NOT_FOUND', message: `call ${callId} is not connected` };
      if (state.agentId !== agentId) return { ok: false, code: 'NOT_YOURS', message: `call ${callId} is not connected to you` };
      if (state.held === held) return { ok: true };
      state.held = held;
      await this.o.store.put(state);
      await this.o.records.event(callId, held ? 'hold' : 'unhold', { agentId });
      await this.drivers.get(state.driver)?.control?.({ callId, externalId: state.externalId }, { type: held ? 'hold' : 'unhold' });
      return { ok: true };
    });
  }

  async agentTransfer(
    callId: string,
    agentId: string,
    to: { agentId: string } | { region: string } | { number: string },
    mode: 'blind' | 'consult',
  ): Promise<ControlResult> {
    if (mode === 'consult') return this.legs.open(callId, agentId, 'consult', to);
    if ('number' in to) return this.forward(callId, agentId, to.number);
    if ('region' in to && !this.o.regions.get(to.region)) return { ok: false, code: 'NOT_FOUND', message: `region ${to.region} is not in this province` };
    const state = await this.o.store.get(callId);
    if (!state || state.phase !== 'connected') return { ok: false, code: 'NOT_FOUND', message: `call ${callId} is not connected` };
    const r = await this.o.router.transfer(agentId, callId, to);
    return r.ok ? { ok: true } : { ok: false, code: 'REFUSED', message: r.reason };
  }

  /**
   * Passes the caller to an outside number (a legal aid centre, the 12345 hotline). The agent
   * keeps the call while the phone system dials it (forwardResult): answered, the hotline's part
   * is over and no survey follows; not answered, the caller comes back to the agent.
   */
  private async forward(callId: string, agentId: string, number: string): Promise<ControlResult> {
    if (!MAINLAND_NUMBER.test(number)) {
      return {
        ok: false,
        code: 'REFUSED',
        message: `${number}: mainland numbers only — only numbers in mainland China can be transferred to (a landline with its area code, a mobile, or a short service number)`,
        messageZh: `${number}：只能转接中国大陆号码（带区号的固定电话、手机或短号码）`,
      };
    }
    const marked = await this.withCall(callId, async () => {
      const state = await this.o.store.get(callId);
      if (!state || state.phase !== 'connected' || state.agentId !== agentId) return false;
      state.forwardTo = number;
      await this.o.store.put(state);
      return true;
    });
    if (!marked) return { ok: false, code: 'NOT_FOUND', message: `call ${callId} is not connected to you` };
    // The node that drives the call's phone system dials (react, on call.forwarding).
    const r = await this.o.router.forward(agentId, callId, number);
    if (r.ok) {
      await this.o.records.event(callId, 'forwarding', { number, agentId });
      return { ok: true };
    }
    await this.driverData(callId, (data, state) => {
      state.forwardTo = null;
      return data;
    });
    return { ok: false, code: 'REFUSED', message: r.reason };
  }

  /**
   * How the phone system's dial of a forward went; the driver sends the action returned.
   * Answered: the call ends for the hotline (the agent goes to wrap-up). Not reached (busy, no
   * answer, unreachable): the record says forward_failed with the status and the Q.850 cause,
   * and the caller is told and put back through to the agent — or, if the agent has let the
   * call go meanwhile, called back. A duty number out of hours that does not answer: the caller
   * may leave a message instead.
   */
  async forwardResult(callId: string, step: number, status: string, cause?: string): Promise<Action | null> {
    return this.withCall(callId, async () => {
      const state = await this.o.store.get(callId);
      if (!state || !state.forwardTo || state.step !== step) return null;
      const inCall = state.phase === 'connected';
      const duty = state.phase === 'ended' && state.message === null && (state.lastAction as Action | null)?.type === 'forward';
      if (!inCall && !duty) return null;
      const number = state.forwardTo;
      const result = status ? status.toLowerCase() : 'unknown';
      await this.o.records.event(callId, 'forward.result', { number, status: result, cause: cause ?? null });
      if (status === 'ANSWER') {
        // Heard once: the report when the conversation is over changes nothing.
        state.forwardTo = null;
        if (inCall) state.phase = 'ended';
        await this.o.store.put(state);
        if (!inCall) return null;
        await this.o.records.event(callId, 'forwarded', { number, agentId: state.agentId });
        const ended = await this.o.router.forwardAnswered(callId);
        // The agent let the call go during the dial: routing ended it then.
        if (!ended.ok) this.o.log.info({ callId, reason: ended.reason }, 'forward answered after the agent had let the call go');
        return null;
      }
      this.o.log.warn({ callId, number, status: result, cause }, 'a call transferred to an outside number did not get through');
      await this.o.records.updateCall(callId, { end_detail: `forward_failed:${result}${cause ? `:${cause}` : ''}` }, { unlessEnded: false });
      state.forwardTo = null;
      if (duty) {
        state.phase = 'message';
        state.message = 'after_hours';
        state.step++;
        const action: Action = { type: 'message', step: state.step, prompts: [this.prompt('duty_unreachable', state), this.prompt('message_invite', state)], maxSeconds: this.o.hours.calendar.hours.messageMaxSeconds };
        await this.save(state, action);
        return action;
      }
      const back = await this.o.router.forwardFailed(callId, result, cause ?? null);
      if (back.ok && state.agentId) {
        state.held = false;
        state.step++;
        const action: Action = { type: 'connect', step: state.step, prompts: [this.prompt('forward_failed', state)], agent: await this.agent(state.agentId), record: true };
        await this.save(state, action);
        return action;
      }
      // Routing no longer holds the call (the agent hung up during the dial): nobody can take the
      // caller back on this call, so the hotline calls them back. Kept before they are told.
      await this.o.callbacks.book(this.origin(state), 'forward_failed');
      return this.finish(state, ['forward_failed_callback']);
    });
  }

  // ---- second legs: consult transfer and interpreters (src/telephony/second-legs.ts) --------

  /**
   * An interpreter joins the call: a colleague who speaks `language`, the next signed-in agent
   * who does (anywhere in the province; the language is never relaxed), or an outside number
   * (the province's interpreter list). They are dialled straight into a three-way call.
   */
  addInterpreter(callId: string, agentId: string, to: { agentId: string } | { number: string } | { language: string }, language?: string): Promise<ControlResult> {
    return this.legs.open(callId, agentId, 'interpreter', to, language);
  }

  /** The agent's choice on an open leg: merge into a three-way call, complete (hand over), cancel or drop it. */
  agentLeg(callId: string, agentId: string, action: LegAction): Promise<ControlResult> {
    return this.legs.act(callId, agentId, action);
  }

  /** How the phone system's dial of a leg went (the target's phone or the outside number). */
  legResult(callId: string, legId: string, status: LegStatus): Promise<void> {
    return this.legs.result(callId, legId, status);
  }

  /** The target's side of a leg hung up by itself. */
  legEnded(callId: string, legId: string): Promise<void> {
    return this.legs.ended(callId, legId);
  }

  async isHeld(callId: string): Promise<boolean> {
    return (await this.o.store.get(callId))?.held ?? false;
  }

  // ---- router decisions --------------------------------------------------------------------

  private routed(e: RoutingEvent, local: boolean): void {
    if (this.stopped) return;
    if (e.type === 'call.monitor') {
      this.track(this.monitored(e, local), e.call.id, 'act on a supervisor joining or leaving');
      return;
    }
    if (e.type === 'call.leg' || (e.type === 'call.connected' && e.call.kind === 'leg')) {
      this.track(this.legs.changed(e, local), e.call.id, 'act on a second leg of a call', { event: e.type });
      return;
    }
    if (e.type !== 'call.connected' && e.type !== 'call.ended' && e.type !== 'call.left' && e.type !== 'call.transferred' && e.type !== 'call.forwarding') return;
    if (e.type === 'call.left' && e.outcome !== 'timeout') return;
    this.track(this.react(e, local), e.call.id, 'act on a queue event', { event: e.type });
  }

  /** Work that settled() waits for; a failure is logged, not thrown. */
  private track(p: Promise<unknown>, callId: string, what: string, fields: Record<string, unknown> = {}): void {
    const tracked = p.catch((err) => this.o.log.error({ err, callId, ...fields }, `call flow could not ${what}`));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  /** A supervisor joins, changes mode or leaves: the node driving the call's phone system acts. */
  private async monitored(e: Extract<RoutingEvent, { type: 'call.monitor' }>, local: boolean): Promise<void> {
    const state = await this.o.store.get(e.call.id);
    if (!state || !e.call.agentId) return;
    const driver = this.drivers.get(state.driver);
    const ref: CallRef = { callId: state.callId, externalId: state.externalId };
    if (!driver?.monitor || !driver.actsOn(ref, local)) return;
    const [supervisor, agent] = await Promise.all([this.agent(e.supervisorId), this.agent(e.call.agentId)]);
    await this.o.records.event(state.callId, 'monitor', { supervisorId: e.supervisorId, mode: e.mode, previous: e.previous });
    await driver.monitor(ref, { supervisor, agent, mode: e.mode, previous: e.previous });
  }

  /** What the phone system of this call lets agents and supervisors do. */
  async capabilities(callId: string): Promise<DriverCapabilities | null> {
    const state = await this.o.store.get(callId);
    return state ? (this.drivers.get(state.driver)?.capabilities() ?? null) : null;
  }

  /** What the phone systems of this service let agents and supervisors do: each only if all allow it. */
  capabilitiesOfAll(): DriverCapabilities {
    const all = [...this.drivers.values()].map((d) => d.capabilities());
    if (all.length === 0) return { forward: false, consult: false, interpreter: false, monitor: [] };
    return {
      forward: all.every((c) => c.forward),
      consult: all.every((c) => c.consult),
      interpreter: all.every((c) => c.interpreter),
      monitor: all[0]!.monitor.filter((m) => all.every((c) => c.monitor.includes(m))),
    };
  }

  private async react(e: RoutingEvent & { call: { id: string } }, local: boolean): Promise<void> {
    const callId = e.call.id;
    const peek = await this.o.store.get(callId);
    if (!peek) return;
    const driver = this.drivers.get(peek.driver);
    const ref: CallRef = { callId, externalId: peek.externalId };
    if (!driver || !driver.actsOn(ref, local)) return;
    const action = await this.withCall(callId, async () => {
      const state = await this.o.store.get(callId);
      if (!state) return null;
      if (e.type === 'call.connected' && state.phase === 'queued') {
        state.phase = 'connected';
        state.agentId = e.agentId;
        state.held = false;
        // The ticket's id follows from the call's, so opening it never waits for the database;
        // a transferred call keeps its ticket and the agent who answers now carries it on.
        // Nor does the caller: the write is queued in the outbox (in order with the call's other
        // writes, kept on disk while the database is away) and the caller is put through at once.
        // Awaited, it sat behind the router's own writes for this call, and on a busy database
        // that held every agent for hundreds of milliseconds per call (on a real Asterisk at 20 calls/s,
        // accept → Redirect p50 302 ms; 45 ms without the wait: docs/benchmarks.md).
        state.ticketId = ticketIdForCall(callId);
        const ticket = { op: 'ticket.open', callId, ticketId: state.ticketId, provinceCode: this.o.province.code, prefix: this.o.province.ticketPrefix, agentId: e.agentId, at: new Date() } as const;
        this.track(this.o.records.write(ticket), callId, "record the opening of the call's ticket");
        const agent = await this.agent(e.agentId, callId);
        state.step++;
        // No prompt before the agent: every caller was told of the recording in the welcome, and
        // a caller who has waited wants the adviser, not another sentence (on a real Asterisk the
        // prompt was most of queue-join → bridge).
        const action: Action = { type: 'connect', step: state.step, prompts: [], agent, record: true };
        await this.save(state, action);
        return action;
      }
      if (e.type === 'call.transferred' && state.phase === 'connected') {
        // Back on hold until the next agent answers; the ticket stays with the call.
        state.phase = 'queued';
        state.agentId = null;
        state.held = false;
        await this.o.records.event(callId, 'transfer', { fromAgentId: e.fromAgentId, to: e.to });
        const action = this.hold(state, true, 'transferring');
        await this.save(state, action);
        return action;
      }
      if (e.type === 'call.forwarding' && state.phase === 'connected' && state.forwardTo === e.number) {
        state.step++;
        const action: Action = { type: 'forward', step: state.step, prompts: [this.prompt('forwarding', state)], number: e.number };
        await this.save(state, action);
        return action;
      }
      // The outside number answered (forwardResult), or the agent let the call go while it was
      // being dialled: the dial goes on either way, and no survey follows.
      if (e.type === 'call.ended' && state.forwardTo) return null;
      if (e.type === 'call.ended' && state.phase === 'connected') {
        const action = this.survey(state);
        await this.save(state, action);
        return action;
      }
      if (e.type === 'call.left' && state.phase === 'queued') {
        // Waited past the limit: the hotline calls back instead of keeping the caller on hold.
        // Kept (in the database, or on disk until it is back) before the caller is told.
        await this.o.callbacks.book({ callId, language: e.call.language, topic: e.call.topic, regionCode: e.call.regionCode, priority: e.call.priority }, 'queue_timeout');
        await this.o.records.callEnded(callId, 'callback', new Date());
        return this.finish(state, ['queue_timeout']);
      }
      return null;
    });
    if (!action) return;
    // Let the driver first deliver the answer to the request in flight for this call (the hold
    // that followed the menus), so this action reaches the caller after it, not before.
    await new Promise((resolve) => setImmediate(resolve));
    await driver.execute(ref, action);
    if (e.type === 'call.connected' && action.type === 'connect' && e.call.interpret) await this.legs.interpreterFor(callId, e.agentId, e.call.interpret);
  }

  // ---- actions -----------------------------------------------------------------------------

  private menu(state: FlowState, menu: MenuId, before: PromptKey[]): Action {
    state.phase = 'menu';
    if (state.menu === menu) state.attempts++;
    else {
      state.menu = menu;
      state.attempts = 1;
    }
    state.step++;
    const language = menu === 'language' ? 'zh' : state.language;
    const prompts = before.map((k) => this.o.prompts.get(k, language));
    const options = this.options(state, menu);
    const key = `${menu}_menu` as PromptKey;
    prompts.push(this.o.prompts.get(key, language, { options: this.o.menus.describe(options, language, menu === 'region') }));
    const action: Action = { type: 'menu', step: state.step, menu, prompts, timeoutSeconds: this.o.menus.settings.menuTimeoutSeconds };
    if (menu === 'region') action.regionCode = state.regionMenuOf ?? state.regionCode;
    return action;
  }

  private options(state: FlowState, menu: MenuId): MenuOption[] {
    switch (menu) {
      case 'language':
        return this.o.menus.languageOptions();
      case 'topic':
        return this.o.menus.topicOptions();
      case 'priority':
        return Object.entries(this.o.menus.settings.priorityKeys).map(([key, value]) => ({ key, value, label: { zh: value, en: value } }));
      case 'region':
        return this.o.menus.regionOptions(state.regionMenuOf ?? state.regionCode);
    }
  }

  private hold(state: FlowState, first: boolean, opening: PromptKey = 'queued'): Action {
    const estimate = this.o.router.estimate(state.callId);
    const prompts: Prompt[] = [];
    if (first) prompts.push(this.prompt(opening, state));
    // An agent is free for the caller (the call already rings them, or one is ready): "busy" and a
    // callback offer would be untrue — the caller hears only that they are being put through.
    const live = this.o.router.liveCall(state.callId);
    if ((live && live.status !== 'waiting') || estimate?.estimatedWaitSeconds === 0) {
      state.callbackOffered = false;
      state.message = null;
      if (first) state.step++;
      return { type: 'hold', step: state.step, prompts, music: this.o.menus.settings.holdMusic, announceSeconds: this.o.menus.settings.holdAnnounceSeconds, acceptsKey: false };
    }
    // Nobody signed in speaks the caller's language: said at once, with the choice of a callback
    // or a message, and the wait is cut short (noSpeakerTimeout) rather than run to the maximum.
    const nobody = estimate !== null && this.speakers(state.language) === 0;
    if (estimate && estimate.estimatedWaitSeconds !== null) {
      prompts.push(this.prompt('position', state, { position: estimate.position, minutes: Math.max(1, Math.ceil(estimate.estimatedWaitSeconds / 60)) }));
    } else if (nobody) {
      prompts.push(this.prompt('no_speaker', state));
    } else {
      prompts.push(this.prompt('no_estimate', state));
    }
    const wait = estimate?.estimatedWaitSeconds ?? null;
    state.callbackOffered = wait === null || wait > this.o.router.settings.callbackThresholdSeconds;
    state.message = nobody ? 'no_speaker' : null;
    if (nobody) prompts.push(this.prompt('no_speaker_offer', state));
    else if (state.callbackOffered) prompts.push(this.prompt('callback_offer', state));
    if (first) state.step++;
    return { type: 'hold', step: state.step, prompts, music: this.o.menus.settings.holdMusic, announceSeconds: this.o.menus.settings.holdAnnounceSeconds, acceptsKey: state.callbackOffered };
  }

  private survey(state: FlowState): Action {
    state.phase = 'survey';
    state.attempts = 1;
    state.step++;
    return { type: 'menu', step: state.step, menu: 'survey', prompts: [this.prompt('survey', state)], timeoutSeconds: this.o.menus.settings.surveyTimeoutSeconds };
  }

  private async finish(state: FlowState, keys: PromptKey[]): Promise<Action> {
    state.phase = 'ended';
    state.step++;
    const action: Action = { type: 'hangup', step: state.step, prompts: keys.map((k) => this.prompt(k, state)) };
    await this.save(state, action);
    return action;
  }

  private prompt(key: PromptKey, state: FlowState, values: Record<string, string | number> = {}): Prompt {
    return this.o.prompts.get(key, state.language, values);
  }

  /**
   * Remote seats (src/telephony/remote-seats.ts): for a call an agent took on their own phone, the
   * leg the connect puts the caller through to. Kept as a hook so the flow knows no more of them.
   */
  useSeats(seatOf: (agentId: string, callId: string) => AgentEndpoint['remote'] | null): void {
    this.seatOf = seatOf;
  }

  private seatOf: (agentId: string, callId: string) => AgentEndpoint['remote'] | null = () => null;

  /** Whom to dial: the live record names the agent's sign-in, so the database is asked only as a fallback. */
  private async agent(id: string, callId?: string): Promise<AgentEndpoint> {
    const remote = callId ? this.seatOf(id, callId) : null;
    if (remote) return { ...(await this.agent(id)), remote };
    const live = this.o.router.liveAgent(id)?.username;
    if (live) return { id, username: live };
    const cached = this.agents.get(id);
    if (cached) return cached;
    const row = await this.o.db.selectFrom('agents').select(['id', 'username']).where('id', '=', id).executeTakeFirst();
    const agent = { id, username: row?.username ?? id };
    this.agents.set(id, agent);
    return agent;
  }

  /** The caller's history, or none when the database cannot say (the call is served all the same). */
  private async historyOf(callId: string): Promise<CallerHistory> {
    try {
      return await callsRepository.historyOfCall(this.o.db, callId);
    } catch (err) {
      this.o.log.warn({ err, callId }, 'caller history unavailable; queued without it');
      return { unansweredToday: 0, riskFlagged: 0 };
    }
  }

  private async save(state: FlowState, action: Action): Promise<void> {
    state.lastAction = action;
    await this.o.store.put(state);
  }

  /**
   * Waits until the call's row, if this node is writing it, is written; gives the caller's
   * history when it was (null otherwise, or when the row was written earlier or elsewhere).
   */
  private async rowWritten(callId: string): Promise<CallerHistory | null> {
    return (await this.rows.get(callId)) ?? null;
  }

  /** Runs `fn` after every earlier step of the same call on this node has finished. */
  private withCall<T>(callId: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(callId, fn);
  }
}
