// Thread: main (bench). The cluster (issue 15) on this machine: aggregate ingest through
// librdkafka (`rdkafka_performance -P`, acks=all, 100-byte records, bootstrapped to one broker
// and routed to each partition's leader by the client) into a 6-partition topic led by ONE
// broker, then by THREE brokers of one cluster (cluster.enable, one Redis prefix, processes on
// 127.0.0.1 with their own ports and data dirs); and the time from CreateTopics until every
// broker's Metadata names a leader for every partition. Every count is verified: the
// ListOffsets sum equals the records librdkafka reports delivered.
//
// What 2 cores can show: three brokers share the same two cores as one, and the client needs
// one of them, so aggregate ingest cannot grow with the broker count here — the figure shows
// that spreading partitions over brokers and routing by leader costs little, not a speed-up.
//
// Usage: node bench/cluster.mjs [--records=3000000] [--partitions=6] [--redis=redis://127.0.0.1:6379]
import crypto from 'node:crypto';
import { fmt, isMain, parseArgs } from './lib/cli.mjs';
import { startBroker } from './lib/broker.mjs';
import { ApiKey, KafkaClient, createTopic, metadata } from './lib/kafka-client.mjs';
import { machineInfo, round, writeResult } from './lib/results.mjs';
import { chooseRdkafkaTool, parsePerfSummary, runMeasured } from './clients.mjs';

const DEFAULTS = { records: 3_000_000, partitions: 6, redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' };

async function cluster(size, opts) {
  const prefix = `strata-bench-cluster-${crypto.randomBytes(4).toString('hex')}:`;
  const config = (id) => ({
    'cluster.enable': 'true',
    'redis.url': opts.redis,
    'redis.key.prefix': prefix,
    'node.id': id,
    'broker.heartbeat.interval.ms': 200,
    'broker.session.timeout.ms': 1000,
  });
  const brokers = [await startBroker({ config: config(1) })];
  for (let id = 2; id <= size; id++) brokers.push(await startBroker({ config: config(id) }));
  return brokers;
}

async function run(size, opts, tool) {
  const brokers = await cluster(size, opts);
  try {
    const admin = await KafkaClient.connect({ port: brokers[0].port, clientId: 'strata-bench-cluster' });
    await admin.apiVersions();
    const topic = `bench-cluster-${size}-${Date.now()}`;
    const t0 = performance.now();
    await createTopic(admin, topic, opts.partitions);
    // Until every broker's Metadata names a leader for every partition.
    const clients = await Promise.all(brokers.map(async (b) => {
      const c = await KafkaClient.connect({ port: b.port, clientId: 'strata-bench-cluster' });
      await c.apiVersions();
      return c;
    }));
    let leaders = [];
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      const views = await Promise.all(clients.map((c) => metadata(c, [topic])));
      leaders = views.map((v) => (v.topics[0]?.partitions ?? []).slice().sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.leaderId));
      if (leaders.every((l) => l.length === opts.partitions && !l.includes(-1))) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const placedMs = performance.now() - t0;
    const X = ['-X', 'acks=all', '-X', 'linger.ms=5', '-X', 'batch.size=1000000', '-X', 'queue.buffering.max.kbytes=2097151', '-X', 'queue.buffering.max.messages=10000000'];
    const perf = await runMeasured(tool.binary, ['-P', '-t', topic, '-b', `127.0.0.1:${brokers[0].port}`, '-s', '100', '-c', String(opts.records), '-q', ...X], { timeoutMs: 120_000 });
    const summary = parsePerfSummary(perf.stdout);
    // Each partition's end offset, asked of its leader.
    let total = 0;
    for (let i = 0; i < clients.length; i++) {
      const mine = leaders[i].map((leader, p) => (leader === i + 1 ? p : -1)).filter((p) => p >= 0);
      if (mine.length === 0) continue;
      const c = clients[i];
      const res = await c.request(ApiKey.ListOffsets, c.pickVersion(ApiKey.ListOffsets, 7), {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: mine.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
        timeoutMs: 30000,
      });
      for (const t of res.topics) for (const p of t.partitions) if (p.errorCode === 0) total += Number(p.offset);
    }
    for (const c of [admin, ...clients]) c.close();
    const delivered = summary?.delivered ?? 0;
    return {
      brokers: size,
      leaders: leaders[0],
      placementMs: round(placedMs, 1),
      recordsPerSec: summary?.msgsPerSec ?? null,
      MBps: summary?.MBps ?? null,
      delivered,
      verifiedEndOffsetsSum: total,
      verified: total === delivered && delivered === opts.records,
      clientCpu: perf.cpu ?? null,
    };
  } finally {
    await Promise.all(brokers.map((b) => b.stop()));
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  const tool = chooseRdkafkaTool('perf');
  if (!tool.tool) throw new Error(tool.skipped);
  const runs = [];
  for (const size of [1, 3]) {
    const r = await run(size, opts, tool);
    runs.push(r);
    console.log(`${size} broker(s): ${fmt(r.recordsPerSec)} rec/s (${r.MBps} MB/s) acks=all through librdkafka; leaders ${JSON.stringify(r.leaders)} placed ${r.placementMs} ms after CreateTopics; ${r.verified ? 'verified' : `NOT VERIFIED (delivered ${r.delivered}, end offsets ${r.verifiedEndOffsetsSum})`}`);
  }
  const file = writeResult('cluster', { machine: machineInfo(), settings: opts, tool: tool.version, runs });
  console.log(`wrote ${file}`);
}

if (isMain(import.meta.url)) main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
