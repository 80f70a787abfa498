import { stringify } from 'csv-stringify/sync';
import { CSV_OPTIONS, type CsvLanguage, percentText, topicZh } from '../export/csv-labels';
import type { RegionDirectory } from '../regions/region-directory';
import type { AgentFigures } from './by-agent';
import type { Breakdowns, RegionFigures } from './breakdowns';
import type { Figures, ReportRow } from './reports';

/**
 * A report's tables as CSV (UTF-8 with BOM, so Excel and WPS read the Chinese). `rows` is the
 * detailed table (regions as the calls recorded them × topic) and, in English, exactly the
 * columns this export always had; `region`, `topic`, `region_topic` and `agent` are the tables
 * the page shows. The Chinese files end the region and topic tables with a 合计 (total) row.
 */
export const REPORT_TABLES = ['rows', 'region', 'topic', 'region_topic', 'agent'] as const;
export type ReportTable = (typeof REPORT_TABLES)[number];

type Cell = string | number;
const TOTAL = '合计';
interface Column<R> {
  en: string;
  zh: string;
  value: (r: R) => Cell | null;
  /** The value in the Chinese file, where it differs. */
  zhValue?: (r: R) => Cell | null;
}

const figureColumns = <R extends Figures>(): Column<R>[] => [
  { en: 'offered', zh: '呼入量', value: (r) => r.offered },
  { en: 'answered', zh: '接通量', value: (r) => r.answered },
  { en: 'abandoned', zh: '放弃量', value: (r) => r.abandoned },
  { en: 'service_level', zh: '服务水平', value: (r) => r.serviceLevel, zhValue: (r) => percentText(r.serviceLevel) },
  { en: 'avg_handle_seconds', zh: '平均通话时长（秒）', value: (r) => r.avgHandleSeconds },
  { en: 'abandonment', zh: '放弃率', value: (r) => r.abandonment, zhValue: (r) => percentText(r.abandonment) },
  { en: 'referrals', zh: '转介数', value: (r) => r.referrals },
  { en: 'satisfaction', zh: '满意度（1–5分）', value: (r) => r.satisfaction },
];

export interface ReportCsvInput {
  /** 'YYYY-MM-DD' or 'YYYY-MM'. */
  period: string;
  kind: 'day' | 'month';
  rows: ReportRow[];
  breakdowns: Breakdowns;
  byAgent: AgentFigures[];
}

export function reportCsv(input: ReportCsvInput, table: ReportTable, lang: CsvLanguage, regions: RegionDirectory): string {
  const name = (code: string) => regions.get(code)?.nameZh ?? code;
  const regionName = (r: { regionCode: string; own?: boolean }) => (r.own ? `${name(r.regionCode)}（本级）` : name(r.regionCode));
  const period = <R>(): Column<R> => ({ en: 'period', zh: input.kind === 'day' ? '日期' : '月份', value: () => input.period });
  const total = { regionCode: '', own: false, topic: '', ...input.breakdowns.total };
  switch (table) {
    case 'rows':
      return write(lang, [
        { ...period<ReportRow>(), value: (r) => r.period },
        { en: 'region_code', zh: '地区代码', value: (r) => r.regionCode },
        { en: 'region_name', zh: '地区', value: (r) => name(r.regionCode) },
        { en: 'topic', zh: '咨询类别', value: (r) => r.topic, zhValue: (r) => topicZh(r.topic) },
        ...figureColumns<ReportRow>(),
      ], input.rows);
    case 'region':
      return write(lang, [
        period<RegionFigures>(),
        { en: 'region_code', zh: '地区代码', value: (r) => r.regionCode },
        { en: 'region_name', zh: '地区', value: (r) => (r === total ? TOTAL : regionName(r)) },
        ...figureColumns<RegionFigures>(),
      ], input.breakdowns.byRegion, total);
    case 'topic':
      return write(lang, [
        period<Figures & { topic: string }>(),
        { en: 'topic', zh: '咨询类别', value: (r) => r.topic, zhValue: (r) => (r === total ? TOTAL : topicZh(r.topic)) },
        ...figureColumns<Figures & { topic: string }>(),
      ], input.breakdowns.byTopic, total);
    case 'region_topic':
      return write(lang, [
        period<Breakdowns['byRegionTopic'][number]>(),
        { en: 'region_code', zh: '地区代码', value: (r) => r.regionCode },
        { en: 'region_name', zh: '地区', value: regionName },
        { en: 'topic', zh: '咨询类别', value: (r) => r.topic, zhValue: (r) => topicZh(r.topic) },
        ...figureColumns<Breakdowns['byRegionTopic'][number]>(),
      ], input.breakdowns.byRegionTopic);
    case 'agent':
      return write(lang, [
        period<AgentFigures>(),
        { en: 'agent_username', zh: '坐席账号', value: (r) => r.username },
        { en: 'agent_name', zh: '坐席姓名', value: (r) => r.displayName },
        { en: 'answered', zh: '接听量', value: (r) => r.answered },
        { en: 'avg_handle_seconds', zh: '平均通话时长（秒）', value: (r) => r.avgHandleSeconds },
        { en: 'talk_seconds', zh: '通话总时长（秒）', value: (r) => r.talkSeconds },
        { en: 'referrals', zh: '转介数', value: (r) => r.referrals },
        { en: 'satisfaction', zh: '满意度（1–5分）', value: (r) => r.satisfaction },
      ], input.byAgent);
  }
}

function write<R>(lang: CsvLanguage, columns: Column<R>[], rows: R[], totalRow?: R): string {
  const cell = (c: Column<R>, r: R) => (lang === 'zh' && c.zhValue ? c.zhValue(r) : c.value(r)) ?? '';
  const all = lang === 'zh' && totalRow !== undefined ? [...rows, totalRow] : rows;
  const body = stringify(all.map((r) => columns.map((c) => cell(c, r))), { ...CSV_OPTIONS, header: true, columns: columns.map((c) => (lang === 'zh' ? c.zh : c.en)) });
  return `\uFEFF${body}`;
}
