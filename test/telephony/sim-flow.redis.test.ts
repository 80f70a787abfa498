import { ownRedisNamespace } from '../support/redis-namespace';
import { simFlowSuite } from './sim-flow.suite';

// The same calls with the live state and the call flow's state in the real Redis.
simFlowSuite('simulated calls through the call flow (Redis live state)', ownRedisNamespace());
