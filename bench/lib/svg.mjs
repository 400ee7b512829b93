// Thread: main (bench). Dependency-free SVG charts for the benchmark report: horizontal bar
// charts (throughput, ratios) and latency percentile curves (x: percentile on a "nines" scale,
// y: milliseconds on a log scale). Output is a self-contained SVG string that GitHub and
// browsers render as an image.

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif"';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (n) => (Math.round(n * 10) / 10).toString();

/** Short human form of a number: 1234567 → "1.23M", 85400 → "85.4k". */
export function compact(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(n / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${(n / 1e3).toPrecision(3)}k`;
  if (a >= 10) return n.toFixed(0);
  return n.toPrecision(2);
}

/** Colour of the i-th series / group. */
export const colour = (i) => PALETTE[i % PALETTE.length];

/**
 * Horizontal bars. items: [{ label, value, group?, text? }] (value null → "skipped"/text).
 * Bars of the same group share a colour; a dashed line marks `target` when given.
 */
export function barChart({ title, unit = '', items, target = null, targetLabel = 'target', width = 820 }) {
  const labelW = 250;
  const valueW = 170;
  const rowH = 24;
  const top = 44;
  const plotW = width - labelW - valueW - 20;
  const height = top + items.length * rowH + 34;
  const max = Math.max(1e-9, target ?? 0, ...items.map((i) => i.value ?? 0));
  const groups = [...new Set(items.map((i) => i.group ?? ''))];
  const x = (v) => labelW + (v / max) * plotW;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="13">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="600">${esc(title)}</text>`,
  ];
  items.forEach((it, n) => {
    const y = top + n * rowH;
    out.push(`<text x="${labelW - 8}" y="${y + 16}" text-anchor="end">${esc(it.label)}</text>`);
    if (it.value === null || it.value === undefined) {
      out.push(`<text x="${labelW + 4}" y="${y + 16}" fill="#6b7280" font-style="italic">${esc(it.text ?? 'not measured')}</text>`);
      return;
    }
    const w = Math.max(1, x(it.value) - labelW);
    out.push(`<rect x="${labelW}" y="${y + 4}" width="${num(w)}" height="${rowH - 8}" fill="${colour(groups.indexOf(it.group ?? ''))}" rx="2"/>`);
    out.push(`<text x="${num(labelW + w + 6)}" y="${y + 16}">${esc(it.text ?? `${compact(it.value)}${unit ? ` ${unit}` : ''}`)}</text>`);
  });
  const axisY = top + items.length * rowH + 4;
  out.push(`<line x1="${labelW}" y1="${top}" x2="${labelW}" y2="${axisY}" stroke="#9ca3af"/>`);
  if (target !== null) {
    const tx = num(x(target));
    out.push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${axisY}" stroke="#111827" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${tx}" y="${axisY + 16}" text-anchor="middle" font-size="11">${esc(targetLabel)} ${esc(compact(target))}${unit ? ` ${esc(unit)}` : ''}</text>`);
  }
  if (groups.length > 1) {
    let lx = labelW;
    groups.forEach((g, i) => {
      if (!g) return;
      out.push(`<rect x="${lx}" y="${height - 14}" width="10" height="10" fill="${colour(i)}"/><text x="${lx + 14}" y="${height - 5}" font-size="11">${esc(g)}</text>`);
      lx += 24 + g.length * 7;
    });
  }
  out.push('</svg>');
  return out.join('\n');
}

/** "Nines" position of a percentile: 50 → 0.3, 90 → 1, 99 → 2, 99.9 → 3. */
const nines = (p) => -Math.log10(1 - p / 100);

/**
 * Latency percentile curves. series: [{ name, curve: [[percentile, ms], ...] }] as produced by
 * Histogram.curveMs(); percentile 100 is drawn as "max" one step right of the last percentile.
 */
export function percentileChart({ title, series, width = 900, height = 420, targetMs = null }) {
  const left = 64;
  const right = 250;
  const top = 44;
  const bottom = 48;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const pts = series.map((s) => s.curve.filter(([p, ms]) => p >= 50 && ms > 0));
  const finite = pts.flat().filter(([p]) => p < 100).map(([p]) => nines(p));
  const xMaxNines = Math.max(3, ...finite);
  const xMax = xMaxNines + 0.6; // room for "max"
  const xMin = nines(50);
  const all = pts.flat().map(([, ms]) => ms).concat(targetMs ? [targetMs] : []);
  const yLo = Math.pow(10, Math.floor(Math.log10(Math.max(1e-3, Math.min(...all)))));
  const yHi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all, yLo * 10))));
  const xOf = (p) => left + ((p >= 100 ? xMax : nines(p)) - xMin) / (xMax - xMin) * plotW;
  const yOf = (ms) => top + plotH - (Math.log10(ms) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo)) * plotH;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="600">${esc(title)}</text>`,
  ];
  // y grid: 1-2-5 steps per decade
  for (let d = yLo; d <= yHi * 1.001; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > yHi * 1.001) break;
      const y = num(yOf(v));
      out.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="${m === 1 ? '#d1d5db' : '#f3f4f6'}"/>`);
      out.push(`<text x="${left - 6}" y="${num(yOf(v) + 4)}" text-anchor="end" fill="#374151">${v >= 1 ? v : v.toPrecision(1)}</text>`);
    }
  }
  // x grid
  const ticks = [[50, 'p50'], [90, 'p90'], [99, 'p99'], [99.9, 'p99.9'], [99.99, 'p99.99'], [99.999, 'p99.999']].filter(([p]) => nines(p) <= xMaxNines + 1e-9);
  for (const [p, label] of [...ticks, [100, 'max']]) {
    const x = num(xOf(p));
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + plotH}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${x}" y="${top + plotH + 16}" text-anchor="middle" fill="#374151">${label}</text>`);
  }
  out.push(`<text x="${left + plotW / 2}" y="${height - 10}" text-anchor="middle" fill="#374151">percentile (log scale of 1/(1−p))</text>`);
  out.push(`<text x="16" y="${top + plotH / 2}" text-anchor="middle" fill="#374151" transform="rotate(-90 16 ${top + plotH / 2})">milliseconds (log)</text>`);
  if (targetMs) {
    const y = num(yOf(targetMs));
    out.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#111827" stroke-dasharray="5 4"/>`);
    out.push(`<text x="${left + 4}" y="${num(yOf(targetMs) - 4)}" font-size="11">target ${targetMs} ms</text>`);
  }
  series.forEach((s, i) => {
    const p = pts[i];
    if (p.length === 0) return;
    const d = p.map(([pc, ms], n) => `${n === 0 ? 'M' : 'L'}${num(xOf(pc))},${num(yOf(ms))}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${colour(i)}" stroke-width="2"/>`);
    for (const [pc, ms] of p) out.push(`<circle cx="${num(xOf(pc))}" cy="${num(yOf(ms))}" r="2.5" fill="${colour(i)}"/>`);
    const ly = top + 8 + i * 18;
    out.push(`<rect x="${left + plotW + 14}" y="${ly}" width="12" height="3" fill="${colour(i)}"/><text x="${left + plotW + 30}" y="${ly + 5}">${esc(s.name)}</text>`);
  });
  out.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#9ca3af"/>`);
  out.push('</svg>');
  return out.join('\n');
}
