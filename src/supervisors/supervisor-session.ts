import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Actor } from '../auth/actor';
import { CLOSE, type ClientFrame, type ErrorCode, parseClientFrame, PROTOCOL_VERSION, type ServerBody } from './protocol';

/** Frames a wallboard may send per second, and the burst it may send at once. */
export const RATE_PER_SECOND = 5;
export const RATE_BURST = 20;
/** Dropped or malformed frames within ABUSE_WINDOW_MS before the socket is closed as abuse. */
export const ABUSE_LIMIT = 50;
const ABUSE_WINDOW_MS = 10_000;
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
  private tokens = RATE_BURST;
  private refilledAt = Date.now();
  private abuse: number[] = [];
  private rateErrorAt = 0;

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

  error(code: ErrorCode, message: string, ref?: string): void {
    this.send({ type: 'error', ref, code, message, messageZh: MESSAGES_ZH[code] });
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
    if (!this.take()) {
      const now = Date.now();
      if (now - this.rateErrorAt >= 1000) {
        this.rateErrorAt = now;
        this.error('RATE_LIMITED', `more than ${RATE_PER_SECOND} frames per second; frames are being dropped`);
      }
      this.misbehaved('flooding');
      return;
    }
    if (isBinary) {
      this.error('BAD_FRAME', 'frames must be JSON text, not binary');
      this.misbehaved('binary frames');
      return;
    }
    const parsed = parseClientFrame(data.toString('utf8'));
    if (!parsed.ok) {
      this.error('BAD_FRAME', parsed.message, parsed.ref);
      this.misbehaved('malformed frames');
      return;
    }
    this.handle(this, parsed.frame);
  }

  private take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(RATE_BURST, this.tokens + ((now - this.refilledAt) / 1000) * RATE_PER_SECOND);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private misbehaved(what: string): void {
    const now = Date.now();
    this.abuse.push(now);
    while (this.abuse.length > 0 && this.abuse[0]! < now - ABUSE_WINDOW_MS) this.abuse.shift();
    if (this.abuse.length >= ABUSE_LIMIT) this.close(CLOSE.abuse, `closed for ${what}`);
  }
}
