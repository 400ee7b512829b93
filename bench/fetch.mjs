// Thread: main (bench). Fetch throughput from the page cache: produce a backlog of exactly
// --records 100-byte records (default 1,000,000) in ~1 MiB batches, then read it all from
// offset 0 with Fetch requests of --max-bytes (default 4 MiB: a few times the Java consumer's
// 1 MiB max.partition.fetch.bytes; 50 MiB requests make a pass 4 requests long) over several connections
// (partitions split between them), --passes times. Records are counted by walking batch
// headers only; each pass must return exactly the records produced, with no offset gaps or
// overlaps, or the run is a FAILURE.
//
// Usage: node bench/fetch.mjs [--records=1000000] [--partitions=4] [--connections=4]
//          [--max-bytes=4194304] [--passes=5] [--worker-threads=N] [--port=P]
import path from 'node:path';
import { MiB, fmt, isMain, parseArgs } from './lib/cli.mjs';
import { buildBatch, walkBatches } from './lib/batches.mjs';
import { startBroker } from './lib/broker.mjs';
import { drive } from './lib/drive.mjs';
import { ApiKey, createTopic, fetchBody, listOffsets, produceBody, topicId } from './lib/kafka-client.mjs';
import { CpuMeter, machineInfo, round, writeResult } from './lib/results.mjs';
import { connectAll, partitionsOf } from './produce.mjs';

export const FETCH_DEFAULTS = {
  records: 1_000_000,
  partitions: 4,
  connections: 4,
  inflight: 8,
  'max-bytes': 4 * MiB,
  'batch-bytes': MiB,
  'record-bytes': 100,
  passes: 5,
  'pass-timeout-seconds': 60,
  'fetch-version': 12,
  'worker-threads': 0,
  port: 0,
  'cpu-prof-dir': '',
};

/** Produce exactly `total` records to topic (partitions round-robin, full batches + one remainder batch). */
export async function produceBacklog({ admin, conns, topic, partitions, total, batchBytes, recordBytes, inflight = 8, timeoutSeconds = 120 }) {
  const version = admin.pickVersion(ApiKey.Produce, 9);
  const full = buildBatch({ batchBytes, recordBytes });
  const fullTpl = Array.from({ length: partitions }, (_, p) => admin.encode(ApiKey.Produce, version, produceBody({ topic, acks: 1, batches: [{ partition: p, records: full.batch }] })));
  const queues = conns.map(() => []);
  const owner = new Array(partitions);
  conns.forEach((_, ci) => partitionsOf(ci, conns.length, partitions).forEach((p) => (owner[p] = ci)));
  let remaining = total;
  for (let i = 0; remaining > 0; i++) {
    const p = i % partitions;
    if (remaining >= full.records) {
      queues[owner[p]].push({ tpl: fullTpl[p], partition: p, records: full.records });
      remaining -= full.records;
    } else {
      const rest = buildBatch({ recordBytes, count: remaining });
      queues[owner[p]].push({ tpl: admin.encode(ApiKey.Produce, version, produceBody({ topic, acks: 1, batches: [{ partition: p, records: rest.batch }] })), partition: p, records: remaining });
      remaining = 0;
    }
  }
  const expected = new Array(partitions).fill(0);
  for (const q of queues) for (const j of q) expected[j.partition] += j.records;
  const failures = [];
  const t0 = performance.now();
  const run = await drive({
    clients: conns,
    inflight,
    untilMs: t0 + timeoutSeconds * 1000,
    next: (ci) => queues[ci].shift() ?? null,
    onResponse(job, { response }) {
      for (const t of response.responses) for (const pr of t.partitionResponses) if (pr.errorCode !== 0) failures.push(`backlog produce to partition ${pr.index}: error ${pr.errorCode} ${pr.errorMessage ?? ''}`);
    },
  });
  failures.push(...run.errors);
  if (run.timedOut || queues.some((q) => q.length > 0)) failures.push('backlog produce did not finish in time');
  const hw = await listOffsets(admin, topic, partitions, -1n);
  for (let p = 0; p < partitions; p++) if (hw[p] !== expected[p]) failures.push(`backlog partition ${p}: high watermark ${hw[p]}, expected ${expected[p]}`);
  return { expected, highWatermarks: hw, seconds: round((performance.now() - t0) / 1000, 3), failures, recordsPerBatch: full.records };
}

/**
 * One pass: read every partition p from start[p] (default 0) up to hw[p], exclusive (its high
 * watermark, or any earlier end offset); records at or past hw[p] in a response are not counted.
 */
export async function fetchPass({ conns, topic, id, hw, start = null, version, maxBytes, timeoutSeconds }) {
  const partitions = hw.length;
  const counted = new Array(partitions).fill(0);
  let bytes = 0;
  let requests = 0;
  let discontinuities = 0;
  const errors = [];
  const deadline = performance.now() + timeoutSeconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    conns.map(async (client, ci) => {
      const mine = partitionsOf(ci, conns.length, partitions); // conns.length <= partitions: disjoint sets
      const offsets = new Map(mine.map((p) => [p, start?.[p] ?? 0]));
      while (performance.now() < deadline && errors.length === 0) {
        const todo = mine.filter((p) => offsets.get(p) < hw[p]);
        if (todo.length === 0) return;
        const body = fetchBody({ topic, topicId: id, partitions: todo.map((p) => ({ partition: p, fetchOffset: offsets.get(p) })), maxWaitMs: 500, minBytes: 1, maxBytes, partitionMaxBytes: maxBytes });
        const res = await client.request(ApiKey.Fetch, version, body);
        requests++;
        if (res.errorCode !== 0) {
          errors.push(`fetch: top-level error ${res.errorCode}`);
          return;
        }
        for (const t of res.responses) {
          for (const pd of t.partitions) {
            if (pd.errorCode !== 0) {
              errors.push(`fetch partition ${pd.partitionIndex}: error ${pd.errorCode}`);
              continue;
            }
            const from = offsets.get(pd.partitionIndex);
            const w = walkBatches(pd.records, from);
            const past = Math.max(0, w.nextOffset - Math.max(from, hw[pd.partitionIndex]));
            counted[pd.partitionIndex] += w.records - past;
            discontinuities += w.discontinuities;
            bytes += w.bytes;
            offsets.set(pd.partitionIndex, w.nextOffset);
          }
        }
      }
      if (mine.some((p) => offsets.get(p) < hw[p])) errors.push(`connection ${ci}: pass did not reach the high watermark within ${timeoutSeconds} s`);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const records = counted.reduce((a, b) => a + b, 0);
  return { records, counted, bytes, requests, discontinuities, errors, seconds: round(seconds, 3), recordsPerSec: round(records / seconds, 0), MBps: round(bytes / MiB / seconds, 1) };
}

export async function runFetch(o = {}) {
  const opts = { ...FETCH_DEFAULTS, ...o };
  const result = { workload: 'fetch', ok: false, failures: [], options: opts };
  let broker = null;
  const clients = [];
  try {
    if (!(opts.port > 0)) broker = await startBroker({ workerThreads: opts['worker-threads'] || undefined, cpuProfDir: opts['cpu-prof-dir'] || undefined });
    const port = opts.port > 0 ? opts.port : broker.port;
    const [admin] = await connectAll(port, 1, 'strata-bench-admin');
    clients.push(admin);
    const topic = `bench-fetch-${Date.now()}`;
    await createTopic(admin, topic, opts.partitions);
    const conns = await connectAll(port, Math.min(opts.connections, opts.partitions), 'strata-bench-consumer');
    clients.push(...conns);
    const backlog = await produceBacklog({ admin, conns, topic, partitions: opts.partitions, total: opts.records, batchBytes: opts['batch-bytes'], recordBytes: opts['record-bytes'], inflight: opts.inflight });
    result.backlog = backlog;
    if (backlog.failures.length > 0) {
      result.failures.push(...backlog.failures.slice(0, 10));
      return result;
    }
    const version = admin.pickVersion(ApiKey.Fetch, opts['fetch-version']);
    const id = await topicId(admin, topic);
    result.fetchVersion = version;
    const passes = [];
    for (let i = 0; i < opts.passes; i++) {
      const cpu = new CpuMeter(broker?.pid);
      const pass = await fetchPass({ conns, topic, id, hw: backlog.highWatermarks, version, maxBytes: opts['max-bytes'], timeoutSeconds: opts['pass-timeout-seconds'] });
      pass.cpu = cpu.stop();
      passes.push(pass);
      if (pass.errors.length > 0) result.failures.push(...pass.errors.slice(0, 5).map((e) => `pass ${i + 1}: ${e}`));
      if (pass.records !== opts.records) result.failures.push(`pass ${i + 1}: counted ${pass.records} records, produced ${opts.records}`);
      if (pass.discontinuities > 0) result.failures.push(`pass ${i + 1}: ${pass.discontinuities} offset gap(s)/overlap(s) between batches`);
      if (result.failures.length > 0) break;
    }
    const sorted = [...passes].sort((a, b) => a.recordsPerSec - b.recordsPerSec);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    Object.assign(result, {
      ok: result.failures.length === 0,
      topic,
      passes,
      recordsPerSec: median?.recordsPerSec ?? null,
      MBps: median?.MBps ?? null,
      medianPass: median ? passes.indexOf(median) + 1 : null,
      brokerRssBytes: broker?.rss() ?? null,
    });
  } catch (err) {
    result.failures.push(err.message);
    if (broker) result.brokerLogTail = broker.logTail();
  } finally {
    for (const c of clients) c.close();
    if (broker) result.brokerStop = await broker.stop();
  }
  return result;
}

export function printFetch(r) {
  if (!r.ok) {
    console.log(`fetch: FAILURE\n  ${r.failures.join('\n  ')}`);
    if (r.brokerLogTail) console.log(r.brokerLogTail);
    return;
  }
  console.log(`fetch: ${fmt(r.recordsPerSec)} records/s, ${fmt(r.MBps, 1)} MiB/s (median of ${r.passes.length} passes over ${fmt(r.options.records)} records, Fetch v${r.fetchVersion})`);
  for (const [i, p] of r.passes.entries()) {
    console.log(`  pass ${i + 1}: ${fmt(p.recordsPerSec)} records/s, ${fmt(p.MBps, 1)} MiB/s in ${p.seconds} s, ${p.requests} requests; cpu: broker ${p.cpu.brokerCores}, load generator ${p.cpu.loadGeneratorCores}, other processes ${p.cpu.otherProcessesCores} cores`);
  }
  console.log(`  verified: every pass counted ${fmt(r.options.records)} records with no gaps (backlog produced in ${r.backlog.seconds} s)`);
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), FETCH_DEFAULTS);
  const r = await runFetch(opts);
  printFetch(r);
  const file = writeResult('fetch', { machine: machineInfo(), fetch: r });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  process.exitCode = r.ok ? 0 : 1;
}
