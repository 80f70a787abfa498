import type { Actor } from '../../src/auth/actor';
import type { DatabaseHandle } from '../../src/db/database';
import { jsonb } from '../../src/db/json';
import { migrateToLatest } from '../../src/db/migrate';
import { knowledgeService, type KnowledgeService } from '../../src/knowledge/knowledge-service';
import { wordCutter } from '../../src/knowledge/segment';
import { bundledProvinceFile, readProvinceFile } from '../../src/province/bundled';
import { importProvince } from '../../src/province/import-province';
import { RegionDirectory } from '../../src/regions/region-directory';
import { regionsRepository } from '../../src/regions/regions-repository';

/** What the knowledge contracts run on: a fresh PGlite or PostgreSQL database each. */
export type OpenDatabase = () => Promise<{ handle: DatabaseHandle; cleanup: () => Promise<void> }>;

export const knowledgeAdmin: Actor = { id: '00000000-0000-4000-8000-000000000002', username: 'admin.test', displayName: 'admin', role: 'admin', regionCode: '630000', tokenVersion: 0 };

/** A migrated database with Qinghai's regions and the admin account (versions and audit rows name them). */
export async function openKnowledgeDatabase(open: OpenDatabase) {
  const db = await open();
  await migrateToLatest(db.handle.db);
  await importProvince(db.handle.db, await readProvinceFile((await bundledProvinceFile('630000'))!));
  await db.handle.db
    .insertInto('agents')
    .values({ id: knowledgeAdmin.id, username: knowledgeAdmin.username, password_hash: 'x', display_name: 'admin', role: 'admin', region_code: '630000', languages: jsonb({}), topics: jsonb({}) })
    .execute();
  return db;
}

/** The knowledge service on that database; these suites link no tickets. */
export async function knowledgeServiceOn(handle: DatabaseHandle, today?: () => string): Promise<KnowledgeService> {
  const regions = new RegionDirectory(await regionsRepository(handle.db).listByProvince('630000'));
  return knowledgeService({
    db: handle.db,
    regions,
    cutter: wordCutter(),
    accessibleTicket: async () => {
      throw new Error('no tickets here');
    },
    ...(today ? { today } : {}),
  });
}
