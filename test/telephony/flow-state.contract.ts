import type { FlowState, FlowStateStore } from '../../src/telephony/flow-state';

export type OpenFlowStore = () => Promise<{ stores: [FlowStateStore, FlowStateStore]; cleanup: () => Promise<void> }>;

export const flowState = (callId: string, externalId: string): FlowState => ({
  callId,
  driver: 'twilio',
  externalId,
  step: 3,
  phase: 'menu',
  menu: 'topic',
  attempts: 1,
  language: 'bo',
  topic: null,
  priorityGroup: null,
  priority: 0,
  regionCode: '632700',
  regionSource: 'geocoder',
  regionMenuOf: null,
  historyPriority: 1,
  callbackOffered: false,
  agentId: null,
  ticketId: null,
  forwardTo: null,
  message: null,
  bridged: false,
  held: false,
  arrivedAt: 1_790_000_000_000,
  lastAction: { type: 'menu', step: 3, menu: 'topic', prompts: [], timeoutSeconds: 6 },
  driverData: { lastSequence: 2 },
});

/**
 * What the call flow relies on from wherever its per-call state lives. "Two stores" are two
 * nodes: what one writes the other reads (Redis), or they are one object (in process).
 */
export function flowStateContract(open: OpenFlowStore): void {
  let stores: [FlowStateStore, FlowStateStore];
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ stores, cleanup } = await open());
  });
  afterEach(async () => cleanup());

  it('gives back exactly what was put, on any node, and finds it by the driver’s own call id', async () => {
    const state = flowState('c1', 'CA0001');
    await stores[0].put(state);
    expect(await stores[1].get('c1')).toEqual(state);
    expect(await stores[1].lookup('twilio', 'CA0001')).toBe('c1');
    expect(await stores[1].lookup('asterisk', 'CA0001')).toBeNull();
  });

  it('keeps its own copy: changing an object after putting it changes nothing stored', async () => {
    const state = flowState('c2', 'CA0002');
    await stores[0].put(state);
    state.step = 99;
    const read = (await stores[0].get('c2'))!;
    expect(read.step).toBe(3);
    read.step = 42;
    expect((await stores[0].get('c2'))!.step).toBe(3);
  });

  it('forgets a call once deleted, by id and by external id', async () => {
    const state = flowState('c3', 'CA0003');
    await stores[0].put(state);
    await stores[1].delete(state);
    expect(await stores[0].get('c3')).toBeNull();
    expect(await stores[0].lookup('twilio', 'CA0003')).toBeNull();
  });

  it('answers null for a call it never saw', async () => {
    expect(await stores[0].get('nobody')).toBeNull();
    expect(await stores[0].lookup('twilio', 'CA-none')).toBeNull();
  });
}
