import { createHash } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';

/**
 * Which tickets are drawn for quality inspection. Each ticket's draw is a number in [0, 1) made
 * from a hash of its id, and the ticket is in the sample when its draw is below the province's
 * inspection rate. A hash rather than a sampler running on a clock: every node (and every
 * query) agrees on the sample without anything being written or coordinated, a ticket is drawn
 * the moment it exists, and the agent cannot tell from anything they do whether a call will be
 * inspected. Raising the rate only adds tickets (a draw below 5 % is also below 10 %). The
 * share is the rate on average; over a few dozen calls it varies, and inspectors may score any
 * other ticket of their area too.
 */

/** 28 bits of the hash: a whole number Postgres reads from hex exactly as JavaScript does. */
const BITS = 28;
const SCALE = 2 ** BITS;

/** The ticket's draw in [0, 1); the same number `drawSql` computes in the database. */
export function inspectionDraw(ticketId: string): number {
  const hex = createHash('md5').update(ticketId.toLowerCase()).digest('hex');
  return parseInt(hex.slice(0, BITS / 4), 16) / SCALE;
}

export function isSampled(ticketId: string, rate: number): boolean {
  return inspectionDraw(ticketId) < rate;
}

/** The draw of a ticket id column (uuid), in SQL. */
export function drawSql(ticketIdColumn: string): RawBuilder<number> {
  return sql<number>`(('x' || substr(md5(${sql.ref(ticketIdColumn)}::text), 1, ${BITS / 4}))::bit(${sql.raw(String(BITS))})::int / ${SCALE}::float8)`;
}

/** With no inspection target set (null), tickets are still sampled at the contract's 5 %. */
export const DEFAULT_INSPECTION_RATE = 0.05;
