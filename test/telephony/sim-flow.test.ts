import { simFlowSuite } from './sim-flow.suite';

simFlowSuite('simulated calls through the call flow (in-process live state)', () => ({}));
