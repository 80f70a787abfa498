import type { RegionDirectory } from '../regions/region-directory';

/**
 * The `prefecture` label of the operator metrics: the region right below the province that holds
 * a code. An operator reads load per prefecture; counties would multiply the series tenfold for
 * figures the wallboard already shows at that depth. A county-level city the province
 * administers itself is its own group; the province's own code stands for calls whose county is
 * not known and for agents who serve the whole province.
 */
export class Prefectures {
  /** Every label value, the province first: gauges set each one, so a quiet prefecture reads 0, not "no data". */
  readonly codes: string[];
  private readonly cache = new Map<string, string>();

  constructor(private readonly regions: RegionDirectory) {
    this.codes = [regions.province.code, ...regions.children(regions.province.code).map((r) => r.code)];
  }

  of(code: string | null | undefined): string {
    const province = this.regions.province.code;
    if (!code) return province;
    let found = this.cache.get(code);
    if (found === undefined) {
      // Nearest first: the entry before the province is the one right below it.
      const lineage = this.regions.lineage(code);
      if (lineage.length === 0) return province;
      found = lineage.length >= 2 ? lineage[lineage.length - 2]!.code : province;
      // Only codes the directory knows are kept, so the cache stays as small as the tree.
      this.cache.set(code, found);
    }
    return found;
  }

  /** Names for a legend: `hotline_prefecture_info` joins them to the code. */
  names(): { code: string; name: string; nameZh: string }[] {
    return this.codes.map((code) => {
      const r = this.regions.get(code)!;
      return { code, name: r.namePinyin, nameZh: r.nameZh };
    });
  }
}
