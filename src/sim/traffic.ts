import { z } from 'zod';
import { TOPIC_CODES } from '../queue/skills';
import { exponential, seededRandom, weightedPick } from './random';

/**
 * The callers `npm run sim` generates: Poisson arrivals, each from a prefecture chosen by
 * population, speaking a language and asking about a topic in the shares of a traffic profile,
 * with a patience after which they hang up. The profile is configuration (a JSON file can
 * replace the defaults); the service's own menus (GET /sim/profile) say which key means what.
 */

const Shares = z.record(z.string(), z.number().min(0)).refine((s) => Object.values(s).some((v) => v > 0), 'needs at least one share above 0');

/** The longest patience `POST /sim/calls` accepts. */
export const MAX_PATIENCE_SECONDS = 7_200;

export const TrafficProfileSchema = z.strictObject({
  /** Language shares for the province, and for prefectures that differ (autonomous prefectures). */
  languages: z.strictObject({ default: Shares, byRegion: z.record(z.string().regex(/^\d{6}$/), Shares).default({}) }),
  topics: Shares.refine((s) => Object.keys(s).every((t) => (TOPIC_CODES as readonly string[]).includes(t)), `topics must be among ${TOPIC_CODES.join(', ')}`),
  /** Share of callers declaring each priority group; the rest declare none. */
  priorityGroups: z.record(z.string(), z.number().min(0).max(1)),
  /** Mean seconds a caller waits on hold before hanging up (exponential). */
  patienceMeanSeconds: z.number().positive(),
  /** Survey scores 1–5 and how often each is given; the rest of callers hang up without rating. */
  survey: z.record(z.enum(['1', '2', '3', '4', '5']), z.number().min(0)),
  surveyAnswered: z.number().min(0).max(1),
});
export type TrafficProfile = z.infer<typeof TrafficProfileSchema>;

/** Shares loosely after Qinghai's 12348 published topic mix and its autonomous prefectures' languages. */
export const DEFAULT_TRAFFIC: TrafficProfile = {
  languages: {
    default: { zh: 0.93, bo: 0.05, mn: 0.02 },
    byRegion: {
      '632200': { zh: 0.7, bo: 0.3 },
      '632300': { zh: 0.45, bo: 0.5, mn: 0.05 },
      '632500': { zh: 0.6, bo: 0.4 },
      '632600': { zh: 0.3, bo: 0.7 },
      '632700': { zh: 0.25, bo: 0.75 },
      '632800': { zh: 0.85, bo: 0.05, mn: 0.1 },
    },
  },
  topics: {
    labour: 0.24,
    marriage_family: 0.2,
    land_housing: 0.12,
    contract_debt: 0.15,
    traffic_accident: 0.06,
    consumer: 0.06,
    criminal: 0.04,
    administrative: 0.04,
    legal_aid: 0.06,
    other: 0.03,
  },
  priorityGroups: { elderly: 0.1, disabled: 0.03, military: 0.02, minor: 0.01, migrant_worker: 0.08 },
  patienceMeanSeconds: 120,
  survey: { '5': 0.55, '4': 0.25, '3': 0.12, '2': 0.05, '1': 0.03 },
  surveyAnswered: 0.7,
};

/** What the running service tells the simulator about itself (GET /sim/profile). */
export interface ServiceProfile {
  province: string;
  languages: string[];
  topicKeys: Record<string, string>;
  priorityKeys: Record<string, string>;
  regionMenu: boolean;
  prefectures: { code: string; nameZh: string; population: number; areaCode: string | null }[];
}

export interface SimCaller {
  at: number;
  from: string;
  regionCode: string;
  language: string;
  topic: string;
  priorityGroup: string | null;
  digits: string;
  patienceSeconds: number;
}

const keyOf = (keys: Record<string, string>, value: string | null): string | undefined =>
  Object.entries(keys).find(([, v]) => v === value)?.[0];

/** Callers arriving at `rate` per second, `count` of them, in arrival order. */
export function* callers(service: ServiceProfile, profile: TrafficProfile, count: number, rate: number, seed = 12348): Generator<SimCaller> {
  const random = seededRandom(seed);
  const prefectures = service.prefectures.filter((p) => p.population > 0 && p.areaCode);
  if (prefectures.length === 0) throw new Error('the service reported no prefecture with a population and an area code');
  const pickShare = (shares: Record<string, number>) => weightedPick(random, Object.entries(shares), ([, w]) => w)[0];
  let at = 0;
  for (let i = 0; i < count; i++) {
    at += exponential(random, 1 / rate);
    const region = weightedPick(random, prefectures, (p) => p.population);
    const language = pickShare(profile.languages.byRegion[region.code] ?? profile.languages.default);
    const topic = pickShare(profile.topics);
    let group: string | null = null;
    let r = random();
    for (const [g, share] of Object.entries(profile.priorityGroups)) {
      if (r < share) {
        group = g;
        break;
      }
      r -= share;
    }
    const languageKey = String(Math.max(0, service.languages.indexOf(language)) + 1);
    const topicKey = keyOf(service.topicKeys, topic) ?? '0';
    const priorityKey = keyOf(service.priorityKeys, group) ?? '0';
    // '0' keeps the region the number gave (the county menu, when there is one); a caller with
    // no county menu presses it in the survey, which repeats and takes the next key.
    const regionKey = service.regionMenu ? '0' : '';
    const survey = random() < profile.surveyAnswered ? pickShare(profile.survey) : '';
    const number = `${region.areaCode}${String(Math.floor(random() * 9_000_000) + 1_000_000)}`;
    yield {
      at,
      from: number,
      regionCode: region.code,
      language,
      topic,
      priorityGroup: group,
      digits: `${languageKey}${topicKey}${priorityKey}${regionKey}${survey}`,
      // The simulator takes at most two hours of patience (a caller still waiting then is held by the queue's own limit).
      patienceSeconds: Math.min(MAX_PATIENCE_SECONDS, Math.round(exponential(random, profile.patienceMeanSeconds) * 10) / 10),
    };
  }
}

export interface SimSummary {
  offered: number;
  answered: number;
  abandoned: number;
  callbacks: number;
  rejected: number;
  waiting: number;
  inIvr: number;
  connected: number;
  /** Answered within the threshold over answered plus abandoned after it (the usual ACD formula). */
  serviceLevel: number | null;
  averageWaitSeconds: number | null;
}

export interface ObservedCall {
  status: string;
  outcome: string | null;
  queuedAt: number | null;
  answeredAt: number | null;
  endedAt: number | null;
}

export function summarise(calls: ObservedCall[], offered: number, thresholdSeconds: number): SimSummary {
  let answered = 0;
  let abandoned = 0;
  let callbacks = 0;
  let rejected = 0;
  let waiting = 0;
  let inIvr = 0;
  let connected = 0;
  let inTime = 0;
  let abandonedLate = 0;
  let waitSum = 0;
  const threshold = thresholdSeconds * 1000;
  for (const c of calls) {
    if (c.answeredAt !== null) {
      answered++;
      const wait = c.answeredAt - (c.queuedAt ?? c.answeredAt);
      waitSum += wait;
      if (wait <= threshold) inTime++;
    }
    if (c.outcome === 'abandoned' && c.queuedAt !== null) {
      abandoned++;
      if ((c.endedAt ?? 0) - c.queuedAt > threshold) abandonedLate++;
    }
    if (c.outcome === 'callback') callbacks++;
    if (c.outcome === 'rejected') rejected++;
    if (c.status === 'queued') waiting++;
    if (c.status === 'ivr') inIvr++;
    if (c.status === 'connected') connected++;
  }
  const denominator = answered + abandonedLate;
  return {
    offered,
    answered,
    abandoned,
    callbacks,
    rejected,
    waiting,
    inIvr,
    connected,
    serviceLevel: denominator > 0 ? inTime / denominator : null,
    averageWaitSeconds: answered > 0 ? waitSum / answered / 1000 : null,
  };
}
