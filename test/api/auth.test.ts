import { createHmac } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEMO_PASSWORD } from '../../src/auth/accounts-bootstrap';
import type { DatabaseConfig } from '../../src/config/config';
import { bearer, startTestApp, type TestApp } from '../support/app';
import { createPostgresDatabase } from '../support/databases';

const login = (t: TestApp, username: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });

describe('POST /api/auth/login', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.addUser({ username: 'agent.one', role: 'agent', region: '630102' });
  });
  afterAll(() => t.close());

  it('returns a token and the user, without the password hash', async () => {
    const res = await login(t, 'Agent.One', 'test-password-1');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.user).toMatchObject({ username: 'agent.one', role: 'agent', servingRegion: '630102' });
    expect(JSON.stringify(body)).not.toMatch(/scrypt/);
    const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(body.token) });
    expect(me.json().username).toBe('agent.one');
    expect(new Date(body.expiresAt).getTime() - Date.now()).toBeGreaterThan(11 * 3600_000);
  });

  it('answers a wrong password and an unknown user the same way', async () => {
    const wrong = await login(t, 'agent.one', 'not-the-password');
    const unknown = await login(t, 'nobody', 'not-the-password');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().message).toBe(unknown.json().message);
    expect(wrong.json()).toMatchObject({ code: 'HOTLINE_ERR_INVALID_CREDENTIALS', messageZh: '用户名或密码错误' });
  });

  it('never logs the password', async () => {
    await login(t, 'agent.one', 'hunter2-secret-value');
    expect(JSON.stringify(t.logs)).not.toContain('hunter2-secret-value');
  });

  it('refuses a forged, an expired and a disabled account\'s token', async () => {
    const forged = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.x') });
    expect(forged.statusCode).toBe(401);
    expect(forged.json().message).toMatch(/not valid/);

    const { id, token } = await t.addUser({ username: 'agent.two', role: 'agent', region: '630102' });
    const shortLived = t.app.jwt.sign({ sub: id, role: 'agent', username: 'agent.two', tv: 0 }, { expiresIn: 1 });
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(shortLived) });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().message).toMatch(/expired/);

    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) })).statusCode).toBe(200);
    await t.app.db.updateTable('agents').set({ disabled: true }).where('id', '=', id).execute();
    const disabled = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
    expect(disabled.statusCode).toBe(401);
    expect((await login(t, 'agent.two', 'test-password-1')).statusCode).toBe(401);
  });

  it('slows down password guessing from one address with 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await login(t, 'agent.one', `guess-${i}`)).statusCode);
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(20);
    // Said with its own code and the wait, in Chinese and English.
    const refused = await login(t, 'agent.one', 'guess-again');
    expect(refused.statusCode).toBe(429);
    const wait = Number(refused.headers['retry-after']);
    expect(wait).toBeGreaterThan(0);
    expect(refused.json()).toMatchObject({ code: 'HOTLINE_ERR_RATE_LIMITED', retryAfterSeconds: wait, message: `Too many requests; try again in ${wait} s`, messageZh: `请求过于频繁，请 ${wait} 秒后再试` });
  });

  it('refuses a body with unknown fields', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'a', password: 'b', role: 'admin' } });
    expect([400, 429]).toContain(res.statusCode);
  });
});

describe('tokens', () => {
  let t: TestApp;
  let admin: { id: string; token: string };
  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.addUser({ username: 'admin.tokens', role: 'admin', region: '630000' });
  }, 120_000);
  afterAll(() => t.close());

  const me = (token: string) => t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
  const patch = async (id: string, body: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'PATCH', url: `/api/agents/${id}`, headers: bearer(admin.token), payload: body });
    expect(res.statusCode).toBe(200);
  };
  const signIn = async (username: string, password: string) => {
    const res = await login(t, username, password);
    expect(res.statusCode).toBe(200);
    return res.json().token as string;
  };
  const refusedAsRevoked = async (token: string) => {
    const res = await me(token);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'HOTLINE_ERR_UNAUTHENTICATED', message: expect.stringContaining('no longer valid') });
  };

  it('die when the password changes, the account is disabled or its role changes; other changes keep them', async () => {
    const { id, token: first } = await t.addUser({ username: 'agent.tokens', role: 'agent', region: '630102' });
    await patch(id, { displayName: '改了名字', languages: { zh: 5, bo: 2 } });
    expect((await me(first)).statusCode).toBe(200);

    await patch(id, { password: 'a-new-password-1' });
    await refusedAsRevoked(first);
    const second = await signIn('agent.tokens', 'a-new-password-1');
    expect((await me(second)).json()).toMatchObject({ username: 'agent.tokens', role: 'agent' });

    await patch(id, { role: 'supervisor' });
    await refusedAsRevoked(second);
    const third = await signIn('agent.tokens', 'a-new-password-1');
    expect((await me(third)).json().role).toBe('supervisor');

    await patch(id, { disabled: true });
    expect((await me(third)).statusCode).toBe(401);
    await patch(id, { disabled: false });
    // Enabled again, the tokens of before the disable stay dead: only a new sign-in works.
    await refusedAsRevoked(third);
    expect((await me(await signIn('agent.tokens', 'a-new-password-1'))).statusCode).toBe(200);
  });

  describe('made by hand with the right secret', () => {
    let id: string;
    beforeAll(async () => {
      id = (await t.addUser({ username: 'agent.forged', role: 'agent', region: '630102' })).id;
    });
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = (alg: string, claims: Record<string, unknown>) => {
      const input = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
      const hash = { HS256: 'sha256', HS512: 'sha512' }[alg];
      return `${input}.${hash ? createHmac(hash, t.app.config.jwtSecret!).update(input).digest('base64url') : ''}`;
    };
    const claims = () => ({ sub: id, role: 'agent', username: 'agent.forged', tv: 0, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 });

    it('work when they are what the service signs (HS256, with exp and tv)', async () => {
      expect((await me(token('HS256', claims()))).statusCode).toBe(200);
    });

    it('are refused without exp, without tv, unsigned (alg none) or with another algorithm (HS512)', async () => {
      const { exp: _exp, ...noExp } = claims();
      const { tv: _tv, ...noVersion } = claims();
      for (const forged of [token('HS256', noExp), token('HS256', noVersion), token('none', claims()), token('HS512', claims())]) {
        const res = await me(forged);
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ code: 'HOTLINE_ERR_UNAUTHENTICATED', message: expect.stringContaining('not valid') });
      }
    });
  });
});

describe('the sign-in kept in the browser (session cookie)', () => {
  let t: TestApp;
  let base: string;
  let admin: { id: string; token: string };
  let agent: { id: string; token: string };
  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    admin = await t.addUser({ username: 'admin.session', role: 'admin', region: '630000' });
    agent = await t.addUser({ username: 'agent.session', role: 'agent', region: '630102' });
  }, 120_000);
  afterAll(() => t.close());

  const kept = (res: { cookies: { name: string; value: string }[] }) => res.cookies.find((c) => c.name === 'hotline_session');
  const refresh = (cookie?: string) => t.app.inject({ method: 'POST', url: '/api/auth/refresh', ...(cookie ? { cookies: { hotline_session: cookie } } : {}) });

  it('sign-in sets an httpOnly, same-site cookie for the sign-in routes only; refresh turns it into a bearer token; it is no bearer token itself', async () => {
    const res = await login(t, 'agent.session', 'test-password-1');
    const cookie = kept(res as never) as unknown as { value: string; httpOnly: boolean; sameSite: string; path: string; expires: Date };
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/auth' });
    expect(cookie.expires.getTime() - Date.now()).toBeGreaterThan(11 * 3600_000);
    const again = await refresh(cookie.value);
    expect(again.statusCode).toBe(200);
    expect(again.json().user).toMatchObject({ username: 'agent.session' });
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(again.json().token) })).statusCode).toBe(200);
    // The cookie's token opens nothing but the refresh; a bearer token is no cookie.
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(cookie.value) })).statusCode).toBe(401);
    expect((await refresh(again.json().token)).statusCode).toBe(401);
    // Nothing kept: nothing to give back, and no error either (every page asks at start).
    expect((await refresh()).statusCode).toBe(204);
    expect((await refresh('not-a-token')).json()).toMatchObject({ code: 'HOTLINE_ERR_UNAUTHENTICATED', messageZh: '请先登录' });
  });

  it('a changed password ends the kept sign-in (and clears the cookie); signing out clears it', async () => {
    const cookie = (kept((await login(t, 'agent.session', 'test-password-1')) as never) as unknown as { value: string }).value;
    const changed = await t.app.inject({ method: 'PATCH', url: `/api/agents/${agent.id}`, headers: bearer(admin.token), payload: { password: 'another-password-2' } });
    expect(changed.statusCode).toBe(200);
    const refused = await refresh(cookie);
    expect(refused.statusCode).toBe(401);
    expect(kept(refused as never)).toMatchObject({ value: '' });
    const out = await t.app.inject({ method: 'POST', url: '/api/auth/logout' });
    expect(out.statusCode).toBe(204);
    expect(kept(out as never)).toMatchObject({ value: '', path: '/api/auth' });
  });

  it('a WebSocket takes the token as a subprotocol beside hotline.v1 and answers with hotline.v1 only', async () => {
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`${base.replace('http', 'ws')}/supervisors/ws`, ['hotline.v1', `bearer.${admin.token}`]);
    const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(String(data))));
      ws.once('error', reject);
    });
    expect(hello).toMatchObject({ type: 'hello', user: { username: 'admin.session' } });
    expect(ws.protocol).toBe('hotline.v1');
    ws.close();
    const refused = new WebSocket(`${base.replace('http', 'ws')}/supervisors/ws`, ['hotline.v1', 'bearer.not-a-token']);
    const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(401);
  });
});

describe('accounts at start', () => {
  let dataDir: string;
  let database: DatabaseConfig;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotline-accounts-'));
    if (process.env.DATABASE_URL) {
      const created = await createPostgresDatabase();
      database = { kind: 'postgres', url: created.url };
      cleanup = created.drop;
    } else {
      database = { kind: 'pglite', dataDir: path.join(dataDir, 'pgdata') };
      cleanup = async () => {};
    }
  });
  afterAll(async () => {
    await cleanup();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('ADMIN_PASSWORD creates admin, and a new ADMIN_PASSWORD resets it at the next start', async () => {
    const first = await startTestApp({ database, adminPassword: 'first-admin-pass' });
    expect((await login(first, 'admin', 'first-admin-pass')).statusCode).toBe(200);
    await first.app.close();

    const second = await startTestApp({ database, adminPassword: 'second-admin-pass' });
    expect((await login(second, 'admin', 'first-admin-pass')).statusCode).toBe(401);
    const res = await login(second, 'admin', 'second-admin-pass');
    expect(res.statusCode).toBe(200);
    expect(res.json().user.role).toBe('admin');
    await second.app.close();
  });

  it("a restart with the same ADMIN_PASSWORD keeps admin signed in; a new one ends admin's earlier sign-ins", async () => {
    const me = (t: TestApp, token: string) => t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
    const first = await startTestApp({ database, adminPassword: 'third-admin-pass' });
    const token = (await login(first, 'admin', 'third-admin-pass')).json().token as string;
    expect((await me(first, token)).statusCode).toBe(200);
    await first.close();

    const same = await startTestApp({ database, adminPassword: 'third-admin-pass' });
    expect((await me(same, token)).statusCode).toBe(200);
    await same.close();

    const changed = await startTestApp({ database, adminPassword: 'fourth-admin-pass' });
    const refused = await me(changed, token);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().message).toMatch(/no longer valid/);
    expect((await login(changed, 'admin', 'fourth-admin-pass')).statusCode).toBe(200);
    await changed.close();
    // Three starts of the app: slow on a busy machine.
  }, 120_000);

  it('the embedded demo adds supervisors and a dozen agents across regions and languages', async () => {
    const demo = await startTestApp({ database, demoAccounts: true, adminPassword: null });
    const sup = await login(demo, 'sup.xining', DEMO_PASSWORD);
    expect(sup.statusCode).toBe(200);
    const list = await demo.app.inject({ method: 'GET', url: '/api/agents?limit=500', headers: bearer(sup.json().token) });
    expect(list.json().items.every((a: { servingRegion: string }) => a.servingRegion.startsWith('6301'))).toBe(true);

    const province = await login(demo, 'sup.province', DEMO_PASSWORD);
    const all = await demo.app.inject({ method: 'GET', url: '/api/agents?role=agent&limit=500', headers: bearer(province.json().token) });
    const agents = all.json().items as { servingRegion: string; languages: Record<string, number> }[];
    expect(agents.length).toBeGreaterThanOrEqual(12);
    expect(new Set(agents.map((a) => a.servingRegion.slice(0, 4))).size).toBeGreaterThanOrEqual(6);
    for (const language of ['zh', 'bo', 'mn']) expect(agents.some((a) => a.languages[language])).toBe(true);
    await demo.app.close();
  });
});
