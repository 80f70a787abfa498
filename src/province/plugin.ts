import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { RegionDirectory } from '../regions/region-directory';
import { regionsRepository } from '../regions/regions-repository';
import { bundledProvinceFile, readProvinceFile } from './bundled';
import { describeImport, importProvince } from './import-province';

export interface Province {
  code: string;
  ticketPrefix: string;
  languages: string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    province: Province;
    regions: RegionDirectory;
  }
}

/**
 * Makes sure the configured province is in the database (importing the bundled file the first
 * time) and loads its region tree. A province imported later with the CLI is picked up on restart.
 */
export const provincePlugin = fp(
  async function province(app: FastifyInstance, opts: { province: string }) {
    const repo = regionsRepository(app.db);
    let row = await repo.findProvince(opts.province);
    if (!row) {
      const file = await bundledProvinceFile(opts.province);
      if (!file) {
        throw new Error(
          `province ${opts.province} is not in the database and no file for it ships in provinces/; load one with npm run import-province -- FILE`,
        );
      }
      const report = await importProvince(app.db, await readProvinceFile(file));
      for (const line of describeImport(report)) app.log.info(line);
      row = (await repo.findProvince(opts.province))!;
    }
    const regions = new RegionDirectory(await repo.listByProvince(opts.province));
    app.decorate('province', { code: row.code, ticketPrefix: row.ticket_prefix, languages: row.languages });
    app.decorate('regions', regions);
  },
  { name: 'province', dependencies: ['database'] },
);
