import { bearer, startTestApp, type TestApp } from '../support/app';
import { ACCOUNT_SID, API_KEY, API_SECRET, TWIML_APP_SID, signedWebhook, startFakeTwilio, twilioConfig, type FakeTwilio } from '../support/fake-twilio';
import { createHmac } from 'node:crypto';
import { addOrganisationAccount } from '../tickets/ticket-fixtures';

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

describe('GET /api/telephony/twilio/token', () => {
  let fake: FakeTwilio;
  beforeAll(async () => {
    fake = await startFakeTwilio();
  });
  afterAll(async () => fake.close());

  describe('with the API key configured', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(twilioConfig(fake.url));
    });
    afterAll(async () => t.close());

    it('refuses anyone not signed in, and organisation accounts (a legal aid centre takes no calls)', async () => {
      expect((await t.app.inject({ method: 'GET', url: '/api/telephony/twilio/token' })).statusCode).toBe(401);
      const centre = await addOrganisationAccount(t, 'la.ledu', 'LA-630202');
      const res = await t.app.inject({ method: 'GET', url: '/api/telephony/twilio/token', headers: bearer(centre.token) });
      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 403, code: 'HOTLINE_ERR_FORBIDDEN_ROLE' });
      // A supervisor's softphone is what rings when they listen to a call (client:<username>).
      const supervisor = await t.addUser({ username: 'sup.xining', role: 'supervisor', region: '630100' });
      const own = await t.app.inject({ method: 'GET', url: '/api/telephony/twilio/token', headers: bearer(supervisor.token) });
      expect(own.statusCode).toBe(200);
      expect(own.json()).toMatchObject({ identity: 'sup.xining' });
    });

    it("gives an agent a one-hour JWT, signed with the API secret, whose voice grant names the TwiML app and the agent's username", async () => {
      const agent = await t.addUser({ username: 'agent.haidong', role: 'agent', region: '630200' });
      const res = await t.app.inject({ method: 'GET', url: '/api/telephony/twilio/token', headers: bearer(agent.token) });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ identity: 'agent.haidong', ttlSeconds: 3600 });
      const [header, payload, signature] = body.token.split('.');
      expect(decode(header)).toMatchObject({ alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' });
      const claims = decode(payload);
      expect(claims).toMatchObject({
        iss: API_KEY,
        sub: ACCOUNT_SID,
        grants: { identity: 'agent.haidong', voice: { outgoing: { application_sid: TWIML_APP_SID }, incoming: { allow: true } } },
      });
      expect(claims.exp - claims.iat).toBe(3600);
      expect(new Date(body.expiresAt).getTime() / 1000).toBe(claims.exp);
      expect(createHmac('sha256', API_SECRET).update(`${header}.${payload}`).digest('base64url')).toBe(signature);
    });
  });

  it('answers 503 naming what is missing when the API key is not configured', async () => {
    const t = await startTestApp(twilioConfig(fake.url, { apiKey: null, apiSecret: null }));
    try {
      const agent = await t.addUser({ username: 'agent.golmud', role: 'agent', region: '632800' });
      const res = await t.app.inject({ method: 'GET', url: '/api/telephony/twilio/token', headers: bearer(agent.token) });
      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 503, code: 'HOTLINE_ERR_TWILIO_NOT_CONFIGURED' });
      expect(res.json().message).toContain('TWILIO_API_KEY, TWILIO_API_SECRET');
      expect(res.json().messageZh).toBe('未配置 Twilio 网页软电话');
    } finally {
      await t.close();
    }
  });

  it('answers 503 for tokens, and has no webhooks at all, when TELEPHONY does not include twilio', async () => {
    const t = await startTestApp();
    try {
      const agent = await t.addUser({ username: 'agent.yushu', role: 'agent', region: '632700' });
      const res = await t.app.inject({ method: 'GET', url: '/api/telephony/twilio/token', headers: bearer(agent.token) });
      expect(res.statusCode).toBe(503);
      expect(res.json().message).toContain('TELEPHONY does not include twilio');
      const hook = await t.app.inject(signedWebhook('/telephony/twilio/voice', { CallSid: `CA${'2'.repeat(32)}`, From: '+8613519712345' }));
      expect(hook.statusCode).toBe(404);
    } finally {
      await t.close();
    }
  });
});
