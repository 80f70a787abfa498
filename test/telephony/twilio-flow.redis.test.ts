import { ownRedisNamespace } from '../support/redis-namespace';
import { twilioFlowSuite } from './twilio-flow.suite';

// The same calls with the live state and the call flow's state in the real Redis: what several
// nodes behind a load balancer share, so that any of them can answer a webhook.
twilioFlowSuite('Twilio calls through the call flow (Redis live state)', ownRedisNamespace());
