import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generatedVoiceTexts, missingRecordings } from '../../src/telephony/asterisk/prompt-files';
import { readProvinceFile } from '../../src/province/bundled';
import { regionDirectoryFromEntries } from '../../src/regions/region-directory';
import { DEFAULT_IVR, ivrSettings } from '../../src/telephony/ivr';
import { defaultCatalogue } from '../../src/telephony/prompts';

describe('prompt files for Asterisk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotline-sounds-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('speaks the topic menu as the settings have it, each region menu with its place names, and no placeholder', async () => {
    const province = await readProvinceFile(path.join(__dirname, '..', '..', 'provinces', '630000-qinghai.json'));
    const regions = regionDirectoryFromEntries('630000', province.regions);
    const texts = generatedVoiceTexts(defaultCatalogue(), { ...DEFAULT_IVR, topicKeys: { '1': 'labour', '0': 'other' } }, regions);
    expect(texts.topic_menu).toBe('劳动争议请按1，其他请按0。');
    // Xining's districts, in the order the call flow offers them, and "anywhere else" last.
    expect(texts.region_menu_630100).toMatch(/^城东区请按1，城中区请按2，.*其他地区请按0。$/);
    expect(texts.region_menu_630000).toMatch(/^西宁市请按1，海东市请按2，/);
    // A county has nothing to choose from: no menu of its own.
    expect(texts.region_menu_630102).toBeUndefined();
    for (const text of Object.values(texts)) expect(text).not.toMatch(/[{}]/);
    // The recording notice is in the welcome: no prompt stands between the queue and the agent.
    expect(texts.welcome).toBe('您好，欢迎致电12348公共法律服务热线。为保证服务质量，您的通话将被录音。');
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

describe('IVR settings saved before a prompt was retired', () => {
  it("still load: a stored override of the retired 'connecting' prompt is dropped, the others kept", () => {
    const stored = { ivr: { prompts: { zh: { connecting: { text: '正在为您接通。' }, goodbye: { text: '再见。' } } } } };
    const ivr = ivrSettings(stored, '630000');
    expect(ivr.prompts?.zh).toEqual({ goodbye: { text: '再见。' } });
    // An unknown key that was never a prompt is still refused, naming it.
    expect(() => ivrSettings({ ivr: { prompts: { zh: { conecting: { text: 'x' } } } } }, '630000')).toThrow(/ivr\.prompts\.zh/);
  });
});
