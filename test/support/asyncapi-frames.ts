import Ajv, { type ValidateFunction } from 'ajv';
import type { FastifyInstance } from 'fastify';
import type { Frame, FrameSocket } from './frame-socket';

export type Direction = 'fromClient' | 'toClient';

interface Message {
  name: string;
  payload: object;
}

/**
 * /asyncapi.json as a validator: each message's payload compiled on its own, by socket path and
 * direction (the operations say which messages go which way).
 */
export class AsyncApiFrames {
  private readonly validators = new Map<string, Map<Direction, Map<string, ValidateFunction>>>();

  constructor(readonly doc: Record<string, any>) {
    // Formats are not checked: zod writes a pattern beside each one it emits.
    const ajv = new Ajv({ allErrors: true, validateFormats: false });
    for (const op of Object.values(doc.operations as Record<string, any>)) {
      const channelKey = String(op.channel.$ref).split('/').pop()!;
      const channel = doc.channels[channelKey];
      const direction: Direction = op.action === 'receive' ? 'fromClient' : 'toClient';
      const byName = new Map<string, ValidateFunction>();
      for (const ref of op.messages as { $ref: string }[]) {
        const m = channel.messages[ref.$ref.split('/').pop()!] as Message;
        byName.set(m.name, ajv.compile(m.payload));
      }
      if (!this.validators.has(channel.address)) this.validators.set(channel.address, new Map());
      this.validators.get(channel.address)!.set(direction, byName);
    }
  }

  static async load(app: FastifyInstance): Promise<AsyncApiFrames> {
    const res = await app.inject({ method: 'GET', url: '/asyncapi.json' });
    if (res.statusCode !== 200) throw new Error(`/asyncapi.json answered ${res.statusCode}`);
    return new AsyncApiFrames(res.json());
  }

  /** The names of the messages of that socket and direction the frame validates against. */
  matches(path: string, direction: Direction, frame: unknown): string[] {
    const byName = this.validators.get(path)?.get(direction);
    if (!byName) throw new Error(`the document has no ${direction} messages for ${path}`);
    return [...byName].filter(([, validate]) => validate(frame)).map(([name]) => name);
  }

  /** Why the frame does not validate against the message of its own type. */
  errors(path: string, direction: Direction, frame: Frame): string {
    const validate = this.validators.get(path)?.get(direction)?.get(frame.type);
    if (!validate) return `no ${direction} message ${frame.type}`;
    validate(frame);
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('; ');
  }

  /**
   * Every frame the sockets received must validate against exactly the message of its type, and
   * so must every frame they sent, unless the server refused it as malformed (BAD_FRAME): then it
   * must validate against none. Returns the frames that do not, with the reason.
   */
  mismatches(sockets: readonly FrameSocket[]): string[] {
    const out: string[] = [];
    for (const s of sockets) {
      const refused = new Map(s.all.filter((f) => f.type === 'error' && f.code === 'BAD_FRAME' && typeof f.ref === 'string').map((f) => [f.ref as string, String(f.message)]));
      for (const frame of s.sent as Frame[]) {
        const why = refused.get(frame.ref as string);
        // A NUL is refused by the server but cannot be expressed in JSON Schema; the document says so in words.
        if (why?.includes('NUL')) continue;
        const expected = why === undefined ? [frame.type] : [];
        const got = this.matches(s.path, 'fromClient', frame);
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          out.push(`${s.path} sent ${JSON.stringify(frame)}: matches [${got}], expected [${expected}]${why === undefined ? ` (${this.errors(s.path, 'fromClient', frame)})` : ` (refused: ${why})`}`);
        }
      }
      for (const { receivedAt: _, ...frame } of s.all) {
        const got = this.matches(s.path, 'toClient', frame);
        if (got.length !== 1 || got[0] !== frame.type) {
          out.push(`${s.path} received ${JSON.stringify(frame).slice(0, 300)}: matches [${got}] (${this.errors(s.path, 'toClient', frame as Frame)})`);
        }
      }
    }
    return out;
  }

  /** How many frames the check went over, so a test can tell it was not vacuous. */
  static counted(sockets: readonly FrameSocket[]): { sent: number; received: number; types: Set<string> } {
    const types = new Set<string>();
    let sent = 0;
    let received = 0;
    for (const s of sockets) {
      sent += s.sent.length;
      received += s.all.length;
      for (const f of [...s.sent, ...s.all]) types.add(`${s.path} ${String(f.type)}`);
    }
    return { sent, received, types };
  }
}
