// Thread: main (bench). Tiered storage figures against one S3-compatible server:
//  1. steady produce (--produce-mbps for --seconds, 1 MiB batches, acks=1) to a topic with
//     remote.storage.enable=true, segment.bytes=--segment-mib, local.retention.bytes=0:
//     upload throughput (MB/s of segments landed in object storage, measured from the first
//     upload to the drain) and lag behind the active segment (sealed bytes not yet uploaded,
//     sampled every 100 ms from the partition directory: max and mean);
//  2. the broker restarted (empty chunk cache), everything below the active segment remote-only:
//     cold-read throughput with Fetch requests (--fetch-mib) from offset 0 through the remote
//     log, time to first byte of the first cold fetch;
//  3. a raw ranged-GET loop (4 MiB ranges, like the chunk cache) over the same segment objects on
//     the same server, in the same run, for comparison; and a re-read of the same range (chunks
//     then come from the broker's cache) to show the broker-side ceiling of the remote path.
// Lag counts sealed segments still on local disk: queued, uploading, or uploaded and waiting for
// the next local-retention pass (every 100 ms here).
// The server: AWS_ENDPOINT_URL_S3 (+ AWS_ACCESS_KEY_ID/SECRET, default test/test) when set,
// else a throwaway Ceph radosgw (test/helpers/s3/start-radosgw.sh; needs the Debian packages).
//
// Usage: node bench/tier.mjs [--seconds=20] [--produce-mbps=40] [--segment-mib=16] [--fetch-mib=4]
import fs from 'node:fs';
import path from 'node:path';
import { MiB, isMain, parseArgs, sleep } from './lib/cli.mjs';
import { buildBatch, walkBatches } from './lib/batches.mjs';
import { startBroker } from './lib/broker.mjs';
import { ApiKey, KafkaClient, createTopic, fetchBody, listOffsets, produceBody, topicId } from './lib/kafka-client.mjs';
import { machineInfo, round, writeResult } from './lib/results.mjs';
import { listAll, rawRangedGets, s3Client, startS3, tierBucket } from './lib/s3.mjs';

export const TIER_DEFAULTS = { seconds: 20, 'produce-mbps': 40, 'segment-mib': 16, 'fetch-mib': 4 };

const sealedBytes = (dir) => {
  const logs = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  return logs.slice(0, -1).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
};

export async function runTier(o = {}) {
  const opts = { ...TIER_DEFAULTS, ...o };
  const server = await startS3();
  const s3 = s3Client(server.endpoint);
  const { bucket, prefix, config } = await tierBucket(s3, server, opts['segment-mib'] * MiB);
  const result = { workload: 'tier', server: server.kind, options: opts };
  let broker = await startBroker({ config, keepData: true });
  const topic = `tier-bench-${Date.now().toString(36)}`;
  try {
    let client = await KafkaClient.connect({ port: broker.port });
    await client.apiVersions();
    await createTopic(client, topic, 1);
    const partDir = path.join(broker.logDir, `${topic}-0`);
    const { batch } = buildBatch({ batchBytes: MiB, recordBytes: 1000 });
    const pv = client.pickVersion(ApiKey.Produce, 9);
    const body = produceBody({ topic, acks: 1, batches: [{ partition: 0, records: batch }] });

    // 1. Steady produce, lag sampling.
    const lag = [];
    const sampler = setInterval(() => {
      try {
        lag.push(sealedBytes(partDir));
      } catch {}
    }, 100);
    const t0 = performance.now();
    let produced = 0;
    const intervalMs = (batch.length / MiB / opts['produce-mbps']) * 1000;
    for (let i = 0; performance.now() - t0 < opts.seconds * 1000; i++) {
      const due = t0 + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait); // pacing the producer, not synchronisation
      const res = await client.request(ApiKey.Produce, pv, body);
      const err = res.responses[0].partitionResponses[0].errorCode;
      if (err !== 0) throw new Error(`produce error ${err}`);
      produced += batch.length;
    }
    const produceSeconds = (performance.now() - t0) / 1000;
    // Drain: every sealed segment uploaded (and trimmed locally).
    const drainDeadline = performance.now() + 120_000;
    while (sealedBytes(partDir) > 0 && performance.now() < drainDeadline) await sleep(50);
    const drained = performance.now();
    clearInterval(sampler);
    const objects = (await listAll(s3, bucket, prefix)).filter((x) => x.key.endsWith('.log'));
    const uploadedBytes = objects.reduce((n, x) => n + x.size, 0);
    result.produce = { MBps: round(produced / MiB / produceSeconds, 1), bytes: produced };
    result.upload = {
      segments: objects.length,
      MBps: round(uploadedBytes / MiB / ((drained - t0) / 1000), 1),
      bytes: uploadedBytes,
      lagMaxMiB: round(Math.max(0, ...lag) / MiB, 1),
      lagMeanMiB: round(lag.reduce((a, b) => a + b, 0) / Math.max(1, lag.length) / MiB, 1),
      drainAfterProduceMs: round(drained - t0 - produceSeconds * 1000, 0),
    };

    // 2. Cold read through the broker (restart: empty chunk cache).
    client.close();
    const logDir = broker.logDir;
    await broker.stop();
    broker = await startBroker({ config, logDir, keepData: true });
    client = await KafkaClient.connect({ port: broker.port });
    await client.apiVersions();
    const id = await topicId(client, topic);
    const [earliest] = await listOffsets(client, topic, 1, -2n);
    const localStart = Number(fs.readdirSync(path.join(logDir, `${topic}-0`)).filter((f) => f.endsWith('.log')).sort()[0].slice(0, 20));
    const fv = client.pickVersion(ApiKey.Fetch, 12);
    let offset = earliest;
    let readBytes = 0;
    let ttfbMs = null;
    const r0 = performance.now();
    while (offset < localStart) {
      const f0 = performance.now();
      const res = await client.request(ApiKey.Fetch, fv, fetchBody({ topic, topicId: id, partitions: [{ partition: 0, fetchOffset: offset }], maxWaitMs: 0, minBytes: 0, maxBytes: opts['fetch-mib'] * MiB, partitionMaxBytes: opts['fetch-mib'] * MiB }));
      ttfbMs ??= performance.now() - f0;
      const pd = res.responses[0].partitions[0];
      if (pd.errorCode !== 0) throw new Error(`cold fetch at ${offset}: error ${pd.errorCode}`);
      const w = walkBatches(pd.records, offset);
      if (w.nextOffset <= offset) throw new Error(`cold fetch at ${offset} made no progress`);
      readBytes += w.bytes;
      offset = w.nextOffset;
    }
    const coldSeconds = (performance.now() - r0) / 1000;
    result.coldRead = { MBps: round(readBytes / MiB / coldSeconds, 1), bytes: readBytes, timeToFirstByteMs: round(ttfbMs, 1) };
    // The same range again: chunks now come from the broker's cache (memory / disk), not S3.
    const w0 = performance.now();
    let warmBytes = 0;
    for (let at = earliest; at < localStart; ) {
      const res = await client.request(ApiKey.Fetch, fv, fetchBody({ topic, topicId: id, partitions: [{ partition: 0, fetchOffset: at }], maxWaitMs: 0, minBytes: 0, maxBytes: opts['fetch-mib'] * MiB, partitionMaxBytes: opts['fetch-mib'] * MiB }));
      const w = walkBatches(res.responses[0].partitions[0].records, at);
      if (w.nextOffset <= at) throw new Error(`warm fetch at ${at} made no progress`);
      warmBytes += w.bytes;
      at = w.nextOffset;
    }
    result.warmRead = { MBps: round(warmBytes / MiB / ((performance.now() - w0) / 1000), 1), bytes: warmBytes };

    // 3. Raw ranged-GET loop over the same objects.
    const raw = await rawRangedGets(s3, bucket, [[...objects].sort((a, b) => (a.key < b.key ? -1 : 1))]);
    result.rawRangedGet = { MBps: raw.MBps, bytes: raw.bytes };
    result.coldVsRawPercent = round((100 * result.coldRead.MBps) / result.rawRangedGet.MBps, 0);
    client.close();
    result.ok = true;
  } finally {
    await broker.stop().catch(() => undefined);
    s3.destroy();
    server.stop();
  }
  result.machine = machineInfo();
  return result;
}

export function printTier(r) {
  console.log(`tiered storage (${r.server}), segment ${r.options['segment-mib']} MiB`);
  console.log(`  produce            ${r.produce.MBps} MB/s for ${r.options.seconds} s`);
  console.log(`  upload             ${r.upload.MBps} MB/s (${r.upload.segments} segments), drained ${r.upload.drainAfterProduceMs} ms after produce stopped`);
  console.log(`  lag behind active  max ${r.upload.lagMaxMiB} MiB, mean ${r.upload.lagMeanMiB} MiB of sealed, not-yet-uploaded segments`);
  console.log(`  cold read (broker) ${r.coldRead.MBps} MB/s, time to first byte ${r.coldRead.timeToFirstByteMs} ms`);
  console.log(`  re-read (cached)   ${r.warmRead.MBps} MB/s (chunk cache on local disk, remote-fetch path otherwise the same)`);
  console.log(`  raw ranged GETs    ${r.rawRangedGet.MBps} MB/s  → broker cold read = ${r.coldVsRawPercent} % of raw`);
}

if (isMain(import.meta.url)) {
  const r = await runTier(parseArgs(process.argv.slice(2), TIER_DEFAULTS));
  printTier(r);
  console.log(`written ${writeResult('tier', r)}`);
}
