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

/**
 * A caller's number as a callback dials it through the trunk: mainland digits only (a mobile, a
 * landline with its area code, a short service number). +86 becomes the domestic form; any other
 * country, or anything that is not a number, is null: callbacks never dial abroad.
 */
export function domesticNumber(stored: string): string | null {
  let n = stored.replace(/[\s()-]/g, '');
  if (n.startsWith('+86')) n = n.slice(3);
  else if (n.startsWith('0086')) n = n.slice(4);
  else if (n.startsWith('+')) return null;
  // +86 971 … (a landline without its trunk prefix) is dialled 0971 …
  if (/^[2-9]\d{8,10}$/.test(n)) n = `0${n}`;
  return /^(0[1-9]\d{8,10}|1[3-9]\d{9}|1\d{2,4})$/.test(n) ? n : null;
}

/** The same number in E.164 (+86…), as Twilio dials it; null when it cannot be called back. */
export function e164Number(stored: string): string | null {
  const n = domesticNumber(stored);
  if (!n) return null;
  return n.startsWith('0') ? `+86${n.slice(1)}` : `+86${n}`;
}

/**
 * A remote seat's phone as it is stored and dialled: a mainland mobile, or a landline with its
 * area code (+86 and spaces or dashes allowed on the way in). Null for anything else — a short
 * service number or a number abroad cannot be a lawyer's seat.
 */
export function seatNumber(raw: string): string | null {
  const n = domesticNumber(raw);
  return n && /^(0[1-9]\d{8,10}|1[3-9]\d{9})$/.test(n) ? n : null;
}
