/**
 * Callers' numbers are personal data: logs never carry them whole, and roles that do not need
 * them see them masked. Mobile numbers keep their first three and last four digits (enough for
 * an agent to confirm "the number ending 5678"); other numbers keep their last four.
 */

const MOBILE = /^(?:\+?86)?(1[3-9]\d)(\d{4})(\d{4})$/;

export function maskPhoneNumber(value: string): string {
  const digits = value.replace(/[\s-]/g, '');
  const mobile = MOBILE.exec(digits);
  if (mobile) return `${mobile[1]}****${mobile[3]}`;
  if (digits.length <= 4) return '*'.repeat(digits.length);
  return `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

// Chinese mobiles (optionally +86), landlines with area code (0971-6123456, 09716123456),
// and E.164 numbers. Seven or more digits: shorter runs (years, counts, codes) are left alone.
const PHONE_IN_TEXT = /(?<![\d.])(?:\+?86[\s-]?)?(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}[\s-]?\d{7,8})(?![\d.])|\+\d{8,15}(?!\d)/g;

/** Masks every phone number found in free text (log messages, error strings). */
export function maskPhoneNumbersInText(text: string): string {
  return text.replace(PHONE_IN_TEXT, (match) => maskPhoneNumber(match));
}
