// Thread: main. DeleteRecords (key 21), versions 0–2.
// Moves each partition's log start offset up to the requested offset (-1 = the high
// watermark), as Kafka's ReplicaManager.deleteRecords: records below it are no longer served
// (Fetch answers OFFSET_OUT_OF_RANGE, ListOffsets earliest answers it), segments wholly below
// it are deleted, and it survives a restart (workers/log-start-offset.ts). The answer carries
// the new low watermark (= log start offset: one replica). An offset beyond the high
// watermark, or below -1, is OFFSET_OUT_OF_RANGE; at or below the current log start nothing
// changes and the current one is answered. Unknown topic or partition:
// UNKNOWN_TOPIC_OR_PARTITION. timeoutMs is not needed: there are no followers to wait for.
// Tiered storage: remote segments below the new log start are no longer read, and remote
// retention removes those wholly below it.
// Version notes: v1 is v0 (throttling on quota violation); v2 is flexible.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): DELETE on each topic, else TOPIC_AUTHORIZATION_FAILED.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeDeleteRecordsRequest,
  deleteRecordsApi,
  encodeDeleteRecordsResponse,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
} from '../../protocol/generated/messages/21-delete-records.js';
import { partitionId, type PartitionId } from '../../ipc/partition-id.js';
import { PartitionCalls } from './partition-calls.js';
import { AclOperation, topicChecker } from './authz.js';
import { defineHandler } from './types.js';

type PartitionResult = DeleteRecordsResponse['topics'][number]['partitions'][number];

export const deleteRecordsHandler = defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>({
  apiKey: deleteRecordsApi.apiKey,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  decodeRequest: decodeDeleteRecordsRequest,
  encodeResponse: encodeDeleteRecordsResponse,
  async handle(ctx, req) {
    const { broker } = ctx;
    const topics: DeleteRecordsResponse['topics'] = [];
    const calls = new PartitionCalls<{ key: PartitionId; offset: number }, PartitionResult>();
    const canDelete = topicChecker(ctx, AclOperation.DELETE);
    for (const t of req.topics) {
      const topic = broker.topics.get(t.name);
      const partitions: PartitionResult[] = [];
      topics.push({ name: t.name, partitions });
      for (const p of t.partitions) {
        const result: PartitionResult = { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.NONE };
        partitions.push(result);
        if (!canDelete(t.name)) {
          result.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        } else if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions) {
          result.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        } else if (p.offset < -1n || p.offset > BigInt(Number.MAX_SAFE_INTEGER)) {
          result.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
        } else {
          calls.add(t.name, p.partitionIndex, result, { key: partitionId(topic.topicId, p.partitionIndex), offset: Number(p.offset) });
        }
      }
    }
    await calls.run(ctx, (items) => broker.engine.deleteRecords(items), (target, r) => {
      let lowWatermark = r.lowWatermark;
      // Tiered storage: the log may start in object storage, below the local log.
      const remoteStart = broker.tier?.remoteLogStartOffset(r.key);
      if (r.errorCode === ErrorCode.NONE && remoteStart !== undefined && remoteStart < lowWatermark) lowWatermark = remoteStart;
      target.lowWatermark = BigInt(lowWatermark);
    });
    return { throttleTimeMs: 0, topics };
  },
});
