import type { Role } from '../db/schema';

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
}

/** Who may call a route: anyone, any signed-in user, or the listed roles. */
export type Access = 'public' | 'authenticated' | readonly Role[];
