import twilio from 'twilio';
import type { Config } from '../../config/config';
import { Errors } from '../../errors/errors';

/** How long a softphone token lasts; the page asks for a new one before it runs out. */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;

/**
 * An access token for the agent's browser softphone (Twilio Voice JavaScript SDK): its
 * identity is the agent's username, which the <Dial><Client> of a connect names, so calls the
 * router gives this agent ring in their browser. Signed with an API key, never the auth token.
 */
export function softphoneToken(config: Config, identity: string): { token: string; identity: string; ttlSeconds: number; expiresAt: Date } {
  const t = config.twilio;
  if (!config.telephony.includes('twilio')) throw new Errors.TWILIO_NOT_CONFIGURED('TELEPHONY does not include twilio');
  const missing = [
    ...(t?.apiKey ? [] : ['TWILIO_API_KEY']),
    ...(t?.apiSecret ? [] : ['TWILIO_API_SECRET']),
    ...(t?.twimlAppSid ? [] : ['TWILIO_TWIML_APP_SID']),
  ];
  if (!t || missing.length > 0) throw new Errors.TWILIO_NOT_CONFIGURED(`set ${missing.join(', ')}`);
  const token = new twilio.jwt.AccessToken(t.accountSid, t.apiKey!, t.apiSecret!, { identity, ttl: ACCESS_TOKEN_TTL_SECONDS });
  token.addGrant(new twilio.jwt.AccessToken.VoiceGrant({ outgoingApplicationSid: t.twimlAppSid!, incomingAllow: true }));
  const jwt = token.toJwt();
  // The expiry as signed, so the page renews on the token's own clock.
  const { exp } = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number };
  return { token: jwt, identity, ttlSeconds: ACCESS_TOKEN_TTL_SECONDS, expiresAt: new Date(exp * 1000) };
}
