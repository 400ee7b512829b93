// Integration: topic administration and metadata through KafkaJS admin, kcat -L and raw
// requests (for exact error codes and fields KafkaJS does not expose: topic ids, cluster id).
// One broker for the file, auto-creation off, one explicit broker setting (log.retention.ms)
// so DescribeConfigs sources can be told apart.
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/generated/error-codes.js';
import {
  createTopicsApi,
  decodeCreateTopicsResponse,
  decodeDescribeClusterResponse,
  decodeIncrementalAlterConfigsResponse,
  decodeMetadataResponse,
  describeClusterApi,
  encodeCreateTopicsRequest,
  encodeDescribeClusterRequest,
  encodeIncrementalAlterConfigsRequest,
  encodeMetadataRequest,
  incrementalAlterConfigsApi,
  metadataApi,
  type CreateTopicsRequestCreatableTopic,
  type MetadataResponse,
} from '../../src/protocol/generated/messages/index.js';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { expectKafkaError } from '../helpers/errors.js';
import { ConfigResourceTypes, kafkaClient } from '../helpers/kafkajs.js';
import { kcatConsumeJson, kcatMetadata, kcatProduce } from '../helpers/kcat.js';
import { withConnection } from '../helpers/raw-kafka.js';
import { uniqueTopic } from '../helpers/topics.js';

const BROKER_RETENTION_MS = '3600000';
const CONFIG_SOURCE = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

let broker: BrokerHandle;
let admin: Admin;

beforeAll(async () => {
  broker = await startBroker({
    args: ['--auto.create.topics.enable=false', '--num.partitions=1', `--log.retention.ms=${BROKER_RETENTION_MS}`],
  });
  admin = kafkaClient(broker.bootstrap).admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
});

async function rawMetadata(topics: string[] | null, version = 12): Promise<MetadataResponse> {
  return withConnection(broker.host, broker.port, (c) =>
    c.request(metadataApi.apiKey, version, encodeMetadataRequest, decodeMetadataResponse, {
      topics: topics === null ? null : topics.map((name) => ({ topicId: Buffer.alloc(16), name })),
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    }),
  );
}

function creatable(name: string, numPartitions: number, replicationFactor = 1, configs: Record<string, string> = {}): CreateTopicsRequestCreatableTopic {
  return {
    name,
    numPartitions,
    replicationFactor,
    assignments: [],
    configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
  };
}

async function rawCreateTopics(topics: CreateTopicsRequestCreatableTopic[], validateOnly = false, version = 7) {
  return withConnection(broker.host, broker.port, (c) =>
    c.request(createTopicsApi.apiKey, version, encodeCreateTopicsRequest, decodeCreateTopicsResponse, {
      topics,
      timeoutMs: 10_000,
      validateOnly,
    }),
  );
}

async function describeTopic(topic: string) {
  const { resources } = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    includeSynonyms: true,
  });
  expect(resources).toHaveLength(1);
  expect(resources[0]!.errorCode).toBe(0);
  return new Map(resources[0]!.configEntries.map((e) => [e.configName, e]));
}

describe('create topics', () => {
  it('creates topics with partitions and configs, visible to listTopics, metadata and kcat -L', async () => {
    const a = uniqueTopic('a');
    const b = uniqueTopic('b');
    const created = await admin.createTopics({
      topics: [
        { topic: a, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '86400000' }] },
        { topic: b }, // broker defaults: num.partitions=1
      ],
    });
    expect(created).toBe(true);

    const topics = await admin.listTopics();
    expect(topics).toEqual(expect.arrayContaining([a, b]));

    const meta = await admin.fetchTopicMetadata({ topics: [a, b] });
    const byName = new Map(meta.topics.map((t) => [t.name, t]));
    const partsA = [...byName.get(a)!.partitions].sort((x, y) => x.partitionId - y.partitionId);
    expect(partsA.map((p) => p.partitionId)).toEqual([0, 1, 2]);
    for (const p of partsA) {
      expect(p.partitionErrorCode).toBe(0);
      expect(p.leader).toBe(1);
      expect(p.replicas).toEqual([1]);
      expect(p.isr).toEqual([1]);
    }
    expect(byName.get(b)!.partitions).toHaveLength(1);

    const kcat = await kcatMetadata(broker.bootstrap, a);
    expect(kcat.brokers).toEqual([{ id: 1, name: `${broker.host}:${broker.port}` }]);
    const kt = kcat.topics.find((t) => t.topic === a);
    expect(kt, JSON.stringify(kcat)).toBeDefined();
    expect(kt!.error).toBeUndefined();
    expect(kt!.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
    expect(kt!.partitions.every((p) => p.leader === 1)).toBe(true);

    // kcat -L without a topic lists every topic.
    const all = await kcatMetadata(broker.bootstrap);
    expect(all.topics.map((t) => t.topic)).toEqual(expect.arrayContaining([a, b]));
  });

  it('assigns topic ids: Metadata v12 and CreateTopics v7 agree, and ids are unique', async () => {
    const a = uniqueTopic('a');
    const b = uniqueTopic('b');
    const created = await rawCreateTopics([creatable(a, 2), creatable(b, 1)]);
    const resultA = created.topics.find((t) => t.name === a)!;
    const resultB = created.topics.find((t) => t.name === b)!;
    expect(resultA.errorCode).toBe(ErrorCode.NONE);
    expect(resultA.numPartitions).toBe(2);
    expect(resultA.replicationFactor).toBe(1);
    expect(resultA.topicId.equals(Buffer.alloc(16))).toBe(false);
    expect(resultA.topicId.equals(resultB.topicId)).toBe(false);

    const meta = await rawMetadata([a, b]);
    expect(meta.clusterId).toBeTruthy();
    expect(meta.controllerId).toBe(1);
    expect(meta.brokers).toEqual([expect.objectContaining({ nodeId: 1, host: broker.host, port: broker.port })]);
    const ta = meta.topics.find((t) => t.name === a)!;
    expect(ta.errorCode).toBe(ErrorCode.NONE);
    expect(ta.topicId.toString('hex')).toBe(resultA.topicId.toString('hex'));
    expect(ta.isInternal).toBe(false);
    expect(ta.partitions.map((p) => p.partitionIndex).sort()).toEqual([0, 1]);

    // A second Metadata call returns the same ids (they are stored, not derived per request).
    const again = await rawMetadata([a]);
    expect(again.topics[0]!.topicId.toString('hex')).toBe(resultA.topicId.toString('hex'));
  });

  it('validateOnly checks the request but creates nothing', async () => {
    const topic = uniqueTopic();
    const ok = await rawCreateTopics([creatable(topic, 4, 1, { 'retention.ms': '1000' })], true);
    expect(ok.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(ok.topics[0]!.numPartitions).toBe(4);

    const bad = await rawCreateTopics([creatable(topic, 4, 1, { 'retention.ms': 'soon' })], true);
    expect(bad.topics[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);

    // Also through KafkaJS.
    await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic, numPartitions: 2 }] });

    expect(await admin.listTopics()).not.toContain(topic);
    const meta = await rawMetadata([topic]);
    expect(meta.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('creating an existing topic fails with TOPIC_ALREADY_EXISTS', async () => {
    const topic = uniqueTopic();
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(true);
    // KafkaJS maps an all-TOPIC_ALREADY_EXISTS answer to `false`.
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(false);

    const raw = await rawCreateTopics([creatable(topic, 2)]);
    expect(raw.topics[0]!.errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    // The existing topic is untouched.
    const meta = await rawMetadata([topic]);
    expect(meta.topics[0]!.partitions).toHaveLength(2);
  });

  it('rejects invalid partitions, replication factor, names and configs with the right codes', async () => {
    const base = uniqueTopic();
    const response = await rawCreateTopics([
      creatable(`${base}-zero`, 0),
      creatable(`${base}-rf`, 1, 3),
      creatable(`${base} bad name!`, 1),
      creatable(`${base}-cfg`, 1, 1, { 'retention.ms': 'not-a-number' }),
      creatable(`${base}-unknown-cfg`, 1, 1, { 'no.such.config': '1' }),
      creatable(`${base}-ok`, 1),
    ]);
    const codes = Object.fromEntries(response.topics.map((t) => [t.name, t.errorCode]));
    expect(codes).toEqual({
      [`${base}-zero`]: ErrorCode.INVALID_PARTITIONS,
      [`${base}-rf`]: ErrorCode.INVALID_REPLICATION_FACTOR,
      [`${base} bad name!`]: ErrorCode.INVALID_TOPIC_EXCEPTION,
      [`${base}-cfg`]: ErrorCode.INVALID_CONFIG,
      [`${base}-unknown-cfg`]: ErrorCode.INVALID_CONFIG,
      [`${base}-ok`]: ErrorCode.NONE,
    });
    // One bad topic does not stop the good one in the same request.
    const topics = await admin.listTopics();
    expect(topics).toContain(`${base}-ok`);
    expect(topics.filter((t) => t.startsWith(base))).toEqual([`${base}-ok`]);

    await expectKafkaError(admin.createTopics({ topics: [{ topic: `${base}-kjs`, numPartitions: 0 }] }), 'INVALID_PARTITIONS');
  });
});

describe('metadata', () => {
  it('an unknown topic with auto-creation off is UNKNOWN_TOPIC_OR_PARTITION and is not created', async () => {
    const topic = uniqueTopic();
    for (const version of [0, 4, 9, 12]) {
      const meta = await rawMetadata([topic], version);
      expect(meta.topics, `Metadata v${version}`).toHaveLength(1);
      expect(meta.topics[0]!.errorCode, `Metadata v${version}`).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
    const kcat = await kcatMetadata(broker.bootstrap, topic);
    const kt = kcat.topics.find((t) => t.topic === topic);
    expect(kt?.error).toMatch(/Unknown topic or partition/i);
    expect(await admin.listTopics()).not.toContain(topic);
  });

  it('null topic list returns every topic; empty list returns none', async () => {
    const topic = uniqueTopic();
    await admin.createTopics({ topics: [{ topic }] });
    const all = await rawMetadata(null);
    expect(all.topics.map((t) => t.name)).toContain(topic);
    const none = await rawMetadata([]);
    expect(none.topics).toEqual([]);
    expect(none.brokers).toHaveLength(1);
  });

  it('DescribeCluster names this broker and the cluster id Metadata reports', async () => {
    const meta = await rawMetadata([]);
    const cluster = await withConnection(broker.host, broker.port, (c) =>
      c.request(describeClusterApi.apiKey, 0, encodeDescribeClusterRequest, decodeDescribeClusterResponse, {
        includeClusterAuthorizedOperations: false,
        endpointType: 1,
      }),
    );
    expect(cluster.errorCode).toBe(ErrorCode.NONE);
    expect(cluster.clusterId).toBe(meta.clusterId);
    expect(cluster.controllerId).toBe(1);
    expect(cluster.brokers).toEqual([expect.objectContaining({ brokerId: 1, host: broker.host, port: broker.port })]);
  });
});

describe('configs', () => {
  it('describes topic configs with values, sources and synonyms', async () => {
    const topic = uniqueTopic();
    await admin.createTopics({
      topics: [{ topic, configEntries: [{ name: 'max.message.bytes', value: '2097152' }] }],
    });
    const entries = await describeTopic(topic);

    const maxMessage = entries.get('max.message.bytes')!;
    expect(maxMessage.configValue).toBe('2097152');
    expect(maxMessage.configSource).toBe(CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG);
    expect(maxMessage.isDefault).toBe(false);
    expect(maxMessage.configSynonyms.map((s) => s.configName)).toEqual(['max.message.bytes', 'message.max.bytes']);

    // Not overridden, but set explicitly on the broker: the broker value, STATIC_BROKER_CONFIG.
    const retention = entries.get('retention.ms')!;
    expect(retention.configValue).toBe(BROKER_RETENTION_MS);
    expect(retention.configSource).toBe(CONFIG_SOURCE.STATIC_BROKER_CONFIG);
    expect(retention.configSynonyms).toEqual([
      expect.objectContaining({ configName: 'log.retention.ms', configValue: BROKER_RETENTION_MS, configSource: CONFIG_SOURCE.STATIC_BROKER_CONFIG }),
    ]);

    // Pure default.
    const segment = entries.get('segment.bytes')!;
    expect(segment.configValue).toBe('1073741824');
    expect(segment.configSource).toBe(CONFIG_SOURCE.DEFAULT_CONFIG);
    expect(segment.isDefault).toBe(true);

    expect(entries.get('cleanup.policy')?.configValue).toBe('delete');
  });

  it('describes a subset of topic configs by name', async () => {
    const topic = uniqueTopic();
    await admin.createTopics({ topics: [{ topic }] });
    const { resources } = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'segment.bytes'] }],
      includeSynonyms: false,
    });
    expect(resources[0]!.configEntries.map((e) => e.configName).sort()).toEqual(['retention.ms', 'segment.bytes']);
  });

  it('describes broker configs with sources', async () => {
    const { resources } = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.BROKER, name: '1' }],
      includeSynonyms: false,
    });
    expect(resources[0]!.errorCode).toBe(0);
    const entries = new Map(resources[0]!.configEntries.map((e) => [e.configName, e]));
    expect(entries.get('log.retention.ms')).toMatchObject({
      configValue: BROKER_RETENTION_MS,
      configSource: CONFIG_SOURCE.STATIC_BROKER_CONFIG,
      isDefault: false,
    });
    expect(entries.get('auto.create.topics.enable')).toMatchObject({ configValue: 'false', isDefault: false });
    expect(entries.get('message.max.bytes')).toMatchObject({ configValue: '1048588', configSource: CONFIG_SOURCE.DEFAULT_CONFIG, isDefault: true });
  });

  it('describing an unknown topic reports UNKNOWN_TOPIC_OR_PARTITION', async () => {
    await expectKafkaError(
      admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: uniqueTopic() }], includeSynonyms: false }),
      'UNKNOWN_TOPIC_OR_PARTITION',
    );
  });

  it('AlterConfigs replaces the whole set of topic overrides', async () => {
    const topic = uniqueTopic();
    await admin.createTopics({ topics: [{ topic, configEntries: [{ name: 'retention.ms', value: '86400000' }] }] });
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'max.message.bytes', value: '3000000' }] }],
    });
    const entries = await describeTopic(topic);
    expect(entries.get('max.message.bytes')).toMatchObject({ configValue: '3000000', configSource: CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG });
    // retention.ms was not in the request: back to the broker's value (Kafka's AlterConfigs semantics).
    expect(entries.get('retention.ms')).toMatchObject({ configValue: BROKER_RETENTION_MS, configSource: CONFIG_SOURCE.STATIC_BROKER_CONFIG });
  });

  it('AlterConfigs validateOnly changes nothing; bad values are INVALID_CONFIG', async () => {
    const topic = uniqueTopic();
    await admin.createTopics({ topics: [{ topic }] });
    await admin.alterConfigs({
      validateOnly: true,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '5' }] }],
    });
    expect((await describeTopic(topic)).get('retention.ms')!.configValue).toBe(BROKER_RETENTION_MS);

    await expectKafkaError(
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: 'forever' }] }],
      }),
      'INVALID_CONFIG',
    );
    await expectKafkaError(
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: uniqueTopic('missing'), configEntries: [{ name: 'retention.ms', value: '5' }] }],
      }),
      'UNKNOWN_TOPIC_OR_PARTITION',
    );
  });

  it('IncrementalAlterConfigs SET and DELETE touch only the named configs', async () => {
    const topic = uniqueTopic();
    await admin.createTopics({
      topics: [{ topic, configEntries: [{ name: 'retention.ms', value: '86400000' }, { name: 'max.message.bytes', value: '2000000' }] }],
    });
    const response = await withConnection(broker.host, broker.port, (c) =>
      c.request(incrementalAlterConfigsApi.apiKey, 1, encodeIncrementalAlterConfigsRequest, decodeIncrementalAlterConfigsResponse, {
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: topic,
            configs: [
              { name: 'segment.bytes', configOperation: 0 /* SET */, value: '1048576' },
              { name: 'max.message.bytes', configOperation: 1 /* DELETE */, value: null },
            ],
          },
        ],
        validateOnly: false,
      }),
    );
    expect(response.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    const entries = await describeTopic(topic);
    expect(entries.get('segment.bytes')).toMatchObject({ configValue: '1048576', configSource: CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG });
    expect(entries.get('max.message.bytes')).toMatchObject({ configValue: '1048588', configSource: CONFIG_SOURCE.DEFAULT_CONFIG });
    expect(entries.get('retention.ms')).toMatchObject({ configValue: '86400000', configSource: CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG });
  });
});

describe('partitions and deletion', () => {
  it('CreatePartitions grows a topic; the new partitions take records', async () => {
    const topic = uniqueTopic();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });

    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    const kcat = await kcatMetadata(broker.bootstrap, topic);
    expect(kcat.topics[0]!.partitions).toHaveLength(3);

    await kcatProduce(broker.bootstrap, topic, 'on-partition-2\n', { partition: 2 });
    const records = await kcatConsumeJson(broker.bootstrap, topic, { partition: 2 });
    expect(records.map((r) => [r.partition, r.offset, r.payload])).toEqual([[2, 0, 'on-partition-2']]);
  });

  it('CreatePartitions cannot shrink or keep the count (INVALID_PARTITIONS) and needs an existing topic', async () => {
    const topic = uniqueTopic();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    await expectKafkaError(admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] }), 'INVALID_PARTITIONS');
    await expectKafkaError(admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] }), 'INVALID_PARTITIONS');
    await expectKafkaError(
      admin.createPartitions({ topicPartitions: [{ topic: uniqueTopic('missing'), count: 3 }] }),
      'UNKNOWN_TOPIC_OR_PARTITION',
    );
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions).toHaveLength(3);
  });

  it('DeleteTopics removes the topic and its data; the name can be reused with a new id', async () => {
    const topic = uniqueTopic();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const before = await rawMetadata([topic]);
    await kcatProduce(broker.bootstrap, topic, 'one\ntwo\nthree\n', { partition: 0 });

    await admin.deleteTopics({ topics: [topic] });
    expect(await admin.listTopics()).not.toContain(topic);
    expect((await rawMetadata([topic])).topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const after = await rawMetadata([topic]);
    expect(after.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(after.topics[0]!.partitions).toHaveLength(1);
    expect(after.topics[0]!.topicId.equals(before.topics[0]!.topicId)).toBe(false);
    expect(await kcatConsumeJson(broker.bootstrap, topic)).toEqual([]);
  });

  it('deleting an unknown topic is UNKNOWN_TOPIC_OR_PARTITION', async () => {
    await expectKafkaError(admin.deleteTopics({ topics: [uniqueTopic('missing')] }), 'UNKNOWN_TOPIC_OR_PARTITION');
  });
});
