// Thread: main. ListOffsets (key 2), versions 0–8.
// Timestamp -2 = earliest (log start), -1 = latest (high watermark), -3 = the batch holding
// the largest timestamp (v7+, KIP-734), else the first offset whose timestamp is >= the
// given one (-1 when none). v0 answers the old offsets array (at most one offset here).
// Isolation level is accepted; without transactions last stable offset = high watermark.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeListOffsetsRequest,
  encodeListOffsetsResponse,
  listOffsetsApi,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../../protocol/generated/messages/02-list-offsets.js';
import { partitionId, type PartitionId } from '../../ipc/partition-id.js';
import { describeError, toKafkaErrorCode } from '../../errors.js';
import { logPartitionFailure, logRequestFailure } from '../failure-log.js';
import { leadershipError } from './leadership.js';
import { AclOperation, topicChecker } from './authz.js';
import { defineHandler } from './types.js';

type PartitionResponse = ListOffsetsResponse['topics'][number]['partitions'][number];

function partitionResponse(partitionIndex: number, errorCode: number): PartitionResponse {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
}

export const listOffsetsHandler = defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: listOffsetsApi.apiKey,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 8,
  decodeRequest: decodeListOffsetsRequest,
  encodeResponse: encodeListOffsetsResponse,
  async handle(ctx, req) {
    const { broker, apiVersion } = ctx;
    const topics: ListOffsetsResponse['topics'] = [];
    const items: Array<{ key: PartitionId; timestamp: number }> = [];
    const targets: Array<{ target: PartitionResponse; maxNumOffsets: number; topic: string }> = [];
    let notLeader: number = ErrorCode.NONE;
    const canDescribe = topicChecker(ctx, AclOperation.DESCRIBE);
    for (const t of req.topics) {
      const topic = broker.topics.get(t.name);
      const partitions: PartitionResponse[] = [];
      topics.push({ name: t.name, partitions });
      for (const p of t.partitions) {
        const timestamp = Number(p.timestamp);
        if (!canDescribe(t.name)) {
          partitions.push(partitionResponse(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        } else if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions) {
          partitions.push(partitionResponse(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        } else if (broker.leadership !== undefined && (notLeader = leadershipError(broker, topic.topicId, p.partitionIndex, p.currentLeaderEpoch)) !== ErrorCode.NONE) {
          partitions.push(partitionResponse(p.partitionIndex, notLeader));
        } else if (timestamp < -3 || (timestamp === -3 && apiVersion < 7)) {
          partitions.push(partitionResponse(p.partitionIndex, ErrorCode.UNSUPPORTED_VERSION));
        } else {
          const target = partitionResponse(p.partitionIndex, ErrorCode.NONE);
          partitions.push(target);
          items.push({ key: partitionId(topic.topicId, p.partitionIndex), timestamp });
          targets.push({ target, maxNumOffsets: p.maxNumOffsets, topic: t.name });
        }
      }
    }
    if (items.length > 0) {
      try {
        const results = await broker.engine.listOffsets(items);
        // Tiered storage: a timestamp may fall in segments that only object storage holds.
        const tier = broker.tier;
        if (tier) {
          await Promise.all(
            results.map(async (r, i) => {
              const { key, timestamp } = items[i]!;
              const localStart = broker.engine.state(key)?.logStartOffset;
              if (timestamp < 0 || r.errorCode !== ErrorCode.NONE || localStart === undefined) return;
              const remote = await tier.offsetForTimestamp(key, timestamp, localStart).catch((err: unknown) => {
                // Not silent: the answer falls back to the local log, and the log says why.
                broker.logger.warn({ api: ctx.apiName, apiVersion, clientId: ctx.clientId, partition: key, err: describeError(err) }, 'remote offset lookup failed; answering from the local log');
                return null;
              });
              if (remote) {
                r.offset = remote.offset;
                r.timestamp = remote.timestamp;
              }
            }),
          );
        }
        results.forEach((r, i) => {
          // Tiered storage: the earliest offset may be remote.
          const remoteStart = broker.tier?.remoteLogStartOffset(items[i]!.key);
          if (items[i]!.timestamp === -2 && r.errorCode === ErrorCode.NONE && remoteStart !== undefined && remoteStart < r.offset) r.offset = remoteStart;
          const { target, maxNumOffsets, topic } = targets[i]!;
          target.errorCode = r.errorCode;
          if (r.errorCode !== ErrorCode.NONE) logPartitionFailure(ctx, topic, target.partitionIndex, r.errorCode, r.cause);
          target.offset = BigInt(r.offset);
          target.timestamp = BigInt(r.timestamp);
          if (r.errorCode === ErrorCode.NONE) target.leaderEpoch = 0;
          if (apiVersion === 0) target.oldStyleOffsets = r.offset >= 0 && maxNumOffsets > 0 ? [BigInt(r.offset)] : [];
        });
      } catch (err) {
        const code = toKafkaErrorCode(err);
        logRequestFailure(ctx, err, code, { partitions: targets.length });
        for (const { target } of targets) target.errorCode = code;
      }
    }
    return { throttleTimeMs: 0, topics };
  },
});
