import { MemorySessionBus } from '../../src/agents/gateway/session-bus';
import { sessionBusContract } from './session-bus.contract';

// On one node both "nodes" are the same bus.
sessionBusContract('in-process session bus', async () => {
  const bus = new MemorySessionBus();
  return { a: bus, b: bus, close: () => bus.close() };
});
