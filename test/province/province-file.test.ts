import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundledProvinceFile, readProvinceFile } from '../../src/province/bundled';
import { estimatePopulations, parseProvinceFile, ProvinceFileError } from '../../src/province/province-file';

const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');

async function qinghaiJson() {
  return JSON.parse(await fs.readFile((await bundledProvinceFile('630000'))!, 'utf8'));
}

function problemsOf(input: unknown): string[] {
  try {
    parseProvinceFile(input, 'bad.json');
  } catch (err) {
    if (err instanceof ProvinceFileError) return err.problems;
    throw err;
  }
  throw new Error('expected the file to be refused');
}

describe('province files', () => {
  it('ship Qinghai with its source cited', async () => {
    const file = await readProvinceFile((await bundledProvinceFile('630000'))!);
    expect(file.source).toMatch(/qinghai-regions\.csv/);
    expect(file.source).toMatch(/2020/);
    expect(file.regions).toHaveLength(53);
  });

  it('share a missing county figure out of the prefecture\'s remainder', async () => {
    const file = parseProvinceFile(await qinghaiJson(), 'qinghai.json');
    const report = estimatePopulations(file);
    expect(report.missing).toEqual([
      { code: '632623', nameZh: '甘德县', estimate: 35_481 },
      { code: '632625', nameZh: '久治县', estimate: 35_481 },
    ]);
  });

  it('refuse a broken file, naming each entry that is wrong', async () => {
    const json = await qinghaiJson();
    json.regions[3].population2020 = 'many';
    json.regions[4].parentCode = '639900';
    json.regions[5].code = json.regions[6].code;
    json.organisations[0].regionCode = '110000';
    const shapeProblems = problemsOf(json);
    expect(shapeProblems).toEqual(['regions[3].population2020: Invalid input: expected number, received string']);

    json.regions[3].population2020 = 1;
    const problems = problemsOf(json);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^regions\[4\]\.parentCode: 639900 is not a region in this file/),
        expect.stringMatching(/^regions\[6\]\.code: \d{6} appears twice/),
        expect.stringMatching(/^organisations\[0\]\.regionCode: 110000 is not a region in this file/),
      ]),
    );
  });

  it('refuse a county hung directly under the province', async () => {
    const json = await qinghaiJson();
    const county = json.regions.find((r: { level: string }) => r.level === 'county');
    county.parentCode = '630000';
    expect(problemsOf(json)).toEqual([expect.stringMatching(/a county's parent must be a prefecture, 630000 is a province/)]);
  });
});

describe('npm run import-province', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotline-import-'));
  });
  afterAll(() => fs.rm(dataDir, { recursive: true, force: true }));

  const importFile = (file: string) =>
    run(process.execPath, ['--import', 'tsx', 'src/cli/import-province.ts', file], {
      cwd: root,
      // The CLI on the embedded database; the same import on PostgreSQL is in the data-layer contract.
      env: { PATH: process.env.PATH, DATA_DIR: dataDir },
    });

  it('loads a province file, and a second import changes nothing', async () => {
    const file = (await bundledProvinceFile('630000'))!;
    const first = await importFile(file);
    expect(first.stdout).toMatch(/regions 53 added, 0 updated, 0 unchanged; organisations 159 added/);
    expect(first.stdout).toMatch(/no 2020 census figure for 632623 甘德县: using an estimate of 35481/);
    const second = await importFile(file);
    expect(second.stdout).toMatch(/regions 0 added, 0 updated, 53 unchanged; organisations 0 added, 0 updated, 159 unchanged/);
  });

  it('explains what is wrong with a bad file and exits 1', async () => {
    const bad = path.join(dataDir, 'bad.json');
    await fs.writeFile(bad, '{"format": "hotline-12348/province@1", "regions": []');
    await expect(importFile(bad)).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/bad\.json is not valid JSON/) });
  });
});
