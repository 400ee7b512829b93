// Thread: main (bench). The whole benchmark suite in one run (`npm run bench`, `--quick` for
// about a minute): machine limits; Strata ingest (raw pipelined acks=1 and acks=all, and
// through librdkafka and KafkaJS); fetch of a 1,000,000-record backlog from the page cache and
// from object storage; end-to-end latency at 1,000 / 10,000 / 100,000 records/s; scaling over
// worker slots and partitions and RSS at 10,000 partitions; restart time over 1 GB and 10 GB of
// log; single-record requests and 1-record tail fetches (small-requests.mjs, issue 13); and
// the peers (Redis Streams, NATS JetStream, RabbitMQ streams) through their usual Node
// clients, all on this machine in the same run. Each Strata workload gets a freshly started
// broker (fresh log directory, stopped by PID afterwards). Prints the headline table (every
// figure beside its target, its ratio to the machine limit and to each peer), writes
// bench/results/run-<timestamp>.json and the report bench/results/latest.md with SVG charts in
// bench/results/latest/. Figures are printed, never asserted: the exit code is non-zero only
// when a workload FAILED verification (lost, duplicated or rejected records), not when a target
// is missed.
//
// Usage: node bench/run.mjs [--quick] [--only=limits,produce1,…] [--skip=peers,recovery]
//          [--no-snapshot] [--worker-threads=N] [--seconds=S (raw produce)]
//          [--rates=1000,10000,100000] [--report-dir=bench/results]
import path from 'node:path';
import { fmt, isMain, parseArgs } from './lib/cli.mjs';
import { snapshotDist } from './lib/broker.mjs';
import { RESULTS_DIR, machineInfo, writeResult } from './lib/results.mjs';
import { HEADLINE_HEADER, TARGETS, failedWorkloads, headlineRows, shortfalls, textTable, writeReport } from './lib/report.mjs';

export { TARGETS };

/** Workloads in run order: [name, result key, loader returning { run(plan), print(result) }]. */
const WORKLOADS = [
  ['limits', 'limits', async () => { const m = await import('./limits.mjs'); return { run: m.runLimits, print: m.printLimits }; }],
  ['produce1', 'produceAcks1', async () => { const m = await import('./produce.mjs'); return { run: (p) => m.runProduce({ ...p, acks: '1' }), print: m.printProduce }; }],
  ['produceall', 'produceAcksAll', async () => { const m = await import('./produce.mjs'); return { run: (p) => m.runProduce({ ...p, acks: 'all' }), print: m.printProduce }; }],
  ['clients', 'clients', async () => { const m = await import('./clients.mjs'); return { run: m.runClients, print: m.printClients }; }],
  ['fetch', 'fetch', async () => { const m = await import('./fetch.mjs'); return { run: m.runFetch, print: m.printFetch }; }],
  ['fetchremote', 'fetchRemote', async () => { const m = await import('./fetch-remote.mjs'); return { run: m.runFetchRemote, print: m.printFetchRemote }; }],
  ['latency', 'latency', async () => {
    const m = await import('./latency.mjs');
    return {
      async run(p) {
        const out = {};
        for (const rate of p.rates) out[rate] = await m.runLatency({ ...p, rate });
        return out;
      },
      print: (r) => Object.values(r).forEach((x) => m.printLatency(x)),
    };
  }],
  ['small', 'smallRequests', async () => { const m = await import('./small-requests.mjs'); return { run: m.runSmallRequests, print: m.printSmallRequests }; }],
  ['peers', 'peers', async () => { const m = await import('./peers.mjs'); return { run: m.runPeers, print: m.printPeers }; }],
  ['scaling', 'scaling', async () => { const m = await import('./scaling.mjs'); return { run: m.runScaling, print: m.printScaling }; }],
  ['recovery', 'recovery', async () => { const m = await import('./recovery.mjs'); return { run: m.runRecovery, print: m.printRecovery }; }],
];

function plan(opts) {
  const q = opts.quick;
  const wt = opts['worker-threads'] || undefined;
  const rates = String(opts.rates || (q ? '10000' : '1000,10000,100000')).split(',').map(Number);
  return {
    limits: { seconds: q ? 1 : 3 },
    produce1: { seconds: opts.seconds || (q ? 4 : 10), connections: opts.connections, inflight: opts.inflight, partitions: opts.partitions, 'worker-threads': wt },
    produceall: { seconds: opts.seconds || (q ? 4 : 10), connections: opts.connections, inflight: opts.inflight, partitions: opts.partitions, 'worker-threads': wt },
    clients: { quick: q },
    fetch: { passes: q ? 3 : 5, records: 1_000_000, partitions: opts.partitions, connections: opts.connections, 'worker-threads': wt },
    fetchremote: { records: q ? 300_000 : 1_000_000 },
    latency: { rates, warmup: q ? 1 : 2, seconds: q ? 5 : 10, 'worker-threads': wt },
    small: { quick: q, 'worker-threads': wt ?? 0 },
    peers: { quick: q, rates, ...(q ? { records: 100_000 } : {}) },
    // --quick: a smoke version (2 slot counts, 2 partition counts); the full run does them all.
    scaling: { quick: q, ...(q ? { slots: '1,2', partitions: '1,1000' } : {}) },
    recovery: { quick: q },
  };
}

export async function runAll(opts) {
  const names = WORKLOADS.map(([n]) => n);
  const only = opts.only ? String(opts.only).split(',') : names;
  const skip = opts.skip ? String(opts.skip).split(',') : [];
  for (const w of [...only, ...skip]) if (!names.includes(w)) throw new Error(`unknown workload ${w}; choose from ${names.join(', ')}`);
  const p = plan(opts);
  // Brokers run from a copy of dist/ so a concurrent rebuild of the shared tree cannot change them mid-run.
  const brokerMain = opts.snapshot ? snapshotDist() : null;
  const res = { startedAt: new Date().toISOString(), options: opts, machine: machineInfo(), targets: TARGETS, plan: p, brokerMain, seconds: {} };
  const t0 = performance.now();
  for (const [name, key, load] of WORKLOADS) {
    if (!only.includes(name) || skip.includes(name)) continue;
    const w0 = performance.now();
    if (name === 'fetchremote' && opts.quick && !process.env.AWS_ENDPOINT_URL_S3 && !String(opts.only).includes('fetchremote')) {
      res[key] = { skipped: 'not in --quick: starting a throwaway radosgw takes ~20 s (run the full suite, or set AWS_ENDPOINT_URL_S3 to an S3 server)' };
      console.log(`fetch from object storage: skipped (${res[key].skipped})\n`);
      continue;
    }
    try {
      const w = await load();
      res[key] = await w.run(p[name]);
      w.print(res[key]);
    } catch (err) {
      res[key] = { ok: false, failures: [`${name} crashed: ${err.stack ?? err.message}`] };
      console.log(`${name}: FAILURE
  ${err.stack ?? err.message}`);
    }
    res.seconds[name] = Math.round((performance.now() - w0) / 100) / 10;
    console.log();
  }
  res.totalSeconds = Math.round((performance.now() - t0) / 100) / 10;
  return res;
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), { quick: false, snapshot: true, only: '', skip: '', 'worker-threads': 0, seconds: 0, rates: '', connections: 4, inflight: 8, partitions: 4, 'report-dir': RESULTS_DIR });
  const res = await runAll(opts);
  console.log(textTable(headlineRows(res), HEADLINE_HEADER));
  const miss = shortfalls(res);
  if (miss.length) console.log(`
targets missed: ${miss.join('; ')}`);
  const failed = failedWorkloads(res);
  if (failed.length) console.log(`
FAILED verification: ${failed.join('; ')}`);
  console.log(`
total ${res.totalSeconds} s (${Object.entries(res.seconds).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  const file = writeResult('run', res);
  const dir = path.resolve(opts['report-dir']);
  res.resultFile = path.relative(path.dirname(RESULTS_DIR), file);
  const mdPath = path.join(dir, 'latest.md');
  writeReport(res, { mdPath, chartsDir: path.join(dir, 'latest') });
  console.log(`wrote ${path.relative(process.cwd(), file)} and ${path.relative(process.cwd(), mdPath)} (charts in ${path.relative(process.cwd(), path.join(dir, 'latest'))}/)`);
  console.log(`${fmt(failed.length)} workload(s) failed verification`);
  process.exitCode = failed.length ? 1 : 0;
}
