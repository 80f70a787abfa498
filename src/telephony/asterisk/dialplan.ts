import type { Action } from '../driver';
import type { Prompt } from '../prompts';

/**
 * The contract between this driver and deploy/asterisk/extensions.conf. Change both together.
 *
 * Calls to 12348 enter [hotline-inbound], which answers, sets HOTLINE=1, sends
 * UserEvent(HotlineArrived) and parks the channel in [hotline-park] (silence, then music, then a
 * safety exit that apologises and hangs up). Every decision of the call flow reaches the
 * channel as Setvar(HOTLINE_*) followed by a Redirect to one of the contexts below, extension
 * `s`, priority 1. Each context first copies HOTLINE_* into HL_* so that variables set for the
 * next action cannot leak into the events of the one still running. Each context ends by
 * sending one UserEvent (carrying `Step:` from HOTLINE_STEP) and parking again: every event
 * the driver receives is answered by exactly one Redirect.
 *
 *   [hotline-menu]    Read() one key over HOTLINE_PROMPTS, timeout HOTLINE_TIMEOUT
 *                     → UserEvent(HotlineDigits, Step, Menu, Digits) (empty Digits = timeout)
 *   [hotline-hold]    play HOTLINE_PROMPTS (numbers in HOTLINE_LANG), then music
 *                     HOTLINE_MUSIC for HOTLINE_ANNOUNCE s, listening for a key when HOTLINE_KEYS=1
 *                     → UserEvent(HotlineHoldTick, Step) or UserEvent(HotlineDigits, Step, Digits)
 *   [hotline-connect] play HOTLINE_PROMPTS, MixMonitor(HOTLINE_RECORDING,b),
 *                     Dial(HOTLINE_DIAL,HOTLINE_RING,g), StopMixMonitor
 *                     → UserEvent(HotlineDialResult, Step, DialStatus)
 *   [hotline-bye]     play HOTLINE_PROMPTS, Hangup()
 *   [hotline-forward] play HOTLINE_PROMPTS, Dial the outside number HOTLINE_FORWARD through
 *                     the trunk (HOTLINE_TRUNK in [globals]) → DialEnd (ANSWER) when it
 *                     answers; UserEvent(HotlineForwardResult, Step, DialStatus, Cause) when
 *                     the dial is over — a failed one then waits in hotline-park
 *
 *   [hotline-message] play HOTLINE_PROMPTS, a beep, Record() the caller's voice message into
 *                     HOTLINE_RECORDING (under the monitor directory) for at most HOTLINE_MAX s
 *                     → UserEvent(HotlineMessage, Step, Status, Duration) — also from the
 *                     context's `h` extension when the caller hangs up while recording
 *
 * HOTLINE_PROMPTS is a `&` list of sound names (`hotline/<lang>/<key>`); in hold, connect and
 * bye an item `#<n>` is a number said with SayNumber. The channel's Hangup event ends the call.
 */

export const CONTEXTS = {
  inbound: 'hotline-inbound',
  /** The generated menus every caller walks (dialplan-generator.ts). */
  ivr: 'hotline-ivr',
  park: 'hotline-park',
  /** One Redirect per decision, the decision in the extension (`compact()`). */
  ask: 'hotline-ask',
  wait: 'hotline-wait',
  agent: 'hotline-agent',
  end: 'hotline-end',
  /** Subroutines: a prompt with its fallbacks, read for a key, a list of items. */
  play: 'hotline-play',
  read: 'hotline-read',
  items: 'hotline-items',
  say: 'hotline-say',
  menu: 'hotline-menu',
  hold: 'hotline-hold',
  connect: 'hotline-connect',
  bye: 'hotline-bye',
  forward: 'hotline-forward',
  message: 'hotline-message',
  /** A caller put through to a remote seat's phone leg (Bridge, not Dial). */
  seatConnect: 'hotline-seat-connect',
  /** Second legs (consult, interpreter): the caller waiting on music while the agent consults. */
  legHold: 'hotline-leg-hold',
  /** Second legs: the ConfBridge room a leg's parties talk in. */
  leg: 'hotline-leg',
  /** Second legs: an outside number dialled through the trunk (the Local channel's other half). */
  legOut: 'hotline-leg-out',
} as const;

/**
 * The global variable the service keeps at 1 while the hotline is closed (service hours): the
 * generated menus then stop after the language, so the caller hears the hours at once instead of
 * choosing a topic and a group first. Unset or 0: open.
 */
export const CLOSED_VARIABLE = 'HOTLINE_CLOSED';

export const USER_EVENTS = {
  arrived: 'HotlineArrived',
  digits: 'HotlineDigits',
  holdTick: 'HotlineHoldTick',
  dialResult: 'HotlineDialResult',
  forwardResult: 'HotlineForwardResult',
  /** The answers to the generated menus, in one event. */
  menus: 'HotlineMenus',
  /** A sound file that could not be played (the dialplan played a fallback). */
  promptMissing: 'HotlinePromptMissing',
  message: 'HotlineMessage',
} as const;

/** The first letter of a compact extension: which decision it carries. */
export const COMPACT = { menu: 'M', hold: 'H', connect: 'C', bye: 'B' } as const;

/** Where a channel is while it carries out each kind of action (generic, then compact). */
export const CONTEXT_OF: Record<Action['type'], readonly string[]> = {
  // The generated connect runs the survey and the goodbye after the agent itself.
  menu: [CONTEXTS.menu, CONTEXTS.ask, CONTEXTS.ivr, CONTEXTS.agent],
  hold: [CONTEXTS.hold, CONTEXTS.wait],
  // A caller taken out of the agent's Dial into a second leg's room (or its hold music) is still
  // where the connect put them: the re-sync must not dial the agent again.
  connect: [CONTEXTS.connect, CONTEXTS.agent, CONTEXTS.seatConnect, CONTEXTS.legHold, CONTEXTS.leg],
  hangup: [CONTEXTS.bye, CONTEXTS.end, CONTEXTS.agent],
  forward: [CONTEXTS.forward],
  message: [CONTEXTS.message],
};

/** How long the dialplan rings the agent's endpoint before giving up (Dial's timeout). */
export const RING_SECONDS = 30;

/** Sound names as prompts.ts allows them; anything else could break Read()/Playback() arguments. */
const SOUND = /^[A-Za-z0-9_\-/.]{1,120}$/;
/** Music-on-hold class names; a URL (for Twilio's <Play>) is not one, and means the default. */
export const MUSIC_CLASS = /^[A-Za-z0-9_-]{1,64}$/;
/** Language codes as Asterisk's sound directories name them (zh, en, bo, zh_TW...). */
const LANGUAGE = /^[a-z]{2,3}(_[A-Za-z]{2,4})?$/;
/** Agent sign-in names that may go into a dial string. */
export const AGENT_NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** Dial string templates: technology/resource characters, `&` for parallel endpoints, `{agent}`. */
export const DIAL_TEMPLATE = /^[A-Za-z0-9_\-./@:&{}]+$/;

export class DialTargetError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'DialTargetError';
  }
}

export interface Rendered {
  context: string;
  variables: Record<string, string>;
  /** Prompts without a sound file in any language (text-only), which Asterisk cannot play. */
  silent: Prompt[];
}

export interface RenderOptions {
  callId: string;
  /** ASTERISK_AGENT_DIAL, e.g. `PJSIP/{agent}`. */
  agentDial: string;
}

/** The dial string for an agent: the template with `{agent}` replaced by a checked name. */
export function dialString(template: string, username: string): string {
  if (!AGENT_NAME.test(username)) throw new DialTargetError('the agent name is not usable in a dial string (only letters, digits, . _ -)');
  return template.replaceAll('{agent}', username);
}

/** The MixMonitor file, relative to Asterisk's monitor directory; one per connection attempt. */
export function recordingFile(callId: string, step: number): string {
  return `hotline/${callId}-${step}.wav`;
}

/** The URL stored with the call for a recording MixMonitor made on the Asterisk server. */
export function recordingUrl(file: string): string {
  return `asterisk:monitor/${file}`;
}

/** Where Record() puts a voice message (absolute: Record() is relative to the sounds directory otherwise). */
export const MONITOR_DIR = '/var/spool/asterisk/monitor';

/** A voice message's file, relative to the monitor directory; one per message step. */
export function messageFile(callId: string, step: number): string {
  return `hotline/messages/${callId}-${step}.wav`;
}

/** The URL stored with the call (and shown with its ticket) for a voice message. */
export function messageUrl(callId: string, step: number): string {
  return `asterisk:monitor/${messageFile(callId, step)}`;
}

/** The sound a region menu is read from: one per region, naming its districts (`npm run asterisk:prompts` makes them). */
export function regionMenuSound(regionCode: string): string {
  return `region_menu_${regionCode}`;
}

/**
 * The action's prompts, the region menu's made specific to the region it lists: a recording cannot
 * say place names built at run time, so each region has its own file.
 */
function regionalised(action: Action): Prompt[] {
  if (action.type !== 'menu' || action.menu !== 'region' || !action.regionCode || !/^\d{6}$/.test(action.regionCode)) return action.prompts;
  const sound = regionMenuSound(action.regionCode);
  return action.prompts.map((p) => (p.key === 'region_menu' && p.audio === `hotline/${p.language}/region_menu` ? { ...p, audio: `hotline/${p.language}/${sound}` } : p));
}

/** What to set on the channel and where to send it, for one action of the call flow. */
export function render(action: Action, o: RenderOptions): Rendered {
  const silent: Prompt[] = [];
  const withNumbers = action.type !== 'menu';
  const items: string[] = [];
  for (const p of regionalised(action)) {
    if (p.audio && SOUND.test(p.audio)) items.push(p.audio);
    else silent.push(p);
    // Read() can only play files, and menus never carry numbers; elsewhere they are said.
    if (withNumbers) for (const n of p.numbers ?? []) if (Number.isInteger(n) && n >= 0) items.push(`#${n}`);
  }
  const base = { HOTLINE_STEP: String(action.step), HOTLINE_PROMPTS: items.join('&') };
  switch (action.type) {
    case 'menu':
      return { context: CONTEXTS.menu, silent, variables: { ...base, HOTLINE_MENU: action.menu, HOTLINE_TIMEOUT: String(action.timeoutSeconds) } };
    case 'hold':
      return {
        context: CONTEXTS.hold,
        silent,
        variables: {
          ...base,
          // SayNumber speaks in the channel's language: that of the prompt carrying the numbers.
          HOTLINE_LANG: [...action.prompts.filter((p) => p.numbers?.length), ...action.prompts].map((p) => p.language).find((l) => LANGUAGE.test(l)) ?? 'zh',
          HOTLINE_MUSIC: MUSIC_CLASS.test(action.music) ? action.music : 'default',
          HOTLINE_ANNOUNCE: String(action.announceSeconds),
          HOTLINE_KEYS: action.acceptsKey ? '1' : '0',
        },
      };
    case 'connect':
      if (action.agent.remote) {
        // The remote seat's leg is already up (it pressed 1): the caller is bridged to it by its
        // Uniqueid, the offer's id, which the service gave it (Originate ChannelId).
        if (!SEAT_LEG.test(action.agent.remote.leg)) throw new DialTargetError('the remote seat leg is not a channel id the service made');
        return { context: CONTEXTS.seatConnect, silent, variables: { ...base, HOTLINE_SEAT: action.agent.remote.leg, HOTLINE_RECORDING: recordingFile(o.callId, action.step) } };
      }
      return {
        context: CONTEXTS.connect,
        silent,
        variables: {
          ...base,
          HOTLINE_DIAL: dialString(o.agentDial, action.agent.username),
          HOTLINE_RING: String(RING_SECONDS),
          HOTLINE_RECORDING: recordingFile(o.callId, action.step),
        },
      };
    case 'hangup':
      return { context: CONTEXTS.bye, silent, variables: base };
    case 'forward':
      // The flow only forwards to digits (FORWARDABLE); checked again, as every value put in a dial string is.
      if (!/^[0-9]{3,20}$/.test(action.number)) throw new DialTargetError(`not a number that can be dialled: ${JSON.stringify(action.number)}`);
      return { context: CONTEXTS.forward, silent, variables: { ...base, HOTLINE_FORWARD: action.number } };
    case 'message':
      return {
        context: CONTEXTS.message,
        silent,
        variables: { ...base, HOTLINE_RECORDING: `${MONITOR_DIR}/${messageFile(o.callId, action.step)}`, HOTLINE_MAX: String(Math.max(1, Math.floor(action.maxSeconds))) },
      };
  }
}

/** Asterisk's longest extension is 79 characters (AST_MAX_EXTENSION 80, with the NUL). */
const MAX_EXTEN = 79;
const ITEM_KEY = /^[a-z][a-z0-9_]{0,40}$/;
const ITEM_LANGUAGE = /^[a-z]{2,3}$/;

/** A decision as one Redirect: the context and the extension that carries it. */
export interface CompactRedirect {
  context: string;
  exten: string;
  /** The MixMonitor file of a connect (named after the channel, which is all the dialplan knows). */
  recording?: string;
}

/** `<language>.<sound>[.<number>...]` for a sound in the hotline's own folders, or null for one the generated dialplan cannot name. */
function item(p: Prompt): string | null {
  const m = /^hotline\/([a-z]{2,3})\/([a-z][a-z0-9_]{0,40})$/.exec(p.audio ?? '');
  if (!m || m[1] !== p.language || !ITEM_LANGUAGE.test(p.language) || !ITEM_KEY.test(m[2]!)) return null;
  const numbers = (p.numbers ?? []).filter((n) => Number.isInteger(n) && n >= 0 && n < 1e6);
  return [p.language, m[2], ...numbers].join('.');
}

/**
 * The action as one Redirect into the generated dialplan's compact contexts, or null where only
 * the generic Setvar + Redirect can carry it: a prompt with a custom sound file or text only, a
 * forward, an agent name the dial template cannot take, an extension over Asterisk's limit.
 */
export function compact(action: Action, o: { uniqueid: string; agentDial: boolean }): CompactRedirect | null {
  const items: string[] = [];
  for (const p of regionalised(action)) {
    const i = item(p);
    if (i === null) return null;
    items.push(i);
  }
  let r: CompactRedirect;
  switch (action.type) {
    case 'menu':
      if (items.length === 0) return null;
      r = { context: CONTEXTS.ask, exten: [`${COMPACT.menu}${action.step}`, action.timeoutSeconds, action.menu, ...items].join('*') };
      break;
    case 'hold':
      r = { context: CONTEXTS.wait, exten: [`${COMPACT.hold}${action.step}`, action.announceSeconds, action.acceptsKey ? 1 : 0, ...items].join('*') };
      break;
    case 'connect':
      // A remote seat is bridged, never dialled: only the generic context does that.
      if (action.agent.remote || !o.agentDial || !AGENT_NAME.test(action.agent.username)) return null;
      r = {
        context: CONTEXTS.agent,
        exten: [`${COMPACT.connect}${action.step}`, action.agent.username, ...items].join('*'),
        recording: `hotline/${o.uniqueid}-${action.step}.wav`,
      };
      break;
    case 'hangup':
      r = { context: CONTEXTS.end, exten: [`${COMPACT.bye}${action.step}`, ...items].join('*') };
      break;
    case 'forward':
    case 'message':
      return null;
  }
  return r.exten.length <= MAX_EXTEN ? r : null;
}

// ---- callbacks dialled out (src/telephony/asterisk/callback-dialer.ts) --------------------------

/**
 * A callback: Originate (Async) rings the agent's endpoint (ASTERISK_AGENT_DIAL) and, once it
 * answers, runs [hotline-callback] on it at extension <the caller's digits>, the channel's
 * Uniqueid being the attempt's id (ChannelId): MixMonitor to callbackRecordingFile(), then
 * Dial(PJSIP/<number>@HOTLINE_TRUNK, CALLBACK_RING_SECONDS) with
 * U(hotline-callback-answered^<attempt>) on the callee, which sends
 * UserEvent(HotlineCallbackAnswered, Attempt) when the caller picks up; the `h` extension sends
 * UserEvent(HotlineCallbackResult, Attempt, DialStatus, HangupCause) when the call is over,
 * whichever side ended it.
 */
export const CALLBACK_CONTEXT = 'hotline-callback';

export const CALLBACK_EVENTS = {
  answered: 'HotlineCallbackAnswered',
  result: 'HotlineCallbackResult',
} as const;

/** How long the caller's phone rings before a callback counts as not answered (HL_CALLBACK_RING in extensions.conf). */
export const CALLBACK_RING_SECONDS = 45;

/** The MixMonitor file of a callback, relative to Asterisk's monitor directory. */
export function callbackRecordingFile(attemptId: string): string {
  return `hotline/${attemptId}-callback.wav`;
}

// ---- remote seats (src/telephony/asterisk/seat-dialer.ts) --------------------------------------

/**
 * A remote seat: Originate (Async) of `Local/<seat digits>@hotline-seat-out/n` — which dials the
 * seat phone through the trunk — into [hotline-seat] at extension `<region>*<language>*<topic>`,
 * the Local channel's Uniqueid being the offer's id (ChannelId). [hotline-seat] says who is
 * calling (seat_offer, seat_region_<code>, seat_language_<code>, seat_topic_<code>), reads one key
 * (seat_press, twice at most) and sends UserEvent(HotlineSeatKey, Seat, Digits); after 1 it waits
 * with music for the caller, otherwise it hangs up. Its `h` extension sends
 * UserEvent(HotlineSeatEnd, Seat, Digits, HangupCause). The caller is put through by
 * [hotline-seat-connect]: MixMonitor, Bridge(HOTLINE_SEAT), then HotlineDialResult with DialStatus
 * ANSWER when the bridge took place (the seat hung up afterwards), else BRIDGERESULT.
 */
export const SEAT_CONTEXTS = { out: 'hotline-seat-out', seat: 'hotline-seat' } as const;

export const SEAT_EVENTS = { key: 'HotlineSeatKey', end: 'HotlineSeatEnd' } as const;

/** The offer ids the router makes, which name seat legs. */
export const SEAT_LEG = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// ---- second legs: consult transfer and interpreters (asterisk-driver.ts, conference()) --------

/**
 * A second leg talks in a ConfBridge room of its own, `hotline-leg-<room>`, the room being the
 * leg's id without dashes (32 hex digits: Asterisk ignores dashes when it matches extensions). Every party gets there by one Redirect or Originate whose extension
 * names its role and the room:
 *
 *   [hotline-leg-hold]  L<room>  the caller during a consult: music (HOTLINE_MUSIC), nobody hears them;
 *                                after HOTLINE_LEG_HOLD_SECONDS they join the room rather than wait on
 *   [hotline-leg]       C<room>  the caller in the room
 *                       A<room>  the agent's leg in the room (Redirect's ExtraChannel, with the caller)
 *                       T<room>  the target, Originated (Async, ChannelId = the leg's id) into the room
 *   [hotline-leg-out]   <digits> an outside target: Local/<digits>@hotline-leg-out/n dials the trunk,
 *                                busy and congestion passed back as Busy() / Congestion()
 *
 * ConfBridge(hotline-leg-<room>,hotline_leg,hotline_leg_user,hotline_leg_menu) with the profiles
 * of deploy/asterisk/confbridge.conf: no sounds, no DTMF menu. A party leaving the room by itself
 * (hung up) is hung up; one Redirected out goes where it was sent.
 */
export const LEG_ROLE = { hold: 'L', caller: 'C', agent: 'A', target: 'T' } as const;

/** ConfBridge profiles in deploy/asterisk/confbridge.conf. */
export const LEG_PROFILES = { bridge: 'hotline_leg', user: 'hotline_leg_user', menu: 'hotline_leg_menu' } as const;

/** How long a caller waits on music during a consult before joining the room anyway (HOTLINE_LEG_HOLD_SECONDS). */
export const LEG_HOLD_SECONDS = 1800;

/** How long an outside leg's number rings (as a forward's). */
export const LEG_NUMBER_RING_SECONDS = 60;

/** The room of a leg (its id as the router makes it, a UUID), or null for an id that is not one. */
export function legRoom(legId: string): string | null {
  return SEAT_LEG.test(legId) ? legId.replaceAll('-', '') : null;
}

/** The Local channel that dials an outside leg's number through the trunk. */
export function legNumberChannel(number: string): string {
  if (!/^[0-9]{3,20}$/.test(number)) throw new DialTargetError(`not a number that can be dialled: ${JSON.stringify(number)}`);
  return `Local/${number}@${CONTEXTS.legOut}/n`;
}
