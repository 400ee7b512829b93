// Thread: main. OffsetForLeaderEpoch (key 23), versions 0–4.
// For each partition, the end offset of the requested leader epoch, as Kafka's
// Partition.lastOffsetForLeaderEpoch answers it as leader. This broker leads every partition
// with the one epoch CURRENT_LEADER_EPOCH (0, what Metadata advertises and appends stamp):
//   - currentLeaderEpoch (v2+) -1 skips fencing; below ours is FENCED_LEADER_EPOCH, above ours
//     UNKNOWN_LEADER_EPOCH (the client knows of a leader we do not);
//   - leaderEpoch = ours: our epoch and the log end offset;
//   - an older epoch (negative, other than -1): that epoch and the log start offset (the start
//     of the first epoch we know);
//   - UNDEFINED (-1) or a newer epoch: leaderEpoch -1, endOffset -1, error NONE.
// Unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION. replicaId (v3+) is accepted from
// consumers (-1) and followers alike: the answer is the leader's either way.
// Version notes: v1 adds leaderEpoch to the answer, v2 currentLeaderEpoch and throttleTimeMs,
// v3 replicaId, v4 is flexible.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeOffsetForLeaderEpochRequest,
  encodeOffsetForLeaderEpochResponse,
  offsetForLeaderEpochApi,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '../../protocol/generated/messages/23-offset-for-leader-epoch.js';
import { partitionId, type PartitionId } from '../../ipc/partition-id.js';
import { CURRENT_LEADER_EPOCH } from '../../ipc/tasks.js';
import { PartitionCalls } from './partition-calls.js';
import { leadershipError } from './leadership.js';
import { AclOperation, topicChecker } from './authz.js';
import { defineHandler } from './types.js';

type EpochEndOffset = OffsetForLeaderEpochResponse['topics'][number]['partitions'][number];

/** NO_PARTITION_LEADER_EPOCH: the client does not ask for fencing. */
const NO_LEADER_EPOCH = -1;

export const offsetForLeaderEpochHandler = defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>({
  apiKey: offsetForLeaderEpochApi.apiKey,
  name: 'OffsetForLeaderEpoch',
  minVersion: 0,
  maxVersion: 4,
  decodeRequest: decodeOffsetForLeaderEpochRequest,
  encodeResponse: encodeOffsetForLeaderEpochResponse,
  async handle(ctx, req) {
    const { broker } = ctx;
    const topics: OffsetForLeaderEpochResponse['topics'] = [];
    const calls = new PartitionCalls<{ key: PartitionId; leaderEpoch: number }, EpochEndOffset>();
    const canDescribe = topicChecker(ctx, AclOperation.DESCRIBE);
    for (const t of req.topics) {
      const topic = broker.topics.get(t.topic);
      const partitions: EpochEndOffset[] = [];
      topics.push({ topic: t.topic, partitions });
      for (const p of t.partitions) {
        const result: EpochEndOffset = { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
        partitions.push(result);
        if (!canDescribe(t.topic)) {
          result.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        } else if (!topic || p.partition < 0 || p.partition >= topic.partitions) {
          result.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        } else if (broker.leadership !== undefined) {
          result.errorCode = leadershipError(broker, topic.topicId, p.partition, p.currentLeaderEpoch);
          if (result.errorCode === ErrorCode.NONE) calls.add(t.topic, p.partition, result, { key: partitionId(topic.topicId, p.partition), leaderEpoch: p.leaderEpoch });
        } else if (p.currentLeaderEpoch !== NO_LEADER_EPOCH && p.currentLeaderEpoch < CURRENT_LEADER_EPOCH) {
          result.errorCode = ErrorCode.FENCED_LEADER_EPOCH;
        } else if (p.currentLeaderEpoch !== NO_LEADER_EPOCH && p.currentLeaderEpoch > CURRENT_LEADER_EPOCH) {
          result.errorCode = ErrorCode.UNKNOWN_LEADER_EPOCH;
        } else {
          calls.add(t.topic, p.partition, result, { key: partitionId(topic.topicId, p.partition), leaderEpoch: p.leaderEpoch });
        }
      }
    }
    await calls.run(ctx, (items) => broker.engine.offsetForLeaderEpoch(items), (target, r) => {
      target.leaderEpoch = r.leaderEpoch;
      target.endOffset = BigInt(r.endOffset);
    });
    return { throttleTimeMs: 0, topics };
  },
});
