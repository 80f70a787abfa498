import { type Frame, FrameSocket } from '../support/frame-socket';

export type { Frame };

/** A wallboard as a test drives it (/supervisors/ws). */
export class BoardSocket extends FrameSocket {
  static url(baseUrl: string, query: string): string {
    return `${baseUrl.replace(/^http/, 'ws')}/supervisors/ws${query}`;
  }

  /** Opens a board for the token; resolves once the hello has arrived. */
  static open(baseUrl: string, token: string): Promise<BoardSocket> {
    return FrameSocket.connect(BoardSocket.url(baseUrl, `?token=${encodeURIComponent(token)}`), (ws) => new BoardSocket(ws, 8_000));
  }

  static upgradeStatus(baseUrl: string, query: string): Promise<{ status: number; body: string }> {
    return FrameSocket.statusOf(BoardSocket.url(baseUrl, query));
  }

  /** Waits for a board satisfying `where` (boards that do not are dropped). */
  async board(where: (b: Board) => boolean, timeoutMs = 8_000): Promise<Board> {
    return (await this.next('board', (f) => where(f as unknown as Board), timeoutMs)) as unknown as Board;
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
  serviceLevelWindow: number | null;
  answerRateWindow: number | null;
  abandonmentWindow: number | null;
  endedWindow: number;
  waitingPastThreshold: number;
  abandonmentToday: number | null;
  offered30m: number;
  seatsPlanned: number | null;
  seatsLoggedIn: number;
  seatsNeeded: number;
  overdueCallbacks: number;
  overdueReferrals: number;
  overdueFollowUps: number;
  rostered: number;
  rosteredSignedIn: number;
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
