import { twilioFlowSuite } from './twilio-flow.suite';

twilioFlowSuite('Twilio calls through the call flow', () => ({}));
