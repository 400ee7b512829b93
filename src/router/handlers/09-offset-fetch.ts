// Thread: main. OffsetFetch (key 9), versions 0–9.
// Committed offsets of a group: the named partitions (offset -1 and empty metadata where
// nothing was committed), or every committed partition when topics is null (v2+). v0–1 put
// errors on each partition; v2–7 have a top-level error; v5+ return the leader epoch; v7
// requireStable has nothing to wait for (no transactional offsets); v8+ batch several groups,
// each with its own error. v9's member id/epoch (KIP-848 groups) are not checked.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): DESCRIBE on the group, then on each topic (named: TOPIC_AUTHORIZATION_FAILED; all: left out).
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeOffsetFetchRequest,
  encodeOffsetFetchResponse,
  offsetFetchApi,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
} from '../../protocol/generated/messages/09-offset-fetch.js';
import type { PartitionOffset, PartitionRef } from '../../groups/offset-store.js';
import type { RequestContext } from './types.js';
import { AclOperation, authorizeGroup, topicChecker } from './authz.js';
import { defineHandler } from './types.js';

interface PartitionAnswer {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

interface GroupAnswer {
  errorCode: number;
  topics: Array<{ name: string; partitions: PartitionAnswer[] }>;
}

async function fetchGroup(ctx: RequestContext, groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null): Promise<GroupAnswer> {
  // ACLs (as Kafka): DESCRIBE on the group; topics without DESCRIBE are TOPIC_AUTHORIZATION_FAILED when named, left out when all are asked for.
  if (!authorizeGroup(ctx, AclOperation.DESCRIBE, groupId)) {
    const code = ErrorCode.GROUP_AUTHORIZATION_FAILED;
    if (ctx.apiVersion >= 2 || topics === null) return { errorCode: code, topics: [] };
    return { errorCode: code, topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: code })) })) };
  }
  const canDescribe = topicChecker(ctx, AclOperation.DESCRIBE);
  const answered = await fetchAuthorized(ctx, groupId, topics === null ? null : topics.filter((t) => canDescribe(t.name)));
  if (topics === null) return { errorCode: answered.errorCode, topics: answered.topics.filter((t) => canDescribe(t.name)) };
  if (answered.errorCode !== ErrorCode.NONE && ctx.apiVersion >= 2) return answered;
  // answered.topics is aligned with the allowed topics, in request order.
  let next = 0;
  return {
    errorCode: answered.errorCode,
    topics: topics.map((t) =>
      canDescribe(t.name)
        ? answered.topics[next++]!
        : { name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) },
    ),
  };
}

async function fetchAuthorized(ctx: RequestContext, groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null): Promise<GroupAnswer> {
  const refs: PartitionRef[] | null = topics === null ? null : topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
  const { errorCode, offsets } = await ctx.broker.groups.fetchOffsets(groupId, refs);
  const found = new Map<string, PartitionOffset>(offsets.map((o) => [`${o.topic}:${o.partition}`, o]));
  const answer = (topic: string, partition: number, code: number): PartitionAnswer => {
    const o = found.get(`${topic}:${partition}`);
    return o
      ? { partitionIndex: partition, committedOffset: o.committed.offset, committedLeaderEpoch: o.committed.leaderEpoch, metadata: o.committed.metadata, errorCode: code }
      : { partitionIndex: partition, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: code };
  };
  if (topics !== null) {
    // v0–1 have no top-level error: report it on every partition.
    const partitionCode = ctx.apiVersion < 2 ? errorCode : ErrorCode.NONE;
    if (errorCode !== ErrorCode.NONE && ctx.apiVersion >= 2) return { errorCode, topics: [] };
    return { errorCode, topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => answer(t.name, p, partitionCode)) })) };
  }
  const byTopic = new Map<string, PartitionAnswer[]>();
  for (const o of offsets) {
    let list = byTopic.get(o.topic);
    if (!list) byTopic.set(o.topic, (list = []));
    list.push(answer(o.topic, o.partition, ErrorCode.NONE));
  }
  const sorted = [...byTopic.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { errorCode, topics: sorted.map(([name, partitions]) => ({ name, partitions: partitions.sort((a, b) => a.partitionIndex - b.partitionIndex) })) };
}

export const offsetFetchHandler = defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  apiKey: offsetFetchApi.apiKey,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 9,
  decodeRequest: decodeOffsetFetchRequest,
  encodeResponse: encodeOffsetFetchResponse,
  async handle(ctx, req) {
    if (ctx.apiVersion >= 8) {
      const groups = await Promise.all(
        req.groups.map(async (g) => {
          const a = await fetchGroup(ctx, g.groupId, g.topics);
          return { groupId: g.groupId, errorCode: a.errorCode, topics: a.topics };
        }),
      );
      return { throttleTimeMs: 0, topics: [], errorCode: ErrorCode.NONE, groups };
    }
    const a = await fetchGroup(ctx, req.groupId, req.topics);
    return { throttleTimeMs: 0, topics: a.topics, errorCode: ctx.apiVersion >= 2 ? a.errorCode : ErrorCode.NONE, groups: [] };
  },
});
