import { sql } from 'kysely';
import { agentsRepository } from '../../src/agents/agents-repository';
import { auditRepository } from '../../src/audit/audit-repository';
import type { DatabaseHandle } from '../../src/db/database';
import { jsonb } from '../../src/db/json';
import { migrateDown, migrateToEmpty, migrateToLatest } from '../../src/db/migrate';
import { readProvinceFile, bundledProvinceFile } from '../../src/province/bundled';
import { importProvince } from '../../src/province/import-province';
import { parseProvinceFile } from '../../src/province/province-file';

export type OpenDatabase = () => Promise<{ handle: DatabaseHandle; cleanup: () => Promise<void> }>;

const TABLES = [
  'agents',
  'audit_log',
  'call_events',
  'callback_tasks',
  'callbacks',
  'calls',
  'follow_ups',
  'knowledge_article_versions',
  'knowledge_articles',
  'organisations',
  'provinces',
  'quality_inspections',
  'referral_events',
  'referrals',
  'regions',
  'roster_shifts',
  'rosters',
  'seat_plan_entries',
  'seat_plans',
  'survey_responses',
  'ticket_counters',
  'ticket_knowledge',
  'tickets',
];

async function tables(handle: DatabaseHandle): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%' order by table_name collate "C"`.execute(handle.db);
  return rows.map((r) => r.name);
}

async function qinghai() {
  return readProvinceFile((await bundledProvinceFile('630000'))!);
}

/** The same behaviour, asserted on every database the service runs on (PostgreSQL and PGlite). */
export function dataLayerContract(open: OpenDatabase): void {
  describe('migrations', () => {
    let db: Awaited<ReturnType<OpenDatabase>>;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => {
      await db.handle.close();
      await db.cleanup();
    });

    it('go up from an empty database and create every table', async () => {
      expect(await tables(db.handle)).toEqual([]);
      expect(await migrateToLatest(db.handle.db)).toEqual(['Up 0001_initial', 'Up 0002_call_flow', 'Up 0003_referrals', 'Up 0004_account_security', 'Up 0005_durable_records', 'Up 0006_missed_call_callbacks', 'Up 0007_callback_dial_outcomes', 'Up 0008_voice_messages', 'Up 0009_forward_failed_callbacks', 'Up 0010_remote_seats', 'Up 0011_ticket_types', 'Up 0012_follow_ups_quality', 'Up 0013_rosters', 'Up 0014_knowledge_base', 'Up 0015_knowledge_shipped_keys']);
      expect(await tables(db.handle)).toEqual(TABLES);
    });

    it('change nothing when run again', async () => {
      expect(await migrateToLatest(db.handle.db)).toEqual([]);
    });

    it('go down one step at a time to an empty database, and back up', async () => {
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0015_knowledge_shipped_keys']);
      expect(await tables(db.handle)).toContain('knowledge_articles');
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0014_knowledge_base']);
      expect(await tables(db.handle)).not.toContain('knowledge_articles');
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0013_rosters']);
      expect(await tables(db.handle)).not.toContain('rosters');
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0012_follow_ups_quality']);
      expect(await tables(db.handle)).not.toContain('follow_ups');
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0011_ticket_types']);
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0010_remote_seats']);
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0009_forward_failed_callbacks']);
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0008_voice_messages']);
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0007_callback_dial_outcomes']);
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0006_missed_call_callbacks']);
      expect(await tables(db.handle)).toContain('callbacks');
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0005_durable_records']);
      expect(await tables(db.handle)).not.toContain('callbacks');
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0004_account_security']);
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0003_referrals']);
      expect(await tables(db.handle)).not.toContain('callback_tasks');
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0002_call_flow']);
      expect(await tables(db.handle)).not.toContain('ticket_counters');
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0001_initial']);
      expect(await tables(db.handle)).toEqual([]);
      await migrateToLatest(db.handle.db);
      expect(await migrateToEmpty(db.handle.db)).toEqual(['Down 0015_knowledge_shipped_keys', 'Down 0014_knowledge_base', 'Down 0013_rosters', 'Down 0012_follow_ups_quality', 'Down 0011_ticket_types', 'Down 0010_remote_seats', 'Down 0009_forward_failed_callbacks', 'Down 0008_voice_messages', 'Down 0007_callback_dial_outcomes', 'Down 0006_missed_call_callbacks', 'Down 0005_durable_records', 'Down 0004_account_security', 'Down 0003_referrals', 'Down 0002_call_flow', 'Down 0001_initial']);
      expect(await tables(db.handle)).toEqual([]);
      await migrateToLatest(db.handle.db);
      expect(await tables(db.handle)).toEqual(TABLES);
    });

    it('make the tickets written before ticket types consultations, and refuse a type nobody knows', async () => {
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0015_knowledge_shipped_keys']);
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0014_knowledge_base']);
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0013_rosters']);
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0012_follow_ups_quality']);
      expect(await migrateDown(db.handle.db)).toEqual(['Down 0011_ticket_types']);
      await sql`insert into tickets (number, caller_number) values ('QH-20260101-000001', '13900000000')`.execute(db.handle.db);
      expect(await migrateToLatest(db.handle.db)).toEqual(['Up 0011_ticket_types', 'Up 0012_follow_ups_quality', 'Up 0013_rosters', 'Up 0014_knowledge_base', 'Up 0015_knowledge_shipped_keys']);
      const before = await db.handle.db.selectFrom('tickets').select('type').where('number', '=', 'QH-20260101-000001').executeTakeFirstOrThrow();
      expect(before.type).toBe('consultation');
      await db.handle.db.updateTable('tickets').set({ type: 'complaint' }).where('number', '=', 'QH-20260101-000001').execute();
      await expect(sql`update tickets set type = 'praise'`.execute(db.handle.db)).rejects.toThrow(/tickets_type_check/);
      await db.handle.db.deleteFrom('tickets').execute();
    });
  });

  describe('province import', () => {
    let db: Awaited<ReturnType<OpenDatabase>>;
    beforeAll(async () => {
      db = await open();
      await migrateToLatest(db.handle.db);
    });
    afterAll(async () => {
      await db.handle.close();
      await db.cleanup();
    });

    it('loads Qinghai: the province, 8 prefectures and 44 counties, with their organisations', async () => {
      const report = await importProvince(db.handle.db, await qinghai());
      expect(report.regions).toEqual({ inserted: 53, updated: 0, unchanged: 0 });
      const levels = await db.handle.db
        .selectFrom('regions')
        .select(['level', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('level')
        .orderBy('level')
        .execute();
      expect(levels).toEqual([
        { level: 'county', n: 44 },
        { level: 'prefecture', n: 8 },
        { level: 'province', n: 1 },
      ]);
      // A legal aid centre and a mediation committee for every county, prefecture and the province.
      for (const kind of ['legal_aid_centre', 'mediation_committee'] as const) {
        const missing = await db.handle.db
          .selectFrom('regions')
          .select('code')
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom('organisations').select('id').whereRef('organisations.region_code', '=', 'regions.code').where('kind', '=', kind))),
          )
          .execute();
        expect(missing).toEqual([]);
      }
    });

    it('reports the two counties without a census figure and estimates them from Golog\'s remainder', async () => {
      const report = await importProvince(db.handle.db, await qinghai());
      expect(report.missingPopulation.map((m) => m.code).sort()).toEqual(['632623', '632625']);
      const rows = await db.handle.db
        .selectFrom('regions')
        .select(['code', 'population_2020', 'population_estimate'])
        .where('code', 'in', ['632623', '632625'])
        .orderBy('code')
        .execute();
      expect(rows.map((r) => r.population_2020)).toEqual([null, null]);
      expect(rows[0]!.population_estimate + rows[1]!.population_estimate).toBe(70_962);
      expect(report.populationMismatches).toEqual([
        { code: '632800', nameZh: '海西蒙古族藏族自治州', population: 468_216, childrenSum: 468_216 - 16_287 },
      ]);
    });

    it('changes nothing when the same file is imported twice', async () => {
      const before = await db.handle.db.selectFrom('regions').select(['code', 'updated_at']).orderBy('code').execute();
      const report = await importProvince(db.handle.db, await qinghai());
      expect(report.regions).toEqual({ inserted: 0, updated: 0, unchanged: 53 });
      expect(report.organisations).toEqual({ inserted: 0, updated: 0, unchanged: 159 });
      const after = await db.handle.db.selectFrom('regions').select(['code', 'updated_at']).orderBy('code').execute();
      expect(after).toEqual(before);
    });

    it('updates only what a corrected file changes', async () => {
      const file = await qinghai();
      const corrected = parseProvinceFile(
        { ...file, regions: file.regions.map((r) => (r.code === '632801' ? { ...r, areaCode: '0977' } : r)) },
        'corrected.json',
      );
      const report = await importProvince(db.handle.db, corrected);
      expect(report.regions).toEqual({ inserted: 0, updated: 1, unchanged: 52 });
      const golmud = await db.handle.db.selectFrom('regions').select('area_code').where('code', '=', '632801').executeTakeFirstOrThrow();
      expect(golmud.area_code).toBe('0977');
    });
  });

  describe('repositories', () => {
    let db: Awaited<ReturnType<OpenDatabase>>;
    beforeAll(async () => {
      db = await open();
      await migrateToLatest(db.handle.db);
      await importProvince(db.handle.db, await qinghai());
    });
    afterAll(async () => {
      await db.handle.close();
      await db.cleanup();
    });

    it('store and read back skills, dates and ids with the same types', async () => {
      const agents = agentsRepository(db.handle.db);
      const created = await agents.insert({
        username: 'Drolma',
        password_hash: 'x',
        display_name: '卓玛',
        role: 'agent',
        region_code: '632701',
        languages: jsonb({ bo: 5, zh: 3 }),
        topics: jsonb({ labour: 4 }),
      });
      const read = await agents.findByUsername('drolma');
      expect(read).toMatchObject({ id: created.id, languages: { bo: 5, zh: 3 }, topics: { labour: 4 }, disabled: false });
      expect(read!.created_at).toBeInstanceOf(Date);

      const plan = await db.handle.db
        .insertInto('seat_plans')
        .values({ province_code: '630000', plan_date: '2026-01-31' })
        .returning(['plan_date'])
        .executeTakeFirstOrThrow();
      expect(plan.plan_date).toBe('2026-01-31');

      await auditRepository(db.handle.db).record({ actor: null, action: 'test', entityType: 'agent', entityId: created.id, details: { n: 1 } });
      const [entry] = await auditRepository(db.handle.db).listForEntity('agent', created.id);
      expect(typeof entry!.id).toBe('number');
      expect(entry!.details).toEqual({ n: 1 });
    });

    it('finds agents by language and topic within a set of regions', async () => {
      const agents = agentsRepository(db.handle.db);
      const found = await agents.list({ regionCodes: ['632700', '632701'], language: 'bo', limit: 10, offset: 0 });
      expect(found.rows.map((r) => r.username)).toEqual(['Drolma']);
      expect(found.total).toBe(1);
      const none = await agents.list({ regionCodes: ['630100'], language: 'bo', limit: 10, offset: 0 });
      expect(none.total).toBe(0);
    });

    it('refuses rows that break the schema\'s rules', async () => {
      await expect(
        db.handle.db.insertInto('regions').values({
          code: '639999',
          province_code: '630000',
          level: 'county',
          parent_code: null,
          name_zh: '无',
          name_pinyin: 'Wu',
          population_2020: 1,
          population_source: 'U',
          population_estimate: 1,
          area_code: null,
          former_codes: jsonb([]),
        }).execute(),
      ).rejects.toThrow(/regions_parent_by_level/);
      await expect(
        agentsRepository(db.handle.db).insert({
          username: 'DROLMA',
          password_hash: 'x',
          display_name: 'dup',
          role: 'agent',
          region_code: '632701',
          languages: jsonb({}),
          topics: jsonb({}),
        }),
      ).rejects.toThrow(/agents_username_key/);
    });

    it("keeps a roster's shifts on half-hours within the day, ending after they start, and a published shift says when", async () => {
      const agent = await agentsRepository(db.handle.db).findByUsername('drolma');
      const roster = await db.handle.db.insertInto('rosters').values({ province_code: '630000', roster_date: '2026-02-01' }).returning(['id', 'roster_date']).executeTakeFirstOrThrow();
      expect(roster.roster_date).toBe('2026-02-01');
      const shift = (start: number, end: number, stage: 'draft' | 'published' = 'draft', publishedAt: Date | null = null) =>
        db.handle.db.insertInto('roster_shifts').values({ roster_id: roster.id, stage, agent_id: agent!.id, region_code: '632701', start_minute: start, end_minute: end, published_at: publishedAt }).execute();
      await shift(480, 1440);
      await shift(1380, 1440, 'published', new Date());
      await expect(shift(480, 480)).rejects.toThrow(/roster_shifts_order_check/);
      await expect(shift(495, 720)).rejects.toThrow(/roster_shifts_start_minute_check|check constraint/);
      await expect(shift(1410, 1470)).rejects.toThrow(/roster_shifts_end_minute_check|check constraint/);
      await expect(shift(480, 720, 'published')).rejects.toThrow(/roster_shifts_published_check/);
    });
  });
}
