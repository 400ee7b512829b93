// Thread: main (bench). Lines up the slow records of `latency.mjs --slow-log=FILE` with the GC
// pauses that bench/lib/gc-events.mjs logged in every thread of the broker and the bench: how
// many slow batches overlap a pause (between their scheduled send and their receipt), and in
// which thread. Usage: node bench/gc-overlap.mjs <slow-log> [gc-events.jsonl]
import { readFileSync } from 'node:fs';

const lines = (f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const [slowFile, gcFile = process.env.STRATA_GC_EVENTS ?? '/tmp/strata-gc-events.jsonl'] = process.argv.slice(2);
if (!slowFile) throw new Error('usage: node bench/gc-overlap.mjs <slow-log> [gc-events.jsonl]');
const slow = lines(slowFile);
const gc = lines(gcFile);
const threads = new Map();
for (const [t, , d] of gc) {
  const x = threads.get(t) ?? { pauses: 0, totalMs: 0, maxMs: 0, overlaps: 0 };
  x.pauses++;
  x.totalMs += d;
  x.maxMs = Math.max(x.maxMs, d);
  threads.set(t, x);
}
let overlapping = 0;
for (const [scheduled, , received] of slow) {
  let hit = false;
  for (const [t, start, d] of gc) {
    if (start < received && start + d > scheduled) {
      threads.get(t).overlaps++;
      hit = true;
    }
  }
  if (hit) overlapping++;
}
console.log(`${slow.length} slow batches; ${overlapping} (${Math.round((100 * overlapping) / Math.max(1, slow.length))} %) overlap a GC pause`);
for (const [t, x] of threads) console.log(`  ${t}: ${x.pauses} pauses, ${x.totalMs.toFixed(1)} ms in all, longest ${x.maxMs.toFixed(2)} ms; overlaps ${x.overlaps} slow batches`);
