import closeWithGrace from 'close-with-grace';
import { buildApp } from './app';
import { DEMO_PASSWORD, QINGHAI_DEMO_ACCOUNTS } from './auth/accounts-bootstrap';
import { type Config, ConfigError, parseConfig } from './config/config';

function banner(config: Config, url: string): string {
  const lines = [
    '',
    `  12348 公共法律服务热线 — hotline backend listening on ${url}`,
    `    Agent softphone   ${url}/softphone     (坐席软电话)`,
    `    Supervisor        ${url}/supervisor    (班长席 / 监控大屏)`,
    `    API docs          ${url}/docs`,
    `    Database          ${config.database.kind === 'pglite' ? `embedded (PGlite) in ${config.database.dataDir}` : 'PostgreSQL'}`,
    `    Live state        ${config.redisUrl ? 'Redis' : config.redisSentinel ? `Redis behind Sentinel (${config.redisSentinel.name})` : 'in process (one node)'}`,
    `    Telephony         ${config.telephony.join(', ')}`,
  ];
  if (config.telephony.includes('sim')) {
    const target = url === 'http://127.0.0.1:3000' ? '' : ` --url ${url}`;
    lines.push('', `  Simulated calls:   npm run sim -- --calls 100 --rate 1 --agents 15${target}`);
  }
  if (config.demoAccounts) {
    lines.push('', `  Demo sign-ins (password ${DEMO_PASSWORD} unless changed):`);
    if (!config.adminPassword) lines.push('    admin              系统管理员 (admin)');
    for (const a of QINGHAI_DEMO_ACCOUNTS) lines.push(`    ${a.username.padEnd(18)} ${a.displayName} (${a.role}, ${a.region})`);
  }
  return `${lines.join('\n')}\n\n`;
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  const app = await buildApp(config).catch((err: Error) => {
    process.stderr.write(`Start-up failed: ${err.message}\n`);
    process.exit(1);
  });

  // SIGTERM/SIGINT: stop accepting connections, let requests in flight finish, then close the
  // database and Redis. A second signal, or the grace period running out, exits at once.
  closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an unexpected error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });

  await app.listen({ port: config.port, host: config.host });
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  process.stdout.write(banner(config, `http://${shownHost}:${config.port}`));
}

void main();
