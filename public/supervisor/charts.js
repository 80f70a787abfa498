/**
 * The page's charts on Apache ECharts (served from this host: /supervisor/vendor/echarts.js), drawn
 * as SVG. lineChart and barChart take the options the hand-drawn charts took and return an element
 * to insert; the chart starts once the element is laid out, follows its box's size, and is
 * disposed when the element leaves the page (the board redraws every few seconds).
 *
 * Nothing here may put HTML with style attributes on the page (the CSP refuses them): tooltips
 * are drawn inside the chart (renderMode 'richText'), and ECharts sets its own styles through the
 * CSSOM. Series colours come from the CSS classes callers name (`color` of .series-…).
 */

import * as echarts from '/supervisor/vendor/echarts.js';
import { getLang } from './i18n.js';

export { echarts };

/** Charts on the page: element → ECharts instance. */
const live = new Map();

/**
 * An element holding a chart of `option` (a function, called when the chart starts, so colours
 * are read from the CSS then). Accessible as an image with `label` as its name.
 */
export function chartElement({ label, option, aspect, className = 'chart' }) {
  const el = document.createElement('div');
  el.className = className;
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', label);
  if (aspect) el.style.aspectRatio = aspect;
  const observer = new ResizeObserver(() => {
    if (!el.isConnected) {
      observer.disconnect();
      disposeOf(el);
      return;
    }
    // A hidden tab: nothing to draw into until it shows again.
    if (el.clientWidth === 0 || el.clientHeight === 0) return;
    const chart = live.get(el);
    if (chart) {
      chart.resize();
      return;
    }
    disposeDetached();
    const started = echarts.init(el, null, { renderer: 'svg', locale: getLang() === 'en' ? 'EN' : 'ZH' });
    started.setOption({ aria: { enabled: true, label: { description: label } }, ...option() });
    live.set(el, started);
  });
  observer.observe(el);
  return el;
}

/** How many charts are alive (tests count them against the charts on the page). */
export function liveCharts() {
  disposeDetached();
  return live.size;
}

// Printing lays the page out anew (another width) without a resize the observer would see in time.
matchMedia('print').addEventListener('change', () => {
  for (const chart of live.values()) chart.resize();
});

function disposeOf(el) {
  live.get(el)?.dispose();
  live.delete(el);
}

/** A chart whose element was removed while hidden hears no resize: catch it here. */
function disposeDetached() {
  for (const el of [...live.keys()]) if (!el.isConnected) disposeOf(el);
}

/** The `color` a CSS class gives, or `fallback`. */
export function colourOfClass(className, fallback = '#333') {
  const probe = document.createElement('span');
  probe.className = className;
  probe.hidden = true;
  document.body.append(probe);
  const colour = getComputedStyle(probe).color;
  probe.remove();
  return colour || fallback;
}

/** A custom property of the page's CSS (--ink-muted …), or `fallback`. */
export function cssVar(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function textStyle() {
  return { color: cssVar('--ink-muted', '#4a525a'), fontSize: 12 };
}

function emptyNote(text) {
  return text ? [{ type: 'text', left: 'center', top: 'middle', silent: true, style: { text, fill: cssVar('--ink-muted', '#4a525a'), fontSize: 14 } }] : [];
}

/** The plot and its axis labels inside the box, whatever its size; the legend below. */
const GRID = { left: 4, right: 20, top: 20, bottom: 32, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' };

const percentOf = (v) => (v == null || !Number.isFinite(v) ? '—' : `${Math.round(v * 1000) / 10}%`);

/**
 * Lines over x in [x0, x1] and y in [0, 1] (shares shown as %).
 * series: [{ name, className, points: [{ x, y }] }]; target: { y, label } draws a dashed line.
 */
export function lineChart({ label, series, xDomain, xTicks, target, emptyText, width = 640, height = 240 }) {
  const [x0, x1] = xDomain;
  const tickLabel = new Map(xTicks.map((tick) => [tick.value, tick.label]));
  const drawn = series.filter((s) => s.points.length > 0);
  const option = () => ({
    animation: false,
    textStyle: textStyle(),
    grid: GRID,
    legend: { bottom: 0, data: series.map((s) => s.name), textStyle: textStyle() },
    tooltip: { trigger: 'axis', renderMode: 'richText', valueFormatter: percentOf },
    xAxis: {
      type: 'value',
      min: x0,
      max: x1,
      splitLine: { show: false },
      axisTick: { customValues: xTicks.map((tick) => tick.value) },
      axisLabel: { customValues: xTicks.map((tick) => tick.value), formatter: (v) => tickLabel.get(v) ?? '' },
      axisPointer: { label: { formatter: ({ value }) => clock(value) } },
    },
    yAxis: { type: 'value', min: 0, max: 1, interval: 0.25, axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } },
    series: [
      ...series.map((s) => {
        const points = [...s.points].sort((a, b) => a.x - b.x);
        return {
          type: 'line',
          name: s.name,
          color: colourOfClass(s.className),
          data: points.map((p) => [p.x, Math.min(1, Math.max(0, p.y))]),
          // Few points: mark each, so a single sample is still visible.
          showSymbol: points.length <= 60,
          symbolSize: 5,
          lineStyle: { width: 2.5 },
        };
      }),
      ...(target
        ? [
            {
              type: 'line',
              name: target.label,
              data: [],
              markLine: {
                silent: true,
                symbol: 'none',
                lineStyle: { type: 'dashed', width: 1.5, color: cssVar('--sl-warn', '#8a5a00') },
                label: { formatter: target.label, position: 'insideEndTop', color: cssVar('--ink-muted', '#4a525a') },
                data: [{ yAxis: target.y }],
              },
            },
          ]
        : []),
    ],
    graphic: drawn.length === 0 ? emptyNote(emptyText) : [],
  });
  return chartElement({ label, option, aspect: `${width} / ${height}` });
}

/**
 * Grouped bars: groups: [{ label, values: number[] }], series: [{ name, className }] (one per
 * value). Labels are turned when there are more than five groups.
 */
export function barChart({ label, groups, series, emptyText, width = 640, height = 260 }) {
  const many = groups.length > 5;
  const max = Math.max(0, ...groups.flatMap((g) => g.values));
  const empty = groups.length === 0 || max === 0;
  const option = () =>
    empty
      ? { animation: false, graphic: emptyNote(emptyText) }
      : {
          animation: false,
          textStyle: textStyle(),
          grid: GRID,
          legend: { bottom: 0, data: series.map((s) => s.name), textStyle: textStyle() },
          tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, renderMode: 'richText' },
          // Every label while they can be read; past a dozen (a month's days) as many as fit.
          xAxis: { type: 'category', data: groups.map((g) => g.label), axisLabel: { interval: groups.length > 12 ? 'auto' : 0, rotate: many ? 40 : 0 } },
          yAxis: { type: 'value', minInterval: 1 },
          series: series.map((s, i) => ({
            type: 'bar',
            name: s.name,
            color: colourOfClass(s.className),
            barMaxWidth: 28,
            data: groups.map((g) => g.values[i] ?? 0),
          })),
        };
  return chartElement({ label, option, aspect: `${width} / ${height}` });
}

function clock(minutes) {
  const m = Math.round(minutes);
  return `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
