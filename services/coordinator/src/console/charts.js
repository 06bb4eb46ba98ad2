// Line charts drawn as inline SVG: no library, no canvas, readable at laptop sizes.
const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A rounded axis maximum in powers of 1024 (bytes): 1, 2, 4 ... 512 × 1024^n. */
export function niceBytes(value) {
  if (!(value > 0)) return 1024;
  const unit = 1024 ** Math.floor(Math.log(value) / Math.log(1024));
  let step = 1;
  while (step * unit < value) step *= 2;
  return step * unit;
}

/** A rounded axis maximum: 1, 2, 5 × 10^n above the largest value. */
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

/**
 * Draws series ({ name, className, points: [{ t, v }] }) over the last `windowMs`.
 * `format` labels the y axis; `threshold` draws a dashed limit line.
 */
export function lineChart(container, { series, format, nice, windowMs = 10 * 60_000, threshold, now = Date.now(), emptyText = 'no data yet' }) {
  const width = 560;
  const height = 190;
  const pad = { left: 64, right: 12, top: 12, bottom: 26 };
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img' });
  const start = now - windowMs;
  const visible = series.map((one) => ({ ...one, points: one.points.filter((p) => p.t >= start && p.v !== null && p.v !== undefined) }));
  const values = visible.flatMap((one) => one.points.map((p) => p.v));
  if (threshold !== undefined && threshold !== null) values.push(threshold);
  const max = (nice ?? niceMax)(Math.max(0, ...values));
  const x = (t) => pad.left + ((t - start) / windowMs) * (width - pad.left - pad.right);
  const y = (v) => pad.top + (1 - v / max) * (height - pad.top - pad.bottom);

  // Gridlines at round values: 5 for a maximum of 1 or 5 × 10^n, else 4.
  const leading = Math.round(max / 10 ** Math.floor(Math.log10(max)));
  const divisions = nice === undefined && (leading === 1 || leading === 5) ? 5 : 4;
  for (let i = 0; i <= divisions; i++) {
    const v = (max * i) / divisions;
    svg.append(s('line', { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(s('text', { x: pad.left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, format(v)));
  }
  const minutes = windowMs / 60_000;
  for (let m = 0; m <= minutes; m += Math.max(1, Math.round(minutes / 5))) {
    const t = now - m * 60_000;
    svg.append(s('text', { x: x(t), y: height - 8, class: 'axis', 'text-anchor': 'middle' }, m === 0 ? 'now' : `-${m} min`));
  }
  if (threshold !== undefined && threshold !== null) {
    svg.append(s('line', { x1: pad.left, x2: width - pad.right, y1: y(threshold), y2: y(threshold), class: 'threshold' }));
    svg.append(s('text', { x: width - pad.right - 2, y: y(threshold) - 4, class: 'axis threshold-label', 'text-anchor': 'end' }, `alert ${format(threshold)}`));
  }
  for (const one of visible) {
    if (one.points.length === 0) continue;
    const d = one.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
    svg.append(s('path', { d, class: `line ${one.className}` }));
    const last = one.points[one.points.length - 1];
    svg.append(s('circle', { cx: x(last.t), cy: y(last.v), r: 3, class: `dot ${one.className}` }));
  }
  if (values.length === 0 || visible.every((one) => one.points.length === 0)) {
    svg.append(s('text', { x: width / 2, y: height / 2, class: 'empty', 'text-anchor': 'middle' }, emptyText));
  }
  container.replaceChildren(svg);
}
