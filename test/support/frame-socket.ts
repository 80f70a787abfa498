import WebSocket from 'ws';

export type Frame = Record<string, unknown> & { type: string };

/**
 * A page's WebSocket as a test drives it: a real socket to the listening app that keeps every
 * frame it receives (in `frames`, to wait on, and in `all`, to check afterwards). The agent
 * desktop and the wallboard tests each open it on their own path.
 */
export class FrameSocket {
  /** Every socket a test file opened, so a check at its end can go over all of their frames. */
  static readonly opened: FrameSocket[] = [];
  /** The path the socket was opened on (/agents/ws, /supervisors/ws). */
  readonly path: string;
  /** Frames sent with send(), as sent; sendRaw() is for what no protocol allows, and is not kept. */
  readonly sent: Record<string, unknown>[] = [];
  /** Frames not yet taken by next(). */
  readonly frames: Frame[] = [];
  /** Every frame received, with the time it arrived. */
  readonly all: (Frame & { receivedAt: number })[] = [];
  closed: { code: number; reason: string } | null = null;
  /** The server's first frame. */
  hello: Frame = { type: 'none' };
  private waiters: (() => void)[] = [];
  private ref = 0;

  protected constructor(
    readonly ws: WebSocket,
    private readonly defaultTimeoutMs: number,
  ) {
    this.path = new URL(ws.url).pathname;
    FrameSocket.opened.push(this);
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      this.frames.push(frame);
      this.all.push({ ...frame, receivedAt: Date.now() });
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
  }

  /** Opens `url`; resolves once the server's hello has arrived. */
  protected static async connect<S extends FrameSocket>(url: string, make: (ws: WebSocket) => S): Promise<S> {
    const ws = new WebSocket(url);
    const s = make(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    s.hello = await s.next('hello');
    return s;
  }

  /** The HTTP status with which the server refused the upgrade, or 101 if it was accepted. */
  static statusOf(url: string): Promise<{ status: number; body: string }> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.close();
        resolve({ status: 101, body: '' });
      });
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.once('error', reject);
    });
  }

  send(frame: Record<string, unknown>): string {
    const ref = `r${++this.ref}`;
    const full = { v: 1, ref, ...frame };
    this.sent.push(full);
    this.ws.send(JSON.stringify(full));
    return ref;
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** The first frame of this type (and matching `where`) not yet taken, waiting for it if needed. */
  async next(type: string | string[], where: (f: Frame) => boolean = () => true, timeoutMs = this.defaultTimeoutMs): Promise<Frame> {
    const types = Array.isArray(type) ? type : [type];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex((f) => types.includes(f.type) && where(f));
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) {
        throw new Error(`no ${types.join('/')} frame within ${timeoutMs} ms (closed: ${JSON.stringify(this.closed)}); got ${this.frames.map((f) => f.type).join(', ')}`);
      }
      await this.wait(left);
    }
  }

  /** The answer (ack or error) to the frame sent with `ref`. */
  answer(ref: string, timeoutMs?: number): Promise<Frame> {
    return this.next(['ack', 'error'], (f) => f.ref === ref, timeoutMs);
  }

  async whenClosed(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the socket was not closed');
      await this.wait(50);
    }
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
