import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/** Needs Debian's espeak-ng and sox on the PATH (jest.config.js leaves it out, and says so, without them). */
const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

describe('npm run asterisk:prompts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotline-sounds-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes a playable 8 kHz voice for every Mandarin prompt and names the recordings still missing', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/asterisk-prompts.ts', '--defaults', '--out', dir], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' } });
    const files = await fs.readdir(path.join(dir, 'hotline', 'tts', 'zh'));
    expect(files).toEqual(expect.arrayContaining(['welcome.wav', 'language_menu.wav', 'topic_menu.wav', 'survey.wav', 'technical_problem.wav', 'region_menu_630000.wav', 'region_menu_630100.wav']));
    const { stdout: info } = await run('soxi', [path.join(dir, 'hotline', 'tts', 'zh', 'welcome.wav')]);
    expect(info).toMatch(/Sample Rate\s*:\s*8000/);
    expect(info).toMatch(/Channels\s*:\s*1/);
    // A second or more of speech, not an empty file.
    expect(Number(/Duration\s*:\s*\d+:\d+:([\d.]+)/.exec(info)![1])).toBeGreaterThan(1);
    expect(stdout).toMatch(/^bo: \d+ recording\(s\) missing in hotline\/bo\/ \(callers hear Mandarin\): welcome, language_menu/m);
    expect(stdout).toMatch(/^zh: \d+ recording\(s\) missing in hotline\/zh\/ \(callers hear the generated voice\)/m);
  });
});
