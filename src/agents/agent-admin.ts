import type { Actor } from '../auth/actor';
import { hashPassword } from '../auth/passwords';
import { assertInScope, scopeRoot } from '../auth/scope';
import { auditRepository } from '../audit/audit-repository';
import type { Db } from '../db/database';
import { jsonb } from '../db/json';
import type { AgentRow, AgentUpdate, Role, SkillMap } from '../db/schema';
import { Errors } from '../errors/errors';
import type { RegionDirectory } from '../regions/region-directory';
import type { Revocation } from './gateway/session-bus';
import { agentsRepository } from './agents-repository';

/** An agent's profile as the API shows it; never the password hash. */
export interface AgentProfile {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  servingRegion: string;
  languages: SkillMap;
  topics: SkillMap;
  disabled: boolean;
  /** The remote seat's phone (mainland digits), or null: the agent answers only at the desk. */
  seatPhone: string | null;
  /** Signed in to routing as a remote seat: offers ring the seat phone. */
  remoteSeat: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function toProfile(row: AgentRow): AgentProfile {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    servingRegion: row.region_code,
    languages: row.languages,
    topics: row.topics,
    disabled: row.disabled,
    seatPhone: row.seat_phone ?? null,
    remoteSeat: row.seat_mode === 'phone',
    lastLoginAt: row.last_login_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface NewAgentInput {
  username: string;
  password: string;
  displayName: string;
  role: Role;
  servingRegion: string;
  languages: SkillMap;
  topics: SkillMap;
  /** Already checked and in dialling form (phone-number.ts `seatNumber`). */
  seatPhone?: string | null;
}

export interface AgentPatch {
  displayName?: string;
  role?: Role;
  servingRegion?: string;
  languages?: SkillMap;
  topics?: SkillMap;
  password?: string;
  disabled?: boolean;
  /** Already checked and in dialling form; null removes it. */
  seatPhone?: string | null;
}

export interface ListQuery {
  region?: string;
  role?: Role;
  language?: string;
  topic?: string;
  q?: string;
  limit: number;
  offset: number;
}

interface Deps {
  db: Db;
  regions: RegionDirectory;
  /** Tells every node to close the sockets of an account whose tokens were just revoked. */
  revoked?: (revocation: Revocation) => Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isManager = (actor: Actor) => actor.role === 'supervisor' || actor.role === 'admin';

function requireManager(actor: Actor): void {
  if (!isManager(actor)) throw new Errors.FORBIDDEN_ROLE(actor.role);
}

/** Supervisors manage agents only; creating or promoting supervisors and admins is for admins. */
function assertMayGrant(actor: Actor, role: Role): void {
  if (actor.role !== 'admin' && role !== 'agent') throw new Errors.FORBIDDEN_ROLE(actor.role);
}

function requireKnownRegion(regions: RegionDirectory, field: string, code: string): string {
  const region = regions.get(code);
  if (!region) throw new Errors.UNKNOWN_REGION(field, code);
  return region.code;
}

/** A new password, a disable or another role ends every sign-in of the account, on every node. */
function revokesTokens(current: AgentRow, patch: AgentPatch): boolean {
  return patch.password !== undefined || (patch.disabled === true && !current.disabled) || (patch.role !== undefined && patch.role !== current.role);
}

export function agentAdmin({ db, regions, revoked }: Deps) {
  const agents = agentsRepository(db);
  const audit = auditRepository(db);

  async function loadVisible(actor: Actor, id: string): Promise<AgentRow> {
    const row = UUID.test(id) ? await agents.findById(id) : undefined;
    if (!row) throw new Errors.AGENT_NOT_FOUND(id);
    if (!isManager(actor)) {
      if (row.id !== actor.id) throw new Errors.FORBIDDEN_ROLE(actor.role);
    } else {
      assertInScope(actor, row.region_code, regions);
    }
    return row;
  }

  return {
    async list(actor: Actor, query: ListQuery) {
      requireManager(actor);
      const root = query.region ? requireKnownRegion(regions, 'query.region', query.region) : scopeRoot(actor, regions);
      assertInScope(actor, root, regions);
      const { rows, total } = await agents.list({
        regionCodes: regions.subtree(root),
        role: query.role,
        language: query.language,
        topic: query.topic,
        search: query.q,
        limit: query.limit,
        offset: query.offset,
      });
      return { items: rows.map(toProfile), total };
    },

    async get(actor: Actor, id: string) {
      return toProfile(await loadVisible(actor, id));
    },

    async create(actor: Actor, input: NewAgentInput, requestId: string) {
      requireManager(actor);
      assertMayGrant(actor, input.role);
      const region = requireKnownRegion(regions, 'body.servingRegion', input.servingRegion);
      assertInScope(actor, region, regions);
      if (await agents.findByUsername(input.username)) throw new Errors.USERNAME_TAKEN(input.username);
      const passwordHash = await hashPassword(input.password);
      const row = await db.transaction().execute(async (trx) => {
        const created = await agents.insert(
          {
            username: input.username,
            password_hash: passwordHash,
            display_name: input.displayName,
            role: input.role,
            region_code: region,
            languages: jsonb(input.languages),
            topics: jsonb(input.topics),
            seat_phone: input.seatPhone ?? null,
          },
          trx,
        );
        await audit.record(
          { actor, action: 'agent.create', entityType: 'agent', entityId: created.id, requestId, details: { role: input.role, servingRegion: region } },
          trx,
        );
        return created;
      });
      return toProfile(row);
    },

    async update(actor: Actor, id: string, patch: AgentPatch, requestId: string) {
      requireManager(actor);
      const current = await loadVisible(actor, id);
      if (current.role !== 'agent' || patch.role !== undefined) assertMayGrant(actor, patch.role ?? current.role);
      const changes: AgentUpdate = {};
      if (patch.servingRegion !== undefined) {
        changes.region_code = requireKnownRegion(regions, 'body.servingRegion', patch.servingRegion);
        assertInScope(actor, changes.region_code, regions);
      }
      if (patch.displayName !== undefined) changes.display_name = patch.displayName;
      if (patch.role !== undefined) changes.role = patch.role;
      if (patch.languages !== undefined) changes.languages = jsonb(patch.languages);
      if (patch.topics !== undefined) changes.topics = jsonb(patch.topics);
      if (patch.disabled !== undefined) changes.disabled = patch.disabled;
      if (patch.password !== undefined) changes.password_hash = await hashPassword(patch.password);
      if (patch.seatPhone !== undefined) {
        // The phone offers are ringing now cannot go away under a signed-in remote seat.
        if (patch.seatPhone === null && current.seat_mode === 'phone') throw new Errors.REMOTE_SEAT_BUSY(id, 'it is signed in as a remote seat; sign it out first (PUT /api/agents/:id/remote-seat {"state":"offline"})');
        changes.seat_phone = patch.seatPhone;
      }
      const revoke = revokesTokens(current, patch);
      const row = await db.transaction().execute(async (trx) => {
        let updated = await agents.update(id, changes, trx);
        if (!updated) throw new Errors.AGENT_NOT_FOUND(id);
        if (revoke) updated = { ...updated, token_version: await agents.revokeTokens(id, trx) };
        const fields = Object.keys(patch).filter((k) => k !== 'password');
        await audit.record(
          {
            actor,
            action: 'agent.update',
            entityType: 'agent',
            entityId: id,
            requestId,
            details: { fields: patch.password !== undefined ? [...fields, 'password'] : fields, from: { servingRegion: current.region_code } },
          },
          trx,
        );
        return updated;
      });
      // Announced after the commit, so a node re-reading the account finds the new version.
      if (revoke) await revoked?.({ accountId: row.id, tokenVersion: row.token_version });
      return toProfile(row);
    },
  };
}

export type AgentAdmin = ReturnType<typeof agentAdmin>;
