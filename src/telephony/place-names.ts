import type { Region } from '../regions/region-directory';

/**
 * Administrative suffixes of Chinese place names, longest first. Prefectures are renamed as they
 * are upgraded (海东地区 became 海东市 in 2013) and data sets lag: libphonenumber's geocoding data
 * still says 海东地区. The stem (海东) is what both names share.
 */
const SUFFIX = /^(.{2,}?)((?:[\u4e00-\u9fff]{1,4}族)*)(自治州|自治县|自治旗|特区|地区|林区|新区|矿区|市|盟|州|县|区|旗)$/u;

/** 海西蒙古族藏族自治州 → 海西, 海东地区 → 海东, 西宁市 → 西宁; a name without a known suffix stays whole. */
export function placeStem(name: string): string {
  const m = SUFFIX.exec(name.trim());
  return m ? m[1]! : name.trim();
}

/**
 * Finds a province's prefecture from a place name as another data set writes it: the exact name,
 * or the same stem under another suffix (a former name: 地区 → 市, or a shortened 自治州 → 州).
 */
export class PrefectureNames {
  private readonly exact = new Map<string, Region>();
  /** null: two prefectures share the stem, so it names neither. */
  private readonly byStem = new Map<string, Region | null>();

  constructor(prefectures: Iterable<Region>) {
    for (const p of prefectures) {
      this.exact.set(p.nameZh, p);
      // Two prefectures sharing a stem would be ambiguous: neither is matched by stem then.
      const stem = placeStem(p.nameZh);
      const taken = this.byStem.get(stem);
      this.byStem.set(stem, taken === undefined || taken?.code === p.code ? p : null);
    }
  }

  /** `place`: what follows the province's name, e.g. 海东地区 or 海西蒙古族藏族自治州格尔木市. */
  find(place: string): Region | undefined {
    const exact = this.exact.get(place);
    if (exact) return exact;
    for (const [name, region] of this.exact) if (place.startsWith(name)) return region;
    const byStem = this.byStem.get(placeStem(place));
    if (byStem) return byStem;
    // A county after the prefecture (…自治州格尔木市): the longest stem the place starts with.
    let best: Region | undefined;
    let bestLength = 0;
    for (const [stem, region] of this.byStem) {
      if (region && stem.length > bestLength && place.startsWith(stem)) {
        best = region;
        bestLength = stem.length;
      }
    }
    return best;
  }
}
