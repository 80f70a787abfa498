import fs from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/config';
import { DockerCli } from './docker';

/**
 * deploy/compose.yaml as docker-compose resolves it (alone and with the Sentinel variant): the
 * services a production-like province needs, nodes built from this repository's Dockerfile
 * whose environment the service's own configuration accepts, and a load balancer that passes
 * WebSocket upgrades to both nodes.
 *
 * Not brought up here: its postgres, redis and nginx images cannot be pulled on this machine,
 * and compose networks need the bridge network, which this machine must not use.
 */
const ROOT = path.join(__dirname, '..', '..');
const DEPLOY = path.join(ROOT, 'deploy');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  ports?: unknown[];
  volumes?: unknown[];
}

describe('deploy/compose.yaml', () => {
  const cli = new DockerCli();
  afterAll(() => cli.killAll());

  async function resolved(files: string[]): Promise<{ services: Record<string, Service> }> {
    const args = files.flatMap((f) => ['-f', path.join(DEPLOY, f)]);
    // Interpolated as an operator who set nothing would get it (the defaults), not from this shell.
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };
    const r = await cli.run('docker-compose', [...args, 'config'], { cwd: ROOT, timeoutMs: 60_000, env });
    if (r.code !== 0) throw new Error(`docker-compose ${args.join(' ')} config exited ${r.code}: ${r.stderr}`);
    return parse(r.stdout) as { services: Record<string, Service> };
  }

  const nodeEnv = (s: Service) => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v ?? '']));

  it('is valid, and runs PostgreSQL, Redis, two nodes of this image and a load balancer in simulator mode', async () => {
    const { services } = await resolved(['compose.yaml']);
    expect(Object.keys(services).sort()).toEqual(['lb', 'node1', 'node2', 'postgres', 'redis']);
    for (const name of ['node1', 'node2']) {
      const node = services[name]!;
      expect(node.build).toMatchObject({ context: ROOT, dockerfile: 'Dockerfile' });
      expect(Object.keys(node.depends_on ?? {}).sort()).toEqual(['postgres', 'redis']);
      const config = parseConfig(nodeEnv(node));
      expect({ name, embedded: config.embedded, telephony: config.telephony, redis: config.redisUrl, demo: config.demoAccounts, host: config.host, port: config.port }).toEqual({
        name,
        embedded: false,
        telephony: ['sim'],
        redis: 'redis://redis:6379',
        demo: true,
        host: '0.0.0.0',
        port: 3000,
      });
      expect(config.database).toMatchObject({ kind: 'postgres', url: expect.stringMatching(/@postgres:5432\/hotline$/) });
    }
    expect(services.lb!.ports).toHaveLength(1);
    expect(Object.keys(services.lb!.depends_on ?? {}).sort()).toEqual(['node1', 'node2']);
  }, 120_000);

  it('with the Sentinel variant, points both nodes at three sentinels instead of one Redis', async () => {
    const { services } = await resolved(['compose.yaml', 'compose.sentinel.yaml']);
    expect(Object.keys(services).sort()).toEqual(['lb', 'node1', 'node2', 'postgres', 'redis', 'redis-replica', 'sentinel1', 'sentinel2', 'sentinel3']);
    for (const name of ['node1', 'node2']) {
      const config = parseConfig(nodeEnv(services[name]!));
      expect({ name, url: config.redisUrl, sentinel: config.redisSentinel }).toEqual({
        name,
        url: null,
        sentinel: expect.objectContaining({ name: 'mymaster', sentinels: [
          { host: 'sentinel1', port: 26379 },
          { host: 'sentinel2', port: 26379 },
          { host: 'sentinel3', port: 26379 },
        ] }),
      });
    }
  }, 120_000);

  it('load-balances over both nodes and passes WebSocket upgrades', async () => {
    const conf = await fs.readFile(path.join(DEPLOY, 'nginx', 'hotline.conf'), 'utf8');
    expect(conf).toMatch(/server node1:3000/);
    expect(conf).toMatch(/server node2:3000/);
    expect(conf).toMatch(/proxy_http_version 1\.1;/);
    expect(conf).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(conf).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    const { services } = await resolved(['compose.yaml']);
    expect(JSON.stringify(services.lb!.volumes)).toContain('hotline.conf');
  }, 120_000);
});
