// Thread: main (bench). Scaling: raw pipelined ingest (acks=1, ~1 MiB batches of 100-byte
// records, runProduce from produce.mjs) with 1, 2 and 4 worker slots at a fixed partition count,
// and with 1, 8, 64 and 1,000 partitions at the default slot count; and memory at 10,000
// partitions (run first): create them, write one record batch to every partition (so each has
// an active segment holding data), verify every high watermark with ListOffsets, and report the
// broker's RSS (process RSS: covers the worker threads), its peak (VmHWM), its open file
// descriptors, the time the creation took and (full mode) the time a clean stop takes. Every
// load is bounded in count and time; each configuration runs against its own freshly started
// broker (127.0.0.1, fresh log directory, ephemeral HTTP port, stopped by PID).
//
// 1,000 partitions at ~1 MiB per batch: a time-bounded run would touch only the partitions it
// reaches in the time (a few hundred batches per second), so that run is bounded by count
// instead: every partition gets exactly --rounds-1000 batches, round robin over each
// connection's partitions (produce.mjs --batches-per-partition), and runProduce verifies that
// every partition's baseOffsets are dense and its high watermark equals what it acknowledged.
//
// Usage: node bench/scaling.mjs [--quick] [--seconds=5] [--slot-partitions=8] [--slots=1,2,4]
//          [--partitions=1,8,64,1000] [--rounds-1000=2] [--memory-partitions=10000]
//          [--memory-topics=10] [--memory-records=10] [--only=slots,partitions,memory]
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MiB, fmt, isMain, parseArgs } from './lib/cli.mjs';
import { buildBatch } from './lib/batches.mjs';
import { startBroker } from './lib/broker.mjs';
import { drive } from './lib/drive.mjs';
import { ApiKey, createTopic, listOffsets, produceBody } from './lib/kafka-client.mjs';
import { machineInfo, processPeakRssBytes, round, writeResult } from './lib/results.mjs';
import { connectAll, runProduce } from './produce.mjs';

export const SCALING_DEFAULTS = {
  quick: false,
  /** Seconds per time-bounded ingest run (quick: 1). */
  seconds: 0,
  'slot-partitions': 8,
  slots: '1,2,4',
  partitions: '1,8,64,1000',
  /** Batches per partition in the 1,000-partition run (count-bounded; quick: 1). */
  'rounds-1000': 0,
  'memory-partitions': 10_000,
  'memory-topics': 10,
  /** Records (100 bytes each) in the one batch written to every partition of the memory run. */
  'memory-records': 10,
  /** Partitions per Produce request in the memory run. */
  'memory-partitions-per-request': 100,
  'rss-target-mb': 512,
  connections: 4,
  inflight: 8,
  only: 'slots,partitions,memory',
};

/** Settings every broker of this bench gets: an ephemeral operator HTTP port (no clash on 8080). */
const BROKER_CONFIG = { 'http.listeners': '127.0.0.1:0' };

const list = (v) => String(v).split(',').filter(Boolean).map(Number);

function openFds(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** One ingest configuration through runProduce; a compact entry for the result. */
async function ingest({ label, workerThreads, partitions, seconds, rounds, connections, inflight }) {
  const countBound = rounds > 0;
  const t0 = performance.now();
  const r = await runProduce({
    acks: '1',
    partitions,
    connections,
    inflight,
    seconds: countBound ? 120 : seconds,
    'worker-threads': workerThreads ?? 0,
    'batches-per-partition': countBound ? rounds : 0,
    'broker-config': BROKER_CONFIG,
  });
  const method = countBound
    ? `count-bounded: exactly ${rounds} batch(es) of ~1 MiB to every one of ${partitions} partitions, round robin per connection (time limit 120 s)`
    : `time-bounded: ${seconds} s, round robin over each connection's partitions`;
  return {
    label,
    workerThreads: workerThreads ?? 'default',
    partitions,
    method,
    ok: r.ok,
    failures: r.failures,
    recordsPerSec: r.recordsPerSec ?? null,
    MBps: r.MBps ?? null,
    ackedRecords: r.ackedRecords ?? null,
    seconds: r.seconds ?? null,
    requests: r.requests ?? null,
    batchesPerPartition: r.batchesPerPartition ?? null,
    requestLatencyP50Ms: r.requestLatency?.p50Ms ?? null,
    requestLatencyP99Ms: r.requestLatency?.p99Ms ?? null,
    brokerCores: r.cpu?.brokerCores ?? null,
    loadGeneratorCores: r.cpu?.loadGeneratorCores ?? null,
    otherProcessesCores: r.cpu?.otherProcessesCores ?? null,
    brokerRssBytes: r.brokerRssBytes ?? null,
    brokerPeakRssBytes: r.brokerPeakRssBytes ?? null,
    brokerLogTail: r.ok ? undefined : r.brokerLogTail,
    /** Whole configuration: broker start, topic, load, verification, clean stop. */
    wallSeconds: round((performance.now() - t0) / 1000, 2),
  };
}

/**
 * Memory at many partitions: create them (`topics` topics), write one small batch to every
 * partition, verify every high watermark, report RSS.
 */
export async function runMemory({ partitions = 10_000, topics = 10, records = 10, perRequest = 100, connections = 4, inflight = 8, rssTargetMB = 512, cleanStop = true } = {}) {
  const result = { workload: 'memory', partitions, topics, ok: false, failures: [] };
  let broker = null;
  const clients = [];
  try {
    broker = await startBroker({ config: BROKER_CONFIG });
    const admin = (await connectAll(broker.port, 1, 'strata-bench-admin'))[0];
    clients.push(admin);
    result.rssIdleBytes = broker.rss();
    const per = Math.ceil(partitions / topics);
    const names = [];
    const counts = [];
    for (let t = 0, left = partitions; left > 0; t++) {
      names.push(`bench-scaling-mem-${t}-${Date.now()}`);
      counts.push(Math.min(per, left));
      left -= per;
    }
    // Creation, one CreateTopics request per topic, in sequence.
    const t0 = performance.now();
    for (let t = 0; t < names.length; t++) await createTopic(admin, names[t], counts[t]);
    result.createSeconds = round((performance.now() - t0) / 1000, 3);
    result.rssAfterCreateBytes = broker.rss();
    result.openFdsAfterCreate = openFds(broker.pid);

    // One batch of `records` 100-byte records to every partition, `perRequest` partitions per request.
    const { batch, records: perBatch } = buildBatch({ recordBytes: 100, count: records });
    const version = admin.pickVersion(ApiKey.Produce, 9);
    const jobs = [];
    for (let t = 0; t < names.length; t++) {
      for (let p0 = 0; p0 < counts[t]; p0 += perRequest) {
        const ps = Array.from({ length: Math.min(perRequest, counts[t] - p0) }, (_, i) => p0 + i);
        jobs.push({ tpl: admin.encode(ApiKey.Produce, version, produceBody({ topic: names[t], acks: 1, batches: ps.map((p) => ({ partition: p, records: batch })) })), topic: t, ps });
      }
    }
    const conns = await connectAll(broker.port, connections, 'strata-bench-producer');
    clients.push(...conns);
    const queues = conns.map(() => []);
    jobs.forEach((j, i) => queues[i % conns.length].push(j));
    const acked = counts.map((n) => new Array(n).fill(0));
    const errors = {};
    const t1 = performance.now();
    const run = await drive({
      clients: conns,
      inflight,
      untilMs: t1 + 120_000,
      next: (ci) => queues[ci].shift() ?? null,
      onResponse(job, { response }) {
        for (const td of response.responses) {
          for (const pr of td.partitionResponses) {
            if (pr.errorCode !== 0) {
              errors[pr.errorCode] = (errors[pr.errorCode] ?? 0) + 1;
              continue;
            }
            if (Number(pr.baseOffset) !== 0) result.failures.push(`${names[job.topic]}-${pr.index}: baseOffset ${pr.baseOffset}, expected 0`);
            acked[job.topic][pr.index] += perBatch;
          }
        }
      },
    });
    result.writeSeconds = round((performance.now() - t1) / 1000, 3);
    result.failures.push(...run.errors.slice(0, 5));
    if (run.timedOut || queues.some((q) => q.length > 0)) result.failures.push('writing one batch to every partition did not finish in 120 s');
    if (Object.keys(errors).length > 0) result.failures.push(`partition errors by code: ${JSON.stringify(errors)}`);

    // Verification: every partition's high watermark equals what was written to it.
    let checked = 0;
    let mismatched = 0;
    for (let t = 0; t < names.length; t++) {
      const hw = await listOffsets(admin, names[t], counts[t], -1n);
      for (let p = 0; p < counts[t]; p++) {
        checked++;
        if (hw[p] !== acked[t][p] || hw[p] !== perBatch) {
          if (mismatched++ < 5) result.failures.push(`${names[t]}-${p}: high watermark ${hw[p]}, wrote ${acked[t][p]} (expected ${perBatch})`);
        }
      }
    }
    if (mismatched > 5) result.failures.push(`… ${mismatched} partitions in all with a wrong high watermark`);
    // Let the write settle (tail cache, GC) and sample again; report the larger.
    const rssNow = broker.rss();
    await new Promise((r) => setTimeout(r, 500));
    const rssLater = broker.rss();
    Object.assign(result, {
      recordsPerPartition: perBatch,
      batchBytes: batch.length,
      partitionsVerified: checked,
      rssBytes: Math.max(rssNow ?? 0, rssLater ?? 0),
      peakRssBytes: processPeakRssBytes(broker.pid),
      openFds: openFds(broker.pid),
      rssTargetBytes: rssTargetMB * MiB,
    });
    result.rssPerPartitionBytes = round((result.rssBytes - result.rssIdleBytes) / partitions, 0);
    result.meetsTarget = result.rssBytes <= result.rssTargetBytes;
    result.ok = result.failures.length === 0;
  } catch (err) {
    result.failures.push(err.message);
    if (broker) result.brokerLogTail = broker.logTail().split('\n').slice(-8).join('\n');
  } finally {
    for (const c of clients) c.close();
    if (broker) {
      // Clean stop (flush + checkpoint of every partition) is timed; quick mode kills instead.
      const t = performance.now();
      if (!cleanStop && !broker.exited) {
        process.kill(broker.pid, 'SIGKILL');
        await broker.exitPromise;
      }
      result.brokerStop = await broker.stop();
      if (cleanStop) result.stopSeconds = round((performance.now() - t) / 1000, 3);
    }
  }
  return result;
}

export async function runScaling(o = {}) {
  const opts = { ...SCALING_DEFAULTS, ...o };
  const q = opts.quick === true;
  const seconds = opts.seconds || (q ? 1 : 5);
  const rounds1000 = opts['rounds-1000'] || (q ? 1 : 2);
  const only = new Set(String(opts.only).split(','));
  const res = { workload: 'scaling', quick: q, ok: true, failures: [], options: { ...opts, seconds, 'rounds-1000': rounds1000 }, slots: [], partitions: [], memory: null };
  const t0 = performance.now();
  const common = { seconds, connections: opts.connections, inflight: opts.inflight };
  // Memory first: creating and deleting 10,000 partitions' files is what ext4 is slow at
  // right after many deletions (the 1,000-partition run deletes 4,000 files).
  if (only.has('memory')) {
    res.memory = await runMemory({
      partitions: opts['memory-partitions'],
      topics: opts['memory-topics'],
      records: opts['memory-records'],
      perRequest: opts['memory-partitions-per-request'],
      connections: opts.connections,
      inflight: opts.inflight,
      rssTargetMB: opts['rss-target-mb'],
      cleanStop: !q,
    });
  }
  if (only.has('slots')) {
    for (const n of list(opts.slots)) {
      const e = await ingest({ ...common, label: `${n} slot(s), ${opts['slot-partitions']} partitions`, workerThreads: n, partitions: opts['slot-partitions'] });
      res.slots.push(e);
    }
  }
  if (only.has('partitions')) {
    const defaultSlots = os.availableParallelism();
    for (const p of list(opts.partitions)) {
      const label = `${p} partition(s), default slots`;
      // The same configuration as a slot run (default slot count, same partitions): reuse it.
      const same = p < 1000 ? res.slots.find((e) => e.workerThreads === defaultSlots && e.partitions === p) : undefined;
      if (same) {
        res.partitions.push({ ...same, label, workerThreads: 'default', sameRunAs: same.label });
        continue;
      }
      res.partitions.push(await ingest({ ...common, label, partitions: p, rounds: p >= 1000 ? rounds1000 : 0 }));
    }
  }
  for (const e of [...res.slots, ...res.partitions]) if (!e.ok && !e.sameRunAs) res.failures.push(`${e.label}: ${e.failures[0] ?? 'failed'}`);
  if (res.memory && !res.memory.ok) res.failures.push(`memory at ${res.memory.partitions} partitions: ${res.memory.failures[0] ?? 'failed'}`);
  res.ok = res.failures.length === 0;
  res.seconds = round((performance.now() - t0) / 1000, 1);
  return res;
}

const mb = (b) => (b === null || b === undefined ? '—' : `${fmt(b / MiB, 0)} MiB`);

export function printScaling(res) {
  const row = (e) =>
    e.ok
      ? `  ${e.label.padEnd(32)} ${fmt(e.recordsPerSec).padStart(10)} rec/s ${fmt(e.MBps, 1).padStart(7)} MiB/s  broker ${fmt(e.brokerCores, 2)} cores, RSS ${mb(e.brokerRssBytes)} (peak ${mb(e.brokerPeakRssBytes)}); other processes ${fmt(e.otherProcessesCores, 2)} cores`
      : `  ${e.label.padEnd(32)} FAILURE: ${e.failures.join('; ')}`;
  if (res.slots.length > 0) {
    console.log('scaling: worker slots (acks=1, ~1 MiB batches)');
    for (const e of res.slots) console.log(row(e));
  }
  if (res.partitions.length > 0) {
    console.log('scaling: partitions (acks=1, ~1 MiB batches, default slots)');
    for (const e of res.partitions) console.log(row(e) + (e.sameRunAs ? ` (the ${e.sameRunAs} run)` : ''));
    for (const e of res.partitions) if (e.partitions >= 1000) console.log(`    ${e.partitions} partitions: ${e.method}; batches per partition min ${e.batchesPerPartition?.min} max ${e.batchesPerPartition?.max}`);
  }
  const m = res.memory;
  if (m) {
    if (!m.ok) {
      console.log(`memory at ${fmt(m.partitions)} partitions: FAILURE\n  ${m.failures.join('\n  ')}`);
      if (m.brokerLogTail) console.log(m.brokerLogTail);
    } else {
      console.log(
        `memory at ${fmt(m.partitions)} partitions (${m.topics} topics): RSS ${mb(m.rssBytes)} (target ≤ ${mb(m.rssTargetBytes)}: ${m.meetsTarget ? 'met' : 'MISSED'}), peak ${mb(m.peakRssBytes)}, idle broker ${mb(m.rssIdleBytes)}, ≈ ${fmt(m.rssPerPartitionBytes)} bytes per partition; ${fmt(m.openFds)} open fds`,
      );
      console.log(`  created in ${m.createSeconds} s, one ${m.recordsPerPartition}-record batch to every partition in ${m.writeSeconds} s; verified: ${fmt(m.partitionsVerified)} high watermarks = ${m.recordsPerPartition}${m.stopSeconds === undefined ? '' : `; clean stop took ${m.stopSeconds} s${m.brokerStop?.killedAfterGrace ? ' (NOT clean: SIGKILLed after the 15 s grace)' : ''}`}`);
    }
  }
  console.log(res.ok ? `scaling: ok (${res.seconds} s)` : `scaling: FAILURE\n  ${res.failures.join('\n  ')}`);
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), SCALING_DEFAULTS);
  const r = await runScaling(opts);
  printScaling(r);
  const file = writeResult('scaling', { machine: machineInfo(), scaling: r });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  process.exitCode = r.ok ? 0 : 1;
}
