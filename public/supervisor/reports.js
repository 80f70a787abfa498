/**
 * The reports tab: a day's or a month's report of a region in the supervisor's area
 * (GET /api/reports/daily | monthly: the area's total, each region one level down, each topic,
 * region × topic, each agent, and the half-hours or days for the charts), its tables as CSV
 * files (…/daily.csv | monthly.csv ?table=&lang=), the tickets export (GET /api/tickets/export.csv)
 * and printing (the print stylesheet in supervisor.css keeps the report only).
 *
 * Files are fetched with the bearer token and saved through a Blob URL and <a download>: a plain
 * link could not carry the token.
 */

import { getLang, pick, t } from './i18n.js';
import { barChart, lineChart } from './charts.js';
import { api, query } from './api.js';
import { $, chinaDate, element, minutesSeconds, percent, textOf } from './util.js';

/** '2026-12-01 09:30' in China time, wherever the browser is. */
const chinaDateTime = (ms) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');

const FIGURES = [
  ['offered', (f) => String(f.offered)],
  ['answered', (f) => String(f.answered)],
  ['abandoned', (f) => String(f.abandoned)],
  ['serviceLevel', (f) => percent(f.serviceLevel)],
  ['abandonment', (f) => percent(f.abandonment)],
  ['aht', (f) => minutesSeconds(f.avgHandleSeconds)],
  ['referrals', (f) => String(f.referrals)],
  ['satisfaction', (f) => (f.satisfaction == null ? t('common.none') : f.satisfaction.toFixed(2))],
];

/** The columns of the region and topic tables after their first. */
const FIGURE_COLUMNS = FIGURES.map(([key]) => key);

export function createReportsPanel(ctx) {
  const state = {
    initialised: false,
    busy: false,
    status: null, // Text
    /** The report shown: { kind, period, region, threshold, body, at }. */
    report: null,
    exporting: false,
    ticketStatus: null,
    ticketTone: 'info',
    regionsKey: null,
  };

  function statusOf(res) {
    if (res.network) return { key: 'staffing.network' };
    if (res.rateLimited) return { key: 'staffing.rateLimited' };
    return res.message ?? { key: 'staffing.failed', params: { detail: res.status } };
  }

  const threshold = () => ctx.settings()?.serviceLevelThresholdSeconds ?? 20;
  const topicName = (code) => {
    const l = ctx.catalogue().topics.find((x) => x.code === code);
    return l ? pick(l.zh, l.en) : code;
  };
  const regionLabel = (r) => (r.own ? t('reports.ownLevel', { region: ctx.regionName(r.regionCode) }) : ctx.regionName(r.regionCode));

  // ---- loading -------------------------------------------------------------------------------

  function selection() {
    const kind = $('report-kind').value === 'month' ? 'month' : 'day';
    const period = kind === 'day' ? $('report-date').value : $('report-month').value;
    return { kind, period, region: $('report-region').value || ctx.focus() };
  }

  async function load(event) {
    event?.preventDefault();
    const { kind, period, region } = selection();
    if (!period) {
      state.status = { key: kind === 'day' ? 'reports.invalidDate' : 'reports.invalidMonth' };
      return render();
    }
    state.busy = true;
    state.status = { key: 'reports.loading' };
    render();
    const params = kind === 'day' ? { date: period, region, thresholdSeconds: threshold() } : { month: period, region, thresholdSeconds: threshold() };
    const res = await api('GET', `/api/reports/${kind === 'day' ? 'daily' : 'monthly'}${query(params)}`, { token: ctx.token() });
    state.busy = false;
    if (res.status === 401) return ctx.onUnauthorised();
    if (res.ok) {
      state.report = { kind, period, region, threshold: threshold(), body: res.body, at: new Date() };
      state.status = null;
      fillTicketPeriod(kind, period, region);
    } else {
      state.status = statusOf(res);
    }
    render();
  }

  /** The tickets export follows the report shown: the same days and region. */
  function fillTicketPeriod(kind, period, region) {
    if (kind === 'day') {
      $('ticket-export-from').value = period;
      $('ticket-export-to').value = period;
    } else {
      const [y, m] = period.split('-').map(Number);
      const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
      $('ticket-export-from').value = `${period}-01`;
      $('ticket-export-to').value = `${period}-${String(last).padStart(2, '0')}`;
    }
    $('ticket-export-region').value = region;
  }

  // ---- files ---------------------------------------------------------------------------------

  /** Fetches a CSV with the token and saves it under `name`; answers the response (or null). */
  async function download(url, name) {
    let res;
    try {
      res = await fetch(url, { headers: { Authorization: `Bearer ${ctx.token()}`, Accept: 'text/csv, application/json' } });
    } catch {
      ctx.notify({ key: 'staffing.network' });
      return null;
    }
    if (res.status === 401) {
      ctx.onUnauthorised();
      return null;
    }
    if (!res.ok) {
      const data = await res.json().catch(() => null);
      ctx.notify(data?.message || data?.messageZh ? { zh: data.messageZh || data.message, en: data.message || data.messageZh } : { key: res.status === 429 ? 'staffing.rateLimited' : 'staffing.failed', params: { detail: res.status } });
      return null;
    }
    const href = URL.createObjectURL(await res.blob());
    const a = element('a');
    a.href = href;
    a.download = name;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    // The download has its own copy by the time the click returns; a minute is generous.
    setTimeout(() => URL.revokeObjectURL(href), 60_000);
    ctx.notify({ key: 'reports.exported', params: { name } }, 'success');
    return res;
  }

  const TABLE_NAMES = {
    zh: { rows: '明细', region: '地区', topic: '咨询类别', region_topic: '地区×咨询类别', agent: '坐席' },
    en: { rows: 'details', region: 'regions', topic: 'topics', region_topic: 'regions-topics', agent: 'agents' },
  };

  /** 日报_玉树藏族自治州_2026-12-01_地区.csv; the file's language decides the name's. */
  function fileName(report, table, lang) {
    const kind = lang === 'zh' ? (report.kind === 'day' ? '日报' : '月报') : report.kind === 'day' ? 'daily-report' : 'monthly-report';
    const region = lang === 'zh' ? (ctx.regions().find((r) => r.code === report.region)?.name ?? report.region) : report.region;
    return `${[kind, region, report.period, TABLE_NAMES[lang][table]].join('_')}.csv`.replace(/[\\/:*?"<>|\s]+/g, '-');
  }

  async function exportReport(table) {
    const report = state.report;
    if (!report || state.exporting) return;
    const lang = $('report-csv-lang').value === 'en' ? 'en' : 'zh';
    const params = { [report.kind === 'day' ? 'date' : 'month']: report.period, region: report.region, thresholdSeconds: report.threshold, lang, table };
    state.exporting = true;
    render();
    await download(`/api/reports/${report.kind === 'day' ? 'daily' : 'monthly'}.csv${query(params)}`, fileName(report, table, lang));
    state.exporting = false;
    render();
  }

  async function exportTickets(event) {
    event.preventDefault();
    const from = $('ticket-export-from').value;
    const to = $('ticket-export-to').value;
    if (from && to && to < from) {
      state.ticketStatus = { key: 'reports.tickets.badRange' };
      state.ticketTone = 'error';
      return render();
    }
    const lang = $('report-csv-lang').value === 'en' ? 'en' : 'zh';
    const region = $('ticket-export-region').value;
    const params = { from, to, region, topic: $('ticket-export-topic').value, riskFlag: $('ticket-export-risk').checked ? 'true' : undefined, lang };
    const regionName = lang === 'zh' ? (ctx.regions().find((r) => r.code === region)?.name ?? region) : region;
    const name = `${[lang === 'zh' ? '工单' : 'tickets', regionName, from || '', to && to !== from ? to : ''].filter(Boolean).join('_')}.csv`.replace(/[\\/:*?"<>|\s]+/g, '-');
    state.ticketStatus = { key: 'reports.exporting' };
    state.ticketTone = 'info';
    state.exporting = true;
    render();
    const res = await download(`/api/tickets/export.csv${query(params)}`, name);
    state.exporting = false;
    const truncated = res?.headers.get('x-export-truncated') === 'true';
    state.ticketStatus = truncated ? { key: 'reports.tickets.truncated', params: { n: Number(res.headers.get('x-export-rows')).toLocaleString() } } : null;
    state.ticketTone = truncated ? 'error' : 'info';
    render();
  }

  // ---- rendering -----------------------------------------------------------------------------

  function regionOptions(select) {
    const keep = select.value;
    const byCode = new Map(ctx.regions().map((r) => [r.code, r]));
    const depthOf = (code) => {
      let depth = 0;
      for (let r = byCode.get(code); r && r.code !== ctx.scope(); r = byCode.get(r.parentCode)) depth++;
      return depth;
    };
    select.replaceChildren(...ctx.regions().map((r) => new Option(`${'\u3000'.repeat(depthOf(r.code))}${pick(r.name, r.nameEn)}`, r.code)));
    select.value = ctx.regions().some((r) => r.code === keep) ? keep : (ctx.focus() ?? ctx.scope() ?? '');
  }

  function renderControls() {
    const regionsKey = `${ctx.scope()}|${ctx.regions().length}|${getLang()}`;
    if (state.regionsKey !== regionsKey) {
      state.regionsKey = regionsKey;
      regionOptions($('report-region'));
      regionOptions($('ticket-export-region'));
      const topic = $('ticket-export-topic');
      const keep = topic.value;
      topic.replaceChildren(new Option(t('reports.tickets.allTopics'), ''), ...ctx.catalogue().topics.map((l) => new Option(pick(l.zh, l.en), l.code)));
      topic.value = keep;
    }
    const month = $('report-kind').value === 'month';
    $('report-date-field').hidden = month;
    $('report-month-field').hidden = !month;
    $('report-load').disabled = state.busy;
    $('report-export').disabled = !state.report || state.exporting;
    $('report-print').disabled = !state.report;
    for (const b of document.querySelectorAll('.report-table-export')) b.disabled = !state.report || state.exporting;
    $('ticket-export').disabled = state.exporting;
    const status = $('report-status');
    status.hidden = !state.status;
    status.textContent = textOf(state.status);
    status.dataset.tone = state.status?.key === 'reports.loading' ? 'info' : 'error';
    const ticketStatus = $('ticket-export-status');
    ticketStatus.hidden = !state.ticketStatus;
    ticketStatus.textContent = textOf(state.ticketStatus);
    ticketStatus.dataset.tone = state.ticketTone;
  }

  function renderReport() {
    const article = $('report');
    const report = state.report;
    article.hidden = !report;
    if (!report) return;
    const b = report.body;
    const region = ctx.regionName(report.region);
    $('report-title').textContent = report.kind === 'day' ? t('reports.title.day', { region, date: report.period }) : t('reports.title.month', { region, month: report.period });
    $('report-meta').textContent = t('reports.meta', { threshold: report.threshold, time: chinaDateTime(report.at.getTime()) });
    $('report-empty').hidden = (b.total?.offered ?? 0) > 0;
    $('report-figures').replaceChildren(
      ...FIGURES.map(([key, format]) => {
        const div = element('div');
        div.dataset.field = key;
        div.append(element('dt', null, t(`reports.fig.${key}`)), element('dd', null, b.total ? format(b.total) : t('common.none')));
        return div;
      }),
    );
    renderCharts(report);
    renderFigureTable($('report-regions'), t('reports.col.region'), (b.byRegion ?? []).map((r) => ({ label: regionLabel(r), code: r.regionCode, figures: r })), b.total);
    renderFigureTable($('report-topics'), t('reports.col.topic'), (b.byTopic ?? []).map((r) => ({ label: topicName(r.topic), code: r.topic, figures: r })), b.total);
    renderMatrix(b);
    renderAgents(b.byAgent ?? []);
  }

  function renderCharts(report) {
    const b = report.body;
    const target = ctx.settings()?.targetServiceLevel ?? 0.8;
    const offeredAnswered = [
      { name: t('charts.offered'), className: 'series-offered' },
      { name: t('charts.answered'), className: 'series-answered' },
    ];
    let slPoints;
    let xDomain;
    let xTicks;
    let volumeGroups;
    if (report.kind === 'day') {
      const series = b.series ?? [];
      slPoints = series.filter((s) => s.serviceLevel != null).map((s) => ({ x: s.intervalStart + 15, y: s.serviceLevel }));
      xDomain = [0, 1440];
      xTicks = [0, 240, 480, 720, 960, 1200, 1440].map((m) => ({ value: m, label: `${String(m / 60).padStart(2, '0')}:00` }));
      // Hours, not half-hours: 24 bars stay readable on a page and on A4.
      volumeGroups = Array.from({ length: 24 }, (_, h) => {
        const pair = series.filter((s) => Math.floor(s.intervalStart / 60) === h);
        return { label: String(h).padStart(2, '0'), values: [pair.reduce((n, s) => n + s.offered, 0), pair.reduce((n, s) => n + s.answered, 0)] };
      });
    } else {
      const days = b.days ?? [];
      slPoints = days.map((d, i) => ({ x: i + 1, y: d.serviceLevel })).filter((p) => p.y != null);
      xDomain = [1, Math.max(2, days.length)];
      xTicks = [1, 5, 10, 15, 20, 25, days.length].filter((d, i, all) => d <= days.length && all.indexOf(d) === i).map((d) => ({ value: d, label: days[d - 1]?.period.slice(5) ?? String(d) }));
      volumeGroups = days.map((d) => ({ label: String(Number(d.period.slice(8))), values: [d.offered, d.answered] }));
    }
    const slCaption = t(report.kind === 'day' ? 'reports.chart.slDay' : 'reports.chart.slMonth');
    $('report-chart-sl-caption').textContent = slCaption;
    $('report-chart-sl').replaceChildren(
      lineChart({
        label: slCaption,
        series: [{ name: t('reports.fig.serviceLevel'), className: 'series-report', points: slPoints }],
        xDomain,
        xTicks,
        target: { y: target, label: t('charts.target', { target: percent(target, 0) }) },
        emptyText: t('reports.chart.empty'),
      }),
    );
    const volumeCaption = t(report.kind === 'day' ? 'reports.chart.volumeDay' : 'reports.chart.volumeMonth');
    $('report-chart-volume-caption').textContent = volumeCaption;
    $('report-chart-volume').replaceChildren(barChart({ label: volumeCaption, groups: volumeGroups, series: offeredAnswered, emptyText: t('reports.chart.empty') }));
    $('report-chart-regions').replaceChildren(
      barChart({
        label: t('reports.chart.regions'),
        groups: (b.byRegion ?? []).map((r) => ({ label: regionLabel(r), values: [r.offered, r.answered] })),
        series: offeredAnswered,
        emptyText: t('reports.chart.empty'),
      }),
    );
    $('report-chart-topics').replaceChildren(
      barChart({
        label: t('reports.chart.topics'),
        groups: (b.byTopic ?? []).map((r) => ({ label: topicName(r.topic), values: [r.offered, r.answered] })),
        series: offeredAnswered,
        emptyText: t('reports.chart.empty'),
      }),
    );
  }

  /** Column headers; figures (right-aligned) from the `text`-th column on. */
  function headRow(labels, text = 1) {
    const thead = element('thead');
    const tr = element('tr');
    labels.forEach((label, i) => {
      const th = element('th', i < text ? null : 'num', label);
      th.scope = 'col';
      tr.append(th);
    });
    thead.append(tr);
    return thead;
  }

  function emptyBody(columns) {
    const tbody = element('tbody');
    const tr = element('tr');
    const td = element('td', 'muted', t('reports.noRows'));
    td.colSpan = columns;
    tr.append(td);
    tbody.append(tr);
    return tbody;
  }

  /** Rows of { label, code, figures } with the figure columns, and a total row. */
  function renderFigureTable(table, firstColumn, rows, total) {
    const head = headRow([firstColumn, ...FIGURE_COLUMNS.map((key) => t(`reports.fig.${key}`))]);
    if (rows.length === 0) return table.replaceChildren(head, emptyBody(FIGURES.length + 1));
    const line = (label, figures, className) => {
      const tr = element('tr', className);
      const th = element('th', 'region-cell', label);
      th.scope = 'row';
      tr.append(th, ...FIGURES.map(([key, format]) => {
        const td = element('td', 'num', format(figures));
        td.dataset.field = key;
        return td;
      }));
      return tr;
    };
    const tbody = element('tbody');
    for (const r of rows) {
      const tr = line(r.label, r.figures);
      tr.dataset.code = r.code;
      tbody.append(tr);
    }
    tbody.append(line(t('reports.total'), total, 'total'));
    table.replaceChildren(head, tbody);
  }

  /** Regions down, topics across, calls offered in each cell; totals on both edges. */
  function renderMatrix(b) {
    const table = $('report-matrix');
    const topics = (b.byTopic ?? []).map((r) => r.topic);
    const head = headRow([t('reports.col.region'), ...topics.map(topicName), t('reports.total')]);
    if (topics.length === 0) return table.replaceChildren(head, emptyBody(2));
    const cell = new Map((b.byRegionTopic ?? []).map((r) => [`${r.regionCode}|${r.own}|${r.topic}`, r.offered]));
    const tbody = element('tbody');
    for (const r of b.byRegion ?? []) {
      const tr = element('tr');
      tr.dataset.code = r.regionCode;
      const th = element('th', 'region-cell', regionLabel(r));
      th.scope = 'row';
      tr.append(th, ...topics.map((topic) => element('td', 'num', String(cell.get(`${r.regionCode}|${r.own}|${topic}`) ?? 0))), element('td', 'num', String(r.offered)));
      tbody.append(tr);
    }
    const total = element('tr', 'total');
    const th = element('th', null, t('reports.total'));
    th.scope = 'row';
    total.append(th, ...b.byTopic.map((r) => element('td', 'num', String(r.offered))), element('td', 'num', String(b.total.offered)));
    tbody.append(total);
    table.replaceChildren(head, tbody);
  }

  function renderAgents(agents) {
    const table = $('report-agents');
    const head = headRow([t('reports.col.agent'), t('reports.col.username'), t('reports.fig.answered'), t('reports.fig.aht'), t('reports.col.talk'), t('reports.fig.referrals'), t('reports.fig.satisfaction')], 2);
    if (agents.length === 0) return table.replaceChildren(head, emptyBody(7));
    const tbody = element('tbody');
    for (const a of agents) {
      const tr = element('tr');
      tr.dataset.username = a.username;
      const th = element('th', null, a.displayName);
      th.scope = 'row';
      tr.append(
        th,
        element('td', null, a.username),
        element('td', 'num', String(a.answered)),
        element('td', 'num', minutesSeconds(a.avgHandleSeconds)),
        element('td', 'num', minutesSeconds(a.talkSeconds)),
        element('td', 'num', String(a.referrals)),
        element('td', 'num', a.satisfaction == null ? t('common.none') : a.satisfaction.toFixed(2)),
      );
      tbody.append(tr);
    }
    table.replaceChildren(head, tbody);
  }

  // ---- wiring --------------------------------------------------------------------------------

  function init() {
    if (state.initialised) return;
    state.initialised = true;
    const today = chinaDate(Date.now());
    $('report-date').value = today;
    $('report-month').value = today.slice(0, 7);
    $('report-form').addEventListener('submit', load);
    $('report-kind').addEventListener('change', renderControls);
    $('report-export').addEventListener('click', () => exportReport('rows'));
    for (const b of document.querySelectorAll('.report-table-export')) b.addEventListener('click', () => exportReport(b.dataset.table));
    $('report-print').addEventListener('click', () => window.print());
    $('ticket-export-form').addEventListener('submit', exportTickets);
    $('ticket-export-from').value = today;
    $('ticket-export-to').value = today;
  }

  function render() {
    init();
    renderControls();
    renderReport();
  }

  return {
    render,
    reset() {
      state.report = null;
      state.status = null;
      state.ticketStatus = null;
      state.regionsKey = null;
      render();
    },
  };
}
