import { type Frame, FrameSocket } from './frame-socket';

export type { Frame };

const url = (baseUrl: string, query: string) => `${baseUrl.replace(/^http/, 'ws')}/agents/ws${query}`;

/** An agent desktop as a test drives it (/agents/ws). */
export class AgentSocket extends FrameSocket {
  /** Opens a socket for the token; resolves once the server's hello has arrived. */
  static open(baseUrl: string, token: string): Promise<AgentSocket> {
    return FrameSocket.connect(url(baseUrl, `?token=${encodeURIComponent(token)}`), (ws) => new AgentSocket(ws, 5_000));
  }

  static upgradeStatus(baseUrl: string, query: string): Promise<{ status: number; body: string }> {
    return FrameSocket.statusOf(url(baseUrl, query));
  }
}
