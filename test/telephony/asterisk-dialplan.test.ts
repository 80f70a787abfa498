import type { Action } from '../../src/telephony/driver';
import { dialString, DialTargetError, render } from '../../src/telephony/asterisk/dialplan';
import type { Prompt } from '../../src/telephony/prompts';

/** What the driver asks the dialplan to do for each kind of action (src/telephony/asterisk/dialplan.ts). */
describe('rendering call-flow actions for the dialplan', () => {
  const prompt = (key: Prompt['key'], language: string, extra: Partial<Prompt> = {}): Prompt => ({ key, language, text: null, audio: `hotline/${language}/${key}`, ...extra });
  const options = { callId: '0b8f7a52-5d1e-4a63-9a43-1c2d3e4f5a6b', agentDial: 'PJSIP/{agent}' };

  it('plays menu prompts with Read and leaves numbers out', () => {
    const action: Action = { type: 'menu', step: 3, menu: 'topic', prompts: [prompt('invalid', 'bo'), prompt('topic_menu', 'bo')], timeoutSeconds: 6 };
    expect(render(action, options)).toEqual({
      context: 'hotline-menu',
      silent: [],
      variables: { HOTLINE_STEP: '3', HOTLINE_PROMPTS: 'hotline/bo/invalid&hotline/bo/topic_menu', HOTLINE_MENU: 'topic', HOTLINE_TIMEOUT: '6' },
    });
  });

  it('says the queue position and wait as numbers in the language of that prompt', () => {
    const action: Action = {
      type: 'hold',
      step: 7,
      prompts: [prompt('queued', 'bo'), prompt('position', 'zh', { numbers: [3, 2] }), prompt('callback_offer', 'bo')],
      music: 'https://example.org/hold.mp3',
      announceSeconds: 45,
      acceptsKey: true,
    };
    expect(render(action, options).variables).toEqual({
      HOTLINE_STEP: '7',
      HOTLINE_PROMPTS: 'hotline/bo/queued&hotline/zh/position&#3&#2&hotline/bo/callback_offer',
      HOTLINE_LANG: 'zh',
      // A URL is hold music for Twilio, not an Asterisk class.
      HOTLINE_MUSIC: 'default',
      HOTLINE_ANNOUNCE: '45',
      HOTLINE_KEYS: '1',
    });
  });

  it('dials the agent by sign-in name and names the recording after the call and step', () => {
    const action: Action = { type: 'connect', step: 9, prompts: [], agent: { id: 'a1', username: 'agent.xining-1' }, record: true };
    expect(render(action, { ...options, agentDial: 'PJSIP/{agent}&PJSIP/{agent}-desk' }).variables).toMatchObject({
      HOTLINE_DIAL: 'PJSIP/agent.xining-1&PJSIP/agent.xining-1-desk',
      HOTLINE_RECORDING: `hotline/${options.callId}-9.wav`,
    });
  });

  it('forwards to an outside number through the forward context, digits only', () => {
    const plan = render({ type: 'forward', step: 14, prompts: [], number: '09716111111' }, { callId: 'c-1', agentDial: 'PJSIP/{agent}' });
    expect(plan).toMatchObject({ context: 'hotline-forward', variables: { HOTLINE_FORWARD: '09716111111', HOTLINE_STEP: '14' } });
    expect(() => render({ type: 'forward', step: 14, prompts: [], number: '0971\r\nAction: Originate' }, { callId: 'c-1', agentDial: 'PJSIP/{agent}' })).toThrow(/not a number/);
  });

  it('refuses agent names that would change the dial string', () => {
    for (const name of ['agent,1', 'agent&PJSIP/boss', 'agent)', 'agent 1', '']) {
      expect(() => dialString('PJSIP/{agent}', name)).toThrow(DialTargetError);
    }
  });

  it('sends the goodbye prompts and names prompts that have no sound file', () => {
    const textOnly = prompt('goodbye', 'en', { audio: null, text: 'Goodbye.' });
    const odd = prompt('survey_thanks', 'zh', { audio: 'hotline/zh/x,Hangup()' });
    const rendered = render({ type: 'hangup', step: 12, prompts: [prompt('survey_thanks', 'zh'), textOnly, odd] }, options);
    expect(rendered.context).toBe('hotline-bye');
    expect(rendered.variables.HOTLINE_PROMPTS).toBe('hotline/zh/survey_thanks');
    expect(rendered.silent).toEqual([textOnly, odd]);
  });
});
