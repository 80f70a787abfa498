import { z } from 'zod';

/**
 * The agent desktop's WebSocket protocol (DESIGN §5), version 1. Every frame is a JSON object
 * `{ v: 1, type, ... }`; client frames may carry a `ref` the server echoes in its answer (an
 * `ack` or an `error`), so the page can match answers to what it sent.
 */

export const PROTOCOL_VERSION = 1;
/** Frames larger than this are abuse: the socket is closed (1009). */
export const MAX_FRAME_BYTES = 16 * 1024;

const Ref = z.string().max(64).optional();
const Id = z.string().min(1).max(64);
const base = { v: z.literal(PROTOCOL_VERSION, { error: `must be ${PROTOCOL_VERSION} (the protocol version)` }), ref: Ref };

export const NOT_READY_REASONS = ['break', 'meal', 'training', 'other'] as const;

export const TicketFields = z.strictObject({
  topic: z.string().min(1).max(40).optional(),
  summary: z.string().max(4000).optional(),
  advice: z.string().max(4000).optional(),
  outcome: z.enum(['answered', 'refer_legal_aid', 'refer_mediation', 'divert', 'callback']).nullable().optional(),
  riskFlag: z.boolean().optional(),
});
export type TicketFields = z.infer<typeof TicketFields>;

export const TransferTarget = z.union([
  z.strictObject({ agentId: z.uuid('must be an agent id (a UUID)') }),
  z.strictObject({ region: z.string().regex(/^\d{6}$/, 'must be a 6-digit region code') }),
  z.strictObject({ number: z.string().regex(/^\+?[0-9]{3,20}$/, 'must be a phone number of 3 to 20 digits') }),
]);

export const ClientFrame = z.discriminatedUnion('type', [
  z.strictObject({ ...base, type: z.literal('ping') }),
  z.strictObject({ ...base, type: z.literal('state.set'), state: z.enum(['ready', 'not_ready']), reason: z.enum(NOT_READY_REASONS).optional() }),
  z.strictObject({ ...base, type: z.literal('offer.accept'), offerId: Id }),
  z.strictObject({ ...base, type: z.literal('offer.decline'), offerId: Id }),
  z.strictObject({ ...base, type: z.literal('call.hold'), callId: Id }),
  z.strictObject({ ...base, type: z.literal('call.unhold'), callId: Id }),
  z.strictObject({ ...base, type: z.literal('call.hangup'), callId: Id }),
  z.strictObject({ ...base, type: z.literal('call.transfer'), callId: Id, to: TransferTarget, mode: z.enum(['blind', 'consult']) }),
  z.strictObject({ ...base, type: z.literal('call.interpreter'), callId: Id, to: z.union([z.strictObject({ agentId: z.uuid() }), z.strictObject({ number: z.string().regex(/^\+?[0-9]{3,20}$/) })]) }),
  z.strictObject({ ...base, type: z.literal('ticket.save'), ticketId: z.uuid('must be a ticket id (a UUID)'), fields: TicketFields }),
  z.strictObject({ ...base, type: z.literal('wrapup.end'), next: z.enum(['ready', 'not_ready']).optional() }),
  z.strictObject({ ...base, type: z.literal('wrapup.extend'), seconds: z.number().int().min(1).max(600) }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export const CLIENT_TYPES = ClientFrame.options.map((o) => o.shape.type.value);

/** Turns a raw frame into a client frame, or a message naming what was wrong. */
export function parseClientFrame(raw: string): { ok: true; frame: ClientFrame } | { ok: false; message: string; ref?: string } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, message: 'the frame is not valid JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, message: 'the frame must be a JSON object' };
  const ref = typeof (json as { ref?: unknown }).ref === 'string' ? ((json as { ref: string }).ref.slice(0, 64)) : undefined;
  const type = (json as { type?: unknown }).type;
  if (typeof type !== 'string' || !(CLIENT_TYPES as string[]).includes(type)) {
    return { ok: false, message: `type: must be one of ${CLIENT_TYPES.join(', ')}`, ref };
  }
  const parsed = ClientFrame.safeParse(json);
  if (!parsed.success) {
    return { ok: false, message: parsed.error.issues.map((i) => `${i.path.join('.') || 'frame'}: ${i.message}`).join('; '), ref };
  }
  return { ok: true, frame: parsed.data };
}
