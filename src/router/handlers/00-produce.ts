// Thread: main. Produce (key 0), versions 0–11.
// Record batches stay opaque here: they are grouped by owning worker slot and handed over
// as one transferred buffer per slot; the worker validates (magic 2, sizes, CRC32C,
// max.message.bytes), assigns offsets and writes. acks=0 gets no response; acks=1 answers
// after the write; acks=-1 after the fsync (group commit) — or, for a partition made durable
// through the bucket (src/wal/), once its write-ahead object is stored. v0–2 can only carry message
// formats v0/v1, which are rejected by the worker with a clear message (librdkafka still
// needs v0 inside the advertised range). v8+ adds record errors and an error message.
// Transactional produce is not supported yet: UNSUPPORTED_VERSION, as InitProducerId answers a
// transactional id (see 22-init-producer-id.ts for why that code).
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeProduceRequest,
  encodeProduceResponse,
  produceApi,
  type ProduceRequest,
  type ProduceResponse,
} from '../../protocol/generated/messages/00-produce.js';
import { partitionId } from '../../ipc/partition-id.js';
import type { AppendRequestItem } from '../../partitions/partition-engine.js';
import { toKafkaErrorCode } from '../../errors.js';
import { logPartitionFailure, logRequestFailure } from '../failure-log.js';
import { leadershipError } from './leadership.js';
import { defineHandler, NO_RESPONSE } from './types.js';
import { countPartitionError, countRecords, topicCounters } from '../../http/metrics.js';
import { afterAppend, OVERLOADED } from '../../wal/durable-appends.js';

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

function partitionResponse(index: number, errorCode: number, errorMessage: string | null): PartitionResponse {
  return {
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  };
}

export const produceHandler = defineHandler<ProduceRequest, ProduceResponse>({
  apiKey: produceApi.apiKey,
  name: 'Produce',
  minVersion: 0,
  maxVersion: 11,
  decodeRequest: decodeProduceRequest,
  encodeResponse: encodeProduceResponse,
  async handle(ctx, req) {
    const { broker } = ctx;
    const acks = req.acks;
    const responses: ProduceResponse['responses'] = [];
    const items: AppendRequestItem[] = [];
    const targets: PartitionResponse[] = [];
    const targetTopics: string[] = [];
    const requestError =
      acks !== 0 && acks !== 1 && acks !== -1
        ? { code: ErrorCode.INVALID_REQUIRED_ACKS, message: `acks must be 0, 1 or -1, got ${acks}` }
        : req.transactionalId !== null
          ? { code: ErrorCode.UNSUPPORTED_VERSION, message: 'Transactions are not supported by this broker yet' }
          : null;
    // Everything up to engine.append is synchronous so pipelined requests reach each
    // partition's worker in request order.
    let notLeader: number = ErrorCode.NONE;
    for (const topicData of req.topicData) {
      const topic = broker.topics.get(topicData.name);
      const partitionResponses: PartitionResponse[] = [];
      responses.push({ name: topicData.name, partitionResponses });
      for (const p of topicData.partitionData) {
        if (requestError) {
          partitionResponses.push(partitionResponse(p.index, requestError.code, requestError.message));
        } else if (!topic || p.index < 0 || p.index >= topic.partitions) {
          partitionResponses.push(partitionResponse(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.'));
        } else if (broker.leadership !== undefined && (notLeader = leadershipError(broker, topic.topicId, p.index)) !== ErrorCode.NONE) {
          partitionResponses.push(partitionResponse(p.index, notLeader, 'This broker does not lead this topic-partition: refresh metadata.'));
        } else if (broker.durability?.writer.overloaded === true && broker.durability.covers(partitionId(topic.topicId, p.index))) {
          partitionResponses.push(partitionResponse(p.index, OVERLOADED.errorCode, OVERLOADED.errorMessage));
        } else if (p.records === null || p.records.length === 0) {
          partitionResponses.push(partitionResponse(p.index, ErrorCode.CORRUPT_MESSAGE, 'The produce request carries no record batch'));
        } else {
          const target = partitionResponse(p.index, ErrorCode.NONE, null);
          partitionResponses.push(target);
          items.push({ key: partitionId(topic.topicId, p.index), records: p.records });
          targets.push(target);
          targetTopics.push(topicData.name);
        }
      }
    }
    if (items.length > 0) {
      try {
        // Durable through the bucket: the write-ahead object, not the local fsync, makes acks=all.
        const durability = broker.durability;
        const allDurable = durability !== undefined && acks === -1 && items.every((it) => durability.covers(it.key));
        const results = await broker.engine.append(allDurable ? 1 : acks, items, ctx.ownedFrameBuffer);
        const durable = durability === undefined ? undefined : await afterAppend(durability, acks, items, results);
        results.forEach((r, i) => {
          const target = targets[i]!;
          target.errorCode = r.errorCode;
          target.errorMessage = r.errorMessage;
          target.baseOffset = BigInt(r.baseOffset);
          target.logAppendTimeMs = BigInt(r.logAppendTimeMs);
          target.logStartOffset = BigInt(r.logStartOffset);
          if (r.recordErrors.length > 0) target.recordErrors = r.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message }));
          const notDurable = durable?.[i];
          if (notDurable !== undefined) {
            target.errorCode = notDurable.errorCode;
            target.errorMessage = notDurable.errorMessage;
            target.baseOffset = -1n;
          }
          if (target.errorCode !== ErrorCode.NONE) logPartitionFailure(ctx, targetTopics[i]!, target.index, target.errorCode, r.cause, target.errorMessage);
          else {
            const c = topicCounters(targetTopics[i]!);
            const records = items[i]!.records;
            c.bytesIn += records.length;
            c.recordsIn += countRecords(records);
          }
        });
      } catch (err) {
        const code = toKafkaErrorCode(err);
        logRequestFailure(ctx, err, code, { partitions: targets.length });
        for (const target of targets) {
          target.errorCode = code;
          target.errorMessage = (err as Error).message;
        }
      }
    }
    for (const t of responses) for (const p of t.partitionResponses) if (p.errorCode !== ErrorCode.NONE) countPartitionError(0, p.errorCode);
    if (acks === 0) return NO_RESPONSE;
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
  },
});
