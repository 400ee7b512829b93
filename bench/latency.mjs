// Thread: main (bench). End-to-end latency at a fixed rate, free of coordinated omission.
// A producer connection sends one small batch per tick (default 1 ms; --rate records/s spread
// over the ticks, acks=1) on an absolute schedule: tick k is due at T0 + k·tick, and every
// record carries its tick's *scheduled* time in its value, so a stalled producer, broker or
// consumer shows up as latency instead of silently lowering the rate. A consumer connection
// long-polls Fetch (maxWaitMs 500, minBytes 1) and, for each batch, records now − scheduled
// time for each of its records. Records scheduled during the warm-up are counted but not
// measured. sent == acknowledged == received and no duplicates, or the run is a FAILURE.
//
// Usage: node bench/latency.mjs [--rate=10000] [--seconds=10] [--warmup=2] [--tick-ms=1]
//          [--partitions=1] [--record-bytes=100] [--worker-threads=N] [--port=P]
//          [--slow-log=FILE (JSON lines of every batch slower than --slow-ms=1: scheduled, actual
//          send and receive times in process.hrtime milliseconds, to line up with broker events)]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { MiB, fmt, isMain, parseArgs } from './lib/cli.mjs';
import { startBroker } from './lib/broker.mjs';
import { Histogram } from './lib/histogram.mjs';
import { ApiKey, createTopic, fetchBody, produceBody, topicId } from './lib/kafka-client.mjs';
import { CpuMeter, machineInfo, round, writeResult } from './lib/results.mjs';
import { connectAll } from './produce.mjs';
import { Worker } from 'node:worker_threads';
import { histogramFromData } from './lib/histogram.mjs';
import { VALUE_HEADER } from './lib/latency-producer-layout.mjs';

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

export const LATENCY_DEFAULTS = {
  rate: 10000,
  seconds: 10,
  warmup: 2,
  'tick-ms': 1,
  partitions: 1,
  'record-bytes': 100,
  'max-wait-ms': 500,
  'drain-seconds': 10,
  'max-inflight': 20000,
  'fetch-version': 12,
  'worker-threads': 0,
  port: 0,
  'cpu-prof-dir': '',
  'slow-log': '',
  'slow-ms': 1,
};


function readVarint(buf, pos) {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    const b = buf[pos++];
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return [result % 2 === 0 ? result / 2 : -(result + 1) / 2, pos];
    mul *= 128;
  }
  throw new Error('bad varint');
}

/** Position of the first record's value inside the batch at `pos` (uncompressed batches only). */
function firstValueAt(buf, pos) {
  let p = pos + 61;
  [, p] = readVarint(buf, p); // record length
  p += 1; // attributes
  [, p] = readVarint(buf, p); // timestampDelta
  [, p] = readVarint(buf, p); // offsetDelta
  let keyLen;
  [keyLen, p] = readVarint(buf, p);
  if (keyLen > 0) p += keyLen;
  let valueLen;
  [valueLen, p] = readVarint(buf, p);
  if (valueLen < VALUE_HEADER) throw new Error(`record value of ${valueLen} bytes is too short`);
  return p;
}

export async function runLatency(o = {}) {
  const opts = { ...LATENCY_DEFAULTS, ...o };
  const result = { workload: 'latency', ok: false, failures: [], options: opts };
  const tickMs = Math.max(opts['tick-ms'], 1000 / opts.rate);
  const perTick = Math.max(1, Math.round((opts.rate * tickMs) / 1000));
  const totalTicks = Math.round(((opts.warmup + opts.seconds) * 1000) / tickMs);
  const warmupTicks = Math.round((opts.warmup * 1000) / tickMs);
  Object.assign(result, { tickMs, recordsPerTick: perTick, effectiveRate: round((perTick * 1000) / tickMs, 0) });

  let broker = null;
  const clients = [];
  let worker;
  try {
    if (!(opts.port > 0)) broker = await startBroker({ workerThreads: opts['worker-threads'] || undefined, cpuProfDir: opts['cpu-prof-dir'] || undefined });
    const port = opts.port > 0 ? opts.port : broker.port;
    const [admin, consumer] = await connectAll(port, 2, 'strata-bench-latency');
    clients.push(admin, consumer);
    const topic = `bench-latency-${Date.now()}`;
    await createTopic(admin, topic, opts.partitions);
    const id = await topicId(admin, topic);
    const produceVersion = admin.pickVersion(ApiKey.Produce, 9);
    const fetchVersion = admin.pickVersion(ApiKey.Fetch, opts['fetch-version']);
    Object.assign(result, { topic, produceVersion, fetchVersion });

    const e2e = new Histogram(); // scheduled send → consumed
    const slow = opts['slow-log'] ? [] : null;
    const fromSend = new Histogram(); // actual send → consumed
    const seen = new Uint8Array(totalTicks);
    let sent = 0;
    let acked = 0;
    let received = 0;
    let duplicates = 0;
    let maxInflight = 0;
    let producerFinished = false;
    const failures = result.failures;

    const consumed = new Promise((resolve) => {
      const offsets = new Array(opts.partitions).fill(0);
      let drainDeadline = Infinity;
      const loop = async () => {
        while (failures.length === 0) {
          if (producerFinished && received >= acked) return resolve();
          if (nowMs() > drainDeadline) {
            failures.push(`consumer received ${received} of ${acked} acknowledged records ${opts['drain-seconds']} s after the producer stopped`);
            return resolve();
          }
          if (producerFinished && drainDeadline === Infinity) drainDeadline = nowMs() + opts['drain-seconds'] * 1000;
          let res;
          try {
            res = await consumer.request(
              ApiKey.Fetch,
              fetchVersion,
              fetchBody({ topic, topicId: id, partitions: offsets.map((fetchOffset, partition) => ({ partition, fetchOffset })), maxWaitMs: opts['max-wait-ms'], minBytes: 1, maxBytes: 10 * MiB, partitionMaxBytes: 10 * MiB }),
            );
          } catch (err) {
            failures.push(`fetch: ${err.message}`);
            return resolve();
          }
          const now = nowMs();
          for (const t of res.responses) {
            for (const pd of t.partitions) {
              if (pd.errorCode !== 0) {
                failures.push(`fetch partition ${pd.partitionIndex}: error ${pd.errorCode}`);
                continue;
              }
              const buf = pd.records;
              if (!buf) continue;
              let pos = 0;
              while (pos + 61 <= buf.length) {
                const size = buf.readInt32BE(pos + 8) + 12;
                if (pos + size > buf.length) break;
                const baseOffset = buf.readUInt32BE(pos) * 0x100000000 + buf.readUInt32BE(pos + 4);
                const count = buf.readInt32BE(pos + 57);
                const next = baseOffset + buf.readInt32BE(pos + 23) + 1;
                if (next > offsets[pd.partitionIndex]) {
                  const v = firstValueAt(buf, pos);
                  const scheduled = buf.readDoubleBE(v);
                  const actual = buf.readDoubleBE(v + 8);
                  const tick = buf.readUInt32BE(v + 16);
                  if (seen[tick]) duplicates += count;
                  else {
                    seen[tick] = 1;
                    received += count;
                    if (tick >= warmupTicks) {
                      if (slow && now - scheduled > opts['slow-ms']) slow.push([round(scheduled, 3), round(actual, 3), round(now, 3)]);
                      e2e.record((now - scheduled) * 1000, count);
                      fromSend.record((now - actual) * 1000, count);
                    }
                  }
                  offsets[pd.partitionIndex] = next;
                }
                pos += size;
              }
            }
          }
        }
        resolve();
      };
      loop();
    });

    // The producer runs on its own thread (lib/latency-producer.mjs): precise ticks there cannot
    // be delayed by the consumer here, and vice versa.
    const cpu = new CpuMeter(broker?.pid);
    worker = new Worker(new URL('./lib/latency-producer.mjs', import.meta.url), {
      workerData: { port, topic, partitions: opts.partitions, produceVersion, perTick, tickMs, totalTicks, warmupTicks, recordBytes: opts['record-bytes'], maxInflight: opts['max-inflight'], drainSeconds: opts['drain-seconds'] },
    });
    const T0 = await new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (m) => {
        if (m.type !== 'ready') return reject(new Error(`unexpected message from producer: ${m.type}`));
        const t = nowMs() + 50;
        worker.postMessage({ type: 'start', T0: t });
        resolve(t);
      });
    });
    const done = await new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', resolve);
      const guard = setTimeout(() => reject(new Error('producer thread did not finish in time')), (opts.warmup + opts.seconds + opts['drain-seconds'] + 30) * 1000);
      guard.unref();
    });
    await worker.terminate();
    worker = undefined;
    const sendSeconds = (done.lastSend - T0) / 1000 + tickMs / 1000;
    sent = done.sent;
    acked = done.acked;
    maxInflight = done.maxInflight;
    failures.push(...done.failures);
    const sendLag = histogramFromData(done.sendLag);
    const ackLatency = histogramFromData(done.ackLatency);
    producerFinished = true;
    await consumed;
    const usage = cpu.stop();

    if (slow) writeFileSync(opts['slow-log'], slow.map((x) => JSON.stringify(x)).join('\n'));
    if (sent !== acked) failures.push(`sent ${sent} records but ${acked} were acknowledged`);
    if (received !== acked) failures.push(`${acked} records acknowledged but ${received} received`);
    if (duplicates > 0) failures.push(`${duplicates} records received twice`);
    Object.assign(result, {
      ok: failures.length === 0,
      sent,
      acked,
      received,
      duplicates,
      measured: e2e.count,
      sendSeconds: round(sendSeconds, 3),
      achievedRate: round(sent / sendSeconds, 0),
      maxProduceInflight: maxInflight,
      endToEnd: e2e.summaryMs(),
      endToEndCurve: e2e.curveMs(),
      fromActualSend: fromSend.summaryMs(),
      sendLag: sendLag.summaryMs(),
      produceAck: ackLatency.summaryMs(),
      cpu: usage,
    });
  } catch (err) {
    result.failures.push(err.message);
    if (broker) result.brokerLogTail = broker.logTail();
  } finally {
    if (worker) await worker.terminate();
    for (const c of clients) c.close();
    if (broker) result.brokerStop = await broker.stop();
  }
  return result;
}

export function printLatency(r) {
  const name = `latency @ ${fmt(r.options.rate)} records/s`;
  if (!r.ok) {
    console.log(`${name}: FAILURE\n  ${r.failures.join('\n  ')}`);
    if (r.brokerLogTail) console.log(r.brokerLogTail);
    return;
  }
  const l = r.endToEnd;
  console.log(`${name}: end-to-end p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, p99.9 ${l.p999Ms} ms, max ${l.maxMs} ms (${fmt(l.count)} records measured)`);
  const s = r.sendLag;
  const a = r.fromActualSend;
  console.log(`  of which send lag (timer) p50 ${s.p50Ms} / p99 ${s.p99Ms} / max ${s.maxMs} ms; from actual send p50 ${a.p50Ms} / p99 ${a.p99Ms} / p99.9 ${a.p999Ms} ms`);
  console.log(`  produce ack (from schedule) p50 ${r.produceAck.p50Ms} / p99 ${r.produceAck.p99Ms} ms; ${r.recordsPerTick} records every ${r.tickMs} ms; cpu: broker ${r.cpu.brokerCores}, load generator ${r.cpu.loadGeneratorCores}, other processes ${r.cpu.otherProcessesCores} cores`);
  console.log(`  verified: sent ${fmt(r.sent)} = acknowledged ${fmt(r.acked)} = received ${fmt(r.received)}, no duplicates`);
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), LATENCY_DEFAULTS);
  const r = await runLatency(opts);
  printLatency(r);
  const file = writeResult('latency', { machine: machineInfo(), latency: r });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  process.exitCode = r.ok ? 0 : 1;
}
