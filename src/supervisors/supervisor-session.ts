import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Actor } from '../auth/actor';
import { FrameGuard } from '../ws/frame-guard';
import { CLOSE, type ClientFrame, type ErrorCode, parseClientFrame, PROTOCOL_VERSION, type ServerBody } from './protocol';

/** Frames a wallboard may send per second, and the burst it may send at once. */
export const RATE_PER_SECOND = 5;
export const RATE_BURST = 20;
/** Dropped or malformed frames within ABUSE_WINDOW_MS before the socket is closed as abuse. */
export const ABUSE_LIMIT = 50;
export const ABUSE_WINDOW_MS = 10_000;
/**
 * A board is replaced by the next one, so a page that does not read fast enough skips boards
 * rather than piling them up in memory; alerts and answers are always queued.
 */
const SKIP_BOARD_ABOVE_BYTES = 256 * 1024;

const MESSAGES_ZH: Record<ErrorCode, string> = {
  BAD_FRAME: '消息格式有误',
  RATE_LIMITED: '操作过于频繁，请稍后再试',
  OUT_OF_SCOPE: '该地区不在您的管辖范围内',
  NOT_FOUND: '找不到该地区',
  INTERNAL: '系统内部错误，请重试',
};

/**
 * One open wallboard: frames in (parsed, rate limited, answered in order) and frames out. What
 * the socket may see is fixed by `scope` (the user's area); `focus` is the region the board is
 * on now, always within scope.
 */
export class SupervisorSession {
  readonly id = randomUUID();
  alive = true;
  closed = false;
  nextPingAt = 0;
  nextCheckAt = 0;
  /** When the last board went out, and the change counter it reflected. */
  lastBoardAt = 0;
  lastBoardSeq = -1;
  lastBoardKey = '';
  /** No board before hello has gone out. */
  ready = false;
  private readonly guard = new FrameGuard<ClientFrame>({
    ratePerSecond: RATE_PER_SECOND,
    burst: RATE_BURST,
    abuseLimit: ABUSE_LIMIT,
    abuseWindowMs: ABUSE_WINDOW_MS,
    parse: parseClientFrame,
    refuse: (code, message, ref, messageZh) => this.error(code, message, ref, messageZh),
    abuse: (what) => this.close(CLOSE.abuse, `closed for ${what}`),
  });

  constructor(
    public actor: Actor,
    public scope: string,
    public focus: string,
    /** When the token expires (ms), so a long-open board does not outlive its sign-in. */
    readonly tokenExpiresAt: number,
    private readonly socket: WebSocket,
    private readonly handle: (session: SupervisorSession, frame: ClientFrame) => void,
  ) {
    socket.on('message', (data, isBinary) => this.received(data as Buffer, isBinary));
    socket.on('pong', () => (this.alive = true));
  }

  get open(): boolean {
    return !this.closed && this.socket.readyState === this.socket.OPEN;
  }

  send(body: ServerBody): void {
    if (!this.open) return;
    this.socket.send(JSON.stringify({ v: PROTOCOL_VERSION, ...body }));
  }

  /** A board frame already serialised (shared by every socket on the same focus), unless the socket is still busy with earlier ones. */
  sendBoard(json: string): boolean {
    if (!this.open || this.socket.bufferedAmount > SKIP_BOARD_ABOVE_BYTES) return false;
    this.socket.send(json);
    return true;
  }

  error(code: ErrorCode, message: string, ref?: string, messageZh = MESSAGES_ZH[code]): void {
    this.send({ type: 'error', ref, code, message, messageZh });
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close(code, reason);
  }

  terminate(): void {
    this.closed = true;
    this.socket.terminate();
  }

  ping(): void {
    if (this.open) this.socket.ping();
  }

  private received(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.alive = true;
    const frame = this.guard.accept(data, isBinary);
    if (frame) this.handle(this, frame);
  }
}
