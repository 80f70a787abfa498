import { z } from 'zod';
import { LANGUAGE_CODES } from '../queue/skills';

const RegionCode = z.string().regex(/^\d{6}$/, 'must be a 6-digit region code');
const Speakers = z.partialRecord(z.enum(LANGUAGE_CODES), z.number().int().min(0).max(50));
const Template = z.string().regex(/^([01]\d|2[0-3]):[03]0-(([01]\d|2[0-3]):[03]0|24:00)$/, 'must be HH:MM-HH:MM on half-hours, e.g. 08:00-12:00');

/**
 * A province's roster rules (`provinces.settings.rosters`):
 * - maxHoursPerDay: no agent is rostered longer than this in a day (8).
 * - shiftTemplates: the shifts a day is built from; each agent's shift is one template trimmed to
 *   the half-hours the plan needs (default: the day in 4-hour blocks from midnight, 00:00-04:00 …
 *   20:00-24:00). Half-hours outside every template are never rostered by a build.
 * - minSpeakers: speakers of a language each prefecture needs on duty in every half-hour it has
 *   planned seats, e.g. { bo: 1, mn: 1 }. Default: one speaker of each of the province's
 *   languages other than Mandarin (Qinghai: Tibetan and Mongolian).
 * - minSpeakersByPrefecture: a prefecture's own minimum instead, e.g. { "630100": {} } for none.
 */
export const RosterSettingsSchema = z.strictObject({
  maxHoursPerDay: z.number().min(0.5).max(24).multipleOf(0.5).default(8),
  shiftTemplates: z.array(Template).min(1).max(48).optional(),
  minSpeakers: Speakers.optional(),
  minSpeakersByPrefecture: z.record(RegionCode, Speakers).default({}),
});

export interface RosterSettings {
  maxHoursPerDay: number;
  /** [start, end) in minutes after midnight, in order, not overlapping. */
  templates: [number, number][];
  /** The minimum speakers per language for a prefecture. */
  minSpeakers(prefecture: string): Record<string, number>;
}

export const DEFAULT_TEMPLATES = ['00:00-04:00', '04:00-08:00', '08:00-12:00', '12:00-16:00', '16:00-20:00', '20:00-24:00'];

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Reads the province's roster settings; anything missing takes its default, anything wrong names itself. */
export function rosterSettings(settings: Record<string, unknown>, provinceLanguages: readonly string[]): RosterSettings {
  const parsed = RosterSettingsSchema.safeParse(settings.rosters ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `settings.rosters.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid roster settings: ${problems}`);
  }
  const s = parsed.data;
  const templates = (s.shiftTemplates ?? DEFAULT_TEMPLATES).map((t): [number, number] => [minutes(t.slice(0, 5)), minutes(t.slice(6))]).sort((a, b) => a[0] - b[0]);
  templates.forEach(([start, end], i) => {
    if (end <= start) throw new Error(`invalid roster settings: settings.rosters.shiftTemplates: ${fmt(start)}-${fmt(end)} ends before it starts`);
    const prev = templates[i - 1];
    if (prev && prev[1] > start) throw new Error(`invalid roster settings: settings.rosters.shiftTemplates: ${fmt(prev[0])}-${fmt(prev[1])} and ${fmt(start)}-${fmt(end)} overlap`);
  });
  const fallback: Record<string, number> = s.minSpeakers ?? Object.fromEntries(provinceLanguages.filter((l) => l !== 'zh').map((l) => [l, 1]));
  return {
    maxHoursPerDay: s.maxHoursPerDay,
    templates,
    minSpeakers: (prefecture) => ({ ...(s.minSpeakersByPrefecture[prefecture] ?? fallback) }),
  };
}

/** 510 → "08:30"; 1440 → "24:00". */
export function fmt(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}
