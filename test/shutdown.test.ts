import net from 'node:net';
import { startServiceProcess, type ServiceProcess } from './support/service-process';

/** Sends raw bytes so the test decides when the request is complete. */
function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => (received += d));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, received: () => received, closed };
}

describe('the service process', () => {
  let service: ServiceProcess;
  beforeAll(async () => {
    service = await startServiceProcess();
  }, 90_000);
  afterAll(() => service.stop());

  it('starts on embedded defaults and prints the URLs and demo sign-ins', async () => {
    const out = service.output();
    expect(out).toMatch(new RegExp(`listening on http://127\\.0\\.0\\.1:${service.port}`));
    expect(out).toMatch(/API docs +http:\/\/127\.0\.0\.1:\d+\/docs/);
    expect(out).toMatch(/sup\.xining +西宁市督导/);
    expect(out).toMatch(/password demo12348/);
    const res = await fetch(`http://127.0.0.1:${service.port}/readyz`);
    expect(res.status).toBe(200);
  });

  it('on SIGTERM stops taking connections, finishes the request in flight, then exits 0', async () => {
    const body = JSON.stringify({ username: 'sup.xining', password: 'demo12348' });
    const inFlight = rawConnection(service.port);
    await new Promise<void>((resolve) => inFlight.socket.once('connect', () => resolve()));
    inFlight.socket.write(
      `POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
    );
    // SIGTERM must come after the service has taken the request, not while its bytes are still
    // unread (a busy machine may take a while): Fastify logs the request once its head is parsed.
    const taken = /"msg":"incoming request"[^\n]*\/api\/auth\/login|\/api\/auth\/login[^\n]*"msg":"incoming request"/;
    for (let waited = 0; !taken.test(service.output()); waited += 50) {
      if (waited > 30_000) throw new Error('the service never logged the login request');
      await new Promise((r) => setTimeout(r, 50));
    }

    service.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    expect(service.child.exitCode).toBeNull(); // still waiting for the request in flight

    const refused = await fetch(`http://127.0.0.1:${service.port}/healthz`).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);

    inFlight.socket.write(body.slice(10));
    await inFlight.closed;
    expect(inFlight.received()).toMatch(/^HTTP\/1\.1 200/);
    expect(inFlight.received()).toContain('"token"');
    expect(await service.exited).toBe(0);
    expect(service.output()).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/);
  });
});
