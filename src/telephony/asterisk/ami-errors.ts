/**
 * What can go wrong talking to Asterisk, as distinct error classes so callers can tell "the
 * caller's channel is gone" (an answer from Asterisk) from "the link is down" or "no answer".
 * Messages name the AMI action; values are never quoted (they may carry a caller's number).
 */

export class AmiError extends Error {
  constructor(
    message: string,
    readonly action: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Asterisk answered `Response: Error`; `amiMessage` is its `Message:` header. */
export class AmiActionError extends AmiError {
  constructor(
    action: string,
    readonly amiMessage: string,
  ) {
    super(`Asterisk refused ${action}: ${amiMessage}`, action);
  }

  /**
   * The channel named in the action no longer exists (the caller hung up meanwhile): Setvar and
   * Getvar say `No such channel`, Redirect `Channel does not exist: <name>`.
   */
  get channelGone(): boolean {
    return /no such channel|does not exist|not found/i.test(this.amiMessage);
  }

  /**
   * `Redirect failed, channel not up.`: Asterisk refuses a Redirect while any soft hang-up flag
   * is set on the channel (manager.c, ast_check_hangup_locked) — a caller hanging up, but also
   * the previous Redirect not yet carried out by the channel's thread (ast_async_goto flags it).
   * A channel is gone only if it still says so when asked again. Taken for gone at once, a
   * caller whose agent accepted within milliseconds of the hold was dropped on a busy Asterisk
   * and waited on hold with nobody to route them (docs/benchmarks.md).
   */
  get channelBusy(): boolean {
    return /channel not up/i.test(this.amiMessage);
  }

  /** The account's write= classes do not include one the action is registered with. */
  get permissionDenied(): boolean {
    return /^permission denied$/i.test(this.amiMessage.trim());
  }
}

/** No answer within the action's deadline (asterisk-manager itself never gives up). */
export class AmiTimeoutError extends AmiError {
  constructor(action: string, timeoutMs: number) {
    super(`Asterisk did not answer ${action} within ${timeoutMs} ms`, action);
  }
}

/** The link is down (or went down before the answer came). */
export class AmiNotConnectedError extends AmiError {
  constructor(action: string, detail = 'the AMI link is not connected') {
    super(`cannot send ${action}: ${detail}`, action);
  }
}

/**
 * A field would change the meaning of the frame on the wire: a line break would end the header
 * and start another (a second action), so such a value is refused before anything is written.
 */
export class AmiUnsafeValueError extends AmiError {
  constructor(
    action: string,
    readonly field: string,
    reason: string,
  ) {
    super(`refusing to send ${action}: field ${field} ${reason}`, action);
  }
}

/** Asterisk's answer did not have the shape the action promises. */
export class AmiProtocolError extends AmiError {
  constructor(action: string, detail: string) {
    super(`unexpected answer to ${action}: ${detail}`, action);
  }
}

/** A Redirect still refused as "channel not up" after every try, of a channel that still exists. */
export class RedirectNotUpYet extends Error {}
