import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { referralSettings } from './referral-settings';
import { referralsService } from './referrals';
import { ReferralSweeper } from './referral-sweeper';
import { RiskFlags } from './risk-flags';

declare module 'fastify' {
  interface FastifyInstance {
    referrals: ReturnType<typeof referralsService>;
    referralSweeper: ReferralSweeper;
    riskFlags: RiskFlags;
  }
}

/** Referrals and their clock (overdue marks, alerts, callback tasks). */
export const ticketsPlugin = fp(
  async function tickets(app: FastifyInstance, opts: { sweepIntervalMs?: number }) {
    const row = await app.db.selectFrom('provinces').select('settings').where('code', '=', app.province.code).executeTakeFirstOrThrow();
    const settings = referralSettings(z.record(z.string(), z.unknown()).parse(row.settings), app.province.code);
    app.decorate('referrals', referralsService({ db: app.db, regions: app.regions, settings: () => settings }));
    const sweeper = new ReferralSweeper({
      db: app.db,
      provinceCode: app.province.code,
      callbackMaxAttempts: () => app.callbacks.policy.maxAttempts,
      onCallbacksBooked: () => app.callbacks.nudge(),
      log: app.log,
      intervalMs: opts.sweepIntervalMs ?? 30_000,
    });
    await sweeper.start();
    app.decorate('referralSweeper', sweeper);
    app.decorate('riskFlags', new RiskFlags());
    app.addHook('onClose', () => sweeper.stop());
  },
  { name: 'tickets', dependencies: ['callbacks', 'database', 'province'] },
);
