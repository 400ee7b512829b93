// Thread: main (bench). Raw pipelined ingest: pre-encoded Produce requests, each carrying ONE
// ~1 MiB RecordBatch of 100-byte records for one partition, sent over several connections with
// a bounded number of requests in flight per connection, for a bounded time or record count.
// The same encoded batch is sent again and again (producerId -1: no idempotence, the broker
// only rewrites baseOffset). Verified: every partition response has errorCode 0, every
// partition's baseOffsets are 0, n, 2n, … and ListOffsets(latest) equals the records
// acknowledged; otherwise the run is a FAILURE, not a figure.
//
// Usage: node bench/produce.mjs [--acks=1|all] [--seconds=10] [--max-records=N]
//          [--connections=4] [--inflight=8] [--partitions=4] [--batch-bytes=1048576]
//          [--record-bytes=100] [--worker-threads=N] [--port=P (use a running broker)]
//          [--cpu-prof-dir=DIR (profile the broker)]
//          [--batches-per-partition=N (stop after exactly N batches to every partition; 0 = no cap)]
//          [--broker-config=k=v,k=v (extra broker settings)]
import path from 'node:path';
import { MiB, fmt, isMain, parseArgs } from './lib/cli.mjs';
import { buildBatch } from './lib/batches.mjs';
import { startBroker } from './lib/broker.mjs';
import { drive } from './lib/drive.mjs';
import { Histogram } from './lib/histogram.mjs';
import { ApiKey, KafkaClient, createTopic, listOffsets, produceBody } from './lib/kafka-client.mjs';
import { CpuMeter, machineInfo, processPeakRssBytes, round, writeResult } from './lib/results.mjs';

export const PRODUCE_DEFAULTS = {
  acks: '1',
  seconds: 10,
  'max-records': 1e12,
  connections: 4,
  inflight: 8,
  partitions: 4,
  'batch-bytes': MiB,
  'record-bytes': 100,
  'worker-threads': 0,
  port: 0,
  'cpu-prof-dir': '',
  topic: '',
  /** 0 = no cap; N = every partition gets exactly N batches (then the load stops), e.g. for 1,000 partitions. */
  'batches-per-partition': 0,
  /** Extra broker settings, `k=v,k=v` or an object. */
  'broker-config': '',
};

export function parseAcks(a) {
  const s = String(a);
  if (s === 'all' || s === '-1') return -1;
  if (s === '1') return 1;
  throw new Error(`--acks must be 1 or all (got ${a})`);
}

/** Connect `n` clients (ApiVersions done on each). */
export async function connectAll(port, n, clientId) {
  const clients = await Promise.all(Array.from({ length: n }, () => KafkaClient.connect({ port, clientId })));
  await Promise.all(clients.map((c) => c.apiVersions()));
  return clients;
}

/** Partitions served by connection ci: p % connections === ci (or one shared partition each when fewer partitions). */
export function partitionsOf(ci, connections, partitions) {
  if (partitions < connections) return [ci % partitions];
  const out = [];
  for (let p = ci; p < partitions; p += connections) out.push(p);
  return out;
}

/** `k=v,k=v` (or an object) → broker config object. */
function brokerConfig(v) {
  if (!v) return {};
  if (typeof v === 'object') return v;
  return Object.fromEntries(String(v).split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

export async function runProduce(o = {}) {
  const opts = { ...PRODUCE_DEFAULTS, ...o };
  const acks = parseAcks(opts.acks);
  const result = { workload: 'produce', acks: acks === -1 ? 'all' : '1', ok: false, failures: [], options: opts };
  let broker = null;
  const clients = [];
  try {
    if (!(opts.port > 0)) broker = await startBroker({ workerThreads: opts['worker-threads'] || undefined, cpuProfDir: opts['cpu-prof-dir'] || undefined, config: brokerConfig(opts['broker-config']) });
    const port = opts.port > 0 ? opts.port : broker.port;
    const admin = (await connectAll(port, 1, 'strata-bench-admin'))[0];
    clients.push(admin);
    const topic = opts.topic || `bench-produce-acks${acks === -1 ? 'all' : '1'}-${Date.now()}`;
    await createTopic(admin, topic, opts.partitions);
    const version = admin.pickVersion(ApiKey.Produce, 9);
    const { batch, records: perBatch } = buildBatch({ batchBytes: opts['batch-bytes'], recordBytes: opts['record-bytes'] });
    const conns = await connectAll(port, opts.connections, 'strata-bench-producer');
    clients.push(...conns);
    const templates = Array.from({ length: opts.partitions }, (_, p) =>
      admin.encode(ApiKey.Produce, version, produceBody({ topic, acks, batches: [{ partition: p, records: batch }] })),
    );
    Object.assign(result, { topic, produceVersion: version, recordsPerBatch: perBatch, batchBytes: batch.length, brokerPid: broker?.pid ?? null });

    const assigned = conns.map((_, ci) => partitionsOf(ci, opts.connections, opts.partitions));
    const rr = conns.map(() => 0);
    const cap = opts['batches-per-partition'] > 0 ? opts['batches-per-partition'] : Infinity;
    const sentBatches = new Array(opts.partitions).fill(0);
    const ackedByPartition = new Array(opts.partitions).fill(0);
    const baseOffsets = Array.from({ length: opts.partitions }, () => []);
    const errorCodes = {};
    const latency = new Histogram();
    const timeline = [];
    let sentRecords = 0;
    let acked = 0;
    let requests = 0;
    let lastAck = 0;
    const maxRecords = opts['max-records'];

    const cpu = new CpuMeter(broker?.pid);
    const t0 = performance.now();
    const run = await drive({
      clients: conns,
      inflight: opts.inflight,
      untilMs: t0 + opts.seconds * 1000,
      next(ci) {
        if (sentRecords + perBatch > maxRecords) return null;
        const list = assigned[ci];
        let p = list[rr[ci]++ % list.length];
        if (cap !== Infinity) {
          // Round robin over this connection's partitions that still need batches.
          for (let tries = 1; sentBatches[p] >= cap && tries <= list.length; tries++) p = list[rr[ci]++ % list.length];
          if (sentBatches[p] >= cap) return null;
        }
        sentBatches[p]++;
        sentRecords += perBatch;
        return { tpl: templates[p], partition: p };
      },
      onResponse(job, { response, latencyUs }) {
        requests++;
        latency.record(latencyUs);
        for (const t of response.responses) {
          for (const pr of t.partitionResponses) {
            if (pr.errorCode !== 0) {
              errorCodes[pr.errorCode] = (errorCodes[pr.errorCode] ?? 0) + 1;
              if (Object.keys(errorCodes).length === 1 && errorCodes[pr.errorCode] === 1) result.failures.push(`partition ${pr.index}: error ${pr.errorCode} ${pr.errorMessage ?? ''}`);
              continue;
            }
            ackedByPartition[pr.index] += perBatch;
            baseOffsets[pr.index].push(Number(pr.baseOffset));
            acked += perBatch;
          }
        }
        lastAck = performance.now();
        const sec = Math.floor((lastAck - t0) / 1000);
        timeline[sec] = (timeline[sec] ?? 0) + perBatch;
      },
    });
    const usage = cpu.stop();
    const seconds = (lastAck - t0) / 1000;
    if (run.errors.length > 0) result.failures.push(...run.errors.slice(0, 5));
    if (run.timedOut) result.failures.push(`${run.outstanding} request(s) unanswered 30 s after the load stopped`);
    if (Object.keys(errorCodes).length > 0) result.failures.push(`partition errors by code: ${JSON.stringify(errorCodes)}`);

    // Verification: offsets assigned densely, high watermark == acknowledged records.
    const hw = await listOffsets(admin, topic, opts.partitions, -1n);
    for (let p = 0; p < opts.partitions; p++) {
      const offs = baseOffsets[p].sort((a, b) => a - b);
      for (let i = 0; i < offs.length; i++) {
        if (offs[i] !== i * perBatch) {
          result.failures.push(`partition ${p}: batch ${i} got baseOffset ${offs[i]}, expected ${i * perBatch}`);
          break;
        }
      }
      if (hw[p] !== ackedByPartition[p]) result.failures.push(`partition ${p}: high watermark ${hw[p]} != ${ackedByPartition[p]} records acknowledged`);
    }

    Object.assign(result, {
      ok: result.failures.length === 0,
      requests,
      ackedRecords: acked,
      highWatermarks: hw,
      seconds: round(seconds, 3),
      recordsPerSec: round(acked / seconds, 0),
      MBps: round((requests * batch.length) / MiB / seconds, 1),
      requestLatency: latency.summaryMs(),
      timelineRecordsPerSec: timeline.map((n) => n ?? 0),
      cpu: usage,
      brokerRssBytes: broker?.rss() ?? null,
      brokerPeakRssBytes: broker ? processPeakRssBytes(broker.pid) : null,
      batchesPerPartition: { min: Math.min(...sentBatches), max: Math.max(...sentBatches) },
    });
  } catch (err) {
    result.failures.push(`${err.message}`);
    if (broker) result.brokerLogTail = broker.logTail();
  } finally {
    for (const c of clients) c.close();
    if (broker) result.brokerStop = await broker.stop();
  }
  return result;
}

export function printProduce(r) {
  const name = `produce acks=${r.acks}`;
  if (!r.ok) {
    console.log(`${name}: FAILURE\n  ${r.failures.join('\n  ')}`);
    if (r.brokerLogTail) console.log(r.brokerLogTail);
    return;
  }
  const l = r.requestLatency;
  console.log(
    `${name}: ${fmt(r.recordsPerSec)} records/s, ${fmt(r.MBps, 1)} MiB/s (${fmt(r.ackedRecords)} records in ${r.seconds} s, ${r.requests} requests of ${fmt(r.recordsPerBatch)} records, Produce v${r.produceVersion})`,
  );
  console.log(`  request latency p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms; cpu: broker ${r.cpu.brokerCores} cores, load generator ${r.cpu.loadGeneratorCores}, other processes ${r.cpu.otherProcessesCores}`);
  console.log(`  per second: ${r.timelineRecordsPerSec.map((n) => fmt(n)).join(' | ')}`);
  console.log(`  verified: high watermarks ${r.highWatermarks.join(', ')} = records acknowledged`);
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), PRODUCE_DEFAULTS);
  const r = await runProduce(opts);
  printProduce(r);
  const file = writeResult(`produce-acks${r.acks}`, { machine: machineInfo(), produce: r });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  process.exitCode = r.ok ? 0 : 1;
}
