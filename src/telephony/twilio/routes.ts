import querystring from 'node:querystring';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../errors/error-schema';
import { withoutNul } from '../../validation/nul';
import { actorOf } from '../../auth/actor';
import { Errors } from '../../errors/errors';
import { softphoneToken } from './access-token';
import { CALLBACK_PREFIX, CALLBACK_STATUSES } from './callback-dialer';
import { CALL_STATUSES, DIAL_STATUSES, RECORDING_STATUSES, type TwilioDriver } from './twilio-driver';
import { WEBHOOK_PREFIX } from './twiml';
import { seatWebhooks } from './seat-routes';

/**
 * Twilio's webhooks (`POST /telephony/twilio/*`, form-encoded, signed with X-Twilio-Signature)
 * and the agent softphone's access token. The signature is checked before anything else, the
 * body is validated after, and only then does the driver act.
 */

const CallSid = z.string().regex(/^CA[0-9a-fA-F]{32}$/, 'must be a Twilio call SID (CA followed by 32 hex digits)');
const CallId = z.uuid('must be a call id (a UUID)');
const Step = z.coerce.number().int('must be a whole number').min(0).max(1_000_000);
/** Keys as Twilio reports them. Anything that is not one key is an invalid choice for the flow, not an error. */
const Digits = z.string().max(64, 'must be at most 64 keys').optional();

const StepQuery = z.strictObject({ call: CallId, step: Step });
const XML = 'text/xml; charset=utf-8';
const sendXml = (reply: FastifyReply, twiml: string) => reply.type(XML).send(twiml);

/** Webhooks answer with TwiML (text/xml), or 204 for callbacks; only their errors are JSON. */
const WEBHOOK = { tags: ['twilio'], response: errors(400, 403, 404) };
const CALLBACK = { tags: ['twilio'], response: { 204: z.undefined().describe('Taken into account (or already was)'), ...errors(400, 403, 404) } };

export async function twilioRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/telephony/twilio/token',
    {
      // Supervisors and admins too: the desk page is their phone when they listen, whisper or barge.
      config: { access: ['agent', 'supervisor', 'admin'] },
      schema: {
        tags: ['twilio'],
        summary: "An access token for the browser softphone of an agent, supervisor or admin (Twilio Voice SDK; a supervisor's rings when they monitor a call): identity = username, valid one hour",
        response: {
          200: z.object({ token: z.string(), identity: z.string(), ttlSeconds: z.number().int(), expiresAt: z.date() }),
          ...errors(401, 403, 503),
        },
      },
    },
    async (request) => softphoneToken(app.config, actorOf(request).username),
  );

  const driver = app.twilioDriver;
  if (driver) await app.register(webhooks, { driver });
}

async function webhooks(app: FastifyInstance, { driver }: { driver: TwilioDriver }) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  // Twilio only ever sends forms. Parsed as sent: the signature covers these exact names and values.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => {
    done(null, querystring.parse(body as string));
  });
  // Before validation, so that an unsigned request learns nothing about what a valid one holds.
  app.addHook('preValidation', async (request) => {
    try {
      driver.verify(request.headers['x-twilio-signature'], request.url, (request.body ?? {}) as Record<string, unknown>);
    } catch (err) {
      request.log.warn({ url: request.url.split('?')[0] }, 'refused a Twilio webhook with a missing or wrong signature');
      throw err;
    }
    // Signed, so it is Twilio's: a NUL (a spoofed caller ID) is dropped rather than the call refused.
    if (request.body) request.body = withoutNul(request.body as Record<string, unknown>);
  });

  r.post(
    `${WEBHOOK_PREFIX}/voice`,
    {
      config: { access: 'public' },
      schema: { ...WEBHOOK, summary: 'Incoming call to the hotline number → the first menu (TwiML)', body: z.object({ CallSid, From: z.string().min(1).max(128) }) },
    },
    async (request, reply) => sendXml(reply, await driver.incoming(request.body)),
  );

  r.post(
    `${WEBHOOK_PREFIX}/gather`,
    {
      config: { access: 'public' },
      schema: { ...WEBHOOK, summary: "A menu's answer (Digits), or its timeout (no Digits) → the next step (TwiML)", body: z.object({ CallSid, Digits }), querystring: StepQuery },
    },
    async (request, reply) => sendXml(reply, await driver.gathered(request.query, request.body)),
  );

  r.post(
    `${WEBHOOK_PREFIX}/hold`,
    {
      config: { access: 'public' },
      schema: { ...WEBHOOK, summary: 'The hold loop: next announcement, or the key pressed on hold (TwiML)', body: z.object({ CallSid, Digits }), querystring: StepQuery },
    },
    async (request, reply) => sendXml(reply, await driver.holding(request.query, request.body)),
  );

  r.post(
    `${WEBHOOK_PREFIX}/dial`,
    {
      config: { access: 'public' },
      schema: {
        ...WEBHOOK,
        summary: "The <Dial> to the agent ended → survey, or back on hold when the agent's softphone did not answer (TwiML)",
        body: z.object({ CallSid, DialCallStatus: z.enum(DIAL_STATUSES), CallStatus: z.string().max(32).optional() }),
        querystring: StepQuery,
      },
    },
    async (request, reply) => sendXml(reply, await driver.dialEnded(request.query, request.body)),
  );

  r.post(
    `${WEBHOOK_PREFIX}/forward`,
    {
      config: { access: 'public' },
      schema: {
        ...WEBHOOK,
        summary: "The <Dial> to an outside number (an agent's forward) ended → hang up after an answered call, or back to the agent when it failed (TwiML)",
        body: z.object({ CallSid, DialCallStatus: z.enum(DIAL_STATUSES), CallStatus: z.string().max(32).optional() }),
        querystring: StepQuery,
      },
    },
    async (request, reply) => sendXml(reply, await driver.forwardEnded(request.query, request.body)),
  );

  r.post(
    `${WEBHOOK_PREFIX}/status`,
    {
      config: { access: 'public' },
      schema: {
        ...CALLBACK,
        summary: "Call status callback: the caller's call (configured on the number) or, with leg=agent, the agent's leg",
        body: z.object({
          CallSid,
          CallStatus: z.enum(CALL_STATUSES),
          SequenceNumber: z.coerce.number().int('must be a whole number').min(0).optional(),
          ParentCallSid: CallSid.optional(),
        }),
        querystring: z
          .strictObject({ call: CallId.optional(), leg: z.enum(['agent', 'forward']).optional(), step: Step.optional() })
          .refine((q) => (q.call === undefined) === (q.leg === undefined), 'call and leg come together (the agent leg of a call, or a forward\'s outside leg)')
          .refine((q) => (q.leg === 'forward') === (q.step !== undefined), 'step comes with leg=forward, and only with it'),
      },
    },
    async (request, reply) => {
      if (request.query.leg && !request.body.ParentCallSid) throw new Errors.VALIDATION(`body.ParentCallSid: is required for a call's leg (leg=${request.query.leg})`);
      await driver.statusChanged(request.query, request.body);
      return reply.code(204).send();
    },
  );

  r.post(
    `${WEBHOOK_PREFIX}/message`,
    {
      config: { access: 'public' },
      schema: {
        ...WEBHOOK,
        summary: "A voice message (留言) ended: <Record>'s action with the recording, or the fall-through without one → goodbye (TwiML)",
        body: z.object({
          CallSid,
          RecordingUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(500).optional(),
          RecordingDuration: z.coerce.number().int('must be a whole number').min(0).max(86_400).optional(),
          Digits: z.string().max(64).optional(),
        }),
        querystring: StepQuery,
      },
    },
    async (request, reply) => sendXml(reply, await driver.messageEnded(request.query, request.body)),
  );

  r.post(
    `${WEBHOOK_PREFIX}/recording`,
    {
      config: { access: 'public' },
      schema: {
        ...CALLBACK,
        summary: "Recording status callback of the conversation with the agent (the caller's call, or the call's conference)",
        // A conference's recording names the conference, not a call.
        body: z
          .object({
            CallSid: CallSid.optional(),
            ConferenceSid: z.string().regex(/^CF[0-9a-fA-F]{32}$/, 'must be a Twilio conference SID (CF followed by 32 hex digits)').optional(),
            RecordingSid: z.string().regex(/^RE[0-9a-fA-F]{32}$/, 'must be a Twilio recording SID (RE followed by 32 hex digits)'),
            RecordingUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(500),
            RecordingStatus: z.enum(RECORDING_STATUSES),
          })
          .refine((b) => b.CallSid !== undefined || b.ConferenceSid !== undefined, { message: 'is required (or ConferenceSid, for a conference recording)', path: ['CallSid'] }),
        querystring: z.strictObject({ call: CallId }),
      },
    },
    async (request, reply) => {
      await driver.recordingReady(request.query, request.body);
      return reply.code(204).send();
    },
  );

  r.post(
    `${WEBHOOK_PREFIX}/participant`,
    {
      config: { access: 'public' },
      schema: {
        ...CALLBACK,
        summary: "Status callback of a participant the service added to a caller's conference: the agent's softphone (role=agent) or a second leg's target (role=leg&leg=…)",
        body: z.object({ CallSid, CallStatus: z.enum(CALL_STATUSES) }),
        querystring: z
          .strictObject({ call: CallId, role: z.enum(['agent', 'leg']), leg: z.uuid('must be a leg id (a UUID)').optional() })
          .refine((q) => (q.role === 'leg') === (q.leg !== undefined), { message: 'comes with role=leg, and only with it', path: ['leg'] }),
      },
    },
    async (request, reply) => {
      await driver.participantChanged(request.query, request.body);
      return reply.code(204).send();
    },
  );

  if (driver.seats) seatWebhooks(app, driver.seats);

  const dialer = driver.dialer;
  if (!dialer) return;
  const Attempt = z.strictObject({ attempt: CallId });

  r.post(
    `${CALLBACK_PREFIX}/answer`,
    {
      config: { access: 'public' },
      schema: {
        ...WEBHOOK,
        summary: "A callback's callee (the caller) answered → bridged to the agent's softphone, recorded (TwiML)",
        body: z.object({ CallSid }),
        querystring: z.strictObject({ attempt: CallId, agent: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be an agent's sign-in name") }),
      },
    },
    async (request, reply) => sendXml(reply, await dialer.answered(request.query, request.body)),
  );

  r.post(
    `${CALLBACK_PREFIX}/dial`,
    {
      config: { access: 'public' },
      schema: {
        ...WEBHOOK,
        summary: "A callback's <Dial> to the agent's softphone ended: hang up, telling the caller they will be called again when the agent did not answer (TwiML)",
        body: z.object({ CallSid, DialCallStatus: z.enum(DIAL_STATUSES), CallStatus: z.string().max(32).optional() }),
        querystring: Attempt,
      },
    },
    async (request, reply) => sendXml(reply, await dialer.dialEnded(request.query, request.body)),
  );

  r.post(
    `${CALLBACK_PREFIX}/status`,
    {
      config: { access: 'public' },
      schema: { ...CALLBACK, summary: "A callback's call status: not answered (busy, no-answer, failed, canceled) or over (completed)", body: z.object({ CallSid, CallStatus: z.enum(CALLBACK_STATUSES) }), querystring: Attempt },
    },
    async (request, reply) => {
      await dialer.statusChanged(request.query, request.body);
      return reply.code(204).send();
    },
  );

  r.post(
    `${CALLBACK_PREFIX}/recording`,
    {
      config: { access: 'public' },
      schema: {
        ...CALLBACK,
        summary: "Recording status callback of a callback's conversation",
        body: z.object({
          CallSid,
          RecordingUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(500),
          RecordingStatus: z.enum(RECORDING_STATUSES),
        }),
        querystring: Attempt,
      },
    },
    async (request, reply) => {
      await dialer.recordingReady(request.query, request.body);
      return reply.code(204).send();
    },
  );
}
