import { Writable } from 'node:stream';
import pino from 'pino';
import { loggerOptions } from '../src/logging/logger';
import { maskPhoneNumber, maskPhoneNumbersInText } from '../src/telephony/phone-number';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _e, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino(loggerOptions('info'), stream), text: () => lines.join('') };
}

describe('logs', () => {
  it('mask callers\' numbers in fields and in messages', () => {
    const { logger, text } = capture();
    logger.info({ callerNumber: '13812345678', call: { from: '+8613987654321', to: '12348' } }, 'call from 0971-6123456 queued');
    const out = text();
    expect(out).not.toMatch(/13812345678|13987654321|6123456/);
    expect(out).toContain('138****5678');
    expect(out).toContain('139****4321');
    expect(out).toContain('*******3456');
  });

  it('drop passwords, tokens and secrets wherever they appear', () => {
    const { logger, text } = capture();
    logger.info({ password: 'p4ss', body: { password: 'p4ss2', token: 'tok-1' }, twilio: { authToken: 'tw-secret' } }, 'x');
    const out = text();
    for (const secret of ['p4ss', 'tok-1', 'tw-secret']) expect(out).not.toContain(secret);
    expect(out).toContain('[REDACTED]');
  });

  it('strip the token from a WebSocket URL and the Authorization header', () => {
    const { logger, text } = capture();
    logger.info({ req: { method: 'GET', url: '/agents/ws?token=eyJabc.def&v=1', id: '1', headers: { authorization: 'Bearer eyJabc' } } }, 'upgrade');
    const out = text();
    expect(out).not.toContain('eyJabc');
    expect(out).toContain('/agents/ws?token=[REDACTED]&v=1');
  });

  it('leave ordinary figures alone', () => {
    expect(maskPhoneNumbersInText('ticket QH-20261121-000123 waited 95 s in 630102')).toBe('ticket QH-20261121-000123 waited 95 s in 630102');
    // Short numbers keep at most two digits: at least three are always hidden.
    expect(maskPhoneNumber('12348')).toBe('***48');
  });
});
