import fs from 'node:fs/promises';
import path from 'node:path';
import type { RegionDirectory } from '../../regions/region-directory';
import { type IvrSettings, Menus } from '../ivr';
import { PROMPT_KEYS, type PromptCatalogue, type PromptKey } from '../prompts';
import { regionMenuSound } from './dialplan';
import { LANGUAGES, TOPICS } from '../../queue/skills';

/** Sound formats Asterisk plays from the hotline's folders (format_wav, format_gsm, format_pcm, format_sln). */
const EXTENSIONS = ['wav', 'gsm', 'ulaw', 'alaw', 'sln', 'sln16', 'wav16'];

/**
 * Mandarin texts for the generated voice, by sound name: the catalogue's, with the topic menu
 * spelt out from the settings, and one region menu per region with districts to choose from
 * (`region_menu_<code>`, naming them: a place name cannot be said from a fixed recording). Numbers
 * are said by Asterisk after a prompt (SayNumber), so the position prompt is worded to lead into them.
 */
export function generatedVoiceTexts(catalogue: PromptCatalogue, ivr: IvrSettings, regions: RegionDirectory): Record<string, string> {
  const menus = new Menus(ivr, [], regions);
  const texts: Record<string, string> = {};
  for (const key of PROMPT_KEYS) {
    let text = catalogue.zh?.[key]?.text;
    if (!text) continue;
    if (key === 'topic_menu') text = menus.describe(menus.topicOptions(), 'zh');
    if (key === 'position') text = '您前面的来电数和预计等待的分钟数是：';
    if (key === 'region_menu') text = '请按您所在地区对应的按键，其他地区请按0。';
    // Values filled in at run time (hours, names) cannot be in a fixed file.
    texts[key] = text.replace(/\{\w+\}/g, '');
  }
  const template = catalogue.zh?.region_menu?.text ?? '{options}';
  for (const region of regions.all()) {
    const options = menus.regionOptions(region.code);
    if (options.length > 0) texts[regionMenuSound(region.code)] = template.replace('{options}', menus.describe(options, 'zh', true)).replace(/\{\w+\}/g, '');
  }
  Object.assign(texts, seatVoiceTexts(regions));
  return texts;
}

/**
 * What a remote seat's phone says (Mandarin only: the lawyers are the hotline's staff), by sound
 * name: the opening, each region, language and topic by name, and the key to press.
 */
export function seatVoiceTexts(regions: RegionDirectory): Record<string, string> {
  const texts: Record<string, string> = { seat_offer: '12348热线来电。', seat_press: '接听请按1，拒接请按其他键。' };
  for (const region of regions.all()) texts[`seat_region_${region.code}`] = `地区：${[...regions.lineage(region.code)].reverse().filter((r) => r.level !== 'province').map((r) => r.nameZh).join('') || region.nameZh}。`;
  for (const [code, label] of Object.entries(LANGUAGES)) texts[`seat_language_${code}`] = `语言：${label.zh}。`;
  for (const [code, label] of Object.entries(TOPICS)) texts[`seat_topic_${code}`] = `咨询类别：${label.zh}。`;
  return texts;
}

/**
 * Per language, the sounds the catalogue plays from a file that `dir/hotline/<language>/` does not
 * hold; for Mandarin also the per-region menus (other languages fall back to them).
 */
export async function missingRecordings(dir: string, catalogue: PromptCatalogue, languages: readonly string[], regionMenus: readonly string[] = []): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const language of languages) {
    const folder = path.join(dir, 'hotline', language);
    const present = new Set((await fs.readdir(folder).catch(() => [] as string[])).filter((f) => EXTENSIONS.includes(path.extname(f).slice(1))).map((f) => path.basename(f, path.extname(f))));
    // A language without entries of its own plays Mandarin's names in its folder.
    const entries = catalogue[language] ?? catalogue.zh ?? {};
    const wanted: string[] = PROMPT_KEYS.filter((k: PromptKey) => entries[k]?.audio === `hotline/${language}/${k}`);
    if (language === 'zh') wanted.push(...regionMenus);
    out[language] = wanted.filter((k) => !present.has(k));
  }
  return out;
}
