import type { RegionLevel, RegionRow } from '../db/schema';
import { Errors } from '../errors/errors';

export interface Region {
  code: string;
  level: RegionLevel;
  parentCode: string | null;
  nameZh: string;
  namePinyin: string;
  /** 2020 census figure; null where none was published. */
  population2020: number | null;
  /** The census figure, or the import's estimate where it is missing. */
  populationEstimate: number;
  areaCode: string | null;
  formerCodes: string[];
}

export interface RegionNode extends Region {
  children: RegionNode[];
}

/**
 * The province's region tree in memory: it is small (Qinghai: 53 regions), read on every scope
 * check and routing decision, and changes only when a province file is imported.
 */
export class RegionDirectory {
  private readonly byCode = new Map<string, Region>();
  private readonly aliases = new Map<string, string>();
  private readonly childrenOf = new Map<string, Region[]>();
  readonly province: Region;

  constructor(rows: RegionRow[]) {
    for (const row of rows) {
      const region: Region = {
        code: row.code,
        level: row.level,
        parentCode: row.parent_code,
        nameZh: row.name_zh,
        namePinyin: row.name_pinyin,
        population2020: row.population_2020,
        populationEstimate: row.population_estimate,
        areaCode: row.area_code,
        formerCodes: row.former_codes,
      };
      this.byCode.set(region.code, region);
      for (const old of region.formerCodes) this.aliases.set(old, region.code);
    }
    for (const region of this.byCode.values()) {
      if (region.parentCode) this.childrenOf.set(region.parentCode, [...(this.childrenOf.get(region.parentCode) ?? []), region]);
    }
    for (const list of this.childrenOf.values()) list.sort((a, b) => a.code.localeCompare(b.code));
    const provinces = [...this.byCode.values()].filter((r) => r.level === 'province');
    if (provinces.length !== 1) throw new Error(`expected one province in the region tree, found ${provinces.length}`);
    this.province = provinces[0]!;
  }

  /** A region by its code or a former code (older lists still use 630122 for 湟中). */
  get(code: string): Region | undefined {
    return this.byCode.get(code) ?? this.byCode.get(this.aliases.get(code) ?? '');
  }

  require(code: string): Region {
    const region = this.get(code);
    if (!region) throw new Errors.REGION_NOT_FOUND(code);
    return region;
  }

  children(code: string): Region[] {
    return this.childrenOf.get(code) ?? [];
  }

  /** The region and every region above it, nearest first. */
  lineage(code: string): Region[] {
    const out: Region[] = [];
    for (let r = this.get(code); r; r = r.parentCode ? this.get(r.parentCode) : undefined) out.push(r);
    return out;
  }

  /** True when `code` is `root` or lies below it. */
  isWithin(code: string, root: string): boolean {
    const rootCode = this.get(root)?.code;
    return rootCode !== undefined && this.lineage(code).some((r) => r.code === rootCode);
  }

  /** Codes of `root` and everything below it. */
  subtree(root: string): string[] {
    const start = this.require(root);
    const out: string[] = [];
    const walk = (r: Region) => {
      out.push(r.code);
      for (const c of this.children(r.code)) walk(c);
    };
    walk(start);
    return out;
  }

  tree(root = this.province.code): RegionNode {
    const build = (r: Region): RegionNode => ({ ...r, children: this.children(r.code).map(build) });
    return build(this.require(root));
  }

  all(): Region[] {
    return [...this.byCode.values()];
  }
}

/** A directory straight from a province file's entries (simulations, benchmarks, tests). */
export function regionDirectoryFromEntries(
  provinceCode: string,
  entries: { code: string; level: RegionLevel; parentCode: string | null; nameZh: string; namePinyin: string; population2020: number | null; areaCode: string | null; formerCodes: string[] }[],
  estimates?: Map<string, number>,
): RegionDirectory {
  const now = new Date();
  return new RegionDirectory(
    entries.map((e) => ({
      code: e.code,
      province_code: provinceCode,
      level: e.level,
      parent_code: e.parentCode,
      name_zh: e.nameZh,
      name_pinyin: e.namePinyin,
      population_2020: e.population2020,
      population_source: '',
      population_estimate: estimates?.get(e.code) ?? e.population2020 ?? 0,
      area_code: e.areaCode,
      former_codes: e.formerCodes,
      created_at: now,
      updated_at: now,
    })),
  );
}
