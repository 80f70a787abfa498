import twilio from 'twilio';
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import type { Action } from '../driver';
import type { Prompt } from '../prompts';

/**
 * Actions rendered as TwiML. Every URL handed to Twilio is absolute, under PUBLIC_BASE_URL,
 * because Twilio signs the exact URL it requests and the webhooks check that signature
 * against PUBLIC_BASE_URL + the path and query they received.
 *
 * Hold is a loop of our own (<Gather>/<Play>/<Redirect>), not Twilio's <Enqueue>: the router
 * is the queue. An <Enqueue> would add a second queue with its own order and size limit, its
 * waitUrl requests and action callback would add traffic that carries nothing we need, and
 * taking a caller out of it by REST would fire that action callback too. The loop keeps the
 * call's whole state in the call flow and re-announces position and wait at each turn.
 */

export const WEBHOOK_PREFIX = '/telephony/twilio';

export type Webhook = 'voice' | 'gather' | 'hold' | 'dial' | 'forward' | 'status' | 'recording' | 'message' | 'participant';

export interface TwimlOptions {
  /** PUBLIC_BASE_URL without its trailing slash. */
  publicBaseUrl: string;
  /** Where recorded prompts and hold music are fetched from: {audioBaseUrl}/{name}.mp3. */
  audioBaseUrl: string;
  /** Text-to-speech voice per language; null leaves it to the account's default for that language. */
  voices: { zh: string | null; en: string | null };
  /** How long the agent's softphone may ring before the <Dial> gives up. */
  dialTimeoutSeconds: number;
  /** The province's hold music (IVR setting), for a caller kept waiting outside a hold action. */
  holdMusic: string;
}

/** The languages Twilio can speak for us; the others (Tibetan, Mongolian) are recordings. */
const SAY_LANGUAGES: Record<string, { locale: NonNullable<VoiceResponse.SayAttributes['language']>; voice: 'zh' | 'en' }> = {
  zh: { locale: 'zh-CN', voice: 'zh' },
  en: { locale: 'en-US', voice: 'en' },
};

/** Seconds the hold loop waits for the callback key after its announcements and music. */
const HOLD_KEY_SECONDS = 2;

/** What both <Response> and <Gather> can hold. */
interface Speaks {
  say(attributes: VoiceResponse.SayAttributes, message: string): unknown;
  play(attributes: VoiceResponse.PlayAttributes, url: string): unknown;
}

/** Stand-ins for a call id (a UUID) and a step while a document is built for the cache. */
const CALL_PLACEHOLDER = 'hotline-call-placeholder';
const STEP_PLACEHOLDER = 987654321987;
const RENDERED_CACHE_SIZE = 2_000;

export class Twiml {
  private readonly rendered = new Map<string, string>();

  constructor(private readonly o: TwimlOptions) {}

  url(hook: Webhook, query: Record<string, string | number> = {}): string {
    const pairs = Object.entries(query).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
    return `${this.o.publicBaseUrl}${WEBHOOK_PREFIX}/${hook}${pairs.length ? `?${pairs.join('&')}` : ''}`;
  }

  /**
   * `via: 'webhook'` is the answer to a request from Twilio; `'rest'` replaces the live call's
   * TwiML. A connect is only ever delivered by REST, by the node that committed it: a webhook
   * that meets one (a retried request, a hold tick racing the update) keeps the caller on hold
   * music instead, so the agent's softphone is never dialled twice.
   */
  render(callId: string, action: Action, via: 'webhook' | 'rest'): string {
    // Most callers hear the same menus: the document is built once per action (less its call
    // and step, which only appear in URLs) and the two are filled in. Building TwiML is a
    // good part of what a webhook costs.
    const key = `${via}:${JSON.stringify({ ...action, step: 0 })}`;
    let template = this.rendered.get(key);
    if (template === undefined) {
      template = this.build(CALL_PLACEHOLDER, { ...action, step: STEP_PLACEHOLDER }, via);
      if (this.rendered.size >= RENDERED_CACHE_SIZE) this.rendered.clear();
      this.rendered.set(key, template);
    }
    return template.replaceAll(CALL_PLACEHOLDER, callId).replaceAll(String(STEP_PLACEHOLDER), String(action.step));
  }

  private build(callId: string, action: Action, via: 'webhook' | 'rest'): string {
    const r = new twilio.twiml.VoiceResponse();
    switch (action.type) {
      case 'menu': {
        const url = this.url('gather', { call: callId, step: action.step });
        // The welcome carries the recording notice: heard whole, before the menu listens for a key
        // (inside <Gather>, the first key pressed would cut it off).
        for (const p of action.prompts) if (p.key === 'welcome') this.prompt(r, p);
        const gather = r.gather({ input: ['dtmf'], numDigits: 1, timeout: action.timeoutSeconds, action: url, method: 'POST', actionOnEmptyResult: false });
        for (const p of action.prompts) if (p.key !== 'welcome') this.prompt(gather, p);
        // No key before the timeout: Twilio falls through to here, and the menu sees no digits.
        r.redirect({ method: 'POST' }, url);
        break;
      }
      case 'hold': {
        const url = this.url('hold', { call: callId, step: action.step });
        const target: Speaks = action.acceptsKey
          ? r.gather({ input: ['dtmf'], numDigits: 1, timeout: HOLD_KEY_SECONDS, action: url, method: 'POST', actionOnEmptyResult: false })
          : r;
        for (const p of action.prompts) this.prompt(target, p);
        target.play({}, this.music(action.music));
        // The next turn: fresh position and wait announcements.
        r.redirect({ method: 'POST' }, url);
        break;
      }
      case 'connect': {
        if (via === 'webhook') {
          r.play({}, this.music(this.o.holdMusic));
          r.redirect({ method: 'POST' }, this.url('hold', { call: callId, step: action.step }));
          break;
        }
        for (const p of action.prompts) this.prompt(r, p);
        if (action.agent.remote) {
          // A remote seat that pressed 1 waits in a conference of its own (seat-dialer.ts): the
          // caller joins it, recorded; when either leaves, the conference ends and so does this <Dial>.
          const seatDial = r.dial({ action: this.url('dial', { call: callId, step: action.step }), method: 'POST' });
          seatDial.conference(
            {
              beep: 'false',
              startConferenceOnEnter: true,
              endConferenceOnExit: true,
              record: 'record-from-start',
              recordingStatusCallback: this.url('recording', { call: callId }),
              recordingStatusCallbackMethod: 'POST',
            },
            seatConference(action.agent.remote.leg),
          );
          break;
        }
        // The caller waits in the call's own conference (music until the agent's phone, added by
        // REST, starts it): a conference is what lets a supervisor listen in or coach, and a
        // colleague or interpreter be added while the caller is held or hears everyone. The
        // caller leaving ends it; the agent leaving ends it too unless a second leg keeps it
        // (twilio-driver.ts), and then this <Dial>'s action brings the survey as it always did.
        const dial = r.dial({ action: this.url('dial', { call: callId, step: action.step }), method: 'POST' });
        dial.conference(
          {
            beep: 'false',
            startConferenceOnEnter: false,
            endConferenceOnExit: true,
            waitUrl: this.music(this.o.holdMusic),
            waitMethod: 'GET',
            record: 'record-from-start',
            recordingStatusCallback: this.url('recording', { call: callId }),
            recordingStatusCallbackMethod: 'POST',
            recordingStatusCallbackEvent: ['completed', 'absent'],
          },
          callConference(callId),
        );
        break;
      }
      case 'forward': {
        // The caller's own number goes out as caller id (Twilio allows it for a call it received),
        // so the legal aid centre sees who is calling. The outside leg's answer is reported as it
        // happens (status, leg=forward); the <Dial>'s action says how it ended.
        for (const p of action.prompts) this.prompt(r, p);
        const dial = r.dial({ timeout: 60, action: this.url('forward', { call: callId, step: action.step }), method: 'POST' });
        dial.number(
          { statusCallback: this.url('status', { call: callId, leg: 'forward', step: action.step }), statusCallbackEvent: ['answered'], statusCallbackMethod: 'POST' },
          action.number,
        );
        break;
      }
      case 'hangup':
        for (const p of action.prompts) this.prompt(r, p);
        r.hangup();
        break;
      case 'message': {
        // <Record>'s action is requested when the message ends (a key, silence, the length limit,
        // or the caller hanging up) with RecordingUrl and RecordingDuration. Nothing recorded:
        // Twilio skips the action and falls through to the <Redirect>, which says so (no URL).
        const url = this.url('message', { call: callId, step: action.step });
        for (const p of action.prompts) this.prompt(r, p);
        r.record({ action: url, method: 'POST', maxLength: action.maxSeconds, timeout: 10, finishOnKey: '#', playBeep: true, trim: 'trim-silence' });
        r.redirect({ method: 'POST' }, url);
        break;
      }
    }
    return r.toString();
  }

  /** The answer for a call the flow has already finished. */
  hangup(): string {
    const r = new twilio.twiml.VoiceResponse();
    r.hangup();
    return r.toString();
  }

  /** Text in a language Twilio speaks is said; otherwise the province's recording is played. */
  private prompt(target: Speaks, p: Prompt): void {
    const say = SAY_LANGUAGES[p.language];
    if (p.text && say) {
      const voice = this.o.voices[say.voice];
      target.say({ language: say.locale, ...(voice ? { voice: voice as NonNullable<VoiceResponse.SayAttributes['voice']> } : {}) }, p.text);
    } else if (p.audio) {
      target.play({}, this.audio(p.audio));
    } else if (p.text) {
      target.say({ language: 'zh-CN' }, p.text);
    }
  }

  private audio(name: string): string {
    if (/^https?:\/\//.test(name)) return name;
    return `${this.o.audioBaseUrl}/${name}${/\.[A-Za-z0-9]{2,4}$/.test(name) ? '' : '.mp3'}`;
  }

  /** The province's hold music: a URL, or a name under the audio base ("default" → moh/default.mp3). */
  music(name: string): string {
    return /^https?:\/\//.test(name) ? name : this.audio(`moh/${name}`);
  }
}

/** The conference a remote seat waits in for its caller, named after the offer it took. */
export function seatConference(offerId: string): string {
  return `seat-${offerId}`;
}

/** The conference a caller talks to the hotline in, named after the call. */
export function callConference(callId: string): string {
  return `hotline-${callId}`;
}
