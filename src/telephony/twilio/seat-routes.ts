import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../errors/error-schema';
import { LANGUAGE_CODES, TOPIC_CODES } from '../../queue/skills';
import { SEAT_PREFIX, SEAT_STATUSES, type TwilioSeatDialer } from './seat-dialer';

const CallSid = z.string().regex(/^CA[0-9a-fA-F]{32}$/, 'must be a Twilio call SID (CA followed by 32 hex digits)');
const Id = z.uuid('must be an id the service made (a UUID)');
const Seat = { offer: Id, call: Id, agent: Id };
const XML = 'text/xml; charset=utf-8';
const sendXml = (reply: FastifyReply, twiml: string) => reply.type(XML).send(twiml);
const WEBHOOK = { tags: ['twilio'], response: errors(400, 403, 404) };

/**
 * A remote seat's phone leg (seat-dialer.ts). Registered inside the Twilio webhooks' plugin, so
 * the signature is checked before any of these is read, as for every other webhook.
 */
export function seatWebhooks(app: FastifyInstance, seats: TwilioSeatDialer): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    `${SEAT_PREFIX}/answer`,
    {
      config: { access: 'public' },
      schema: {
        ...WEBHOOK,
        summary: "A remote seat's phone answered → who is calling (region, language, topic) and one key (TwiML)",
        body: z.object({ CallSid }),
        querystring: z.strictObject({ ...Seat, region: z.string().regex(/^\d{6}$/, 'must be a region code'), lang: z.enum(LANGUAGE_CODES), topic: z.enum(TOPIC_CODES), try: z.enum(['2']).optional() }),
      },
    },
    async (request, reply) => sendXml(reply, seats.answered(request.query)),
  );

  r.post(
    `${SEAT_PREFIX}/key`,
    {
      config: { access: 'public' },
      schema: {
        ...WEBHOOK,
        summary: 'The key a remote seat pressed (none: it did not answer the announcement) → into the caller\'s conference after 1, else goodbye (TwiML)',
        body: z.object({ CallSid, Digits: z.string().max(64).optional() }),
        querystring: z.strictObject(Seat),
      },
    },
    async (request, reply) => sendXml(reply, await seats.key(request.query, request.body)),
  );

  r.post(
    `${SEAT_PREFIX}/status`,
    {
      config: { access: 'public' },
      schema: {
        tags: ['twilio'],
        summary: "A remote seat's leg status: not answered (no-answer, busy, failed, canceled) or over (completed)",
        body: z.object({ CallSid, CallStatus: z.enum(SEAT_STATUSES) }),
        querystring: z.strictObject(Seat),
        response: { 204: z.undefined().describe('Taken into account (or already was)'), ...errors(400, 403, 404) },
      },
    },
    async (request, reply) => {
      await seats.statusChanged(request.query, request.body);
      return reply.code(204).send();
    },
  );
}
