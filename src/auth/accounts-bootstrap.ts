import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { agentsRepository } from '../agents/agents-repository';
import { jsonb } from '../db/json';
import type { Role, SkillMap } from '../db/schema';
import { hashPassword, verifyPassword } from './passwords';

export const DEMO_PASSWORD = 'demo12348';

export interface DemoAccount {
  username: string;
  displayName: string;
  role: Role;
  region: string;
  languages: SkillMap;
  topics: SkillMap;
}

const GENERAL: SkillMap = { labour: 4, marriage_family: 4, land_housing: 3, contract_debt: 3, traffic_accident: 3, consumer: 3, legal_aid: 3, other: 3 };

/**
 * Qinghai demo staff: the provincial centre, Xining and Haidong where most people live, and the
 * Tibetan and Mongolian areas, so that every IVR language has someone to answer it.
 */
export const QINGHAI_DEMO_ACCOUNTS: DemoAccount[] = [
  { username: 'sup.province', displayName: '省级督导 周丽', role: 'supervisor', region: '630000', languages: { zh: 5 }, topics: {} },
  { username: 'sup.xining', displayName: '西宁市督导 刘洋', role: 'supervisor', region: '630100', languages: { zh: 5 }, topics: {} },
  { username: 'agent.prov1', displayName: '张敏', role: 'agent', region: '630000', languages: { zh: 5 }, topics: { ...GENERAL, criminal: 4, administrative: 4 } },
  { username: 'agent.prov2', displayName: '才让卓玛', role: 'agent', region: '630000', languages: { zh: 4, bo: 5 }, topics: GENERAL },
  { username: 'agent.prov3', displayName: '巴特尔', role: 'agent', region: '630000', languages: { zh: 4, mn: 5 }, topics: GENERAL },
  { username: 'agent.xining1', displayName: '李强', role: 'agent', region: '630100', languages: { zh: 5 }, topics: { ...GENERAL, labour: 5 } },
  { username: 'agent.chengdong1', displayName: '马秀兰', role: 'agent', region: '630102', languages: { zh: 5 }, topics: { ...GENERAL, marriage_family: 5 } },
  { username: 'agent.huangzhong1', displayName: '王芳', role: 'agent', region: '630106', languages: { zh: 5 }, topics: { ...GENERAL, land_housing: 5 } },
  { username: 'agent.haidong1', displayName: '韩德明', role: 'agent', region: '630200', languages: { zh: 5 }, topics: GENERAL },
  { username: 'agent.huzhu1', displayName: '李春梅', role: 'agent', region: '630223', languages: { zh: 5 }, topics: { ...GENERAL, land_housing: 4 } },
  { username: 'agent.haixi1', displayName: '其其格', role: 'agent', region: '632800', languages: { zh: 5, mn: 4 }, topics: GENERAL },
  { username: 'agent.golmud1', displayName: '赵建国', role: 'agent', region: '632801', languages: { zh: 5 }, topics: { ...GENERAL, labour: 5, traffic_accident: 4 } },
  { username: 'agent.yushu1', displayName: '索南扎西', role: 'agent', region: '632700', languages: { bo: 5, zh: 3 }, topics: GENERAL },
  { username: 'agent.golog1', displayName: '多杰才旦', role: 'agent', region: '632600', languages: { bo: 5, zh: 4 }, topics: GENERAL },
  { username: 'agent.huangnan1', displayName: '更登', role: 'agent', region: '632300', languages: { zh: 5, bo: 4, mn: 3 }, topics: GENERAL },
];

export interface BootstrapOptions {
  adminPassword: string | null;
  demoAccounts: boolean;
}

/**
 * ADMIN_PASSWORD creates or resets `admin` at every start. A reset that changes something (the
 * password, a disabled account, another role) ends admin's earlier sign-ins on every node; a
 * start with the same password changes nothing, so restarting a node signs nobody out. In the
 * embedded demo, demo staff are added once (with DEMO_PASSWORD; `admin` too when no
 * ADMIN_PASSWORD is set) and never reset.
 */
export const accountsBootstrapPlugin = fp(
  async function accountsBootstrap(app: FastifyInstance, opts: BootstrapOptions) {
    const agents = agentsRepository(app.db);
    const province = app.regions.province.code;

    const admin = await agents.findByUsername('admin');
    if (opts.adminPassword) {
      if (!admin) {
        const password_hash = await hashPassword(opts.adminPassword);
        await agents.insert({ username: 'admin', password_hash, display_name: '系统管理员', role: 'admin', region_code: province, languages: jsonb({}), topics: jsonb({}) });
        app.log.info('admin account created from ADMIN_PASSWORD');
      } else if (admin.disabled || admin.role !== 'admin' || !(await verifyPassword(opts.adminPassword, admin.password_hash))) {
        const password_hash = await hashPassword(opts.adminPassword);
        const tokenVersion = await app.db.transaction().execute(async (trx) => {
          await agents.update(admin.id, { password_hash, disabled: false, role: 'admin' }, trx);
          return agents.revokeTokens(admin.id, trx);
        });
        await app.sessionBus.revoke({ accountId: admin.id, tokenVersion }).catch((err) => app.log.warn({ err }, 'could not announce the revocation of admin\'s sign-ins'));
        app.log.info('admin account reset from ADMIN_PASSWORD; earlier sign-ins of admin no longer work');
      }
    } else if (!admin && opts.demoAccounts) {
      await agents.insert({ username: 'admin', password_hash: await hashPassword(DEMO_PASSWORD), display_name: '系统管理员', role: 'admin', region_code: province, languages: jsonb({}), topics: jsonb({}) });
    } else if (!admin && (await agents.countByRole('admin')) === 0) {
      app.log.warn('there is no admin account: set ADMIN_PASSWORD to create one');
    }

    if (!opts.demoAccounts) return;
    const hash = await hashPassword(DEMO_PASSWORD);
    for (const demo of QINGHAI_DEMO_ACCOUNTS) {
      if (!app.regions.get(demo.region) || (await agents.findByUsername(demo.username))) continue;
      await agents.insert({
        username: demo.username,
        password_hash: hash,
        display_name: demo.displayName,
        role: demo.role,
        region_code: demo.region,
        languages: jsonb(demo.languages),
        topics: jsonb(demo.topics),
      });
    }
  },
  { name: 'accounts-bootstrap', dependencies: ['province', 'session-bus'] },
);
