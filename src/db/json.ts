import { type RawBuilder, sql } from 'kysely';

/**
 * A jsonb value as a query parameter. It travels as text and is cast in SQL, because node-pg and
 * PGlite serialise a bare object parameter differently (node-pg turns arrays into Postgres arrays).
 */
export function jsonb<T>(value: T): RawBuilder<string> {
  return sql<string>`${JSON.stringify(value)}::text::jsonb`;
}
