// Thread: main (bench). The cost of SMALL requests (issue 13): single-record Produce requests
// and 1-record tail fetches, where the per-request overhead, not the bytes, is what the broker
// pays for. Each run gets a freshly started broker (127.0.0.1, fresh log directory, stopped by
// PID); every run is bounded in count and time. Broker CPU is read from /proc/<pid>/stat
// (utime + stime) over the measured window, and µs/request = broker CPU seconds / requests
// × 1e6. Request counts are also read from the broker's own /metrics (the _count of
// strata_request_duration_seconds per API) before and after the window.
//
// Parts (--only=raw,rdkafka,kafkajs,fetch,latency):
//   raw      a pipelined load generator: pre-encoded single-record Produce requests (acks=1,
//            100-byte value), 1 / 4 / 16 connections × 64 in flight, round robin over 4
//            partitions, for --seconds; requests sent in one turn leave in one write so the
//            generator's own syscalls stay small. Verified: errorCode 0, dense baseOffsets,
//            ListOffsets(latest) = requests acknowledged.
//   rdkafka  1 / 4 / 16 concurrent `rdkafka_performance -P -s 100 -a 1 -X linger.ms=0
//            -X batch.num.messages=1 -X max.in.flight=64` processes (built by
//            lib/rdkafka-build.mjs, as bench/clients.mjs does); requests/s = records delivered
//            / the slowest process's produce window. Verified: every process delivered all its
//            records and exited 0, ListOffsets sum = records.
//   kafkajs  one KafkaJS producer doing single-message send()s, one at a time and 64 in
//            flight. Verified: ListOffsets sum = sends acknowledged.
//   fetch    16 consumers long-poll (maxWaitMs 500, minBytes 1, no fetch session) one partition
//            each of a 16-partition topic while a producer sends single records at a fixed rate
//            (absolute 1 ms schedule; each Produce request carries a one-record batch for every
//            partition, so the producer's own request cost stays small beside the fetches). The same
//            producer alone first (on another topic, same broker) gives the baseline CPU;
//            broker µs per fetch = (broker cores with consumers − baseline) / fetches per s.
//            Verified: each consumer read every record of its partition, no gap or overlap.
//   latency  bench/latency.mjs at 10,000 records/s: one record per request (a 0.1 ms tick)
//            beside 10 records per request (1 ms tick).
//
// Usage: node bench/small-requests.mjs [--quick] [--only=raw,rdkafka,kafkajs,fetch,latency]
//          [--connections=1,4,16] [--seconds=S (raw)] [--inflight=64 (raw, per connection)]
//          [--cpu-prof-dir=DIR (profile every broker started: main thread and worker slots)]
//          [--fetch-rate=R] [--fetch-partitions=P]
//          [--max-seconds=120 (per run)] [--worker-threads=N]
import { scheduledProducer } from './lib/scheduled-producer.mjs';
import path from 'node:path';
import { MiB, fmt, isMain, parseArgs, sleep } from './lib/cli.mjs';
import { buildBatch, walkBatches } from './lib/batches.mjs';
import { startBroker } from './lib/broker.mjs';
import { drive } from './lib/drive.mjs';
import { ApiKey, KafkaClient, createTopic, fetchBody, listOffsets, produceBody, topicId } from './lib/kafka-client.mjs';
import { CpuMeter, REPO_DIR, machineInfo, processCpuSeconds, round, writeResult } from './lib/results.mjs';
import { CONNECTION_COUNTS, aggregatePerf, denseOffsetsProblem, microsPerRequest, rdkafkaSmallArgs, requestCountFromMetrics, smallPlan } from './lib/small-requests-math.mjs';
import { chooseRdkafkaTool, parsePerfSummary, runMeasured } from './clients.mjs';
import { printLatency, runLatency } from './latency.mjs';
import { readFileSync } from 'node:fs';

export const SMALL_DEFAULTS = {
  quick: false,
  only: 'raw,rdkafka,kafkajs,fetch,latency',
  connections: CONNECTION_COUNTS.join(','),
  /** Raw produce seconds per connection count (0: plan's). */
  seconds: 0,
  /** Raw produce requests in flight per connection (0: plan's 64). */
  inflight: 0,
  'max-requests': 5_000_000,
  'fetch-rate': 0,
  'fetch-partitions': 0,
  'record-bytes': 100,
  'max-seconds': 120,
  'worker-threads': 0,
  /** Profile each broker started (node --cpu-prof into this directory); '' = off. */
  'cpu-prof-dir': '',
};

// ---- broker with its metrics endpoint ---------------------------------------------------------

/** Fresh broker + admin connection; fn({ broker, port, admin, metrics }) ; always cleaned up. */
export async function withBroker(opts, fn) {
  let broker = null;
  let admin = null;
  const out = { failures: [] };
  try {
    broker = await startBroker({ workerThreads: opts['worker-threads'] || undefined, cpuProfDir: opts['cpu-prof-dir'] || undefined });
    admin = await KafkaClient.connect({ port: broker.port, clientId: 'strata-bench-admin' });
    await admin.apiVersions();
    const httpPort = await httpPortOf(broker);
    const metrics = async () => {
      if (!httpPort) return null;
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
        return res.ok ? await res.text() : null;
      } catch {
        return null;
      }
    };
    Object.assign(out, await fn({ broker, port: broker.port, admin, metrics }));
    out.brokerPid = broker.pid;
    out.brokerRssBytes = broker.rss();
  } catch (err) {
    out.failures.push(err.message);
    if (broker) out.brokerLogTail = broker.logTail();
  } finally {
    admin?.close();
    if (broker) out.brokerStop = await broker.stop();
  }
  return out;
}

/** The operator HTTP port from the broker's "http listening" log line (waits up to 3 s); null if none. */
async function httpPortOf(broker) {
  for (let i = 0; i < 30; i++) {
    for (const line of broker.logTail().split('\n')) {
      if (!line.includes('http listening')) continue;
      try {
        const rec = JSON.parse(line);
        if (rec.port) return rec.port;
      } catch {
        // not JSON
      }
    }
    await sleep(100);
  }
  return null;
}

/**
 * Runs fn() as the measured window: broker CPU seconds (/proc) and the Produce/Fetch requests
 * the broker counted over it, plus CpuMeter's cores (load generator, other processes).
 */
export async function measured(broker, metrics, fn) {
  const before = await metrics();
  const cpu = new CpuMeter(broker.pid);
  const c0 = processCpuSeconds(broker.pid);
  const t0 = performance.now();
  const value = await fn(t0);
  const c1 = processCpuSeconds(broker.pid);
  const usage = cpu.stop();
  const wallSeconds = (performance.now() - t0) / 1000;
  const after = await metrics();
  const diff = (api) => {
    const a = requestCountFromMetrics(after, api);
    const b = requestCountFromMetrics(before, api);
    return a === null || b === null ? null : a - b;
  };
  return { value, wallSeconds, brokerCpuSeconds: c0 === null || c1 === null ? null : c1 - c0, usage, brokerProduceRequests: diff('Produce'), brokerFetchRequests: diff('Fetch') };
}

export const connectN = async (port, n, clientId) => {
  const cs = await Promise.all(Array.from({ length: n }, () => KafkaClient.connect({ port, clientId })));
  await Promise.all(cs.map((c) => c.apiVersions()));
  return cs;
};

// ---- (a) raw single-record produce -----------------------------------------------------------

async function runRaw(opts, plan, connections) {
  const run = { ok: false, failures: [], connections, inflight: plan.inflight, partitions: plan.partitions };
  const res = await withBroker(opts, async ({ broker, port, admin, metrics }) => {
    const topic = `bench-small-raw-${connections}-${Date.now()}`;
    await createTopic(admin, topic, plan.partitions);
    const version = admin.pickVersion(ApiKey.Produce, 9);
    const { batch } = buildBatch({ count: 1, recordBytes: opts['record-bytes'] });
    const tpls = Array.from({ length: plan.partitions }, (_, p) => admin.encode(ApiKey.Produce, version, produceBody({ topic, acks: 1, batches: [{ partition: p, records: batch }] })));
    const conns = (await connectN(port, connections, 'strata-bench-small')).map((c) => c.coalesceWrites());
    const offsets = Array.from({ length: plan.partitions }, () => []);
    const errorCodes = {};
    const rr = conns.map(() => 0);
    let sent = 0;
    let acked = 0;
    let lastAck = 0;
    try {
      const m = await measured(broker, metrics, (t0) =>
        drive({
          clients: conns,
          inflight: plan.inflight,
          untilMs: t0 + plan.seconds * 1000,
          next(ci) {
            if (sent >= opts['max-requests']) return null;
            sent++;
            const p = (ci + rr[ci]++) % plan.partitions;
            return { tpl: tpls[p], partition: p };
          },
          onResponse(job, { response }) {
            const pr = response.responses[0].partitionResponses[0];
            if (pr.errorCode !== 0) {
              errorCodes[pr.errorCode] = (errorCodes[pr.errorCode] ?? 0) + 1;
              return;
            }
            offsets[pr.index].push(Number(pr.baseOffset));
            acked++;
            lastAck = performance.now();
          },
        }).then((d) => ({ ...d, t0 })),
      );
      const d = m.value;
      if (d.errors.length) run.failures.push(...d.errors.slice(0, 5));
      if (d.timedOut) run.failures.push(`${d.outstanding} request(s) unanswered 30 s after the load stopped`);
      if (Object.keys(errorCodes).length) run.failures.push(`partition errors by code: ${JSON.stringify(errorCodes)}`);
      const hw = await listOffsets(admin, topic, plan.partitions, -1n);
      for (let p = 0; p < plan.partitions; p++) {
        const problem = denseOffsetsProblem(offsets[p], 1);
        if (problem) run.failures.push(`partition ${p}: ${problem}`);
        if (hw[p] !== offsets[p].length) run.failures.push(`partition ${p}: high watermark ${hw[p]} != ${offsets[p].length} requests acknowledged`);
      }
      const seconds = (lastAck - d.t0) / 1000;
      Object.assign(run, {
        topic,
        produceVersion: version,
        requests: acked,
        seconds: round(seconds, 3),
        requestsPerSec: round(acked / seconds, 0),
        brokerCpuSeconds: round(m.brokerCpuSeconds, 2),
        brokerCores: m.usage.brokerCores,
        brokerMicrosPerRequest: microsPerRequest(m.brokerCpuSeconds, acked),
        brokerCountedProduceRequests: m.brokerProduceRequests,
        cpu: m.usage,
        highWatermarks: hw,
      });
      if (m.brokerProduceRequests !== null && m.brokerProduceRequests !== sent) run.warnings = [`broker /metrics counted ${m.brokerProduceRequests} Produce requests, the generator sent ${sent}`];
    } finally {
      for (const c of conns) c.close();
    }
    return {};
  });
  return finishRun(run, res);
}

export function finishRun(run, res) {
  run.failures.push(...(res.failures ?? []));
  if (res.brokerLogTail) run.brokerLogTail = res.brokerLogTail;
  run.brokerRssBytes = res.brokerRssBytes ?? null;
  run.ok = run.failures.length === 0;
  return run;
}

// ---- (b) librdkafka: N rdkafka_performance processes ------------------------------------------

async function runRdkafka(opts, plan, tool, connections) {
  const per = plan.recordsPerProducer[connections] ?? plan.recordsPerProducer[4];
  const records = per * connections;
  const run = { ok: false, failures: [], connections, processes: connections, recordsPerProcess: per, records, partitions: plan.partitions };
  const res = await withBroker(opts, async ({ broker, port, admin, metrics }) => {
    const topic = `bench-small-rdkafka-${connections}-${Date.now()}`;
    await createTopic(admin, topic, plan.partitions);
    const args = rdkafkaSmallArgs({ topic, port, records: per, recordBytes: opts['record-bytes'] });
    run.command = `rdkafka_performance ${args.join(' ')}  (× ${connections} processes)`;
    const m = await measured(broker, metrics, () => Promise.all(Array.from({ length: connections }, () => runMeasured(tool.binary, args, { timeoutMs: opts['max-seconds'] * 1000 }))));
    const children = m.value;
    const summaries = children.map((c) => parsePerfSummary(c.stdout));
    children.forEach((c, i) => {
      const s = summaries[i];
      if (c.timedOut) run.failures.push(`process ${i} did not finish within ${opts['max-seconds']} s (killed)`);
      else if (c.exitCode !== 0) run.failures.push(`process ${i} exited with code ${c.exitCode}`);
      if (!s) run.failures.push(`process ${i}: no summary line`);
      else if (s.delivered !== per || s.failed !== 0) run.failures.push(`process ${i}: ${s.delivered} of ${per} delivered, ${s.failed} failed`);
      if (run.failures.length > 0 && !run.stderrTail) run.stderrTail = c.stderrLines.slice(-20);
    });
    const agg = aggregatePerf(summaries);
    const hw = await listOffsets(admin, topic, plan.partitions, -1n);
    const total = hw.reduce((a, b) => a + b, 0);
    if (total !== records) run.failures.push(`ListOffsets: the topic holds ${fmt(total)} records, ${fmt(records)} produced (${total > records ? 'duplicates' : 'lost records'})`);
    const clientCpu = children.reduce((s, c) => s + (c.cpuSeconds ?? 0), 0);
    // Requests: what the broker counted when it exports the count (librdkafka 2.0 sends one
    // partition per ProduceRequest, so with batch.num.messages=1 it should equal the records).
    const requests = m.brokerProduceRequests ?? records;
    Object.assign(run, {
      topic,
      requests,
      requestsBasis: m.brokerProduceRequests === null ? 'records (broker exports no request count)' : 'Produce requests counted by the broker (/metrics)',
      seconds: agg ? round(agg.seconds, 3) : null,
      requestsPerSec: agg ? round((requests * 1000) / agg.slowestMs, 0) : null,
      recordsPerSec: agg?.perSec ?? null,
      wallSeconds: round(m.wallSeconds, 3),
      brokerCpuSeconds: round(m.brokerCpuSeconds, 2),
      brokerCores: m.usage.brokerCores,
      brokerMicrosPerRequest: microsPerRequest(m.brokerCpuSeconds, requests),
      clientCpuSeconds: round(clientCpu, 2),
      clientCores: round(clientCpu / m.wallSeconds, 2),
      cpu: m.usage,
      highWatermarks: hw,
      summaries: summaries.map((s) => s?.line ?? null),
    });
    return {};
  });
  return finishRun(run, res);
}

// ---- (c) KafkaJS single send()s ---------------------------------------------------------------

async function runKafkajs(opts, plan, kafkajs, { inflight, records }) {
  const { Kafka, logLevel, CompressionTypes, Partitioners } = kafkajs;
  const run = { ok: false, failures: [], connections: 1, inflight, recordsBound: records, partitions: plan.partitions };
  const res = await withBroker(opts, async ({ broker, port, admin, metrics }) => {
    const topic = `bench-small-kafkajs-${inflight}-${Date.now()}`;
    await createTopic(admin, topic, plan.partitions);
    const kafka = new Kafka({ clientId: 'strata-bench-small-kafkajs', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false, createPartitioner: Partitioners.DefaultPartitioner });
    const value = Buffer.alloc(opts['record-bytes'], 'x');
    await producer.connect();
    const send = () => producer.send({ topic, acks: 1, compression: CompressionTypes.None, messages: [{ value }] });
    // warm-up: a connection to the partition leader and metadata, not measured
    for (let i = 0; i < 100; i++) await send();
    let sent = 0;
    let acked = 0;
    let lastAck = 0;
    let stop = false;
    try {
      const m = await measured(broker, metrics, async (t0) => {
        const deadline = t0 + opts['max-seconds'] * 1000;
        const worker = async () => {
          while (!stop && sent < records && performance.now() < deadline) {
            sent++;
            try {
              await send();
            } catch (err) {
              if (!stop) run.failures.push(`send: ${err.message}`);
              stop = true;
              return;
            }
            acked++;
            lastAck = performance.now();
          }
        };
        await Promise.all(Array.from({ length: inflight }, worker));
        return t0;
      });
      const t0 = m.value;
      if (acked < records) run.timeBound = `stopped at the ${opts['max-seconds']} s bound after ${acked} sends`;
      const hw = await listOffsets(admin, topic, plan.partitions, -1n);
      const total = hw.reduce((a, b) => a + b, 0);
      if (total !== acked + 100) run.failures.push(`ListOffsets: the topic holds ${fmt(total)} records, ${fmt(acked + 100)} acknowledged (100 of them warm-up)`);
      const requests = m.brokerProduceRequests ?? acked;
      const seconds = (lastAck - t0) / 1000;
      Object.assign(run, {
        topic,
        requests,
        acked,
        seconds: round(seconds, 3),
        requestsPerSec: round(acked / seconds, 0),
        brokerCpuSeconds: round(m.brokerCpuSeconds, 2),
        brokerCores: m.usage.brokerCores,
        brokerMicrosPerRequest: microsPerRequest(m.brokerCpuSeconds, requests),
        brokerCountedProduceRequests: m.brokerProduceRequests,
        clientCores: m.usage.loadGeneratorCores,
        cpu: m.usage,
        highWatermarks: hw,
      });
    } finally {
      stop = true;
      await Promise.race([producer.disconnect().catch(() => {}), sleep(5000)]);
    }
    return {};
  });
  return finishRun(run, res);
}

// ---- tail fetches with many consumers ------------------------------------------------------------

/**
 * Produce requests (acks=1) on an absolute 1 ms schedule for `seconds`, each carrying one
 * single-record batch for every partition (`tpl`), so every partition gets `rate / P` records/s,
 * one per batch, while the producer side costs one request per P records (the consumers' cost
 * then dominates).
 */
function tailProducer({ client, tpl, partitions, rate, seconds }) {
  return scheduledProducer({ client, tpls: [tpl], partitions, requestsPerSec: rate / partitions, totalRequests: Math.round((rate * seconds) / partitions) });
}

async function runFetch(opts, plan) {
  const consumers = plan.consumers;
  const partitions = opts['fetch-partitions'] || plan.partitions;
  const rate = opts['fetch-rate'] || plan.rate;
  const run = { ok: false, failures: [], consumers, partitions, rate, seconds: plan.seconds, maxWaitMs: 500 };
  const res = await withBroker(opts, async ({ broker, port, admin, metrics }) => {
    const stamp = Date.now();
    const { batch } = buildBatch({ count: 1, recordBytes: opts['record-bytes'] });
    const produceVersion = admin.pickVersion(ApiKey.Produce, 9);
    const fetchVersion = admin.pickVersion(ApiKey.Fetch, 12);
    const makeTpl = (topic) => admin.encode(ApiKey.Produce, produceVersion, produceBody({ topic, acks: 1, batches: Array.from({ length: partitions }, (_, p) => ({ partition: p, records: batch })) }));
    const [producer] = await connectN(port, 1, 'strata-bench-small-producer');
    producer.coalesceWrites();
    const conns = await connectN(port, consumers, 'strata-bench-small-consumer');
    try {
      // Baseline: the producer alone, on its own topic.
      const baseTopic = `bench-small-fetch-base-${stamp}`;
      await createTopic(admin, baseTopic, partitions);
      const base = await measured(broker, metrics, () => tailProducer({ client: producer, tpl: makeTpl(baseTopic), partitions, rate, seconds: plan.seconds }));
      run.failures.push(...base.value.failures);

      const topic = `bench-small-fetch-${stamp}`;
      await createTopic(admin, topic, partitions);
      const id = await topicId(admin, topic);
      let producerDone = null;
      const stats = conns.map((_, ci) => ({ partition: ci % partitions, next: 0, fetches: 0, empty: 0, records: 0, discontinuities: 0 }));
      const m = await measured(broker, metrics, async () => {
        const consumerLoop = async (ci) => {
          const s = stats[ci];
          let drainUntil = Infinity;
          while (run.failures.length === 0) {
            if (producerDone) {
              const want = producerDone.ackedByPartition[s.partition];
              if (s.next >= want) return;
              if (drainUntil === Infinity) drainUntil = performance.now() + 10_000;
              if (performance.now() > drainUntil) {
                run.failures.push(`consumer ${ci}: read ${s.next} of ${want} records of partition ${s.partition} 10 s after the producer stopped`);
                return;
              }
            }
            const body = fetchBody({ topic, topicId: id, partitions: [{ partition: s.partition, fetchOffset: s.next }], maxWaitMs: 500, minBytes: 1, maxBytes: MiB, partitionMaxBytes: MiB });
            let r;
            try {
              r = await conns[ci].request(ApiKey.Fetch, fetchVersion, body);
            } catch (err) {
              run.failures.push(`consumer ${ci}: ${err.message}`);
              return;
            }
            s.fetches++;
            const pd = r.responses[0]?.partitions[0];
            if (!pd || pd.errorCode !== 0) {
              run.failures.push(`consumer ${ci}: fetch error ${pd?.errorCode ?? r.errorCode}`);
              return;
            }
            const w = walkBatches(pd.records, s.next);
            if (w.records === 0) s.empty++;
            s.records += w.records;
            s.discontinuities += w.discontinuities;
            s.next = w.nextOffset;
          }
        };
        const loops = conns.map((_, ci) => consumerLoop(ci));
        producerDone = await tailProducer({ client: producer, tpl: makeTpl(topic), partitions, rate, seconds: plan.seconds });
        run.failures.push(...producerDone.failures);
        await Promise.all(loops);
        return producerDone;
      });
      const hw = await listOffsets(admin, topic, partitions, -1n);
      const acked = m.value.acked;
      if (hw.reduce((a, b) => a + b, 0) !== acked) run.failures.push(`ListOffsets: ${hw.reduce((a, b) => a + b, 0)} records, ${acked} acknowledged`);
      for (const [ci, s] of stats.entries()) {
        if (s.discontinuities > 0) run.failures.push(`consumer ${ci}: ${s.discontinuities} offset gap(s) or overlap(s)`);
        if (s.records !== hw[s.partition]) run.failures.push(`consumer ${ci}: read ${s.records} records, partition ${s.partition} holds ${hw[s.partition]}`);
      }
      const fetches = stats.reduce((a, s) => a + s.fetches, 0);
      const records = stats.reduce((a, s) => a + s.records, 0);
      const empty = stats.reduce((a, s) => a + s.empty, 0);
      const fetchesPerSec = fetches / m.wallSeconds;
      const cores = m.brokerCpuSeconds / m.wallSeconds;
      const baseCores = base.brokerCpuSeconds / base.wallSeconds;
      Object.assign(run, {
        topic,
        fetchVersion,
        fetchSession: 'none (sessionId 0, epoch -1: a full fetch every time)',
        producedRecords: acked,
        fetches,
        emptyFetches: empty,
        recordsRead: records,
        recordsPerFetch: round(records / Math.max(1, fetches - empty), 2),
        fetchesPerSec: round(fetchesPerSec, 0),
        windowSeconds: round(m.wallSeconds, 3),
        brokerCores: round(cores, 2),
        baselineBrokerCores: round(baseCores, 2),
        // CPU the consumers add, per fetch answered; and the gross figure (everything / every request)
        brokerMicrosPerFetch: round(((cores - baseCores) / fetchesPerSec) * 1e6, 1),
        brokerMicrosPerRequestGross: microsPerRequest(m.brokerCpuSeconds, fetches + m.value.requests),
        produceRequests: m.value.requests,
        brokerCountedFetchRequests: m.brokerFetchRequests,
        baselineBrokerMicrosPerProduce: microsPerRequest(base.brokerCpuSeconds, base.value.requests),
        cpu: m.usage,
        highWatermarks: hw,
      });
    } finally {
      producer.close();
      for (const c of conns) c.close();
    }
    return {};
  });
  return finishRun(run, res);
}

// ---- entry points --------------------------------------------------------------------------------

function kafkajsVersion() {
  try {
    return JSON.parse(readFileSync(path.join(REPO_DIR, 'node_modules', 'kafkajs', 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

export async function runSmallRequests(o = {}) {
  const opts = { ...SMALL_DEFAULTS, ...o };
  const plan = smallPlan(opts.quick);
  if (opts.seconds > 0) plan.raw.seconds = opts.seconds;
  if (opts.inflight > 0) plan.raw.inflight = opts.inflight;
  const only = new Set(String(opts.only).split(',').map((s) => s.trim()).filter(Boolean));
  for (const w of only) if (!['raw', 'rdkafka', 'kafkajs', 'fetch', 'latency'].includes(w)) throw new Error(`unknown part ${w} (raw, rdkafka, kafkajs, fetch, latency)`);
  const conns = String(opts.connections).split(',').map(Number);
  // The broker build measured: STRATA_BENCH_MAIN (another build, e.g. a "before" copy) or this tree's dist/.
  const brokerMain = process.env.STRATA_BENCH_MAIN ?? path.join(REPO_DIR, 'dist', 'src', 'main.js');
  const result = { workload: 'small-requests', ok: false, failures: [], options: opts, plan, recordBytes: opts['record-bytes'], brokerMain };
  const t0 = performance.now();
  const note = (label, r) => {
    for (const f of r.failures ?? []) result.failures.push(`${label}: ${f}`);
    print(label, r);
  };

  if (only.has('raw')) {
    result.raw = {};
    for (const n of conns) note(`raw ${n} conn`, (result.raw[n] = await runRaw(opts, plan.raw, n)));
  }
  if (only.has('rdkafka')) {
    const tool = chooseRdkafkaTool('perf');
    result.rdkafka = { version: tool.version, skipped: tool.skipped, build: tool.build, runs: {} };
    if (tool.skipped) console.log(`librdkafka: skipped — ${tool.skipped}`);
    else for (const n of conns) note(`librdkafka ${n} proc`, (result.rdkafka.runs[n] = await runRdkafka(opts, plan.rdkafka, tool, n)));
  }
  if (only.has('kafkajs')) {
    let kafkajs = null;
    try {
      kafkajs = (await import('kafkajs')).default;
    } catch (err) {
      result.kafkajs = { skipped: `kafkajs not installed: ${err.message}` };
      console.log(`KafkaJS: skipped — ${result.kafkajs.skipped}`);
    }
    if (kafkajs) {
      result.kafkajs = { version: kafkajsVersion(), runs: {} };
      for (const r of plan.kafkajs.runs) note(`KafkaJS ${r.inflight} in flight`, (result.kafkajs.runs[r.inflight] = await runKafkajs(opts, plan.kafkajs, kafkajs, r)));
    }
  }
  if (only.has('fetch')) note(`tail fetch ${plan.fetch.consumers} consumers`, (result.fetch = await runFetch(opts, plan.fetch)));
  if (only.has('latency')) {
    const l = plan.latency;
    const common = { rate: l.rate, warmup: l.warmup, seconds: l.seconds, 'worker-threads': opts['worker-threads'] };
    result.latency = {};
    for (const [key, tick] of [['single', 1000 / l.rate], ['batched', 1]]) {
      const r = await runLatency({ ...common, 'tick-ms': tick });
      result.latency[key] = r;
      console.log(`${key === 'single' ? 'one record per request' : `${r.recordsPerTick} records per request`}:`);
      // The broker falling behind the schedule (its in-flight bound reached) is a figure, not a
      // verification failure: NOT SUSTAINED, as the peers' latency runs report it.
      r.notSustained = !r.ok && r.failures.length > 0 && r.failures.every((f) => f.includes('cannot keep up'));
      if (r.notSustained) console.log(`latency @ ${fmt(l.rate)} records/s: NOT SUSTAINED — ${r.failures[0]} (stopped ${r.sendSeconds ?? '?'} s into the schedule; ${fmt(r.acked)} records acknowledged and received)`);
      else {
        for (const f of r.failures ?? []) result.failures.push(`latency ${key}: ${f}`);
        printLatency(r);
      }
    }
  }
  result.totalSeconds = round((performance.now() - t0) / 1000, 1);
  result.ok = result.failures.length === 0;
  return result;
}

function print(label, r) {
  if (!r.ok) {
    console.log(`${label}: FAILURE\n  ${r.failures.join('\n  ')}`);
    if (r.stderrTail?.length) console.log(`  stderr (last lines):\n    ${r.stderrTail.join('\n    ')}`);
    if (r.brokerLogTail) console.log(r.brokerLogTail);
    return;
  }
  const other = `other processes ${r.cpu?.otherProcessesCores ?? '—'} cores`;
  if (r.fetches !== undefined) {
    console.log(`${label}: ${fmt(r.fetchesPerSec)} fetches/s, ${r.recordsPerFetch} records per non-empty fetch (${fmt(r.emptyFetches)} empty of ${fmt(r.fetches)}), producer ${fmt(r.rate)} records/s as single-record batches over ${r.partitions} partitions`);
    console.log(`  broker ${r.brokerCores} cores (${r.baselineBrokerCores} with the producer alone) → ${r.brokerMicrosPerFetch} µs per fetch; gross ${r.brokerMicrosPerRequestGross} µs per request; ${other}`);
    console.log(`  verified: every consumer read its partition's ${fmt(r.producedRecords)} records in total, no gap or overlap`);
    return;
  }
  const client = r.clientCores !== undefined ? `, client ${r.clientCores} cores` : `, load generator ${r.cpu?.loadGeneratorCores} cores`;
  console.log(`${label}: ${fmt(r.requestsPerSec)} requests/s, broker ${r.brokerCores} cores = ${r.brokerMicrosPerRequest} µs/request (${fmt(r.requests)} requests in ${r.seconds} s${client}, ${other})`);
  if (r.timeBound) console.log(`  ${r.timeBound}`);
  for (const w of r.warnings ?? []) console.log(`  warning: ${w}`);
}

export function printSmallRequests(res) {
  console.log(`\nsmall requests (${res.recordBytes}-byte records, acks=1), ${res.options.quick ? 'quick' : 'full'} mode, ${res.totalSeconds} s, broker ${path.relative(process.cwd(), res.brokerMain) || res.brokerMain}: ${res.ok ? 'all counts verified' : `FAILURE (${res.failures.length} problem(s))`}`);
  const row = (label, r) => (r ? `  ${label.padEnd(28)} ${r.ok ? `${fmt(r.requestsPerSec).padStart(8)} req/s  ${String(r.brokerMicrosPerRequest).padStart(6)} µs/req  broker ${r.brokerCores} cores` : 'FAILURE'}` : null);
  for (const [n, r] of Object.entries(res.raw ?? {})) console.log(row(`raw, ${n} conn × ${r.inflight}`, r));
  for (const [n, r] of Object.entries(res.rdkafka?.runs ?? {})) console.log(row(`librdkafka, ${n} producer(s)`, r));
  for (const [n, r] of Object.entries(res.kafkajs?.runs ?? {})) console.log(row(`KafkaJS, ${n} in flight`, r));
  const f = res.fetch;
  if (f) console.log(`  tail fetch, ${f.consumers} consumers      ${f.ok ? `${fmt(f.fetchesPerSec).padStart(8)} fetch/s ${String(f.brokerMicrosPerFetch).padStart(6)} µs/fetch  ${f.recordsPerFetch} rec/fetch` : 'FAILURE'}`);
  for (const [k, r] of Object.entries(res.latency ?? {})) if (r.notSustained) console.log(`  latency @ ${fmt(r.options.rate)}/s, ${k === 'single' ? '1 record/request ' : `${r.recordsPerTick} records/request`}   NOT SUSTAINED`);
  else if (!r.ok) console.log(`  latency ${k}: FAILURE`);
  else console.log(`  latency @ ${fmt(r.options.rate)}/s, ${k === 'single' ? '1 record/request ' : `${r.recordsPerTick} records/request`}   p50 ${r.endToEnd.p50Ms} ms  p99 ${r.endToEnd.p99Ms} ms  p99.9 ${r.endToEnd.p999Ms} ms  (broker ${r.cpu.brokerCores} cores)`);
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), SMALL_DEFAULTS);
  const r = await runSmallRequests(opts);
  printSmallRequests(r);
  const file = writeResult('small-requests', { machine: machineInfo(), smallRequests: r });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  process.exitCode = r.ok ? 0 : 1;
}
