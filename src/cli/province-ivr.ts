import { z } from 'zod';
import { parseConfig } from '../config/config';
import { openDatabase } from '../db/database';
import { bundledProvinceFile, readProvinceFile } from '../province/bundled';
import { RegionDirectory, regionDirectoryFromEntries } from '../regions/region-directory';
import { regionsRepository } from '../regions/regions-repository';
import { DEFAULT_IVR, type IvrSettings, ivrSettings } from '../telephony/ivr';

export interface ProvinceIvr {
  languages: string[];
  ivr: IvrSettings;
  regions: RegionDirectory;
  /** ASTERISK_AGENT_DIAL as the service would read it. */
  agentDial: string;
}

/**
 * What the Asterisk command-line tools generate from: the province's IVR settings, languages and
 * regions from the database (DATABASE_URL or the embedded one), or with `--defaults` from the
 * province file shipped for PROVINCE (630000 unless set) and the default settings, without any
 * service configuration.
 */
export async function provinceIvr(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<ProvinceIvr> {
  if (argv.includes('--defaults')) {
    const code = env.PROVINCE ?? '630000';
    if (!/^\d{2}0000$/.test(code)) throw new Error(`PROVINCE: must be a 6-digit province code such as 630000, not ${JSON.stringify(code)}`);
    const file = await bundledProvinceFile(code);
    if (!file) throw new Error(`no province file for ${code} ships in provinces/`);
    const province = await readProvinceFile(file);
    return {
      languages: province.province.languages,
      ivr: DEFAULT_IVR,
      regions: regionDirectoryFromEntries(province.province.code, province.regions),
      agentDial: env.ASTERISK_AGENT_DIAL ?? 'PJSIP/{agent}',
    };
  }
  const config = parseConfig(env);
  const handle = await openDatabase(config.database);
  try {
    const row = await handle.db.selectFrom('provinces').select(['settings', 'languages']).where('code', '=', config.province).executeTakeFirst();
    if (!row) throw new Error(`province ${config.province} is not in the database: start the service once or run npm run import-province`);
    return {
      languages: row.languages,
      ivr: ivrSettings(z.record(z.string(), z.unknown()).parse(row.settings), config.province),
      regions: new RegionDirectory(await regionsRepository(handle.db).listByProvince(config.province)),
      agentDial: config.asterisk?.agentDial ?? env.ASTERISK_AGENT_DIAL ?? 'PJSIP/{agent}',
    };
  } finally {
    await handle.close();
  }
}
