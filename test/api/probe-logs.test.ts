import { startTestApp, type TestApp } from '../support/app';

/**
 * Load balancers probe /healthz and /readyz and Prometheus scrapes /metrics every few seconds:
 * at the default level their request lines stay out of the log an operator reads, while every
 * other request is still logged; at debug they come back.
 */
describe('probe request logs', () => {
  const requestLines = (t: TestApp, url: string) =>
    t.logs.filter((l) => (l.msg === 'incoming request' && (l.req as { url?: string } | undefined)?.url === url) || (l.msg === 'request completed' && l.url === url));

  async function probe(t: TestApp) {
    for (const url of ['/healthz', '/readyz', '/metrics', '/api/regions']) await t.app.inject({ method: 'GET', url });
  }

  it('leaves health checks and scrapes out at info, and logs them at debug', async () => {
    const info = await startTestApp();
    try {
      await probe(info);
      for (const url of ['/healthz', '/readyz', '/metrics']) expect({ url, lines: requestLines(info, url).length }).toEqual({ url, lines: 0 });
      expect(info.logs.some((l) => l.msg === 'incoming request' && (l.req as { url?: string }).url === '/api/regions')).toBe(true);
    } finally {
      await info.close();
    }
    const debug = await startTestApp({ logLevel: 'debug' });
    try {
      await probe(debug);
      for (const url of ['/healthz', '/readyz', '/metrics']) expect(debug.logs.some((l) => l.msg === 'incoming request' && (l.req as { url?: string }).url === url)).toBe(true);
    } finally {
      await debug.close();
    }
  }, 120_000);
});
