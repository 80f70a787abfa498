import type { FastifyBaseLogger } from 'fastify';
import type { AmiClient } from './ami-client';
import type { AmiLease } from './ami-lease';

/**
 * The AMI link as the lease allows it: connected while this node holds the lease, closed as
 * soon as it does not. Starting never waits for Asterisk, so the service comes up (and serves
 * its other drivers and the API) while Asterisk is down, and connects when it returns.
 */
export class AmiLink {
  private started = false;

  constructor(
    readonly client: AmiClient,
    readonly lease: AmiLease,
    private readonly log: FastifyBaseLogger,
  ) {
    lease.onChange((holder) => {
      if (!this.started) return;
      if (holder) client.open();
      else void client.close().catch((err) => this.log.error({ err }, 'could not close the AMI link'));
    });
  }

  /** Whether this node drives Asterisk (whether or not the link is up right now). */
  get holder(): boolean {
    return this.lease.holder;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  async start(): Promise<void> {
    this.started = true;
    await this.lease.start();
    if (this.lease.holder) this.client.open();
    else this.log.info('another node holds the AMI link; standing by');
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.client.close();
    await this.lease.stop();
  }
}
