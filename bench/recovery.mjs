// Thread: main (bench). Recovery: restart time of a broker over 1 GB and 10 GB of log. For each
// size: start a broker on a fresh log directory (kept between its restarts), fill it with ~1 MiB
// batches of 100-byte records by raw pipelined produce (acks=1, exact record count), then
//   (a) unclean: SIGKILL the broker right after the last acknowledgement (nothing fsynced since
//       the last segment roll; the newest recovery checkpoint is the last roll's) and restart.
//       Same kernel boot, so the broker trusts the page cache (CRC-32C only near the end);
//   (c) unclean as after a kernel crash: SIGKILL again, remove the broker's boot-id marker from
//       the log directory (so it cannot trust the page cache) and restart: CRC-32C over the
//       whole unflushed tail (--no-kernel-crash skips this);
//   (b) clean: SIGTERM that restarted broker (it flushes and checkpoints), and restart again.
// With 12 partitions (default) 10 GiB is ~850 MiB per partition, under one 1 GiB segment: no
// segment rolls, so no checkpoint exists and the unflushed tail is the whole log (worst case).
// Each restart is timed from spawn to the broker's 'broker ready' line, to the first ListOffsets
// answered with every partition's high watermark equal to the records written (no record
// lost, none invented), and to the first Fetch at the tail (the last record of every
// partition read back from disk: the tail cache starts empty). The log directory is deleted at
// the end. The log is in the page cache (this machine has the RAM and the bench does not drop
// caches): this measures the broker's recovery work, not a cold disk.
//
// Usage: node bench/recovery.mjs [--quick] [--sizes=1,10 (GiB; quick: 0.25,1)] [--partitions=4]
//          [--worker-threads=N] [--cpu-prof-dir=DIR (profile the restarts)] [--no-kernel-crash]
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MiB, fmt, isMain, parseArgs } from './lib/cli.mjs';
import { buildBatch, walkBatches } from './lib/batches.mjs';
import { startBroker } from './lib/broker.mjs';
import { ApiKey, createTopic, fetchBody, listOffsets } from './lib/kafka-client.mjs';
import { machineInfo, round, writeResult } from './lib/results.mjs';
import { produceBacklog } from './fetch.mjs';
import { connectAll } from './produce.mjs';

const GiB = 1024 * MiB;

export const RECOVERY_DEFAULTS = {
  quick: false,
  /** GiB of log per run, comma-separated ('' = 1,10; quick 0.25,1). */
  sizes: '',
  partitions: 12,
  connections: 4,
  inflight: 8,
  'worker-threads': 0,
  'fill-timeout-seconds': 600,
  'restart-timeout-seconds': 120,
  'target-seconds': 2,
  'cpu-prof-dir': '',
  /** Also restart as after a kernel crash (boot-id marker removed: CRC-32C over the whole unflushed tail). */
  'kernel-crash': true,
};

const BROKER_CONFIG = { 'http.listeners': '127.0.0.1:0' };

/** Bytes and .log segment count under dir (one level of partition directories). */
function logUsage(dir) {
  let bytes = 0;
  let segments = 0;
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    for (const f of readdirSync(path.join(dir, d.name))) {
      const s = statSync(path.join(dir, d.name, f));
      bytes += s.size;
      if (f.endsWith('.log')) segments++;
    }
  }
  return { bytes, segments };
}

/** The broker's own JSON log line `msg` (last one), or null. */
function brokerLine(broker, msg) {
  const lines = broker.logTail().split('\n').reverse();
  for (const l of lines) {
    if (!l.includes(msg)) continue;
    try {
      const rec = JSON.parse(l);
      if (rec.msg === msg) return rec;
    } catch {
      // not JSON
    }
  }
  return null;
}

/**
 * Restart over logDir and time it: spawn → 'broker ready', → ListOffsets equal to `expected`
 * (polled every 5 ms until equal or the deadline), → Fetch of every partition's last record.
 */
async function timedRestart({ logDir, topic, expected, workerThreads, cpuProfDir, timeoutSeconds }) {
  const out = { ok: false, failures: [] };
  const t0 = performance.now();
  const broker = await startBroker({ logDir, keepData: true, workerThreads: workerThreads || undefined, cpuProfDir: cpuProfDir || undefined, config: BROKER_CONFIG, readyTimeoutMs: timeoutSeconds * 1000 });
  out.readyMs = round(performance.now() - t0, 1);
  const clients = [];
  try {
    const recovered = brokerLine(broker, 'logs recovered');
    const ready = brokerLine(broker, 'broker ready');
    out.brokerRecoveredMs = recovered?.ms ?? null;
    out.brokerReadyMs = ready?.ms ?? null;
    out.pageCacheTrusted = recovered?.pageCacheIntact ?? null;
    const [admin] = await connectAll(broker.port, 1, 'strata-bench-recovery');
    clients.push(admin);
    const deadline = t0 + timeoutSeconds * 1000;
    let hw = null;
    let lastError = null;
    for (;;) {
      try {
        hw = await listOffsets(admin, topic, expected.length, -1n);
        if (hw.every((v, p) => v === expected[p])) break;
        // A high watermark above what was written is wrong now and will not get better.
        if (hw.some((v, p) => v > expected[p])) break;
      } catch (err) {
        lastError = err.message;
      }
      if (performance.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    out.listOffsetsMs = round(performance.now() - t0, 1);
    out.highWatermarks = hw;
    if (hw === null) out.failures.push(`ListOffsets never answered: ${lastError}`);
    else for (let p = 0; p < expected.length; p++) if (hw[p] !== expected[p]) out.failures.push(`partition ${p}: high watermark ${hw[p]} after restart, ${expected[p]} records written (${hw[p] < expected[p] ? 'LOST' : 'invented'} ${Math.abs(expected[p] - hw[p])})`);

    // Fetch each partition's last record (the whole last batch comes back): read from disk.
    const version = admin.pickVersion(ApiKey.Fetch, 12);
    const res = await admin.request(
      ApiKey.Fetch,
      version,
      fetchBody({ topic, partitions: expected.map((n, p) => ({ partition: p, fetchOffset: Math.max(0, n - 1) })), maxWaitMs: 0, minBytes: 1, maxBytes: 64 * MiB, partitionMaxBytes: 2 * MiB }),
    );
    out.tailFetchMs = round(performance.now() - t0, 1);
    if (res.errorCode !== 0) out.failures.push(`tail fetch: error ${res.errorCode}`);
    for (const t of res.responses ?? []) {
      for (const pd of t.partitions) {
        const p = pd.partitionIndex;
        const want = expected[p];
        if (pd.errorCode !== 0) {
          out.failures.push(`tail fetch partition ${p}: error ${pd.errorCode}`);
          continue;
        }
        const w = walkBatches(pd.records, want - 1);
        if (w.records !== 1 || w.nextOffset !== want) out.failures.push(`tail fetch partition ${p}: ${w.records} record(s) from offset ${want - 1}, next offset ${w.nextOffset} (expected 1 record, next ${want})`);
      }
    }
    out.rssBytes = broker.rss();
  } catch (err) {
    out.failures.push(err.message);
    out.brokerLogTail = broker.logTail().split('\n').slice(-8).join('\n');
  } finally {
    for (const c of clients) c.close();
  }
  out.ok = out.failures.length === 0;
  return { out, broker };
}

/** One size: fill, SIGKILL + restart (unclean), SIGTERM + restart (clean), delete. */
async function runSize(sizeGB, opts) {
  const r = { sizeGB, ok: false, failures: [] };
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-recovery-'));
  let broker = null;
  const clients = [];
  try {
    broker = await startBroker({ logDir, keepData: true, workerThreads: opts['worker-threads'] || undefined, config: BROKER_CONFIG });
    const [admin] = await connectAll(broker.port, 1, 'strata-bench-admin');
    clients.push(admin);
    const topic = `bench-recovery-${Date.now()}`;
    await createTopic(admin, topic, opts.partitions);
    const conns = await connectAll(broker.port, Math.min(opts.connections, opts.partitions), 'strata-bench-producer');
    clients.push(...conns);
    const { batch, records: perBatch } = buildBatch({ batchBytes: MiB, recordBytes: 100 });
    const batches = Math.ceil((sizeGB * GiB) / batch.length);
    const total = batches * perBatch;
    const fill = await produceBacklog({ admin, conns, topic, partitions: opts.partitions, total, batchBytes: MiB, recordBytes: 100, inflight: opts.inflight, timeoutSeconds: opts['fill-timeout-seconds'] });
    Object.assign(r, { topic, partitions: opts.partitions, records: total, batches, fillSeconds: fill.seconds, fillMBps: round((batches * batch.length) / MiB / fill.seconds, 1) });
    for (const c of clients.splice(0)) c.close();
    if (fill.failures.length > 0) {
      r.failures.push(...fill.failures.slice(0, 5));
      return r;
    }
    const expected = fill.expected;
    r.recordsPerPartition = expected;

    // (a) unclean: SIGKILL the broker this bench started, by PID.
    const kill = async () => {
      process.kill(broker.pid, 'SIGKILL');
      await broker.exitPromise;
      await broker.stop();
      broker = null;
    };
    await kill();
    Object.assign(r, (({ bytes, segments }) => ({ logBytes: bytes, segments }))(logUsage(logDir)));
    const prof = (name) => (opts['cpu-prof-dir'] ? path.join(opts['cpu-prof-dir'], `${name}-${sizeGB}GiB`) : '');
    const common = { logDir, topic, expected, workerThreads: opts['worker-threads'], timeoutSeconds: opts['restart-timeout-seconds'] };
    let restart = await timedRestart({ ...common, cpuProfDir: prof('unclean') });
    broker = restart.broker;
    r.unclean = restart.out;

    // (c) unclean, page cache not trusted (as after a kernel crash): the broker's marker removed.
    if (opts['kernel-crash']) {
      await kill();
      rmSync(path.join(logDir, 'boot-id'), { force: true });
      restart = await timedRestart({ ...common, cpuProfDir: prof('kernel-crash') });
      broker = restart.broker;
      r.kernelCrash = restart.out;
    }

    // (b) clean: SIGTERM (flush + checkpoint), then restart.
    const tStop = performance.now();
    const stopped = await broker.stop();
    r.cleanStopMs = round(performance.now() - tStop, 1);
    if (stopped.killedAfterGrace) r.failures.push('clean stop needed SIGKILL after the 15 s grace');
    broker = null;
    restart = await timedRestart({ ...common, cpuProfDir: prof('clean') });
    broker = restart.broker;
    r.clean = restart.out;
    await broker.stop();
    broker = null;
    const phases = [['unclean', r.unclean], ['kernel-crash', r.kernelCrash], ['clean', r.clean]].filter(([, x]) => x);
    for (const [name, x] of phases) for (const f of x.failures) r.failures.push(`${name} restart: ${f}`);
    r.targetMs = opts['target-seconds'] * 1000;
    // The target is judged on the restarts after a broker crash and after a clean stop; the
    // kernel-crash restart is reported beside it.
    r.meetsTarget = [r.unclean, r.clean].every((x) => Math.max(x.readyMs, x.listOffsetsMs, x.tailFetchMs) <= r.targetMs);
    if (r.kernelCrash) r.kernelCrashMeetsTarget = Math.max(r.kernelCrash.readyMs, r.kernelCrash.listOffsetsMs, r.kernelCrash.tailFetchMs) <= r.targetMs;
  } catch (err) {
    r.failures.push(err.message);
    if (broker) r.brokerLogTail = broker.logTail().split('\n').slice(-8).join('\n');
  } finally {
    for (const c of clients) c.close();
    if (broker) await broker.stop();
    rmSync(logDir, { recursive: true, force: true });
  }
  r.ok = r.failures.length === 0;
  return r;
}

export async function runRecovery(o = {}) {
  const opts = { ...RECOVERY_DEFAULTS, ...o };
  const q = opts.quick === true;
  const sizes = o.sizesGB ?? (opts.sizes ? String(opts.sizes).split(',').map(Number) : q ? [0.25, 1] : [1, 10]);
  const res = { workload: 'recovery', quick: q, ok: true, failures: [], options: { ...opts, sizes }, runs: [] };
  const t0 = performance.now();
  for (const s of sizes) {
    const r = await runSize(s, opts);
    res.runs.push(r);
    if (!r.ok) res.failures.push(`${s} GiB: ${r.failures[0]}`);
  }
  res.ok = res.failures.length === 0;
  res.seconds = round((performance.now() - t0) / 1000, 1);
  return res;
}

const sec = (ms) => (ms === null || ms === undefined ? '—' : `${fmt(ms / 1000, 2)} s`);

export function printRecovery(res) {
  console.log('recovery: restart time (spawn → broker ready / → ListOffsets = records written / → tail Fetch of every partition)');
  for (const r of res.runs) {
    if (!r.ok) {
      console.log(`  ${r.sizeGB} GiB: FAILURE\n    ${r.failures.join('\n    ')}`);
      if (r.brokerLogTail) console.log(r.brokerLogTail);
      continue;
    }
    console.log(`  ${r.sizeGB} GiB (${fmt(r.logBytes / GiB, 2)} GiB on disk, ${r.segments} segments, ${r.partitions} partitions, ${fmt(r.records)} records; filled in ${r.fillSeconds} s at ${fmt(r.fillMBps, 0)} MiB/s):`);
    for (const [name, x] of [['after SIGKILL', r.unclean], ['kernel crash', r.kernelCrash], ['after SIGTERM', r.clean]]) {
      if (!x) continue;
      console.log(`    ${name.padEnd(14)} ready ${sec(x.readyMs)} (broker's own: recovered ${sec(x.brokerRecoveredMs)}, ready ${sec(x.brokerReadyMs)}), ListOffsets ${sec(x.listOffsetsMs)}, tail fetch ${sec(x.tailFetchMs)}; page cache trusted: ${x.pageCacheTrusted}; RSS ${fmt(x.rssBytes / MiB, 0)} MiB`);
    }
    const kc = r.kernelCrash ? ` (after a simulated kernel crash: ${r.kernelCrashMeetsTarget ? 'met' : 'MISSED'})` : '';
    console.log(`    clean stop took ${sec(r.cleanStopMs)}; target ≤ ${sec(r.targetMs)} after SIGKILL and SIGTERM: ${r.meetsTarget ? 'met' : 'MISSED'}${kc}; verified: high watermarks = records written, last record of every partition read back`);
  }
  console.log(res.ok ? `recovery: ok (${res.seconds} s)` : `recovery: FAILURE\n  ${res.failures.join('\n  ')}`);
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), RECOVERY_DEFAULTS);
  const r = await runRecovery(opts);
  printRecovery(r);
  const file = writeResult('recovery', { machine: machineInfo(), recovery: r });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  process.exitCode = r.ok ? 0 : 1;
}
