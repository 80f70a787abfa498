import type { FastifyInstance } from 'fastify';
import { jsonb } from '../../src/db/json';

/** Sets one section of the province's settings (`callbacks`, `routing`…), as an operator would. */
export async function setProvinceSettings(app: FastifyInstance, section: string, value: unknown): Promise<void> {
  const row = await app.db.selectFrom('provinces').select('settings').where('code', '=', app.province.code).executeTakeFirstOrThrow();
  await app.db.updateTable('provinces').set({ settings: jsonb({ ...row.settings, [section]: value }) }).where('code', '=', app.province.code).execute();
}

/** Callbacks may be made at any hour, so a test does not depend on the time of day it runs at. */
export const ANY_HOUR = { callingHours: { from: '00:00', to: '24:00' } };
