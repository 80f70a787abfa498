import type { Db } from '../db/database';
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
