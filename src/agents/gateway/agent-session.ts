import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Actor } from '../../auth/actor';
import { dependencyUnavailable } from '../../errors/unavailable';
import { FrameGuard } from '../../ws/frame-guard';
import { CLOSE, type ClientFrame, type ErrorCode, PROTOCOL_VERSION, parseClientFrame, type ServerFrame } from './protocol';

type Body = ServerFrame extends infer F ? (F extends { v: number } ? Omit<F, 'v'> : never) : never;

/** Frames an agent may send per second, and the burst a page may send at once (a reconnect resends a few). */
export const RATE_PER_SECOND = 10;
export const RATE_BURST = 30;
/** Dropped or malformed frames within ABUSE_WINDOW_MS before the socket is closed as abuse. */
export const ABUSE_LIMIT = 50;
export const ABUSE_WINDOW_MS = 10_000;

const MESSAGES_ZH: Record<ErrorCode, string> = {
  BAD_FRAME: '消息格式有误',
  RATE_LIMITED: '操作过于频繁，请稍后再试',
  REFUSED: '当前状态下无法执行该操作',
  NOT_YOURS: '这不是您的来电或工单',
  NOT_FOUND: '找不到该来电或工单',
  UNSUPPORTED: '当前电话系统不支持该操作',
  UNAVAILABLE: '系统正在恢复，请稍后重试',
  INTERNAL: '系统内部错误，请重试',
};

/**
 * One agent's open desktop: frames in (parsed, rate limited, handled one at a time in order)
 * and frames out (in the order they were queued, even when building one needs the database).
 */
export class AgentSession {
  readonly id = randomUUID();
  /** A WebSocket pong (or any frame) since the last ping: the connection is alive. */
  alive = true;
  nextHeartbeatAt = 0;
  nextPingAt = 0;
  lastStats = '';
  closed = false;
  private readonly guard = new FrameGuard<ClientFrame>({
    ratePerSecond: RATE_PER_SECOND,
    burst: RATE_BURST,
    abuseLimit: ABUSE_LIMIT,
    abuseWindowMs: ABUSE_WINDOW_MS,
    parse: parseClientFrame,
    refuse: (code, message, ref, messageZh) => this.error(code, message, ref, messageZh),
    abuse: (what) => this.close(CLOSE.abuse, `closed for ${what}`),
  });
  private outbox: Promise<void> = Promise.resolve();
  private inbox: Promise<void> = Promise.resolve();

  constructor(
    readonly actor: Actor,
    private readonly socket: WebSocket,
    private readonly handle: (session: AgentSession, frame: ClientFrame) => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {
    socket.on('message', (data, isBinary) => this.received(data as Buffer, isBinary));
    socket.on('pong', () => (this.alive = true));
  }

  get agentId(): string {
    return this.actor.id;
  }

  /** Sends a frame after everything queued before it. */
  send(frame: Body): void {
    this.sendLater(async () => frame);
  }

  /** Queues a frame that takes work to build (a database read); later frames wait for it. */
  sendLater(build: () => Promise<Body | null>): void {
    this.outbox = this.outbox.then(async () => {
      try {
        const frame = await build();
        if (frame && this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify({ v: PROTOCOL_VERSION, ...frame }));
      } catch (err) {
        this.onError(err);
      }
    });
  }

  /** Resolves when every frame queued so far has been written. */
  flushed(): Promise<void> {
    return this.outbox;
  }

  error(code: ErrorCode, message: string, ref?: string, messageZh = MESSAGES_ZH[code]): void {
    this.send({ type: 'error', ref, code, message, messageZh });
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    // No more input is read; frames already queued (the replacement notice, the error that
    // explains a close) still go out before the close frame, anything queued later does not.
    this.closed = true;
    void this.outbox.then(() => this.socket.close(code, reason));
  }

  terminate(): void {
    this.closed = true;
    this.socket.terminate();
  }

  ping(): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.ping();
  }

  private received(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.alive = true;
    const frame = this.guard.accept(data, isBinary);
    if (!frame) return;
    // One frame at a time: an accept must be done before the hang-up sent right after it.
    this.inbox = this.inbox.then(() => this.handle(this, frame)).catch((err) => {
      this.onError(err);
      if (dependencyUnavailable(err)) this.error('UNAVAILABLE', 'the service is recovering from an outage; try again in a few seconds', frame.ref);
      else this.error('INTERNAL', 'the server could not complete this action', frame.ref);
    });
  }
}
