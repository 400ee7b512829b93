// Thread: main (bench). Renders a V8 .cpuprofile (from `node --cpu-prof`, e.g. a bench run with
// --cpu-prof-dir) as a self-contained SVG flame graph of the thread's busy time: the idle node
// is left out, width is time, each row a call depth (callers below callees), colour says whose
// code it is (Strata, a dependency, Node's internals, GC / native). Hover a frame for its name,
// file and time.
//
// Usage: node bench/flamegraph.mjs <file.cpuprofile> [--out=file.svg] [--title=…] [--min-ms=0.5]
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMain, parseArgs } from './lib/cli.mjs';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function colourOf(frame) {
  const url = frame.url ?? '';
  const name = frame.functionName;
  if (name === '(garbage collector)') return '#dc2626';
  if (name.startsWith('(')) return '#9ca3af';
  if (url.includes('/node_modules/')) return '#f59e0b';
  if (url.includes('/dist/')) return '#3b82f6';
  if (url.startsWith('node:') || url === '') return '#a3a3a3';
  return '#10b981';
}

/** Tree of { frame, selfMs, totalMs, children } from a .cpuprofile, without the idle node. */
export function profileTree(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, { frame: n.callFrame, childIds: n.children ?? [], selfMs: 0, totalMs: 0, children: [] }]));
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (node) node.selfMs += (profile.timeDeltas?.[i] ?? 0) / 1000;
  });
  const build = (node) => {
    node.children = node.childIds.map((c) => byId.get(c)).filter((c) => c && c.frame.functionName !== '(idle)');
    node.totalMs = node.selfMs + node.children.reduce((sum, c) => sum + build(c), 0);
    return node.totalMs;
  };
  const root = byId.get(profile.nodes[0].id);
  build(root);
  return root;
}

export function flameGraphSvg(root, { title = 'CPU flame graph', width = 1200, minMs = 0.5 } = {}) {
  const rowH = 17;
  const top = 40;
  let maxDepth = 0;
  const frames = [];
  const walk = (node, x, depth) => {
    if (node.totalMs < minMs) return;
    maxDepth = Math.max(maxDepth, depth);
    frames.push({ node, x, depth });
    let cx = x;
    for (const c of [...node.children].sort((a, b) => b.totalMs - a.totalMs)) {
      walk(c, cx, depth + 1);
      cx += c.totalMs;
    }
  };
  walk(root, 0, 0);
  const scale = (width - 20) / Math.max(root.totalMs, 1e-9);
  const height = top + (maxDepth + 1) * rowH + 30;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="ui-monospace,Menlo,Consolas,monospace" font-size="11">`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    `<text x="10" y="22" font-size="15" font-family="system-ui,sans-serif" font-weight="600">${esc(title)} — ${root.totalMs.toFixed(0)} ms busy</text>`,
  ];
  for (const { node, x, depth } of frames) {
    const w = node.totalMs * scale;
    if (w < 0.3) continue;
    const y = height - 30 - (depth + 1) * rowH;
    const f = node.frame;
    const name = depth === 0 ? 'all' : f.functionName || '(anonymous)';
    const file = f.url ? `${f.url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
    const pctOf = ((100 * node.totalMs) / root.totalMs).toFixed(1);
    out.push(
      `<g><title>${esc(`${name} ${file}\n${node.totalMs.toFixed(1)} ms (${pctOf} %), self ${node.selfMs.toFixed(1)} ms`)}</title>` +
        `<rect x="${(10 + x * scale).toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 1}" fill="${depth === 0 ? '#e5e7eb' : colourOf(f)}" rx="1"/>` +
        (w > 40 ? `<text x="${(13 + x * scale).toFixed(1)}" y="${y + 12}" fill="#111827">${esc(name.slice(0, Math.floor((w - 6) / 6.6)))}</text>` : '') +
        '</g>',
    );
  }
  const legend = [['Strata (dist/)', '#3b82f6'], ['dependencies', '#f59e0b'], ["Node's internals", '#a3a3a3'], ['garbage collector', '#dc2626'], ['native / program', '#9ca3af']];
  legend.forEach(([label, c], i) => out.push(`<rect x="${10 + i * 170}" y="${height - 18}" width="10" height="10" fill="${c}"/><text x="${24 + i * 170}" y="${height - 9}" font-family="system-ui,sans-serif">${esc(label)}</text>`));
  out.push('</svg>');
  return out.join('\n');
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) throw new Error('usage: node bench/flamegraph.mjs <file.cpuprofile> [--out=file.svg] [--title=…]');
  const opts = parseArgs(args.filter((a) => a.startsWith('--')), { out: '', title: '', 'min-ms': 0.5 });
  const root = profileTree(JSON.parse(readFileSync(file, 'utf8')));
  const out = opts.out || `${file.replace(/\.cpuprofile$/, '')}.svg`;
  writeFileSync(out, `${flameGraphSvg(root, { title: opts.title || path.basename(file), minMs: opts['min-ms'] })}\n`);
  console.log(`wrote ${out} (${root.totalMs.toFixed(0)} ms busy)`);
}
