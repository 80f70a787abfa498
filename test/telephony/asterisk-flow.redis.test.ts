import { ownRedisNamespace } from '../support/redis-namespace';
import { asteriskFlowSuite } from './asterisk-flow.suite';

// The same calls with the live state, the call flow's state and the AMI lease in the real Redis.
asteriskFlowSuite('calls through Asterisk (AMI), Redis live state and lease', ownRedisNamespace());
