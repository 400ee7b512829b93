// Thread: main (bench). Object storage down for a long while (issue 16): the manual, longer
// version of the first case of test/integration/cluster-faults.test.ts. Three broker processes of
// one cluster (heartbeat 200 ms, session 1.5 s, segment 256 KiB, tier pass 200 ms,
// wal.ack.timeout.ms 2000), a fresh Redis key prefix, a fresh bucket on a throwaway radosgw, and
// two loads fed by this script through stdin, --rate records/s each (≈ 100-byte values):
//
//   durable   kcat -P, idempotent, acks=all, to a --partitions topic with remote.storage.enable
//   local     kcat -P, acks=1, to a 1-partition topic with remote.storage.enable=false
//
// Both print a delivery report per record (kcat -v -v), read here with the time it arrived;
// librdkafka's produce errors are counted from its debug=msg lines. Phases: --warmup-seconds,
// then radosgw gets SIGSTOP for --outage-seconds (default 30; SIGCONT always, also on Ctrl-C
// or an error), then --after-seconds of the same load, then both producers finish.
//
// Printed and written to bench/results/faults-object-storage-<stamp>.json:
//   - durable acknowledgements during the outage (after a 1 s grace for objects stored just
//     before SIGSTOP): must be 0; the produce errors the client met, by librdkafka's text;
//   - the time from SIGCONT to the first durable acknowledgement and until every record sent
//     before SIGCONT was acknowledged;
//   - local (acks=1) acknowledgements during the outage and their rate beside the warm-up's;
//   - verification: both producers exit 0 with no delivery failure; every durable partition
//     read back (kcat -C) holds each value once, in the order sent, exactly the records
//     acknowledged; every acknowledged durable offset lies in the bucket (an offloaded segment of
//     the partition's manifest, or an entry of a write-ahead object, read from the bucket here).
// A run that fails any of these prints FAILURE and exits 1.
//
// What 2 cores can show: three brokers, two kcat processes, this script, Redis and radosgw
// share two cores; the recovery times include waiting for a core and for radosgw's backlog.
//
// Usage: node bench/faults-object-storage.mjs [--outage-seconds=30] [--warmup-seconds=5]
//          [--after-seconds=10] [--rate=500] [--partitions=6] [--redis=redis://127.0.0.1:6379]
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { fmt, isMain, parseArgs, sleep } from './lib/cli.mjs';
import { startBroker } from './lib/broker.mjs';
import { KafkaClient, createTopic, metadata, topicId as topicIdOf } from './lib/kafka-client.mjs';
import { machineInfo, round, writeResult } from './lib/results.mjs';
import { listAll, s3Client, startS3 } from './lib/s3.mjs';

const DEFAULTS = { 'outage-seconds': 30, 'warmup-seconds': 5, 'after-seconds': 10, rate: 500, partitions: 6, redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' };
const GRACE_MS = 1000;
const LIMITS = 'What 2 cores can show: three brokers, two kcat producers, this script, Redis and radosgw share two cores; recovery times include waiting for a core and for radosgw to work through its backlog.';

/** kcat -P fed `rate` records/s until finish(); delivery reports and produce errors collected. */
function reportingProducer(bootstrap, topic, rate, { idempotent, keyed }) {
  const args = ['-P', '-b', bootstrap, '-t', topic, '-X', 'message.timeout.ms=300000', '-X', 'linger.ms=5', '-v', '-v', '-X', 'debug=msg'];
  if (idempotent) args.push('-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'retries=1000000');
  else args.push('-X', 'acks=1', '-p', '0');
  if (keyed) args.push('-K', ':');
  const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  const deliveries = []; // { partition, offset, at }
  const errors = new Map();
  let failed = 0;
  let other = '';
  let partial = '';
  child.stderr.on('data', (c) => {
    const lines = (partial + c.toString()).split('\n');
    partial = lines.pop();
    const at = Date.now();
    for (const line of lines) {
      const d = /^% Message delivered to partition (\d+) \(offset (-?\d+)\)/.exec(line);
      if (d) {
        deliveries.push({ partition: Number(d[1]), offset: Number(d[2]), at });
        continue;
      }
      const e = /encountered error: (.*?) \(actions/.exec(line);
      if (e) errors.set(e[1], (errors.get(e[1]) ?? 0) + 1);
      if (/Delivery failed/.test(line)) failed++;
      if (!line.startsWith('%7|') && other.length < 20_000) other += `${line}\n`;
    }
  });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  const pad = 'x'.repeat(90);
  let sent = 0;
  const t0 = performance.now();
  // Also keeps kcat polling: it serves delivery reports only between input lines.
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    let chunk = '';
    for (; sent < due; sent++) chunk += keyed ? `k${sent % 600}:v${sent}${pad}\n` : `v${sent}${pad}\n`;
    if (chunk) child.stdin.write(chunk);
  }, 10);
  return {
    pid: child.pid,
    deliveries,
    errors,
    get sent() {
      return sent;
    },
    async finish(timeoutMs) {
      clearInterval(timer);
      child.stdin.end();
      let t;
      const code = await Promise.race([exited, new Promise((resolve) => (t = setTimeout(resolve, timeoutMs, 'timeout')))]);
      clearTimeout(t);
      if (code === 'timeout') child.kill('SIGKILL');
      return { code, failed, stderr: other };
    },
  };
}

/** kcat -C of one partition from the beginning to its end: values (the number after `v`) in order. */
async function readPartition(bootstrap, topic, partition) {
  const child = spawn('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`kcat -C ${topic}-${partition} exited ${code}`);
  return out.split('\n').filter(Boolean).map((line) => Number(/^v(\d+)/.exec(line)?.[1] ?? NaN));
}

/** Offset ranges [from, to) of `topic` held in the bucket: manifests' segments and write-ahead objects' entries. */
async function bucketCoverage(s3, bucket, prefix, topicIdHex, partitions) {
  const ranges = Array.from({ length: partitions }, () => []);
  let walObjects = 0;
  for (const { key } of await listAll(s3, bucket, `${prefix}wal/`)) {
    if (!key.endsWith('.wal')) continue;
    let body;
    try {
      body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body.transformToByteArray());
    } catch (err) {
      if (err.name === 'NoSuchKey') continue; // deleted once offloaded: the manifest (read after) covers it
      throw err;
    }
    walObjects++;
    // "STRWAL01", uint32 header length, JSON header (src/wal/wal-format.ts).
    const header = JSON.parse(body.subarray(12, 12 + body.readUInt32BE(8)).toString('utf8'));
    for (const e of header.entries) {
      const colon = e.p.lastIndexOf(':');
      if (e.p.slice(0, colon) === topicIdHex) ranges[Number(e.p.slice(colon + 1))]?.push([e.b, e.l + 1]);
    }
  }
  let segments = 0;
  for (let p = 0; p < partitions; p++) {
    const keys = (await listAll(s3, bucket, `${prefix}${topicIdHex}/${p}/manifest/`)).map((o) => o.key).filter((k) => k.endsWith('.json')).sort();
    if (keys.length === 0) continue;
    const manifest = JSON.parse(Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys.at(-1) }))).Body.transformToByteArray()).toString('utf8'));
    for (const s of manifest.segments) ranges[p].push([s.baseOffset, s.endOffset]);
    segments += manifest.segments.length;
  }
  return { covers: (p, offset) => ranges[p].some(([from, to]) => offset >= from && offset < to), walObjects, segments };
}

async function waitFor(what, condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await condition().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  const P = opts.partitions;
  console.log(LIMITS);
  // A random port may collide with another throwaway Ceph cluster on this machine: try again.
  let server;
  for (let attempt = 1; server === undefined; attempt++) {
    try {
      server = await startS3();
    } catch (err) {
      if (attempt >= 3) throw err;
      console.log(`radosgw did not start (${String(err.message).slice(0, 120)}…); again`);
    }
  }
  if (server.kind !== 'radosgw') {
    server.stop();
    console.log('SKIPPED: this bench pauses the S3 server (SIGSTOP of radosgw); AWS_ENDPOINT_URL_S3 names one it cannot pause.');
    return;
  }
  const result = { machine: machineInfo(), limits: LIMITS, settings: opts, s3: { kind: server.kind, version: server.version } };
  const brokers = [];
  const clients = [];
  let durable;
  let local;
  let rgwStopped = false;
  const rgw = server.rgwPid();
  const resume = () => {
    if (!rgwStopped) return;
    rgwStopped = false;
    try {
      process.kill(rgw, 'SIGCONT');
    } catch {
      // gone
    }
  };
  process.once('SIGINT', () => {
    resume();
    process.exit(130);
  });
  process.once('exit', resume);
  try {
    const s3 = s3Client(server.endpoint);
    const bucket = `strata-bench-faults-${Date.now().toString(36)}`;
    const prefix = 'faults/';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const config = {
      'cluster.enable': 'true',
      'redis.url': opts.redis,
      'redis.key.prefix': `strata-bench-faults-${crypto.randomBytes(4).toString('hex')}:`,
      'broker.heartbeat.interval.ms': 200,
      'broker.session.timeout.ms': 1500,
      'auto.create.topics.enable': 'false',
      'remote.storage.s3.bucket': bucket,
      'remote.storage.s3.endpoint': server.endpoint,
      'remote.storage.s3.path.style.access': 'true',
      'remote.storage.s3.prefix': prefix,
      'log.remote.storage.enable': 'true',
      'log.segment.bytes': 256 * 1024,
      'remote.log.manager.task.interval.ms': 200,
      'wal.ack.timeout.ms': 2000,
    };
    for (const id of [1, 2, 3]) {
      const b = await startBroker({ readyTimeoutMs: 60_000, config: { ...config, 'node.id': id } });
      brokers.push(b);
      const client = await KafkaClient.connect({ port: b.port, clientId: 'strata-bench-faults' });
      await client.apiVersions();
      clients.push(client);
    }
    const bootstrap = `127.0.0.1:${brokers[0].port}`;
    const durableTopic = `bench-faults-durable-${Date.now()}`;
    const localTopic = `bench-faults-local-${Date.now()}`;
    await createTopic(clients[0], durableTopic, P);
    await createTopic(clients[0], localTopic, 1, { configs: { 'remote.storage.enable': 'false' } });
    await waitFor('leaders on all three brokers', async () => {
      const t = (await metadata(clients[0], [durableTopic])).topics[0];
      const leaders = t.partitions.map((p) => (p.errorCode === 0 ? p.leaderId : -1));
      return leaders.length === P && !leaders.includes(-1) && new Set(leaders).size === 3;
    }, 30_000);
    const topicIdHex = Buffer.from(await topicIdOf(clients[0], durableTopic)).toString('hex');

    durable = reportingProducer(bootstrap, durableTopic, opts.rate, { idempotent: true, keyed: true });
    local = reportingProducer(bootstrap, localTopic, opts.rate, { idempotent: false, keyed: false });
    const t0 = Date.now();
    await sleep(opts['warmup-seconds'] * 1000); // load phase length, not a synchronisation
    const pausedAt = Date.now();
    process.kill(rgw, 'SIGSTOP');
    rgwStopped = true;
    console.log(`radosgw (pid ${rgw}) stopped after ${round((pausedAt - t0) / 1000, 1)} s of load; ${fmt(durable.deliveries.length)} durable records acknowledged so far`);
    await sleep(opts['outage-seconds'] * 1000); // the outage's length
    const resumedAt = Date.now();
    const sentBeforeResume = durable.sent;
    resume();
    console.log(`radosgw resumed after ${round((resumedAt - pausedAt) / 1000, 1)} s`);
    const backlogAt = await waitFor('the records sent during the outage to be acknowledged', async () => (durable.deliveries.length >= sentBeforeResume ? Date.now() : undefined), 300_000);
    await sleep(opts['after-seconds'] * 1000);
    const [dDone, lDone] = await Promise.all([durable.finish(300_000), local.finish(60_000)]);

    const during = (list) => list.filter((d) => d.at >= pausedAt + GRACE_MS && d.at < resumedAt);
    const before = (list) => list.filter((d) => d.at < pausedAt);
    const firstAfter = durable.deliveries.find((d) => d.at >= resumedAt);
    const localDuring = during(local.deliveries).length;
    const outageS = (resumedAt - pausedAt - GRACE_MS) / 1000;
    result.outage = {
      seconds: round((resumedAt - pausedAt) / 1000, 1),
      durableAckedBefore: before(durable.deliveries).length,
      durableAckedDuring: during(durable.deliveries).length,
      durableSentDuring: sentBeforeResume - before(durable.deliveries).length,
      clientErrors: Object.fromEntries(durable.errors),
      firstDurableAckAfterResumeMs: firstAfter ? firstAfter.at - resumedAt : null,
      backlogAcknowledgedAfterResumeMs: backlogAt - resumedAt,
      localAckedDuring: localDuring,
      localAckRateDuring: round(localDuring / outageS, 0),
      localAckRateWarmup: round(before(local.deliveries).length / ((pausedAt - t0) / 1000), 0),
    };
    console.log(
      `durable (acks=all): ${fmt(result.outage.durableAckedBefore)} acknowledged before, ${result.outage.durableAckedDuring} during the outage (after ${GRACE_MS} ms grace), ` +
        `client errors ${JSON.stringify(result.outage.clientErrors)}; first ack ${result.outage.firstDurableAckAfterResumeMs} ms after SIGCONT, ` +
        `backlog of ${fmt(result.outage.durableSentDuring)} acknowledged ${result.outage.backlogAcknowledgedAfterResumeMs} ms after`,
    );
    console.log(`local (acks=1, no remote storage): ${fmt(localDuring)} acknowledged during the outage (${fmt(result.outage.localAckRateDuring)}/s; warm-up ${fmt(result.outage.localAckRateWarmup)}/s)`);

    // Verification.
    const problems = [];
    if (dDone.code !== 0 || dDone.failed > 0) problems.push(`durable producer exit ${dDone.code}, ${dDone.failed} delivery failures: ${dDone.stderr.slice(-500)}`);
    if (lDone.code !== 0 || lDone.failed > 0) problems.push(`local producer exit ${lDone.code}, ${lDone.failed} delivery failures`);
    if (result.outage.durableAckedDuring !== 0) problems.push(`${result.outage.durableAckedDuring} durable records acknowledged while object storage was down`);
    if (localDuring === 0) problems.push('the acks=1 topic acknowledged nothing during the outage');
    if (durable.deliveries.length !== durable.sent) problems.push(`durable: ${durable.deliveries.length} delivery reports for ${durable.sent} records sent`);
    const perPartition = [];
    const seen = new Set();
    for (let p = 0; p < P; p++) {
      const values = await readPartition(bootstrap, durableTopic, p);
      perPartition.push(values);
      for (let i = 0; i < values.length; i++) {
        if (i > 0 && !(values[i] > values[i - 1])) problems.push(`${durableTopic}-${p}: ${values[i]} after ${values[i - 1]} at offset ${i}`);
        if (seen.has(values[i])) problems.push(`value ${values[i]} read twice`);
        seen.add(values[i]);
      }
    }
    if (seen.size !== durable.sent) problems.push(`read ${seen.size} distinct values, sent ${durable.sent}`);
    const localValues = await readPartition(bootstrap, localTopic, 0);
    if (localValues.length !== local.sent) problems.push(`local topic: read ${localValues.length}, sent ${local.sent}`);
    const cover = await bucketCoverage(s3, bucket, prefix, topicIdHex, P);
    const notInBucket = durable.deliveries.filter((d) => !cover.covers(d.partition, d.offset) || d.offset >= perPartition[d.partition].length);
    if (notInBucket.length > 0) problems.push(`${notInBucket.length} acknowledged offsets not in the bucket, e.g. ${JSON.stringify(notInBucket.slice(0, 3))}`);
    result.verify = {
      verified: problems.length === 0,
      problems: problems.slice(0, 20),
      durableSent: durable.sent,
      durableRead: seen.size,
      localSent: local.sent,
      localRead: localValues.length,
      bucket: { walObjects: cover.walObjects, segments: cover.segments },
    };
    console.log(
      `verify: durable ${fmt(durable.sent)} sent, ${fmt(durable.deliveries.length)} acknowledged, ${fmt(seen.size)} read (each once, in order per partition), ` +
        `${fmt(durable.deliveries.length - notInBucket.length)} acknowledged offsets in the bucket (${cover.walObjects} write-ahead objects, ${cover.segments} segments); ` +
        `local ${fmt(local.sent)} sent, ${fmt(localValues.length)} read: ${problems.length === 0 ? 'verified' : `FAILURE\n  ${problems.slice(0, 20).join('\n  ')}`}`,
    );
    if (problems.length > 0) process.exitCode = 1;
  } finally {
    resume();
    await durable?.finish(1000).catch(() => {});
    await local?.finish(1000).catch(() => {});
    for (const c of clients) c.close();
    await Promise.all(brokers.map((b) => b.stop().catch(() => {})));
    server.stop();
  }
  const file = writeResult('faults-object-storage', result);
  console.log(`wrote ${file}`);
}

if (isMain(import.meta.url)) main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
