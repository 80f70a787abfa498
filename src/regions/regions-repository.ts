import type { Db } from '../db/database';

export function regionsRepository(db: Db) {
  return {
    listByProvince(provinceCode: string) {
      return db.selectFrom('regions').selectAll().where('province_code', '=', provinceCode).orderBy('code').execute();
    },
    findProvince(code: string) {
      return db.selectFrom('provinces').selectAll().where('code', '=', code).executeTakeFirst();
    },
    listOrganisations(regionCodes: string[]) {
      if (regionCodes.length === 0) return Promise.resolve([]);
      return db.selectFrom('organisations').selectAll().where('region_code', 'in', regionCodes).orderBy('code').execute();
    },
  };
}

export type RegionsRepository = ReturnType<typeof regionsRepository>;
