import { sql } from 'kysely';
import type { Db } from '../db/database';
import { jsonb } from '../db/json';
import { estimatePopulations, type PopulationReport, type ProvinceFile } from './province-file';

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface ImportReport {
  province: string;
  regions: UpsertCounts;
  organisations: UpsertCounts;
  missingPopulation: PopulationReport['missing'];
  populationMismatches: PopulationReport['mismatches'];
}

const LEVEL_ORDER = { province: 0, prefecture: 1, county: 2 } as const;

function count(rows: { inserted: boolean }[], total: number): UpsertCounts {
  const inserted = rows.filter((r) => r.inserted).length;
  return { inserted, updated: rows.length - inserted, unchanged: total - rows.length };
}

/**
 * Loads a province file in one transaction. Rows are upserted by code and only rewritten when a
 * value differs, so importing the same file twice changes nothing. Organisations in the database
 * but not in the file are kept: referrals may point at them.
 */
export async function importProvince(db: Db, file: ProvinceFile): Promise<ImportReport> {
  const population = estimatePopulations(file);
  const regions = [...file.regions].sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level]);

  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('provinces')
      .values({
        code: file.province.code,
        ticket_prefix: file.province.ticketPrefix,
        languages: jsonb(file.province.languages),
        source: file.source,
      })
      .onConflict((oc) =>
        oc
          .column('code')
          .doUpdateSet((eb) => ({
            ticket_prefix: eb.ref('excluded.ticket_prefix'),
            languages: eb.ref('excluded.languages'),
            source: eb.ref('excluded.source'),
            updated_at: sql`now()`,
          }))
          .where(sql<boolean>`(provinces.ticket_prefix, provinces.languages, provinces.source) is distinct from (excluded.ticket_prefix, excluded.languages, excluded.source)`),
      )
      .execute();

    const regionRows = [];
    // One row at a time, parents first: a child's foreign key needs its parent in place.
    for (const r of regions) {
      const row = await trx
        .insertInto('regions')
        .values({
          code: r.code,
          province_code: file.province.code,
          level: r.level,
          parent_code: r.parentCode,
          name_zh: r.nameZh,
          name_pinyin: r.namePinyin,
          population_2020: r.population2020,
          population_source: r.populationSource,
          population_estimate: population.estimates.get(r.code)!,
          area_code: r.areaCode,
          former_codes: jsonb(r.formerCodes),
        })
        .onConflict((oc) =>
          oc
            .column('code')
            .doUpdateSet((eb) => ({
              level: eb.ref('excluded.level'),
              parent_code: eb.ref('excluded.parent_code'),
              name_zh: eb.ref('excluded.name_zh'),
              name_pinyin: eb.ref('excluded.name_pinyin'),
              population_2020: eb.ref('excluded.population_2020'),
              population_source: eb.ref('excluded.population_source'),
              population_estimate: eb.ref('excluded.population_estimate'),
              area_code: eb.ref('excluded.area_code'),
              former_codes: eb.ref('excluded.former_codes'),
              updated_at: sql`now()`,
            }))
            .where(
              sql<boolean>`(regions.level, regions.parent_code, regions.name_zh, regions.name_pinyin, regions.population_2020,
                regions.population_source, regions.population_estimate, regions.area_code, regions.former_codes)
              is distinct from (excluded.level, excluded.parent_code, excluded.name_zh, excluded.name_pinyin, excluded.population_2020,
                excluded.population_source, excluded.population_estimate, excluded.area_code, excluded.former_codes)`,
            ),
        )
        // xmax is 0 on a freshly inserted row version and set on an updated one.
        .returning(sql<boolean>`xmax = 0`.as('inserted'))
        .executeTakeFirst();
      if (row) regionRows.push(row);
    }

    const orgRows =
      file.organisations.length === 0
        ? []
        : await trx
            .insertInto('organisations')
            .values(
              file.organisations.map((o) => ({
                code: o.code,
                kind: o.kind,
                name_zh: o.nameZh,
                name_en: o.nameEn,
                region_code: o.regionCode,
                phone: o.phone,
                address: o.address,
              })),
            )
            .onConflict((oc) =>
              oc
                .column('code')
                .doUpdateSet((eb) => ({
                  kind: eb.ref('excluded.kind'),
                  name_zh: eb.ref('excluded.name_zh'),
                  name_en: eb.ref('excluded.name_en'),
                  region_code: eb.ref('excluded.region_code'),
                  phone: eb.ref('excluded.phone'),
                  address: eb.ref('excluded.address'),
                  updated_at: sql`now()`,
                }))
                .where(
                  sql<boolean>`(organisations.kind, organisations.name_zh, organisations.name_en, organisations.region_code, organisations.phone, organisations.address)
                  is distinct from (excluded.kind, excluded.name_zh, excluded.name_en, excluded.region_code, excluded.phone, excluded.address)`,
                ),
            )
            .returning(sql<boolean>`xmax = 0`.as('inserted'))
            .execute();

    return {
      province: file.province.code,
      regions: count(regionRows, regions.length),
      organisations: count(orgRows, file.organisations.length),
      missingPopulation: population.missing,
      populationMismatches: population.mismatches,
    };
  });
}

export function describeImport(report: ImportReport): string[] {
  const c = (x: UpsertCounts) => `${x.inserted} added, ${x.updated} updated, ${x.unchanged} unchanged`;
  return [
    `province ${report.province}: regions ${c(report.regions)}; organisations ${c(report.organisations)}`,
    ...report.missingPopulation.map(
      (m) => `no 2020 census figure for ${m.code} ${m.nameZh}: using an estimate of ${m.estimate} (share of the parent's remainder)`,
    ),
    ...report.populationMismatches.map(
      (m) => `${m.code} ${m.nameZh}: its divisions add up to ${m.childrenSum}, ${m.population - m.childrenSum} ${m.population > m.childrenSum ? 'less' : 'more'} than its ${m.population}`,
    ),
  ];
}
