import { startTestApp } from '../support/app';
import { FakeAmi } from '../support/fake-ami';
import { asteriskConfig, until } from './asterisk-flow.suite';
import { asteriskHotline, PROMPT_MS } from './asterisk-outage.suite';

/**
 * An AMI account that cannot do everything the driver needs (here: no `reporting`, so no
 * CoreShowChannels): one clear error, /readyz red on the node driving Asterisk, no re-sync loop,
 * and callers still served as far as the account allows, through an outage too.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Logs = Record<string, unknown>[];
const refusals = (logs: Logs) => logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('Asterisk refuses actions the hotline needs'));

describe('an AMI account without the reporting class', () => {
  let h: Awaited<ReturnType<typeof asteriskHotline>>;

  beforeAll(async () => {
    h = await asteriskHotline({}, ['call']);
  }, 60_000);
  afterEach(async () => h.reset(), 60_000);
  afterAll(async () => h?.close());

  const readiness = async () => {
    const res = await h.t.app.inject({ method: 'GET', url: '/readyz' });
    return { status: res.statusCode, body: res.json() };
  };

  it('says once which class is missing and the manager.conf line that fixes it, keeps the node unready, and runs no re-sync loop', async () => {
    await until(() => refusals(h.t.logs).length === 1, 'the refusal to be logged');
    const [refusal] = refusals(h.t.logs);
    expect(refusal).toMatchObject({ level: 50, account: 'hotline', missing: ['CoreShowChannels'], classes: ['reporting'] });
    expect(refusal!.msg).toContain('reporting (CoreShowChannels)');
    expect(refusal!.msg).toContain('"write = call,reporting" in the [hotline] section of manager.conf');
    expect(await readiness()).toEqual({
      status: 503,
      body: {
        status: 'not ready',
        checks: { database: 'ok', redis: 'not configured', routing: 'ok', asterisk: 'failing' },
        errors: [expect.stringMatching(/^asterisk: the AMI account lacks the write class reporting \(CoreShowChannels\): set "write = call,reporting"/)],
      },
    });

    // Nothing asked again and again, nothing logged every 2 s.
    await sleep(2_500);
    expect(h.ami.named('coreshowchannels')).toHaveLength(0);
    expect(refusals(h.t.logs)).toHaveLength(1);
    expect(h.t.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('could not re-sync'))).toHaveLength(0);

    // What the account allows still works: a caller is greeted.
    const caller = h.dialplan.call('13519712399');
    expect((await h.dialplan.next(caller.uniqueid, 'hotline-menu')).vars.HOTLINE_MENU).toBe('language');
  }, 30_000);

  it('through a 3 s outage still puts the accepted caller through at once and ends the ghost call, asking channel by channel', async () => {
    await h.signIn(false);
    const waiting = await h.queued('13519712311');
    const ghost = await h.queued('13519712312');
    let hungUpAt = 0;
    const o = await h.outage(async () => {
      h.ami.hangup(ghost.uniqueid); // nobody hears this Hangup
      hungUpAt = Date.now();
      await h.t.app.router.setReady(h.agent.id);
      await h.acceptOffer();
      expect(h.t.app.router.liveAgent(h.agent.id)?.callId).toBe(waiting.callId);
    });

    const connect = await h.dialplan.next(waiting.uniqueid, 'hotline-connect', 30_000);
    expect(connect.at - o.upAt).toBeLessThan(PROMPT_MS);
    await until(() => h.t.app.router.liveCall(ghost.callId) === undefined, 'the ghost call to leave the queue', 30_000);
    expect(Date.now() - o.upAt).toBeLessThan(PROMPT_MS);
    await until(async () => (await h.t.app.callFlow.state(ghost.callId)) === null, 'the ghost call to leave the flow');
    await h.t.app.callRecorder.flush();
    const row = await h.row(ghost.callId);
    expect(row).toMatchObject({ status: 'ended', end_reason: 'abandoned', answered_at: null });
    expect(row.ended_at!.getTime()).toBeGreaterThanOrEqual(o.downAt - 50);
    expect(row.ended_at!.getTime()).toBeLessThanOrEqual(hungUpAt);

    expect(h.ami.named('coreshowchannels')).toHaveLength(0);
    expect(refusals(h.t.logs)).toHaveLength(1);
  }, 60_000);

  it('is ready again once manager.conf is fixed and reloaded and the link has logged in again', async () => {
    h.ami.setWrite(['call', 'reporting']);
    // A reload changes nothing for the session already logged in.
    expect((await readiness()).status).toBe(503);
    h.ami.dropConnections();
    await until(async () => (await readiness()).status === 200, 'the node to be ready', 30_000);
    expect((await readiness()).body.checks.asterisk).toBe('ok');
    expect(h.t.logs.some((l) => l.msg === 'the AMI account now allows every action the driver needs')).toBe(true);
    await until(() => h.ami.named('coreshowchannels').length === 1, 'the full re-sync');
  }, 60_000);
});

describe('an AMI account fixed while the service runs', () => {
  it('logs in again now and then while a privilege is missing, quietly, and sees the fix without a restart', async () => {
    const h = await asteriskHotline({}, ['call'], { privilegeRecheckMs: 300 });
    try {
      const readyz = async () => (await h.t.app.inject({ method: 'GET', url: '/readyz' })).statusCode;
      await until(() => h.ami.logins >= 4, 'a few re-logins');
      expect(refusals(h.t.logs)).toHaveLength(1);
      expect(h.t.logs.filter((l) => l.msg === 'AMI link down' || l.msg === 'AMI link restored')).toHaveLength(0);
      expect(await readyz()).toBe(503);

      h.ami.setWrite(['call', 'reporting']);
      await until(async () => (await readyz()) === 200, 'the node to be ready');
      const logins = h.ami.logins;
      await sleep(1_000);
      expect(h.ami.logins).toBe(logins);
    } finally {
      await h.close();
    }
  }, 60_000);
});

describe('an AMI login Asterisk refuses', () => {
  it('says so once, whatever the number of attempts, and keeps the node unready', async () => {
    const ami = await new FakeAmi().start();
    const t = await startTestApp({ telephony: ['asterisk'], asterisk: { ...asteriskConfig(ami.port, ami), secret: 'not-the-secret' } });
    try {
      await until(() => ami.named('login').length >= 4, 'several login attempts');
      expect(t.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('Asterisk refused the AMI login') && (l.level as number) >= 50)).toHaveLength(1);
      const res = await t.app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ checks: { asterisk: 'failing' }, errors: [expect.stringContaining('Asterisk refused the AMI login')] });
    } finally {
      await t.close();
      await ami.stop();
    }
  }, 60_000);
});
