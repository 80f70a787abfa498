import type { Config } from '../../src/config/config';
import { AgentSocket } from '../support/agent-socket';
import { startTestApp, type TestApp } from '../support/app';
import { type AmiClass, FakeAmi } from '../support/fake-ami';
import { FakeDialplan } from '../support/fake-dialplan';
import { asteriskConfig, until } from './asterisk-flow.suite';

/**
 * What a lost AMI link (or a hang-up nobody heard) does to callers and agents, with the fake
 * Asterisk's connections cut for 3 s and restored. "At once" is asserted as within 5 s of the
 * link's return: far from the 45 s hold period a missed decision would otherwise wait for, and
 * loose enough for a busy machine. Run on the in-process stores (asterisk-outage.test.ts) and on
 * Redis (asterisk-outage.redis.test.ts).
 */

export const PROMPT_MS = 5_000;
const OUTAGE_MS = 3_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The app on a fake Asterisk whose account has `write` classes, with an agent who speaks Tibetan. */
export async function asteriskHotline(overrides: Partial<Config>, write?: AmiClass[], asterisk: Partial<NonNullable<Config['asterisk']>> = {}) {
  const ami = await new FakeAmi(undefined, undefined, write ? { write } : {}).start();
  const dialplan = new FakeDialplan(ami);
  const logins: number[] = [];
  ami.onAction((a) => {
    if (a.action === 'login') logins.push(Date.now());
  });
  let t: TestApp;
  try {
    t = await startTestApp({ telephony: ['asterisk'], asterisk: { ...asteriskConfig(ami.port, ami), ...asterisk }, ...overrides });
  } catch (err) {
    await ami.stop();
    throw err;
  }
  const agent = await t.addUser({ username: 'agent.xining', role: 'agent', region: '630100', languages: { zh: 5, bo: 4 }, topics: { labour: 5 } });
  await until(() => ami.loggedIn === 1 && t.app.asteriskDriver!.linkUp, 'the AMI login');

  const h = {
    t,
    ami,
    dialplan,
    agent,
    async close() {
      await t.close();
      await ami.stop();
    },
    callIdOf: async (uniqueid: string) => (await t.app.callFlow.lookup('asterisk', uniqueid))!,
    row: (callId: string) => t.app.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow(),
    timeline: async (callId: string) => (await t.app.db.selectFrom('call_events').select('type').where('call_id', '=', callId).execute()).map((e) => e.type),
    async signIn(ready = true) {
      await t.app.router.login({ id: agent.id, regionCode: '630100', languages: { zh: 5, bo: 4 }, topics: { labour: 5 } });
      if (ready) await t.app.router.setReady(agent.id);
    },
    async acceptOffer() {
      await until(() => t.app.router.store.state.agent(agent.id)?.state === 'reserved', 'the offer to the agent');
      expect((await t.app.router.accept(agent.id, t.app.router.store.state.agent(agent.id)!.offerId!)).ok).toBe(true);
    },
    /** A caller in Tibetan about labour, on hold in the queue the agent serves. */
    async queued(from: string) {
      const ch = dialplan.call(from);
      for (const key of ['2', '1', '1', '1', '']) {
        const r = await dialplan.next(ch.uniqueid);
        if (r.context === 'hotline-hold') break;
        expect(r.context).toBe('hotline-menu');
        dialplan.press(ch.uniqueid, key);
      }
      return { uniqueid: ch.uniqueid, callId: await h.callIdOf(ch.uniqueid) };
    },
    /**
     * Cuts every AMI connection and refuses new ones for 3 s, runs `during` meanwhile, then
     * lets the client back in. Returns when the link went down, was restored, and logged in again.
     */
    async outage(during: () => Promise<void>) {
      const before = logins.length;
      ami.refuseConnections(true);
      ami.dropConnections();
      const downAt = Date.now();
      await until(() => !t.app.asteriskDriver!.linkUp, 'the driver to see the link go');
      await during();
      await t.app.callFlow.settled();
      await sleep(Math.max(0, downAt + OUTAGE_MS - Date.now()));
      ami.refuseConnections(false);
      const restoredAt = Date.now();
      // The client has been backing off (0.25 s, doubling) while Asterisk was away.
      await until(() => logins.length > before, 'the AMI login after the outage', 30_000);
      return { downAt, restoredAt, upAt: logins[before]! };
    },
    /** Back to an idle, signed-out agent and an empty Asterisk, whatever a test left behind. */
    async reset() {
      ami.refuseConnections(false);
      await until(() => t.app.asteriskDriver!.linkUp, 'the AMI link', 30_000);
      for (const ch of [...ami.channels.values()]) ami.hangup(ch.uniqueid);
      await until(() => t.app.router.snapshot().calls.length === 0, 'every call to end');
      await t.app.callFlow.settled();
      const live = t.app.router.liveAgent(agent.id);
      if (live?.offerId) await t.app.router.decline(agent.id, live.offerId);
      if (live?.callId && live.state === 'on_call') await t.app.router.agentHangup(agent.id, live.callId);
      await t.app.router.endWrapUp(agent.id, 'not_ready');
      await t.app.router.logout(agent.id);
      await t.app.callRecorder.flush();
    },
  };
  return h;
}

export function asteriskOutageSuite(name: string, overrides: () => Partial<Config>) {
  describe(name, () => {
    let h: Awaited<ReturnType<typeof asteriskHotline>>;
    let base: string;
    const sockets: AgentSocket[] = [];

    beforeAll(async () => {
      h = await asteriskHotline(overrides());
      await h.t.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(h.t.app.server.address() as { port: number }).port}`;
    }, 60_000);
    afterEach(async () => {
      for (const s of sockets.splice(0)) s.close();
      await h.reset();
    }, 60_000);
    afterAll(async () => h?.close());

    const desk = async () => {
      const s = await AgentSocket.open(base, h.agent.token);
      sockets.push(s);
      return s;
    };
    const ok = async (s: AgentSocket, frame: Record<string, unknown>) => expect(await s.answer(s.send(frame))).toMatchObject({ type: 'ack' });

    it('puts through, as soon as the link is back, a caller whose agent accepted during a 3 s outage', async () => {
      await h.signIn(false);
      const caller = await h.queued('13519712301');
      const o = await h.outage(async () => {
        await h.t.app.router.setReady(h.agent.id);
        await h.acceptOffer();
      });
      expect(h.dialplan.all(caller.uniqueid).filter((r) => r.context === 'hotline-connect').filter((r) => r.at < o.restoredAt)).toHaveLength(0);

      const connect = await h.dialplan.next(caller.uniqueid, 'hotline-connect', 30_000);
      expect(connect.vars.HOTLINE_DIAL).toBe('PJSIP/agent.xining');
      expect(connect.at - o.upAt).toBeLessThan(PROMPT_MS);

      // And the call goes on as any other: the bridge, the agent's hang-up, the survey.
      const agentLeg = h.dialplan.agentAnswers(caller.uniqueid);
      await until(async () => (await h.timeline(caller.callId)).includes('bridged'), 'the bridge to be noted');
      h.dialplan.agentHangsUp(caller.uniqueid, agentLeg);
      expect((await h.dialplan.next(caller.uniqueid, 'hotline-menu')).vars.HOTLINE_MENU).toBe('survey');
    }, 60_000);

    it("carries out, as soon as the link is back, the desk's hang-up made during an outage: the caller goes to the survey and the agent's leg is dropped", async () => {
      await h.signIn();
      const caller = await h.queued('13519712302');
      await h.acceptOffer();
      await h.dialplan.next(caller.uniqueid, 'hotline-connect');
      const agentLeg = h.dialplan.agentAnswers(caller.uniqueid);
      await until(async () => (await h.t.app.callFlow.state(caller.callId))?.bridged === true, 'the bridge to be noted');

      const o = await h.outage(async () => {
        expect(await h.t.app.router.agentHangup(h.agent.id, caller.callId)).toEqual({ ok: true });
        expect(h.t.app.router.liveAgent(h.agent.id)?.state).toBe('wrap_up');
      });
      // Until the link came back, the caller and the agent's phone were still bridged.
      expect(h.dialplan.all(caller.uniqueid).filter((r) => r.at < o.restoredAt).at(-1)?.context).toBe('hotline-connect');

      const survey = await h.dialplan.next(caller.uniqueid, 'hotline-menu', 30_000);
      expect(survey.vars.HOTLINE_MENU).toBe('survey');
      expect(survey.at - o.upAt).toBeLessThan(PROMPT_MS);
      expect(h.ami.channels.has(agentLeg.uniqueid)).toBe(false);

      h.dialplan.press(caller.uniqueid, '4');
      await h.dialplan.next(caller.uniqueid, 'hotline-bye');
      h.dialplan.bye(caller.uniqueid);
      await until(async () => (await h.t.app.callFlow.state(caller.callId)) === null, 'the call to end');
      await h.t.app.callRecorder.flush();
      expect(await h.row(caller.callId)).toMatchObject({ status: 'ended', end_reason: 'answered' });
    }, 60_000);

    it('ends at once, as abandoned when the link went down, a call whose caller hung up in the queue during an outage, and never offers it', async () => {
      await h.signIn(false);
      const caller = await h.queued('13519712303');
      let hungUpAt = 0;
      const o = await h.outage(async () => {
        h.ami.hangup(caller.uniqueid); // nobody hears this Hangup
        hungUpAt = Date.now();
      });
      await until(() => h.t.app.router.liveCall(caller.callId) === undefined, 'the ghost call to leave the queue', 30_000);
      expect(Date.now() - o.upAt).toBeLessThan(PROMPT_MS);
      // An agent who is ready now is not offered a caller who is gone.
      await h.t.app.router.setReady(h.agent.id);
      await h.t.app.router.settled();
      expect(h.t.app.router.liveAgent(h.agent.id)).toMatchObject({ state: 'ready', offerId: null });

      await until(async () => (await h.t.app.callFlow.state(caller.callId)) === null, 'the call to leave the flow');
      await h.t.app.callRecorder.flush();
      const row = await h.row(caller.callId);
      expect(row).toMatchObject({ status: 'ended', end_reason: 'abandoned', answered_at: null });
      // The hang-up was missed, so it is put at the moment the link went down (not the re-sync).
      expect(row.ended_at!.getTime()).toBeGreaterThanOrEqual(o.downAt - 50);
      expect(row.ended_at!.getTime()).toBeLessThanOrEqual(hungUpAt);
      // Waited from joining the queue until then (queued_at is when that was written: a few ms apart).
      expect(Math.abs(row.wait_ms! - (row.ended_at!.getTime() - row.queued_at!.getTime()))).toBeLessThan(1_000);
      expect(await h.timeline(caller.callId)).not.toContain('offered');
    }, 60_000);

    it('records as abandoned, not answered, a caller who hung up unheard before the agent accepted, and frees the agent at once', async () => {
      await h.signIn(false);
      const caller = await h.queued('13519712304');
      let hungUpAt = 0;
      const o = await h.outage(async () => {
        h.ami.hangup(caller.uniqueid);
        hungUpAt = Date.now();
        await h.t.app.router.setReady(h.agent.id);
        await h.acceptOffer();
        expect(h.t.app.router.liveAgent(h.agent.id)?.state).toBe('on_call');
      });
      await until(() => h.t.app.router.liveAgent(h.agent.id)?.state === 'ready', 'the agent to be free', 30_000);
      expect(Date.now() - o.upAt).toBeLessThan(PROMPT_MS);
      expect(h.t.app.router.liveCall(caller.callId)).toBeUndefined();
      // Free to go: nothing holds the agent.
      expect(await h.t.app.router.logout(h.agent.id)).toEqual({ ok: true });

      await until(async () => (await h.t.app.callFlow.state(caller.callId)) === null, 'the call to leave the flow');
      await h.t.app.callRecorder.flush();
      const row = await h.row(caller.callId);
      expect(row).toMatchObject({ status: 'ended', end_reason: 'abandoned', answered_at: null, talk_ms: 0, agent_id: h.agent.id });
      expect(row.ended_at!.getTime()).toBeGreaterThanOrEqual(o.downAt - 50);
      expect(row.ended_at!.getTime()).toBeLessThanOrEqual(hungUpAt);
      expect(h.dialplan.all(caller.uniqueid).some((r) => r.context === 'hotline-connect')).toBe(false);
    }, 60_000);

    it('ends the call as abandoned when the connect finds the caller gone (a Hangup that never came), and tells the desk', async () => {
      const s = await desk();
      await ok(s, { type: 'state.set', state: 'ready' });
      const caller = await h.queued('13519712305');
      const offer = await s.next('offer');
      h.ami.vanish(caller.uniqueid);
      await ok(s, { type: 'offer.accept', offerId: offer.offerId });
      expect(await s.next('call.ended')).toMatchObject({ callId: caller.callId, talkSeconds: 0, reason: 'caller_left' });
      await s.next('state', (f) => f.state === 'ready');
      expect(h.t.logs.some((l) => l.msg === 'the caller had left before the action reached them; the call ends' && l.callId === caller.callId)).toBe(true);

      await until(async () => (await h.t.app.callFlow.state(caller.callId)) === null, 'the call to leave the flow');
      await h.t.app.callRecorder.flush();
      expect(await h.row(caller.callId)).toMatchObject({ status: 'ended', end_reason: 'abandoned', answered_at: null, talk_ms: 0 });
      await ok(s, { type: 'logout' });
    }, 60_000);

    it('lets the agent hang up at the desk and sign out while the link is down and the caller gone; the call is closed when the link returns', async () => {
      const s = await desk();
      await ok(s, { type: 'state.set', state: 'ready' });
      const caller = await h.queued('13519712306');
      await ok(s, { type: 'offer.accept', offerId: (await s.next('offer')).offerId });
      await s.next('call.connected');
      await h.dialplan.next(caller.uniqueid, 'hotline-connect');
      h.dialplan.agentAnswers(caller.uniqueid);
      await until(async () => (await h.t.app.callFlow.state(caller.callId))?.bridged === true, 'the bridge to be noted');

      await h.outage(async () => {
        h.ami.hangup(caller.uniqueid); // the caller leaves, unheard
        await ok(s, { type: 'call.hangup', callId: caller.callId });
        expect(await s.next('call.ended')).toMatchObject({ callId: caller.callId, reason: 'hangup' });
        await s.next('state', (f) => f.state === 'wrap_up');
        await ok(s, { type: 'logout' });
        expect((await s.whenClosed()).code).toBe(4002);
        expect(h.t.app.router.liveAgent(h.agent.id)?.state).toBe('offline');
      });
      // The survey the desk's hang-up decided finds no caller: the call is closed, nothing is left over.
      await until(async () => (await h.t.app.callFlow.state(caller.callId)) === null, 'the call to leave the flow', 30_000);
      await h.t.app.callRecorder.flush();
      expect(await h.row(caller.callId)).toMatchObject({ status: 'ended', end_reason: 'answered' });
      expect(h.t.app.router.snapshot().calls).toHaveLength(0);
    }, 60_000);
  });
}
