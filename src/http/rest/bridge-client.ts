// Thread: main. Typed calls of the Kafka APIs the REST proxy uses, built on the KafkaBridge
// (the broker's own handlers, in process). Versions are pinned where the request shape
// matters: Fetch v12 (topics by name), OffsetFetch v7 (one group).
import type { FetchRequest, FetchResponse } from '../../protocol/generated/messages/01-fetch.js';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../protocol/generated/messages/02-list-offsets.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/generated/messages/08-offset-commit.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/generated/messages/09-offset-fetch.js';
import type { BridgeCaller, KafkaBridge } from '../kafka-bridge.js';
import { RestErrors } from './rest-errors.js';

export const ApiKey = {
  produce: 0,
  fetch: 1,
  listOffsets: 2,
  metadata: 3,
  offsetCommit: 8,
  offsetFetch: 9,
  joinGroup: 11,
  heartbeat: 12,
  leaveGroup: 13,
  syncGroup: 14,
  describeGroups: 15,
  listGroups: 16,
  createTopics: 19,
  deleteTopics: 20,
  describeConfigs: 32,
  incrementalAlterConfigs: 44,
  describeCluster: 60,
} as const;

export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;
const NO_UUID = Buffer.alloc(16);

export interface TopicPartition {
  topic: string;
  partition: number;
}

export const tpKey = (topic: string, partition: number): string => `${partition}\u0000${topic}`;

/** Calls an API and insists on an answer (every API but acks=0 produce has one). */
export async function callApi<Res>(bridge: KafkaBridge, apiKey: number, request: unknown, caller: BridgeCaller, version?: number, signal?: { closed: boolean }): Promise<Res> {
  const res = await bridge.call<Res>(apiKey, request, caller, version, signal);
  if (res === undefined) throw RestErrors.kafka(`API ${apiKey} gave no answer`);
  return res;
}

/** ListOffsets: offset per partition for a timestamp (-2 earliest, -1 latest), or the Kafka error code. */
export async function listOffsets(
  bridge: KafkaBridge,
  caller: BridgeCaller,
  partitions: TopicPartition[],
  timestamp: bigint,
): Promise<Map<string, { offset: number; errorCode: number }>> {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  const req: ListOffsetsRequest = {
    replicaId: -1,
    isolationLevel: 0,
    timeoutMs: 30_000,
    topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) })),
  };
  const res = await callApi<ListOffsetsResponse>(bridge, ApiKey.listOffsets, req, caller);
  const out = new Map<string, { offset: number; errorCode: number }>();
  for (const t of res.topics) for (const p of t.partitions) out.set(tpKey(t.name, p.partitionIndex), { offset: Number(p.offset), errorCode: p.errorCode });
  return out;
}

/** Committed offsets of a group (-1 when none); `partitions` null = every committed one. */
export async function fetchCommitted(
  bridge: KafkaBridge,
  caller: BridgeCaller,
  groupId: string,
  partitions: TopicPartition[] | null,
): Promise<Array<TopicPartition & { offset: number; metadata: string; errorCode: number }>> {
  let topics: OffsetFetchRequest['topics'] = null;
  if (partitions !== null) {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
  }
  const res = await callApi<OffsetFetchResponse>(bridge, ApiKey.offsetFetch, { groupId, topics, groups: [], requireStable: false } satisfies OffsetFetchRequest, caller, 7);
  if (res.errorCode !== 0) throw RestErrors.kafkaRetriable(`OffsetFetch for group ${groupId} failed: error ${res.errorCode}`);
  return res.topics.flatMap((t) =>
    t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset), metadata: p.metadata ?? '', errorCode: p.errorCode })),
  );
}

/** OffsetCommit as a member (generation, memberId) or, with -1 / '', as a standalone consumer. */
export async function commitOffsets(
  bridge: KafkaBridge,
  caller: BridgeCaller,
  groupId: string,
  generationId: number,
  memberId: string,
  offsets: Array<TopicPartition & { offset: number; metadata?: string }>,
): Promise<Array<TopicPartition & { errorCode: number }>> {
  const byTopic = new Map<string, OffsetCommitRequest['topics'][number]['partitions']>();
  for (const o of offsets) {
    const list = byTopic.get(o.topic) ?? [];
    list.push({ partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: o.metadata ?? '' });
    byTopic.set(o.topic, list);
  }
  const req: OffsetCommitRequest = {
    groupId,
    generationIdOrMemberEpoch: generationId,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
  };
  const res = await callApi<OffsetCommitResponse>(bridge, ApiKey.offsetCommit, req, caller);
  return res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })));
}

/** One Fetch (v12, sessionless) of the given partitions from the given offsets. */
export async function fetchRecords(
  bridge: KafkaBridge,
  caller: BridgeCaller,
  positions: Array<TopicPartition & { offset: number }>,
  opts: { maxWaitMs: number; minBytes: number; maxBytes: number },
  signal?: { closed: boolean },
): Promise<FetchResponse> {
  const byTopic = new Map<string, FetchRequest['topics'][number]['partitions']>();
  for (const p of positions) {
    const list = byTopic.get(p.topic) ?? [];
    list.push({
      partition: p.partition,
      currentLeaderEpoch: -1,
      fetchOffset: BigInt(p.offset),
      lastFetchedEpoch: -1,
      logStartOffset: -1n,
      partitionMaxBytes: opts.maxBytes,
      replicaDirectoryId: NO_UUID,
    });
    byTopic.set(p.topic, list);
  }
  const req: FetchRequest = {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: opts.maxWaitMs,
    minBytes: opts.minBytes,
    maxBytes: opts.maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [...byTopic].map(([topic, partitions]) => ({ topic, topicId: NO_UUID, partitions })),
    forgottenTopicsData: [],
    rackId: '',
  };
  return callApi<FetchResponse>(bridge, ApiKey.fetch, req, caller, 12, signal);
}
