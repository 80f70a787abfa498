import type { FastifyRequest } from 'fastify';
import type { AgentRow, Role } from '../db/schema';
import { Errors } from '../errors/errors';

/** Who is making a request, as loaded from the database for that request. */
export interface Actor {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** An agent's serving region; a supervisor's area. */
  regionCode: string;
  /** An organisation account's centre or committee; null for hotline staff. */
  organisationId?: string | null;
  /** The account's token version when the token was checked; a later one means it was revoked. */
  tokenVersion: number;
}

export function actorFromRow(row: AgentRow): Actor {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    regionCode: row.region_code,
    organisationId: row.organisation_id,
    tokenVersion: row.token_version,
  };
}

/** Who may call a route: anyone, any signed-in user, or the listed roles. */
export type Access = 'public' | 'authenticated' | readonly Role[];

/** The signed-in user of a guarded route (src/auth/plugin.ts); guards have already refused anonymous callers. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new Errors.UNAUTHENTICATED('this route needs a signed-in user');
  return request.actor;
}
