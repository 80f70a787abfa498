/**
 * Callers' numbers are personal data: logs never carry them whole, and roles that do not need
 * them see them masked. Mobile numbers keep their first three and last four digits (enough for
 * an agent to confirm "the number ending 5678"); other numbers of seven digits or more keep their
 * last four, shorter ones their last two, four or fewer nothing — whatever the length, at least
 * three digits are hidden.
 */

const MOBILE = /^(?:\+?86)?(1[3-9]\d)(\d{4})(\d{4})$/;

export function maskPhoneNumber(value: string): string {
  const compact = value.replace(/[\s-]/g, '');
  const mobile = MOBILE.exec(compact);
  if (mobile) return `${mobile[1]}****${mobile[3]}`;
  const plus = compact.startsWith('+') ? '+' : '';
  const digits = compact.slice(plus.length);
  const keep = digits.length >= 7 ? 4 : digits.length >= 5 ? 2 : 0;
  return `${plus}${'*'.repeat(digits.length - keep)}${digits.slice(digits.length - keep)}`;
}

// Chinese mobiles (optionally +86), landlines with area code (0971-6123456, 09716123456),
// and E.164 numbers. Seven or more digits: shorter runs (years, counts, codes) are left alone.
const PHONE_IN_TEXT = /(?<![\d.])(?:\+?86[\s-]?)?(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}[\s-]?\d{7,8})(?![\d.])|\+\d{8,15}(?!\d)/g;

/** Masks every phone number found in free text (log messages, error strings). */
export function maskPhoneNumbersInText(text: string): string {
  return text.replace(PHONE_IN_TEXT, (match) => maskPhoneNumber(match));
}
