import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

/**
 * Which service nodes are alive. Each node renews a key with a short time to live; a node whose
 * key has expired died (or was cut off) and the calls it carried are someone else's to adopt or
 * close (the reaper). Without Redis there is one node, this one.
 */
export class NodeRegistry {
  readonly id = randomUUID();
  private timer: NodeJS.Timeout | null = null;
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis | null,
    options: { namespace: string; provinceCode: string; log: FastifyBaseLogger; beatMs?: number; ttlMs?: number },
    private readonly beatMs = options.beatMs ?? 2_000,
    private readonly ttlMs = options.ttlMs ?? 10_000,
    private readonly log = options.log,
  ) {
    this.prefix = `${options.namespace}:{prov:${options.provinceCode.slice(0, 2)}}:node`;
  }

  async start(): Promise<void> {
    if (!this.redis) return;
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch((err) => this.log.debug({ err }, 'node heartbeat not written')), this.beatMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    await this.redis!.set(`${this.prefix}:${this.id}`, String(Date.now()), 'PX', this.ttlMs);
  }

  /** Whether a node (by id) is alive; unknown ids (no Redis: any other) are not. */
  async alive(nodeId: string): Promise<boolean> {
    if (nodeId === this.id) return true;
    if (!this.redis || !nodeId) return false;
    return (await this.redis.exists(`${this.prefix}:${nodeId}`)) === 1;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // Leaving on purpose: the others need not wait for the key to expire.
    await this.redis?.del(`${this.prefix}:${this.id}`).catch(() => {});
  }
}
