// Thread: main (bench). Ingest through real Kafka clients (issue 5, workload 1): librdkafka and
// KafkaJS producing 100-byte records (null keys) with acks=1 and acks=all into a 4-partition
// topic, each run against its own freshly started broker (127.0.0.1, fresh log directory,
// stopped by PID). Every run is bounded in count and time (--max-seconds, default 60: a run
// that has not finished by then is killed and reported as a FAILURE), and verified: the sum of
// ListOffsets(latest) over the partitions must equal the records produced exactly (a lost or
// duplicated record, a delivery error or a non-zero exit is a FAILURE, not a figure).
//
// librdkafka: its own `rdkafka_performance` example, built once from the source Debian's
// librdkafka-dev ships (lib/rdkafka-build.mjs), tuned the way a user wanting throughput would
// (linger.ms 20, batch.size 1,000,000, a queue big enough for the whole run, no compression,
// idempotence off = librdkafka 2.0.2's default). Records/s and payload MB/s come from its final
// summary (first produce() call → last delivery report); wall time (process start → exit) is
// measured too. Without gcc / librdkafka-dev it falls back to `kcat -P -l <file of N lines of
// 100 bytes>` (wall time only), and is skipped with the reason when neither exists. The client's
// CPU is its user+system time, read with the shell's `times` after it exits.
//
// KafkaJS (node_modules): one producer in this process, send() of 10,000-message arrays with 4
// calls in flight (round-robin partitioner), no compression, not idempotent; a 1,000-record
// warm-up first (counted in the verification, not in the timing). Client CPU = this process.
//
// MiB/s counts record-batch bytes as everywhere in bench/: the sizes of the topic's .log segment
// files after the run (what the clients' batches occupy on disk), so the figure is comparable
// with produce.mjs; the tool's payload-only MB/s is kept as payloadMBps.
//
// Usage: node bench/clients.mjs [--quick] [--acks=1,all] [--only=rdkafka,kafkajs]
//          [--rdkafka-records=2000000] [--kafkajs-records=500000] [--partitions=4]
//          [--linger-ms=20] [--batch-size=1000000] [--idempotence]
//          [--rdkafka-tool=auto|perf|kcat|none] [--rdkafka-debug=protocol,broker]
//          [--kafkajs-batch=10000] [--kafkajs-inflight=4] [--max-seconds=60]
//          [--worker-threads=N] [--port=P (use a running broker)]
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MiB, fmt, isMain, parseArgs } from './lib/cli.mjs';
import { startBroker } from './lib/broker.mjs';
import { KafkaClient, createTopic, listOffsets } from './lib/kafka-client.mjs';
import { buildRdkafkaPerformance, findKcat, rdkafkaPerformanceVersion } from './lib/rdkafka-build.mjs';
import { CpuMeter, REPO_DIR, machineInfo, round, writeResult } from './lib/results.mjs';

export const CLIENTS_DEFAULTS = {
  quick: false,
  /** Comma-separated acks settings (runClients also takes acksList). */
  acks: '1,all',
  /** Comma-separated client families to run. */
  only: 'rdkafka,kafkajs',
  /** Records per librdkafka run (0: 2,000,000; quick 300,000). */
  'rdkafka-records': 0,
  /** Records per KafkaJS run, warm-up excluded (0: 500,000; quick 100,000). */
  'kafkajs-records': 0,
  partitions: 4,
  'record-bytes': 100,
  'linger-ms': 20,
  'batch-size': 1_000_000,
  idempotence: false,
  /** auto: rdkafka_performance, else kcat, else skipped; perf / kcat: only that tool; none: skip. */
  'rdkafka-tool': 'auto',
  /** librdkafka debug contexts (-d), e.g. protocol,broker: the stderr tail is kept in the result. */
  'rdkafka-debug': '',
  'kafkajs-batch': 10_000,
  'kafkajs-inflight': 4,
  'kafkajs-warmup': 1_000,
  /** Per run: not finished by then → killed, FAILURE. */
  'max-seconds': 60,
  'worker-threads': 0,
  port: 0,
};

// Ephemeral operator HTTP port: several brokers (other benches, other people's) can run at once.
const BROKER_CONFIG = { 'http.listeners': '127.0.0.1:0' };
const acksName = (a) => (String(a) === '-1' || String(a) === 'all' ? 'all' : '1');
const acksWire = (a) => (acksName(a) === 'all' ? '-1' : '1');

// ---- child processes with their CPU time --------------------------------------------------

const liveChildren = new Set();
process.on('exit', () => {
  for (const pid of liveChildren) killTree(pid);
});

/** SIGKILL the child processes of `pid` (from /proc), then `pid` itself: all started by us. */
function killTree(pid) {
  try {
    for (const c of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) process.kill(Number(c), 'SIGKILL');
  } catch {
    // no /proc or already gone
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Run `cmd args` under /bin/sh, which afterwards prints its children's CPU times (POSIX `times`,
 * second line: user and system) on fd 3. Killed after timeoutMs. Resolves
 * { exitCode, signal, timedOut, wallSeconds, cpuSeconds, stdout, stderrLines (last 400) }.
 */
export function runMeasured(cmd, args, { timeoutMs }) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn('/bin/sh', ['-c', '"$0" "$@"; rc=$?; times >&3; exit $rc', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    liveChildren.add(child.pid);
    let stdout = '';
    let times = '';
    let errBuf = '';
    const stderrLines = [];
    child.stdout.setEncoding('utf8').on('data', (s) => {
      stdout += s;
      if (stdout.length > 1e6) stdout = stdout.slice(-5e5);
    });
    child.stdio[3].setEncoding('utf8').on('data', (s) => (times += s));
    child.stderr.setEncoding('utf8').on('data', (s) => {
      errBuf += s;
      const lines = errBuf.split('\n');
      errBuf = lines.pop();
      for (const l of lines) {
        if (l.includes('|CONFWARN|')) continue; // rdkafka_performance sets consumer properties on its producer too
        stderrLines.push(l);
        if (stderrLines.length > 400) stderrLines.shift();
      }
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child.pid);
    }, timeoutMs);
    child.on('error', (err) => stderrLines.push(`spawn: ${err.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      liveChildren.delete(child.pid);
      if (errBuf) stderrLines.push(errBuf);
      const t = [...times.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      resolve({ exitCode: code, signal, timedOut, wallSeconds: (performance.now() - t0) / 1000, cpuSeconds: t.length >= 4 ? t[2] + t[3] : null, stdout, stderrLines });
    });
  });
}

// ---- shared per-run plumbing -------------------------------------------------------------------

/** Fresh broker (unless --port), admin connection, topic; runs fn; always cleans up. */
async function withBrokerAndTopic(opts, topic, fn) {
  let broker = null;
  let admin = null;
  const out = { brokerPid: null };
  try {
    if (!(opts.port > 0)) broker = await startBroker({ workerThreads: opts['worker-threads'] || undefined, config: BROKER_CONFIG });
    const port = opts.port > 0 ? opts.port : broker.port;
    admin = await KafkaClient.connect({ port, clientId: 'strata-bench-admin' });
    await admin.apiVersions();
    await createTopic(admin, topic, opts.partitions);
    out.brokerPid = broker?.pid ?? null;
    Object.assign(out, await fn({ broker, port, admin }));
    out.brokerRssBytes = broker?.rss() ?? null;
  } catch (err) {
    out.failures = [...(out.failures ?? []), err.message];
    if (broker) out.brokerLogTail = broker.logTail();
  } finally {
    admin?.close();
    if (broker) out.brokerStop = await broker.stop();
  }
  return out;
}

/** Record-batch bytes the topic's partitions hold: sizes of <logDir>/<topic>-<p>/*.log; null without a log dir (or another layout). */
function topicLogBytes(logDir, topic, partitions) {
  if (!logDir) return null;
  let total = 0;
  try {
    for (let p = 0; p < partitions; p++) {
      const dir = path.join(logDir, `${topic}-${p}`);
      for (const f of readdirSync(dir)) if (f.endsWith('.log')) total += statSync(path.join(dir, f)).size;
    }
  } catch {
    return null;
  }
  return total > 0 ? total : null;
}

/** Common verification and figures: high watermarks must sum to `expected` exactly. */
async function verifyAndFigures({ run, admin, broker, topic, opts, expected, records, seconds }) {
  const hw = await listOffsets(admin, topic, opts.partitions, -1n);
  const total = hw.reduce((a, b) => a + b, 0);
  run.highWatermarks = hw;
  if (total !== expected) run.failures.push(`ListOffsets: the topic holds ${fmt(total)} records, ${fmt(expected)} expected (${total > expected ? 'duplicates' : 'lost records'})`);
  const batchBytes = topicLogBytes(broker?.logDir, topic, opts.partitions);
  const payload = records * opts['record-bytes'];
  Object.assign(run, {
    records,
    seconds: round(seconds, 3),
    recordsPerSec: round(records / seconds, 0),
    // MiB/s of record-batch bytes (the .log files hold exactly the batches the client sent).
    MBps: round(((batchBytes === null ? payload : batchBytes * (records / expected)) / MiB) / seconds, 1),
    MBpsBasis: batchBytes === null ? 'payload bytes (no broker log directory to measure, e.g. --port)' : 'record-batch bytes (.log segment sizes)',
    batchBytes,
    bytesPerRecord: batchBytes === null ? null : round(batchBytes / expected, 1),
  });
}

// ---- librdkafka ------------------------------------------------------------------------------------

/** Which librdkafka tool to use: { tool, binary, version, build, kcat, skipped }. */
export function chooseRdkafkaTool(which = 'auto') {
  const out = { tool: null, binary: null, version: null, build: null, kcat: null, skipped: null };
  if (which === 'none') return { ...out, skipped: 'disabled (--rdkafka-tool=none)' };
  if (which === 'auto' || which === 'perf') {
    const b = buildRdkafkaPerformance();
    out.build = b;
    if (b.ok) return { ...out, tool: 'rdkafka_performance', binary: b.binary, version: rdkafkaPerformanceVersion(b.binary) };
    if (which === 'perf') return { ...out, skipped: `rdkafka_performance unavailable: ${b.reason}` };
  }
  const k = findKcat();
  out.kcat = k;
  if (k.ok) return { ...out, tool: 'kcat', binary: k.binary, version: k.librdkafkaVersion };
  const why = [out.build && !out.build.ok ? `rdkafka_performance: ${out.build.reason}` : null, k.reason].filter(Boolean).join('; ');
  return { ...out, skipped: `no librdkafka tool: ${why}` };
}

/** librdkafka producer settings for throughput (passed as -X name=value). */
export function rdkafkaSettings(opts, acks) {
  return {
    acks: acksWire(acks),
    'linger.ms': opts['linger-ms'],
    'batch.size': opts['batch-size'],
    'queue.buffering.max.messages': 10_000_000,
    'queue.buffering.max.kbytes': 2_097_151,
    'compression.codec': 'none',
    'enable.idempotence': opts.idempotence ? 'true' : 'false',
  };
}

// "% 2000000 messages produced (200000000 bytes), 2000000 delivered (offset 562961, 0 failed) in 1136ms:
//  1760228 msgs/s and 176.02 MB/s, 0 produce failures, 0 in queue, no compression"
const SUMMARY_RE = /% (\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset (-?\d+), (\d+) failed\) in (\d+)ms: (\d+) msgs\/s and ([\d.]+) MB\/s, (\d+) produce failures, (-?\d+) in queue/;

export function parsePerfSummary(stdout) {
  const lines = stdout.split('\n').filter((l) => SUMMARY_RE.test(l));
  if (lines.length === 0) return null;
  const m = SUMMARY_RE.exec(lines[lines.length - 1]);
  return {
    line: lines[lines.length - 1].trim(),
    produced: Number(m[1]),
    bytes: Number(m[2]),
    delivered: Number(m[3]),
    failed: Number(m[5]),
    ms: Number(m[6]),
    msgsPerSec: Number(m[7]),
    MBps: Number(m[8]),
    queueFullRetries: Number(m[9]),
    inQueue: Number(m[10]),
  };
}

async function runRdkafkaOnce(opts, tool, acks, records) {
  const name = acksName(acks);
  const topic = `bench-clients-rdkafka-acks${name}-${Date.now()}`;
  const settings = rdkafkaSettings(opts, acks);
  const run = { ok: false, failures: [], acks: name, tool: tool.tool, topic, settings };
  let linesFile = null;
  const res = await withBrokerAndTopic(opts, topic, async ({ broker, port, admin }) => {
    const X = Object.entries(settings).flatMap(([k, v]) => ['-X', `${k}=${v}`]);
    const debug = opts['rdkafka-debug'] ? ['-d', opts['rdkafka-debug']] : [];
    let args;
    if (tool.tool === 'rdkafka_performance') {
      args = ['-P', '-t', topic, '-b', `127.0.0.1:${port}`, '-s', String(opts['record-bytes']), '-c', String(records), '-q', ...debug, ...X];
    } else {
      // kcat: one record per line of the file (newline-delimited, 100 bytes each).
      linesFile = path.join(os.tmpdir(), `strata-bench-kcat-${process.pid}-${Date.now()}.txt`);
      writeFileSync(linesFile, `${'x'.repeat(opts['record-bytes'])}\n`.repeat(records));
      args = ['-P', '-b', `127.0.0.1:${port}`, '-t', topic, '-q', ...debug, ...X, '-l', linesFile];
    }
    run.command = `${tool.tool === 'kcat' ? tool.binary : 'rdkafka_performance'} ${args.join(' ')}`;
    const cpu = new CpuMeter(broker?.pid);
    const child = await runMeasured(tool.binary, args, { timeoutMs: opts['max-seconds'] * 1000 });
    const usage = cpu.stop();
    const clientCores = child.cpuSeconds === null ? null : child.cpuSeconds / child.wallSeconds;
    run.cpu = {
      clientCores: round(clientCores, 2),
      clientCpuSeconds: round(child.cpuSeconds, 2),
      brokerCores: usage.brokerCores,
      machineBusyCores: usage.machineBusyCores,
      otherProcessesCores: usage.machineBusyCores === null ? null : round(Math.max(0, usage.machineBusyCores - usage.loadGeneratorCores - (usage.brokerCores ?? 0) - (clientCores ?? 0)), 2),
    };
    run.exitCode = child.exitCode;
    run.wallSeconds = round(child.wallSeconds, 3);
    run.wallRecordsPerSec = round(records / child.wallSeconds, 0);
    if (child.timedOut) run.failures.push(`${tool.tool} did not finish within ${opts['max-seconds']} s (killed)`);
    else if (child.exitCode !== 0) run.failures.push(`${tool.tool} exited with code ${child.exitCode}${child.signal ? ` (signal ${child.signal})` : ''}`);
    let seconds = child.wallSeconds;
    if (tool.tool === 'rdkafka_performance') {
      const s = parsePerfSummary(child.stdout);
      run.summary = s;
      if (!s) run.failures.push('no summary line in rdkafka_performance output');
      else {
        if (s.delivered !== records || s.failed !== 0) run.failures.push(`rdkafka_performance: ${fmt(s.delivered)} of ${fmt(records)} delivered, ${fmt(s.failed)} delivery failures`);
        seconds = s.ms / 1000;
        run.payloadMBps = s.MBps; // 10^6 bytes of payload per second, as librdkafka prints it
      }
    }
    run.timing = tool.tool === 'rdkafka_performance' ? 'first produce() → last delivery report (rdkafka_performance summary)' : 'wall: kcat start → exit (includes connecting and reading the file)';
    if (run.failures.length > 0 || opts['rdkafka-debug']) run.stderrTail = child.stderrLines.slice(run.failures.length > 0 ? -40 : -400);
    await verifyAndFigures({ run, admin, broker, topic, opts, expected: records, records, seconds });
    if (run.payloadMBps === undefined) run.payloadMBps = round((records * opts['record-bytes']) / 1e6 / seconds, 2);
    return {};
  });
  if (linesFile) rmSync(linesFile, { force: true });
  run.failures.push(...(res.failures ?? []));
  Object.assign(run, { brokerPid: res.brokerPid, brokerRssBytes: res.brokerRssBytes ?? null, brokerStop: res.brokerStop ?? null });
  if (res.brokerLogTail) run.brokerLogTail = res.brokerLogTail;
  run.ok = run.failures.length === 0;
  return run;
}

// ---- KafkaJS ----------------------------------------------------------------------------------------

function kafkajsVersion() {
  try {
    return JSON.parse(readFileSync(path.join(REPO_DIR, 'node_modules', 'kafkajs', 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

async function runKafkajsOnce(opts, kafkajs, acks, records) {
  const { Kafka, logLevel, CompressionTypes, Partitioners } = kafkajs;
  const name = acksName(acks);
  const topic = `bench-clients-kafkajs-acks${name}-${Date.now()}`;
  const per = opts['kafkajs-batch'];
  const warmup = opts['kafkajs-warmup'];
  const settings = {
    acks: Number(acksWire(acks)),
    compression: 'none',
    idempotent: false,
    messagesPerSend: per,
    sendsInFlight: opts['kafkajs-inflight'],
    maxInFlightRequests: 'unlimited (KafkaJS default)',
    partitioner: 'DefaultPartitioner (round robin for null keys)',
    warmupRecords: warmup,
  };
  const run = { ok: false, failures: [], acks: name, topic, settings };
  const res = await withBrokerAndTopic(opts, topic, async ({ broker, port, admin }) => {
    const logged = [];
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'strata-bench-kafkajs',
      logLevel: logLevel.ERROR,
      logCreator: () => ({ log }) => {
        if (logged.length < 10) logged.push(`${log.message}${log.error ? `: ${log.error}` : ''}`);
      },
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false, createPartitioner: Partitioners.DefaultPartitioner });
    const value = Buffer.alloc(opts['record-bytes'], 'x');
    const full = Array.from({ length: per }, () => ({ value }));
    try {
      await producer.connect();
      const send = (messages) => producer.send({ topic, acks: settings.acks, compression: CompressionTypes.None, messages });
      for (let w = 0; w < warmup; w += per) await send(full.slice(0, Math.min(per, warmup - w)));

      let sent = 0;
      let acked = 0;
      let stopped = false;
      let lastAck = 0;
      const cpu = new CpuMeter(broker?.pid);
      const t0 = performance.now();
      const worker = async () => {
        while (!stopped && sent < records) {
          const n = Math.min(per, records - sent);
          sent += n;
          try {
            await send(n === per ? full : full.slice(0, n));
          } catch (err) {
            if (!stopped) run.failures.push(`KafkaJS send: ${err.message}`);
            stopped = true;
            return;
          }
          acked += n;
          lastAck = performance.now();
        }
      };
      let timer;
      const deadline = new Promise((resolve) => {
        timer = setTimeout(() => resolve('timeout'), opts['max-seconds'] * 1000);
      });
      const outcome = await Promise.race([Promise.all(Array.from({ length: opts['kafkajs-inflight'] }, worker)), deadline]);
      clearTimeout(timer);
      const usage = cpu.stop();
      if (outcome === 'timeout') {
        stopped = true;
        run.failures.push(`KafkaJS did not finish within ${opts['max-seconds']} s (${fmt(acked)} of ${fmt(records)} records acknowledged)`);
      }
      run.cpu = {
        clientCores: usage.loadGeneratorCores,
        brokerCores: usage.brokerCores,
        machineBusyCores: usage.machineBusyCores,
        otherProcessesCores: usage.otherProcessesCores,
      };
      // One JavaScript thread: ~1 core, or many times the broker's CPU on a busy machine, means
      // the client, not the broker, sets the pace.
      const cc = usage.loadGeneratorCores;
      run.clientToBrokerCpu = usage.brokerCores ? round(cc / usage.brokerCores, 1) : null;
      run.clientBound = cc !== null && (cc >= 0.9 || (usage.brokerCores !== null && cc >= 4 * usage.brokerCores));
      run.timing = 'first timed send() → last acknowledgement (warm-up excluded)';
      if (acked !== records && outcome !== 'timeout') run.failures.push(`${fmt(acked)} of ${fmt(records)} records acknowledged`);
      const seconds = (lastAck - t0) / 1000;
      await verifyAndFigures({ run, admin, broker, topic, opts, expected: records + warmup, records, seconds: seconds > 0 ? seconds : (performance.now() - t0) / 1000 });
      run.payloadMBps = round((records * opts['record-bytes']) / 1e6 / run.seconds, 2);
    } finally {
      let grace;
      await Promise.race([producer.disconnect().catch(() => {}), new Promise((resolve) => (grace = setTimeout(resolve, 5000)))]);
      clearTimeout(grace);
      if (run.failures.length > 0 && logged.length > 0) run.kafkajsLog = logged;
    }
    return {};
  });
  run.failures.push(...(res.failures ?? []));
  Object.assign(run, { brokerPid: res.brokerPid, brokerRssBytes: res.brokerRssBytes ?? null, brokerStop: res.brokerStop ?? null });
  if (res.brokerLogTail) run.brokerLogTail = res.brokerLogTail;
  run.ok = run.failures.length === 0;
  return run;
}

// ---- entry points -----------------------------------------------------------------------------------

/**
 * Run the real-client ingest workloads. Options: CLIENTS_DEFAULTS (kebab-case, as on the command
 * line) plus `acksList` (e.g. ['1', 'all']). Returns
 * { ok, failures, options, rdkafka: { tool, version, skipped, build, kcat, runs: { '1': run, all: run } },
 *   kafkajs: { version, skipped, runs } } where run = { ok, failures, records, seconds,
 * recordsPerSec, MBps, payloadMBps, cpu: { clientCores, brokerCores, otherProcessesCores, … },
 * settings, highWatermarks, wallSeconds, … }.
 */
export async function runClients({ acksList, ...o } = {}) {
  const opts = { ...CLIENTS_DEFAULTS, ...o };
  const acks = (acksList ?? String(opts.acks).split(',')).map((a) => acksName(String(a).trim()));
  const only = new Set(String(opts.only).split(',').map((s) => s.trim()).filter(Boolean));
  const rdRecords = opts['rdkafka-records'] || (opts.quick ? 300_000 : 2_000_000);
  const kjRecords = opts['kafkajs-records'] || (opts.quick ? 100_000 : 500_000);
  const result = { workload: 'clients', ok: false, failures: [], options: { ...opts, acksList: acks, rdkafkaRecords: rdRecords, kafkajsRecords: kjRecords }, recordBytes: opts['record-bytes'], partitions: opts.partitions };

  result.rdkafka = { tool: null, version: null, skipped: 'not requested (--only)', build: null, runs: {} };
  if (only.has('rdkafka')) {
    const tool = chooseRdkafkaTool(opts['rdkafka-tool']);
    result.rdkafka = { tool: tool.tool, version: tool.version, skipped: tool.skipped, build: tool.build, kcat: tool.kcat, idempotence: opts.idempotence, records: rdRecords, runs: {} };
    if (!tool.skipped) {
      for (const a of acks) {
        if (opts.idempotence && a !== 'all') {
          result.rdkafka.runs[a] = { ok: true, failures: [], acks: a, skipped: 'librdkafka refuses enable.idempotence=true unless acks=all' };
          continue;
        }
        const r = await runRdkafkaOnce(opts, tool, a, rdRecords);
        result.rdkafka.runs[a] = r;
        for (const f of r.failures) result.failures.push(`librdkafka acks=${a}: ${f}`);
      }
    }
  }

  result.kafkajs = { version: null, skipped: 'not requested (--only)', runs: {} };
  if (only.has('kafkajs')) {
    let kafkajs = null;
    try {
      kafkajs = (await import('kafkajs')).default;
    } catch (err) {
      result.kafkajs = { version: null, skipped: `kafkajs not installed (npm install): ${err.message}`, runs: {} };
    }
    if (kafkajs) {
      result.kafkajs = { version: kafkajsVersion(), skipped: null, records: kjRecords, runs: {} };
      for (const a of acks) {
        const r = await runKafkajsOnce(opts, kafkajs, a, kjRecords);
        result.kafkajs.runs[a] = r;
        for (const f of r.failures) result.failures.push(`KafkaJS acks=${a}: ${f}`);
      }
    }
  }
  result.ok = result.failures.length === 0;
  return result;
}

function printRun(label, r) {
  if (r.skipped) {
    console.log(`  ${label}: skipped — ${r.skipped}`);
    return;
  }
  if (!r.ok) {
    console.log(`  ${label}: FAILURE\n    ${r.failures.join('\n    ')}`);
    if (r.stderrTail?.length) console.log(`    stderr (last lines):\n      ${r.stderrTail.slice(-20).join('\n      ')}`);
    if (r.kafkajsLog) console.log(`    KafkaJS log:\n      ${r.kafkajsLog.join('\n      ')}`);
    if (r.brokerLogTail) console.log(r.brokerLogTail);
    return;
  }
  const c = r.cpu;
  const wall = r.wallSeconds !== undefined && r.wallSeconds !== r.seconds ? `; wall ${r.wallSeconds} s = ${fmt(r.wallRecordsPerSec)} rec/s` : '';
  console.log(`  ${label}: ${fmt(r.recordsPerSec)} records/s, ${fmt(r.MBps, 1)} MiB/s (${fmt(r.records)} records in ${r.seconds} s${wall})`);
  console.log(`    cpu: client ${c.clientCores} cores${r.clientBound ? ` (client-bound: ${r.clientToBrokerCpu ?? '—'}× the broker's CPU)` : ''}, broker ${c.brokerCores}, other processes ${c.otherProcessesCores}; ${r.bytesPerRecord ?? '—'} batch bytes/record`);
}

export function printClients(res) {
  console.log(`clients: real Kafka clients, ${res.recordBytes}-byte records, null keys, ${res.partitions} partitions, fresh broker per run`);
  const rd = res.rdkafka;
  if (rd.skipped) console.log(`  librdkafka: skipped — ${rd.skipped}`);
  else {
    const s = Object.values(rd.runs).find((r) => r.settings)?.settings;
    const set = s ? Object.entries(s).filter(([k]) => k !== 'acks').map(([k, v]) => `${k}=${v}`).join(' ') : '';
    console.log(`  librdkafka ${rd.version ?? '?'} via ${rd.tool}${rd.tool === 'kcat' && rd.kcat?.version ? ` ${rd.kcat.version}` : ''}${rd.build?.ok ? (rd.build.cached ? ' (cached build)' : ` (built in ${rd.build.seconds} s)`) : ''}: ${set}`);
    for (const [a, r] of Object.entries(rd.runs)) printRun(`librdkafka acks=${a}`, r);
  }
  const kj = res.kafkajs;
  if (kj.skipped) console.log(`  KafkaJS: skipped — ${kj.skipped}`);
  else {
    const s = Object.values(kj.runs)[0]?.settings;
    console.log(`  KafkaJS ${kj.version ?? '?'}: send() of ${fmt(s?.messagesPerSend)} messages, ${s?.sendsInFlight} in flight, no compression, not idempotent`);
    for (const [a, r] of Object.entries(kj.runs)) printRun(`KafkaJS acks=${a}`, r);
  }
  const runs = [...Object.values(rd.runs ?? {}), ...Object.values(kj.runs ?? {})];
  if (runs.length > 0 && res.ok) console.log('  verified: ListOffsets(latest) summed over the partitions = records produced, in every run');
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), CLIENTS_DEFAULTS);
  const r = await runClients(opts);
  printClients(r);
  const file = writeResult('clients', { machine: machineInfo(), clients: r });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  process.exitCode = r.ok ? 0 : 1;
}
