// Integration: DeleteRecords with tiered storage (in-memory S3 test server): a log start
// offset inside the range only object storage holds. Remote reads below it are refused
// (OFFSET_OUT_OF_RANGE), reads at it are served from object storage, ListOffsets earliest and
// the DeleteRecords answer report it, remote retention removes the remote segments wholly
// below it, and all of it holds after a restart. And DeleteTopics while object storage is down:
// the topic must not come back from the bucket at the next start.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import {
  decodeDeleteRecordsResponse,
  decodeDeleteTopicsResponse,
  decodeMetadataResponse,
  deleteRecordsApi,
  deleteTopicsApi,
  encodeDeleteRecordsRequest,
  encodeDeleteTopicsRequest,
  encodeMetadataRequest,
  metadataApi,
} from '../../src/protocol/generated/messages/index.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { ManifestStore } from '../../src/tier/manifest.js';
import type { ObjectStore } from '../../src/tier/object-store.js';
import { startBroker, waitFor } from '../helpers/broker.js';
import { withConnection, type RawKafkaConnection } from '../helpers/raw-kafka.js';
import { fetch, listOffset, produce } from '../helpers/raw-requests.js';
import { startFakeS3, startS3Target, useS3Target, type S3Target } from '../helpers/s3/s3-target.js';
import { uniqueTopic } from '../helpers/topics.js';

// Each describe block starts its own server: the real one (radosgw, or AWS_ENDPOINT_URL_S3) where
// nothing needs injecting, the fault-injecting fake for the outage.
let s3: S3Target;
let store: ObjectStore;
const useServer = (start: () => Promise<S3Target>) =>
  useS3Target(start, (target, objects) => {
    s3 = target;
    store = objects;
  });

const prefix = 'delete-records/';
// Recent enough that retention.ms (7 days) keeps every segment.
const BASE_TS = Date.now() - 200_000;

function localBases(dir: string): number[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => Number(f.slice(0, 20)))
    .sort((a, b) => a - b);
}

describe('DeleteRecords with tiered storage', () => {
  useServer(startS3Target);

  it('refuses remote reads below the new log start, serves them at it, and remote retention drops segments below it', async () => {
    let broker = await startBroker({
      args: [
        ...s3.brokerArgs(prefix),
        '--log.remote.storage.enable=true',
        '--log.segment.bytes=4096',
        '--log.local.retention.bytes=0',
        '--remote.log.manager.task.interval.ms=100',
        '--log.retention.check.interval.ms=200',
      ],
      env: s3.brokerEnv(),
    });
    const topic = uniqueTopic('tier');
    const partDir = path.join(broker.dataDir, `${topic}-0`);
    const raw = <T>(fn: (c: RawKafkaConnection) => Promise<T>): Promise<T> => withConnection(broker.host, broker.port, fn);
    const topicId = await raw(async (c) => {
      // Auto-created by Metadata; one ~540-byte batch per offset, 7 per segment.
      const meta = await c.request(metadataApi.apiKey, 12, encodeMetadataRequest, decodeMetadataResponse, {
        topics: [{ topicId: Buffer.alloc(16), name: topic }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false,
      });
      expect(meta.topics[0]!.errorCode).toBe(ErrorCode.NONE);
      for (let i = 0; i < 80; i++) {
        const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from(`r-${i}-${'z'.repeat(480)}`), timestamp: BASE_TS + i * 1000 }] });
        expect((await produce(c, topic, 0, batch)).errorCode).toBe(ErrorCode.NONE);
      }
      return meta.topics[0]!.topicId.toString('hex');
    });
    // Records 0..39 exist only in object storage.
    await waitFor(() => localBases(partDir)[0]! > 40, { timeoutMs: 30_000, what: 'local retention to delete uploaded segments' });
    const manifests = new ManifestStore(store, prefix);
    const before = await manifests.load(topicId, 0);
    expect(before.segments[0]!.baseOffset).toBe(0);
    const cut = 17;
    expect(before.segments.some((s) => s.baseOffset < cut && cut < s.endOffset)).toBe(true);

    await raw(async (c) => {
      expect((await listOffset(c, topic, 0, -2)).offset).toBe(0n);
      expect((await fetch(c, topic, 0, 5)).errorCode).toBe(ErrorCode.NONE);
      const deleted = await c.request(deleteRecordsApi.apiKey, 2, encodeDeleteRecordsRequest, decodeDeleteRecordsResponse, {
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: BigInt(cut) }] }],
        timeoutMs: 10_000,
      });
      expect(deleted.topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, lowWatermark: BigInt(cut) });
    });

    const check = async (): Promise<void> =>
      raw(async (c) => {
        expect((await listOffset(c, topic, 0, -2)).offset).toBe(BigInt(cut));
        const below = await fetch(c, topic, 0, cut - 1);
        expect(below.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
        expect(below.logStartOffset).toBe(BigInt(cut));
        expect(below.batches).toEqual([]);
        const at = await fetch(c, topic, 0, cut, { maxBytes: 600 });
        expect(at.errorCode).toBe(ErrorCode.NONE);
        expect(at.logStartOffset).toBe(BigInt(cut));
        expect(at.batches.map((b) => Number(b.baseOffset))).toEqual([cut]);
        expect(at.batches[0]!.records[0]!.value!.toString()).toMatch(new RegExp(`^r-${cut}-`));
        // ListOffsets by timestamp never answers a deleted record, remote or not.
        const byTime = await listOffset(c, topic, 0, BASE_TS + 5 * 1000);
        expect([byTime.offset, byTime.timestamp]).toEqual([BigInt(cut), BigInt(BASE_TS + cut * 1000)]);
        expect((await listOffset(c, topic, 0, BASE_TS + 30 * 1000)).offset).toBe(30n);
      });
    await check();
    // Remote retention removes the segments wholly below the new start (and only those).
    const after = await waitFor(
      async () => {
        const m = await manifests.load(topicId, 0);
        return m.segments[0]!.baseOffset > 0 ? m : undefined;
      },
      { timeoutMs: 20_000, what: 'remote segments below the log start deleted' },
    );
    expect(after.segments[0]!.baseOffset).toBeLessThanOrEqual(cut);
    expect(after.segments[0]!.endOffset).toBeGreaterThan(cut);

    broker = await broker.restart();
    await check();
    await broker.stop();
  }, 90_000);

});

describe('DeleteTopics while object storage is down', () => {
  useServer(startFakeS3);

  it('a topic deleted while object storage is down is not restored from the bucket at the next start', async () => {
    const fake = s3.fake!;
    const ownPrefix = 'delete-topic-down/';
    const args = [...s3.brokerArgs(ownPrefix), '--log.remote.storage.enable=true', '--remote.log.manager.task.interval.ms=100'];
    let broker = await startBroker({ args, env: s3.brokerEnv() });
    const topic = uniqueTopic('down');
    const metadataOf = (c: RawKafkaConnection, topics: Array<{ name: string }> | null, autoCreate = false) =>
      c.request(metadataApi.apiKey, 12, encodeMetadataRequest, decodeMetadataResponse, {
        topics: topics === null ? null : topics.map((t) => ({ topicId: Buffer.alloc(16), name: t.name })),
        allowAutoTopicCreation: autoCreate,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
    const topicId = await withConnection(broker.host, broker.port, async (c) => {
      const meta = await metadataOf(c, [{ name: topic }], true);
      expect(meta.topics[0]!.errorCode).toBe(ErrorCode.NONE);
      expect((await produce(c, topic, 0, encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] }))).errorCode).toBe(ErrorCode.NONE);
      return meta.topics[0]!.topicId.toString('hex');
    });
    const topicObjects = () => fake.objectKeys(s3.bucket, ownPrefix).filter((k) => k.includes(topicId));
    await waitFor(() => topicObjects().length > 0, { timeoutMs: 10_000, what: 'topic metadata object written' });

    fake.setMode('down');
    await withConnection(broker.host, broker.port, async (c) => {
      const deleted = await c.request(
        deleteTopicsApi.apiKey,
        6,
        encodeDeleteTopicsRequest,
        decodeDeleteTopicsResponse,
        { topics: [{ name: topic, topicId: Buffer.alloc(16) }], topicNames: [], timeoutMs: 30_000 },
        60_000,
      );
      expect(deleted.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    });
    expect(topicObjects().length).toBeGreaterThan(0); // the bucket still holds the topic
    await broker.stop();
    fake.setMode('ok');

    broker = await broker.restart();
    await withConnection(broker.host, broker.port, async (c) => {
      expect((await metadataOf(c, null)).topics.map((t) => t.name)).not.toContain(topic);
      expect((await metadataOf(c, [{ name: topic }])).topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    });
    // The removal was retried at start-up; a further restart has nothing to restore either.
    expect(topicObjects()).toEqual([]);
    broker = await broker.restart();
    await withConnection(broker.host, broker.port, async (c) => {
      expect((await metadataOf(c, null)).topics.map((t) => t.name)).not.toContain(topic);
    });
    await broker.stop();
  }, 120_000);
});
