/**
 * Remote seats (issue 14, item 5): what a phone system does for an agent whose seat is a phone
 * number, and what it reports back. src/telephony/remote-seats.ts drives it from router events; the
 * router itself never learns about phones.
 *
 * An offer to a remote seat rings the seat phone (`ring`). The agent hears who is calling and
 * presses a key; the phone system reports it (`pressed`). Key 1 takes the call: the caller is then
 * put through to that same outside leg — the flow's `connect` carries `agent.remote` (driver.ts),
 * naming the leg by the offer's id. Anything else, a hang-up or no answer (`ended` before a key)
 * is a missed offer, as at the desk.
 */

/** Who is calling, as the seat phone announces it (names in Mandarin, codes for sound files). */
export interface SeatAnnouncement {
  regionCode: string;
  regionName: string;
  language: string;
  languageName: string;
  topic: string;
  topicName: string;
  /** The whole announcement as one sentence, for phone systems that speak text (Twilio <Say>, the simulator). */
  text: string;
}

export interface SeatRing {
  /** The router's offer: the leg's name everywhere (Asterisk ChannelId, Twilio query, simulator). */
  offerId: string;
  callId: string;
  agentId: string;
  /** The seat phone, mainland digits as dialled in China. */
  number: string;
  /** How long it may ring: until the offer would expire anyway. */
  ringSeconds: number;
  announcement: SeatAnnouncement;
}

/** How a seat leg ended before the agent took the call. */
export type SeatEnd = 'no_answer' | 'busy' | 'failed' | 'hung_up';

/**
 * Which call and agent a seat leg rang for, as a phone system whose reports can reach any node
 * (Twilio's webhooks carry it in their signed URLs) passes it: the node that rang may not be the
 * one that hears the key.
 */
export interface SeatLegRef {
  callId: string;
  agentId: string;
  driver: 'sim' | 'asterisk' | 'twilio';
}

export interface SeatReports {
  /**
   * The agent pressed a key (null: none before the prompt ran out). Resolves true when key 1 got
   * them the call (the phone system then keeps the leg for the caller), false otherwise (the phone
   * system says goodbye and hangs up).
   */
  pressed(offerId: string, key: string | null, from?: SeatLegRef): Promise<boolean>;
  /** The seat leg is over (idempotent): before a key it is a missed offer, after the accept only tidying. */
  ended(offerId: string, how: SeatEnd, cause?: string, from?: SeatLegRef): Promise<void>;
  /** The agent hung up their phone during the conversation (for phone systems whose caller side cannot tell). */
  agentLeft?(offerId: string): Promise<void>;
}

/** A phone system's part that rings seat phones. Only the node the call's driver `actsOn` rings. */
export interface SeatDialer {
  ring(r: SeatRing): Promise<void>;
  /** The offer is gone (rang out, taken at the desk, caller left) or the call is over: end the leg if it is up. */
  hangUp(offerId: string): Promise<void>;
}
