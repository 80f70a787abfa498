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
  } finally {
    await handle.close();
  }
}

run().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
