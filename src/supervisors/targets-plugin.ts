import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import type { Db } from '../db/database';
import { type ServiceTargets, serviceTargets } from './targets';

/** The province's service targets as read at start, and read again on demand (a settings change). */
export class TargetsHolder {
  constructor(
    private targets: ServiceTargets,
    private readonly db: Db,
    private readonly provinceCode: string,
  ) {}

  get current(): ServiceTargets {
    return this.targets;
  }

  /** The service-level threshold a request asked for, else the province's (reports, staffing). */
  thresholdOr(asked: number | undefined): number {
    return asked ?? this.targets.serviceLevel.thresholdSeconds;
  }

  /** Reads `provinces.settings.targets` again; a bad section is refused and the targets in force stay. */
  async reload(): Promise<ServiceTargets> {
    this.targets = await readTargets(this.db, this.provinceCode);
    return this.targets;
  }
}

async function readTargets(db: Db, provinceCode: string): Promise<ServiceTargets> {
  const row = await db.selectFrom('provinces').select('settings').where('code', '=', provinceCode).executeTakeFirstOrThrow();
  return serviceTargets(z.record(z.string(), z.unknown()).parse(row.settings), provinceCode);
}

declare module 'fastify' {
  interface FastifyInstance {
    serviceTargets: TargetsHolder;
  }
}

/** Loaded before the metrics and the wallboard: both measure the service level against the same threshold. */
export const serviceTargetsPlugin = fp(
  async function targets(app: FastifyInstance) {
    app.decorate('serviceTargets', new TargetsHolder(await readTargets(app.db, app.province.code), app.db, app.province.code));
  },
  { name: 'service-targets', dependencies: ['database', 'province'] },
);
