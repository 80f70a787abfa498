import { maskCallerNumber } from '../../src/agents/gateway/call-context';

describe('maskCallerNumber', () => {
  const numbers: [string, string][] = [
    ['12348', '***48'],
    ['612345', '****45'],
    ['6123456', '***3456'],
    ['61234567', '****4567'],
    ['13512342345', '135****2345'],
    ['09716123456', '*******3456'],
    ['097161234567', '********4567'],
    ['+8613512342345', '135****2345'],
    ['+869716123456', '+********3456'],
    ['0971-6123456', '*******3456'],
    ['123', '***'],
  ];

  it.each(numbers)('shows an agent %s as %s: never whole, at least three digits hidden', (number, masked) => {
    const shown = maskCallerNumber(number, 'agent');
    expect(shown).toBe(masked);
    expect(shown).not.toBe(number);
    expect((shown.match(/\*/g) ?? []).length).toBeGreaterThanOrEqual(3);
  });

  it('shows supervisors and admins the whole number, and organisation accounts a masked one', () => {
    for (const [number] of numbers) {
      expect(maskCallerNumber(number, 'supervisor')).toBe(number);
      expect(maskCallerNumber(number, 'admin')).toBe(number);
      expect(maskCallerNumber(number, 'organisation')).not.toBe(number);
    }
    expect(maskCallerNumber(null, 'agent')).toBe('');
  });
});
