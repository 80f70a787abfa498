import { sipPassword } from '../../src/telephony/asterisk/sip-password';
import { pjsipAgentBlocks } from '../../src/telephony/asterisk/pjsip-agents';

describe('pjsip blocks for agents', () => {
  it("writes each agent's endpoint with the same password their softphone page is given", () => {
    const conf = pjsipAgentBlocks(['agent.xining1'], 'a-secret-of-sixteen-chars');
    expect(conf).toContain('[agent.xining1](agent-endpoint)');
    expect(conf).toContain(`password = ${sipPassword('a-secret-of-sixteen-chars', 'agent.xining1')}`);
    expect(sipPassword('a-secret-of-sixteen-chars', 'agent.xining1')).not.toBe(sipPassword('another-secret-sixteen', 'agent.xining1'));
  });

  it('leaves out a name that could break out of its section', () => {
    const conf = pjsipAgentBlocks(['ok.agent', 'bad]\n[admin'], 'a-secret-of-sixteen-chars');
    expect(conf).toContain('[ok.agent](agent-endpoint)');
    expect(conf).not.toContain('[admin');
    expect(conf).toContain('; skipped');
  });
});
