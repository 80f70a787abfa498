import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import type { Db } from '../db/database';
import { followUpsService } from './follow-ups';
import { inspectionsService } from './inspections';
import { type QualitySettings, qualitySettings } from './quality-settings';
import { DEFAULT_INSPECTION_RATE } from './sampling';

/** The province's evaluation form as read at start, and read again on demand (a settings change). */
export class QualitySettingsHolder {
  constructor(
    private settings: QualitySettings,
    private readonly db: Db,
    private readonly provinceCode: string,
  ) {}

  get current(): QualitySettings {
    return this.settings;
  }

  /** Reads `provinces.settings.quality` again; a bad section is refused and the form in force stays. */
  async reload(): Promise<QualitySettings> {
    this.settings = await readSettings(this.db, this.provinceCode);
    return this.settings;
  }
}

async function readSettings(db: Db, provinceCode: string): Promise<QualitySettings> {
  const row = await db.selectFrom('provinces').select('settings').where('code', '=', provinceCode).executeTakeFirstOrThrow();
  return qualitySettings(z.record(z.string(), z.unknown()).parse(row.settings), provinceCode);
}

declare module 'fastify' {
  interface FastifyInstance {
    quality: {
      settings: QualitySettingsHolder;
      followUps: ReturnType<typeof followUpsService>;
      inspections: ReturnType<typeof inspectionsService>;
    };
  }
}

/** Follow-ups of dissatisfied callers and quality inspection (回访 / 质检). */
export const qualityPlugin = fp(
  async function quality(app: FastifyInstance) {
    const settings = new QualitySettingsHolder(await readSettings(app.db, app.province.code), app.db, app.province.code);
    app.decorate('quality', {
      settings,
      followUps: followUpsService({ db: app.db, regions: app.regions, callbacks: app.callbacks, router: app.router }),
      inspections: inspectionsService({
        db: app.db,
        regions: app.regions,
        criteria: () => settings.current.criteria,
        rate: () => app.serviceTargets.current.inspectionRate ?? DEFAULT_INSPECTION_RATE,
      }),
    });
  },
  { name: 'quality', dependencies: ['callbacks', 'queue', 'service-targets', 'database', 'province'] },
);
