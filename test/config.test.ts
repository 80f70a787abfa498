import { spawn } from 'node:child_process';
import path from 'node:path';
import { ConfigError, parseConfig } from '../src/config/config';

const problems = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected the configuration to be refused');
};

describe('configuration', () => {
  it('runs embedded with no configuration at all', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      embedded: true,
      port: 3000,
      host: '127.0.0.1',
      province: '630000',
      telephony: ['sim'],
      demoAccounts: true,
      redisUrl: null,
      database: { kind: 'pglite' },
    });
    expect(config.dataDir).toBe(path.resolve('./data'));
  });

  it('uses PostgreSQL and listens on all interfaces when DATABASE_URL is set', () => {
    const config = parseConfig({ DATABASE_URL: 'postgres://u@db/hotline', JWT_SECRET: 's'.repeat(32), TELEPHONY: 'sim, twilio', TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 't', PUBLIC_BASE_URL: 'https://hotline.example.cn' });
    expect(config).toMatchObject({ embedded: false, host: '0.0.0.0', demoAccounts: false, database: { kind: 'postgres' }, telephony: ['sim', 'twilio'] });
  });

  it('treats an empty variable as unset', () => {
    expect(parseConfig({ PORT: '', REDIS_URL: '' })).toMatchObject({ port: 3000, redisUrl: null });
  });

  it.each([
    [{ PORT: 'abc' }, /PORT: .*\(got "abc"\)/],
    [{ PORT: '70000' }, /PORT: .*65535/],
    [{ TELEPHONY: 'sim,skype' }, /TELEPHONY: each entry must be one of sim, asterisk, twilio/],
    [{ PROVINCE: 'qinghai' }, /PROVINCE: must be a 6-digit province code/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ PUBLIC_BASE_URL: 'hotline.example.cn' }, /PUBLIC_BASE_URL: must be an http/],
    [{ DATABASE_URL: 'mysql://db/x' }, /DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL \(value hidden\)/],
    [{ DATABASE_URL: 'postgres://db/x' }, /JWT_SECRET: is required when DATABASE_URL is set/],
    [{ TELEPHONY: 'asterisk', ASTERISK_HOST: 'pbx' }, /ASTERISK_USERNAME: is required when TELEPHONY includes asterisk/],
    [{ TELEPHONY: 'twilio' }, /PUBLIC_BASE_URL: is required when TELEPHONY includes twilio/],
    [{ ASTERISK_AGENT_DIAL: 'PJSIP/agent' }, /ASTERISK_AGENT_DIAL: must contain the \{agent\} placeholder/],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(problems(env)).toMatch(message);
  });

  it('never repeats a secret in its message', () => {
    const message = problems({ JWT_SECRET: 'too-short-secret', ADMIN_PASSWORD: 'abc', DATABASE_URL: 'postgres://u:pw-hidden@db/x' });
    expect(message).toMatch(/JWT_SECRET: must be at least 32 characters \(value hidden\)/);
    expect(message).toMatch(/ADMIN_PASSWORD: must be at least 8 characters/);
    expect(message).not.toContain('too-short-secret');
    expect(message).not.toContain('pw-hidden');
  });

  it('a bad variable stops the real start-up with a clear message and exit code 1', async () => {
    const root = path.join(__dirname, '..');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, PORT: 'eighty', JWT_SECRET: 'short-and-secret' },
    });
    // Should the service start after all, it must not outlive the test.
    const stray = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('exit', () => clearTimeout(stray));
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/Invalid configuration:/);
    expect(stderr).toMatch(/PORT: .*\(got "eighty"\)/);
    expect(stderr).toMatch(/JWT_SECRET: must be at least 32 characters \(value hidden\)/);
    expect(stderr + stdout).not.toContain('short-and-secret');
    expect(stdout).not.toMatch(/listening/);
  });
});
