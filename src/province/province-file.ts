import { z } from 'zod';

/**
 * A province file: the region tree (GB/T 2260 codes, names, 2020 census population, landline
 * area codes) and the organisations that receive referrals. One JSON file per province under
 * provinces/; `npm run import-province -- FILE` loads any file of this form.
 */

const code6 = z.string().regex(/^\d{6}$/, 'must be a 6-digit GB/T 2260 code');

const RegionEntry = z.strictObject({
  level: z.enum(['province', 'prefecture', 'county']),
  code: code6,
  nameZh: z.string().min(1).max(100),
  namePinyin: z.string().min(1).max(200),
  parentCode: code6.nullable(),
  population2020: z.number().int().nonnegative().nullable(),
  /** Where the figure comes from (see the file's notes); "U" when unknown. */
  populationSource: z.string().min(1).max(20),
  areaCode: z.string().regex(/^0\d{2,3}$/, 'must be a landline area code such as 0971').nullable(),
  /** Codes the region had in older lists, accepted wherever a region code is given. */
  formerCodes: z.array(code6).default([]),
});

const OrganisationEntry = z.strictObject({
  code: z.string().regex(/^[A-Z]{2,3}-\d{6}(-[A-Z0-9]+)?$/, 'must look like LA-630102'),
  kind: z.enum(['legal_aid_centre', 'mediation_committee', 'judicial_office', 'department']),
  nameZh: z.string().min(1).max(200),
  nameEn: z.string().min(1).max(300),
  regionCode: code6,
  phone: z.string().max(40).nullable().default(null),
  address: z.string().max(300).nullable().default(null),
});

export const ProvinceFileSchema = z.strictObject({
  format: z.literal('hotline-12348/province@1'),
  source: z.string().min(1),
  notes: z.array(z.string()).default([]),
  province: z.strictObject({
    code: z.string().regex(/^\d{2}0000$/, 'must be a province code such as 630000'),
    /** Prefix of human-readable ticket numbers, e.g. QH-20261121-000123. */
    ticketPrefix: z.string().regex(/^[A-Z]{2,4}$/),
    /** IVR languages in menu order, e.g. Mandarin, Tibetan, Mongolian. */
    languages: z.array(z.string().min(2).max(8)).min(1),
  }),
  regions: z.array(RegionEntry).min(1),
  organisations: z.array(OrganisationEntry).default([]),
});

export type ProvinceFile = z.output<typeof ProvinceFileSchema>;
export type RegionEntry = z.output<typeof RegionEntry>;

export class ProvinceFileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is not a valid province file:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ProvinceFileError';
  }
}

function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}

const EXPECTED_PARENT: Record<RegionEntry['level'], RegionEntry['level'] | null> = {
  province: null,
  prefecture: 'province',
  county: 'prefecture',
};

/** Parses and checks the tree's structure; problems are fatal, the rest is for the import report. */
export function parseProvinceFile(input: unknown, source: string): ProvinceFile {
  const parsed = ProvinceFileSchema.safeParse(input);
  if (!parsed.success) {
    throw new ProvinceFileError(
      source,
      parsed.error.issues.map((i) => `${formatPath(i.path) || '(file)'}: ${i.message}`),
    );
  }
  const file = parsed.data;
  const problems: string[] = [];
  const byCode = new Map<string, RegionEntry>();
  const provincePrefix = file.province.code.slice(0, 2);

  file.regions.forEach((r, i) => {
    if (byCode.has(r.code)) problems.push(`regions[${i}].code: ${r.code} appears twice`);
    byCode.set(r.code, r);
    if (!r.code.startsWith(provincePrefix)) problems.push(`regions[${i}].code: ${r.code} is not in province ${file.province.code}`);
  });
  const provinces = file.regions.filter((r) => r.level === 'province');
  if (provinces.length !== 1 || provinces[0]!.code !== file.province.code) {
    problems.push(`regions: must hold exactly one province entry, with code ${file.province.code}`);
  }
  file.regions.forEach((r, i) => {
    const expected = EXPECTED_PARENT[r.level];
    if (expected === null) {
      if (r.parentCode !== null) problems.push(`regions[${i}].parentCode: a province has no parent`);
      return;
    }
    const parent = r.parentCode === null ? undefined : byCode.get(r.parentCode);
    if (!parent) problems.push(`regions[${i}].parentCode: ${r.parentCode ?? 'null'} is not a region in this file`);
    else if (parent.level !== expected) problems.push(`regions[${i}].parentCode: a ${r.level}'s parent must be a ${expected}, ${parent.code} is a ${parent.level}`);
  });
  const orgCodes = new Set<string>();
  file.organisations.forEach((o, i) => {
    if (orgCodes.has(o.code)) problems.push(`organisations[${i}].code: ${o.code} appears twice`);
    orgCodes.add(o.code);
    if (!byCode.has(o.regionCode)) problems.push(`organisations[${i}].regionCode: ${o.regionCode} is not a region in this file`);
  });
  if (problems.length > 0) throw new ProvinceFileError(source, problems);
  return file;
}

export interface PopulationReport {
  /** Code → population used for allocation: the census figure, or an estimate. */
  estimates: Map<string, number>;
  /** Regions with no census figure, and what was used instead. */
  missing: { code: string; nameZh: string; estimate: number }[];
  /** Parents whose children do not add up to them (e.g. an area with no code of its own). */
  mismatches: { code: string; nameZh: string; population: number; childrenSum: number }[];
}

/**
 * Regions without a census figure get their parent's unexplained remainder shared equally
 * (Qinghai: Gande and Jiuzhi split what Golog's other counties leave). Reported, never fatal.
 */
export function estimatePopulations(file: ProvinceFile): PopulationReport {
  const children = new Map<string, RegionEntry[]>();
  for (const r of file.regions) {
    if (r.parentCode) children.set(r.parentCode, [...(children.get(r.parentCode) ?? []), r]);
  }
  const estimates = new Map<string, number>();
  const missing: PopulationReport['missing'] = [];
  const mismatches: PopulationReport['mismatches'] = [];
  for (const r of file.regions) if (r.population2020 !== null) estimates.set(r.code, r.population2020);

  // Parents before children, so a prefecture estimated from the province can feed its counties.
  const order: RegionEntry['level'][] = ['province', 'prefecture', 'county'];
  for (const level of order) {
    for (const parent of file.regions.filter((r) => r.level === level)) {
      const kids = children.get(parent.code) ?? [];
      if (kids.length === 0) continue;
      const known = kids.filter((k) => k.population2020 !== null);
      const unknown = kids.filter((k) => k.population2020 === null);
      const knownSum = known.reduce((s, k) => s + k.population2020!, 0);
      const parentPopulation = estimates.get(parent.code);
      if (unknown.length === 0) {
        if (parentPopulation !== undefined && parent.population2020 !== null && knownSum !== parentPopulation) {
          mismatches.push({ code: parent.code, nameZh: parent.nameZh, population: parentPopulation, childrenSum: knownSum });
        }
        continue;
      }
      const remainder = Math.max(0, (parentPopulation ?? knownSum) - knownSum);
      const share = Math.floor(remainder / unknown.length);
      unknown.forEach((k, i) => {
        // The first child takes the rounding remainder so the shares add up exactly.
        const estimate = share + (i === 0 ? remainder - share * unknown.length : 0);
        estimates.set(k.code, estimate);
        missing.push({ code: k.code, nameZh: k.nameZh, estimate });
      });
    }
  }
  for (const r of file.regions) if (!estimates.has(r.code)) estimates.set(r.code, 0);
  return { estimates, missing, mismatches };
}
