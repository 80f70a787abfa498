import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

/**
 * Which node holds the AMI link. Asterisk would accept a login from every node, but then every
 * node would see every event and answer it: one caller, several Redirects. So the link is held
 * under a lease in Redis: `SET key token NX PX ttl` to take it, a compare-and-PEXPIRE every
 * ttl/3 to keep it, a compare-and-DEL to give it back. A holder that cannot renew gives the
 * link up before its lease can have expired in Redis, so two nodes never drive Asterisk at once;
 * when a holder dies, its lease expires and a waiting node (which retries just as the lease
 * runs out) takes over. Without Redis there is one node, and it always holds the link.
 */

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** Same hash tag as the province's other keys (src/queue/redis-store.ts). */
export function amiLeaseKey(provinceCode: string, namespace = 'hotline'): string {
  return `${namespace}:{prov:${provinceCode.slice(0, 2)}}:ami-lease`;
}

export interface AmiLeaseOptions {
  /** Null on a single node: the lease is always held. */
  redis: Redis | null;
  key: string;
  ttlMs?: number;
  log: FastifyBaseLogger;
}

export class AmiLease {
  /** Readable in Redis (`GET key`) so operators can see which node holds the link. */
  readonly token = `${os.hostname()}:${process.pid}:${randomUUID()}`;
  private readonly ttlMs: number;
  private held = false;
  private validUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private running = false;
  private readonly listeners: ((holder: boolean) => void)[] = [];

  constructor(private readonly o: AmiLeaseOptions) {
    this.ttlMs = o.ttlMs ?? 15_000;
  }

  get holder(): boolean {
    return this.held;
  }

  /** Called with true when this node takes the lease and false when it loses or returns it. */
  onChange(listener: (holder: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Makes the first attempt, then keeps trying (or renewing) in the background. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (!this.o.redis) {
      this.set(true);
      return;
    }
    await this.tick();
  }

  /** Stops renewing and returns the lease, so another node can take over at once. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.expiry);
    const wasHeld = this.held;
    this.set(false);
    if (!wasHeld || !this.o.redis) return;
    await this.o.redis.eval(RELEASE, 1, this.o.key, this.token).catch((err) => this.o.log.warn({ err }, 'could not return the AMI lease; it will expire by itself'));
  }

  private async tick(): Promise<void> {
    const redis = this.o.redis!;
    let next = Math.floor(this.ttlMs / 3);
    const startedAt = Date.now();
    try {
      if (this.held) {
        const renewed = await redis.eval(RENEW, 1, this.o.key, this.token, String(this.ttlMs));
        if (Number(renewed) === 1) {
          this.hold(startedAt);
          // A slow answer may come after the link was given up; the lease is still ours.
          if (this.running) this.set(true);
        } else {
          this.o.log.warn({ key: this.o.key }, 'AMI lease was lost to another node; giving up the link');
          this.set(false);
        }
      } else {
        const taken = await redis.set(this.o.key, this.token, 'PX', this.ttlMs, 'NX');
        if (taken === 'OK' && !this.running) {
          // Stopped while asking: give it straight back rather than make the others wait.
          await redis.eval(RELEASE, 1, this.o.key, this.token);
        } else if (taken === 'OK') {
          this.hold(startedAt);
          this.o.log.info({ key: this.o.key }, 'took the AMI lease: this node drives Asterisk');
          this.set(true);
        } else {
          // Try again just as the holder's lease would run out if it is not renewed.
          const left = await redis.pttl(this.o.key);
          next = left > 0 ? Math.min(next, left + 20) : left === -2 ? 20 : next;
        }
      }
    } catch (err) {
      this.o.log.warn({ err }, 'AMI lease check failed; trying again');
    }
    if (!this.running) return;
    if (this.held) next = Math.min(next, this.validUntil - this.margin - Date.now());
    this.timer = setTimeout(() => void this.tick(), Math.max(10, next));
  }

  /** Renewals can fail or hang; the link is given up before the lease can run out in Redis. */
  private get margin(): number {
    return Math.min(1_000, this.ttlMs / 10);
  }

  /** Holds until `startedAt + ttl` (counted from before the call that set it in Redis). */
  private hold(startedAt: number): void {
    if (!this.running) return;
    this.validUntil = startedAt + this.ttlMs;
    clearTimeout(this.expiry);
    this.expiry = setTimeout(() => {
      if (!this.held) return;
      this.o.log.warn({ key: this.o.key }, 'could not renew the AMI lease in time; giving up the link');
      this.set(false);
    }, Math.max(0, this.validUntil - this.margin - Date.now()));
  }

  private set(holder: boolean): void {
    if (holder === this.held) return;
    this.held = holder;
    if (!holder) clearTimeout(this.expiry);
    for (const listener of this.listeners) {
      try {
        listener(holder);
      } catch (err) {
        this.o.log.error({ err }, 'AMI lease listener failed');
      }
    }
  }
}
