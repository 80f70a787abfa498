import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app';
import { hashPassword } from '../../src/auth/passwords';
import { type Config, parseConfig } from '../../src/config/config';
import { jsonb } from '../../src/db/json';
import type { Role, SkillMap } from '../../src/db/schema';
import { testDatabase } from './databases';

export interface TestApp {
  app: FastifyInstance;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
  /** Adds a user straight to the database and returns a bearer token for them. */
  addUser(user: { username: string; role: Role; region: string; languages?: SkillMap; topics?: SkillMap }): Promise<{ id: string; token: string }>;
}

const PASSWORD = 'test-password-1';
let passwordHash: Promise<string> | undefined;

/** The real app on a test database, logging to memory, with no demo accounts. */
export async function startTestApp(overrides: Partial<Config> = {}): Promise<TestApp> {
  const { database, cleanup } = await testDatabase();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotline-test-'));
  const config: Config = {
    ...parseConfig({ LOG_LEVEL: 'info', DATA_DIR: dataDir }),
    database,
    jwtSecret: 'test-secret-test-secret-test-secret-0123',
    demoAccounts: false,
    ...overrides,
  };
  const logs: Record<string, unknown>[] = [];
  const logStream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const app = await buildApp(config, { logStream }).catch(async (err) => {
    await cleanup();
    await fs.rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  await app.ready();
  passwordHash ??= hashPassword(PASSWORD);

  return {
    app,
    logs,
    async close() {
      await app.close();
      await cleanup();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
    async addUser(user) {
      const row = await app.db
        .insertInto('agents')
        .values({
          username: user.username,
          password_hash: await passwordHash!,
          display_name: user.username,
          role: user.role,
          region_code: user.region,
          languages: jsonb(user.languages ?? { zh: 5 }),
          topics: jsonb(user.topics ?? {}),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user.username, password: PASSWORD } });
      if (res.statusCode !== 200) throw new Error(`login for ${user.username} failed: ${res.body}`);
      return { id: row.id, token: res.json().token };
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
