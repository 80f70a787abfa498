import net from 'node:net';
import { startTestApp } from '../support/app';
import { FakeAmi } from '../support/fake-ami';
import { asteriskConfig, asteriskFlowSuite, until } from './asterisk-flow.suite';

asteriskFlowSuite('calls through Asterisk (AMI), in-process live state', () => ({}));

describe('starting while Asterisk is down', () => {
  it('starts and serves, then connects once Asterisk is there', async () => {
    // A port nobody listens on (yet).
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const ami = new FakeAmi();
    const t = await startTestApp({ telephony: ['asterisk'], asterisk: asteriskConfig(port, ami) });
    try {
      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect(t.app.asteriskDriver!.linkUp).toBe(false);
      await until(() => t.logs.some((l) => l.msg === 'AMI connection error'), 'the failed attempt to be logged');
      await ami.start(port);
      // The first attempts failed, so the next may be up to 10 s away.
      await until(() => t.app.asteriskDriver!.linkUp, 'the AMI link', 30_000);
      expect(ami.logins).toBe(1);
      const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/hotline_asterisk_ami_link_up 1/);
      expect(metrics).toMatch(/hotline_asterisk_ami_lease_held 1/);
    } finally {
      await t.close();
      await ami.stop();
    }
  }, 60_000);
});
