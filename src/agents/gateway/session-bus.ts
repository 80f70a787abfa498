import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { keepConnected } from '../../redis/keep-connected';

/**
 * What crosses nodes about open sockets: one live desktop per agent (a new session announces
 * itself and whichever node holds an older session of the same agent closes it), and account
 * revocations (a password change, a disable or a role change: every node closes that account's
 * desktops and wallboards at once). Sessions live in the node that accepted the socket.
 */
export interface SessionBus {
  claim(agentId: string, sessionId: string): Promise<void>;
  onClaim(listener: (agentId: string, sessionId: string) => void): void;
  /** Tokens of the account older than `tokenVersion` are dead: every node closes their sockets. */
  revoke(revocation: Revocation): Promise<void>;
  onRevoke(listener: (revocation: Revocation) => void): void;
  close(): Promise<void>;
}

export interface Revocation {
  accountId: string;
  /** The account's token version now; sockets opened with an older one are closed. */
  tokenVersion: number;
}

export class MemorySessionBus implements SessionBus {
  private readonly claims: ((agentId: string, sessionId: string) => void)[] = [];
  private readonly revocations: ((revocation: Revocation) => void)[] = [];

  async claim(agentId: string, sessionId: string): Promise<void> {
    for (const l of this.claims) l(agentId, sessionId);
  }

  onClaim(listener: (agentId: string, sessionId: string) => void): void {
    this.claims.push(listener);
  }

  async revoke(revocation: Revocation): Promise<void> {
    for (const l of this.revocations) l(revocation);
  }

  onRevoke(listener: (revocation: Revocation) => void): void {
    this.revocations.push(listener);
  }

  async close(): Promise<void> {
    this.claims.length = 0;
    this.revocations.length = 0;
  }
}

const Id = z.string().min(1).max(64);
const Claim = z.strictObject({ agentId: Id, sessionId: Id });
const Revoked = z.strictObject({ revoked: Id, tokenVersion: z.number().int().min(0) });
const Message = z.union([Claim, Revoked]);

/** Redis pub/sub: a subscriber connection of its own, since a subscribed connection can do nothing else. */
export class RedisSessionBus implements SessionBus {
  private readonly channel: string;
  private readonly subscriber: Redis;
  private readonly standDown: () => void;
  private readonly claims: ((agentId: string, sessionId: string) => void)[] = [];
  private readonly revocations: ((revocation: Revocation) => void)[] = [];

  constructor(
    private readonly redis: Redis,
    options: { provinceCode: string; namespace?: string; onBadMessage?: (message: string) => void },
  ) {
    this.channel = `${options.namespace ?? 'hotline'}:{prov:${options.provinceCode.slice(0, 2)}}:agent-sessions`;
    this.subscriber = redis.duplicate();
    this.subscriber.on('error', () => {});
    this.standDown = keepConnected(this.subscriber);
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let parsed: z.infer<typeof Message>;
      try {
        parsed = Message.parse(JSON.parse(message));
      } catch {
        options.onBadMessage?.(message.slice(0, 200));
        return;
      }
      if ('revoked' in parsed) {
        for (const l of this.revocations) l({ accountId: parsed.revoked, tokenVersion: parsed.tokenVersion });
      } else {
        for (const l of this.claims) l(parsed.agentId, parsed.sessionId);
      }
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
    this.claims.push(listener);
  }

  async revoke(revocation: Revocation): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify({ revoked: revocation.accountId, tokenVersion: revocation.tokenVersion }));
  }

  onRevoke(listener: (revocation: Revocation) => void): void {
    this.revocations.push(listener);
  }

  async close(): Promise<void> {
    this.claims.length = 0;
    this.revocations.length = 0;
    this.standDown();
    this.subscriber.disconnect();
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    sessionBus: SessionBus;
  }
}

/**
 * The bus is opened before the accounts and the routes that revoke tokens, and before the
 * agent desktop and the wallboard that act on it.
 */
export const sessionBusPlugin = fp(
  async function sessionBus(app: FastifyInstance) {
    const bus: SessionBus = app.redis
      ? await new RedisSessionBus(app.redis, {
          provinceCode: app.province.code,
          namespace: app.config.redisNamespace,
          onBadMessage: (message) => app.log.warn({ message }, 'ignored a malformed agent-session announcement'),
        }).start()
      : new MemorySessionBus();
    app.decorate('sessionBus', bus);
    app.addHook('onClose', () => bus.close());
  },
  { name: 'session-bus', dependencies: ['redis', 'province'] },
);
