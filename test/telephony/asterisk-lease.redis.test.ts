import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { AmiClient } from '../../src/telephony/asterisk/ami-client';
import { AmiLease } from '../../src/telephony/asterisk/ami-lease';
import { AmiLink } from '../../src/telephony/asterisk/ami-link';
import { FakeAmi } from '../support/fake-ami';
import { memoryLogger } from '../support/memory-logger';
import { eventually } from '../support/tcp-proxy';

/**
 * Two nodes sharing one Asterisk through a lease in Redis: only the holder logs in to AMI, and
 * when it can no longer renew (it died, or lost Redis) the other takes over within the lease's
 * time to live, never both at once.
 */
describe('the AMI lease between nodes', () => {
  const TTL_MS = 1_000;
  let ami: FakeAmi;
  let key: string;
  let admin: Redis;
  const nodes: { link: AmiLink; redis: Redis }[] = [];

  function node() {
    const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    const { log, lines } = memoryLogger();
    const client = new AmiClient({ host: '127.0.0.1', port: ami.port, ...ami.credentials, log, reconnectInitialMs: 50 });
    const lease = new AmiLease({ redis, key, ttlMs: TTL_MS, log });
    const link = new AmiLink(client, lease, log);
    nodes.push({ link, redis });
    return { link, lease, client, redis, lines };
  }

  beforeEach(async () => {
    ami = await new FakeAmi().start();
    key = `hotline-test-${randomUUID().slice(0, 8)}:{prov:63}:ami-lease`;
    admin = new Redis(process.env.REDIS_URL!);
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) {
      await n.link.stop().catch(() => {});
      // Disconnecting twice leaves an ioredis timer running for 2 s.
      if (n.redis.status !== 'end') n.redis.disconnect();
    }
    await admin.del(key);
    admin.disconnect();
    await ami.stop();
  });

  async function pair() {
    const a = node();
    const b = node();
    await Promise.all([a.link.start(), b.link.start()]);
    expect(await eventually(async () => ami.loggedIn === 1 && (a.client.connected || b.client.connected), 5_000, 10)).toBe(true);
    return a.lease.holder ? { holder: a, standby: b } : { holder: b, standby: a };
  }

  it('lets one node log in; when the holder stops renewing, the other takes over within the lease time', async () => {
    const { holder, standby } = await pair();
    expect(holder.lease.holder).toBe(true);
    expect(standby.lease.holder).toBe(false);
    expect(standby.client.state).toBe('closed');
    expect(await admin.get(key)).toBe(holder.lease.token);

    // The holder is cut off from Redis, as if it had died: nothing renews its lease.
    holder.redis.disconnect();
    expect(await eventually(async () => standby.client.connected, 4 * TTL_MS, 10)).toBe(true);
    expect(holder.lease.holder).toBe(false);
    expect(holder.client.connected).toBe(false);
    expect(holder.lines.some((l) => l.msg === 'could not renew the AMI lease in time; giving up the link')).toBe(true);
    expect(await admin.get(key)).toBe(standby.lease.token);
    expect(ami.logins).toBe(2);
    // The old holder let go before the new one logged in.
    expect(ami.peakLoggedIn).toBe(1);
  });

  it('hands the link over at once when the holder stops cleanly', async () => {
    const { holder, standby } = await pair();
    await holder.link.stop();
    expect(await eventually(async () => standby.client.connected, 2 * TTL_MS, 10)).toBe(true);
    expect(await admin.get(key)).toBe(standby.lease.token);
    expect(ami.peakLoggedIn).toBe(1);
  });

  it('gives the link up when another node has taken the lease', async () => {
    const { holder } = await pair();
    // Say a long pause (GC, a frozen VM) let the lease lapse and someone else took it.
    await admin.set(key, 'another-node', 'PX', 10 * TTL_MS);
    expect(await eventually(async () => !holder.lease.holder && !holder.client.connected, 2 * TTL_MS, 10)).toBe(true);
    expect(holder.lines.some((l) => l.msg === 'AMI lease was lost to another node; giving up the link')).toBe(true);
  });
});
