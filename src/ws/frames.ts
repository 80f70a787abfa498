import { z } from 'zod';
import { fieldOf, NUL_MESSAGE, NUL_MESSAGE_ZH, nulPath } from '../validation/nul';

/** A refusal may carry its own Chinese text (naming the field); otherwise the code's is used. */
export type ParsedFrame<F> = { ok: true; frame: F } | { ok: false; message: string; messageZh?: string; ref?: string };

const zhCN = z.locales.zhCN();

/** Zod's own Chinese wording of an issue ("无效选项：期望以下之一 …"); a custom check keeps its English. */
function issueZh(issue: z.core.$ZodIssue): string {
  const text = zhCN.localeError(issue as unknown as Parameters<typeof zhCN.localeError>[0]);
  const message = typeof text === 'string' ? text : text?.message;
  return message && issue.code !== 'custom' ? message : issue.message;
}

/**
 * A parser for one protocol's client frames: JSON, an object, a known `type`, no NUL, then the schema —
 * each failure a message naming what was wrong, keeping the frame's `ref` for the answer.
 */
export function frameParser<S extends z.ZodType>(schema: S, types: readonly string[]): (raw: string) => ParsedFrame<z.infer<S>> {
  return (raw) => {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return { ok: false, message: 'the frame is not valid JSON' };
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, message: 'the frame must be a JSON object' };
    const rawRef = (json as { ref?: unknown }).ref;
    const ref = typeof rawRef === 'string' ? rawRef.slice(0, 64) : undefined;
    const type = (json as { type?: unknown }).type;
    if (typeof type !== 'string' || !types.includes(type)) return { ok: false, message: `type: must be one of ${types.join(', ')}`, ref };
    // Nothing holding a NUL goes further: PostgreSQL could not store it.
    const nul = nulPath(json);
    if (nul) return { ok: false, message: `${fieldOf(nul)}: ${NUL_MESSAGE}`, messageZh: `消息格式有误：${fieldOf(nul)} ${NUL_MESSAGE_ZH}`, ref };
    // The input is kept on each issue so the Chinese wording can say what was received.
    const parsed = schema.safeParse(json, { reportInput: true });
    if (!parsed.success) {
      const field = (i: z.core.$ZodIssue) => i.path.join('.') || 'frame';
      return {
        ok: false,
        message: parsed.error.issues.map((i) => `${field(i)}: ${i.message}`).join('; '),
        messageZh: `消息格式有误：${parsed.error.issues.map((i) => `${field(i)} ${issueZh(i)}`).join('；')}`,
        ref,
      };
    }
    return { ok: true, frame: parsed.data };
  };
}
