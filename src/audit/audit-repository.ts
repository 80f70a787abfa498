import { type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Db } from '../db/database';
import type { Database } from '../db/schema';
import { jsonb } from '../db/json';
import type { Actor } from '../auth/actor';

export interface AuditEntry {
  actor: Actor | null;
  action: string;
  entityType: string;
  entityId: string;
  requestId?: string;
  details?: Record<string, unknown>;
}

export function auditRepository(db: Db) {
  return {
    record(entry: AuditEntry, trx: Db = db) {
      return trx
        .insertInto('audit_log')
        .values({
          actor_id: entry.actor?.id ?? null,
          actor_username: entry.actor?.username ?? null,
          actor_role: entry.actor?.role ?? null,
          action: entry.action,
          entity_type: entry.entityType,
          entity_id: entry.entityId,
          request_id: entry.requestId ?? null,
          details: jsonb(entry.details ?? {}),
        })
        .execute();
    },
    listForEntity(entityType: string, entityId: string) {
      return db
        .selectFrom('audit_log')
        .selectAll()
        .where('entity_type', '=', entityType)
        .where('entity_id', '=', entityId)
        .orderBy('id')
        .execute();
    },
  };
}

export interface AuditFilter {
  entityType?: string;
  entityId?: string;
  actorId?: string;
  action?: string;
  /** Inclusive lower bound of `at`. */
  from?: Date;
  /** Exclusive upper bound of `at`. */
  before?: Date;
  limit: number;
  offset: number;
}

function auditConditions(eb: ExpressionBuilder<Database, 'audit_log'>, f: AuditFilter): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [];
  if (f.entityType !== undefined) conditions.push(eb('entity_type', '=', f.entityType));
  if (f.entityId !== undefined) conditions.push(eb('entity_id', '=', f.entityId));
  if (f.actorId !== undefined) conditions.push(eb('actor_id', '=', f.actorId));
  if (f.action !== undefined) conditions.push(eb('action', '=', f.action));
  if (f.from) conditions.push(eb('at', '>=', f.from));
  if (f.before) conditions.push(eb('at', '<', f.before));
  return eb.and(conditions);
}

/** The audit log as admins read it. */
export function auditLogQueries(db: Db) {
  return {
    /** Newest first: the identity column orders rows written in the same instant. */
    async list(f: AuditFilter) {
      const [rows, total] = await Promise.all([
        db
          .selectFrom('audit_log')
          .selectAll()
          .where((eb) => auditConditions(eb, f))
          .orderBy('id', 'desc')
          .limit(f.limit)
          .offset(f.offset)
          .execute(),
        db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where((eb) => auditConditions(eb, f))
          .executeTakeFirstOrThrow(),
      ]);
      return { rows, total: Number(total.n) };
    },
  };
}
