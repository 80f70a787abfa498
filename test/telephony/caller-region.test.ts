import { CallerRegionResolver } from '../../src/telephony/caller-region';
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
  ])('places %s', async (_name, number, region, source) => {
    expect(await resolver.resolve(number)).toEqual({ regionCode: region, source });
  });

  it('sends a caller from another province, or abroad, to the whole province', async () => {
    expect(await resolver.resolve('010-65123456')).toEqual({ regionCode: '630000', source: 'outside_province' });
    expect(await resolver.resolve('+8613800138000')).toEqual({ regionCode: '630000', source: 'outside_province' });
    expect(await resolver.resolve('+14155550123')).toEqual({ regionCode: '630000', source: 'outside_province' });
  });

  it('falls back to the province for a number it cannot read', async () => {
    expect(await resolver.resolve('anonymous')).toEqual({ regionCode: '630000', source: 'unknown' });
    expect(await resolver.resolve('123')).toEqual({ regionCode: '630000', source: 'unknown' });
  });
});
