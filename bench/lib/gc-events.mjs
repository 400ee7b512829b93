// Thread: any (preloaded with `node --import=./bench/lib/gc-events.mjs …` into the broker and/or
// the bench; every thread of the process loads it). Appends one JSON line per GC pause to
// $STRATA_GC_EVENTS (default /tmp/strata-gc-events.jsonl): ["<pid>:<threadId>", start, duration,
// kind], start in process.hrtime milliseconds, the clock of latency.mjs --slow-log, so slow
// records can be lined up with the pauses of every thread (see bench/README.md, Profiling).
import fs from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';

const file = process.env.STRATA_GC_EVENTS ?? '/tmp/strata-gc-events.jsonl';
const hr0 = Number(process.hrtime.bigint()) / 1e6;
const pn0 = performance.now();
const pending = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) pending.push(JSON.stringify([`${process.pid}:${threadId}`, hr0 + (e.startTime - pn0), e.duration, e.detail?.kind ?? null]));
}).observe({ entryTypes: ['gc'] });
const flush = () => {
  if (pending.length > 0) fs.appendFileSync(file, `${pending.splice(0).join('\n')}\n`);
};
setInterval(flush, 500).unref();
process.on('exit', flush);
