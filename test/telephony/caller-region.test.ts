import { CallerRegionResolver, GeocodingTables } from '../../src/telephony/caller-region';
import { PrefectureNames, placeStem } from '../../src/telephony/place-names';
import { qinghaiDirectory } from '../queue/harness';

describe('caller region from the number', () => {
  let resolver: CallerRegionResolver;
  beforeAll(async () => {
    resolver = new CallerRegionResolver(await qinghaiDirectory());
  });

  it.each([
    ['a Xining landline, with or without +86', '0971-6123456', '630100', 'area_code'],
    ['the same landline in E.164', '+869716123456', '630100', 'area_code'],
    ['a Golmud landline (0979), to the county-level city', '09798123456', '632801', 'area_code'],
    ['a Haixi landline (0977)', '0977-8212345', '632800', 'area_code'],
    ['a Xining mobile', '13519712345', '630100', 'geocoder'],
    ['a Golog mobile', '+8615209751234', '632600', 'geocoder'],
    ['a Haibei mobile', '138 9701 2345', '632200', 'geocoder'],
    // The geocoding data still calls Haidong by its name before 2013, 海东地区; the province file says 海东市.
    ['a Haidong mobile', '+8613897123456', '630200', 'geocoder'],
  ])('places %s', async (_name, number, region, source) => {
    expect(await resolver.resolve(number)).toEqual({ regionCode: region, source });
  });

  it('sends a caller from another province, or abroad, to the whole province', async () => {
    expect(await resolver.resolve('010-65123456')).toEqual({ regionCode: '630000', source: 'outside_province' });
    expect(await resolver.resolve('+8613800138000')).toEqual({ regionCode: '630000', source: 'outside_province' });
    expect(await resolver.resolve('+14155550123')).toEqual({ regionCode: '630000', source: 'outside_province' });
  });

  it('places every mobile prefix block the geocoding data gives Qinghai in one of its eight prefectures', async () => {
    const tables = new GeocodingTables('zh');
    const coverage = await new CallerRegionResolver(await qinghaiDirectory(), tables.geocode).coverage(tables);
    expect(coverage.blocks).toBeGreaterThan(1_000);
    expect({ placed: coverage.placed, unplaced: coverage.unplaced }).toEqual({ placed: coverage.blocks, unplaced: {} });
    expect(Object.keys(coverage.byPrefecture).sort()).toEqual(['630100', '630200', '632200', '632300', '632500', '632600', '632700', '632800']);
    // Haidong holds a quarter of Qinghai's people and about a fifth of its mobile blocks.
    expect(coverage.byPrefecture['630200']).toBeGreaterThan(200);
  });

  it('falls back to the province for a number it cannot read', async () => {
    expect(await resolver.resolve('anonymous')).toEqual({ regionCode: '630000', source: 'unknown' });
    expect(await resolver.resolve('123')).toEqual({ regionCode: '630000', source: 'unknown' });
  });
});

describe('place names across data sets', () => {
  it.each([
    ['海东地区', '海东'],
    ['海东市', '海东'],
    ['海西蒙古族藏族自治州', '海西'],
    ['玉树藏族自治州', '玉树'],
    ['锡林郭勒盟', '锡林郭勒'],
    ['大兴安岭地区', '大兴安岭'],
    ['西宁', '西宁'],
  ])('%s has the stem %s', (name, stem) => {
    expect(placeStem(name)).toBe(stem);
  });

  it('matches a prefecture by its name, its stem under another suffix, or a county after it, and never guesses between two', async () => {
    const names = new PrefectureNames((await qinghaiDirectory()).all().filter((r) => r.level === 'prefecture'));
    expect(names.find('海东地区')?.code).toBe('630200');
    expect(names.find('海西州')?.code).toBe('632800');
    expect(names.find('海西蒙古族藏族自治州格尔木市')?.code).toBe('632800');
    expect(names.find('兰州市')).toBeUndefined();
    const twins = new PrefectureNames([
      { code: '1', nameZh: '海东市', level: 'prefecture' },
      { code: '2', nameZh: '海东地区', level: 'prefecture' },
    ] as never);
    expect(names.find('海东')?.code).toBe('630200');
    expect(twins.find('海东州')).toBeUndefined();
  });
});
