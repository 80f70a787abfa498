import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { Gauge, type Registry } from 'prom-client';
import type { Config } from '../../config/config';
import type { Db } from '../../db/database';
import type { RecordOutbox } from '../../records/outbox';
import type { CallFlow } from '../call-flow';
import type { DialReports } from '../driver';
import { AmiClient } from './ami-client';
import { AsteriskSeatDialer } from './seat-dialer';
import type { SeatDialer, SeatReports } from '../seat-dialer';
import { AmiLease, amiLeaseKey } from './ami-lease';
import { AmiLink } from './ami-link';
import { AsteriskDriver } from './asterisk-driver';
import { AsteriskCallbackDialer } from './callback-dialer';

export interface AsteriskSetup {
  config: NonNullable<Config['asterisk']>;
  /** The fingerprint of the dialplan generated from the province's settings (compact path). */
  dialplan?: { fingerprint: string; compactConnect: boolean };
  /** Whether the hotline is open (service hours), for the generated menus. */
  isOpen?: (at: Date) => boolean;
  flow: CallFlow;
  db: Db;
  records: RecordOutbox;
  redis: Redis | null;
  redisNamespace: string;
  provinceCode: string;
  log: FastifyBaseLogger;
  metrics: Registry;
  /** Where callbacks dialled through Asterisk report (absent: Asterisk dials no callbacks). */
  callbackReports?: DialReports;
  /** Remote seats: where their legs report, and who takes the dialer that rings them. */
  seats?: { reports: SeatReports; use: (dialer: SeatDialer) => void };
}

/**
 * Builds the Asterisk driver from configuration: the AMI client, the lease that decides which
 * node holds the link, and gauges that show both on /metrics. /readyz asks the driver only about
 * faults an operator must fix (driver.health()): a standby node, or a link that is merely down
 * and reconnecting, is healthy.
 */
export function createAsteriskDriver(s: AsteriskSetup): AsteriskDriver {
  const log = s.log.child({ driver: 'asterisk' });
  const client = new AmiClient({ host: s.config.host, port: s.config.port, username: s.config.username, secret: s.config.secret, log });
  const lease = new AmiLease({ redis: s.redis, key: amiLeaseKey(s.provinceCode, s.redisNamespace), log });
  const driver = new AsteriskDriver({
    flow: s.flow,
    db: s.db,
    records: s.records,
    link: new AmiLink(client, lease, log),
    log,
    provinceCode: s.provinceCode,
    agentDial: s.config.agentDial,
    ...(s.dialplan ? { dialplan: s.dialplan } : {}),
    ...(s.isOpen ? { isOpen: s.isOpen } : {}),
    ...(s.config.hoursCheckMs !== undefined ? { hoursCheckMs: s.config.hoursCheckMs } : {}),
    ...(s.config.privilegeRecheckMs !== undefined ? { privilegeRecheckMs: s.config.privilegeRecheckMs } : {}),
  });
  if (s.callbackReports) driver.dialer = new AsteriskCallbackDialer({ client, reports: s.callbackReports, agentDial: s.config.agentDial, log });
  if (s.seats) s.seats.use(new AsteriskSeatDialer({ client, reports: s.seats.reports, log }));
  new Gauge({
    name: 'hotline_asterisk_ami_link_up',
    help: '1 while this node is logged in to the Asterisk Manager Interface',
    registers: [s.metrics],
    collect() {
      this.set(client.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hotline_asterisk_ami_lease_held',
    help: '1 while this node holds the AMI lease (drives Asterisk); 0 on standby nodes',
    registers: [s.metrics],
    collect() {
      this.set(lease.holder ? 1 : 0);
    },
  });
  return driver;
}
