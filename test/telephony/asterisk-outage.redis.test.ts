import { startTestApp } from '../support/app';
import { FakeAmi } from '../support/fake-ami';
import { ownRedisNamespace } from '../support/redis-namespace';
import { asteriskConfig, until } from './asterisk-flow.suite';
import { asteriskOutageSuite } from './asterisk-outage.suite';

// The same outages with the live state, the call flow's state and the AMI lease in the real Redis.
asteriskOutageSuite('AMI outages and hang-ups nobody heard, Redis live state and lease', ownRedisNamespace());

describe('readiness of two nodes sharing one Asterisk', () => {
  const namespace = ownRedisNamespace();

  it('names the missing class on the node holding the AMI link; the standby node stays ready', async () => {
    const ami = await new FakeAmi(undefined, undefined, { write: ['call'] }).start();
    const config = { telephony: ['asterisk' as const], asterisk: asteriskConfig(ami.port, ami), ...namespace() };
    const apps = [await startTestApp(config)];
    try {
      apps.push(await startTestApp(config));
      await until(() => ami.loggedIn === 1 && apps.some((t) => t.app.asteriskDriver!.health().ok === false), 'the holder to check its privileges');
      const holder = apps.find((t) => t.app.asteriskDriver!.holdsLink)!;
      const standby = apps.find((t) => !t.app.asteriskDriver!.holdsLink)!;
      expect(standby).toBeDefined();
      const readiness = async (t: (typeof apps)[number]) => (await t.app.inject({ method: 'GET', url: '/readyz' })).json();
      expect(await readiness(holder)).toMatchObject({ status: 'not ready', checks: { asterisk: 'failing' }, errors: [expect.stringContaining('reporting (CoreShowChannels)')] });
      expect(await readiness(standby)).toMatchObject({ status: 'ready', checks: { asterisk: 'ok', redis: 'ok' } });
    } finally {
      for (const t of apps) await t.close();
      await ami.stop();
    }
  }, 90_000);
});
