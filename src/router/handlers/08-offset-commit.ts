// Thread: main. OffsetCommit (key 8), versions 0–9.
// Stores a group's committed offsets (offset, leader epoch v6+, metadata) atomically per
// request in the offset store (Redis or the local file). Members of a managed group must send
// their member id and generation (UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION / FENCED_INSTANCE_ID,
// REBALANCE_IN_PROGRESS while the group completes a rebalance); a simple consumer commits
// with generation -1 and no member id into a group without members. v0 carries neither.
// v1 per-partition commit timestamps and v2–4 retention times are ignored: the broker's
// clock and offsets.retention.minutes decide. v9 (KIP-848 member epoch) is read as the
// generation of a classic group. Unknown topics/partitions: UNKNOWN_TOPIC_OR_PARTITION;
// metadata over offset.metadata.max.bytes: OFFSET_METADATA_TOO_LARGE.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): READ on the group (GROUP_AUTHORIZATION_FAILED), then READ on each topic (TOPIC_AUTHORIZATION_FAILED, not committed).
import {
  decodeOffsetCommitRequest,
  encodeOffsetCommitResponse,
  offsetCommitApi,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
} from '../../protocol/generated/messages/08-offset-commit.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import type { CommitParams } from '../../groups/coordinator.js';
import { AclOperation, authorizeGroup, topicChecker } from './authz.js';
import { defineHandler } from './types.js';

export const offsetCommitHandler = defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: offsetCommitApi.apiKey,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 9,
  decodeRequest: decodeOffsetCommitRequest,
  encodeResponse: encodeOffsetCommitResponse,
  async handle(ctx, req) {
    const answer = (code: (topic: string) => number): OffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(t.name) })) })),
    });
    // ACLs (as Kafka): READ on the group, then READ on each topic; refused topics are not committed.
    if (!authorizeGroup(ctx, AclOperation.READ, req.groupId)) return answer(() => ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const canRead = topicChecker(ctx, AclOperation.READ);
    const offsets: CommitParams['offsets'] = [];
    for (const t of req.topics) {
      if (!canRead(t.name)) continue;
      for (const p of t.partitions) {
        offsets.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata });
      }
    }
    const codes =
      offsets.length === 0 && req.topics.length > 0
        ? []
        : await ctx.broker.groups.commitOffsets({
            groupId: req.groupId,
            generationId: req.generationIdOrMemberEpoch,
            memberId: req.memberId,
            groupInstanceId: req.groupInstanceId,
            offsets,
          });
    let i = 0;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: canRead(t.name) ? codes[i++]! : ErrorCode.TOPIC_AUTHORIZATION_FAILED })),
      })),
    };
  },
});
