/**
 * npm run asterisk:prompts -- [--defaults] [--out DIR]
 * Writes the generated Mandarin voice the dialplan falls back to (DIR/hotline/tts/zh/<prompt>.wav,
 * 8 kHz mono, from the province's prompt texts with Debian's espeak-ng and sox), then lists the
 * recordings still missing in DIR/hotline/<language>/ for each of the province's languages:
 * Tibetan and Mongolian have no speech engine here and must be recorded by the province.
 * DIR defaults to ./asterisk-sounds; copy its hotline/ folder into Asterisk's sounds directory.
 * Settings as `npm run asterisk:dialplan` reads them (`--defaults`: the bundled province file).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generatedVoiceTexts, missingRecordings } from '../telephony/asterisk/prompt-files';
import { defaultCatalogue } from '../telephony/prompts';
import { provinceIvr } from './province-ivr';

const run = promisify(execFile);

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function tool(name: string): Promise<void> {
  try {
    await run(name, ['--version']);
  } catch {
    throw new Error(`${name} is not installed: apt-get install espeak-ng sox`);
  }
}

async function main(): Promise<void> {
  const out = path.resolve(option('--out') ?? 'asterisk-sounds');
  const { languages, ivr, regions } = await provinceIvr(process.argv, process.env);
  const catalogue = defaultCatalogue();
  for (const [language, entries] of Object.entries(ivr.prompts ?? {})) catalogue[language] = { ...catalogue[language], ...entries };
  await tool('espeak-ng');
  await tool('sox');

  const texts = generatedVoiceTexts(catalogue, ivr, regions);
  const dir = path.join(out, 'hotline', 'tts', 'zh');
  await fs.mkdir(dir, { recursive: true });
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'hotline-tts-'));
  try {
    for (const [key, text] of Object.entries(texts)) {
      const raw = path.join(scratch, `${key}.wav`);
      await run('espeak-ng', ['-v', 'cmn', '-s', '150', '-w', raw, text]);
      // Asterisk's format_wav plays 8 kHz 16-bit mono; quieter by 3 dB so resampling does not clip.
      await run('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', path.join(dir, `${key}.wav`), 'gain', '-3']);
    }
    process.stdout.write(`generated Mandarin voice: ${Object.keys(texts).length} prompts in ${dir}\n`);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }

  const regionMenus = Object.keys(texts).filter((k) => k.startsWith('region_menu_'));
  const missing = await missingRecordings(out, catalogue, languages, regionMenus);
  for (const language of languages) {
    const gaps = missing[language] ?? [];
    process.stdout.write(
      gaps.length === 0
        ? `${language}: every prompt recorded\n`
        : `${language}: ${gaps.length} recording(s) missing in hotline/${language}/ (callers hear ${language === 'zh' ? 'the generated voice' : 'Mandarin'}): ${gaps.join(', ')}\n`,
    );
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
