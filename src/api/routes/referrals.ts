import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { actorOf } from '../../auth/plugin';
import { hashPassword } from '../../auth/passwords';
import { auditRepository } from '../../audit/audit-repository';
import { jsonb } from '../../db/json';
import { Errors } from '../../errors/errors';
import { checkEligibility, EligibilityInput } from '../../tickets/eligibility';
import { legalAidStandard, ListQuery, NewReferral, ReferralAction } from '../../tickets/referrals';
import { referralSettings } from '../../tickets/referral-settings';
import { RegionCode, errors } from '../schemas';

/** Answers are built from typed queries; the schema documents them as JSON objects. */
const Body = z.looseObject({});
const Id = z.strictObject({ id: z.uuid('must be an id (a UUID)') });
const OrgCode = z.strictObject({ code: z.string().regex(/^[A-Z]{2}-\d{6}$/, 'must be an organisation code such as LA-632723') });

const NewOrganisationAccount = z.strictObject({
  username: z.string().trim().regex(/^[a-zA-Z0-9._-]{3,64}$/, 'must be 3–64 letters, digits, dots, dashes or underscores'),
  password: z.string().min(8, 'must be at least 8 characters').max(200),
  displayName: z.string().trim().min(1).max(100),
});

/**
 * Referrals to legal aid and mediation, from the hotline's side (made from a ticket) and from
 * the receiving organisation's (acting with its own accounts), and the organisations themselves.
 */
export async function referralRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const staff = ['agent', 'supervisor', 'admin'] as const;
  const managers = ['supervisor', 'admin'] as const;

  r.post(
    '/api/tickets/:id/referrals',
    {
      config: { access: staff },
      schema: {
        tags: ['referrals'],
        summary: 'Refer the caller: to legal aid (with the eligibility pre-check), to mediation, or divert to a department',
        params: Id,
        body: NewReferral,
        response: { 201: Body, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await app.referrals.create(actorOf(request), request.params.id, request.body, request.id)),
  );

  r.get(
    '/api/referrals',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['referrals'],
        summary: "Referrals you may see: an organisation's own, a supervisor's area, the ones an agent made; overdue=true lists the late ones",
        querystring: ListQuery,
        response: { 200: Body, ...errors(400, 401) },
      },
    },
    async (request) => app.referrals.list(actorOf(request), request.query),
  );

  r.get(
    '/api/referrals/:id',
    { config: { access: 'authenticated' }, schema: { tags: ['referrals'], summary: 'One referral with its events (reading it is audited)', params: Id, response: { 200: Body, ...errors(401, 403, 404) } } },
    async (request) => app.referrals.get(actorOf(request), request.params.id, request.id),
  );

  r.post(
    '/api/referrals/:id/events',
    {
      config: { access: ['organisation'] },
      schema: {
        tags: ['referrals'],
        summary: 'The receiving organisation accepts, declines (with a reason), reports progress, or closes (with the outcome)',
        params: Id,
        body: ReferralAction,
        response: { 200: Body, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => app.referrals.act(actorOf(request), request.params.id, request.body, request.id),
  );

  r.post(
    '/api/legal-aid/eligibility',
    {
      config: { access: staff },
      schema: {
        tags: ['referrals'],
        summary: "Preview the legal aid pre-check for a caller's answers, against the hardship standard of their region",
        body: z.strictObject({ regionCode: RegionCode, answers: EligibilityInput }),
        response: { 200: Body, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      if (!app.regions.get(request.body.regionCode)) throw new Errors.UNKNOWN_REGION('regionCode', request.body.regionCode);
      const row = await app.db.selectFrom('provinces').select('settings').where('code', '=', app.province.code).executeTakeFirstOrThrow();
      const settings = referralSettings(row.settings as Record<string, unknown>, app.province.code);
      return { ...checkEligibility(request.body.answers, legalAidStandard(settings, app.regions, request.body.regionCode)) };
    },
  );

  r.get(
    '/api/organisations',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['referrals'],
        summary: 'Legal aid centres, mediation committees and judicial offices, by kind and region',
        querystring: z.strictObject({ kind: z.enum(['legal_aid_centre', 'mediation_committee', 'judicial_office', 'department']).optional(), region: RegionCode.optional() }),
        response: { 200: Body, ...errors(400, 401) },
      },
    },
    async (request) => {
      let q = app.db.selectFrom('organisations').select(['id', 'code', 'kind', 'name_zh', 'name_en', 'region_code', 'phone', 'address']);
      if (request.query.kind) q = q.where('kind', '=', request.query.kind);
      if (request.query.region) q = q.where('region_code', 'in', app.regions.subtree(request.query.region));
      return { items: await q.orderBy('code').execute() };
    },
  );

  r.post(
    '/api/organisations/:code/accounts',
    {
      config: { access: ['admin'] },
      schema: {
        tags: ['referrals'],
        summary: 'Create a sign-in for staff of a legal aid centre or mediation committee (they see and act on their own referrals only)',
        params: OrgCode,
        body: NewOrganisationAccount,
        response: { 201: Body, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const org = await app.db.selectFrom('organisations').selectAll().where('code', '=', request.params.code).executeTakeFirst();
      if (!org) throw new Errors.ORGANISATION_NOT_FOUND(request.params.code);
      const taken = await app.db.selectFrom('agents').select('id').where(sql<string>`lower(username)`, '=', request.body.username.toLowerCase()).executeTakeFirst();
      if (taken) throw new Errors.USERNAME_TAKEN(request.body.username);
      const created = await app.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('agents')
          .values({
            username: request.body.username,
            password_hash: await hashPassword(request.body.password),
            display_name: request.body.displayName,
            role: 'organisation',
            region_code: org.region_code,
            organisation_id: org.id,
            languages: jsonb({}),
            topics: jsonb({}),
          })
          .returning(['id', 'username', 'display_name', 'region_code'])
          .executeTakeFirstOrThrow();
        await auditRepository(trx).record({ actor, action: 'organisation.account.create', entityType: 'agent', entityId: row.id, requestId: request.id, details: { organisation: org.code } });
        return row;
      });
      return reply.code(201).send({ id: created.id, username: created.username, displayName: created.display_name, organisation: { code: org.code, nameZh: org.name_zh, nameEn: org.name_en } });
    },
  );

  r.get(
    '/api/callback-tasks',
    {
      config: { access: managers },
      schema: {
        tags: ['referrals'],
        summary: 'Callers to be called back (for example with the outcome of their referral), in your area',
        querystring: z.strictObject({ status: z.enum(['open', 'queued', 'done', 'cancelled']).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: { 200: Body, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      let q = app.db
        .selectFrom('callback_tasks as c')
        .innerJoin('tickets as t', 't.id', 'c.ticket_id')
        .select(['c.id', 'c.reason', 'c.status', 'c.due_at', 'c.note', 'c.callback_id', 'c.referral_id', 't.number as ticket_number', 't.region_code']);
      if (actor.role === 'supervisor') q = q.where('t.region_code', 'in', app.regions.subtree(actor.regionCode));
      if (request.query.status) q = q.where('c.status', '=', request.query.status);
      return { items: await q.orderBy('c.due_at', 'desc').limit(request.query.limit).execute() };
    },
  );
}
