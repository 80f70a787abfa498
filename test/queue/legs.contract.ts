import { DEFAULT_ROUTING } from '../../src/queue/settings';
import type { Router } from '../../src/queue/router';
import type { RoutingEvent } from '../../src/queue/types';
import { agent, makeNodes, ManualClock, newCall, type OpenStores, TEST_ROUTING } from './harness';

/**
 * Second legs on a connected call (consult transfer, interpreters), asserted on every live store:
 * who gets the leg, who ends up with the caller, and who is free again afterwards.
 */
export function legsContract(open: OpenStores): void {
  let clock: ManualClock;
  let env: Awaited<ReturnType<typeof makeNodes>>;
  let router: Router;

  const start = async (settings = TEST_ROUTING) => {
    clock = new ManualClock();
    env = await makeNodes(open, 1, clock, settings);
    router = env.nodes[0]!.router;
  };
  afterEach(() => env?.close());

  const state = () => router.store.state;
  const events = () => env.nodes[0]!.events;
  const legEvents = (callId: string) =>
    events().filter((e): e is Extract<RoutingEvent, { type: 'call.leg' }> => e.type === 'call.leg' && e.call.id === callId).map((e) => (e.reason ? `${e.phase}:${e.reason}` : e.phase));
  const ready = async (...ids: string[]) => {
    for (const id of ids) expect(await router.setReady(id)).toEqual({ ok: true });
    await router.settled();
  };
  const later = async (seconds: number) => {
    clock.advance(seconds);
    await router.processDue();
    await router.settled();
  };
  /** A caller answered by `agentId` (the only ready agent when it arrives). */
  const answered = async (agentId: string, over: Parameters<typeof newCall>[0] = {}) => {
    const call = newCall(over);
    await router.enqueue(call);
    await router.settled();
    expect(state().call(call.id)).toMatchObject({ status: 'offered', agentId });
    expect(await router.accept(agentId, state().agent(agentId)!.offerId!)).toEqual({ ok: true });
    return call.id;
  };
  /** The leg's routed call, offered to `to`, accepted there, and put through by the phone system. */
  const takeLeg = async (callId: string, to: string) => {
    const legId = state().call(callId)!.leg!.id;
    expect(state().call(legId)).toMatchObject({ kind: 'leg', parentId: callId, status: 'offered', agentId: to });
    expect(await router.accept(to, state().agent(to)!.offerId!)).toEqual({ ok: true });
    expect(await router.legAnswered(callId, legId)).toEqual({ ok: true });
    return legId;
  };

  /** a answers a caller and consults b, who takes the leg: the call and its leg's id. */
  const consulting = async () => {
    await router.login(agent('a', '630102'));
    await router.login(agent('b', '630102'));
    await ready('a');
    const callId = await answered('a');
    await ready('b');
    expect(await router.openLeg('a', callId, { purpose: 'consult', to: { agentId: 'b' } })).toMatchObject({ ok: true });
    return { callId, legId: await takeLeg(callId, 'b') };
  };

  describe('consult transfer', () => {
    beforeEach(() => start());

    it('to a ready colleague: rings them, then completing hands them the caller and sends the agent to wrap-up', async () => {
      await router.login(agent('a', '630102'));
      await router.login(agent('b', '630102'));
      await ready('a');
      const callId = await answered('a');
      await ready('b');
      const opened = await router.openLeg('a', callId, { purpose: 'consult', to: { agentId: 'b' } });
      expect(opened).toMatchObject({ ok: true });
      expect(state().agent('b')).toMatchObject({ state: 'reserved' });
      // Nothing else moves the call while it has a second leg.
      expect(await router.transfer('a', callId, { region: '630100' })).toMatchObject({ ok: false });
      expect(await router.openLeg('a', callId, { purpose: 'consult', to: { number: '12345' } })).toMatchObject({ ok: false });
      // Only the agent holding the call completes, and only an answered consult.
      expect(await router.completeLeg('a', callId)).toMatchObject({ ok: false });
      const legId = await takeLeg(callId, 'b');
      expect(state().call(callId)!.leg).toMatchObject({ id: legId, state: 'talking', agentId: 'b', by: 'a' });
      expect(await router.completeLeg('b', callId)).toMatchObject({ ok: false });

      clock.advance(40);
      expect(await router.completeLeg('a', callId)).toEqual({ ok: true });
      expect(state().call(callId)).toMatchObject({ status: 'connected', agentId: 'b', leg: null });
      expect(state().call(legId)).toBeUndefined();
      expect(state().agent('a')).toMatchObject({ state: 'wrap_up', callId: null });
      expect(state().agent('b')).toMatchObject({ state: 'on_call', callId });
      expect(legEvents(callId)).toEqual(['opened', 'answered', 'completed']);

      // The colleague carries the call to its end like any other.
      expect(await router.agentHangup('b', callId)).toEqual({ ok: true });
      expect(state().call(callId)).toBeUndefined();
      expect(state().agent('b')).toMatchObject({ state: 'wrap_up' });
    });

    it('merges into a three-way call, and dropping the colleague leaves caller and agent talking', async () => {
      const { callId } = await consulting();
      expect(await router.mergeLeg('a', callId)).toEqual({ ok: true });
      expect(state().call(callId)!.leg).toMatchObject({ state: 'merged' });
      expect(await router.closeLeg(callId, 'dropped', { agentId: 'a' })).toEqual({ ok: true });
      expect(state().call(callId)).toMatchObject({ status: 'connected', agentId: 'a', leg: null });
      expect(state().agent('b')).toMatchObject({ state: 'ready', callId: null });
      expect(legEvents(callId)).toEqual(['opened', 'answered', 'merged', 'closed:dropped']);
    });

    it('cancelled: back to the caller, the colleague free at once', async () => {
      const { callId } = await consulting();
      expect(await router.closeLeg(callId, 'cancelled', { agentId: 'b' })).toMatchObject({ ok: false });
      expect(await router.closeLeg(callId, 'cancelled', { agentId: 'a' })).toEqual({ ok: true });
      expect(state().call(callId)).toMatchObject({ agentId: 'a', leg: null });
      expect(state().agent('a')).toMatchObject({ state: 'on_call', callId });
      expect(state().agent('b')).toMatchObject({ state: 'ready' });
    });

    it('refuses a colleague who is not ready, and a colleague who declines ends the leg as unanswered (not passed to anyone else)', async () => {
      await router.login(agent('a', '630102'));
      await router.login(agent('b', '630102'));
      await router.login(agent('c', '630102'));
      await ready('a');
      const callId = await answered('a');
      expect(await router.openLeg('a', callId, { purpose: 'consult', to: { agentId: 'b' } })).toMatchObject({ ok: false });
      await ready('b', 'c');
      expect(await router.openLeg('a', callId, { purpose: 'consult', to: { agentId: 'b' } })).toMatchObject({ ok: true });
      expect(await router.decline('b', state().agent('b')!.offerId!)).toEqual({ ok: true });
      expect(state().call(callId)).toMatchObject({ agentId: 'a', leg: null });
      // Declined on the desk, not missed.
      expect(state().agent('b')).toMatchObject({ state: 'not_ready', reason: 'declined' });
      expect(state().agent('c')).toMatchObject({ state: 'ready', callId: null });
      expect(legEvents(callId)).toEqual(['opened', 'closed:unanswered']);
    });

    it("to a region's queue: the next agent there takes it", async () => {
      await router.login(agent('a', '630102'));
      await router.login(agent('haidong', '630200'));
      await ready('a');
      const callId = await answered('a');
      await router.openLeg('a', callId, { purpose: 'consult', to: { region: '630200' } });
      const legId = state().call(callId)!.leg!.id;
      expect(state().call(legId)).toMatchObject({ status: 'waiting', regionCode: '630200' });
      await ready('haidong');
      await takeLeg(callId, 'haidong');
      expect(await router.completeLeg('a', callId)).toEqual({ ok: true });
      expect(state().call(callId)).toMatchObject({ agentId: 'haidong' });
    });

    it('to an outside number: answered, then completing ends the hotline part', async () => {
      await router.login(agent('a', '630102'));
      await ready('a');
      const callId = await answered('a');
      const r = await router.openLeg('a', callId, { purpose: 'consult', to: { number: '09718888888' } });
      expect(r.ok).toBe(true);
      const legId = state().call(callId)!.leg!.id;
      expect(state().call(legId)).toBeUndefined();
      expect(await router.legAnswered(callId, 'another-leg')).toMatchObject({ ok: false });
      expect(await router.legAnswered(callId, legId)).toEqual({ ok: true });
      expect(await router.completeLeg('a', callId)).toEqual({ ok: true });
      expect(state().call(callId)).toBeUndefined();
      expect(state().agent('a')).toMatchObject({ state: 'wrap_up' });
      expect(legEvents(callId)).toEqual(['opened', 'answered', 'completed']);
      // The desk tells the agent the caller was put through, as after a forward.
      expect(events().find((e) => e.type === 'call.ended')).toMatchObject({ call: { forwardTo: '09718888888' } });
    });

    it('an outside number not reached closes the leg; the caller stays with the agent', async () => {
      await router.login(agent('a', '630102'));
      await ready('a');
      const callId = await answered('a');
      await router.openLeg('a', callId, { purpose: 'consult', to: { number: '09718888888' } });
      const legId = state().call(callId)!.leg!.id;
      expect(await router.closeLeg(callId, 'unanswered', { legId })).toEqual({ ok: true });
      expect(state().call(callId)).toMatchObject({ agentId: 'a', leg: null });
    });

    it('the caller hanging up ends the leg and frees the colleague; the agent hanging up on an answered consult hands the caller over', async () => {
      await router.login(agent('a', '630102'));
      await router.login(agent('b', '630102'));
      await router.login(agent('c', '630102'));
      await ready('a');
      const first = await answered('a');
      await ready('b');
      await router.openLeg('a', first, { purpose: 'consult', to: { agentId: 'b' } });
      const legId = await takeLeg(first, 'b');
      expect(await router.callerHangup(first)).toEqual({ ok: true });
      expect(state().call(first)).toBeUndefined();
      expect(state().call(legId)).toBeUndefined();
      expect(state().agent('a')).toMatchObject({ state: 'wrap_up' });
      expect(state().agent('b')).toMatchObject({ state: 'ready', callId: null });
      expect(legEvents(first)).toEqual(['opened', 'answered', 'closed:call_ended']);

      await router.setNotReady('b', 'break');
      await ready('c');
      const second = await answered('c');
      await ready('b');
      await router.openLeg('c', second, { purpose: 'consult', to: { agentId: 'b' } });
      await takeLeg(second, 'b');
      expect(await router.agentHangup('c', second)).toEqual({ ok: true });
      expect(state().call(second)).toMatchObject({ agentId: 'b', leg: null });
      expect(state().agent('c')).toMatchObject({ state: 'wrap_up' });
    });

    it("a colleague who took the leg on the desk but whose phone was busy: the leg closes naming them (their desk and the phone system end it), and they are free again", async () => {
      await router.login(agent('a', '630102'));
      await router.login(agent('b', '630102'));
      await ready('a');
      const callId = await answered('a');
      await ready('b');
      await router.openLeg('a', callId, { purpose: 'consult', to: { agentId: 'b' } });
      const legId = state().call(callId)!.leg!.id;
      expect(await router.accept('b', state().agent('b')!.offerId!)).toEqual({ ok: true });
      // The phone system reports the dial of b's phone failed before legAnswered.
      expect(await router.closeLeg(callId, 'unanswered', { legId })).toEqual({ ok: true });
      const closed = events().find((e): e is Extract<RoutingEvent, { type: 'call.leg' }> => e.type === 'call.leg' && e.phase === 'closed');
      expect(closed).toMatchObject({ reason: 'unanswered', leg: { id: legId, agentId: 'b', by: 'a' } });
      expect(state().call(callId)).toMatchObject({ agentId: 'a', leg: null });
      expect(state().call(legId)).toBeUndefined();
      expect(state().agent('b')).toMatchObject({ callId: null });
    });

    it('the colleague hanging up ends only the leg', async () => {
      const { callId, legId } = await consulting();
      expect(await router.agentHangup('b', legId)).toEqual({ ok: true });
      expect(state().call(callId)).toMatchObject({ agentId: 'a', leg: null });
      expect(state().agent('b')).toMatchObject({ state: 'ready' });
      expect(legEvents(callId)).toEqual(['opened', 'answered', 'closed:target_left']);
    });
  });

  describe('interpreters', () => {
    it('go to an agent who speaks the language, never relaxed, and join the call at once when answered', async () => {
      await start();
      await router.login(agent('a', '630102'));
      await router.login(agent('mandarin', '630000', { zh: 5 }));
      await ready('a', 'mandarin');
      const callId = await answered('a', { language: 'zh' });
      await router.openLeg('a', callId, { purpose: 'interpreter', to: { language: 'bo' } });
      const legId = state().call(callId)!.leg!.id;
      expect(state().call(legId)).toMatchObject({ kind: 'leg', purpose: 'interpreter', language: 'bo', regionCode: '630000' });
      for (let i = 0; i < 5; i++) await later(60);
      expect(state().call(legId)).toMatchObject({ status: 'waiting' });
      expect(state().agent('mandarin')).toMatchObject({ state: 'ready' });

      // A Tibetan speaker anywhere in the province, whatever their topics.
      await router.login(agent('tibetan', '632600', { bo: 4, zh: 2 }, { marriage_family: 3 }));
      await ready('tibetan');
      await takeLeg(callId, 'tibetan');
      expect(state().call(callId)!.leg).toMatchObject({ purpose: 'interpreter', state: 'merged', agentId: 'tibetan' });
      // An interpreter is not handed the call.
      expect(await router.completeLeg('a', callId)).toMatchObject({ ok: false });
      expect(await router.closeLeg(callId, 'dropped', { agentId: 'a' })).toEqual({ ok: true });
      expect(state().agent('tibetan')).toMatchObject({ state: 'ready' });
    });

    it('a named colleague must speak the language', async () => {
      await start();
      await router.login(agent('a', '630102'));
      await router.login(agent('b', '630102', { zh: 5 }));
      await ready('a');
      const callId = await answered('a');
      await ready('b');
      expect(await router.openLeg('a', callId, { purpose: 'interpreter', to: { agentId: 'b' }, language: 'mn' })).toMatchObject({ ok: false });
      expect(state().agent('b')).toMatchObject({ state: 'ready' });
    });

    it('fallback: a Tibetan caller who waited the set time goes to a Mandarin agent, to be interpreted', async () => {
      await start({ ...TEST_ROUTING, interpreters: { ...DEFAULT_ROUTING.interpreters, fallbackSeconds: 90 } });
      await router.login(agent('mandarin', '632701', { zh: 5 }));
      await ready('mandarin');
      const call = newCall({ regionCode: '632701', language: 'bo' });
      await router.enqueue(call);
      await later(89);
      expect(state().call(call.id)).toMatchObject({ status: 'waiting', language: 'bo' });
      await later(1);
      expect(state().call(call.id)).toMatchObject({ status: 'offered', agentId: 'mandarin', language: 'zh', interpret: 'bo' });
      expect(events().find((e) => e.type === 'call.interpreting')).toMatchObject({ language: 'bo' });
    });

    it('no fallback unless the province sets one: the caller waits for a Tibetan speaker', async () => {
      await start();
      await router.login(agent('mandarin', '632701', { zh: 5 }));
      await ready('mandarin');
      const call = newCall({ regionCode: '632701', language: 'bo' });
      await router.enqueue(call);
      for (let i = 0; i < 5; i++) await later(60);
      expect(state().call(call.id)).toMatchObject({ status: 'waiting', language: 'bo' });
      expect(state().call(call.id)!.interpret ?? null).toBeNull();
    });
  });
}
