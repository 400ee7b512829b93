// Integration: the admin APIs Kafka's tooling uses — DeleteRecords (21), OffsetForLeaderEpoch
// (23), DescribeLogDirs (35), DescribeProducers (61) — through KafkaJS and @platformatic/kafka
// where they have them, and raw requests at every advertised version for exact fields and
// error codes. DeleteRecords: Fetch below the new log start is OFFSET_OUT_OF_RANGE, ListOffsets
// earliest answers it, segments wholly below it are deleted, and it survives a restart.
import fs from 'node:fs';
import path from 'node:path';
import { Admin as PlatformaticAdmin } from '@platformatic/kafka';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import {
  decodeDeleteRecordsResponse,
  decodeDescribeLogDirsResponse,
  decodeDescribeProducersResponse,
  decodeOffsetForLeaderEpochResponse,
  deleteRecordsApi,
  describeLogDirsApi,
  describeProducersApi,
  encodeDeleteRecordsRequest,
  encodeDescribeLogDirsRequest,
  encodeDescribeProducersRequest,
  encodeOffsetForLeaderEpochRequest,
  offsetForLeaderEpochApi,
  type DeleteRecordsResponse,
  type DescribeLogDirsResponse,
  type OffsetForLeaderEpochResponse,
} from '../../src/protocol/generated/messages/index.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { startBroker, waitFor, type BrokerHandle } from '../helpers/broker.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { kcatQueryOffset } from '../helpers/kcat.js';
import { withConnection, type RawKafkaConnection } from '../helpers/raw-kafka.js';
import { apiVersions, fetch, initProducerId, listOffset, produce } from '../helpers/raw-requests.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;
let admin: Admin;

beforeAll(async () => {
  broker = await startBroker({ args: ['--auto.create.topics.enable=false', '--log.retention.check.interval.ms=200'] });
  admin = kafkaClient(broker.bootstrap).admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
});

const raw = <T>(fn: (c: RawKafkaConnection) => Promise<T>): Promise<T> => withConnection(broker.host, broker.port, fn);

function batch(count: number, opts: { producerId?: number; producerEpoch?: number; baseSequence?: number; timestamp?: number; valueSize?: number } = {}): Buffer {
  const ts = opts.timestamp ?? Date.now();
  return encodeRecordBatch({
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    baseSequence: opts.baseSequence,
    records: Array.from({ length: count }, (_, i) => ({ key: null, value: opts.valueSize ? Buffer.alloc(opts.valueSize, 7) : Buffer.from(`v-${i}`), timestamp: ts + i })),
  });
}

async function createTopic(topic: string, numPartitions = 1, configs: Record<string, string> = {}): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] });
}

/** Appends `batches` batches of `perBatch` records to partition 0 (acks=-1). */
async function fill(c: RawKafkaConnection, topic: string, batches: number, perBatch: number, partition = 0, valueSize?: number): Promise<void> {
  for (let i = 0; i < batches; i++) expect((await produce(c, topic, partition, batch(perBatch, { valueSize }))).errorCode).toBe(ErrorCode.NONE);
}

function deleteRecords(c: RawKafkaConnection, version: number, topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; offset: bigint }> }>): Promise<DeleteRecordsResponse> {
  return c.request(deleteRecordsApi.apiKey, version, encodeDeleteRecordsRequest, decodeDeleteRecordsResponse, { topics, timeoutMs: 10_000 });
}

function offsetForLeaderEpoch(
  c: RawKafkaConnection,
  version: number,
  topic: string,
  partitions: Array<{ partition: number; leaderEpoch: number; currentLeaderEpoch?: number }>,
): Promise<OffsetForLeaderEpochResponse> {
  return c.request(offsetForLeaderEpochApi.apiKey, version, encodeOffsetForLeaderEpochRequest, decodeOffsetForLeaderEpochResponse, {
    replicaId: -1,
    topics: [{ topic, partitions: partitions.map((p) => ({ partition: p.partition, leaderEpoch: p.leaderEpoch, currentLeaderEpoch: p.currentLeaderEpoch ?? -1 })) }],
  });
}

function describeLogDirs(c: RawKafkaConnection, version: number, topics: Array<{ topic: string; partitions: number[] }> | null): Promise<DescribeLogDirsResponse> {
  return c.request(describeLogDirsApi.apiKey, version, encodeDescribeLogDirsRequest, decodeDescribeLogDirsResponse, { topics });
}

function localLogBytes(topic: string, partition: number): number {
  const dir = path.join(broker.dataDir, `${topic}-${partition}`);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

function localSegments(topic: string, partition: number): number[] {
  return fs
    .readdirSync(path.join(broker.dataDir, `${topic}-${partition}`))
    .filter((f) => f.endsWith('.log'))
    .map((f) => Number(f.slice(0, 20)))
    .sort((a, b) => a - b);
}

describe('ApiVersions', () => {
  it('advertises the four admin APIs with the versions tested here', async () => {
    const keys = (await raw((c) => apiVersions(c))).apiKeys;
    const range = (k: number) => keys.find((x) => x.apiKey === k);
    expect(range(21)).toMatchObject({ minVersion: 0, maxVersion: 2 });
    expect(range(23)).toMatchObject({ minVersion: 0, maxVersion: 4 });
    expect(range(35)).toMatchObject({ minVersion: 0, maxVersion: 4 });
    expect(range(61)).toMatchObject({ minVersion: 0, maxVersion: 0 });
  });
});

describe('DeleteRecords', () => {
  it('KafkaJS deleteTopicRecords advances the log start: Fetch below is OFFSET_OUT_OF_RANGE, ListOffsets earliest answers it', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 2);
    await raw(async (c) => {
      await fill(c, topic, 10, 5); // offsets 0..49 on partition 0
      await fill(c, topic, 2, 5, 1); // 0..9 on partition 1
    });
    await admin.fetchTopicMetadata({ topics: [topic] }); // KafkaJS finds the leaders in its metadata cache
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '23' }, { partition: 1, offset: '-1' }] }).catch((err: { partitions?: unknown }) => {
      throw new Error(`deleteTopicRecords: ${JSON.stringify(err.partitions)}`);
    });
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.find((o) => o.partition === 0)).toMatchObject({ low: '23', high: '50' });
    expect(offsets.find((o) => o.partition === 1)).toMatchObject({ low: '10', high: '10' });
    // librdkafka (kcat -Q) sees the new earliest offset too.
    expect(await kcatQueryOffset(broker.bootstrap, topic, 0, -2)).toBe(23);
    await raw(async (c) => {
      expect((await listOffset(c, topic, 0, -2)).offset).toBe(23n);
      const below = await fetch(c, topic, 0, 22);
      expect(below.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      expect(below.logStartOffset).toBe(23n);
      const at = await fetch(c, topic, 0, 23);
      expect(at.errorCode).toBe(ErrorCode.NONE);
      expect(at.logStartOffset).toBe(23n);
      // Whole batches: the first one returned holds offset 23 (it starts at 20).
      expect(Number(at.batches[0]!.baseOffset)).toBe(20);
      expect(Number(at.batches.at(-1)!.baseOffset)).toBe(45);
      // Consumers at the tail (served from the router's tail cache) obey it too.
      expect((await fetch(c, topic, 1, 9)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      expect((await fetch(c, topic, 1, 10)).errorCode).toBe(ErrorCode.NONE);
    });
    // A KafkaJS consumer starting from the beginning starts at the new log start.
    const consumer = kafkaClient(broker.bootstrap).consumer({ groupId: `g-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: number[] = [];
    await consumer.run({ eachMessage: async ({ partition, message }) => void (partition === 0 && seen.push(Number(message.offset))) });
    await waitFor(() => seen.length >= 27, { timeoutMs: 20_000, what: 'records 23..49' });
    await consumer.disconnect();
    expect(Math.min(...seen)).toBe(23);
  });

  it('@platformatic/kafka deleteRecords answers the low watermark', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1);
    await raw((c) => fill(c, topic, 4, 5));
    const client = new PlatformaticAdmin({ clientId: 'strata-test', bootstrapBrokers: [broker.bootstrap] });
    try {
      const deleted = await client.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 12n }] }] });
      expect(deleted).toEqual([{ name: topic, partitions: [{ partition: 0, lowWatermark: 12n }] }]);
    } finally {
      await client.close();
    }
  });

  it('every version: bad input gets per-partition errors; offsets at or below the start change nothing', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 2);
    await raw(async (c) => {
      await fill(c, topic, 2, 5);
      for (const version of [0, 1, 2]) {
        const r = await deleteRecords(c, version, [
          {
            name: topic,
            partitions: [
              { partitionIndex: 0, offset: 11n }, // beyond the high watermark (10)
              { partitionIndex: 0, offset: -2n },
              { partitionIndex: 7, offset: 0n }, // no such partition
              { partitionIndex: 1, offset: 0n }, // empty partition, at its start
            ],
          },
          { name: uniqueTopic('missing'), partitions: [{ partitionIndex: 0, offset: 0n }] },
        ]);
        expect(r.topics[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode, p.lowWatermark]), `v${version}`).toEqual([
          [0, ErrorCode.OFFSET_OUT_OF_RANGE, -1n],
          [0, ErrorCode.OFFSET_OUT_OF_RANGE, -1n],
          [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
          [1, ErrorCode.NONE, 0n],
        ]);
        expect(r.topics[1]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        const advanced = await deleteRecords(c, version, [{ name: topic, partitions: [{ partitionIndex: 0, offset: BigInt(2 + version) }] }]);
        expect(advanced.topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, lowWatermark: BigInt(2 + version) });
      }
      // Lower than the current start: unchanged, the current start is answered.
      const lower = await deleteRecords(c, 2, [{ name: topic, partitions: [{ partitionIndex: 0, offset: 1n }] }]);
      expect(lower.topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, lowWatermark: 4n });
      expect((await listOffset(c, topic, 0, -2)).offset).toBe(4n);
    });
  });

  it('deletes the segments wholly below the new start and survives a restart', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { 'segment.bytes': '2048' });
    await raw((c) => fill(c, topic, 12, 1, 0, 600)); // one ~670-byte batch per offset, 3 per segment
    const before = localSegments(topic, 0);
    expect(before.length).toBeGreaterThanOrEqual(4);
    const cut = before[2]! + 1; // inside the third segment
    await raw(async (c) => {
      const r = await deleteRecords(c, 2, [{ name: topic, partitions: [{ partitionIndex: 0, offset: BigInt(cut) }] }]);
      expect(r.topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, lowWatermark: BigInt(cut) });
    });
    // The first two segments end at or below the cut: deleted (now, or by the next maintenance pass).
    await waitFor(() => localSegments(topic, 0)[0] === before[2], { timeoutMs: 10_000, what: 'segments below the log start deleted' });
    expect(localSegments(topic, 0)).toEqual(before.slice(2));

    broker = await broker.restart();
    await admin.disconnect();
    admin = kafkaClient(broker.bootstrap).admin();
    await admin.connect();
    await raw(async (c) => {
      expect((await listOffset(c, topic, 0, -2)).offset).toBe(BigInt(cut));
      expect((await fetch(c, topic, 0, cut - 1)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      const at = await fetch(c, topic, 0, cut);
      expect(at.errorCode).toBe(ErrorCode.NONE);
      expect(at.logStartOffset).toBe(BigInt(cut));
      expect(at.highWatermark).toBe(12n);
      // -1 = the high watermark: everything goes; appends continue after it.
      const all = await deleteRecords(c, 0, [{ name: topic, partitions: [{ partitionIndex: 0, offset: -1n }] }]);
      expect(all.topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, lowWatermark: 12n });
      expect((await produce(c, topic, 0, batch(1))).baseOffset).toBe(12n);
    });
  });
});

describe('OffsetForLeaderEpoch', () => {
  it('every version: epoch 0 answers the log end offset, unknown epochs -1/-1, fencing by currentLeaderEpoch', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 2);
    await raw(async (c) => {
      await fill(c, topic, 3, 4); // partition 0: LEO 12; partition 1 empty
      await deleteRecords(c, 2, [{ name: topic, partitions: [{ partitionIndex: 0, offset: 5n }] }]);
      for (const version of [0, 1, 2, 3, 4]) {
        const r = await offsetForLeaderEpoch(c, version, topic, [
          { partition: 0, leaderEpoch: 0 },
          { partition: 1, leaderEpoch: 0 },
          { partition: 0, leaderEpoch: 3 },
          { partition: 0, leaderEpoch: -1 },
          { partition: 9, leaderEpoch: 0 },
        ]);
        const epoch = (e: number) => (version >= 1 ? e : -1); // v0 has no leaderEpoch field
        expect(r.topics[0]!.partitions.map((p) => [p.partition, p.errorCode, p.leaderEpoch, p.endOffset]), `v${version}`).toEqual([
          [0, ErrorCode.NONE, epoch(0), 12n],
          [1, ErrorCode.NONE, epoch(0), 0n],
          [0, ErrorCode.NONE, -1, -1n],
          [0, ErrorCode.NONE, -1, -1n],
          [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1n],
        ]);
        if (version >= 2) {
          const fenced = await offsetForLeaderEpoch(c, version, topic, [
            { partition: 0, leaderEpoch: 0, currentLeaderEpoch: 0 },
            { partition: 0, leaderEpoch: 0, currentLeaderEpoch: 1 },
            { partition: 0, leaderEpoch: 0, currentLeaderEpoch: -5 },
          ]);
          expect(fenced.topics[0]!.partitions.map((p) => [p.errorCode, p.endOffset]), `v${version} fencing`).toEqual([
            [ErrorCode.NONE, 12n],
            [ErrorCode.UNKNOWN_LEADER_EPOCH, -1n],
            [ErrorCode.FENCED_LEADER_EPOCH, -1n],
          ]);
        }
      }
      const unknownTopic = await offsetForLeaderEpoch(c, 4, uniqueTopic('missing'), [{ partition: 0, leaderEpoch: 0 }]);
      expect(unknownTopic.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    });
  });
});

describe('DescribeLogDirs', () => {
  it('every version: the first log dir, each partition with its bytes on disk; v4 adds disk space', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 3);
    await raw(async (c) => {
      await fill(c, topic, 3, 10);
      await fill(c, topic, 1, 2, 2);
      for (const version of [0, 1, 2, 3, 4]) {
        const r = await describeLogDirs(c, version, [
          { topic, partitions: [0, 2, 9] },
          { topic: uniqueTopic('missing'), partitions: [0] },
        ]);
        expect(r.errorCode).toBe(ErrorCode.NONE);
        expect(r.results).toHaveLength(1);
        const dir = r.results[0]!;
        expect(dir.errorCode).toBe(ErrorCode.NONE);
        expect(dir.logDir).toBe(path.resolve(broker.dataDir));
        // Unknown topics and partitions are left out, as Kafka does.
        expect(dir.topics.map((t) => t.name)).toEqual([topic]);
        expect(dir.topics[0]!.partitions).toEqual([
          { partitionIndex: 0, partitionSize: BigInt(localLogBytes(topic, 0)), offsetLag: 0n, isFutureKey: false },
          { partitionIndex: 2, partitionSize: BigInt(localLogBytes(topic, 2)), offsetLag: 0n, isFutureKey: false },
        ]);
        expect(dir.topics[0]!.partitions[0]!.partitionSize).toBeGreaterThan(0n);
        if (version >= 4) {
          expect(dir.totalBytes).toBeGreaterThan(0n);
          expect(dir.usableBytes).toBeGreaterThan(0n);
          expect(dir.usableBytes).toBeLessThanOrEqual(dir.totalBytes);
        } else {
          expect(dir.totalBytes).toBe(-1n);
        }
      }
      // topics null: every partition of every topic.
      const all = await describeLogDirs(c, 4, null);
      const mine = all.results[0]!.topics.find((t) => t.name === topic)!;
      expect(mine.partitions.map((p) => p.partitionIndex).sort()).toEqual([0, 1, 2]);
      expect(mine.partitions.find((p) => p.partitionIndex === 1)!.partitionSize).toBe(0n);
    });
  });

  it('@platformatic/kafka describeLogDirs', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1);
    await raw((c) => fill(c, topic, 2, 3));
    const client = new PlatformaticAdmin({ clientId: 'strata-test', bootstrapBrokers: [broker.bootstrap] });
    try {
      const [description] = await client.describeLogDirs({ topics: [{ name: topic, partitions: [0] }] });
      expect(description!.results[0]!.topics).toEqual([
        { name: topic, partitions: [{ partitionIndex: 0, partitionSize: BigInt(localLogBytes(topic, 0)), offsetLag: 0n, isFutureKey: false }] },
      ]);
      expect(description!.results[0]!.totalBytes).toBeGreaterThan(0n);
    } finally {
      await client.close();
    }
  });
});

describe('DescribeProducers', () => {
  it('lists the idempotent producers of each partition; unknown ones are UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 2);
    await raw(async (c) => {
      const a = await initProducerId(c);
      const b = await initProducerId(c);
      const pidA = Number(a.producerId);
      const pidB = Number(b.producerId);
      const ts = 1_800_000_000_000;
      expect((await produce(c, topic, 0, batch(3, { producerId: pidA, producerEpoch: a.producerEpoch, baseSequence: 0, timestamp: ts }))).errorCode).toBe(0);
      expect((await produce(c, topic, 0, batch(2, { producerId: pidA, producerEpoch: a.producerEpoch, baseSequence: 3, timestamp: ts + 10 }))).errorCode).toBe(0);
      expect((await produce(c, topic, 0, batch(1, { producerId: pidB, producerEpoch: b.producerEpoch, baseSequence: 0, timestamp: ts + 20 }))).errorCode).toBe(0);
      expect((await produce(c, topic, 1, batch(1))).errorCode).toBe(0); // not idempotent
      const r = await c.request(describeProducersApi.apiKey, 0, encodeDescribeProducersRequest, decodeDescribeProducersResponse, {
        topics: [
          { name: topic, partitionIndexes: [0, 1, 5] },
          { name: uniqueTopic('missing'), partitionIndexes: [0] },
        ],
      });
      const [p0, p1, p5] = r.topics[0]!.partitions;
      expect(p0!.errorCode).toBe(ErrorCode.NONE);
      expect([...p0!.activeProducers].sort((x, y) => Number(x.producerId - y.producerId))).toEqual(
        [
          { producerId: BigInt(pidA), producerEpoch: a.producerEpoch, lastSequence: 4, lastTimestamp: BigInt(ts + 11), coordinatorEpoch: -1, currentTxnStartOffset: -1n },
          { producerId: BigInt(pidB), producerEpoch: b.producerEpoch, lastSequence: 0, lastTimestamp: BigInt(ts + 20), coordinatorEpoch: -1, currentTxnStartOffset: -1n },
        ].sort((x, y) => Number(x.producerId - y.producerId)),
      );
      expect(p1).toMatchObject({ partitionIndex: 1, errorCode: ErrorCode.NONE, activeProducers: [] });
      expect(p5).toMatchObject({ partitionIndex: 5, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, activeProducers: [] });
      expect(r.topics[1]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    });
  });

  it('shows a KafkaJS idempotent producer with the sequence it reached', async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1);
    const producer = kafkaClient(broker.bootstrap).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < 3; i++) await producer.send({ topic, acks: -1, messages: [{ value: `a${i}` }, { value: `b${i}` }] });
    await producer.disconnect();
    const r = await raw((c) =>
      c.request(describeProducersApi.apiKey, 0, encodeDescribeProducersRequest, decodeDescribeProducersResponse, { topics: [{ name: topic, partitionIndexes: [0] }] }),
    );
    const producers = r.topics[0]!.partitions[0]!.activeProducers;
    expect(producers).toHaveLength(1);
    expect(producers[0]).toMatchObject({ lastSequence: 5, coordinatorEpoch: -1, currentTxnStartOffset: -1n });
    expect(producers[0]!.producerId).toBeGreaterThanOrEqual(0n);
  });
});
