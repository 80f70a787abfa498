import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { regionsRepository } from '../../regions/regions-repository';
import { RegionCode, RegionNodeSchema, RegionSchema, errors } from '../schemas';

const OrganisationSchema = z.object({
  id: z.uuid(),
  code: z.string(),
  kind: z.enum(['legal_aid_centre', 'mediation_committee', 'judicial_office', 'department']),
  nameZh: z.string(),
  nameEn: z.string(),
  regionCode: z.string(),
  phone: z.string().nullable(),
  address: z.string().nullable(),
});

export async function regionRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const repo = regionsRepository(app.db);

  r.get(
    '/api/regions',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['regions'],
        summary: 'The province\'s region tree with 2020 census population',
        response: { 200: z.object({ province: z.object({ code: z.string(), languages: z.array(z.string()) }), tree: RegionNodeSchema }), ...errors(401) },
      },
    },
    async () => ({ province: { code: app.province.code, languages: app.province.languages }, tree: app.regions.tree() }),
  );

  r.get(
    '/api/regions/:code',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['regions'],
        summary: 'One region: where it sits, what lies below it, and its organisations',
        params: z.strictObject({ code: RegionCode }),
        response: {
          200: z.object({
            region: RegionSchema,
            lineage: z.array(RegionSchema),
            children: z.array(RegionSchema),
            organisations: z.array(OrganisationSchema),
          }),
          ...errors(400, 401, 404),
        },
      },
    },
    async (request) => {
      const region = app.regions.require(request.params.code);
      const organisations = await repo.listOrganisations([region.code]);
      return {
        region,
        lineage: app.regions.lineage(region.code).slice(1),
        children: app.regions.children(region.code),
        organisations: organisations.map((o) => ({
          id: o.id,
          code: o.code,
          kind: o.kind,
          nameZh: o.name_zh,
          nameEn: o.name_en,
          regionCode: o.region_code,
          phone: o.phone,
          address: o.address,
        })),
      };
    },
  );
}
