import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { AgentUpdate, NewAgent, Role } from '../db/schema';

export interface AgentFilter {
  regionCodes: string[];
  role?: Role;
  language?: string;
  topic?: string;
  search?: string;
  limit: number;
  offset: number;
}

export function agentsRepository(db: Db) {
  return {
    findById(id: string, trx: Db = db) {
      return trx.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
    },
    findByUsername(username: string, trx: Db = db) {
      return trx
        .selectFrom('agents')
        .selectAll()
        .where(sql<string>`lower(username)`, '=', username.toLowerCase())
        .executeTakeFirst();
    },
    async list(filter: AgentFilter) {
      let q = db.selectFrom('agents').where('region_code', 'in', filter.regionCodes);
      if (filter.role) q = q.where('role', '=', filter.role);
      if (filter.language) q = q.where(sql<boolean>`(languages ->> ${filter.language}) is not null`);
      if (filter.topic) q = q.where(sql<boolean>`(topics ->> ${filter.topic}) is not null`);
      if (filter.search) {
        const like = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q = q.where((eb) => eb.or([eb('username', 'ilike', like), eb('display_name', 'ilike', like)]));
      }
      const [rows, total] = await Promise.all([
        q.selectAll().orderBy('region_code').orderBy('username').limit(filter.limit).offset(filter.offset).execute(),
        q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { rows, total: Number(total.n) };
    },
    insert(values: NewAgent, trx: Db = db) {
      return trx.insertInto('agents').values(values).returningAll().executeTakeFirstOrThrow();
    },
    update(id: string, values: AgentUpdate, trx: Db = db) {
      return trx
        .updateTable('agents')
        .set({ ...values, updated_at: sql`now()` })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },
    /** Every token issued so far stops working; returns the new version. */
    async revokeTokens(id: string, trx: Db = db): Promise<number> {
      const row = await trx
        .updateTable('agents')
        .set((eb) => ({ token_version: eb('token_version', '+', 1), updated_at: sql`now()` }))
        .where('id', '=', id)
        .returning('token_version')
        .executeTakeFirstOrThrow();
      return row.token_version;
    },
    recordLogin(id: string) {
      return db.updateTable('agents').set({ last_login_at: sql`now()` }).where('id', '=', id).execute();
    },
    countByRole(role: Role) {
      return db
        .selectFrom('agents')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('role', '=', role)
        .executeTakeFirstOrThrow()
        .then((r) => Number(r.n));
    },
  };
}

export type AgentsRepository = ReturnType<typeof agentsRepository>;
