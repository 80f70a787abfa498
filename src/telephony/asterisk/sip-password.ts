import { createHmac } from 'node:crypto';

/**
 * Each agent's SIP password, derived so the service never stores it and Asterisk's pjsip.conf
 * can be generated from the same secret (docs/asterisk.md).
 */
export function sipPassword(secret: string, username: string): string {
  return createHmac('sha256', secret).update(`sip:${username.toLowerCase()}`).digest('base64url').slice(0, 24);
}
