// Integration: a leader killed (kill -9) and restarted at once, before its session lapses, keeps
// its partitions — and of each durable one only what it had committed to its write-ahead objects.
// Its local log may end with batches that were appended but never committed (never acknowledged):
// serving those and appending after them would leave a gap in its committed batches, and a later
// failover's rebuild stops at the first gap, dropping everything acknowledged after it. Two real
// brokers on 127.0.0.1 (a 10 s session: the restarted process registers as soon as its old
// registration expires, well within the controller's grace of two heartbeats), one Redis, a real
// bucket, an idempotent acks=all kcat producer sending throughout. After the quick restart every
// acknowledged record is there once; then the same broker is killed for good, its partitions are
// rebuilt on the other broker, and every acknowledged record is still there once, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { ManifestStore } from '../../src/tier/manifest.js';
import type { ObjectStore } from '../../src/tier/object-store.js';
import { RawKafkaConnection } from '../helpers/raw-kafka.js';
import { initProducerId, metadata, produce } from '../helpers/raw-requests.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { durableClusterArgs, leadersOf, readValues, range } from '../helpers/cluster.js';
import { uniqueRedisPrefix } from '../helpers/groups.js';
import { createTopicOn } from '../helpers/kafkajs.js';
import { startS3Target, useS3Target, type S3Target } from '../helpers/s3/s3-target.js';
import { streamingProducer } from '../helpers/streaming-clients.js';
import { uniqueTopic } from '../helpers/topics.js';

let s3: S3Target;
let store: ObjectStore;
useS3Target(startS3Target, (target, objectStore) => {
  s3 = target;
  store = objectStore;
});
const redisPrefix = uniqueRedisPrefix();
const bucketPrefix = `restart${Date.now().toString(36)}/`;
const brokers = new Map<number, BrokerHandle>();
const PARTITIONS = 4;

function clusterArgs(nodeId: number): string[] {
  return durableClusterArgs({ s3, bucketPrefix, redisPrefix, nodeId, extra: ['--broker.heartbeat.interval.ms=1000', '--broker.session.timeout.ms=10000'] });
}

beforeAll(async () => {
  brokers.set(1, await startBroker({ args: clusterArgs(1) }));
  brokers.set(2, await startBroker({ args: clusterArgs(2) }));
}, 90_000);

afterAll(async () => {
  await Promise.all([...brokers.values()].map((b) => b.stop()));
});

describe('a rebuilt partition knows the idempotent producers of its offloaded log', () => {
  it('a producer retrying, after a failover, a batch the dead leader had already offloaded gets it deduplicated, not appended twice', async () => {
    const b1 = brokers.get(1)!;
    const victim = brokers.get(2)!;
    const topic = uniqueTopic('offloadedretry');
    await createTopicOn(b1.bootstrap, topic, 2);
    const leaders = await waitFor(async () => {
      const l = await leadersOf(b1, topic);
      return l.length === 2 && l.includes(2) ? l : undefined;
    }, { timeoutMs: 20_000, what: 'a partition led by broker 2' });
    const q = leaders.indexOf(2);
    const conn = await RawKafkaConnection.connect(victim.host, victim.port);
    const init = await initProducerId(conn);
    const producer = { producerId: Number(init.producerId), producerEpoch: init.producerEpoch };
    const batch = (seq: number) => encodeRecordBatch({ ...producer, baseSequence: seq, records: [{ key: null, value: Buffer.from(`p${seq}`) }] });
    // Five idempotent batches (all the producer state a partition keeps), then plain data that
    // rolls the 64 KiB segment, so they are offloaded before the leader dies.
    const offsets: number[] = [];
    for (let seq = 0; seq < 5; seq++) {
      const r = await produce(conn, topic, q, batch(seq));
      expect(r.errorCode).toBe(ErrorCode.NONE);
      offsets.push(Number(r.baseOffset));
    }
    for (let i = 0; i < 10; i++) expect((await produce(conn, topic, q, encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(8_000, i) }] }))).errorCode).toBe(ErrorCode.NONE);
    conn.close();
    const topicId = (await metadataOf(b1, topic)).topicId.toString('hex');
    const manifests = new ManifestStore(store, bucketPrefix);
    await waitFor(async () => ((await manifests.load(topicId, q)).segments.at(-1)?.endOffset ?? 0) > offsets[4]! || undefined, { timeoutMs: 30_000, what: 'the producer’s batches offloaded' });

    await victim.kill9();
    await waitFor(async () => (await leadersOf(b1, topic))[q] === 1 || undefined, { timeoutMs: 30_000, what: 'the partition to fail over to broker 1' });
    const rebuilt = await waitFor(() => b1.logLines().find((l) => l.msg === 'partition rebuilt from object storage after its leader died' && l.partition === `${topicId}:${q}`), { timeoutMs: 30_000, what: 'the partition rebuilt on broker 1' });
    expect(rebuilt.offloadedEnd as number).toBeGreaterThan(offsets[4]!);
    // The last batch again (its answer was "lost"): the original offset, nothing appended; the
    // next one continues the sequence.
    const c1 = await RawKafkaConnection.connect(b1.host, b1.port);
    try {
      const again = await waitFor(async () => {
        const r = await produce(c1, topic, q, batch(4));
        return r.errorCode === ErrorCode.NONE ? r : undefined;
      }, { timeoutMs: 20_000, what: 'the rebuilt partition to take produce requests' });
      expect(Number(again.baseOffset)).toBe(offsets[4]);
      const next = await produce(c1, topic, q, batch(5));
      expect(next.errorCode).toBe(ErrorCode.NONE);
      expect(Number(next.baseOffset)).toBe(offsets[4]! + 11);
      expect((await produce(c1, topic, q, batch(7))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    } finally {
      c1.close();
      // Back for the next test (only now: once back, balancing may move the partition to it).
      brokers.set(2, await victim.restart());
    }
  }, 150_000);
});

async function metadataOf(b: BrokerHandle, topic: string) {
  const conn = await RawKafkaConnection.connect(b.host, b.port);
  try {
    const t = (await metadata(conn, [topic])).topics.find((x) => x.name === topic);
    if (!t) throw new Error(`no metadata for ${topic}`);
    return t;
  } finally {
    conn.close();
  }
}

describe('a durable leader restarted at once keeps only what it committed', () => {
  it('kill -9 and restart within the session: it keeps its partitions, reopened with their committed batches; a later failover loses nothing acknowledged', async () => {
    const b1 = brokers.get(1)!;
    const topic = uniqueTopic('quickrestart');
    await createTopicOn(b1.bootstrap, topic, PARTITIONS);
    const placed = await waitFor(async () => {
      const l = await leadersOf(b1, topic);
      return l.length === PARTITIONS && l.includes(1) && l.includes(2) ? l : undefined;
    }, { timeoutMs: 20_000, what: 'leaders on both brokers' });
    const producer = streamingProducer(b1.bootstrap, topic, { report: true, extra: ['-X', 'retries=1000000'] });
    producer.keepFeeding(20, 10); // ~2,000 records/s: batches are in flight when the broker dies
    await producer.write(2000);
    await waitFor(() => producer.deliveries.length >= 2000 || undefined, { timeoutMs: 30_000, what: 'records acknowledged before the kill' });

    const victim = brokers.get(2)!;
    await victim.kill9();
    await victim.restart();
    // Back within its session: no failover, it leads what it led.
    const topicId = (await metadataOf(b1, topic)).topicId.toString('hex');
    const reopened = () => victim.logLines().filter((l) => l.msg === 'restarted leader: partition reopened with its committed batches only' && String(l.partition).startsWith(`${topicId}:`)).length;
    await waitFor(async () => reopened() === placed.filter((l) => l === 2).length || undefined, { timeoutMs: 30_000, what: 'the restarted broker to reopen its partitions' });
    expect(await leadersOf(b1, topic)).toEqual(placed);
    expect(victim.logLines().filter((l) => /local copy dropped/.test(String(l.msg)) && String(l.partition).startsWith(`${topicId}:`))).toEqual([]);
    await producer.write(2000);
    const target = producer.sent;
    await waitFor(() => producer.deliveries.length >= target || undefined, { timeoutMs: 60_000, what: 'records acknowledged after the restart' });

    // Now it dies for good: broker 1 rebuilds its partitions from what it committed.
    await victim.kill9();
    await waitFor(async () => {
      const l = await leadersOf(b1, topic);
      return l.length === PARTITIONS && l.every((x) => x === 1) ? true : undefined;
    }, { timeoutMs: 30_000, what: 'its partitions to fail over' });
    await producer.write(1000);
    const done = await producer.finish(90_000);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).not.toMatch(/Delivery failed|% ERROR: Failed/);
    expect(producer.deliveries.length).toBe(producer.sent);
    expect(await readValues(b1, topic, PARTITIONS)).toEqual(range(producer.sent));
  }, 180_000);
});
