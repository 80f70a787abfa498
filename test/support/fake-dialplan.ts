import type { FakeAmi, FakeChannel } from './fake-ami';
import { eventually } from './tcp-proxy';

/**
 * Plays deploy/asterisk/extensions.conf on top of the fake AMI server, so a test can be the
 * caller: a Redirect into a hotline context latches HOTLINE_* into HL_* as the dialplan does,
 * and pressing a key, the end of a hold period or the end of a Dial sends the UserEvent that
 * context sends (with the latched Step) and parks the channel again.
 */

export interface Redirected {
  context: string;
  /** `s` for the generic contexts; the decision itself for the generated dialplan's compact ones. */
  exten: string;
  /** HOTLINE_* as they were when the channel entered the context. */
  vars: Record<string, string>;
  /** When the Redirect reached Asterisk (ms since epoch). */
  at: number;
}

export class FakeDialplan {
  private readonly redirects = new Map<string, Redirected[]>();
  private readonly seen = new Map<string, number>();
  private agentSeq = 0;

  constructor(private readonly ami: FakeAmi) {
    ami.onAction((a) => {
      if (a.action !== 'redirect') return;
      const ch = [...ami.channels.values()].find((c) => c.channel === a.headers.channel);
      if (!ch || !a.headers.context?.startsWith('hotline-')) return;
      const exten = a.headers.exten ?? 's';
      const vars = exten === 's' ? Object.fromEntries([...ch.vars].filter(([k]) => k.startsWith('HOTLINE_'))) : {};
      for (const [k, v] of Object.entries(vars)) ch.vars.set(k.replace('HOTLINE_', 'HL_'), v);
      if (exten !== 's') this.latchCompact(ch, exten);
      this.redirects.set(ch.uniqueid, [...(this.redirects.get(ch.uniqueid) ?? []), { context: a.headers.context, exten, vars, at: Date.now() }]);
    });
  }

  /** What the generated dialplan's compact contexts read from the extension (dialplan-generator.ts). */
  private latchCompact(ch: FakeChannel, exten: string): void {
    const fields = exten.split('*');
    ch.vars.set('HL_STEP', fields[0]!.slice(1));
    ch.vars.delete('HL_MENU');
    if (exten.startsWith('M')) ch.vars.set('HL_MENU', fields[2]!);
    if (exten.startsWith('C')) ch.vars.set('HL_DIAL', `PJSIP/${fields[1]!}`);
  }

  /**
   * A call to 12348 through the generated dialplan: [hotline-inbound] announces it with the
   * dialplan's fingerprint and the caller walks the menus inside Asterisk.
   */
  callGenerated(callerIdNum: string, fingerprint: string): FakeChannel {
    const ch = this.ami.addChannel({ callerIdNum });
    this.ami.userEvent(ch.uniqueid, 'HotlineArrived', [['Ivr', fingerprint]]);
    this.ami.move(ch.uniqueid, 'hotline-ivr');
    return ch;
  }

  /** Closed (HOTLINE_CLOSED=1): the generated menus stop after the language and report only it. */
  menusClosed(uniqueid: string, fingerprint: string, language: string): void {
    this.ami.userEvent(uniqueid, 'HotlineMenus', [['Ivr', fingerprint], ['LanguageKey', language]]);
    this.ami.move(uniqueid, 'hotline-park');
  }

  /** The generated menus are over: their last keys in one event ('' for none), then the park. */
  menus(uniqueid: string, fingerprint: string, keys: { language: string; topic: string; priority: string }): void {
    this.ami.userEvent(uniqueid, 'HotlineMenus', [['Ivr', fingerprint], ['LanguageKey', keys.language], ['TopicKey', keys.topic], ['PriorityKey', keys.priority]]);
    this.ami.move(uniqueid, 'hotline-park');
  }

  /** A sound file the generated dialplan could not play (it played the fallback). */
  promptMissing(uniqueid: string, prompt: string, language: string): void {
    this.ami.userEvent(uniqueid, 'HotlinePromptMissing', [['Prompt', prompt], ['PromptLanguage', language]]);
  }

  /** The agent hung up on a generated connect: Dial returns ANSWER, the dialplan reports it and runs the survey. */
  agentHangsUpGenerated(uniqueid: string, agent: FakeChannel): void {
    this.ami.hangup(agent.uniqueid);
    const ch = this.ami.channel(uniqueid);
    const step = this.step(uniqueid);
    this.ami.userEvent(uniqueid, 'HotlineDialResult', [['Step', step], ['DialStatus', 'ANSWER']]);
    ch.vars.set('HL_STEP', String(Number(step) + 1));
  }

  /** The generated survey's answer ('' for none), then its goodbye and the hang-up. */
  surveyGenerated(uniqueid: string, digits: string): void {
    this.ami.userEvent(uniqueid, 'HotlineDigits', [['Step', this.step(uniqueid)], ['Menu', 'survey'], ['Digits', digits], ['Auto', '1']]);
    this.ami.hangup(uniqueid);
  }

  /** A call to 12348: the channel appears, [hotline-inbound] announces it and parks it. */
  call(callerIdNum: string, channel?: string): FakeChannel {
    const ch = this.ami.addChannel({ callerIdNum, ...(channel ? { channel } : {}) });
    this.ami.userEvent(ch.uniqueid, 'HotlineArrived');
    this.ami.move(ch.uniqueid, 'hotline-park');
    return ch;
  }

  /** The next Redirect of this channel not yet looked at; it must go to `context` when given. */
  async next(uniqueid: string, context?: string, timeoutMs = 10_000): Promise<Redirected> {
    const ok = await eventually(async () => (this.redirects.get(uniqueid)?.length ?? 0) > (this.seen.get(uniqueid) ?? 0), timeoutMs, 10);
    if (!ok) throw new Error(`no Redirect of ${uniqueid} within ${timeoutMs} ms (wanted ${context ?? 'any'})`);
    const index = this.seen.get(uniqueid) ?? 0;
    this.seen.set(uniqueid, index + 1);
    const r = this.redirects.get(uniqueid)![index]!;
    if (context && r.context !== context) throw new Error(`${uniqueid} was redirected to ${r.context}, expected ${context} (HOTLINE_PROMPTS=${r.vars.HOTLINE_PROMPTS})`);
    return r;
  }

  /** Redirects of this channel so far. */
  all(uniqueid: string): Redirected[] {
    return this.redirects.get(uniqueid) ?? [];
  }

  private step(uniqueid: string): string {
    return this.ami.channel(uniqueid).vars.get('HL_STEP') ?? '';
  }

  /** Read() or WaitExten() got keys ('' when the menu timed out). */
  press(uniqueid: string, digits: string): void {
    const menu = this.ami.channel(uniqueid).vars.get('HL_MENU') ?? '';
    this.ami.userEvent(uniqueid, 'HotlineDigits', [['Step', this.step(uniqueid)], ['Menu', menu], ['Digits', digits]]);
    this.ami.move(uniqueid, 'hotline-park');
  }

  /** The hold period is over. */
  holdTick(uniqueid: string): void {
    this.ami.userEvent(uniqueid, 'HotlineHoldTick', [['Step', this.step(uniqueid)]]);
    this.ami.move(uniqueid, 'hotline-park');
  }

  /** Dial() reached the agent's endpoint, which answered: the agent's leg and the bridge. */
  agentAnswers(uniqueid: string): FakeChannel {
    const n = ++this.agentSeq;
    const dial = this.ami.channel(uniqueid).vars.get('HL_DIAL') ?? 'PJSIP/unknown';
    const agent = this.ami.addChannel({ callerIdNum: '12348', channel: `${dial}-${String(n).padStart(8, '0')}`, context: 'hotline-agents', exten: 's' });
    this.ami.dialEnd(uniqueid, agent.uniqueid, 'ANSWER');
    this.ami.bridge(uniqueid, agent.uniqueid);
    return agent;
  }

  /** The agent hangs up: their leg ends, Dial returns ANSWER, and the caller goes on. */
  agentHangsUp(uniqueid: string, agent: FakeChannel): void {
    this.ami.hangup(agent.uniqueid);
    this.dialEnds(uniqueid, 'ANSWER');
  }

  /** Dial() returned with this DIALSTATUS: [hotline-connect] reports it and parks. */
  dialEnds(uniqueid: string, status: string): void {
    this.ami.channel(uniqueid).vars.set('DIALSTATUS', status);
    this.ami.userEvent(uniqueid, 'HotlineDialResult', [['Step', this.step(uniqueid)], ['DialStatus', status]]);
    this.ami.move(uniqueid, 'hotline-park');
  }

  /** [hotline-forward]'s Dial() reached the outside number, which answered: its leg and DialEnd. */
  forwardAnswered(uniqueid: string): FakeChannel {
    const n = ++this.agentSeq;
    const number = this.ami.channel(uniqueid).vars.get('HL_FORWARD') ?? this.ami.channel(uniqueid).vars.get('HOTLINE_FORWARD') ?? 'unknown';
    const outside = this.ami.addChannel({ callerIdNum: number, channel: `PJSIP/carrier-${String(n).padStart(8, '0')}`, context: 'from-carrier', exten: 's' });
    this.ami.dialEnd(uniqueid, outside.uniqueid, 'ANSWER');
    this.ami.bridge(uniqueid, outside.uniqueid);
    return outside;
  }

  /**
   * [hotline-forward]'s Dial() returned: it reports how it went; after an answered call it hangs
   * up, after a failed dial the caller waits in hotline-park.
   */
  forwardEnds(uniqueid: string, status: string, cause: string): void {
    this.ami.channel(uniqueid).vars.set('DIALSTATUS', status);
    this.ami.channel(uniqueid).vars.set('HANGUPCAUSE', cause);
    this.ami.userEvent(uniqueid, 'HotlineForwardResult', [['Step', this.step(uniqueid)], ['DialStatus', status], ['Cause', cause]]);
    if (status === 'ANSWER') this.ami.hangup(uniqueid);
    else this.ami.move(uniqueid, 'hotline-park');
  }

  /**
   * A remote seat's phone answered the Originate into [hotline-seat]: the Local channel (its
   * Uniqueid the Originate's ChannelId) says who is calling and reports the key ('' for none).
   * After 1 it waits for the caller; otherwise it hangs up (its `h` extension reports the end).
   */
  seatAnswers(originate: Record<string, string>, digits: string): FakeChannel {
    const seat = this.ami.addChannel({ callerIdNum: '12348', channel: `${originate.channel!.replace(/\/n$/, '')}-${String(++this.agentSeq).padStart(8, '0')};1`, uniqueid: originate.channelid!, context: 'hotline-seat', exten: originate.exten! });
    this.ami.userEvent(seat.uniqueid, 'HotlineSeatKey', [['Seat', seat.uniqueid], ['Digits', digits]]);
    if (digits !== '1') this.seatEnds(seat.uniqueid, digits);
    return seat;
  }

  /** The seat leg ends: [hotline-seat]'s `h` extension reports it, then the Hangup. */
  seatEnds(uniqueid: string, digits = '', cause = '16'): void {
    if (!this.ami.channels.has(uniqueid)) return;
    this.ami.userEvent(uniqueid, 'HotlineSeatEnd', [['Seat', uniqueid], ['Digits', digits], ['HangupCause', cause]]);
    this.ami.hangup(uniqueid, cause);
  }

  /** [hotline-seat-connect]'s Bridge() joined the caller to the seat leg. */
  seatBridged(caller: string, seat: string): void {
    this.ami.bridge(caller, seat);
  }

  /** The lawyer hangs up their phone: the seat leg ends, Bridge() returns, and the caller goes on. */
  seatHangsUp(caller: string, seat: string): void {
    this.seatEnds(seat, '1');
    this.dialEnds(caller, 'ANSWER');
  }

  /** [hotline-bye] played its prompts and hung up. */
  bye(uniqueid: string): void {
    this.ami.hangup(uniqueid);
  }
}
