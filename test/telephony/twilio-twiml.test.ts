import { ConfigError, parseConfig } from '../../src/config/config';
import type { Action } from '../../src/telephony/driver';
import type { Prompt } from '../../src/telephony/prompts';
import { Twiml } from '../../src/telephony/twilio/twiml';
import { child, parseTwiml, verbs } from '../support/fake-twilio';

const twiml = new Twiml({
  publicBaseUrl: 'https://hotline.example.cn',
  audioBaseUrl: 'https://cdn.example.cn/ivr',
  voices: { zh: 'Polly.Zhiyu', en: null },
  dialTimeoutSeconds: 20,
  holdMusic: 'default',
});
const prompt = (key: Prompt['key'], language: string, text: string | null, audio: string | null): Prompt => ({ key, language, text, audio });
const CALL = '3f1c2a4e-0000-4000-8000-000000000001';
const render = (action: Action, via: 'webhook' | 'rest' = 'webhook') => parseTwiml(twiml.render(CALL, action, via));

describe('TwiML for each action', () => {
  it('says Mandarin as zh-CN (with the configured voice) and English as en-US; plays recordings otherwise', () => {
    const doc = render({
      type: 'hangup',
      step: 9,
      prompts: [prompt('goodbye', 'zh', '再见', 'hotline/zh/goodbye'), prompt('goodbye', 'en', 'Goodbye', 'hotline/en/goodbye'), prompt('goodbye', 'mn', null, 'hotline/mn/goodbye')],
    });
    expect(verbs(doc)).toEqual(['Say', 'Say', 'Play', 'Hangup']);
    expect(doc.children[0]!.attrs).toEqual({ language: 'zh-CN', voice: 'Polly.Zhiyu' });
    expect(doc.children[1]!.attrs).toEqual({ language: 'en-US' });
    expect(doc.children[2]!.text).toBe('https://cdn.example.cn/ivr/hotline/mn/goodbye.mp3');
  });

  it('holds without a <Gather> when no key is offered, and with one when the callback is', () => {
    const hold = (acceptsKey: boolean) => render({ type: 'hold', step: 5, prompts: [prompt('no_estimate', 'zh', '请耐心等待', null)], music: 'https://music.example.cn/calm.mp3', announceSeconds: 45, acceptsKey });
    const plain = hold(false);
    expect(verbs(plain)).toEqual(['Say', 'Play', 'Redirect']);
    expect(child(plain, 'Play').text).toBe('https://music.example.cn/calm.mp3');
    const offered = hold(true);
    expect(verbs(offered)).toEqual(['Gather', 'Redirect']);
    expect(verbs(child(offered, 'Gather'))).toEqual(['Say', 'Play']);
    expect(child(offered, 'Gather').attrs).toMatchObject({ numDigits: '1', action: 'https://hotline.example.cn/telephony/twilio/hold?call=3f1c2a4e-0000-4000-8000-000000000001&step=5' });
    expect(child(offered, 'Redirect').text).toBe(child(offered, 'Gather').attrs.action);
  });

  it('puts the caller in a conference only in a REST update; a webhook meeting a connect keeps the caller on hold music', () => {
    const connect: Action = { type: 'connect', step: 6, prompts: [prompt('transferring', 'zh', '正在为您转接', null)], agent: { id: 'a1', username: 'agent.xining' }, record: true };
    const rest = render(connect, 'rest');
    expect(verbs(rest)).toEqual(['Say', 'Dial']);
    // Into the call's own conference (the agent is rung into it by REST), recorded as a whole.
    expect(child(rest, 'Dial').attrs).toEqual({ action: `https://hotline.example.cn/telephony/twilio/dial?call=${CALL}&step=6`, method: 'POST' });
    const room = child(child(rest, 'Dial'), 'Conference');
    expect(room.text).toBe(`hotline-${CALL}`);
    expect(room.attrs).toMatchObject({ startConferenceOnEnter: 'false', endConferenceOnExit: 'true', waitUrl: 'https://cdn.example.cn/ivr/moh/default.mp3', record: 'record-from-start', recordingStatusCallbackEvent: 'completed absent' });
    const webhook = render(connect, 'webhook');
    expect(verbs(webhook)).toEqual(['Play', 'Redirect']);
    expect(child(webhook, 'Play').text).toBe('https://cdn.example.cn/ivr/moh/default.mp3');
  });

  it('puts a forwarded caller through to the outside number after the prompt, hearing of its answer and of how the dial ended', () => {
    const doc = render({ type: 'forward', step: 12, prompts: [prompt('forwarding', 'zh', '正在为您转接相关单位', null)], number: '09716111111' }, 'rest');
    expect(verbs(doc)).toEqual(['Say', 'Dial']);
    expect(child(doc, 'Dial').attrs).toMatchObject({ action: `https://hotline.example.cn/telephony/twilio/forward?call=${CALL}&step=12`, timeout: '60' });
    const number = child(child(doc, 'Dial'), 'Number');
    expect(number.text).toBe('09716111111');
    expect(number.attrs).toMatchObject({ statusCallback: `https://hotline.example.cn/telephony/twilio/status?call=${CALL}&leg=forward&step=12`, statusCallbackEvent: 'answered' });
  });

  it('gives each call its own URLs when the same menu is rendered for many calls', () => {
    const menu = (step: number): Action => ({ type: 'menu', step, menu: 'language', prompts: [prompt('language_menu', 'zh', '普通话请按1', null)], timeoutSeconds: 6 });
    const a = parseTwiml(twiml.render('11111111-1111-4111-8111-111111111111', menu(1), 'webhook'));
    const b = parseTwiml(twiml.render('22222222-2222-4222-8222-222222222222', menu(7), 'webhook'));
    expect(child(a, 'Gather').attrs).toMatchObject({ action: 'https://hotline.example.cn/telephony/twilio/gather?call=11111111-1111-4111-8111-111111111111&step=1', timeout: '6' });
    expect(child(b, 'Redirect').text).toBe('https://hotline.example.cn/telephony/twilio/gather?call=22222222-2222-4222-8222-222222222222&step=7');
    expect(child(child(b, 'Gather'), 'Say').text).toBe('普通话请按1');
  });

  it('escapes what it says', () => {
    const xml = twiml.render('c', { type: 'hangup', step: 1, prompts: [prompt('goodbye', 'zh', '<Hangup/> & "x"', null)] }, 'webhook');
    expect(child(parseTwiml(xml), 'Say').text).toBe('<Hangup/> & "x"');
    expect(verbs(parseTwiml(xml))).toEqual(['Say', 'Hangup']);
  });
});

describe('Twilio configuration', () => {
  const base = { TELEPHONY: 'twilio', TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'token', PUBLIC_BASE_URL: 'https://hotline.example.cn/' };

  it('derives the audio base from PUBLIC_BASE_URL and reads the REST base, voices and timeout', () => {
    expect(parseConfig(base).twilio).toMatchObject({ audioBaseUrl: 'https://hotline.example.cn/audio', apiBaseUrl: null, voices: { zh: null, en: null }, restTimeoutMs: 5000 });
    const config = parseConfig({ ...base, TWILIO_API_BASE_URL: 'http://127.0.0.1:9999/', TWILIO_AUDIO_BASE_URL: 'https://cdn.example.cn/ivr/', TWILIO_VOICE_ZH: 'Polly.Zhiyu', TWILIO_REST_TIMEOUT_MS: '800' });
    expect(config.twilio).toMatchObject({ apiBaseUrl: 'http://127.0.0.1:9999', audioBaseUrl: 'https://cdn.example.cn/ivr', voices: { zh: 'Polly.Zhiyu', en: null }, restTimeoutMs: 800 });
  });

  it.each([
    [{ TWILIO_API_BASE_URL: 'api.twilio.local' }, /TWILIO_API_BASE_URL: must be an http/],
    [{ TWILIO_AUDIO_BASE_URL: 'ftp://cdn/x' }, /TWILIO_AUDIO_BASE_URL: must be an http/],
    [{ TWILIO_VOICE_ZH: 'Polly Zhiyu<script>' }, /TWILIO_VOICE_ZH: must be a Twilio voice name/],
    [{ TWILIO_REST_TIMEOUT_MS: '0' }, /TWILIO_REST_TIMEOUT_MS/],
    [{ TWILIO_API_KEY: `SK${'b'.repeat(32)}` }, /TWILIO_API_SECRET: is required when TWILIO_API_KEY is set/],
    [{ TWILIO_API_SECRET: 'secret' }, /TWILIO_API_KEY: is required when TWILIO_API_SECRET is set/],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => parseConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => parseConfig({ ...base, ...env })).toThrow(message);
  });
});
