import { z } from 'zod';
import { OUTCOMES } from '../tickets/ticket-outcomes';
import { LANGUAGES, TOPICS } from '../queue/skills';
import { CST_OFFSET_MS } from '../time/china-time';

/**
 * How exported files (reports, tickets) speak. `en` keeps the columns systems read: snake_case
 * headers, codes (`zh`, `labour`, `refer_legal_aid`, `false`), rates as fractions, ISO times.
 * `zh` is for people opening the file in Excel or WPS: Chinese headers, the codes' Chinese
 * names from the same catalogues the pages use, yes/no as 是/否, rates as "85.0%", China time
 * written the way a spreadsheet reads it as a date and time.
 */
export const CsvLanguage = z.enum(['en', 'zh'], 'must be zh (Chinese headers and names) or en (codes)');
export type CsvLanguage = z.infer<typeof CsvLanguage>;

type Vocabulary = Record<string, { zh: string; en: string }>;

/** The Chinese name of a code; a code no catalogue knows is written as it is. */
function named(vocabulary: Vocabulary, code: string | null): string {
  if (code === null) return '';
  return Object.hasOwn(vocabulary, code) ? vocabulary[code]!.zh : code;
}

export const languageZh = (code: string | null) => named(LANGUAGES, code);
export const topicZh = (code: string | null) => (code === '*' ? '全部类别' : named(TOPICS, code));
export const outcomeZh = (code: string | null) => named(OUTCOMES, code);
export const yesNoZh = (value: boolean) => (value ? '是' : '否');

/** 0.85 → "85.0%" (Excel and WPS read it as a percentage); no rate → empty. */
export function percentText(rate: number | null): string {
  return rate === null ? '' : `${(rate * 100).toFixed(1)}%`;
}

/** '2026-03-10 08:30:00' in China time: a spreadsheet reads it as a date and time. */
export function chinaDateTime(at: Date): string {
  return new Date(at.getTime() + CST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * csv-stringify's options for every export: CRLF (Excel on Windows), a cell starting with
 * = + - @ quoted so it never runs as a formula.
 */
export const CSV_OPTIONS = { record_delimiter: 'windows', escape_formulas: true } as const;
