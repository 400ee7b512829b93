// Thread: main (bench). Failover and durable produce through object storage (issue 16): three
// broker processes on 127.0.0.1 (cluster.enable, one fresh Redis key prefix, one fresh bucket on
// the S3 server of lib/s3.mjs: a throwaway radosgw unless AWS_ENDPOINT_URL_S3 names one), a
// 12-partition topic with remote.storage.enable=true (every batch also goes to the leader's
// write-ahead objects; acks=all answers once they are stored). Three parts:
//
//   failover  an idempotent acks=all kcat producer at --rate records/s (values `v<seq>…`, keyed
//             over every partition) runs throughout; --rounds times (default 20): kill -9 of the
//             broker leading the most partitions, then it restarts (same node.id, same data
//             directory) and the cluster is back to 4/4/4 before the next round. Per round: from
//             the kill until every partition has a live leader in every live broker's Metadata,
//             and until every partition is served (a one-record acks=all Produce to its leader
//             succeeds, asked again every 20 ms), and the rebuilds' own ms from the new leaders'
//             logs ('partition rebuilt from object storage after its leader died'). Then kcat
//             stops and every partition is read back (kcat -C): every record kcat delivered is
//             there exactly once, in the order sent per partition.
//   produce   no background load. acks=all Produce to a 12-partition remote-storage topic (the
//             write-ahead object path) and to a 12-partition topic without remote storage (the
//             fsync path) in the same cluster: throughput (--connections per broker, --inflight
//             requests of ~--batch-bytes batches of 100-byte records to the partitions it leads,
//             --seconds, at most --max-mib per topic) and latency (one ~1 KiB request at a time
//             per connection, --latency-seconds). Beside them the S3 server's own PUT latency
//             and throughput (--puts PUTs of 1 MiB and of 64 KiB, --put-concurrency at a time,
//             @aws-sdk/client-s3; deleted afterwards).
//   cost      PUTs per GB written: write-ahead objects (strata_wal_objects_total) and segment
//             uploads (strata_remote_storage_uploaded_segments_total × 4: the log, two indexes
//             and the manifest) from the brokers' /metrics over the throughput run and until the
//             sealed segments are uploaded, beside the radosgw's own PUT counter (perf dump), for
//             the failover phase's steady low rate too.
//
// What 2 cores can show: three brokers, kcat, this script, Redis and radosgw (with its
// ceph-mon and memstore ceph-osd) share two cores with other jobs on the machine, so each figure
// includes waiting for a core; the PUT figures are those of a radosgw on the same cores, not of a
// real object store. They bound what this costs on a crowded machine, no more.
//
// Usage: node bench/failover.mjs [--rounds=20] [--rate=1000] [--partitions=12] [--seconds=10]
//          [--latency-seconds=5] [--connections=1] [--inflight=4] [--batch-bytes=65536]
//          [--max-mib=128] [--puts=200] [--put-concurrency=4] [--skip-failover] [--skip-produce]
//          [--redis=redis://127.0.0.1:6379]
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { rmSync } from 'node:fs';
import { CreateBucketCommand, DeleteObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { encodeRecordBatch } from '../dist/src/protocol/records.js';
import { buildBatch } from './lib/batches.mjs';
import { snapshotDist } from './lib/broker.mjs';
import { MiB, fmt, isMain, parseArgs, sleep } from './lib/cli.mjs';
import { Cluster, cpuMeter, cpuText, endOffsetsSum, startS3WithRetries, steadyProducer, summary } from './lib/cluster-harness.mjs';
import { drive } from './lib/drive.mjs';
import { Histogram } from './lib/histogram.mjs';
import { ApiKey, KafkaClient, createTopic, produceBody } from './lib/kafka-client.mjs';
import { machineInfo, round, writeResult } from './lib/results.mjs';
import { s3Client } from './lib/s3.mjs';

const DEFAULTS = {
  rounds: 20,
  rate: 1000,
  partitions: 12,
  seconds: 10,
  'latency-seconds': 5,
  connections: 1,
  inflight: 4,
  'batch-bytes': 64 * 1024,
  'max-mib': 128,
  puts: 200,
  'put-concurrency': 4,
  'skip-failover': false,
  'skip-produce': false,
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
};
const BROKERS = 3;
const ROUND_TIMEOUT_MS = 60_000;
const FAILOVER_BUDGET_MS = 15 * 60_000;

const LIMITS =
  'What 2 cores can show: three brokers, kcat, this script, Redis and radosgw (with its ceph-mon and memstore ceph-osd) share two cores with other jobs on the machine, so every figure includes waiting for a core, and the PUTs go to a radosgw on the same cores, not a real object store; the figures bound what failover and durable acks cost on a crowded machine, no more.';

const PROBE_VALUE = Buffer.from('probe');

/** A one-record acks=all Produce to `partition` through `client`: its error code. */
async function probeProduce(client, topic, partition) {
  const records = encodeRecordBatch({ records: [{ key: null, value: PROBE_VALUE }] });
  const res = await client.request(ApiKey.Produce, client.pickVersion(ApiKey.Produce, 9), produceBody({ topic, acks: -1, timeoutMs: 5000, batches: [{ partition, records }] }));
  return res.responses[0].partitionResponses[0].errorCode;
}

/**
 * After a kill at `t0`: the time every live broker's Metadata gives every partition a live
 * leader, and the time every partition has taken a probe record through its leader.
 */
async function waitServed(c, topic, P, t0) {
  const served = new Map(); // partition → ms after t0
  let leadersAt = null;
  const inFlight = new Set();
  const errors = {};
  const deadline = t0 + ROUND_TIMEOUT_MS;
  while (performance.now() < deadline && (served.size < P || leadersAt === null)) {
    const live = c.live();
    const liveIds = new Set(live.map((b) => b.nodeId));
    const views = await c.views(topic).catch(() => null);
    if (views && views.length > 0) {
      if (leadersAt === null && views.every((v) => v.length === P && v.every((l) => liveIds.has(l)))) leadersAt = performance.now() - t0;
      const view = views[0];
      for (let p = 0; p < P; p++) {
        if (served.has(p) || inFlight.has(p) || !liveIds.has(view[p])) continue;
        const leader = c.brokers.get(view[p]);
        inFlight.add(p);
        probeProduce(leader.client, topic, p)
          .then((code) => {
            if (code === 0) served.set(p, performance.now() - t0);
            else errors[code] = (errors[code] ?? 0) + 1;
          }, () => {
            errors.connection = (errors.connection ?? 0) + 1;
          })
          .finally(() => inFlight.delete(p));
      }
    }
    await sleep(20);
  }
  while (inFlight.size > 0) await sleep(5);
  return { leadersMs: leadersAt, servedMs: served.size === P ? Math.max(...served.values()) : null, served: served.size, probeErrors: errors };
}

/** kcat -C of one partition from the beginning to its end: the values, as printed. */
function consumePartition(bootstrap, topic, partition) {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`kcat -C partition ${partition}: exit ${code} ${err.slice(-300)}`));
      else resolve(out.split('\n').filter((l) => l.length > 0));
    });
  });
}

/**
 * Every value 0..sent-1 at most once, ascending within each partition (probe records set
 * apart); `missingIn(from, to)` counts the values of [from, to) not read back.
 */
async function verifyRecords(bootstrap, topic, P, sent) {
  const seen = new Uint8Array(sent);
  let duplicates = 0;
  let outOfOrder = 0;
  let probes = 0;
  let foreign = 0;
  let records = 0;
  const parts = Array.from({ length: P }, (_, p) => p);
  for (let i = 0; i < P; i += 4) {
    const lists = await Promise.all(parts.slice(i, i + 4).map((p) => consumePartition(bootstrap, topic, p)));
    for (const values of lists) {
      let last = -1;
      for (const v of values) {
        if (v === 'probe') {
          probes++;
          continue;
        }
        const m = /^v(\d+)x/.exec(v);
        if (!m) {
          foreign++;
          continue;
        }
        const n = Number(m[1]);
        records++;
        if (n <= last) outOfOrder++;
        last = Math.max(last, n);
        if (n >= sent) foreign++;
        else if (seen[n]) duplicates++;
        else seen[n] = 1;
      }
    }
  }
  const missingIn = (from, to) => {
    let n = 0;
    for (let i = from; i < to; i++) if (!seen[i]) n++;
    return n;
  };
  return { records, missing: missingIn(0, sent), duplicates, outOfOrder, probes, foreign, missingIn };
}

/** acks=all Produce to every partition of `topic` through its leader; throughput or latency mode. */
async function produceRun(c, topic, P, { seconds, connections, inflight, batchBytes, recordBytes = 100, maxBytes = Infinity }) {
  const [leaders] = await c.views(topic);
  if (leaders.length !== P || leaders.some((l) => l < 0)) throw new Error(`${topic}: no leader for every partition: ${JSON.stringify(leaders)}`);
  const ids = [...new Set(leaders)];
  const clients = [];
  const partsOf = [];
  for (const id of ids) {
    for (let i = 0; i < connections; i++) {
      const cl = await KafkaClient.connect({ port: c.brokers.get(id).port, clientId: 'strata-bench-failover-produce' });
      await cl.apiVersions();
      clients.push(cl);
      const mine = leaders.map((l, p) => (l === id ? p : -1)).filter((p) => p >= 0);
      partsOf.push(mine.filter((_, k) => k % connections === i));
    }
  }
  const { batch, records: perBatch } = buildBatch({ batchBytes, recordBytes });
  const version = clients[0].pickVersion(ApiKey.Produce, 9);
  const templates = Array.from({ length: P }, (_, p) => clients[0].encode(ApiKey.Produce, version, produceBody({ topic, acks: -1, batches: [{ partition: p, records: batch }] })));
  const rr = clients.map(() => 0);
  const latency = new Histogram();
  const errorCodes = {};
  let sentBytes = 0;
  let acked = 0;
  let ackedBytes = 0;
  let lastAck = 0;
  const t0 = performance.now();
  const run = await drive({
    clients,
    inflight,
    untilMs: t0 + seconds * 1000,
    next(ci) {
      const list = partsOf[ci];
      if (list.length === 0 || sentBytes + batch.length > maxBytes) return null;
      sentBytes += batch.length;
      return { tpl: templates[list[rr[ci]++ % list.length]] };
    },
    onResponse(_job, { response, latencyUs }) {
      latency.record(latencyUs);
      for (const t of response.responses) for (const pr of t.partitionResponses) {
        if (pr.errorCode !== 0) errorCodes[pr.errorCode] = (errorCodes[pr.errorCode] ?? 0) + 1;
        else {
          acked += perBatch;
          ackedBytes += batch.length;
        }
      }
      lastAck = performance.now();
    },
  });
  for (const cl of clients) cl.close();
  const s = (lastAck - t0) / 1000;
  const l = latency.summaryMs();
  return {
    seconds: round(s, 2),
    connections: clients.length,
    inflightPerConnection: inflight,
    batchBytes: batch.length,
    recordsPerBatch: perBatch,
    requests: latency.count,
    ackedRecords: acked,
    ackedBytes,
    recordsPerSec: round(acked / s, 0),
    MBps: round(ackedBytes / MiB / s, 2),
    latency: { p50Ms: l.p50Ms, p99Ms: l.p99Ms, maxMs: l.maxMs },
    errorCodes,
    driveErrors: run.errors.slice(0, 3),
    timedOut: run.timedOut,
  };
}

/** `count` PUTs of `bytes` (`concurrency` at a time) straight to the S3 server; then deleted. */
async function rawPuts(s3, bucket, bytes, count, concurrency) {
  const body = crypto.randomBytes(bytes);
  const h = new Histogram();
  const keys = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const key = `raw-puts/${bytes}/${next++}`;
      const t = performance.now();
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: bytes, ContentType: 'application/octet-stream' }));
      h.record((performance.now() - t) * 1000);
      keys.push(key);
    }
  }));
  const s = (performance.now() - t0) / 1000;
  for (let i = 0; i < keys.length; i += 1000) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
  const l = h.summaryMs();
  return { bytes, count, concurrency, seconds: round(s, 2), putsPerSec: round(count / s, 1), MBps: round((count * bytes) / MiB / s, 1), latency: { p50Ms: l.p50Ms, p99Ms: l.p99Ms, maxMs: l.maxMs } };
}

async function scrapeAll(c) {
  const total = {};
  for (const b of c.live()) {
    const m = await c.scrape(b.nodeId);
    for (const [k, v] of Object.entries(m ?? {})) total[k] = (total[k] ?? 0) + v;
  }
  return total;
}

const pick = (m) => ({
  walObjects: m.strata_wal_objects_total ?? 0,
  walBytes: m.strata_wal_bytes_total ?? 0,
  walPutSeconds: m.strata_wal_put_seconds_total ?? 0,
  walRetries: m.strata_wal_put_retries_total ?? 0,
  segments: m.strata_remote_storage_uploaded_segments_total ?? 0,
  segmentBytes: m.strata_remote_storage_uploaded_bytes_total ?? 0,
});

async function durableProduce(c, server, s3, bucket, opts, result) {
  const P = opts.partitions;
  const admin = c.live()[0].client;
  const remote = `bench-durable-remote-${Date.now()}`;
  const local = `bench-durable-local-${Date.now()}`;
  await createTopic(admin, remote, P, { configs: { 'remote.storage.enable': 'true' } });
  await createTopic(admin, local, P, { configs: { 'remote.storage.enable': 'false' } });
  for (const topic of [remote, local]) {
    for (const deadline = Date.now() + 30_000; ; ) {
      const views = await c.views(topic).catch(() => null);
      if (views && views.every((v) => v.length === P && v.every((l) => l > 0))) break;
      if (Date.now() > deadline) throw new Error(`${topic}: no leader for every partition`);
      await sleep(50);
    }
  }
  const tput = { seconds: opts.seconds, connections: opts.connections, inflight: opts.inflight, batchBytes: opts['batch-bytes'], maxBytes: opts['max-mib'] * MiB };
  const lat = { seconds: opts['latency-seconds'], connections: 1, inflight: 1, batchBytes: 1024 };
  const out = {};
  // Remote storage (write-ahead objects): throughput, counted PUTs until the segments are up, then latency.
  const m0 = pick(await scrapeAll(c));
  const r0 = server.counters();
  let meter = cpuMeter(c, null, server.pids());
  out.remoteThroughput = await produceRun(c, remote, P, tput);
  out.remoteThroughput.cpu = meter();
  const drainDeadline = Date.now() + 60_000;
  while (Date.now() < drainDeadline && ((await scrapeAll(c)).strata_remote_storage_upload_lag_bytes ?? 0) > 0) await sleep(200);
  const m1 = pick(await scrapeAll(c));
  const r1 = server.counters();
  meter = cpuMeter(c, null, server.pids());
  out.remoteLatency = await produceRun(c, remote, P, lat);
  out.remoteLatency.cpu = meter();
  meter = cpuMeter(c, null, server.pids());
  out.localThroughput = await produceRun(c, local, P, tput);
  out.localThroughput.cpu = meter();
  meter = cpuMeter(c, null, server.pids());
  out.localLatency = await produceRun(c, local, P, lat);
  out.localLatency.cpu = meter();
  for (const [name, topic] of [['remote', remote], ['local', local]]) {
    const [leaders] = await c.views(topic);
    const sum = await endOffsetsSum(c, topic, leaders);
    const acked = out[`${name}Throughput`].ackedRecords + out[`${name}Latency`].ackedRecords;
    out[`${name}Verified`] = { endOffsetsSum: sum, ackedRecords: acked, ok: sum === acked };
  }
  // The S3 server's own PUTs, same run.
  meter = cpuMeter(c, null, server.pids());
  out.rawPuts1MiB = await rawPuts(s3, bucket, MiB, opts.puts, opts['put-concurrency']);
  out.rawPuts64KiB = await rawPuts(s3, bucket, 64 * 1024, opts.puts, opts['put-concurrency']);
  out.rawPutsSerial64KiB = await rawPuts(s3, bucket, 64 * 1024, Math.min(50, opts.puts), 1);
  out.rawPutsCpu = meter();
  // Cost: PUTs per GB written over the throughput run.
  const written = out.remoteThroughput.ackedBytes;
  const gb = written / 1024 ** 3;
  const walObjects = m1.walObjects - m0.walObjects;
  const segments = m1.segments - m0.segments;
  out.cost = {
    writtenBytes: written,
    walObjects,
    walBytes: m1.walBytes - m0.walBytes,
    walPutMsMean: walObjects > 0 ? round(((m1.walPutSeconds - m0.walPutSeconds) * 1000) / walObjects, 1) : null,
    walRetries: m1.walRetries - m0.walRetries,
    segmentsUploaded: segments,
    segmentBytesUploaded: m1.segmentBytes - m0.segmentBytes,
    walPutsPerGB: round(walObjects / gb, 0),
    segmentPutsPerGB: round((4 * segments) / gb, 0),
    brokerPutsPerGB: round((walObjects + 4 * segments) / gb, 0),
    radosgwPuts: r0 && r1 ? r1.puts - r0.puts : null,
    radosgwPutsPerGB: r0 && r1 ? round((r1.puts - r0.puts) / gb, 0) : null,
    segmentBytesSetting: 1024 * 1024,
    counted: 'brokers: strata_wal_objects_total (one PUT per stored write-ahead object) + 4 × strata_remote_storage_uploaded_segments_total (log, offset index, time index, manifest), scraped from every broker before the throughput run and after the sealed segments were uploaded; radosgw: its perf-dump `put` counter over the same window (every PUT the server answered, all clients)',
  };
  return out;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  const P = opts.partitions;
  snapshotDist();
  console.log(LIMITS);
  const server = await startS3WithRetries();
  const result = { machine: machineInfo(), limits: LIMITS, settings: { ...opts, brokers: BROKERS }, s3: { kind: server.kind, version: server.version } };
  let c;
  let load;
  const dataDirs = new Set();
  try {
    const s3 = s3Client(server.endpoint);
    const bucket = `strata-bench-failover-${Date.now().toString(36)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const prefix = `strata-bench-failover-${crypto.randomBytes(4).toString('hex')}:`;
    // The settings of test/integration/cluster-failover.test.ts (1 MiB segments).
    c = new Cluster({
      'cluster.enable': 'true',
      'redis.url': opts.redis,
      'redis.key.prefix': prefix,
      'broker.heartbeat.interval.ms': 200,
      'broker.session.timeout.ms': 1500,
      'auto.create.topics.enable': 'false',
      'remote.storage.s3.bucket': bucket,
      'remote.storage.s3.endpoint': server.endpoint,
      'remote.storage.s3.path.style.access': 'true',
      'remote.storage.s3.prefix': 'failover/',
      'log.remote.storage.enable': 'true',
      'log.segment.bytes': 1024 * 1024,
      'remote.log.manager.task.interval.ms': 200,
    }, { clientId: 'strata-bench-failover' });
    for (let id = 1; id <= BROKERS; id++) dataDirs.add((await c.start(id, { keepData: true })).logDir);
    const topic = `bench-failover-${Date.now()}`;
    await createTopic(c.brokers.get(1).client, topic, P, { configs: { 'remote.storage.enable': 'true' } });
    let leaders = (await c.waitBalanced(topic, P)).leaders;
    const bootstrap = () => c.live().map((b) => `127.0.0.1:${b.port}`).join(',');

    if (!opts['skip-failover']) {
      const rgw0 = server.counters();
      const producerOpts = { extra: ['-X', 'retries=1000000'] };
      load = steadyProducer(bootstrap(), topic, opts.rate, producerOpts);
      // A kcat that dies (a fatal idempotence error) is replaced by a new one (a new producer
      // id) continuing the sequence before the next round; its records are checked at most once.
      const producers = [load];
      await sleep(3000);
      const meter = cpuMeter(c, load.pid, server.pids());
      const rounds = [];
      const start = performance.now();
      let failure = null;
      for (let i = 0; i < opts.rounds && performance.now() - start < FAILOVER_BUDGET_MS; i++) {
        const counts = new Map([...c.brokers.keys()].map((id) => [id, leaders.filter((l) => l === id).length]));
        const most = Math.max(...counts.values());
        const tied = [...counts].filter(([, n]) => n === most).map(([id]) => id);
        const victimId = tied[i % tied.length];
        const victim = c.brokers.get(victimId);
        const t0 = performance.now();
        process.kill(victim.pid, 'SIGKILL');
        await victim.exitPromise;
        const seen = await waitServed(c, topic, P, t0);
        victim.client.close();
        await victim.stop();
        const rebuilt = c.events.filter((e) => e.at >= t0 && e.msg === 'partition rebuilt from object storage after its leader died');
        // Back to three: the same node id on the same data directory.
        const restartAt = performance.now();
        const again = await c.start(victimId, { logDir: victim.logDir, keepData: true });
        let balanced = null;
        try {
          balanced = await c.waitBalanced(topic, P);
        } catch (err) {
          failure = `round ${i + 1}: ${err.message}`;
        }
        const after = (await c.views(topic))[0];
        const back = balanced ? await c.servedAt(after.map((l, p) => (balanced.leaders[p] === victimId ? -1 : l)), balanced.leaders, restartAt) : null;
        const dropped = c.events.filter((e) => e.at >= restartAt && e.node === victimId && e.msg.includes('local copy dropped')).length;
        const r = {
          round: i + 1,
          victim: victimId,
          partitionsLed: most,
          leadersMs: seen.leadersMs === null ? null : round(seen.leadersMs, 0),
          servedMs: seen.servedMs === null ? null : round(seen.servedMs, 0),
          probeErrors: seen.probeErrors,
          rebuilds: rebuilt.length,
          rebuildMs: rebuilt.map((e) => e.ms),
          rebuildObjects: rebuilt.map((e) => e.objects),
          rebuildEntries: rebuilt.map((e) => e.entries),
          rebuiltBeyondOffloaded: rebuilt.map((e) => (typeof e.endOffset === 'number' && typeof e.offloadedEnd === 'number' ? e.endOffset - e.offloadedEnd : null)),
          restartReadyMs: round(again.readyAt - restartAt, 0),
          rebalancedMs: balanced ? round(balanced.at - again.readyAt, 0) : null,
          rebalancedServedMs: back ? round(back.at - again.readyAt, 0) : null,
          localCopiesDropped: dropped,
          kcatRunning: load.exitCode === undefined,
        };
        rounds.push(r);
        console.log(`round ${r.round}: kill -9 of broker ${victimId} (leading ${most}) → every partition led by a live broker in ${fmt(r.leadersMs)} ms, served (acks=all probe) in ${fmt(r.servedMs)} ms; ${r.rebuilds} rebuilds, ${r.rebuildMs.join('/')} ms (entries ${r.rebuildEntries.join('/')}); restarted: ready ${fmt(r.restartReadyMs)} ms, 4/4/4 ${fmt(r.rebalancedMs)} ms and served ${fmt(r.rebalancedServedMs)} ms after ready; ${dropped} local copies dropped${r.kcatRunning ? '' : '; kcat HAS EXITED'}${Object.keys(seen.probeErrors).length ? `; probe errors ${JSON.stringify(seen.probeErrors)}` : ''}`);
        if (seen.servedMs === null) failure ??= `round ${i + 1}: not every partition served within ${ROUND_TIMEOUT_MS} ms (${seen.served}/${P})`;
        if (failure) break;
        leaders = balanced.leaders;
        await sleep(500);
        if (load.exitCode !== undefined) {
          console.log(`kcat exited (code ${load.exitCode}) after ${fmt(load.sent)} records: ${load.stderr.split('\n').filter((x) => /FATAL|Fatal/.test(x)).slice(0, 1).join(' ') || load.stderr.slice(-300)}; a new kcat producer continues`);
          load = steadyProducer(bootstrap(), topic, opts.rate, { ...producerOpts, from: load.from + load.sent });
          producers.push(load);
        }
      }
      const cpu = meter();
      result.failover = { partial: true, rounds, failure }; // kept if the read-back below throws
      const finished = await load.finish(failure ? 10_000 : 150_000);
      const rgw1 = server.counters();
      const total = load.from + load.sent;
      const check = await verifyRecords(bootstrap(), topic, P, total);
      const instances = [];
      for (const k of producers) {
        const r = k === load ? finished : await k.finish(1000);
        const clean = r.code === 0 && r.failed === 0;
        instances.push({ from: k.from, sent: k.sent, exitCode: r.code, deliveryFailures: r.failed, missing: check.missingIn(k.from, k.from + k.sent), clean, fatal: r.stderr.split('\n').filter((x) => /FATAL|Fatal error/.test(x)).slice(0, 2) });
      }
      const { missingIn: _m, ...counts } = check;
      // Exactly once for a kcat that exited cleanly; at most once (and in order) for one that died.
      const verified = check.duplicates === 0 && check.outOfOrder === 0 && check.foreign === 0 && instances.every((x) => !x.clean || x.missing === 0);
      const allClean = instances.every((x) => x.clean);
      const all = rounds.filter((r) => r.servedMs !== null);
      const loadBytes = total * 100; // ≈ value (≈ 96 B) + key
      result.failover = {
        requested: opts.rounds,
        done: rounds.length,
        failure,
        leaders: summary(all.map((r) => r.leadersMs)),
        served: summary(all.map((r) => r.servedMs)),
        rebuild: summary(rounds.flatMap((r) => r.rebuildMs.filter((x) => typeof x === 'number'))),
        rebuildsPerRound: summary(rounds.map((r) => r.rebuilds)),
        rejoinServed: summary(rounds.filter((r) => r.rebalancedServedMs !== null).map((r) => r.rebalancedServedMs)),
        cpu,
        verify: { verified, allProducersClean: allClean, kcatSent: total, ...counts, producers: instances, loadSeconds: round(finished.seconds, 1), kcatStderrTail: finished.stderr.split('\n').slice(-5).join('\n') },
        radosgwPuts: rgw0 && rgw1 ? rgw1.puts - rgw0.puts : null,
        radosgwPutsPerGB: rgw0 && rgw1 ? round((rgw1.puts - rgw0.puts) / (loadBytes / 1024 ** 3), 0) : null,
        kcatExitedAfterRound: rounds.find((r) => !r.kcatRunning)?.round ?? null,
        rounds,
      };
      const f = result.failover;
      console.log(`failover: ${f.done}/${f.requested} rounds; kill -9 → every partition has a live leader: p50 ${f.leaders.p50Ms} ms, max ${f.leaders.maxMs} ms; → every partition served: p50 ${f.served.p50Ms} ms, max ${f.served.maxMs} ms; rebuilds (brokers' logs, ${f.rebuild.count}): p50 ${f.rebuild.p50Ms} ms, max ${f.rebuild.maxMs} ms; ${cpuText(cpu)}`);
      console.log(`failover verify: ${producers.length} kcat producer(s) sent ${fmt(total)} (${instances.map((x) => `exit ${x.exitCode}, ${x.deliveryFailures} delivery failures, ${x.missing} of its ${x.sent} missing`).join('; ')}); read back ${fmt(check.records)} records + ${check.probes} probes: missing ${check.missing}, duplicates ${check.duplicates}, out of order ${check.outOfOrder}, foreign ${check.foreign}: ${verified ? 'verified' : 'NOT VERIFIED'}; radosgw PUTs ${fmt(f.radosgwPuts)} (${fmt(f.radosgwPutsPerGB)} per GB at ${opts.rate} records/s)`);
      if (!verified || !allClean || failure) process.exitCode = 1;
      load = null;
    }

    if (!opts['skip-produce']) {
      const d = await durableProduce(c, server, s3, bucket, opts, result);
      result.produce = d;
      const line = (name, r) => `${name}: ${fmt(r.recordsPerSec)} records/s, ${fmt(r.MBps, 1)} MiB/s, latency p50 ${r.latency.p50Ms} ms, p99 ${r.latency.p99Ms} ms (${r.requests} requests of ${fmt(r.batchBytes)} B over ${r.connections} connections × ${r.inflightPerConnection}${Object.keys(r.errorCodes).length ? `; errors ${JSON.stringify(r.errorCodes)}` : ''}) ${cpuText(r.cpu)}`;
      console.log(line('acks=all, remote storage (write-ahead objects), throughput', d.remoteThroughput));
      console.log(line('acks=all, remote storage, one 1 KiB request at a time', d.remoteLatency));
      console.log(line('acks=all, no remote storage (fsync), throughput', d.localThroughput));
      console.log(line('acks=all, no remote storage, one 1 KiB request at a time', d.localLatency));
      const put = (name, r) => `${name}: ${r.count} PUTs of ${fmt(r.bytes)} B, ${r.concurrency} at a time: ${r.putsPerSec} PUT/s, ${r.MBps} MiB/s, latency p50 ${r.latency.p50Ms} ms, p99 ${r.latency.p99Ms} ms`;
      console.log(put('raw S3', d.rawPuts1MiB));
      console.log(put('raw S3', d.rawPuts64KiB));
      console.log(put('raw S3', d.rawPutsSerial64KiB));
      const k = d.cost;
      console.log(`cost: ${fmt(k.writtenBytes / MiB, 1)} MiB acknowledged → ${k.walObjects} write-ahead objects (mean PUT ${k.walPutMsMean} ms, ${k.walRetries} retries) + ${k.segmentsUploaded} segments × 4 PUTs: ${fmt(k.walPutsPerGB)} + ${fmt(k.segmentPutsPerGB)} = ${fmt(k.brokerPutsPerGB)} PUTs per GB (radosgw counted ${fmt(k.radosgwPuts)}: ${fmt(k.radosgwPutsPerGB)} per GB)`);
      console.log(`verified: remote ${JSON.stringify(d.remoteVerified)}, local ${JSON.stringify(d.localVerified)}`);
      if (!d.remoteVerified.ok || !d.localVerified.ok) process.exitCode = 1;
    }
  } catch (err) {
    // Keep what was measured: the result file is still written.
    result.error = String(err.stack ?? err);
    console.error(err);
    process.exitCode = 1;
  } finally {
    await load?.finish(1000).catch(() => {});
    await c?.stopAll().catch(() => {});
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    server.stop();
  }
  const file = writeResult('failover', result);
  console.log(`wrote ${file}`);
}

if (isMain(import.meta.url)) main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
