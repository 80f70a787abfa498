import type { Redis } from 'ioredis';
import { z } from 'zod';

/**
 * One live desktop per agent, across nodes: a new session announces itself and whichever node
 * holds an older session of the same agent closes it. Sessions live in the node that accepted
 * the socket; only this announcement crosses nodes.
 */
export interface SessionBus {
  claim(agentId: string, sessionId: string): Promise<void>;
  onClaim(listener: (agentId: string, sessionId: string) => void): void;
  close(): Promise<void>;
}

export class MemorySessionBus implements SessionBus {
  private readonly listeners: ((agentId: string, sessionId: string) => void)[] = [];

  async claim(agentId: string, sessionId: string): Promise<void> {
    for (const l of this.listeners) l(agentId, sessionId);
  }

  onClaim(listener: (agentId: string, sessionId: string) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.listeners.length = 0;
  }
}

const Claim = z.strictObject({ agentId: z.string().min(1).max(64), sessionId: z.string().min(1).max(64) });

/** Redis pub/sub: a subscriber connection of its own, since a subscribed connection can do nothing else. */
export class RedisSessionBus implements SessionBus {
  private readonly channel: string;
  private readonly subscriber: Redis;
  private readonly listeners: ((agentId: string, sessionId: string) => void)[] = [];

  constructor(
    private readonly redis: Redis,
    options: { provinceCode: string; namespace?: string; onBadMessage?: (message: string) => void },
  ) {
    this.channel = `${options.namespace ?? 'hotline'}:{prov:${options.provinceCode.slice(0, 2)}}:agent-sessions`;
    this.subscriber = redis.duplicate();
    this.subscriber.on('error', () => {});
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let parsed: z.infer<typeof Claim>;
      try {
        parsed = Claim.parse(JSON.parse(message));
      } catch {
        options.onBadMessage?.(message.slice(0, 200));
        return;
      }
      for (const l of this.listeners) l(parsed.agentId, parsed.sessionId);
    });
  }

  async start(): Promise<this> {
    await this.subscriber.subscribe(this.channel);
    return this;
  }

  async claim(agentId: string, sessionId: string): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify({ agentId, sessionId }));
  }

  onClaim(listener: (agentId: string, sessionId: string) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.listeners.length = 0;
    this.subscriber.disconnect();
  }
}
