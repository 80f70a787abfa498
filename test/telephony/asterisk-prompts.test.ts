import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generatedVoiceTexts, missingRecordings } from '../../src/telephony/asterisk/prompt-files';
import { DEFAULT_IVR } from '../../src/telephony/ivr';
import { defaultCatalogue } from '../../src/telephony/prompts';

describe('prompt files for Asterisk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotline-sounds-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('speaks the topic menu as the settings have it, and no placeholder is read out', () => {
    const texts = generatedVoiceTexts(defaultCatalogue(), { ...DEFAULT_IVR, topicKeys: { '1': 'labour', '0': 'other' } });
    expect(texts.topic_menu).toBe('劳动争议请按1，其他请按0，');
    for (const text of Object.values(texts)) expect(text).not.toMatch(/[{}]/);
    expect(texts.welcome).toBe('您好，欢迎致电12348公共法律服务热线。');
  });

  it('lists, per language, the recordings not yet in the folder', async () => {
    await fs.mkdir(path.join(dir, 'hotline', 'bo'), { recursive: true });
    await fs.writeFile(path.join(dir, 'hotline', 'bo', 'welcome.wav'), '');
    await fs.writeFile(path.join(dir, 'hotline', 'bo', 'topic_menu.gsm'), '');
    await fs.writeFile(path.join(dir, 'hotline', 'bo', 'notes.txt'), '');
    const missing = await missingRecordings(dir, defaultCatalogue(), ['zh', 'bo']);
    expect(missing.bo).not.toContain('welcome');
    expect(missing.bo).not.toContain('topic_menu');
    expect(missing.bo).toContain('language_menu');
    // Tibetan has no recording of the position prompt in the catalogue: it plays Mandarin's.
    expect(missing.bo).not.toContain('position');
    expect(missing.zh).toContain('welcome');
  });
});
