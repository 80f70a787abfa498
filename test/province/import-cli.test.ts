import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * `npm run import-province -- FILE` says, besides what it loaded, how the geocoding data's mobile
 * prefix blocks of the province fall on the file's prefectures: a prefecture the data names
 * another way would send all its mobile callers to the province step.
 */
describe('npm run import-province', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotline-import-'));
  });
  afterAll(async () => fs.rm(dir, { recursive: true, force: true }));

  it("reports Qinghai's mobile prefix blocks, every one placed in a prefecture", async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/import-province.ts', 'provinces/630000-qinghai.json'], {
      cwd: path.join(__dirname, '..', '..'),
      // The embedded database in a directory of the test's own; execFile kills it at the timeout.
      env: { PATH: process.env.PATH, DATA_DIR: dir },
      timeout: 110_000,
    });
    expect(stdout).toMatch(/province 630000: regions 53 added/);
    const m = /mobile prefix blocks in the geocoding data: (\d+), placed in a prefecture: (\d+), unplaced: 0/.exec(stdout);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(1_000);
    expect(m![2]).toBe(m![1]);
    expect(stdout).not.toMatch(/unplaced: \S+ \(/);
  }, 120_000);
});
