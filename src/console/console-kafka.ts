// Thread: main. Everything the console reads or changes in the broker, as Kafka requests run by
// the KafkaBridge (src/http/kafka-bridge.ts): Metadata, ListOffsets, Fetch, CreateTopics,
// DeleteTopics, DescribeConfigs, DescribeLogDirs, FindCoordinator, ListGroups, DescribeGroups,
// OffsetFetch. No second path into the logs or the groups: what a Kafka client may do, the
// console may do.
// Versions are pinned where the request shape matters (Fetch v12 names topics rather than ids).
import type { BridgeCaller, KafkaBridge } from '../http/kafka-bridge.js';
import { ZERO_UUID } from '../protocol/codec-support.js';
import { ErrorCode } from '../protocol/generated/error-codes.js';
import type { MetadataResponse } from '../protocol/generated/messages/03-metadata.js';
import type { ListOffsetsResponse } from '../protocol/generated/messages/02-list-offsets.js';
import type { FetchResponse, FetchResponsePartitionData } from '../protocol/generated/messages/01-fetch.js';
import type { CreateTopicsResponse } from '../protocol/generated/messages/19-create-topics.js';
import type { DeleteTopicsResponse } from '../protocol/generated/messages/20-delete-topics.js';
import type { DescribeConfigsResponse } from '../protocol/generated/messages/32-describe-configs.js';
import type { DescribeLogDirsResponse } from '../protocol/generated/messages/35-describe-log-dirs.js';
import type { ListGroupsResponse } from '../protocol/generated/messages/16-list-groups.js';
import type { DescribeGroupsResponse } from '../protocol/generated/messages/15-describe-groups.js';
import type { OffsetFetchResponse } from '../protocol/generated/messages/09-offset-fetch.js';
import type { FindCoordinatorResponse } from '../protocol/generated/messages/10-find-coordinator.js';
import { kafkaError } from './console-error.js';

const API = { fetch: 1, listOffsets: 2, metadata: 3, offsetFetch: 9, findCoordinator: 10, describeGroups: 15, listGroups: 16, createTopics: 19, deleteTopics: 20, describeConfigs: 32, describeLogDirs: 35 } as const;

/** ListOffsets' special timestamps. */
export const LATEST = -1n;
export const EARLIEST = -2n;

const TOPIC_RESOURCE = 2;

export interface OffsetAnswer {
  errorCode: number;
  offset: bigint;
}

export class ConsoleKafka {
  constructor(
    private readonly bridge: KafkaBridge,
    private readonly caller: BridgeCaller,
  ) {}

  private async call<Res>(apiKey: number, request: unknown, version: number): Promise<Res> {
    const res = await this.bridge.call<Res>(apiKey, request, this.caller, version);
    if (res === undefined) throw new Error(`API ${apiKey} answered nothing`);
    return res;
  }

  /** Brokers, controller and topics (every topic when `topics` is null). Never creates a topic. */
  metadata(topics: string[] | null): Promise<MetadataResponse> {
    return this.call(
      API.metadata,
      {
        topics: topics === null ? null : topics.map((name) => ({ topicId: ZERO_UUID, name })),
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      },
      12,
    );
  }

  /** One topic's metadata; 404 when it does not exist. */
  async topic(name: string): Promise<{ metadata: MetadataResponse; topic: MetadataResponse['topics'][number] }> {
    const metadata = await this.metadata([name]);
    const topic = metadata.topics[0];
    if (topic === undefined) throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`, name);
    if (topic.errorCode !== ErrorCode.NONE) throw kafkaError(topic.errorCode, null, `topic ${name}`);
    return { metadata, topic };
  }

  /** ListOffsets for the partitions of one topic at one timestamp (LATEST, EARLIEST or ms). */
  async listOffsets(topic: string, partitions: number[], timestamp: bigint): Promise<Map<number, OffsetAnswer>> {
    const res = await this.call<ListOffsetsResponse>(
      API.listOffsets,
      {
        replicaId: -1,
        isolationLevel: 0,
        timeoutMs: 5_000,
        topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }],
      },
      8,
    );
    const out = new Map<number, OffsetAnswer>();
    for (const t of res.topics) for (const p of t.partitions) out.set(p.partitionIndex, { errorCode: p.errorCode, offset: p.offset });
    return out;
  }

  /** One Fetch of one partition from `offset`, answering at once (maxWaitMs 0). */
  async fetch(topic: string, partition: number, offset: bigint, maxBytes: number): Promise<FetchResponsePartitionData> {
    const res = await this.call<FetchResponse>(
      API.fetch,
      {
        clusterId: null,
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1n },
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic,
            topicId: ZERO_UUID,
            partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes, replicaDirectoryId: ZERO_UUID }],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      },
      12,
    );
    if (res.errorCode !== ErrorCode.NONE) throw kafkaError(res.errorCode, null, `fetch ${topic}-${partition}`);
    const data = res.responses[0]?.partitions[0];
    if (data === undefined) throw new Error(`fetch ${topic}-${partition}: no partition in the answer`);
    return data;
  }

  async createTopic(name: string, numPartitions: number, configs: Record<string, string>): Promise<CreateTopicsResponse['topics'][number]> {
    const res = await this.call<CreateTopicsResponse>(
      API.createTopics,
      {
        topics: [{ name, numPartitions, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
        timeoutMs: 30_000,
        validateOnly: false,
      },
      7,
    );
    const t = res.topics[0]!;
    if (t.errorCode !== ErrorCode.NONE) throw kafkaError(t.errorCode, t.errorMessage, `create topic ${name}`);
    return t;
  }

  async deleteTopic(name: string): Promise<void> {
    const res = await this.call<DeleteTopicsResponse>(API.deleteTopics, { topics: [], topicNames: [name], timeoutMs: 30_000 }, 5);
    const r = res.responses[0];
    if (r !== undefined && r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, r.errorMessage, `delete topic ${name}`);
  }

  async topicConfigs(name: string): Promise<Array<{ name: string; value: string | null; isDefault: boolean; readOnly: boolean; isSensitive: boolean }>> {
    const res = await this.call<DescribeConfigsResponse>(
      API.describeConfigs,
      { resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false },
      4,
    );
    const r = res.results[0]!;
    if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, r.errorMessage, `configs of ${name}`);
    return r.configs.map((c) => ({ name: c.name, value: c.isSensitive ? null : c.value, isDefault: c.isDefault, readOnly: c.readOnly, isSensitive: c.isSensitive }));
  }

  /** Bytes on this broker's local disk per partition of the given topics. */
  async localSizes(topics: Array<{ name: string; partitions: number }>): Promise<Map<string, Map<number, number>>> {
    const out = new Map<string, Map<number, number>>();
    if (topics.length === 0) return out;
    const request = { topics: topics.map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, p) => p) })) };
    const res = await this.call<DescribeLogDirsResponse>(API.describeLogDirs, request, 4);
    for (const dir of res.results) {
      for (const t of dir.topics) {
        let m = out.get(t.name);
        if (m === undefined) out.set(t.name, (m = new Map()));
        for (const p of t.partitions) m.set(p.partitionIndex, (m.get(p.partitionIndex) ?? 0) + Number(p.partitionSize));
      }
    }
    return out;
  }

  /** The node id coordinating a group (FindCoordinator), as a Kafka client would be told. */
  async coordinator(group: string): Promise<number> {
    const res = await this.call<FindCoordinatorResponse>(API.findCoordinator, { key: group, keyType: 0, coordinatorKeys: [] }, 3);
    if (res.errorCode !== ErrorCode.NONE) throw kafkaError(res.errorCode, res.errorMessage, `coordinator of group ${group}`);
    return res.nodeId;
  }

  async listGroups(): Promise<ListGroupsResponse['groups']> {
    const res = await this.call<ListGroupsResponse>(API.listGroups, { statesFilter: [], typesFilter: [] }, 4);
    if (res.errorCode !== ErrorCode.NONE) throw kafkaError(res.errorCode, null, 'list groups');
    return res.groups;
  }

  async describeGroup(group: string): Promise<DescribeGroupsResponse['groups'][number]> {
    const res = await this.call<DescribeGroupsResponse>(API.describeGroups, { groups: [group], includeAuthorizedOperations: false }, 5);
    const g = res.groups[0]!;
    if (g.errorCode !== ErrorCode.NONE) throw kafkaError(g.errorCode, null, `group ${group}`);
    return g;
  }

  /** Every committed offset of a group. */
  async committedOffsets(group: string): Promise<Array<{ topic: string; partition: number; offset: bigint }>> {
    const res = await this.call<OffsetFetchResponse>(API.offsetFetch, { groupId: group, topics: null, groups: [], requireStable: false }, 7);
    if (res.errorCode !== ErrorCode.NONE) throw kafkaError(res.errorCode, null, `offsets of group ${group}`);
    return res.topics.flatMap((t) => t.partitions.filter((p) => p.errorCode === ErrorCode.NONE && p.committedOffset >= 0n).map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset })));
  }
}
