import { randomUUID } from 'node:crypto';
import { DEFAULT_ROUTING } from '../../src/queue/settings';
import type { Router } from '../../src/queue/router';
import { eventually } from '../support/tcp-proxy';
import { agent, makeNodes, ManualClock, newCall, type OpenStores, TEST_ROUTING } from './harness';

/** The routing behaviour callers and supervisors rely on, asserted on every live store. */
export function routingContract(open: OpenStores): void {
  let clock: ManualClock;
  let env: Awaited<ReturnType<typeof makeNodes>>;
  let router: Router;

  beforeEach(async () => {
    clock = new ManualClock();
    env = await makeNodes(open, 1, clock);
    router = env.nodes[0]!.router;
  });
  afterEach(() => env.close());

  const ready = async (...ids: string[]) => {
    for (const id of ids) expect(await router.setReady(id)).toEqual({ ok: true });
    await router.settled();
  };
  const signIn = async (...profiles: ReturnType<typeof agent>[]) => {
    for (const p of profiles) await router.login(p);
  };
  const state = () => router.store.state;
  const offeredTo = (callId: string) => {
    const call = state().call(callId);
    return call?.status === 'offered' ? call.agentId : null;
  };
  const later = async (seconds: number) => {
    clock.advance(seconds);
    await router.processDue();
  };

  describe('overflow steps', () => {
    it('offer a county call to its county first, the prefecture after 30 s, then the whole province after 90 s', async () => {
      await signIn(agent('county', '630102'), agent('prefecture', '630100'), agent('province', '630000'), agent('county-busy', '630102'));
      await ready('prefecture', 'province');
      const call = newCall({ regionCode: '630102' });
      await router.enqueue(call);
      await router.settled();
      // Chengdong has seats signed in (not ready), so the county step holds the call.
      expect(offeredTo(call.id)).toBeNull();

      await later(29);
      expect(offeredTo(call.id)).toBeNull();
      await later(1);
      expect(offeredTo(call.id)).toBe('prefecture');

      // The prefecture seat lets it ring out; the province step is next, at 90 s.
      await later(DEFAULT_ROUTING.offerTimeoutSeconds);
      expect(state().call(call.id)!.status).toBe('waiting');
      expect(state().agent('prefecture')!).toMatchObject({ state: 'not_ready', reason: 'missed' });
      await later(89.9 - 30 - DEFAULT_ROUTING.offerTimeoutSeconds);
      expect(offeredTo(call.id)).toBeNull();
      await later(0.2);
      expect(offeredTo(call.id)).toBe('province');
    });

    it('goes to the county\'s own agent while one is ready, before a closer-idle prefecture agent', async () => {
      await signIn(agent('prefecture', '630100'), agent('county', '630102'));
      await ready('prefecture', 'county');
      const call = newCall({ regionCode: '630102' });
      await router.enqueue(call);
      await router.settled();
      expect(offeredTo(call.id)).toBe('county');
    });

    it('skips a step at once when nobody who could take the call is signed in there', async () => {
      await signIn(agent('haidong', '630200'), agent('xining', '630100'));
      await ready('xining');
      const call = newCall({ regionCode: '630102' }); // Chengdong: no county seat signed in
      await router.enqueue(call);
      await router.settled();
      expect(offeredTo(call.id)).toBe('xining');

      const golog = newCall({ regionCode: '632623', language: 'zh' }); // nobody in Golog at all
      await router.enqueue(golog);
      await router.setReady('haidong');
      await router.settled();
      expect(offeredTo(golog.id)).toBe('haidong');
    });

    it('requires the topic until the step that relaxes it', async () => {
      await signIn(agent('family-only', '630102', { zh: 5 }, { marriage_family: 5 }));
      await ready('family-only');
      const call = newCall({ regionCode: '630102', topic: 'labour' });
      await router.enqueue(call);
      await router.settled();
      // No labour-skilled seat anywhere: county and prefecture steps are skipped, and the
      // province step, which relaxes the topic, takes the only agent there is.
      expect(offeredTo(call.id)).toBe('family-only');
    });
  });

  it('never gives a Tibetan-language call to a Mandarin-only agent, however long it waits', async () => {
    await signIn(agent('mandarin', '632701', { zh: 5 }), agent('mandarin2', '630000', { zh: 5 }));
    await ready('mandarin', 'mandarin2');
    const call = newCall({ regionCode: '632701', language: 'bo' });
    const result = await router.enqueue(call);
    expect(result).toMatchObject({ status: 'queued', estimatedWaitSeconds: null, offerCallback: true });
    for (let i = 0; i < 10; i++) await later(60);
    expect(state().call(call.id)).toMatchObject({ status: 'waiting' });
    expect(state().agent('mandarin')!.state).toBe('ready');

    await signIn(agent('tibetan', '630000', { bo: 5, zh: 3 }));
    await ready('tibetan');
    expect(offeredTo(call.id)).toBe('tibetan');
  });

  it('puts a priority-group caller ahead of earlier normal callers', async () => {
    await signIn(agent('a', '630102'));
    const first = newCall();
    const second = newCall();
    const elderly = newCall({ priority: 10 });
    await router.enqueue(first);
    clock.advance(5);
    await router.enqueue(second);
    clock.advance(5);
    await router.enqueue(elderly);
    await ready('a');
    expect(offeredTo(elderly.id)).toBe('a');
    expect(router.estimate(first.id)!.position).toBe(0);
    expect(router.estimate(second.id)!.position).toBe(1);
  });

  it('among equal agents gives the call to the one idle longest', async () => {
    await signIn(agent('early', '630102'), agent('late', '630102'));
    await ready('early');
    clock.advance(10);
    await ready('late');
    const call = newCall();
    await router.enqueue(call);
    await router.settled();
    expect(offeredTo(call.id)).toBe('early');
  });

  it('returns a call whose offer rang out to its original place in the queue', async () => {
    await signIn(agent('x', '630102'), agent('y', '630102'));
    const first = newCall();
    const second = newCall();
    await router.enqueue(first);
    clock.advance(3);
    await router.enqueue(second);
    await ready('x');
    expect(offeredTo(first.id)).toBe('x');

    await later(DEFAULT_ROUTING.offerTimeoutSeconds);
    expect(state().call(first.id)).toMatchObject({ status: 'waiting', missedBy: ['x'] });
    expect(state().agent('x')).toMatchObject({ state: 'not_ready', reason: 'missed' });
    expect(state().waitingCalls().map((c) => c.id)).toEqual([first.id, second.id]);
    await ready('y');
    expect(offeredTo(first.id)).toBe('y');
  });

  it('removes a call from the queue at once when the caller hangs up, with its wait', async () => {
    await signIn(agent('x', '630102'));
    const call = newCall();
    await router.enqueue(call);
    clock.advance(42);
    expect(await router.callerHangup(call.id)).toEqual({ ok: true });
    expect(state().call(call.id)).toBeUndefined();
    expect(state().waitingCalls()).toHaveLength(0);
    expect(env.nodes[0]!.events.find((e) => e.type === 'call.left')).toMatchObject({ outcome: 'abandoned', waitedMs: 42_000 });
  });

  it('lets a hang-up while the phone rings free the agent again', async () => {
    await signIn(agent('x', '630102'));
    await ready('x');
    const call = newCall();
    await router.enqueue(call);
    await router.settled();
    expect(offeredTo(call.id)).toBe('x');
    await router.callerHangup(call.id);
    expect(state().agent('x')).toMatchObject({ state: 'ready', callId: null, offerId: null });
  });

  it('abandons, not answers, a call whose caller left after the accept but before the bridge, and frees the agent at once', async () => {
    await signIn(agent('x', '630102'));
    await ready('x');
    const call = newCall();
    await router.enqueue(call);
    await router.settled();
    clock.advance(10);
    expect(await router.accept('x', state().agent('x')!.offerId!)).toEqual({ ok: true });
    clock.advance(20);
    // The phone system learnt it late: the caller had gone 15 s ago, 5 s after the accept.
    const leftAt = clock.now() - 15_000;
    expect(await router.callerHangup(call.id, { at: leftAt, bridged: false })).toEqual({ ok: true });
    expect(state().call(call.id)).toBeUndefined();
    expect(state().agent('x')).toMatchObject({ state: 'ready', callId: null, handleStart: null });
    const events = env.nodes[0]!.events;
    expect(events.find((e) => e.type === 'call.left')).toMatchObject({ outcome: 'abandoned', waitedMs: 15_000, at: leftAt, call: { status: 'connected', agentId: 'x' } });
    expect(events.some((e) => e.type === 'call.ended')).toBe(false);
    // Nothing was talked, so nothing feeds the handle-time average.
    await router.store.refresh(['m:stats']);
    expect(state().stats()).toBeNull();
  });

  it('ends a bridged call as answered with its talk time up to when the caller left', async () => {
    await signIn(agent('x', '630102'));
    await ready('x');
    const call = newCall();
    await router.enqueue(call);
    await router.settled();
    expect(await router.accept('x', state().agent('x')!.offerId!)).toEqual({ ok: true });
    clock.advance(100);
    expect(await router.callerHangup(call.id, { at: clock.now() - 40_000, bridged: true })).toEqual({ ok: true });
    expect(state().agent('x')).toMatchObject({ state: 'wrap_up' });
    expect(env.nodes[0]!.events.find((e) => e.type === 'call.ended')).toMatchObject({ talkMs: 60_000, at: clock.now() - 40_000 });
  });

  it('counts the answer from when the phone system reported the bridge, not from when the step ran', async () => {
    await signIn(agent('x', '630102'));
    await ready('x');
    const call = newCall();
    await router.enqueue(call);
    await router.settled();
    expect(await router.accept('x', state().agent('x')!.offerId!)).toEqual({ ok: true });
    const acceptedAt = clock.now();
    clock.advance(6);
    // Reported 2 s after the accept; the step ran 4 s later, behind the call's other work.
    expect(await router.bridged(call.id, acceptedAt + 2_000)).toEqual({ ok: true });
    expect(state().call(call.id)).toMatchObject({ answeredAt: acceptedAt + 2_000 });
    expect(env.nodes[0]!.events.find((e) => e.type === 'call.bridged')).toMatchObject({ first: true, call: { answeredAt: acceptedAt + 2_000 } });
    clock.advance(10);
    expect(await router.agentHangup('x', call.id)).toEqual({ ok: true });
    expect(env.nodes[0]!.events.find((e) => e.type === 'call.ended')).toMatchObject({ talkMs: 14_000 });
  });

  it('connects on accept, wraps up after hang-up, and is ready again when wrap-up ends', async () => {
    await signIn(agent('x', '630102'));
    await ready('x');
    const call = newCall();
    await router.enqueue(call);
    await router.settled();
    const offerId = state().agent('x')!.offerId!;
    expect(await router.accept('x', 'not-the-offer')).toMatchObject({ ok: false });
    expect(await router.accept('x', offerId)).toEqual({ ok: true });
    expect(state().call(call.id)).toMatchObject({ status: 'connected', agentId: 'x' });
    clock.advance(300);
    expect(await router.agentHangup('x', call.id)).toEqual({ ok: true });
    expect(state().agent('x')).toMatchObject({ state: 'wrap_up' });
    await later(DEFAULT_ROUTING.wrapUpSeconds);
    expect(state().agent('x')).toMatchObject({ state: 'ready' });
    await router.store.refresh(['m:stats']); // a replica re-reads the shared average in the background
    expect(state().stats()!.handleMs).toBe((300 + DEFAULT_ROUTING.wrapUpSeconds) * 1000);
  });

  it('keeps a call with its agent while an outside number rings: back to them when it fails, ended as answered when it answers', async () => {
    await signIn(agent('x', '630102'), agent('y', '630102'));
    await ready('x');
    const call = newCall();
    await router.enqueue(call);
    await router.settled();
    expect(await router.accept('x', state().agent('x')!.offerId!)).toEqual({ ok: true });
    expect(await router.forward('y', call.id, '09716111111')).toMatchObject({ ok: false });
    expect(await router.forward('x', call.id, '09716111111')).toEqual({ ok: true });
    expect(await router.forward('x', call.id, '09716111112')).toMatchObject({ ok: false });
    expect(state().call(call.id)).toMatchObject({ status: 'connected', agentId: 'x', forwardTo: '09716111111' });
    expect(state().agent('x')).toMatchObject({ state: 'on_call', callId: call.id });
    // Nothing else moves the call meanwhile.
    expect(await router.transfer('x', call.id, { region: '630100' })).toMatchObject({ ok: false });

    expect(await router.forwardFailed(call.id, 'busy', '17')).toEqual({ ok: true });
    expect(state().call(call.id)).toMatchObject({ status: 'connected', agentId: 'x', forwardTo: null });
    expect(state().agent('x')).toMatchObject({ state: 'on_call', callId: call.id });
    expect(env.nodes[0]!.events.find((e) => e.type === 'call.forward_failed')).toMatchObject({ agentId: 'x', number: '09716111111', status: 'busy', cause: '17' });
    expect(await router.forwardAnswered(call.id)).toMatchObject({ ok: false });

    expect(await router.forward('x', call.id, '09716111112')).toEqual({ ok: true });
    clock.advance(30);
    expect(await router.forwardAnswered(call.id)).toEqual({ ok: true });
    expect(state().call(call.id)).toBeUndefined();
    expect(state().agent('x')).toMatchObject({ state: 'wrap_up' });
    expect(env.nodes[0]!.events.find((e) => e.type === 'call.ended')).toMatchObject({ agentId: 'x', call: { forwardTo: '09716111112' } });
  });

  it('sets a declining agent aside and alerts when several agents miss the same call', async () => {
    await signIn(agent('a', '630102'), agent('b', '630102'), agent('c', '630102'));
    const call = newCall();
    await router.enqueue(call);
    for (const id of ['a', 'b', 'c']) {
      await ready(id);
      const offerId = state().agent(id)!.offerId!;
      expect(await router.decline(id, offerId)).toEqual({ ok: true });
      await router.settled();
      // Declined at the desk, not missed: the agent's status says which.
      expect(state().agent(id)).toMatchObject({ state: 'not_ready', reason: 'declined' });
    }
    expect(env.nodes[0]!.events.filter((e) => e.type === 'alert.missed')).toHaveLength(1);
  });

  it('refuses a call beyond the queue size limit', async () => {
    const small = await makeNodes(open, 1, clock, { ...TEST_ROUTING, maxQueueSize: 2 });
    try {
      const r = small.nodes[0]!.router;
      expect((await r.enqueue(newCall())).status).toBe('queued');
      expect((await r.enqueue(newCall())).status).toBe('queued');
      expect(await r.enqueue(newCall())).toEqual({ status: 'rejected', reason: 'queue_full' });
    } finally {
      await small.close();
    }
  });

  it('takes a caller who waited past the limit out of the queue', async () => {
    const call = newCall();
    await router.enqueue(call);
    await later(DEFAULT_ROUTING.maxWaitSeconds);
    expect(state().call(call.id)).toBeUndefined();
    expect(env.nodes[0]!.events.find((e) => e.type === 'call.left')).toMatchObject({ outcome: 'timeout' });
  });

  it('routes a callback attempt at raised priority, ahead of callers already waiting, and never times it out', async () => {
    await signIn(agent('x', '630102'));
    const waiting = newCall();
    await router.enqueue(waiting);
    const asked = newCall();
    await router.enqueue(asked);
    expect((await router.requestCallback(asked.id)).ok).toBe(true);
    expect(state().call(asked.id)).toBeUndefined();
    expect(env.nodes[0]!.events.find((e) => e.type === 'call.left' && e.call.id === asked.id)).toMatchObject({ outcome: 'callback' });

    // The callbacks clock queues an attempt when the callback is due (src/callbacks).
    const attempt = randomUUID();
    expect((await router.enqueueCallback({ id: attempt, origin: 'cb-1', regionCode: asked.regionCode, language: asked.language, topic: asked.topic, priority: 0 })).ok).toBe(true);
    expect((await router.enqueueCallback({ id: attempt, origin: 'cb-1', regionCode: asked.regionCode, language: asked.language, topic: asked.topic, priority: 0 })).ok).toBe(false);
    expect(state().call(attempt)).toMatchObject({ status: 'waiting', kind: 'callback', origin: 'cb-1', priority: DEFAULT_ROUTING.callbackPriorityBoost });

    // Nobody holds the line for a callback: the wait limit that ends a caller's wait does not apply.
    await later(DEFAULT_ROUTING.maxWaitSeconds + 60);
    expect(state().call(waiting.id)).toBeUndefined();
    expect(state().call(attempt)).toMatchObject({ status: 'waiting' });
    await ready('x');
    expect(offeredTo(attempt)).toBe('x');
  });

  it('withdraws a callback attempt nobody has taken, and only a callback', async () => {
    const call = newCall();
    await router.enqueue(call);
    const attempt = randomUUID();
    await router.enqueueCallback({ id: attempt, origin: 'cb-2', regionCode: call.regionCode, language: call.language, topic: call.topic, priority: 0 });
    expect((await router.withdraw(call.id)).ok).toBe(false);
    expect((await router.withdraw(attempt)).ok).toBe(true);
    expect(state().call(attempt)).toBeUndefined();
    expect(env.nodes[0]!.events.find((e) => e.type === 'call.left' && e.call.id === attempt)).toMatchObject({ outcome: 'withdrawn' });
  });

  it('logs out an agent whose session lapsed and gives their ringing call to someone else', async () => {
    const strict = await makeNodes(open, 1, clock, { ...TEST_ROUTING, presenceGraceSeconds: 30, offerTimeoutSeconds: 60 });
    try {
      const r = strict.nodes[0]!.router;
      await r.login(agent('gone', '630102'));
      await r.login(agent('here', '630102'));
      await r.setReady('gone');
      const call = newCall();
      await r.enqueue(call);
      await r.settled();
      expect(r.store.state.call(call.id)!.agentId).toBe('gone');
      clock.advance(25);
      await r.heartbeat('here');
      await r.setReady('here');
      clock.advance(5);
      await r.processDue();
      expect(r.store.state.agent('gone')!.state).toBe('offline');
      expect(r.store.state.call(call.id)).toMatchObject({ status: 'offered', agentId: 'here' });
    } finally {
      await strict.close();
    }
  });

  it('estimates the wait from staffed agents and handle time', async () => {
    await signIn(agent('a', '630102'), agent('b', '630102'));
    await ready('a', 'b');
    const calls = [newCall(), newCall(), newCall(), newCall()];
    for (const c of calls) {
      await router.enqueue(c);
      clock.advance(1);
    }
    await router.settled();
    // Two offered; the next two wait with both agents busy.
    const e = router.estimate(calls[3]!.id)!;
    expect(e.position).toBe(1);
    expect(e.staffed).toBe(2);
    expect(e.estimatedWaitSeconds).toBe(Math.round((2 * DEFAULT_ROUTING.defaultHandleSeconds) / 2));
  });
}

/** Two nodes on one store: what one does, the other sees, and no call is offered twice. */
export function multiNodeContract(open: OpenStores): void {
  it('never offers a call to two agents, nor two calls to one agent, when nodes race', async () => {
    const clock = new ManualClock();
    const env = await makeNodes(open, 2, clock);
    try {
      const [a, b] = env.nodes.map((n) => n.router) as [Router, Router];
      const agents = Array.from({ length: 30 }, (_, i) => agent(`agent-${i}`, '630102'));
      for (const p of agents) await a.login(p);
      const calls = Array.from({ length: 30 }, () => newCall());
      // Calls arrive on both nodes while agents go ready on both.
      await Promise.all([
        ...calls.map((c, i) => (i % 2 ? a : b).enqueue(c)),
        ...agents.map((p, i) => (i % 2 ? b : a).setReady(p.id).catch(() => undefined)),
      ]);
      // No sweep runs here: each node matches on what it hears from the other.
      const allOffered = () => calls.every((c) => a.store.state.call(c.id)?.status === 'offered');
      expect(await eventually(async () => {
        await Promise.all([a.settled(), b.settled()]);
        return allOffered();
      }, 3_000)).toBe(true);
      await a.store.refresh([...calls.map((c) => `c:${c.id}`), ...agents.map((p) => `a:${p.id}`)]);

      const holders = new Map<string, string>();
      for (const c of calls) {
        const call = a.store.state.call(c.id)!;
        expect(call.status).toBe('offered');
        expect(holders.has(call.agentId!)).toBe(false);
        holders.set(call.agentId!, call.id);
        expect(a.store.state.agent(call.agentId!)!.callId).toBe(call.id);
      }
      expect(holders.size).toBe(30);
    } finally {
      await env.close();
    }
  });

  it('hands each due deadline to exactly one node', async () => {
    const clock = new ManualClock();
    const env = await makeNodes(open, 2, clock);
    try {
      const [a, b] = env.nodes.map((n) => n.router) as [Router, Router];
      const calls = Array.from({ length: 20 }, () => newCall());
      for (const c of calls) await a.enqueue(c);
      clock.advance(DEFAULT_ROUTING.maxWaitSeconds);
      const [x, y] = await Promise.all([a.store.claimDue(clock.now(), 1000), b.store.claimDue(clock.now(), 1000)]);
      const maxWait = [...x, ...y].filter((k) => k.startsWith('maxwait:'));
      expect(maxWait).toHaveLength(20);
      expect(new Set(maxWait).size).toBe(20);
    } finally {
      await env.close();
    }
  });
}
