import { AmiUnsafeValueError } from './ami-errors';

/**
 * The checks every action passes before a byte is written. asterisk-manager joins
 * `Key: value` lines with CRLF and writes values as they are, so a value holding a line break
 * would end its header and could start a second action (`...\r\n\r\nAction: Originate`). Some
 * of our values come from callers (numbers, keys) or from Asterisk's own events (channel names),
 * so none is trusted: any control character refuses the whole action.
 */

export type AmiFields = Record<string, string | number>;

const ACTION_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const HEADER_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
/** Plain channel variables only: no dialplan functions such as FILE() or SHELL(), no `=`. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,79}$/;
// C0 controls (CR, LF, NUL, TAB...), DEL, and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/;
/** Asterisk reads a manager line into a 1 KiB buffer; longer values are cut, so refuse them. */
export const MAX_VALUE_LENGTH = 900;

export function isSafeAmiValue(value: string): boolean {
  return !CONTROL.test(value) && value.length <= MAX_VALUE_LENGTH;
}

/** The fields as strings, or an AmiUnsafeValueError naming the first field that is not safe. */
export function checkedFields(action: string, fields: AmiFields): Record<string, string> {
  if (!ACTION_NAME.test(action)) throw new AmiUnsafeValueError(action.replace(CONTROL, '?').slice(0, 64), 'Action', 'is not an action name');
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, raw] of Object.entries(fields)) {
    if (!HEADER_NAME.test(name)) throw new AmiUnsafeValueError(action, name.replace(CONTROL, '?').slice(0, 64), 'is not a header name');
    const lower = name.toLowerCase();
    // The library lower-cases names before writing: two spellings would become two headers.
    if (seen.has(lower)) throw new AmiUnsafeValueError(action, name, 'is given twice');
    seen.add(lower);
    // The library owns these two; letting a caller set them would break reply matching.
    if (lower === 'action' || lower === 'actionid') throw new AmiUnsafeValueError(action, name, 'is set by the client itself');
    if (typeof raw === 'number' && !Number.isFinite(raw)) throw new AmiUnsafeValueError(action, name, 'is not a finite number');
    const value = String(raw);
    if (CONTROL.test(value)) throw new AmiUnsafeValueError(action, name, 'contains a line break or another control character');
    if (value.length > MAX_VALUE_LENGTH) throw new AmiUnsafeValueError(action, name, `is longer than ${MAX_VALUE_LENGTH} characters`);
    if (lower === 'variable' && !VARIABLE_NAME.test(value)) throw new AmiUnsafeValueError(action, name, 'is not a plain variable name (letters, digits, _)');
    out[name] = value;
  }
  return out;
}
