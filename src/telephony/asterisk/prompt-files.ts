import fs from 'node:fs/promises';
import path from 'node:path';
import { type IvrSettings, Menus } from '../ivr';
import { PROMPT_KEYS, type PromptCatalogue, type PromptKey } from '../prompts';
import { regionDirectoryFromEntries } from '../../regions/region-directory';

/** Sound formats Asterisk plays from the hotline's folders (format_wav, format_gsm, format_pcm, format_sln). */
const EXTENSIONS = ['wav', 'gsm', 'ulaw', 'alaw', 'sln', 'sln16', 'wav16'];

/**
 * Mandarin texts for the generated voice: the catalogue's, with the topic menu spelt out from the
 * settings. Numbers are said by Asterisk after a prompt (SayNumber), so the position prompt is
 * worded to lead into them; the region menu cannot name every region in one file.
 */
export function generatedVoiceTexts(catalogue: PromptCatalogue, ivr: IvrSettings): Partial<Record<PromptKey, string>> {
  // Only the topic options are read: a directory of the province alone does.
  const province = { code: '000000', level: 'province' as const, parentCode: null, nameZh: '', namePinyin: '', population2020: null, areaCode: null, formerCodes: [] };
  const menus = new Menus(ivr, [], regionDirectoryFromEntries('000000', [province]));
  const texts: Partial<Record<PromptKey, string>> = {};
  for (const key of PROMPT_KEYS) {
    let text = catalogue.zh?.[key]?.text;
    if (!text) continue;
    if (key === 'topic_menu') text = menus.describe(menus.topicOptions(), 'zh');
    if (key === 'position') text = '您前面的来电数和预计等待的分钟数是：';
    if (key === 'region_menu') text = '请按您所在地区对应的按键，其他地区请按0。';
    // Values filled in at run time (hours, names) cannot be in a fixed file.
    texts[key] = text.replace(/\{\w+\}/g, '');
  }
  return texts;
}

/** Per language, the prompts the catalogue plays from a sound file that `dir/hotline/<language>/` does not hold. */
export async function missingRecordings(dir: string, catalogue: PromptCatalogue, languages: readonly string[]): Promise<Record<string, PromptKey[]>> {
  const out: Record<string, PromptKey[]> = {};
  for (const language of languages) {
    const folder = path.join(dir, 'hotline', language);
    const present = new Set((await fs.readdir(folder).catch(() => [] as string[])).filter((f) => EXTENSIONS.includes(path.extname(f).slice(1))).map((f) => path.basename(f, path.extname(f))));
    // A language without entries of its own plays Mandarin's names in its folder.
    const entries = catalogue[language] ?? catalogue.zh ?? {};
    out[language] = PROMPT_KEYS.filter((k) => entries[k]?.audio === `hotline/${language}/${k}` && !present.has(k));
  }
  return out;
}
