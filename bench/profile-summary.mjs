// Thread: main (bench). Summarise V8 .cpuprofile files (from `node --cpu-prof`): self time per
// function, heaviest first, per file (each thread writes its own profile). Weights are the
// profile's timeDeltas, so the figures are milliseconds of samples.
//
// Usage: node bench/profile-summary.mjs <file-or-dir>... [--top=25]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fmt } from './lib/cli.mjs';

export function summarise(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map();
  let totalMs = 0;
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const ms = (deltas[i] ?? 0) / 1000;
    totalMs += ms;
    const cf = node.callFrame;
    const file = cf.url ? cf.url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/') : '';
    const key = `${cf.functionName || '(anonymous)'}${file ? ` ${file}:${cf.lineNumber + 1}` : ''}`;
    selfMs.set(key, (selfMs.get(key) ?? 0) + ms);
  }
  const idle = selfMs.get('(idle)') ?? 0;
  const rows = [...selfMs.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top);
  return { totalMs, idleMs: idle, busyMs: totalMs - idle, rows };
}

function files(args) {
  const out = [];
  for (const a of args) {
    if (statSync(a).isDirectory()) for (const f of readdirSync(a)) if (f.endsWith('.cpuprofile')) out.push(path.join(a, f));
    else out.push(a);
  }
  return out;
}

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
if (args.length === 0) {
  console.error('usage: node bench/profile-summary.mjs <file-or-dir>... [--top=25]');
  process.exit(2);
}
for (const f of files(args)) {
  const s = summarise(JSON.parse(readFileSync(f, 'utf8')), top);
  console.log(`\n${path.basename(f)}: ${fmt(s.totalMs)} ms sampled, ${fmt(s.busyMs)} ms busy (${fmt((100 * s.busyMs) / s.totalMs, 0)} %)`);
  for (const [name, ms] of s.rows) {
    console.log(`  ${fmt(ms).padStart(8)} ms  ${fmt((100 * ms) / s.busyMs, 1).padStart(5)} % of busy  ${name}`);
  }
}
