import { asteriskHotline, asteriskOutageSuite, PROMPT_MS } from './asterisk-outage.suite';
import { until } from './asterisk-flow.suite';

asteriskOutageSuite('AMI outages and hang-ups nobody heard, in-process live state', () => ({}));

describe('a re-sync whose channel list does not come', () => {
  it('still sends at once what was decided during the outage, says why the re-sync failed, and retries it with back-off', async () => {
    const h = await asteriskHotline({});
    try {
      await until(() => h.t.logs.some((l) => l.msg === 'calls re-synced with Asterisk'), 'the first re-sync');
      await h.signIn(false);
      const caller = await h.queued('13519712321');
      h.ami.silence('CoreShowChannels');
      const o = await h.outage(async () => {
        await h.t.app.router.setReady(h.agent.id);
        await h.acceptOffer();
      });
      const connect = await h.dialplan.next(caller.uniqueid, 'hotline-connect', 30_000);
      expect(connect.at - o.upAt).toBeLessThan(PROMPT_MS);

      // The list's deadline is 15 s; then the reason, once, and the next try 2 s later.
      const failed = () => h.t.logs.filter((l) => l.msg === 'could not re-sync calls with Asterisk; trying again');
      await until(() => failed().length === 1, 'the failed re-sync to be logged', 30_000);
      expect(failed()[0]).toMatchObject({ level: 40, reason: 'Asterisk did not answer CoreShowChannels within 15000 ms', retryInMs: 2_000 });
      h.ami.silence('CoreShowChannels', false);
      await until(() => h.t.logs.some((l) => l.msg === 'calls re-synced with Asterisk after failed attempts' && l.attempts === 2), 'the retried re-sync', 10_000);
      expect(failed()).toHaveLength(1);
      await h.reset();
    } finally {
      await h.close();
    }
  }, 90_000);
});
