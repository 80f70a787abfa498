import type { MonitorMode } from '../queue/types';
import type { Prompt } from './prompts';

/**
 * The one interface between the call flow and a phone system (DESIGN §2). Events come in as
 * calls to the CallFlow (arrived, digits, hold tick, hang-up, bridged, recording); the flow's
 * decisions go out as Actions. A driver renders an action its own way: TwiML for Twilio, a
 * Redirect into a dialplan context for Asterisk, a timer for the simulator. Nothing above this
 * interface knows which phone system carries a call.
 */

export type DriverName = 'sim' | 'asterisk' | 'twilio';

export interface AgentEndpoint {
  id: string;
  /** The agent's sign-in name: SIP endpoint and Twilio client identity derive from it. */
  username: string;
  /**
   * A remote seat that took the call on its phone (src/telephony/remote-seats.ts): the caller is
   * put through to that outside leg, named by the offer's id, instead of the agent's endpoint.
   */
  remote?: { number: string; leg: string };
}

export type Action =
  /** Play the prompts and collect one key; answer with `digits` carrying this `step`. */
  | {
      type: 'menu';
      step: number;
      menu: 'language' | 'topic' | 'priority' | 'region' | 'survey';
      prompts: Prompt[];
      timeoutSeconds: number;
      /** The region menu: the region whose districts it lists (a recording per region names them). */
      regionCode?: string;
    }
  /**
   * Hold: announcements, then music until the next hold tick. A key pressed while holding is
   * sent as `digits` with this step when `acceptsKey` (the callback offer).
   */
  | { type: 'hold'; step: number; prompts: Prompt[]; music: string; announceSeconds: number; acceptsKey: boolean }
  /** Bridge the caller to the agent, recorded. */
  | { type: 'connect'; step: number; prompts: Prompt[]; agent: AgentEndpoint; record: true }
  /** Play the prompts and put the caller through to an outside number; the hotline's part ends. */
  | { type: 'forward'; step: number; prompts: Prompt[]; number: string }
  /** Play the prompts and hang up. */
  | { type: 'hangup'; step: number; prompts: Prompt[] }
  /**
   * Play the prompts, a tone, and record the caller's voice message (留言) for at most
   * `maxSeconds` (a key ends it); report it to the flow's `messageRecorded` with this `step`.
   */
  | { type: 'message'; step: number; prompts: Prompt[]; maxSeconds: number };

export interface CallRef {
  callId: string;
  externalId: string;
}

export interface TelephonyDriver {
  readonly name: DriverName;
  /**
   * Whether this node carries out what the router decided for this driver's calls: the node
   * that took the step (Twilio: any node can reach the REST API), the node holding the AMI link
   * (Asterisk), the node where the simulated call lives (simulator).
   */
  actsOn(call: CallRef, local: boolean): boolean;
  /** Carries out an action decided outside a request from the phone system. */
  execute(call: CallRef, action: Action): Promise<void>;
  /**
   * The agent's controls during a connected call that need the phone system. Absent: the
   * agent's own phone does it (SIP hold from the browser) and the service only records it.
   */
  control?(call: CallRef, control: CallControl): Promise<void>;
  /**
   * Asks the phone system whether the caller is still on the line (the reaper, for a call whose
   * node died or that has gone quiet too long). Absent, or `unknown`: it cannot tell from here.
   */
  probe?(call: CallRef): Promise<'live' | 'gone' | 'unknown'>;
  /** Dials callbacks the agent accepted. Absent: the agent phones the caller themselves. */
  dialer?: CallbackDialer;
  /**
   * Brings a supervisor's phone into a connected call, or changes how (mode), or takes it out
   * (mode null). Only where `capabilities().monitor` names the mode.
   */
  monitor?(call: CallRef, m: MonitorRequest): Promise<void>;
  /**
   * A second leg on a connected call (consult transfer, interpreter): dialled, merged, completed
   * or dropped as the step says. Only where `capabilities().consult` (or `.interpreter`). The
   * driver reports how the dial went with `CallFlow.legResult`, and a leg that ends by itself
   * (the colleague or the outside party hung up) with `CallFlow.legEnded`.
   */
  conference?(call: CallRef, step: ConferenceStep): Promise<void>;
  /** What this phone system can do beyond the basic call: the desk and the wallboard show only that. */
  capabilities(): DriverCapabilities;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export type CallControl = { type: 'hold' } | { type: 'unhold' };

/** Whom a second leg reaches: a colleague's own phone, or an outside (mainland) number. */
export type LegTarget = { agent: AgentEndpoint } | { number: string };

/**
 * The steps of a second leg on a connected call. In each, `leg` names the leg (stable from
 * `consult`/`join` to its end), `agent` is the agent who holds the call, `target` whom the leg
 * reaches. Who hears whom after each step (the simulator asserts exactly this):
 * - consult: the caller hears hold music and nobody hears them; agent and target hear each other.
 * - join: (an interpreter) the target is dialled straight into the call: all three hear each other.
 * - merge: the consult becomes a three-way call: all three hear each other.
 * - complete: the agent's phone leaves; caller and target hear each other.
 * - cancel: (from consult) the target's leg is hung up; caller and agent hear each other again.
 * - drop: (from a three-way call) the target's leg is hung up; caller and agent stay.
 */
export type ConferenceStep = {
  type: 'consult' | 'join' | 'merge' | 'complete' | 'cancel' | 'drop';
  leg: string;
  agent: AgentEndpoint;
  target: LegTarget;
};

/** How a leg's dial went, as the phone system reports it to the flow. */
export type LegStatus = 'answered' | 'busy' | 'no_answer' | 'failed';

export interface MonitorRequest {
  supervisor: AgentEndpoint;
  agent: AgentEndpoint;
  mode: MonitorMode | null;
  previous: MonitorMode | null;
}

export interface DriverCapabilities {
  /** Transfer to an outside (mainland) number. */
  forward: boolean;
  /** Consultative (warm) transfer. */
  consult: boolean;
  /** An interpreter added to the call. */
  interpreter: boolean;
  /** How a supervisor may join a call. */
  monitor: MonitorMode[];
}

/** The answer to an agent's control: done, or why not (codes the agent desktop shows). */
/** A refusal names its reason in English and, when the code's generic Chinese would not say it, in Chinese (messageZh). */
export type ControlResult = { ok: true } | { ok: false; code: 'NOT_FOUND' | 'NOT_YOURS' | 'REFUSED' | 'UNSUPPORTED'; message: string; messageZh?: string };

// ---- callbacks dialled out ------------------------------------------------------------------

/**
 * A callback attempt an agent has accepted, for the phone system to dial: the agent's phone and
 * the number the callback was booked for, bridged and recorded like an inbound call.
 */
export interface CallbackDial {
  /** The attempt's id: its place in the queue and its outbound call record. */
  attemptId: string;
  /** The callback (row of `callbacks`) the attempt carries out. */
  callbackId: string;
  /** The number to call, as stored with the callback. */
  number: string;
  agent: AgentEndpoint;
  /** The call the callback was booked from, if any (the simulator keeps per-call options). */
  originCallId: string | null;
}

/** How the dial to the caller went. */
export type DialOutcome = 'answered' | 'no_answer' | 'busy' | 'failed';

/**
 * What a phone system reports about a callback it dials (src/callbacks/dial-out.ts implements
 * it). Any node may report (a Twilio webhook reaches any node); each report is idempotent.
 */
export interface DialReports {
  /**
   * The dial's outcome: `cause` is the phone system's own word (Q.850 cause, Twilio status,
   * Originate reason). Resolves false for an answer that came after the attempt was over (the
   * agent hung up while the caller's phone rang): the phone system must not ring the agent then.
   */
  outcome(attemptId: string, outcome: DialOutcome, detail?: { cause?: string; externalId?: string }): Promise<boolean>;
  /** The conversation that followed an answer is over on the phone (either side hung up). */
  ended(attemptId: string): Promise<void>;
  /**
   * The caller answered but the agent's own phone did not (a phone system that rings the caller
   * first): nobody talked, so the callback is tried again and the agent is set aside as after a
   * missed offer.
   */
  agentMissed(attemptId: string, cause: string): Promise<void>;
  /** The recording of the conversation. */
  recording(attemptId: string, url: string): Promise<void>;
}

/**
 * A driver's optional part that dials callbacks out. Only the node the driver `actsOn` (called
 * with the attempt's id as both ids) dials, as for execute().
 */
export interface CallbackDialer {
  /** Places the call; resolves once the phone system has taken it. A rejection counts as a failed attempt. */
  dial(d: CallbackDial): Promise<void>;
  /** The agent hung up at the desk: the phone system ends the call (nothing if it is over). */
  hangUp(attemptId: string): Promise<void>;
}
