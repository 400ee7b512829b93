// Thread: main. Produce (key 0), versions 0–11.
// Record batches stay opaque here: they are grouped by owning worker slot and handed over
// as one transferred buffer per slot; the worker validates (magic 2, sizes, CRC32C,
// max.message.bytes), assigns offsets and writes. acks=0 gets no response; acks=1 answers
// after the write; acks=-1 after the fsync (group commit) — or, for a partition made durable
// through the bucket (src/wal/), once its write-ahead object is stored. v0–2 can only carry message
// formats v0/v1, which are rejected by the worker with a clear message (librdkafka still
// needs v0 inside the advertised range). v8+ adds record errors and an error message.
// Schema validation (topic configs confluent.value/key.schema.validation): a partition of such a
// topic is decoded and checked first (src/schema-registry/produce-validation.ts), in request
// order per partition, and answers INVALID_RECORD with recordErrors (v8+) when any record fails —
// nothing of its batch is appended. Every other partition keeps the synchronous path below: one
// check of the topic's overrides (topicValidation), no decoding, no decompression.
// Transactional produce is not supported yet: UNSUPPORTED_VERSION, as InitProducerId answers a
// transactional id (see 22-init-producer-id.ts for why that code).
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): WRITE on each topic, else TOPIC_AUTHORIZATION_FAILED (also for topics that do not exist); nothing appended.
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
import { AclOperation, ResourceType, allowedNames, authorizing } from './authz.js';
import { defineHandler, NO_RESPONSE } from './types.js';
import { countPartitionError, countRecords, topicCounters } from '../../http/metrics.js';
import { afterAppend, OVERLOADED } from '../../wal/durable-appends.js';
import { topicValidation, validateThenIssue, type TopicValidation } from '../../schema-registry/produce-validation.js';
import type { RequestContext } from './types.js';

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

interface ValidatedItem {
  item: AppendRequestItem;
  target: PartitionResponse;
  topic: string;
  validation: TopicValidation;
}

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
    const validated: ValidatedItem[] = [];
    const requestError =
      acks !== 0 && acks !== 1 && acks !== -1
        ? { code: ErrorCode.INVALID_REQUIRED_ACKS, message: `acks must be 0, 1 or -1, got ${acks}` }
        : req.transactionalId !== null
          ? { code: ErrorCode.UNSUPPORTED_VERSION, message: 'Transactions are not supported by this broker yet' }
          : null;
    // Everything up to engine.append is synchronous so pipelined requests reach each
    // partition's worker in request order.
    let notLeader: number = ErrorCode.NONE;
    // ACLs: WRITE on each topic (checked before existence, so an unauthorised name learns nothing).
    const writable = authorizing(ctx) ? allowedNames(ctx, AclOperation.WRITE, ResourceType.TOPIC, req.topicData.map((t) => t.name)) : undefined;
    for (const topicData of req.topicData) {
      const topic = broker.topics.get(topicData.name);
      const partitionResponses: PartitionResponse[] = [];
      responses.push({ name: topicData.name, partitionResponses });
      for (const p of topicData.partitionData) {
        if (requestError) {
          partitionResponses.push(partitionResponse(p.index, requestError.code, requestError.message));
        } else if (writable !== undefined && !writable.has(topicData.name)) {
          partitionResponses.push(partitionResponse(p.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Not authorized to WRITE to this topic.'))
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
          const item = { key: partitionId(topic.topicId, p.index), records: p.records };
          // Schema validation: two property reads on the topic's overrides, nothing more, when off.
          const validation = topicValidation(topic.configs);
          if (validation !== undefined) {
            validated.push({ item, target, topic: topicData.name, validation });
            continue;
          }
          items.push(item);
          targets.push(target);
          targetTopics.push(topicData.name);
        }
      }
    }
    // A validated partition's records are read after this turn: the frame buffer must not be
    // transferred to a worker meanwhile (copied instead).
    const owned = validated.length > 0 ? undefined : ctx.ownedFrameBuffer;
    const appended = items.length > 0 ? appendItems(ctx, acks, items, targets, targetTopics, owned) : undefined;
    if (validated.length > 0) {
      await Promise.all(
        validated.map((v) =>
          validateThenIssue(broker.schemaRegistry, v.item.key, v.topic, v.validation, v.item.records, async (outcome) => {
            if (outcome.ok && outcome.verdict.ok) return appendItems(ctx, acks, [v.item], [v.target], [v.topic], undefined);
            if (outcome.ok && !outcome.verdict.ok) {
              v.target.errorCode = ErrorCode.INVALID_RECORD;
              v.target.errorMessage = outcome.verdict.errorMessage;
              v.target.recordErrors = outcome.verdict.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message }));
            } else {
              // The registry's store failed (Redis unreachable): retriable.
              v.target.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
              v.target.errorMessage = `Schema validation could not reach the schema registry: ${(outcome as { error: Error }).error.message}`;
            }
            logPartitionFailure(ctx, v.topic, v.target.index, v.target.errorCode, undefined, v.target.errorMessage);
          }),
        ),
      );
    }
    if (appended !== undefined) await appended;
    for (const t of responses) for (const p of t.partitionResponses) if (p.errorCode !== ErrorCode.NONE) countPartitionError(0, p.errorCode);
    if (acks === 0) return NO_RESPONSE;
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
  },
});

/** Appends `items` and fills their responses (the path every non-validated partition takes). */
async function appendItems(ctx: RequestContext, acks: number, items: AppendRequestItem[], targets: PartitionResponse[], targetTopics: string[], owned: ArrayBuffer | undefined): Promise<void> {
  const { broker } = ctx;
  try {
    // Durable through the bucket: the write-ahead object, not the local fsync, makes acks=all.
    const durability = broker.durability;
    const allDurable = durability !== undefined && acks === -1 && items.every((it) => durability.covers(it.key));
    const results = await broker.engine.append(allDurable ? 1 : acks, items, owned);
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
