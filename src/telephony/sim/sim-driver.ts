import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { CallFlow } from '../call-flow';
import { MONITOR_MODES, type MonitorMode } from '../../queue/types';
import type { Action, CallbackDial, CallbackDialer, CallControl, CallRef, ConferenceStep, DialOutcome, DialReports, DriverCapabilities, LegStatus, MonitorRequest, TelephonyDriver } from '../driver';

/**
 * The built-in phone system: callers that exist only in this process and press the keys they
 * were given, in order, one per menu. It walks the same call flow as a real call, so the whole
 * product works with no phone system at all (the embedded default, tests, demos, `npm run sim`).
 */

export interface SimCallInput {
  from: string;
  /** Keys answering the menus in order, survey last; '.' lets a menu time out. */
  digits: string;
  /** Press 1 when offered a callback while on hold. */
  acceptCallback?: boolean;
  /** Press 2 when offered to leave a message while on hold (nobody speaks the caller's language). */
  leaveMessage?: boolean;
  /** How long a message the caller records when invited to (out of hours, or after pressing 2); 0: hangs up without a word. Default 20. */
  messageSeconds?: number;
  /** Hang up if no agent has answered after this many seconds on hold. */
  patienceSeconds?: number;
  /** What the outside number does if an agent transfers this caller there: ANSWER (default), or a dial status of a line not reached. */
  forwardResult?: SimForwardResult;
  /** What this caller does when a callback booked from this call is dialled: ANSWER (default), or a dial status of a line not reached. */
  callbackResult?: SimForwardResult;
  /** What an outside number does when an agent consults it or calls it in as an interpreter: ANSWER (default), or a dial status. */
  legResult?: SimForwardResult;
}

export const SIM_FORWARD_RESULTS = ['ANSWER', 'BUSY', 'NOANSWER', 'CHANUNAVAIL', 'CONGESTION'] as const;
export type SimForwardResult = (typeof SIM_FORWARD_RESULTS)[number];
/** The Q.850 cause a phone system gives with each dial status. */
const FORWARD_CAUSE: Record<SimForwardResult, string> = { ANSWER: '16', BUSY: '17', NOANSWER: '19', CHANUNAVAIL: '20', CONGESTION: '34' };

export interface SimCallbackView {
  attemptId: string;
  number: string;
  agentUsername: string;
  result: SimForwardResult;
  status: 'ringing' | 'talking' | 'ended';
}

export type SimStatus = 'ivr' | 'queued' | 'connected' | 'survey' | 'message' | 'ended';

export interface SimCallView {
  id: string;
  from: string;
  status: SimStatus;
  outcome: 'answered' | 'abandoned' | 'callback' | 'rejected' | 'ended_by_system' | 'forwarded' | 'message' | null;
  /** The outside number an agent passed the caller to. */
  forwardedTo: string | null;
  createdAt: number;
  queuedAt: number | null;
  answeredAt: number | null;
  endedAt: number | null;
  agentUsername: string | null;
  /** What the caller heard, in order (prompt keys with their text). */
  heard: { at: number; key: string; language: string; text: string | null }[];
  pressed: string[];
  surveyScore: number | null;
  /** The supervisor on the call, and how (listen, whisper, barge). */
  supervisor: { username: string; mode: MonitorMode } | null;
  /** Who hears whom while the caller talks to an agent (null otherwise): the simulator's audio model. */
  audio: SimAudio | null;
  /** A second leg (consult or interpreter): whom it reaches (a colleague's username or a number) and how far it has got. */
  leg: SimLeg | null;
}

/** consult: the agent talks to the target, the caller on hold; three-way: all three talk. */
export interface SimLeg {
  id: string;
  target: string;
  mode: 'ringing' | 'consult' | 'three-way';
}

/** For each party, the parties whose voices reach them (target: the colleague, interpreter or outside party of a second leg). */
export interface SimAudio {
  caller: SimParty[];
  agent: SimParty[];
  target: SimParty[];
  supervisor: SimParty[];
}
export type SimParty = 'caller' | 'agent' | 'target' | 'supervisor';

/**
 * Who hears whom: a listening supervisor hears the agent and whom the agent hears, and is heard
 * by nobody; a whisper reaches the agent only — never the caller, nor a second leg's target; a
 * barge joins the agent's conversation. While the agent consults, the caller hears hold music
 * and nobody hears the caller; a three-way call (merged, or an interpreter) joins all three.
 */
export function audioOf(agentOnLine: boolean, supervisor: { mode: MonitorMode } | null, leg: Pick<SimLeg, 'mode'> | null = null): SimAudio | null {
  if (!agentOnLine) return null;
  const consult = leg?.mode === 'consult';
  const threeWay = leg?.mode === 'three-way';
  const caller: SimParty[] = consult ? [] : threeWay ? ['agent', 'target'] : ['agent'];
  const agent: SimParty[] = consult ? ['target'] : threeWay ? ['caller', 'target'] : ['caller'];
  const target: SimParty[] = consult ? ['agent'] : threeWay ? ['caller', 'agent'] : [];
  if (supervisor && supervisor.mode !== 'listen') agent.push('supervisor');
  if (supervisor?.mode === 'barge') {
    if (!consult) caller.push('supervisor');
    if (consult || threeWay) target.push('supervisor');
  }
  const heardBySupervisor: SimParty[] = supervisor ? [...agent.filter((p) => p !== 'supervisor' && p !== 'target'), 'agent', ...agent.filter((p) => p === 'target')] : [];
  return { caller, agent, target, supervisor: heardBySupervisor };
}

interface SimCall extends Omit<SimCallView, 'audio'> {
  externalId: string;
  keys: string[];
  acceptCallback: boolean;
  leaveMessage: boolean;
  messageSeconds: number;
  patienceSeconds: number | null;
  forwardResult: SimForwardResult;
  callbackResult: SimForwardResult;
  legResult: SimForwardResult;
  timers: Set<NodeJS.Timeout>;
  step: number;
}

export interface SimDriverOptions {
  /** How long a simulated caller takes to press a key. */
  keyDelayMs: number;
  /** Scales every wait the flow asks for (menu timeouts, announcement intervals); 1 is real time. */
  timeScale: number;
  /** Ended calls kept for GET /sim/calls, newest first. */
  keepEnded: number;
}

/** A request the service could not answer is repeated every second for two minutes. */
const ASK_RETRY_MS = 1_000;
const ASK_ATTEMPTS = 120;

export const DEFAULT_SIM_OPTIONS: SimDriverOptions = { keyDelayMs: 400, timeScale: 1, keepEnded: 20_000 };

export class SimDriver implements TelephonyDriver {
  readonly name = 'sim' as const;
  private readonly calls = new Map<string, SimCall>();
  private readonly ended: string[] = [];
  private stopped = false;
  private readonly o: SimDriverOptions;
  /** What each number does when called back, from the latest simulated call that said so. */
  private readonly callbackResults = new Map<string, SimForwardResult>();
  private readonly callbacks = new Map<string, SimCallbackView>();
  /** Dials callbacks once the app has given it where to report (`enableCallbacks`). */
  dialer?: CallbackDialer;

  constructor(
    private readonly flow: CallFlow,
    private readonly log: FastifyBaseLogger,
    options: Partial<SimDriverOptions> = {},
  ) {
    this.o = { ...DEFAULT_SIM_OPTIONS, ...options };
  }

  async start(): Promise<void> {}

  /**
   * Simulated callbacks: the callee answers, does not answer, is busy or cannot be reached as
   * the call the callback was booked from asked (`callbackResult`, default ANSWER); answered, it
   * stays on the line until the agent hangs up (or `calleeHangup`).
   */
  enableCallbacks(reports: DialReports): void {
    this.dialer = {
      dial: async (d: CallbackDial) => {
        const result = (d.originCallId ? this.calls.get(d.originCallId)?.callbackResult : undefined) ?? this.callbackResults.get(d.number) ?? 'ANSWER';
        const view: SimCallbackView = { attemptId: d.attemptId, number: d.number, agentUsername: d.agent.username, result, status: 'ringing' };
        this.callbacks.set(d.attemptId, view);
        if (this.callbacks.size > this.o.keepEnded) this.callbacks.delete(this.callbacks.keys().next().value!);
        const outcome: DialOutcome = result === 'ANSWER' ? 'answered' : result === 'BUSY' ? 'busy' : result === 'NOANSWER' ? 'no_answer' : 'failed';
        // Reported once the dial has returned, as a phone system reports it.
        void Promise.resolve().then(() => {
          if (this.stopped) return;
          view.status = outcome === 'answered' ? 'talking' : 'ended';
          void reports
            .outcome(d.attemptId, outcome, { cause: FORWARD_CAUSE[result], externalId: `sim-cb-${d.attemptId}` })
            .then(() => (outcome === 'answered' ? reports.recording(d.attemptId, `sim:recordings/${d.attemptId}`) : undefined))
            .catch((err) => this.log.error({ err, attemptId: d.attemptId }, 'simulated callback: could not report its outcome'));
        });
      },
      hangUp: async (attemptId: string) => {
        const view = this.callbacks.get(attemptId);
        if (view) view.status = 'ended';
      },
    };
    this.calleeHangup = async (attemptId: string) => {
      const view = this.callbacks.get(attemptId);
      if (!view || view.status !== 'talking') return false;
      view.status = 'ended';
      await reports.ended(attemptId);
      return true;
    };
  }

  /** The simulated callee of a callback hangs up. False when that callback is not in conversation. */
  calleeHangup: (attemptId: string) => Promise<boolean> = async () => false;

  /** A callback this node dialled, as the simulated callee lived it. */
  callback(attemptId: string): SimCallbackView | null {
    return this.callbacks.get(attemptId) ?? null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const call of this.calls.values()) this.clearTimers(call);
  }

  actsOn(call: CallRef, local = false): boolean {
    const placed = this.calls.get(call.callId);
    // A callback attempt (its ids alike, no simulated call yet): the node that took the accept dials it.
    if (!placed) return local && call.callId === call.externalId;
    return placed.externalId === call.externalId;
  }

  /** Places a simulated call and returns its id once the flow has answered it. */
  async place(input: SimCallInput): Promise<string> {
    const externalId = `sim-${randomUUID()}`;
    const { callId, action } = await this.flow.arrived({ driver: 'sim', externalId, from: input.from });
    const call: SimCall = {
      id: callId,
      externalId,
      from: input.from,
      status: 'ivr',
      outcome: null,
      createdAt: Date.now(),
      queuedAt: null,
      answeredAt: null,
      endedAt: null,
      agentUsername: null,
      forwardedTo: null,
      heard: [],
      pressed: [],
      surveyScore: null,
      supervisor: null,
      keys: [...input.digits],
      acceptCallback: input.acceptCallback ?? false,
      leaveMessage: input.leaveMessage ?? false,
      messageSeconds: input.messageSeconds ?? 20,
      patienceSeconds: input.patienceSeconds ?? null,
      forwardResult: input.forwardResult ?? 'ANSWER',
      callbackResult: input.callbackResult ?? 'ANSWER',
      legResult: input.legResult ?? 'ANSWER',
      leg: null,
      timers: new Set(),
      step: 0,
    };
    this.calls.set(callId, call);
    if (input.callbackResult) this.callbackResults.set(input.from, input.callbackResult);
    this.apply(call, action);
    return callId;
  }

  /**
   * The simulated caller hangs up. False when there is no such live call. The service is told
   * until it has heard it: a hang-up during an outage is not lost, as a phone system would
   * report it again.
   */
  async hangup(callId: string): Promise<boolean> {
    const call = this.calls.get(callId);
    if (!call || call.status === 'ended') return false;
    this.end(call, call.status === 'connected' || call.status === 'survey' ? 'answered' : 'abandoned');
    await this.ask(call, 'hang-up', () => this.flow.hangup(callId, 'caller'), true);
    return true;
  }

  /**
   * A simulated caller exists only in the process that placed it: a call this node does not
   * have is gone (its node died with it).
   */
  async probe(ref: CallRef): Promise<'live' | 'gone'> {
    const call = this.calls.get(ref.callId);
    return call && call.externalId === ref.externalId && call.status !== 'ended' ? 'live' : 'gone';
  }

  view(callId: string): SimCallView | null {
    const call = this.calls.get(callId);
    return call ? this.toView(call) : null;
  }

  /** Calls placed on this node, newest first. */
  list(limit: number): SimCallView[] {
    return [...this.calls.values()]
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, limit)
      .map((c) => this.toView(c));
  }

  async execute(ref: CallRef, action: Action): Promise<void> {
    const call = this.calls.get(ref.callId);
    if (call && call.status !== 'ended') this.apply(call, action);
  }

  /** The simulated caller hears hold music while the agent holds; the transcript shows it. */
  capabilities(): DriverCapabilities {
    return { forward: true, consult: true, interpreter: true, monitor: [...MONITOR_MODES] };
  }

  /**
   * A second leg on the call: a colleague's simulated phone answers at once (they accepted on
   * their desk); an outside number does what the caller's `legResult` says. The audio model and
   * what the caller heard follow each step.
   */
  async conference(ref: CallRef, step: ConferenceStep): Promise<void> {
    const call = this.calls.get(ref.callId);
    if (!call || call.status !== 'connected') return;
    const now = Date.now();
    const hear = (key: string) => call.heard.push({ at: now, key, language: '', text: null });
    switch (step.type) {
      case 'consult':
      case 'join': {
        const target = 'agent' in step.target ? step.target.agent.username : step.target.number;
        const result: SimForwardResult = 'agent' in step.target ? 'ANSWER' : call.legResult;
        call.leg = { id: step.leg, target, mode: 'ringing' };
        if (step.type === 'consult') hear('hold_music');
        this.later(call, 0, async () => {
          if (call.leg?.id !== step.leg) return;
          if (result === 'ANSWER') {
            call.leg.mode = step.type === 'consult' ? 'consult' : 'three-way';
            if (step.type === 'join') hear('leg_joined');
          }
          const status: LegStatus = result === 'ANSWER' ? 'answered' : result === 'BUSY' ? 'busy' : result === 'NOANSWER' ? 'no_answer' : 'failed';
          await this.ask(call, 'leg result', () => this.flow.legResult(call.id, step.leg, status));
        });
        return;
      }
      case 'merge':
        if (call.leg?.id !== step.leg) return;
        call.leg.mode = 'three-way';
        hear('leg_joined');
        return;
      case 'complete': {
        if (call.leg?.id !== step.leg) return;
        const wasConsult = call.leg.mode === 'consult';
        call.leg = null;
        call.supervisor = null;
        if (wasConsult) hear('agent_unhold');
        if ('agent' in step.target) {
          call.agentUsername = step.target.agent.username;
          return;
        }
        // The caller talks on with the outside party; the hotline's part is over.
        call.forwardedTo = step.target.number;
        this.end(call, 'forwarded');
        this.later(call, 0, () => this.ask(call, 'hang-up', () => this.flow.hangup(call.id, 'system'), true), true);
        return;
      }
      case 'cancel':
      case 'drop':
        if (call.leg?.id !== step.leg) return;
        if (call.leg.mode === 'consult' || (call.leg.mode === 'ringing' && step.type === 'cancel')) hear('agent_unhold');
        else if (call.leg.mode === 'three-way') hear('leg_left');
        call.leg = null;
        return;
    }
  }

  /** The target of the call's second leg hangs up (a colleague, interpreter or outside party). False when there is none. */
  async legHangup(callId: string): Promise<boolean> {
    const call = this.calls.get(callId);
    const leg = call?.leg;
    if (!call || !leg || leg.mode === 'ringing') return false;
    await this.ask(call, 'leg hang-up', () => this.flow.legEnded(call.id, leg.id));
    return true;
  }

  /** The supervisor's simulated phone joins, changes mode or leaves; the audio model follows. */
  async monitor(ref: CallRef, m: MonitorRequest): Promise<void> {
    const call = this.calls.get(ref.callId);
    if (!call || call.status !== 'connected') return;
    call.supervisor = m.mode ? { username: m.supervisor.username, mode: m.mode } : null;
    // The caller hears a barging supervisor join; a listener or a whisper leaves no trace for them.
    if (m.mode === 'barge' && m.previous !== 'barge') call.heard.push({ at: Date.now(), key: 'supervisor_joined', language: '', text: null });
  }

  async control(ref: CallRef, control: CallControl): Promise<void> {
    const call = this.calls.get(ref.callId);
    if (!call || call.status === 'ended') return;
    call.heard.push({ at: Date.now(), key: control.type === 'hold' ? 'agent_hold' : 'agent_unhold', language: '', text: null });
  }

  // ---- the simulated caller ----------------------------------------------------------------

  private apply(call: SimCall, action: Action): void {
    if (this.stopped || call.status === 'ended') return;
    call.step = action.step;
    const now = Date.now();
    for (const p of action.prompts) call.heard.push({ at: now, key: p.key, language: p.language, text: p.text });
    switch (action.type) {
      case 'menu': {
        if (action.menu === 'survey') call.status = 'survey';
        const key = call.keys.shift();
        const answer = key === undefined || key === '.' ? null : key;
        const delay = answer === null ? action.timeoutSeconds * 1000 * this.o.timeScale : this.o.keyDelayMs;
        this.later(call, delay, async () => {
          if (answer !== null) call.pressed.push(answer);
          if (action.menu === 'survey' && answer && /^[1-5]$/.test(answer)) call.surveyScore = Number(answer);
          const next = await this.ask(call, 'keys', () => this.flow.digits(call.id, action.step, answer));
          if (next) this.apply(call, next);
        });
        return;
      }
      case 'hold': {
        if (call.status !== 'queued') {
          call.status = 'queued';
          call.queuedAt ??= now;
          if (call.patienceSeconds !== null) {
            this.later(call, call.patienceSeconds * 1000 * this.o.timeScale, async () => {
              if (call.status === 'queued') await this.hangup(call.id);
            });
          }
        }
        const messageOffered = action.prompts.some((p) => p.key === 'no_speaker_offer');
        if (action.acceptsKey && (call.acceptCallback || (call.leaveMessage && messageOffered))) {
          const key = call.leaveMessage && messageOffered ? '2' : '1';
          this.later(call, this.o.keyDelayMs, async () => {
            call.pressed.push(key);
            const next = await this.ask(call, 'keys', () => this.flow.digits(call.id, action.step, key));
            if (next) this.apply(call, next);
          });
          return;
        }
        this.later(call, action.announceSeconds * 1000 * this.o.timeScale, async () => {
          if (call.status !== 'queued' || call.step !== action.step) return;
          const next = await this.ask(call, 'hold tick', () => this.flow.holdTick(call.id));
          // Only a fresh announcement (or the end the tick itself decided: nobody speaks the
          // caller's language, so a callback) belongs here: by now the flow may have moved the
          // call on (an agent took it) and that action reaches the caller through execute().
          if ((next?.type === 'hold' || next?.type === 'hangup') && call.status === 'queued') this.apply(call, next);
        });
        return;
      }
      case 'connect':
        // A new agent (a transfer): whoever monitored the last conversation is not in this one.
        if (call.agentUsername !== action.agent.username) call.supervisor = null;
        call.status = 'connected';
        call.answeredAt = now;
        call.agentUsername = action.agent.username;
        this.later(call, 0, async () => {
          await this.ask(call, 'bridge', () => this.flow.bridged(call.id));
          await this.ask(call, 'recording', () => this.flow.recording(call.id, `sim:recordings/${call.id}`));
        });
        return;
      case 'forward': {
        const result = call.forwardResult;
        if (result !== 'ANSWER') {
          // The outside line does not take it: the phone system says so, and the caller hears what the flow decides next.
          this.later(call, 0, async () => {
            const next = await this.ask(call, 'forward result', () => this.flow.forwardResult(call.id, action.step, result, FORWARD_CAUSE[result]));
            if (next) this.apply(call, next);
          });
          return;
        }
        // The simulated caller talks to the outside number; the hotline's part is over.
        call.forwardedTo = action.number;
        this.end(call, 'forwarded');
        this.later(
          call,
          0,
          async () => {
            await this.ask(call, 'forward result', () => this.flow.forwardResult(call.id, action.step, result, FORWARD_CAUSE[result]), true);
            await this.ask(call, 'hang-up', () => this.flow.hangup(call.id, 'system'), true);
          },
          true,
        );
        return;
      }
      case 'message': {
        // The simulated caller speaks after the tone and presses # (and hears the goodbye); a
        // silent one hangs up at the tone, and the phone system reports an empty recording.
        call.status = 'message';
        const seconds = call.messageSeconds;
        this.later(call, seconds * 1000 * this.o.timeScale, async () => {
          if (seconds === 0) {
            this.end(call, 'abandoned');
            await this.ask(call, 'message', () => this.flow.messageRecorded(call.id, action.step, { url: null, seconds: 0 }), true);
            await this.ask(call, 'hang-up', () => this.flow.hangup(call.id, 'caller'), true);
            return;
          }
          call.pressed.push('#');
          const next = await this.ask(call, 'message', () => this.flow.messageRecorded(call.id, action.step, { url: `sim:messages/${call.id}-${action.step}`, seconds }));
          if (next) this.apply(call, next);
        });
        return;
      }
      case 'hangup': {
        const outcome = action.prompts.some((p) => p.key === 'message_saved')
          ? 'message'
          : action.prompts.some((p) => p.key === 'callback_confirmed' || p.key === 'queue_timeout' || p.key === 'no_speaker_callback')
          ? 'callback'
          : action.prompts.some((p) => p.key === 'queue_full')
            ? 'rejected'
            : call.answeredAt
              ? 'answered'
              : 'ended_by_system';
        this.end(call, outcome);
        this.later(call, 0, () => this.ask(call, 'hang-up', () => this.flow.hangup(call.id, 'system'), true), true);
        return;
      }
    }
  }

  /**
   * Asks the service (the call flow) and waits for its answer; while it cannot answer (an outage)
   * the caller asks again every second, as a phone system re-sends an event or a caller presses
   * again, for up to two minutes. `evenIfEnded`: the hang-up itself, which must get through.
   */
  private async ask<T>(call: SimCall, what: string, request: () => Promise<T>, evenIfEnded = false): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request();
      } catch (err) {
        if (this.stopped || (call.status === 'ended' && !evenIfEnded) || attempt >= ASK_ATTEMPTS) {
          this.log.error({ err, callId: call.id, what }, 'simulated call: the service did not answer; giving up');
          return null;
        }
        if (attempt === 0) this.log.warn({ err, callId: call.id, what }, 'simulated call: the service did not answer; asking again');
        await new Promise((r) => setTimeout(r, ASK_RETRY_MS));
      }
    }
  }

  private end(call: SimCall, outcome: SimCall['outcome']): void {
    this.clearTimers(call);
    call.supervisor = null;
    call.leg = null;
    call.status = 'ended';
    call.outcome = outcome;
    call.endedAt = Date.now();
    this.ended.push(call.id);
    while (this.ended.length > this.o.keepEnded) this.calls.delete(this.ended.shift()!);
  }

  private later(call: SimCall, ms: number, fn: () => Promise<unknown>, evenIfEnded = false): void {
    const timer = setTimeout(() => {
      call.timers.delete(timer);
      if (this.stopped || (call.status === 'ended' && !evenIfEnded)) return;
      fn().catch((err) => this.log.error({ err, callId: call.id }, 'simulated call failed'));
    }, Math.max(0, ms));
    call.timers.add(timer);
  }

  private clearTimers(call: SimCall): void {
    for (const t of call.timers) clearTimeout(t);
    call.timers.clear();
  }

  private toView(c: SimCall): SimCallView {
    return {
      id: c.id,
      from: c.from,
      status: c.status,
      outcome: c.outcome,
      createdAt: c.createdAt,
      queuedAt: c.queuedAt,
      answeredAt: c.answeredAt,
      endedAt: c.endedAt,
      agentUsername: c.agentUsername,
      forwardedTo: c.forwardedTo,
      heard: c.heard,
      pressed: c.pressed,
      surveyScore: c.surveyScore,
      supervisor: c.supervisor,
      audio: audioOf(c.status === 'connected' && c.agentUsername !== null, c.supervisor, c.leg),
      leg: c.leg ? { ...c.leg } : null,
    };
  }
}
