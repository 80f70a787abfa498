import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';

/**
 * What callers hear. Each prompt is, per language, TTS text (Twilio <Say>, the simulator's log)
 * and/or an audio file (Asterisk sound name, or a path under the province's audio base URL for
 * Twilio <Play>). Tibetan and Mongolian prompts are recordings made by the province: speech
 * engines do not speak them. A prompt missing in a language falls back to Mandarin, and the
 * gap is logged once so the province knows what still has to be recorded.
 */

export const PROMPT_KEYS = [
  'welcome',
  'language_menu',
  'topic_menu',
  'priority_menu',
  'region_menu',
  'invalid',
  'queued',
  'position',
  'no_estimate',
  'no_speaker',
  'callback_offer',
  'callback_confirmed',
  'queue_full',
  'queue_timeout',
  'transferring',
  'survey',
  'survey_thanks',
  'goodbye',
  'technical_problem',
  'after_hours',
  'message_invite',
  'message_saved',
  'duty_forward',
  'no_speaker_offer',
  'no_speaker_callback',
  'forwarding',
  'forward_failed',
  'forward_failed_callback',
  'duty_unreachable',
] as const;
export type PromptKey = (typeof PROMPT_KEYS)[number];

const PromptEntry = z.strictObject({
  text: z.string().min(1).max(2000).optional(),
  audio: z
    .string()
    .regex(/^[A-Za-z0-9_\-/.]+$/, 'must be a sound file name of letters, digits, _ - / .')
    .refine((v) => !v.includes('..'), 'must not contain ..')
    .optional(),
});
export type PromptEntry = z.infer<typeof PromptEntry>;

/**
 * Prompts the service no longer plays. A province's stored override of one is dropped rather than
 * refused: refused, it would stop the service from starting on settings saved before.
 * (`connecting`: the recording notice moved into `welcome`.)
 */
const RETIRED_PROMPTS: readonly string[] = ['connecting'];
const withoutRetired = (entries: unknown) =>
  entries && typeof entries === 'object' && !Array.isArray(entries) ? Object.fromEntries(Object.entries(entries).filter(([key]) => !RETIRED_PROMPTS.includes(key))) : entries;

export const PromptCatalogueSchema = z.record(z.string().min(2).max(8), z.preprocess(withoutRetired, z.partialRecord(z.enum(PROMPT_KEYS), PromptEntry)));
export type PromptCatalogue = z.infer<typeof PromptCatalogueSchema>;

/** A prompt ready to play: the language it is actually in, and values filled into its text. */
export interface Prompt {
  key: PromptKey;
  language: string;
  text: string | null;
  audio: string | null;
  /** Numbers to say after the prompt (position, minutes), for drivers that say them natively. */
  numbers?: number[];
}

const audio = (language: string, key: string) => `hotline/${language}/${key}`;

/** Mandarin text for every prompt; `{name}` placeholders are filled when the prompt is used. */
const ZH: Record<PromptKey, string> = {
  welcome: '您好，欢迎致电12348公共法律服务热线。为保证服务质量，您的通话将被录音。',
  language_menu: '普通话请按1。བོད་སྐད་ 藏语请按2。Монгол 蒙古语请按3。',
  topic_menu: '{options}',
  priority_menu: '如您是老年人、残疾人、军人军属或退役军人、未成年人或讨要工资的农民工，请按对应按键：老年人请按1，残疾人请按2，军人军属或退役军人请按3，未成年人请按4，农民工讨薪请按5，其他请按0。',
  region_menu: '{options}其他地区请按0。',
  invalid: '输入有误，请重新选择。',
  queued: '正在为您转接法律咨询员，请稍候。',
  position: '您前面还有{position}位来电，预计等待{minutes}分钟。',
  no_estimate: '目前坐席繁忙，请耐心等待。',
  no_speaker: '目前暂无能用您所选语言接听的法律咨询员在线。',
  callback_offer: '如需挂机后由我们回电，请按1。',
  callback_confirmed: '已为您登记回电，我们将尽快与您联系。再见。',
  queue_full: '目前来电较多，请稍后再拨。再见。',
  queue_timeout: '很抱歉，坐席仍然繁忙。我们已登记您的来电，将尽快回电。再见。',
  transferring: '正在为您转接其他法律咨询员，请稍候。',
  survey: '请对本次服务进行评价：非常满意请按5，满意请按4，基本满意请按3，不满意请按2，非常不满意请按1。',
  survey_thanks: '感谢您的评价，再见。',
  goodbye: '感谢您的来电，再见。',
  technical_problem: '很抱歉，系统出现故障，请稍后再拨。',
  after_hours: '现在是非工作时间。12348热线人工服务时间为{hours}。',
  message_invite: '请在提示音后留言，说明您的姓名和需要咨询的问题，按井号键结束。我们将按您的来电号码回电。',
  message_saved: '您的留言已记录，我们将在{when}给您回电。再见。',
  duty_forward: '正在为您转接值班电话，请稍候。',
  no_speaker_offer: '如需挂机后由我们回电，请按1；如需留言，请按2。',
  no_speaker_callback: '很抱歉，仍无能用您所选语言接听的法律咨询员。我们已为您登记回电，再见。',
  forwarding: '正在为您转接相关单位，请稍候。',
  forward_failed: '很抱歉，对方电话未能接通，正在为您接回法律咨询员。',
  forward_failed_callback: '很抱歉，对方电话未能接通。我们已为您登记回电，再见。',
  duty_unreachable: '很抱歉，值班电话暂时无人接听。',
};

/** English, for agents' training lines and visitors; callers choose among the province's languages. */
const EN: Record<PromptKey, string> = {
  welcome: 'Welcome to the 12348 public legal service hotline. Calls are recorded to keep our service right.',
  language_menu: 'For Mandarin press 1. For Tibetan press 2. For Mongolian press 3.',
  topic_menu: '{options}',
  priority_menu: 'Elderly press 1, disabled press 2, military families or veterans press 3, minors press 4, migrant workers owed wages press 5, anyone else press 0.',
  region_menu: '{options}For anywhere else press 0.',
  invalid: 'Sorry, that was not a valid choice.',
  queued: 'We are connecting you to a legal adviser. Please hold.',
  position: 'There are {position} callers ahead of you; the expected wait is {minutes} minutes.',
  no_estimate: 'All advisers are busy. Please stay on the line.',
  no_speaker: 'No legal adviser who speaks your language is available right now.',
  callback_offer: 'To be called back instead, press 1.',
  callback_confirmed: 'Your callback is booked. We will call you soon. Goodbye.',
  queue_full: 'We are receiving too many calls. Please call again later. Goodbye.',
  queue_timeout: 'Sorry, all advisers are still busy. We have booked a callback for you. Goodbye.',
  transferring: 'We are transferring you to another legal adviser. Please hold.',
  survey: 'Please rate this call: very satisfied 5, satisfied 4, acceptable 3, unsatisfied 2, very unsatisfied 1.',
  survey_thanks: 'Thank you for your rating. Goodbye.',
  goodbye: 'Thank you for calling. Goodbye.',
  technical_problem: 'Sorry, something went wrong. Please call again later.',
  after_hours: 'The hotline is closed now. Advisers answer {hours}.',
  message_invite: 'Please leave your name and your question after the tone, and press the hash key when you are done. We will call you back on this number.',
  message_saved: 'Your message is recorded. We will call you back {when}. Goodbye.',
  duty_forward: 'Connecting you to the adviser on duty. Please hold.',
  no_speaker_offer: 'To be called back instead, press 1. To leave a message, press 2.',
  no_speaker_callback: 'Sorry, still no adviser who speaks your language is available. We have booked a callback for you. Goodbye.',
  forwarding: 'We are putting you through. Please hold.',
  forward_failed: 'Sorry, the line could not be reached. We are taking you back to your legal adviser.',
  forward_failed_callback: 'Sorry, the line could not be reached. We have booked a callback for you. Goodbye.',
  duty_unreachable: 'Sorry, the adviser on duty is not answering.',
};

/** Recordings the province supplies for Tibetan and Mongolian: file names only, no TTS text. */
const RECORDED: PromptKey[] = ['welcome', 'language_menu', 'topic_menu', 'priority_menu', 'invalid', 'queued', 'no_estimate', 'no_speaker', 'callback_offer', 'callback_confirmed', 'queue_full', 'queue_timeout', 'survey', 'survey_thanks', 'goodbye', 'technical_problem', 'after_hours', 'message_invite', 'message_saved', 'duty_forward', 'no_speaker_offer', 'no_speaker_callback', 'forwarding', 'forward_failed', 'forward_failed_callback', 'duty_unreachable'];

export function defaultCatalogue(): PromptCatalogue {
  const withAudio = (language: string, texts: Record<PromptKey, string>) =>
    Object.fromEntries(PROMPT_KEYS.map((k) => [k, { text: texts[k], audio: audio(language, k) }]));
  const recorded = (language: string) => Object.fromEntries(RECORDED.map((k) => [k, { audio: audio(language, k) }]));
  return { zh: withAudio('zh', ZH), en: withAudio('en', EN), bo: recorded('bo'), mn: recorded('mn') };
}

export class Prompts {
  private readonly warned = new Set<string>();

  constructor(
    private readonly catalogue: PromptCatalogue,
    private readonly log?: FastifyBaseLogger,
  ) {
    if (!catalogue.zh) throw new Error('the prompt catalogue needs Mandarin (zh): every other language falls back to it');
  }

  /**
   * The prompt in `language`, else in Mandarin (logged once per prompt and language). Values
   * fill `{name}` placeholders in the text.
   */
  get(key: PromptKey, language: string, values: Record<string, string | number> = {}): Prompt {
    let entry = this.catalogue[language]?.[key];
    let used = language;
    // The region menu is built from place names, which a fixed recording cannot carry.
    const needsText = key === 'region_menu';
    if (!entry || (needsText && !entry.text)) {
      if (language !== 'zh') {
        const gap = `${language}:${key}`;
        if (!this.warned.has(gap)) {
          this.warned.add(gap);
          this.log?.warn({ language, prompt: key }, 'prompt missing in this language; playing Mandarin');
        }
      }
      entry = this.catalogue.zh![key];
      used = 'zh';
    }
    if (!entry) throw new Error(`prompt ${key} is missing in Mandarin too`);
    const text = entry.text ? entry.text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? '')) : null;
    const numbers = key === 'position' ? [Number(values.position ?? 0), Number(values.minutes ?? 0)] : undefined;
    return { key, language: used, text, audio: entry.audio ?? null, ...(numbers ? { numbers } : {}) };
  }
}
