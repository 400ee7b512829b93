// Thread: main (bench). Redraws the Markdown report and its SVG charts from a stored run:
// `node bench/report.mjs [bench/results/run-<stamp>.json] [--out=DIR]` (default: the newest
// run-*.json, written to bench/results/latest.md and bench/results/latest/).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { RESULTS_DIR } from './lib/results.mjs';
import { writeReport } from './lib/report.mjs';

const args = process.argv.slice(2);
const out = path.resolve(args.find((a) => a.startsWith('--out='))?.slice(6) ?? RESULTS_DIR);
let file = args.find((a) => !a.startsWith('--'));
if (!file) {
  const runs = readdirSync(RESULTS_DIR).filter((f) => /^run-.*\.json$/.test(f)).sort();
  if (runs.length === 0) throw new Error(`no run-*.json in ${RESULTS_DIR}: run \`npm run bench\` first`);
  file = path.join(RESULTS_DIR, runs.at(-1));
}
const res = JSON.parse(readFileSync(file, 'utf8'));
res.resultFile ??= path.relative(path.dirname(RESULTS_DIR), path.resolve(file));
const mdPath = path.join(out, 'latest.md');
writeReport(res, { mdPath, chartsDir: path.join(out, 'latest') });
console.log(`wrote ${path.relative(process.cwd(), mdPath)} from ${path.relative(process.cwd(), path.resolve(file))}`);
