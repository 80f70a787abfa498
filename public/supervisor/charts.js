/**
 * Two small SVG charts drawn with DOM calls (no library, nothing inline for the CSP to refuse):
 * a line chart over the hours of a day and a grouped bar chart. Colours come from CSS classes.
 */

const NS = 'http://www.w3.org/2000/svg';

function svgEl(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) el.setAttribute(k, String(v));
  if (text != null) el.textContent = text;
  return el;
}

function frame(width, height, label) {
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'chart', preserveAspectRatio: 'xMidYMid meet' });
  svg.append(svgEl('title', {}, label));
  return svg;
}

/**
 * Lines over x in [x0, x1] and y in [0, 1] (shares shown as %).
 * series: [{ name, className, points: [{ x, y }] }]; target: { y, label } draws a dashed line.
 */
export function lineChart({ label, series, xDomain, xTicks, target, emptyText, width = 640, height = 240 }) {
  const m = { top: 16, right: 16, bottom: 44, left: 44 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const svg = frame(width, height, label);
  const [x0, x1] = xDomain;
  const sx = (x) => m.left + ((x - x0) / Math.max(1, x1 - x0)) * w;
  const sy = (y) => m.top + (1 - Math.min(1, Math.max(0, y))) * h;

  const grid = svgEl('g', { class: 'chart__grid' });
  for (const y of [0, 0.25, 0.5, 0.75, 1]) {
    grid.append(svgEl('line', { x1: m.left, x2: m.left + w, y1: sy(y), y2: sy(y) }));
    grid.append(svgEl('text', { x: m.left - 6, y: sy(y) + 4, 'text-anchor': 'end', class: 'chart__tick' }, `${Math.round(y * 100)}%`));
  }
  for (const tick of xTicks) {
    grid.append(svgEl('line', { x1: sx(tick.value), x2: sx(tick.value), y1: m.top + h, y2: m.top + h + 4 }));
    grid.append(svgEl('text', { x: sx(tick.value), y: m.top + h + 18, 'text-anchor': 'middle', class: 'chart__tick' }, tick.label));
  }
  svg.append(grid);

  if (target) {
    svg.append(svgEl('line', { x1: m.left, x2: m.left + w, y1: sy(target.y), y2: sy(target.y), class: 'chart__target' }));
    svg.append(svgEl('text', { x: m.left + w, y: sy(target.y) - 4, 'text-anchor': 'end', class: 'chart__target-label' }, target.label));
  }

  const drawn = series.filter((s) => s.points.length > 0);
  if (drawn.length === 0 && emptyText) {
    svg.append(svgEl('text', { x: m.left + w / 2, y: m.top + h / 2, 'text-anchor': 'middle', class: 'chart__empty' }, emptyText));
  }
  for (const s of drawn) {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    const g = svgEl('g', { class: `chart__series ${s.className}` });
    g.append(svgEl('path', { d, class: 'chart__line' }));
    // Few points: mark each, so a single sample is still visible.
    if (pts.length <= 60) for (const p of pts) g.append(svgEl('circle', { cx: sx(p.x), cy: sy(p.y), r: 2.5, class: 'chart__dot' }));
    svg.append(g);
  }

  const legend = svgEl('g', { class: 'chart__legend' });
  let lx = m.left;
  for (const s of series) {
    legend.append(svgEl('rect', { x: lx, y: height - 14, width: 12, height: 4, class: `chart__swatch ${s.className}` }));
    const text = svgEl('text', { x: lx + 16, y: height - 9, class: 'chart__legend-text' }, s.name);
    legend.append(text);
    lx += 28 + s.name.length * 9;
  }
  svg.append(legend);
  return svg;
}

/**
 * Grouped bars: groups: [{ label, values: number[] }], series: [{ name, className }] (one per
 * value). Labels are turned when there are more than five groups.
 */
export function barChart({ label, groups, series, emptyText, width = 640, height = 260 }) {
  const many = groups.length > 5;
  const m = { top: 16, right: 16, bottom: many ? 92 : 56, left: 44 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const svg = frame(width, height, label);
  const max = Math.max(0, ...groups.flatMap((g) => g.values));
  if (groups.length === 0 || max === 0) {
    svg.append(svgEl('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'chart__empty' }, emptyText ?? ''));
    return svg;
  }
  const top = niceCeiling(max);
  const sy = (v) => m.top + (1 - v / top) * h;
  const grid = svgEl('g', { class: 'chart__grid' });
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    grid.append(svgEl('line', { x1: m.left, x2: m.left + w, y1: sy(v), y2: sy(v) }));
    grid.append(svgEl('text', { x: m.left - 6, y: sy(v) + 4, 'text-anchor': 'end', class: 'chart__tick' }, formatCount(v)));
  }
  svg.append(grid);

  const band = w / groups.length;
  const inner = Math.min(28, (band * 0.8) / series.length);
  groups.forEach((g, gi) => {
    const cx = m.left + band * gi + band / 2;
    const start = cx - (inner * series.length) / 2;
    const bars = svgEl('g', { class: 'chart__group' });
    g.values.forEach((v, si) => {
      const y = sy(v);
      const rect = svgEl('rect', { x: start + si * inner, y, width: Math.max(1, inner - 2), height: Math.max(0, m.top + h - y), class: `chart__bar ${series[si].className}` });
      rect.append(svgEl('title', {}, `${g.label} · ${series[si].name}: ${v}`));
      bars.append(rect);
    });
    const lx = cx;
    const ly = m.top + h + 14;
    bars.append(svgEl('text', many ? { x: lx, y: ly, 'text-anchor': 'end', transform: `rotate(-40 ${lx} ${ly})`, class: 'chart__tick' } : { x: lx, y: ly, 'text-anchor': 'middle', class: 'chart__tick' }, g.label));
    svg.append(bars);
  });

  const legend = svgEl('g', { class: 'chart__legend' });
  let lx = m.left;
  for (const s of series) {
    legend.append(svgEl('rect', { x: lx, y: height - 16, width: 12, height: 10, class: `chart__swatch ${s.className}` }));
    legend.append(svgEl('text', { x: lx + 16, y: height - 7, class: 'chart__legend-text' }, s.name));
    lx += 28 + s.name.length * 9;
  }
  svg.append(legend);
  return svg;
}

function niceCeiling(x) {
  if (x <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * p >= x) return step * p;
  return 10 * p;
}

function formatCount(v) {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
