import WebSocket from 'ws';

export type Frame = Record<string, unknown> & { type: string };

/**
 * A wallboard as a test drives it: a real WebSocket to /supervisors/ws on the listening app that
 * keeps every frame it receives (in `frames`, to wait on, and in `all`, to check afterwards).
 */
export class BoardSocket {
  /** Frames not yet taken by next(). */
  readonly frames: Frame[] = [];
  /** Every frame received, with the time it arrived. */
  readonly all: (Frame & { receivedAt: number })[] = [];
  closed: { code: number; reason: string } | null = null;
  hello: Frame = { type: 'none' };
  private waiters: (() => void)[] = [];
  private ref = 0;

  private constructor(readonly ws: WebSocket) {
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

  static url(baseUrl: string, query: string): string {
    return `${baseUrl.replace(/^http/, 'ws')}/supervisors/ws${query}`;
  }

  /** Opens a board for the token; resolves once the hello has arrived. */
  static async open(baseUrl: string, token: string): Promise<BoardSocket> {
    const ws = new WebSocket(BoardSocket.url(baseUrl, `?token=${encodeURIComponent(token)}`));
    const s = new BoardSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    s.hello = await s.next('hello');
    return s;
  }

  /** The HTTP status with which the server refused the upgrade, or 101 if it was accepted. */
  static upgradeStatus(baseUrl: string, query: string): Promise<{ status: number; body: string }> {
    const ws = new WebSocket(BoardSocket.url(baseUrl, query));
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
    this.ws.send(JSON.stringify({ v: 1, ref, ...frame }));
    return ref;
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** The first frame of this type (and matching `where`) not yet taken, waiting for it if needed. */
  async next(type: string | string[], where: (f: Frame) => boolean = () => true, timeoutMs = 8_000): Promise<Frame> {
    const types = Array.isArray(type) ? type : [type];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex((f) => types.includes(f.type) && where(f));
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) {
        throw new Error(`no ${types.join('/')} frame within ${timeoutMs} ms (closed: ${JSON.stringify(this.closed)}); got ${this.frames.map((f) => f.type).join(', ')}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for a board satisfying `where` (boards that do not are dropped). */
  async board(where: (b: Board) => boolean, timeoutMs = 8_000): Promise<Board> {
    return (await this.next('board', (f) => where(f as unknown as Board), timeoutMs)) as unknown as Board;
  }

  async whenClosed(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the socket was not closed');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

export interface Figures {
  waiting: number;
  longestWaitSeconds: number;
  agents: { ready: number; reserved: number; on_call: number; wrap_up: number; not_ready: number };
  offeredToday: number;
  answeredToday: number;
  abandonedToday: number;
  serviceLevelToday: number | null;
  serviceLevel30m: number | null;
  abandonmentToday: number | null;
  offered30m: number;
  seatsPlanned: number | null;
  seatsLoggedIn: number;
  seatsNeeded: number;
}

export interface Board {
  type: 'board';
  at: string;
  focus: string;
  handleSeconds: number;
  intervalStart: number;
  root: Figures;
  regions: Record<string, Figures>;
}
