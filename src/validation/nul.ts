/**
 * NUL characters (U+0000) in input: where one is, and input with them removed. Used at every
 * edge — the HTTP validator (src/api/nul-guard.ts), WebSocket frames (src/ws/frames.ts), signed
 * Twilio webhooks — so it lives below all of them.
 */
export const NUL_MESSAGE = 'must not contain NUL characters';
export const NUL_MESSAGE_ZH = '不能包含空字符（NUL，\\u0000）';

type Path = (string | number)[];

/** The path of the first string or key holding a NUL, depth first; null when there is none. */
export function nulPath(value: unknown): Path | null {
  // Iterative: a 64 KiB body can nest far deeper than the call stack.
  const stack: [unknown, Path][] = [[value, []]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], [...path, i]]);
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        if (key.includes('\u0000')) return [...path, key.replaceAll('\u0000', '\\0')];
        stack.push([child, [...path, key]]);
      }
    }
  }
  return null;
}

/**
 * A copy of a form (name → value or values) with NULs removed: for input that must be served
 * whatever it holds, once its origin is proven (a signed Twilio webhook with a spoofed caller ID).
 */
export function withoutNul(form: Record<string, unknown>): Record<string, unknown> {
  const clean = (v: unknown): unknown => (typeof v === 'string' ? v.replaceAll('\u0000', '') : Array.isArray(v) ? v.map(clean) : v);
  return Object.fromEntries(Object.entries(form).map(([k, v]) => [k.replaceAll('\u0000', ''), clean(v)]));
}

/** "fields.summary", "items.0.note": the same spelling as validation messages. */
export const fieldOf = (path: Path): string => path.join('.');
