/**
 * What every WebSocket of the service does with a frame before its protocol sees it: a token
 * bucket per socket (a burst is fine, a flood is dropped), binary frames refused, the text parsed
 * by the protocol, and a count of refused frames that closes a socket whose client keeps at it.
 */
export interface FrameGuardOptions<F> {
  ratePerSecond: number;
  burst: number;
  /** Refused or dropped frames within `abuseWindowMs` before the socket is closed as abuse. */
  abuseLimit: number;
  abuseWindowMs: number;
  parse: (raw: string) => { ok: true; frame: F } | { ok: false; message: string; messageZh?: string; ref?: string };
  /** Tell the client why a frame was refused (an error frame). Rate errors come at most once a second. */
  refuse: (code: 'BAD_FRAME' | 'RATE_LIMITED', message: string, ref?: string, messageZh?: string) => void;
  /** The client misbehaved too often: close the socket (1008). */
  abuse: (what: string) => void;
}

export class FrameGuard<F> {
  private tokens: number;
  private refilledAt = Date.now();
  private readonly refused: number[] = [];
  private rateErrorAt = 0;

  constructor(private readonly o: FrameGuardOptions<F>) {
    this.tokens = o.burst;
  }

  /** The frame to act on, or null when it was refused (and the client told why). */
  accept(data: Buffer, isBinary: boolean): F | null {
    if (!this.take()) {
      const now = Date.now();
      if (now - this.rateErrorAt >= 1000) {
        this.rateErrorAt = now;
        this.o.refuse('RATE_LIMITED', `more than ${this.o.ratePerSecond} frames per second; frames are being dropped`);
      }
      this.misbehaved('flooding');
      return null;
    }
    if (isBinary) {
      this.o.refuse('BAD_FRAME', 'frames must be JSON text, not binary');
      this.misbehaved('binary frames');
      return null;
    }
    const parsed = this.o.parse(data.toString('utf8'));
    if (!parsed.ok) {
      this.o.refuse('BAD_FRAME', parsed.message, parsed.ref, parsed.messageZh);
      this.misbehaved('malformed frames');
      return null;
    }
    return parsed.frame;
  }

  private take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.o.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.o.ratePerSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private misbehaved(what: string): void {
    const now = Date.now();
    this.refused.push(now);
    while (this.refused.length > 0 && this.refused[0]! < now - this.o.abuseWindowMs) this.refused.shift();
    if (this.refused.length >= this.o.abuseLimit) this.o.abuse(what);
  }
}
