/**
 * npm run migrate            apply every pending migration
 * npm run migrate -- down    undo the latest migration
 * npm run migrate -- empty   undo every migration (drops all tables)
 * Uses DATABASE_URL, or the embedded database under DATA_DIR (stop the service first: PGlite
 * files can be open in one process at a time).
 */
import { parseConfig } from '../config/config';
import { openDatabase } from '../db/database';
import { migrateDown, migrateToEmpty, migrateToLatest } from '../db/migrate';

async function run(): Promise<void> {
  const command = process.argv[2] ?? 'latest';
  const steps = { latest: migrateToLatest, down: migrateDown, empty: migrateToEmpty } as const;
  if (!(command in steps)) throw new Error(`unknown command "${command}": use latest, down or empty`);
  const config = parseConfig(process.env);
  const handle = await openDatabase(config.database);
  try {
    const done = await steps[command as keyof typeof steps](handle.db);
    console.log(done.length ? done.join('\n') : 'nothing to do');
  } finally {
    await handle.close();
  }
}

run().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
