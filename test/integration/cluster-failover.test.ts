// Integration: a broker that dies (kill -9) loses nothing acknowledged. Three real brokers on
// 127.0.0.1, one Redis, a real S3-compatible bucket (radosgw, or AWS_ENDPOINT_URL_S3); topics
// with remote storage, so every batch also goes to the broker's write-ahead objects and acks=all
// answers only once they are stored (src/wal). An idempotent acks=all librdkafka producer (kcat)
// and an idempotent acks=all KafkaJS producer (on a second topic; every acknowledged record is
// checked at the offset its answer gave) run throughout; the broker leading the most partitions
// is killed; the controller gives its
// partitions to the others, which rebuild them from the bucket (offloaded segments plus the dead
// broker's write-ahead objects) and serve. Every acknowledged record is there exactly once, in
// order per partition. The killed broker then restarts: it drops its stale copies, rejoins,
// takes partitions again — still every record, once.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walCommitsKey } from '../../src/cluster/handoff-store.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { durableClusterArgs, leadersOf, readValues, range } from '../helpers/cluster.js';
import { redisUrl, uniqueRedisPrefix } from '../helpers/groups.js';
import { createTopicOn, kafkaClient } from '../helpers/kafkajs.js';
import { kcatConsumeJson, kcatMetadata, kcatProduce } from '../helpers/kcat.js';
import { startS3Target, useS3Target, type S3Target } from '../helpers/s3/s3-target.js';
import { streamingProducer } from '../helpers/streaming-clients.js';
import { uniqueTopic } from '../helpers/topics.js';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { RawKafkaConnection } from '../helpers/raw-kafka.js';
import { produce } from '../helpers/raw-requests.js';

let s3: S3Target;
useS3Target(startS3Target, (target) => {
  s3 = target;
});
const redisPrefix = uniqueRedisPrefix();
const bucketPrefix = `failover${Date.now().toString(36)}/`;
const brokers = new Map<number, BrokerHandle>();

function clusterArgs(nodeId: number): string[] {
  return durableClusterArgs({ s3, bucketPrefix, redisPrefix: redisPrefix, nodeId });
}

beforeAll(async () => {
  brokers.set(1, await startBroker({ args: clusterArgs(1) }));
  for (const id of [2, 3]) brokers.set(id, await startBroker({ args: clusterArgs(id) }));
}, 90_000);

afterAll(async () => {
  await Promise.all([...brokers.values()].map((b) => b.stop()));
});




describe('a broker killed under an acks=all idempotent producer loses nothing acknowledged', () => {
  const PARTITIONS = 6;
  const topic = uniqueTopic('failover');

  it('kill -9 of the broker leading the most partitions: the others rebuild them from the bucket; every record once, in order', async () => {
    const b1 = brokers.get(1)!;
    await createTopicOn(b1.bootstrap, topic, PARTITIONS);
    const placed = await waitFor(async () => {
      const l = await leadersOf(b1, topic);
      return l.length === PARTITIONS && !l.includes(-1) && [1, 2, 3].every((id) => l.includes(id)) ? l : undefined;
    }, { timeoutMs: 20_000, what: 'leaders on all three brokers' });
    // Replicas mean what they say: every live broker can take a durable partition over, leader first.
    const md = await kcatMetadata(b1.bootstrap, topic);
    for (const part of md.topics[0]!.partitions) {
      expect(part.replicas.map((r) => r.id)).toEqual([part.leader, ...[1, 2, 3].filter((id) => id !== part.leader)]);
      expect(part.isrs.map((r) => r.id).sort()).toEqual([1, 2, 3]);
    }
    const count = (id: number) => placed.filter((l) => l === id).length;
    const victimId = [2, 3].sort((a, b) => count(b) - count(a))[0]!;
    const producer = streamingProducer(b1.bootstrap, topic, { extra: ['-X', 'retries=1000000'] });
    await producer.write(3000);
    // KafkaJS too: an idempotent acks=all producer on a second durable topic, 10 records per send,
    // retrying through the failover. One partition per send: KafkaJS's send() of several
    // partitions resolves without sending those that moved, during its retries, to a broker that
    // had already answered (it skips brokers with an answer: tulios/kafkajs#1303) — records
    // the client never sent, which an earlier version of this test counted as acknowledged.
    const kjsTopic = uniqueTopic('failover-kafkajs');
    await createTopicOn(b1.bootstrap, kjsTopic, PARTITIONS);
    await waitFor(async () => (await leadersOf(b1, kjsTopic)).filter((l) => l > 0).length === PARTITIONS || undefined, { timeoutMs: 20_000, what: 'leaders of the KafkaJS topic' });
    const kjs = kafkaClient(b1.bootstrap, { retry: { retries: 60, initialRetryTime: 100, maxRetryTime: 1_000 } }).producer({ idempotent: true, maxInFlightRequests: 1 });
    await kjs.connect();
    /** The value acknowledged at each offset, per partition (from the Produce answers). */
    const ackedAt = Array.from({ length: PARTITIONS }, () => new Map<number, string>());
    const KJS_SENDS = 150;
    let kjsSent = 0;
    const kjsDone = (async () => {
      for (let i = 0; i < KJS_SENDS; i++) {
        const partition = i % PARTITIONS;
        const values = Array.from({ length: 10 }, (_, j) => `v${i * 10 + j}`);
        const [answer] = await kjs.send({ topic: kjsTopic, acks: -1, messages: values.map((value) => ({ partition, value })) });
        expect(answer?.partition).toBe(partition);
        values.forEach((v, k) => ackedAt[partition]!.set(Number(answer!.baseOffset) + k, v));
        kjsSent++;
      }
    })();
    await waitFor(() => kjsSent >= 30 || undefined, { timeoutMs: 30_000, what: 'KafkaJS sends acknowledged before the kill' });
    // Some of it acknowledged before the kill (the rest is in flight or queued in the client).
    await waitFor(async () => (await readValues(b1, topic, PARTITIONS).catch(() => [])).length >= 1000 || undefined, { timeoutMs: 30_000, what: 'records on every broker before the kill' });
    const victimLeadsKjs = (await leadersOf(b1, kjsTopic)).filter((l) => l === victimId).length;
    const killedAt = Date.now();
    await brokers.get(victimId)!.kill9();
    await producer.write(3000);
    // Its partitions fail over: every partition has a live leader again.
    await waitFor(async () => {
      const l = await leadersOf(b1, topic);
      return l.length === PARTITIONS && !l.includes(-1) && !l.includes(victimId) ? true : undefined;
    }, { timeoutMs: 30_000, what: 'the dead broker’s partitions to fail over' });
    const failoverMs = Date.now() - killedAt;
    await producer.write(2000);
    const done = await producer.finish(120_000);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).not.toMatch(/Delivery failed|% ERROR: Failed/);
    expect(await readValues(b1, topic, PARTITIONS)).toEqual(range(producer.sent));
    await kjsDone;
    await kjs.disconnect();
    expect(await readValues(b1, kjsTopic, PARTITIONS)).toEqual(range(KJS_SENDS * 10));
    // Each acknowledged record is at the very offset its Produce answer gave.
    for (let p = 0; p < PARTITIONS; p++) {
      const read = new Map((await kcatConsumeJson(b1.bootstrap, kjsTopic, { partition: p, timeoutMs: 30_000 })).map((r) => [r.offset, r.payload]));
      expect(ackedAt[p]!.size).toBe(KJS_SENDS * 10 / PARTITIONS);
      for (const [offset, value] of ackedAt[p]!) expect(read.get(offset), `partition ${p} offset ${offset}`).toBe(value);
    }
    console.log(`failover: leaders again ${failoverMs} ms after kill -9`);
    // The rebuilds took acknowledged batches from the dead broker's write-ahead objects, beyond
    // what it had offloaded as segments (its active segments died with it).
    const rebuilt = [1, 2, 3].filter((id) => id !== victimId).flatMap((id) => brokers.get(id)!.logLines().filter((l) => l.msg === 'partition rebuilt from object storage after its leader died'));
    expect(rebuilt.length).toBe(count(victimId) + victimLeadsKjs);
    expect(rebuilt.some((l) => (l.endOffset as number) > (l.offloadedEnd as number))).toBe(true);
    // Once its partitions are rebuilt and re-stored elsewhere, the dead broker's commits are
    // released and its committed objects deleted (it might never come back to delete them).
    const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      expect(await redis.hlen(walCommitsKey(redisPrefix, victimId))).toBe(0);
    } finally {
      redis.disconnect();
    }

    // The killed broker comes back: it drops its stale copies, is given partitions again, and
    // every record is still there exactly once.
    brokers.set(victimId, await brokers.get(victimId)!.restart());
    // (Balancing moves the busiest partitions first: they may be of either topic.)
    await waitFor(async () => [...(await leadersOf(b1, topic)), ...(await leadersOf(b1, kjsTopic))].includes(victimId) || undefined, { timeoutMs: 30_000, what: 'the restarted broker to lead partitions again' });
    expect(brokers.get(victimId)!.logs()).toMatch(/local copy dropped/);
    expect(await readValues(brokers.get(victimId)!, topic, PARTITIONS)).toEqual(range(producer.sent));
    expect(await readValues(brokers.get(victimId)!, kjsTopic, PARTITIONS)).toEqual(range(KJS_SENDS * 10));
  }, 240_000);

  it('a leader paused past its session (SIGSTOP) and resumed acknowledges nothing after its partitions moved, and its write is never read', async () => {
    const b1 = brokers.get(1)!;
    const zombieTopic = uniqueTopic('zombie');
    await createTopicOn(b1.bootstrap, zombieTopic, 3);
    const placed = await waitFor(async () => {
      const l = await leadersOf(b1, zombieTopic);
      return l.length === 3 && !l.includes(-1) && l.some((x) => x !== 1) ? l : undefined;
    }, { timeoutMs: 20_000, what: 'leaders for every partition' });
    const q = placed.findIndex((x) => x !== 1);
    const zombieId = placed[q]!;
    const zombie = brokers.get(zombieId)!;
    const conn = await RawKafkaConnection.connect(zombie.host, zombie.port);
    try {
      await kcatProduce(b1.bootstrap, zombieTopic, Array.from({ length: 10 }, (_, i) => `before-${i}`).join('\n') + '\n', { partition: q });
      process.kill(zombie.pid, 'SIGSTOP');
      try {
        await waitFor(async () => {
          const l = await leadersOf(b1, zombieTopic);
          return l[q] !== zombieId && l[q] !== -1 ? true : undefined;
        }, { timeoutMs: 30_000, what: 'the paused leader’s partition to fail over' });
        await kcatProduce(b1.bootstrap, zombieTopic, Array.from({ length: 10 }, (_, i) => `after-${i}`).join('\n') + '\n', { partition: q });
      } catch (err) {
        process.kill(zombie.pid, 'SIGCONT');
        throw err;
      }
      // A produce already waiting in the paused broker's socket when it resumes: it still
      // believes it leads the partition, appends, and must not acknowledge.
      const stray = produce(conn, zombieTopic, q, encodeRecordBatch({ records: [{ key: null, value: Buffer.from('zombie-write') }] }), { acks: -1 });
      process.kill(zombie.pid, 'SIGCONT');
      expect((await stray).errorCode).not.toBe(ErrorCode.NONE);
      expect((await produce(conn, zombieTopic, q, encodeRecordBatch({ records: [{ key: null, value: Buffer.from('zombie-write-2') }] }), { acks: -1 })).errorCode).not.toBe(ErrorCode.NONE);
    } finally {
      conn.close();
    }
    // It learns it was declared dead for the partition and drops its copy.
    await waitFor(() => zombie.logs().includes('local copy dropped') || undefined, { timeoutMs: 20_000, what: 'the resumed broker to drop its stale copy' });
    const values = (await kcatConsumeJson(b1.bootstrap, zombieTopic, { partition: q, timeoutMs: 30_000 })).map((r) => r.payload);
    expect(values).toEqual([...Array.from({ length: 10 }, (_, i) => `before-${i}`), ...Array.from({ length: 10 }, (_, i) => `after-${i}`)]);
  }, 120_000);
});
