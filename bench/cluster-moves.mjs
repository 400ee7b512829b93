// Thread: main (bench). Partition moves between brokers (issue 15): a cluster of broker processes
// on 127.0.0.1 (cluster.enable, one fresh Redis key prefix on REDIS_URL, default
// 127.0.0.1:6379, one fresh bucket on the S3 server of lib/s3.mjs: a throwaway radosgw unless
// AWS_ENDPOINT_URL_S3 names one), a 12-partition topic with remote.storage.enable=true, and
// one steady bounded load throughout: an idempotent acks=all kcat producer fed --rate records/s
// (≈ 100-byte values, keyed over every partition) through stdin by this script. Three parts:
//
//   join      broker 1 leads all 12 partitions under the load; brokers 2 and 3 start together;
//             the time from their spawn, from each one's "broker ready" and from the first
//             ready until every broker's Metadata shows 4/4/4 (all views equal).
//   moves     --moves graceful moves (default 60), two at a time: a swap of one partition of
//             broker A with one of broker B through AlterPartitionReassignments (KafkaJS admin),
//             then the same swap back (counts stay 4/4/4, so the controller's balancer never
//             adds moves of its own). The pause of each move is the new leader's `pauseMs`
//             (old leader's fence → new leader serving, from its log); the client's view is a
//             KafkaJS producer (acks=all) sending one record at a time to each moving partition
//             from just before the request until just after the takeover: its longest send and
//             longest gap between two acknowledgements. Before the moves the same probe runs
//             with no move for a baseline.
//   shutdown  --shutdowns times (default 2): SIGTERM of a broker leading 4 partitions (never
//             broker 1, the producer's bootstrap) until its process exits (controlled shutdown:
//             hand over, then leave); then it starts again with the same node.id and the time
//             until 4/4/4 again is a single broker's join figure.
//
// Verified at the end: the producer exits 0 with no delivery failure, and the sum of the
// partitions' end offsets (ListOffsets asked of each leader) equals the records it delivered.
//
// What 2 cores can show: three brokers, kcat, this script (KafkaJS probe, Metadata polling),
// Redis and radosgw share two cores, so every pause includes waiting for a core, and the upload
// of the tail to a radosgw on the same cores is most of a move. The figures bound what a move
// costs here; they say nothing of throughput scaling, and a machine with a core per broker and a
// real object store would show different (likely shorter) pauses.
//
// Usage: node bench/cluster-moves.mjs [--moves=60] [--shutdowns=2] [--rate=2000] [--partitions=12]
//          [--warmup-seconds=5] [--redis=redis://127.0.0.1:6379]
import crypto from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { fmt, isMain, parseArgs, sleep } from './lib/cli.mjs';
import { snapshotDist } from './lib/broker.mjs';
import { Cluster, cpuMeter, cpuText, endOffsetsSum, startS3WithRetries, steadyProducer, summary } from './lib/cluster-harness.mjs';
import { createTopic } from './lib/kafka-client.mjs';
import { machineInfo, round, writeResult } from './lib/results.mjs';

const DEFAULTS = { moves: 60, shutdowns: 2, rate: 2000, partitions: 12, 'warmup-seconds': 5, redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' };
const BROKERS = 3;

const probeCount = { acked: 0, errors: 0 };

/** One record at a time to one partition until stop(): longest send and longest gap between acks. */
function probe(producer, topic, partition) {
  let running = true;
  let maxSendMs = 0;
  let maxGapMs = 0;
  let sends = 0;
  let errors = 0;
  let lastAck = performance.now();
  const value = Buffer.alloc(100, 'p');
  const done = (async () => {
    while (running) {
      const t = performance.now();
      try {
        await producer.send({ topic, acks: -1, messages: [{ partition, value }] });
        const now = performance.now();
        maxSendMs = Math.max(maxSendMs, now - t);
        maxGapMs = Math.max(maxGapMs, now - lastAck);
        lastAck = now;
        sends++;
        probeCount.acked++;
      } catch {
        errors++;
        probeCount.errors++;
        await sleep(5);
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return { maxSendMs, maxGapMs, sends, errors };
    },
  };
}

async function probeBaseline(producer, topic, partitions, ms) {
  const probes = partitions.map((p) => probe(producer, topic, p));
  await sleep(ms);
  return Promise.all(probes.map((p) => p.stop()));
}

const LIMITS = 'What 2 cores can show: three brokers, kcat, this script, Redis and radosgw share two cores, so every pause below includes waiting for a core and an upload to a radosgw on the same cores; the figures bound what a move costs on a crowded machine (not what it costs with a core per broker and a real object store), and nothing here can show throughput scaling with brokers.';

async function main() {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  const P = opts.partitions;
  if (P % BROKERS !== 0) throw new Error(`--partitions must be a multiple of ${BROKERS}`);
  snapshotDist();
  console.log(LIMITS);
  const server = await startS3WithRetries();
  const result = { machine: machineInfo(), limits: LIMITS, settings: { ...opts, brokers: BROKERS }, s3: { kind: server.kind, version: server.version } };
  let c;
  let load;
  let kafka;
  try {
    const s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    const bucket = `strata-bench-moves-${Date.now().toString(36)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const prefix = `strata-bench-moves-${crypto.randomBytes(4).toString('hex')}:`;
    // The settings of test/integration/cluster-moves.test.ts.
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
      'remote.storage.s3.prefix': 'moves/',
      'log.remote.storage.enable': 'true',
      'log.segment.bytes': 1024 * 1024,
      'remote.log.manager.task.interval.ms': 200,
    }, { clientId: 'strata-bench-cluster-moves' });
    const b1 = await c.start(1);
    const topic = `bench-moves-${Date.now()}`;
    await createTopic(b1.client, topic, P, { configs: { 'remote.storage.enable': 'true' } });
    for (const deadline = Date.now() + 15_000; ; ) {
      const [v] = await c.views(topic);
      if (v.length === P && v.every((l) => l === 1)) break;
      if (Date.now() > deadline) throw new Error(`broker 1 does not lead every partition: ${JSON.stringify(v)}`);
      await sleep(20);
    }
    load = steadyProducer(`127.0.0.1:${b1.port}`, topic, opts.rate);
    kafka = new Kafka({ clientId: 'strata-bench-moves-probe', brokers: [`127.0.0.1:${b1.port}`], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 10, maxRetryTime: 200, retries: 100 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { initialRetryTime: 10, maxRetryTime: 200, retries: 100 } });
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    await sleep(opts['warmup-seconds'] * 1000);

    // ---- join: brokers 2 and 3 start together --------------------------------------------
    let meter = cpuMeter(c, load.pid, server.pids());
    const joinStart = performance.now();
    const joined = await Promise.all([2, 3].map((id) => c.start(id)));
    const balanced = await c.waitBalanced(topic, P);
    const served = await c.servedAt(Array(P).fill(1), balanced.leaders, joinStart);
    const firstReady = Math.min(...joined.map((b) => b.readyAt));
    const cpuJoin = meter();
    const joinTakeovers = c.events.filter((e) => e.at >= joinStart && e.msg === 'partition taken over from another broker');
    result.join = {
      fromSpawnMs: round(balanced.at - joinStart, 0),
      fromFirstReadyMs: round(balanced.at - firstReady, 0),
      fromEachReadyMs: Object.fromEntries(joined.map((b) => [`broker${b.nodeId}`, round(balanced.at - b.readyAt, 0)])),
      spawnToReadyMs: Object.fromEntries(joined.map((b) => [`broker${b.nodeId}`, round(b.readyAt - b.spawnedAt, 0)])),
      // Metadata shows 4/4/4 when the controller decided; the partitions are served by their
      // new leaders once each handoff is done:
      servedFromFirstReadyMs: served ? round(served.at - firstReady, 0) : null,
      servedFromEachReadyMs: served ? Object.fromEntries(joined.map((b) => [`broker${b.nodeId}`, round(served.at - b.readyAt, 0)])) : null,
      leaders: balanced.leaders,
      moved: served?.moved ?? null,
      handoffs: joinTakeovers.length,
      handoffPause: summary(joinTakeovers.map((e) => e.pauseMs)),
      cpu: cpuJoin,
    };
    const j = result.join;
    console.log(`join: 2 brokers started together; Metadata shows 4/4/4 on every broker ${fmt(j.fromFirstReadyMs)} ms after the first was ready (${Object.entries(j.fromEachReadyMs).map(([k, v]) => `${k} ${fmt(v)} ms`).join(', ')} after each one's ready; ${fmt(j.fromSpawnMs)} ms from spawn); all ${j.moved} moved partitions served by their new leaders ${fmt(j.servedFromFirstReadyMs)} ms after the first ready (${j.servedFromEachReadyMs ? Object.entries(j.servedFromEachReadyMs).map(([k, v]) => `${k} ${fmt(v)} ms`).join(', ') : 'not all served'}); ${j.handoffs} handoffs, pause p50 ${j.handoffPause.p50Ms} ms max ${j.handoffPause.maxMs} ms; ${cpuText(j.cpu)}`);

    // ---- moves: swaps of two partitions between two brokers, then back --------------------
    await sleep(1000);
    let leaders = (await c.views(topic))[0];
    const allParts = Array.from({ length: P }, (_, i) => i);
    const baseline = await probeBaseline(producer, topic, [0, 1], 2000);
    result.probeBaseline = { maxSendMs: round(Math.max(...baseline.map((b) => b.maxSendMs)), 1), maxGapMs: round(Math.max(...baseline.map((b) => b.maxGapMs)), 1), sends: baseline.reduce((s, b) => s + b.sends, 0) };
    console.log(`probe with no move (2 s, partitions 0 and 1): longest send ${result.probeBaseline.maxSendMs} ms, longest gap ${result.probeBaseline.maxGapMs} ms (${result.probeBaseline.sends} sends)`);
    meter = cpuMeter(c, load.pid, server.pids());
    const brokerPairs = [[1, 2], [2, 3], [1, 3]];
    const moves = [];
    const swaps = Math.ceil(opts.moves / 2);
    const movesStart = performance.now();
    let pair;
    let failure = null;
    for (let i = 0; i < swaps && performance.now() - movesStart < 300_000; i++) {
      if (i % 2 === 0) {
        const [a, b] = brokerPairs[(i / 2) % brokerPairs.length];
        const round_ = Math.floor(i / 2 / brokerPairs.length);
        const onA = allParts.filter((p) => leaders[p] === a);
        const onB = allParts.filter((p) => leaders[p] === b);
        pair = [{ p: onA[round_ % onA.length], to: b, back: a }, { p: onB[round_ % onB.length], to: a, back: b }];
      } else pair = pair.map((m) => ({ p: m.p, to: m.back, back: m.to }));
      const probes = pair.map((m) => probe(producer, topic, m.p));
      await sleep(100);
      const issued = performance.now();
      await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: pair.map((m) => ({ partition: m.p, replicas: [m.to] })) }] });
      const taken = await Promise.all(pair.map((m) => c.waitEvent((e) => e.msg === 'partition taken over from another broker' && e.partition === m.p && e.node === m.to, issued)));
      await sleep(100);
      const seen = await Promise.all(probes.map((p) => p.stop()));
      pair.forEach((m, k) => {
        const e = taken[k];
        const released = c.events.find((x) => x.at >= issued && x.msg === 'partition handed over to another broker' && x.partition === m.p);
        moves.push({ partition: m.p, from: m.back, to: m.to, pauseMs: e?.pauseMs ?? null, releaseMs: released?.ms ?? null, requestToServingMs: e ? round(e.at - issued, 1) : null, clientMaxSendMs: round(seen[k].maxSendMs, 1), clientMaxGapMs: round(seen[k].maxGapMs, 1), clientErrors: seen[k].errors });
        if (e) leaders[m.p] = m.to;
      });
      if (taken.some((e) => e === null)) {
        failure = `swap ${i}: no takeover logged within 30 s (${JSON.stringify(pair)})`;
        break;
      }
      await sleep(200);
    }
    const done = moves.filter((m) => m.pauseMs !== null);
    result.moves = {
      requested: opts.moves,
      done: done.length,
      failure,
      pause: summary(done.map((m) => m.pauseMs)),
      releaseOnOldLeader: summary(done.filter((m) => m.releaseMs !== null).map((m) => m.releaseMs)),
      requestToServing: summary(done.map((m) => m.requestToServingMs)),
      clientMaxSend: summary(moves.map((m) => m.clientMaxSendMs)),
      clientMaxGap: summary(moves.map((m) => m.clientMaxGapMs)),
      clientErrors: moves.reduce((s, m) => s + m.clientErrors, 0),
      cpu: meter(),
      each: moves,
    };
    const mv = result.moves;
    console.log(`moves: ${mv.done}/${mv.requested} graceful moves (swaps back and forth); pause (old leader fenced → new leader serving, brokers' logs) p50 ${mv.pause.p50Ms} ms, p99 ${mv.pause.p99Ms} ms, max ${mv.pause.maxMs} ms; old leader's fence+seal+upload+publish p50 ${mv.releaseOnOldLeader.p50Ms} ms; request → serving p50 ${mv.requestToServing.p50Ms} ms`);
    console.log(`moves, client's view (KafkaJS, one send at a time to the moving partition): longest send p50 ${mv.clientMaxSend.p50Ms} ms, p99 ${mv.clientMaxSend.p99Ms} ms, max ${mv.clientMaxSend.maxMs} ms; longest gap between acks p50 ${mv.clientMaxGap.p50Ms} ms, max ${mv.clientMaxGap.maxMs} ms; ${mv.clientErrors} sends failed after retries; ${cpuText(mv.cpu)}`);
    if (failure) {
      console.log(`moves: FAILURE ${failure}`);
      process.exitCode = 1;
    }

    // ---- shutdown: SIGTERM of a broker leading its 4, then it starts again -----------------
    await producer.disconnect();
    await admin.disconnect();
    result.shutdowns = [];
    for (let i = 0; i < opts.shutdowns; i++) {
      const victimId = 3 - (i % 2); // 3, 2, 3, …: never broker 1 (the producer's bootstrap)
      const victim = c.brokers.get(victimId);
      const before = (await c.views(topic))[0];
      const led = before.filter((l) => l === victimId).length;
      meter = cpuMeter(c, load.pid, server.pids());
      const t0 = performance.now();
      process.kill(victim.pid, 'SIGTERM');
      await victim.exitPromise;
      const exitedMs = performance.now() - t0;
      const handed = c.events.find((e) => e.at >= t0 && e.node === victimId && e.msg.startsWith('controlled shutdown'));
      const takeovers = c.events.filter((e) => e.at >= t0 && e.msg === 'partition taken over from another broker');
      victim.client.close();
      await victim.stop();
      const after = (await c.views(topic))[0];
      const cpu = meter();
      // Back to three: the same node id on a fresh data directory (its data is in the bucket).
      const restartAt = performance.now();
      const again = await c.start(victimId);
      const rebalanced = await c.waitBalanced(topic, P);
      const reserved = await c.servedAt(after, rebalanced.leaders, restartAt);
      const s = {
        broker: victimId,
        partitionsLed: led,
        sigtermToExitMs: round(exitedMs, 0),
        controlledShutdown: handed ? { msg: handed.msg, ms: handed.ms } : null,
        takeoverPause: summary(takeovers.map((e) => e.pauseMs)),
        leadersAfter: after,
        victimLeadsAfter: after.filter((l) => l === victimId).length,
        rejoinFromReadyMs: round(rebalanced.at - again.readyAt, 0),
        rejoinFromSpawnMs: round(rebalanced.at - restartAt, 0),
        rejoinServedFromReadyMs: reserved ? round(reserved.at - again.readyAt, 0) : null,
        rejoinMoved: reserved?.moved ?? null,
        cpu,
      };
      result.shutdowns.push(s);
      console.log(`shutdown ${i + 1}: SIGTERM of broker ${victimId} leading ${led} partitions → exited in ${fmt(s.sigtermToExitMs)} ms (${s.controlledShutdown ? `${s.controlledShutdown.msg}: ${s.controlledShutdown.ms} ms` : 'no controlled-shutdown line'}); ${takeovers.length} takeovers, pause max ${s.takeoverPause.maxMs} ms; it leads ${s.victimLeadsAfter} after; restarted, Metadata 4/4/4 again ${fmt(s.rejoinFromReadyMs)} ms and its ${s.rejoinMoved} partitions served ${fmt(s.rejoinServedFromReadyMs)} ms after it was ready; ${cpuText(cpu)}`);
    }

    // ---- verify ---------------------------------------------------------------------------
    const finished = await load.finish(150_000);
    leaders = (await c.views(topic))[0];
    const total = await endOffsetsSum(c, topic, leaders);
    // The probe's records are in the topic too (idempotent, acks=all, counted when acknowledged).
    const delivered = finished.code === 0 ? load.sent - finished.failed : null;
    const verified = delivered !== null && finished.failed === 0 && probeCount.errors === 0 && total === delivered + probeCount.acked;
    result.verify = { verified, producerExit: finished.code, deliveryFailures: finished.failed, kcatDelivered: delivered, probeAcked: probeCount.acked, probeErrors: probeCount.errors, endOffsetsSum: total, loadSeconds: round(finished.seconds, 1), loadRecordsPerSec: round(load.sent / finished.seconds, 0), kcatStderrTail: finished.stderr.split('\n').slice(-5).join('\n') };
    console.log(`load: ${fmt(load.sent)} records by kcat over ${round(finished.seconds, 1)} s (exit ${finished.code}, ${finished.failed} delivery failures) + ${fmt(probeCount.acked)} probe records; end offsets sum ${fmt(total)}: ${verified ? 'verified' : 'NOT VERIFIED'}`);
    if (!verified) process.exitCode = 1;
  } finally {
    await load?.finish(1000).catch(() => {});
    await c?.stopAll().catch(() => {});
    server.stop();
  }
  const file = writeResult('cluster-moves', result);
  console.log(`wrote ${file}`);
}

if (isMain(import.meta.url)) main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
