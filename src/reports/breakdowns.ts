import { TOPIC_CODES } from '../queue/skills';
import type { RegionDirectory } from '../regions/region-directory';
import { addCounts, type CountRow, type Counts, type Figures, figures, NO_COUNTS } from './reports';

/**
 * The report of an area as the page shows it: the whole area, each region one level below the
 * area's root (its counties' calls added in), each topic, each region × topic, and each period
 * (a month's days). A call recorded at the root itself (e.g. a caller placed only in the
 * province) gets its own row, `own: true`, so the regions always add up to the total.
 */
export interface RegionFigures extends Figures {
  regionCode: string;
  own: boolean;
}
export interface TopicFigures extends Figures {
  topic: string;
}
export type RegionTopicFigures = RegionFigures & TopicFigures;
export interface PeriodFigures extends Figures {
  period: string;
}

export interface Breakdowns {
  total: Figures;
  byRegion: RegionFigures[];
  byTopic: TopicFigures[];
  byRegionTopic: RegionTopicFigures[];
}

export function breakdowns(counts: CountRow[], regions: RegionDirectory, root: string): Breakdowns {
  const children = regions.children(root).map((r) => r.code);
  // Which row a recorded region belongs to: the child of the root above it, or the root itself.
  const branch = (code: string) => regions.lineage(code).find((r) => r.parentCode === root)?.code ?? root;
  let total: Counts = NO_COUNTS;
  const byRegion = new Map<string, Counts>(children.map((c) => [c, NO_COUNTS]));
  const byTopic = new Map<string, Counts>();
  const byRegionTopic = new Map<string, Map<string, Counts>>();
  for (const c of counts) {
    const region = branch(c.regionCode);
    total = addCounts(total, c);
    byRegion.set(region, addCounts(byRegion.get(region) ?? NO_COUNTS, c));
    byTopic.set(c.topic, addCounts(byTopic.get(c.topic) ?? NO_COUNTS, c));
    const topics = byRegionTopic.get(region) ?? new Map<string, Counts>();
    topics.set(c.topic, addCounts(topics.get(c.topic) ?? NO_COUNTS, c));
    byRegionTopic.set(region, topics);
  }
  // A leaf area is its own single row; otherwise the root's row comes last, only when it has calls.
  if (children.length === 0) byRegion.set(root, byRegion.get(root) ?? NO_COUNTS);
  const regionOrder = [...children, ...(byRegion.has(root) ? [root] : [])];
  const topicOrder = orderTopics([...byTopic.keys()]);
  const own = (code: string) => code === root && children.length > 0;
  return {
    total: figures(total),
    byRegion: regionOrder.map((code) => ({ regionCode: code, own: own(code), ...figures(byRegion.get(code)!) })),
    byTopic: topicOrder.map((topic) => ({ topic, ...figures(byTopic.get(topic)!) })),
    byRegionTopic: regionOrder.flatMap((code) => {
      const topics = byRegionTopic.get(code);
      if (!topics) return [];
      return orderTopics([...topics.keys()]).map((topic) => ({ regionCode: code, own: own(code), topic, ...figures(topics.get(topic)!) }));
    }),
  };
}

/** Figures per period, every period listed (a day without calls is a row of zeros). */
export function byPeriod(counts: CountRow[], periods: string[]): PeriodFigures[] {
  const sums = new Map<string, Counts>(periods.map((p) => [p, NO_COUNTS]));
  for (const c of counts) sums.set(c.period, addCounts(sums.get(c.period) ?? NO_COUNTS, c));
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([period, c]) => ({ period, ...figures(c) }));
}

/** The catalogue's order (labour first, other last); a code it does not know goes at the end. */
function orderTopics(topics: string[]): string[] {
  const rank = (t: string) => {
    const i = (TOPIC_CODES as readonly string[]).indexOf(t);
    return i === -1 ? TOPIC_CODES.length : i;
  };
  return [...topics].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}
