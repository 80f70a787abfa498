import { z } from 'zod';

/**
 * The AMI events and answers the driver reads, as zod schemas over asterisk-manager's frames
 * (header names lower-cased). Only the headers the driver uses are named; the rest pass
 * through. A repeated header arrives as an array and fails these string schemas, so such a
 * frame is rejected rather than half-read.
 */

/** Asterisk's Uniqueid (`1712345678.42`, or an id given to Originate): used as a store key. */
const Uniqueid = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'is not a channel unique id');
const Text = z.string().max(1000);

const ChannelEvent = z.looseObject({
  channel: z.string().min(1).max(256),
  uniqueid: Uniqueid,
  linkedid: Text.optional(),
  calleridnum: Text.optional(),
  context: Text.optional(),
  exten: Text.optional(),
});

/** UserEvent(Name,Key: value,...) from the dialplan: the custom keys become headers. */
export const UserEvent = ChannelEvent.extend({
  userevent: z.string().min(1).max(80),
  step: Text.optional(),
  digits: Text.optional(),
  menu: Text.optional(),
  dialstatus: Text.optional(),
  cause: Text.optional(),
  /** The generated dialplan's fingerprint (HotlineArrived, HotlineMenus). */
  ivr: Text.optional(),
  /** HotlineMenus: the last key of each menu (the snapshot has its own Language and Priority). */
  languagekey: Text.optional(),
  topickey: Text.optional(),
  prioritykey: Text.optional(),
  /** 1: a menu the generated dialplan ran without being sent there (the survey). */
  auto: Text.optional(),
  /** HotlinePromptMissing. */
  prompt: Text.optional(),
  promptlanguage: Text.optional(),
});
export type UserEvent = z.infer<typeof UserEvent>;

export const HangupEvent = ChannelEvent.extend({ cause: Text.optional(), 'cause-txt': Text.optional() });
export type HangupEvent = z.infer<typeof HangupEvent>;

export const BridgeEnterEvent = ChannelEvent.extend({ bridgeuniqueid: Text.optional() });
export type BridgeEnterEvent = z.infer<typeof BridgeEnterEvent>;

/**
 * A dial's result. A dial from a channel names it (Channel, Uniqueid); an Originate's dial has no
 * calling channel and names only the dialled one (DestChannel, DestUniqueid) — an ordinary
 * event, not a malformed one.
 */
export const DialEndEvent = z.looseObject({
  channel: z.string().min(1).max(256).optional(),
  uniqueid: Uniqueid.optional(),
  destchannel: z.string().min(1).max(256).optional(),
  destuniqueid: Uniqueid.optional(),
  dialstatus: Text,
});
export type DialEndEvent = z.infer<typeof DialEndEvent>;

/** One live channel, from CoreShowChannels. */
export const CoreShowChannel = ChannelEvent.extend({ context: Text, application: Text.optional() });
export type CoreShowChannel = z.infer<typeof CoreShowChannel>;

/** Getvar's answer: `Variable:` and `Value:` (absent or empty when unset). */
export const GetvarResponse = z.looseObject({ response: z.string(), value: Text.optional() });

/**
 * Originate's outcome (Async: true): Success once the agent's endpoint answered and went into the
 * context, Failure otherwise with Reason, which Asterisk 22 derives from the hangup cause (main/pbx.c,
 * pbx_dial_reason; seen on a real Asterisk 22): 5 busy (cause 17), 3 rang out (19, 26), 8
 * congestion or rejected (21, 27, 34, 38, 41, 42 — a SIP 603 decline is 21), 0 anything else
 * (no such extension or channel type, hung up before answering). 1 needs a calling channel,
 * which an Originate has not. Uniqueid is the ChannelId Originate gave, or
 * `<null>` when no channel was made.
 */
export const OriginateResponseEvent = z.looseObject({
  response: z.enum(['Success', 'Failure']),
  actionid: Text.optional(),
  channel: Text.optional(),
  uniqueid: Text.optional(),
  reason: Text.optional(),
});
export type OriginateResponseEvent = z.infer<typeof OriginateResponseEvent>;

/** [hotline-callback]'s events: HotlineCallbackAnswered and HotlineCallbackResult, naming the attempt. */
export const CallbackUserEvent = UserEvent.extend({
  attempt: z.uuid(),
  hangupcause: Text.optional(),
});
export type CallbackUserEvent = z.infer<typeof CallbackUserEvent>;

/** [hotline-seat]'s events: HotlineSeatKey and HotlineSeatEnd, naming the seat leg (the offer). */
export const SeatUserEvent = UserEvent.extend({
  seat: z.uuid(),
  hangupcause: Text.optional(),
});
export type SeatUserEvent = z.infer<typeof SeatUserEvent>;
