// Integration: after DeleteTopics returns, no Metadata path lists the topic's partitions —
// all topics (v0 empty list, v1+ null, v12), by name (v0, v9 non-flexible, v12), by id (v12),
// KafkaJS admin and kcat -L — and the name is free at once. A creation of the same name that
// races the deletion never sees the deleted topic's records (its partition directories are
// the same paths), and DeleteTopics racing a creation in progress leaves nothing behind.
// Auto-creation is off: with it on, a Metadata by name would legitimately re-create the topic.
import fs from 'node:fs';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import {
  createTopicsApi,
  decodeCreateTopicsResponse,
  decodeDeleteTopicsResponse,
  decodeMetadataResponse,
  deleteTopicsApi,
  encodeCreateTopicsRequest,
  encodeDeleteTopicsRequest,
  encodeMetadataRequest,
  metadataApi,
  type MetadataResponse,
} from '../../src/protocol/generated/messages/index.js';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { kcatMetadata } from '../helpers/kcat.js';
import { withConnection, type RawKafkaConnection } from '../helpers/raw-kafka.js';
import { fetch, produce } from '../helpers/raw-requests.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { uniqueTopic } from '../helpers/topics.js';

let broker: BrokerHandle;
let admin: Admin;

beforeAll(async () => {
  broker = await startBroker({ args: ['--auto.create.topics.enable=false', '--worker.threads=2'] });
  admin = kafkaClient(broker.bootstrap).admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
});

function metadataRequest(c: RawKafkaConnection, version: number, topics: Array<{ name: string | null; topicId?: Buffer }> | null): Promise<MetadataResponse> {
  return c.request(metadataApi.apiKey, version, encodeMetadataRequest, decodeMetadataResponse, {
    topics: topics === null ? null : topics.map((t) => ({ topicId: t.topicId ?? Buffer.alloc(16), name: t.name })),
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
}

function createTopic(c: RawKafkaConnection, name: string, numPartitions: number) {
  return c.request(createTopicsApi.apiKey, 7, encodeCreateTopicsRequest, decodeCreateTopicsResponse, {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
}

function deleteTopic(c: RawKafkaConnection, name: string) {
  return c.request(deleteTopicsApi.apiKey, 6, encodeDeleteTopicsRequest, decodeDeleteTopicsResponse, {
    topics: [{ name, topicId: Buffer.alloc(16) }],
    topicNames: [],
    timeoutMs: 10_000,
  });
}

function batch(prefix: string, count: number): Buffer {
  return encodeRecordBatch({ records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${prefix}-${i}`) })) });
}

/** Every way a client can ask for metadata: the topic must be absent from each. */
async function expectGoneEverywhere(c: RawKafkaConnection, name: string, topicId: Buffer): Promise<void> {
  for (const version of [0, 1, 9, 12]) {
    const all = await metadataRequest(c, version, version === 0 ? [] : null);
    expect(all.topics.map((t) => t.name), `all topics, v${version}`).not.toContain(name);
    const byName = await metadataRequest(c, version, [{ name }]);
    expect(byName.topics, `by name, v${version}`).toHaveLength(1);
    expect(byName.topics[0]!.errorCode, `by name, v${version}`).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(byName.topics[0]!.partitions).toEqual([]);
  }
  const byId = await metadataRequest(c, 12, [{ name: null, topicId }]);
  expect(byId.topics[0]!.errorCode, 'by id, v12').toBe(ErrorCode.UNKNOWN_TOPIC_ID);
  expect(byId.topics[0]!.partitions).toEqual([]);
}

describe('DeleteTopics and Metadata', () => {
  it('no Metadata path lists a deleted topic once DeleteTopics has answered', async () => {
    await withConnection(broker.host, broker.port, async (c) => {
      for (let round = 0; round < 3; round++) {
        const name = uniqueTopic(`round-${round}`);
        expect((await createTopic(c, name, 4)).topics[0]!.errorCode).toBe(ErrorCode.NONE);
        for (let p = 0; p < 4; p++) expect((await produce(c, name, p, batch('old', 5))).errorCode).toBe(ErrorCode.NONE);
        const topicId = (await metadataRequest(c, 12, [{ name }])).topics[0]!.topicId;
        const deleted = await deleteTopic(c, name);
        expect(deleted.responses[0]!.errorCode).toBe(ErrorCode.NONE);
        // Same connection, next request: no await of anything else in between.
        await expectGoneEverywhere(c, name, topicId);
      }
    });
  });

  it('KafkaJS admin and kcat no longer see a topic KafkaJS deleted', async () => {
    const name = uniqueTopic();
    await admin.createTopics({ topics: [{ topic: name, numPartitions: 3 }] });
    await admin.deleteTopics({ topics: [name] });
    expect(await admin.listTopics()).not.toContain(name);
    const meta = await admin.fetchTopicMetadata();
    expect(meta.topics.map((t) => t.name)).not.toContain(name);
    const kcat = await kcatMetadata(broker.bootstrap);
    expect(kcat.topics.map((t) => t.topic)).not.toContain(name);
  });

  it('a creation racing the deletion of the same name starts empty and keeps its own records, across a restart', async () => {
    // Own broker: two slots, so the re-created partition is placed on the other slot than the
    // one still deleting the old directory (same path).
    let racer = await startBroker({ args: ['--auto.create.topics.enable=false', '--worker.threads=2'] });
    const names: string[] = [];
    for (let round = 0; round < 4; round++) {
      const name = uniqueTopic(`race-${round}`);
      await withConnection(racer.host, racer.port, async (a) => {
        await withConnection(racer.host, racer.port, async (b) => {
          const created0 = await a.request(createTopicsApi.apiKey, 7, encodeCreateTopicsRequest, decodeCreateTopicsResponse, {
            topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'segment.bytes', value: '65536' }] }],
            timeoutMs: 10_000,
            validateOnly: false,
          });
          expect(created0.topics[0]!.errorCode).toBe(ErrorCode.NONE);
          // Unflushed data over many rolls: the deletion waits for their checkpoints.
          const big = encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(60_000, 1) }] });
          for (let i = 0; i < 40; i++) await produce(a, name, 0, big, { acks: 1 });
          const [deleted, created] = await Promise.all([deleteTopic(a, name), createTopic(b, name, 1)]);
          expect(deleted.responses[0]!.errorCode).toBe(ErrorCode.NONE);
          expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
          // The re-created topic holds nothing of the old one...
          const empty = await fetch(b, name, 0, 0);
          expect(empty.errorCode).toBe(ErrorCode.NONE);
          expect(empty.highWatermark).toBe(0n);
          expect(empty.batches).toEqual([]);
          // ...and what it is given stays.
          expect((await produce(b, name, 0, batch('new', 3))).baseOffset).toBe(0n);
          names.push(name);
        });
      });
    }
    racer = await racer.restart();
    await withConnection(racer.host, racer.port, async (c) => {
      for (const name of names) {
        const read = await fetch(c, name, 0, 0);
        expect(read.errorCode, name).toBe(ErrorCode.NONE);
        expect(read.batches.flatMap((x) => x.records.map((r) => r.value?.toString())), name).toEqual(['new-0', 'new-1', 'new-2']);
      }
    });
  });

  it('DeleteTopics racing a CreateTopics in progress leaves no partition of the topic behind', async () => {
    for (let round = 0; round < 5; round++) {
      const name = uniqueTopic(`create-race-${round}`);
      await withConnection(broker.host, broker.port, async (a) => {
        await withConnection(broker.host, broker.port, async (b) => {
          const creating = createTopic(a, name, 8);
          // Poll until the topic shows up in Metadata, then delete it at once.
          let topicId: Buffer | undefined;
          for (let i = 0; i < 500 && topicId === undefined; i++) {
            const t = (await metadataRequest(b, 12, [{ name }])).topics[0]!;
            if (t.errorCode === ErrorCode.NONE) topicId = t.topicId;
          }
          expect(topicId, 'the topic appeared').toBeDefined();
          const deleted = await deleteTopic(b, name);
          expect(deleted.responses[0]!.errorCode).toBe(ErrorCode.NONE);
          expect((await creating).topics[0]!.errorCode).toBe(ErrorCode.NONE);
          await expectGoneEverywhere(b, name, topicId!);
          expect(fs.readdirSync(broker.dataDir).filter((d) => d.startsWith(`${name}-`))).toEqual([]);
        });
      });
    }
  });
});
