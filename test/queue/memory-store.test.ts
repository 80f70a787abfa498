import { MemoryLiveStore } from '../../src/queue/memory-store';
import { legsContract } from './legs.contract';
import { multiNodeContract, routingContract } from './routing.contract';

// One in-process store is the whole deployment: "n nodes" share it.
const open = async (n: number) => {
  const store = new MemoryLiveStore();
  return { stores: Array.from({ length: n }, () => store), cleanup: async () => {} };
};

describe('routing on the in-process store', () => {
  routingContract(open);
  multiNodeContract(open);
  legsContract(open);
});
