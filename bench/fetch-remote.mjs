// Thread: main (bench). Fetch throughput of a 1,000,000-record backlog from object storage
// (issue 5, workload 2). A broker with tiered storage on (segment.bytes --segment-mib,
// local.retention.bytes 0) takes the backlog in ~1 MiB batches of 100-byte records; once every
// sealed segment is uploaded and deleted locally, the broker is restarted (empty chunk cache)
// and consumers read every partition from offset 0 up to its local log start, i.e. everything
// that now exists only in object storage, with Fetch requests of --max-bytes over one
// connection per partition. Verified: the remote range of each partition is counted exactly
// (no gap, no overlap). Compared in the same run with a raw ranged-GET loop (4 MiB ranges, one
// loop per partition, like the broker's chunk fetches) over the same objects on the same server.
// The server: AWS_ENDPOINT_URL_S3 when set (LocalStack, MinIO, …), else a throwaway radosgw.
//
// Usage: node bench/fetch-remote.mjs [--records=1000000] [--partitions=4] [--segment-mib=4]
//          [--max-bytes=4194304] [--cpu-prof-dir=DIR (profile the restarted broker that serves the reads)]
import fs from 'node:fs';
import path from 'node:path';
import { MiB, fmt, isMain, parseArgs, sleep } from './lib/cli.mjs';
import { startBroker } from './lib/broker.mjs';
import { ApiKey, createTopic, listOffsets, topicId } from './lib/kafka-client.mjs';
import { CpuMeter, machineInfo, round, writeResult } from './lib/results.mjs';
import { listAll, rawRangedGets, s3Client, startS3, tierBucket } from './lib/s3.mjs';
import { fetchPass, produceBacklog } from './fetch.mjs';
import { connectAll } from './produce.mjs';

export const FETCH_REMOTE_DEFAULTS = {
  records: 1_000_000,
  partitions: 4,
  'segment-mib': 4,
  'max-bytes': 4 * MiB,
  'batch-bytes': MiB,
  'record-bytes': 100,
  'upload-timeout-seconds': 120,
  'pass-timeout-seconds': 120,
  'cpu-prof-dir': '',
};

/** Base offsets of the .log files in a partition directory, ascending. */
const localSegments = (dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => Number(f.slice(0, 20))).sort((a, b) => a - b);

export async function runFetchRemote(o = {}) {
  const opts = { ...FETCH_REMOTE_DEFAULTS, ...o };
  const result = { workload: 'fetch-remote', ok: false, failures: [], options: opts };
  let server = null;
  let s3 = null;
  let broker = null;
  const clients = [];
  try {
    server = await startS3();
    result.server = { kind: server.kind, endpoint: server.endpoint, version: server.version };
    s3 = s3Client(server.endpoint);
    const { bucket, prefix, config } = await tierBucket(s3, server, opts['segment-mib'] * MiB);
    broker = await startBroker({ config, keepData: true });
    let [admin] = await connectAll(broker.port, 1, 'strata-bench-admin');
    clients.push(admin);
    const topic = `bench-fetch-remote-${Date.now()}`;
    await createTopic(admin, topic, opts.partitions);
    let conns = await connectAll(broker.port, opts.partitions, 'strata-bench-consumer');
    clients.push(...conns);
    const backlog = await produceBacklog({ admin, conns, topic, partitions: opts.partitions, total: opts.records, batchBytes: opts['batch-bytes'], recordBytes: opts['record-bytes'] });
    if (backlog.failures.length > 0) throw new Error(backlog.failures.slice(0, 3).join('; '));

    // Wait until only the active segment is left locally in every partition.
    const dirs = Array.from({ length: opts.partitions }, (_, p) => path.join(broker.logDir, `${topic}-${p}`));
    const u0 = performance.now();
    while (dirs.some((d) => localSegments(d).length > 1)) {
      if (performance.now() - u0 > opts['upload-timeout-seconds'] * 1000) throw new Error(`sealed segments still local after ${opts['upload-timeout-seconds']} s`);
      await sleep(100); // polling the directory: the broker offers no upload-complete event
    }
    result.uploadSeconds = round((performance.now() - u0) / 1000, 2);

    // Restart: the chunk cache starts empty, so every remote read goes to the server.
    for (const c of clients.splice(0)) c.close();
    const logDir = broker.logDir;
    await broker.stop();
    broker = await startBroker({ config, logDir, keepData: true, cpuProfDir: opts['cpu-prof-dir'] || undefined });
    [admin] = await connectAll(broker.port, 1, 'strata-bench-admin');
    conns = await connectAll(broker.port, opts.partitions, 'strata-bench-consumer');
    clients.push(admin, ...conns);
    const earliest = await listOffsets(admin, topic, opts.partitions, -2n);
    const localStart = dirs.map((d) => localSegments(d)[0]);
    const remoteRecords = localStart.reduce((a, b, p) => a + b - earliest[p], 0);
    if (earliest.some((e) => e !== 0)) result.failures.push(`log start offsets ${earliest.join(',')}, expected 0 (records lost)`);
    const version = admin.pickVersion(ApiKey.Fetch, 12);
    const id = await topicId(admin, topic);
    const cpu = new CpuMeter(broker.pid);
    const pass = await fetchPass({ conns, topic, id, hw: localStart, start: earliest, version, maxBytes: opts['max-bytes'], timeoutSeconds: opts['pass-timeout-seconds'] });
    pass.cpu = cpu.stop();
    result.failures.push(...pass.errors.slice(0, 5));
    if (pass.records !== remoteRecords) result.failures.push(`counted ${pass.records} remote records, expected ${remoteRecords}`);
    if (pass.discontinuities > 0) result.failures.push(`${pass.discontinuities} offset gap(s)/overlap(s) between batches`);

    const objects = (await listAll(s3, bucket, prefix)).filter((x) => x.key.endsWith('.log')).sort((a, b) => (a.key < b.key ? -1 : 1));
    // Keys are <prefix><topicId>/<partition>/segments/<base>-<suffix>.log (src/tier/manifest.ts).
    const byPartition = Array.from({ length: opts.partitions }, (_, p) => objects.filter((x) => x.key.split('/').at(-3) === String(p)));
    if (byPartition.reduce((n, l) => n + l.length, 0) !== objects.length) throw new Error('unexpected object key layout');
    const raw = await rawRangedGets(s3, bucket, byPartition);
    Object.assign(result, {
      ok: result.failures.length === 0,
      topic,
      records: opts.records,
      remoteRecords,
      remoteObjects: objects.length,
      pass,
      recordsPerSec: pass.recordsPerSec,
      MBps: pass.MBps,
      rawRangedGet: raw,
      ofRawPercent: round((100 * pass.MBps) / raw.MBps, 0),
      brokerRssBytes: broker.rss(),
    });
  } catch (err) {
    result.failures.push(err.message);
    if (broker) result.brokerLogTail = broker.logTail();
  } finally {
    for (const c of clients) c.close();
    if (broker) {
      broker.keepData = false;
      await broker.stop();
    }
    s3?.destroy();
    server?.stop();
  }
  return result;
}

export function printFetchRemote(r) {
  if (!r.ok) {
    console.log(`fetch from object storage: FAILURE\n  ${r.failures.join('\n  ')}`);
    if (r.brokerLogTail) console.log(r.brokerLogTail);
    return;
  }
  console.log(`fetch from object storage (${r.server.kind}): ${fmt(r.recordsPerSec)} records/s, ${fmt(r.MBps, 1)} MiB/s, cold (broker restarted, empty chunk cache)`);
  console.log(`  ${fmt(r.remoteRecords)} of ${fmt(r.records)} records were remote-only (${r.remoteObjects} segment objects); ${r.pass.requests} requests in ${r.pass.seconds} s; cpu: broker ${r.pass.cpu.brokerCores}, client ${r.pass.cpu.loadGeneratorCores}, other processes ${r.pass.cpu.otherProcessesCores} cores`);
  console.log(`  raw ranged GETs (4 MiB) over the same objects: ${fmt(r.rawRangedGet.MBps, 1)} MiB/s → broker = ${r.ofRawPercent} % of raw`);
  console.log(`  verified: every remote record counted once, log start 0 in every partition; uploads drained in ${r.uploadSeconds} s`);
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), FETCH_REMOTE_DEFAULTS);
  const r = await runFetchRemote(opts);
  printFetchRemote(r);
  const file = writeResult('fetch-remote', { machine: machineInfo(), fetchRemote: r });
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  process.exitCode = r.ok ? 0 : 1;
}
