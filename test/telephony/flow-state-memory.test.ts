import { MemoryFlowStateStore } from '../../src/telephony/flow-state';
import { flowStateContract } from './flow-state.contract';

describe('call flow state in process', () => {
  flowStateContract(async () => {
    const store = new MemoryFlowStateStore();
    return { stores: [store, store], cleanup: async () => {} };
  });
});
