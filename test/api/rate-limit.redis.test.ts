import { Redis } from 'ioredis';
import { startTestApp, type TestApp } from '../support/app';
import { ownRedisNamespace } from '../support/redis-namespace';

/**
 * Two deployments on one Redis, each under its own REDIS_NAMESPACE: password guessing that locks
 * one out of signing in from an address leaves the other alone.
 */
describe('sign-in rate limit on a shared Redis', () => {
  const first = ownRedisNamespace();
  const second = ownRedisNamespace();
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp(first());
    b = await startTestApp(second());
    await a.addUser({ username: 'agent.a', role: 'agent', region: '630102' });
    await b.addUser({ username: 'agent.b', role: 'agent', region: '630102' });
  }, 120_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  const login = (t: TestApp, username: string, password: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });

  it("counts each deployment's attempts under its own namespace", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await login(a, 'agent.a', `guess-${i}`)).statusCode);
    expect(statuses.slice(-1)).toEqual([429]);
    expect((await login(a, 'agent.a', 'test-password-1')).statusCode).toBe(429);

    // Same client address, the other deployment: not locked out.
    expect((await login(b, 'agent.b', 'test-password-1')).statusCode).toBe(200);

    const redis = new Redis(process.env.REDIS_URL!);
    try {
      expect(await redis.keys(`${first().redisNamespace}:rate-limit:*`)).toHaveLength(1);
      expect(await redis.keys(`${second().redisNamespace}:rate-limit:*`)).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  });
});
