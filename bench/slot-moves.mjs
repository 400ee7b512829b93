// Thread: main (bench). Elastic worker slots (issue 14), two parts, each against its own freshly
// started broker (127.0.0.1, fresh log directory, ephemeral HTTP port, stopped by PID):
//
//   pause   Move pause under load: 2 fixed slots, 8 partitions, raw pipelined ingest (acks=1,
//           64 KiB batches of 100-byte records, 4 connections × 4 in flight) for --seconds;
//           meanwhile one partition at a time is moved to the other slot through
//           POST /admin/placement/moves, back to back (--moves). Reports the pause (gate closed to
//           gate open, as the broker measures it) p50/p99/max, the ingest rate during the run
//           and the produce-request latency, and verifies every partition's acknowledged base
//           offsets are dense (nothing lost, duplicated or reordered by the moves).
//   growth  Slots growing under rising load: an elastic broker (worker.threads.min=1, max=2,
//           window --window-ms) and, for comparison, a fixed 2-slot broker run the same
//           schedule: 1 connection for a third of --growth-seconds, then 2, then 4. Reports
//           ingest MB/s and the slot count per second.
//
// What 2 cores can show: the router's main thread is the bottleneck for ingest here (the
// worker slots sit well below one core each under the heaviest load this machine can
// generate), so a second slot cannot raise throughput much: the growth part shows that the
// broker grows and moves partitions without a dip, not a throughput gain.
//
// Usage: node bench/slot-moves.mjs [--quick] [--only=pause,growth] [--seconds=10] [--moves=200]
//          [--growth-seconds=30] [--window-ms=3000] [--up=0.15 (scale-up threshold of the elastic run)]
import { MiB, fmt, isMain, parseArgs } from './lib/cli.mjs';
import { buildBatch } from './lib/batches.mjs';
import { startBroker } from './lib/broker.mjs';
import { drive } from './lib/drive.mjs';
import { Histogram } from './lib/histogram.mjs';
import { ApiKey, createTopic, produceBody } from './lib/kafka-client.mjs';
import { machineInfo, round, writeResult } from './lib/results.mjs';
import { connectAll } from './produce.mjs';

const DEFAULTS = { quick: false, only: 'pause,growth', seconds: 10, moves: 200, 'growth-seconds': 30, 'window-ms': 3000, up: 0.15, partitions: 8 };

function httpPort(broker) {
  for (const line of broker.logTail().split('\n')) {
    try {
      const rec = JSON.parse(line);
      if (rec.msg === 'broker ready' && rec.httpPort) return rec.httpPort;
    } catch {
      // not JSON
    }
  }
  throw new Error('no httpPort in the broker ready line');
}

async function placement(port) {
  const res = await fetch(`http://127.0.0.1:${port}/admin/placement`);
  return res.json();
}

/**
 * Pipelined acks=1 ingest to `partitions` partitions over `maxConnections` connections;
 * connection ci starts sending at `startAt(ci)` seconds (rising load). Per second: records
 * acknowledged.
 */
async function ingest({ broker, topic, partitions, maxConnections, startAt, seconds, onSecond }) {
  const conns = await connectAll(broker.port, maxConnections, 'strata-bench-moves');
  const version = conns[0].pickVersion(ApiKey.Produce, 9);
  const { batch, records: perBatch } = buildBatch({ batchBytes: 64 * 1024, recordBytes: 100 });
  const templates = Array.from({ length: partitions }, (_, p) => conns[0].encode(ApiKey.Produce, version, produceBody({ topic, acks: 1, batches: [{ partition: p, records: batch }] })));
  const baseOffsets = Array.from({ length: partitions }, () => []);
  const latency = new Histogram();
  const perSecond = [];
  const errors = {};
  const rr = conns.map((_, ci) => ci);
  const t0 = performance.now();
  let lastSecond = -1;
  const ticker = setInterval(() => {
    const sec = Math.floor((performance.now() - t0) / 1000);
    if (sec !== lastSecond) {
      lastSecond = sec;
      onSecond?.(sec);
    }
  }, 50);
  const onResponse = (job, { response, latencyUs }) => {
      latency.record(latencyUs);
      for (const t of response.responses) {
        for (const pr of t.partitionResponses) {
          if (pr.errorCode !== 0) {
            errors[pr.errorCode] = (errors[pr.errorCode] ?? 0) + 1;
            continue;
          }
          baseOffsets[pr.index].push(Number(pr.baseOffset));
          const sec = Math.floor((performance.now() - t0) / 1000);
          perSecond[sec] = (perSecond[sec] ?? 0) + perBatch;
        }
      }
  };
  const runs = await Promise.all(
    conns.map(async (conn, ci) => {
      const delay = startAt(ci) * 1000;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      return drive({
        clients: [conn],
        inflight: 4,
        untilMs: t0 + seconds * 1000,
        next() {
          const p = rr[ci] % partitions;
          rr[ci] += maxConnections;
          return { tpl: templates[p], partition: p };
        },
        onResponse,
      });
    }),
  );
  const run = { errors: runs.flatMap((r) => r.errors) };
  clearInterval(ticker);
  for (const c of conns) c.close();
  // Dense, in order, no duplicates: each partition's acknowledged base offsets step by the batch size.
  const problems = [];
  baseOffsets.forEach((offsets, p) => {
    const sorted = [...offsets].sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; i++) if (sorted[i] !== i * perBatch) {
      problems.push(`partition ${p}: acknowledged base offset #${i} is ${sorted[i]}, expected ${i * perBatch}`);
      break;
    }
  });
  return { perSecond: perSecond.map((n) => n ?? 0), perBatch, batchBytes: batch.length, latency, errors, runErrors: run.errors.map(String).slice(0, 5), problems };
}

async function pausePart(opts) {
  const broker = await startBroker({ workerThreads: 2 });
  try {
    const port = httpPort(broker);
    const admin = (await connectAll(broker.port, 1, 'strata-bench-admin'))[0];
    const topic = `bench-moves-${Date.now()}`;
    await createTopic(admin, topic, opts.partitions);
    admin.close();
    const pauses = new Histogram();
    const phases = { drain: new Histogram(), close: new Histogram(), open: new Histogram() };
    let moves = 0;
    let stop = false;
    const mover = (async () => {
      // Let the load reach its pace before the first move.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      for (let m = 0; !stop && m < opts.moves; m++) {
        const partition = m % opts.partitions;
        const view = await placement(port);
        const from = view.slots.find((s) => s.partitions.some((x) => x.topic === topic && x.partition === partition)).slot;
        const res = await fetch(`http://127.0.0.1:${port}/admin/placement/moves`, { method: 'POST', body: JSON.stringify({ topic, partition, slot: 1 - from }) });
        const body = await res.json();
        if (res.status !== 200) throw new Error(`move failed: ${res.status} ${JSON.stringify(body)}`);
        pauses.record(Math.round(body.pauseMs * 1000));
        for (const k of Object.keys(phases)) phases[k].record(Math.round(body.phasesMs[k] * 1000));
        moves++;
      }
    })();
    const r = await ingest({ broker, topic, partitions: opts.partitions, maxConnections: 4, startAt: () => 0, seconds: opts.seconds });
    stop = true;
    await mover;
    const total = r.perSecond.reduce((a, b) => a + b, 0);
    const out = {
      part: 'pause',
      moves,
      pauseP50Ms: round(pauses.percentile(50) / 1000, 2),
      pauseP99Ms: round(pauses.percentile(99) / 1000, 2),
      pauseMaxMs: round(pauses.max / 1000, 2),
      ingestRecordsPerSec: Math.round(total / opts.seconds),
      ingestMBps: round((total * 100) / MiB / opts.seconds, 1),
      produceLatencyP50Ms: round(r.latency.percentile(50) / 1000, 2),
      produceLatencyP99Ms: round(r.latency.percentile(99) / 1000, 2),
      errors: r.errors,
      problems: [...r.problems, ...r.runErrors],
      phasesP99Ms: Object.fromEntries(Object.entries(phases).map(([k, h]) => [k, round(h.percentile(99) / 1000, 2)])),
    };
    console.log(`pause: ${moves} moves under ${fmt(out.ingestRecordsPerSec)} rec/s (${out.ingestMBps} MiB/s): pause p50 ${out.pauseP50Ms} ms, p99 ${out.pauseP99Ms} ms, max ${out.pauseMaxMs} ms (p99 of phases: drain ${out.phasesP99Ms.drain}, release ${out.phasesP99Ms.close}, open ${out.phasesP99Ms.open} ms); produce p99 ${out.produceLatencyP99Ms} ms; ${out.problems.length === 0 && Object.keys(r.errors).length === 0 ? 'all acknowledged offsets dense' : `PROBLEMS ${JSON.stringify(out.problems)} ${JSON.stringify(r.errors)}`}`);
    return out;
  } finally {
    await broker.stop();
  }
}

async function growthRun(opts, elastic) {
  const config = elastic
    ? { 'worker.threads.min': 1, 'worker.threads.max': 2, 'worker.scale.window.ms': opts['window-ms'], 'worker.scale.interval.ms': 250, 'worker.scale.up.utilization': opts.up, 'worker.scale.down.utilization': opts.up / 4 }
    : {};
  const broker = await startBroker({ workerThreads: elastic ? undefined : 2, config });
  try {
    const port = httpPort(broker);
    const admin = (await connectAll(broker.port, 1, 'strata-bench-admin'))[0];
    const topic = `bench-growth-${Date.now()}`;
    await createTopic(admin, topic, opts.partitions);
    admin.close();
    const third = opts['growth-seconds'] / 3;
    const slots = [];
    const busy = [];
    const r = await ingest({
      broker,
      topic,
      partitions: opts.partitions,
      maxConnections: 4,
      startAt: (ci) => (ci === 0 ? 0 : ci === 1 ? third : 2 * third),
      seconds: opts['growth-seconds'],
      onSecond: (sec) =>
        void placement(port)
          .then((v) => {
            slots[sec] = v.slots.length;
            busy[sec] = v.slots.map((x) => round(x.utilization, 2)).join('+');
          })
          .catch(() => undefined),
    });
    const view = await placement(port);
    return {
      label: elastic ? 'elastic 1..2' : 'fixed 2',
      MBpsPerSecond: r.perSecond.map((n) => round((n * 100) / MiB, 1)),
      slotsPerSecond: slots,
      slotBusyPerSecond: busy,
      finalSlots: view.slots.length,
      movesTotal: view.movesTotal,
      problems: [...r.problems, ...r.runErrors],
      errors: r.errors,
    };
  } finally {
    await broker.stop();
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  if (opts.quick) Object.assign(opts, { seconds: 4, moves: 40, 'growth-seconds': 12, 'window-ms': 1500 });
  const only = new Set(String(opts.only).split(','));
  const result = { machine: machineInfo(), settings: opts };
  if (only.has('pause')) result.pause = await pausePart(opts);
  if (only.has('growth')) {
    result.growth = [await growthRun(opts, true), await growthRun(opts, false)];
    for (const g of result.growth) console.log(`growth ${g.label}: MiB/s per second [${g.MBpsPerSecond.join(' ')}], slots [${g.slotsPerSecond.join(' ')}], slot busy [${g.slotBusyPerSecond.join(' ')}], moves ${g.movesTotal}${g.problems.length ? ` PROBLEMS ${g.problems.join('; ')}` : ''}`);
  }
  const file = writeResult('slot-moves', result);
  console.log(`wrote ${file}`);
}

if (isMain(import.meta.url)) main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
