/**
 * npm run import-province -- FILE
 * Loads a province file (see provinces/) into DATABASE_URL or the embedded database. Importing
 * the same file again changes nothing; missing populations are reported, not fatal.
 */
import { parseConfig } from '../config/config';
import { openDatabase } from '../db/database';
import { migrateToLatest } from '../db/migrate';
import { readProvinceFile } from '../province/bundled';
import { describeImport, importProvince } from '../province/import-province';
import { regionDirectoryFromEntries } from '../regions/region-directory';
import { CallerRegionResolver, GeocodingTables } from '../telephony/caller-region';

async function run(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: npm run import-province -- FILE');
  const province = await readProvinceFile(file);
  const config = parseConfig(process.env);
  const handle = await openDatabase(config.database);
  try {
    await migrateToLatest(handle.db);
    const report = await importProvince(handle.db, province);
    for (const line of describeImport(report)) console.log(line);
    // Where the province's mobile callers will start: every prefix block should land on a prefecture.
    const regions = regionDirectoryFromEntries(province.province.code, province.regions);
    const tables = new GeocodingTables('zh');
    const coverage = await new CallerRegionResolver(regions, tables.geocode).coverage(tables);
    console.log(`mobile prefix blocks in the geocoding data: ${coverage.blocks}, placed in a prefecture: ${coverage.placed}, unplaced: ${coverage.blocks - coverage.placed}`);
    for (const [place, blocks] of Object.entries(coverage.unplaced)) console.log(`  unplaced: ${place} (${blocks} blocks) matches no prefecture of the province file`);
  } finally {
    await handle.close();
  }
}

run().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
