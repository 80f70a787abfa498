import { z } from 'zod';
import { TOPIC_CODES, TOPICS, type TopicCode } from '../queue/skills';
import type { Region, RegionDirectory } from '../regions/region-directory';
import { PromptCatalogueSchema } from './prompts';

/**
 * The menus a caller walks through, and how they are configured per province (the `ivr` block
 * of the province's settings). Menus are data; the call flow walks them.
 */

export const PRIORITY_GROUPS = ['elderly', 'disabled', 'military', 'minor', 'migrant_worker', 'low_income'] as const;
export type PriorityGroup = (typeof PRIORITY_GROUPS)[number];

const Digit = z.string().regex(/^[0-9]$/, 'must be one key 0-9');

export const IvrSettingsSchema = z.strictObject({
  /** Seconds the caller has to press a key before the menu counts as unanswered. */
  menuTimeoutSeconds: z.number().int().min(2).max(30),
  /** Times a menu is played before its default is taken (a timeout or a wrong key repeats it). */
  menuAttempts: z.number().int().min(1).max(5),
  /** Seconds between position / estimated wait announcements while on hold. */
  holdAnnounceSeconds: z.number().int().min(15).max(600),
  surveyTimeoutSeconds: z.number().int().min(2).max(30),
  /** Offer the caller a choice of county (or prefecture, when the number said nothing). */
  regionMenu: z.boolean(),
  /** Key → topic; the key for `other` is also the default. */
  topicKeys: z.record(Digit, z.enum(TOPIC_CODES)),
  /** Key → self-declared priority group; any key not listed means none. */
  priorityKeys: z.record(Digit, z.enum(PRIORITY_GROUPS)),
  /** Queue priority a declared group adds. */
  groupPriority: z.number().int().min(0).max(10),
  /** Priority a caller's history adds: unanswered calls in the last day, or a ticket flagged as a risk. */
  repeatCallerPriority: z.number().int().min(0).max(10),
  riskHistoryPriority: z.number().int().min(0).max(10),
  /** Where the hold music comes from: an Asterisk music class, or an audio file for Twilio. */
  holdMusic: z.string().regex(/^[A-Za-z0-9_\-/.:]+$/).max(300),
  /** Per-language prompt overrides on top of the built-in catalogue. */
  prompts: PromptCatalogueSchema.optional(),
});
export type IvrSettings = z.infer<typeof IvrSettingsSchema>;

export const DEFAULT_IVR: IvrSettings = {
  menuTimeoutSeconds: 6,
  menuAttempts: 2,
  holdAnnounceSeconds: 45,
  surveyTimeoutSeconds: 8,
  regionMenu: true,
  topicKeys: {
    '1': 'labour',
    '2': 'marriage_family',
    '3': 'land_housing',
    '4': 'contract_debt',
    '5': 'traffic_accident',
    '6': 'consumer',
    '7': 'criminal',
    '8': 'administrative',
    '9': 'legal_aid',
    '0': 'other',
  },
  priorityKeys: { '1': 'elderly', '2': 'disabled', '3': 'military', '4': 'minor', '5': 'migrant_worker' },
  groupPriority: 2,
  repeatCallerPriority: 1,
  riskHistoryPriority: 3,
  holdMusic: 'default',
};

export function ivrSettings(settings: Record<string, unknown>, province: string): IvrSettings {
  if (settings.ivr === undefined) return DEFAULT_IVR;
  const parsed = IvrSettingsSchema.safeParse({ ...DEFAULT_IVR, ...(settings.ivr as object) });
  if (!parsed.success) {
    throw new Error(`province ${province} has invalid IVR settings: ${parsed.error.issues.map((i) => `ivr.${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export type MenuId = 'language' | 'topic' | 'priority' | 'region';

export interface MenuOption {
  key: string;
  value: string;
  label: { zh: string; en: string };
}

/** The options of each menu for a province, and the region choices under a region. */
export class Menus {
  constructor(
    readonly settings: IvrSettings,
    private readonly languages: readonly string[],
    private readonly regions: RegionDirectory,
  ) {}

  languageOptions(): MenuOption[] {
    return this.languages.slice(0, 9).map((code, i) => ({ key: String(i + 1), value: code, label: { zh: code, en: code } }));
  }

  topicOptions(): MenuOption[] {
    return Object.entries(this.settings.topicKeys)
      .sort(([a], [b]) => (a === '0' ? 1 : b === '0' ? -1 : a.localeCompare(b)))
      .map(([key, topic]) => ({ key, value: topic, label: TOPICS[topic as TopicCode] }));
  }

  defaultTopic(): string {
    return this.settings.topicKeys['0'] ?? 'other';
  }

  /** Regions a caller placed at `code` can narrow down to: a prefecture's counties, or the prefectures. */
  regionOptions(code: string): MenuOption[] {
    const region = this.regions.get(code);
    if (!region || region.level === 'county') return [];
    return this.regions
      .children(region.code)
      .slice(0, 9)
      .map((r: Region, i) => ({ key: String(i + 1), value: r.code, label: { zh: r.nameZh, en: r.namePinyin } }));
  }

  /** The menu's option for a key, or null for a key the menu does not have. */
  choose(options: MenuOption[], digits: string | null): MenuOption | null {
    if (digits === null || !/^[0-9*#]$/.test(digits)) return null;
    return options.find((o) => o.key === digits) ?? null;
  }

  /** Text listing the options ("劳动争议请按1，…"), for menus built from names. */
  describe(options: MenuOption[], language: string, continued = false): string {
    // "，" between options; the list ends the sentence ("。") unless the prompt goes on with more
    // of it (the region menu's "其他地区请按0。").
    if (language === 'en') return options.map((o) => `For ${o.label.en} press ${o.key}. `).join('');
    return options.length ? `${options.map((o) => `${o.label.zh}请按${o.key}`).join('，')}${continued ? '，' : '。'}` : '';
  }
}
