// Thread: main (bench). Bytes the broker ALLOCATES per small request, per thread (issue 13's
// "allocation diet"): a broker started with `node --trace-gc` takes pipelined single-record
// Produce requests from bench/produce.mjs (acks=1, 100-byte records, a one-record batch per
// request); V8 prints every GC of every isolate with its heap size before and after, so the
// bytes allocated between two GCs of one isolate are `before(n) - after(n-1)`, summed over the
// measured window and divided by the requests the load generator had answered. Young-generation
// allocation is what this sees (objects too big for it go straight to large-object space and are
// counted only when a GC runs); resolution 0.1 MB per GC, so run long enough for dozens of GCs.
// The isolate with the largest heap after its GCs is the main (router) thread: it loads the
// whole broker (AWS SDK, pino, prom-client, codecs); the others are worker slots.
//
// Usage: node bench/alloc.mjs [--seconds=8] [--connections=4] [--inflight=64]
// Another build (before/after): STRATA_BENCH_MAIN=<its dist/src/main.js> node bench/alloc.mjs
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startBroker } from './lib/broker.mjs';
import { fmt, isMain, parseArgs } from './lib/cli.mjs';
import { REPO_DIR, machineInfo, round, writeResult } from './lib/results.mjs';

export const ALLOC_DEFAULTS = { seconds: 8, connections: 4, inflight: 64 };

const GC_LINE = /^\[\d+:(0x[0-9a-f]+)\]\s+[\d.]+ ms: ([A-Za-z -]+?) ([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB/;

/** Per isolate, MB allocated over the GC lines given (before(n) − after(n−1)), in first-seen order. */
export function allocatedPerIsolate(lines) {
  const out = new Map();
  for (const line of lines) {
    const m = GC_LINE.exec(line);
    if (!m) continue;
    const [, isolate, , before, , after] = m;
    let s = out.get(isolate);
    if (!s) out.set(isolate, (s = { gcs: 0, allocatedMB: 0, lastAfter: null, maxAfterMB: 0 }));
    if (s.lastAfter !== null && Number(before) >= s.lastAfter) s.allocatedMB += Number(before) - s.lastAfter;
    s.lastAfter = Number(after);
    s.maxAfterMB = Math.max(s.maxAfterMB, Number(after));
    s.gcs++;
  }
  return [...out].map(([isolate, s]) => ({ isolate, gcs: s.gcs, allocatedMB: round(s.allocatedMB, 1), maxHeapAfterGcMB: s.maxAfterMB }));
}

function run(cmd, args, onLine) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let rest = '';
  child.stdout.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const l of lines) onLine(l);
  });
  return child;
}

export async function measureAlloc(opts) {
  const gc = [];
  const result = { ok: false, failures: [] };
  let broker = null;
  try {
    // V8's GC trace goes to stdout beside the broker's log lines.
    broker = await startBroker({ nodeArgs: ['--trace-gc'], onStdoutLine: (line) => line.startsWith('[') && gc.push(line) });
    const from = gc.length;
    let summary = '';
    const load = run(process.execPath, [path.join(REPO_DIR, 'bench', 'produce.mjs'), `--port=${broker.port}`, '--acks=1', '--record-bytes=100', '--batch-bytes=150', `--connections=${opts.connections}`, `--inflight=${opts.inflight}`, `--seconds=${opts.seconds}`], (line) => {
      if (line.startsWith('produce acks=')) summary = line;
    });
    const code = await new Promise((resolve) => load.on('exit', resolve));
    const window = gc.slice(from);
    const requests = Number(/([\d,]+) requests of/.exec(summary)?.[1]?.replaceAll(',', '') ?? NaN);
    if (code !== 0 || !Number.isFinite(requests)) result.failures.push(`load generator exited ${code} (${summary || 'no summary'})`);
    const isolates = allocatedPerIsolate(window).sort((a, b) => b.maxHeapAfterGcMB - a.maxHeapAfterGcMB);
    const threads = isolates.map((t, i) => ({ thread: i === 0 ? 'main' : `worker ${i}`, ...t, bytesPerRequest: Math.round((t.allocatedMB * 1024 * 1024) / requests) }));
    Object.assign(result, { requests, summary, threads, ok: result.failures.length === 0 });
  } catch (err) {
    result.failures.push(err.message);
  } finally {
    await broker?.stop();
  }
  return result;
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), ALLOC_DEFAULTS);
  const r = await measureAlloc(opts);
  if (!r.ok) {
    console.log(`FAILURE: ${r.failures.join('; ')}`);
    process.exitCode = 1;
  } else {
    console.log(r.summary);
    for (const t of r.threads) console.log(`  ${t.thread.padEnd(9)} ${fmt(t.bytesPerRequest)} bytes allocated per request (${t.allocatedMB} MB over ${t.gcs} GCs)`);
  }
  writeResult('alloc', { machine: machineInfo(), options: opts, alloc: r });
}
