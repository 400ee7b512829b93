// Thread: main. Fetch (key 1), versions 4–17.
// Returns whole record batches, starting with the one that contains the fetch offset, up to
// the partition's max.bytes and the response's max.bytes (the first non-empty partition
// always gets at least one whole batch, as Kafka guarantees progress). Long poll: when less
// than min.bytes is available the request parks until an append moves a requested
// partition's high watermark or max.wait.ms passes. Fetch sessions (KIP-227) are not kept:
// the response's session id 0 tells clients to send full fetches. v13+ names topics by id.
// v0–3 are not served: they would need down-conversion to message format v0/v1.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { decodeFetchRequest, encodeFetchResponse, fetchApi, type FetchRequest, type FetchResponse } from '../../protocol/generated/messages/01-fetch.js';
import { partitionId } from '../../ipc/partition-id.js';
import type { ReadRequestItem } from '../../partitions/partition-engine.js';
import { toKafkaErrorCode } from '../../errors.js';
import { logPartitionFailure, logRequestFailure } from '../failure-log.js';
import { topicIdFromWire } from './topic-ids.js';
import { defineHandler } from './types.js';
import { countPartitionError, countRecords, topicCounters } from '../../http/metrics.js';

type PartitionData = FetchResponse['responses'][number]['partitions'][number];

const EMPTY_RECORDS = Buffer.alloc(0);

function fillOffsets(target: PartitionData, from: { highWatermark: number; lastStableOffset: number; logStartOffset: number } | undefined): void {
  if (!from) return;
  target.highWatermark = BigInt(from.highWatermark);
  target.lastStableOffset = BigInt(from.lastStableOffset);
  target.logStartOffset = BigInt(from.logStartOffset);
}

function partitionData(partitionIndex: number, errorCode: number): PartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: null,
    preferredReadReplica: -1,
    // Kafka sends an empty record set, never null: librdkafka rejects a null one.
    records: EMPTY_RECORDS,
  };
}

export const fetchHandler = defineHandler<FetchRequest, FetchResponse>({
  apiKey: fetchApi.apiKey,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 17,
  decodeRequest: decodeFetchRequest,
  encodeResponse: encodeFetchResponse,
  async handle(ctx, req) {
    const { broker, apiVersion } = ctx;
    const responses: FetchResponse['responses'] = [];
    const reads: ReadRequestItem[] = [];
    const targets: PartitionData[] = [];
    const targetTopics: string[] = [];
    const responseMaxBytes = Math.max(0, req.maxBytes);
    for (const t of req.topics) {
      const name = apiVersion >= 13 ? broker.topics.nameById(topicIdFromWire(t.topicId)) : t.topic;
      const topic = name === undefined ? undefined : broker.topics.get(name);
      const partitions: PartitionData[] = [];
      responses.push({ topic: name ?? '', topicId: t.topicId, partitions });
      for (const p of t.partitions) {
        if (!topic) {
          partitions.push(partitionData(p.partition, apiVersion >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        } else if (p.partition < 0 || p.partition >= topic.partitions) {
          partitions.push(partitionData(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        } else {
          const target = partitionData(p.partition, ErrorCode.NONE);
          partitions.push(target);
          targets.push(target);
          targetTopics.push(name!);
          reads.push({
            key: partitionId(topic.topicId, p.partition),
            fetchOffset: Number(p.fetchOffset),
            maxBytes: Math.max(0, Math.min(p.partitionMaxBytes, responseMaxBytes)),
            minOneBatch: true,
          });
        }
      }
    }
    const done = (errorCode = ErrorCode.NONE): FetchResponse => {
      for (const t of responses) {
        for (const p of t.partitions) {
          if (p.errorCode !== ErrorCode.NONE) countPartitionError(1, p.errorCode);
          else if (p.records && p.records.length > 0) {
            const c = topicCounters(t.topic);
            c.bytesOut += p.records.length;
            c.recordsOut += countRecords(p.records);
          }
        }
      }
      return { throttleTimeMs: 0, errorCode, sessionId: 0, responses, nodeEndpoints: [] };
    };
    if (reads.length === 0) return done();

    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    const engine = broker.engine;
    /** High watermark each partition had when last read: an append racing the read wakes us. */
    const seen = reads.map((r) => engine.state(r.key)?.highWatermark ?? -1);
    for (;;) {
      // Skip the worker round trip while every partition is known to be caught up.
      const caughtUp = req.minBytes > 0 && reads.every((r) => engine.state(r.key)?.highWatermark === r.fetchOffset);
      if (!caughtUp) {
        let results;
        try {
          results = await engine.read(reads);
          // Offsets below the local log start: from object storage (async; local reads never wait on it).
          if (broker.tier) await broker.tier.fillFetch(reads, results);
        } catch (err) {
          const code = toKafkaErrorCode(err);
          logRequestFailure(ctx, err, code, { partitions: targets.length });
          for (const target of targets) target.errorCode = code;
          return done();
        }
        let budget = responseMaxBytes;
        let total = 0;
        let anyData = false;
        let anyError = false;
        results.forEach((r, i) => {
          const target = targets[i]!;
          target.errorCode = r.errorCode;
          fillOffsets(target, r);
          seen[i] = r.highWatermark;
          if (r.errorCode !== ErrorCode.NONE) {
            anyError = true;
            logPartitionFailure(ctx, targetTopics[i]!, target.partitionIndex, r.errorCode, r.cause);
          }
          const records = r.records;
          if (records && records.length > 0 && (!anyData || records.length <= budget)) {
            target.records = records;
            budget -= records.length;
            total += records.length;
            anyData = true;
          } else target.records = EMPTY_RECORDS;
        });
        if (total >= req.minBytes || anyError) return done();
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0 || broker.shuttingDown || ctx.conn.closed) {
        // A caught-up partition was never read: its offsets come from the engine's cache.
        if (caughtUp) reads.forEach((r, i) => fillOffsets(targets[i]!, engine.state(r.key)));
        return done();
      }
      if (reads.some((r, i) => (engine.state(r.key)?.highWatermark ?? -1) !== seen[i])) {
        reads.forEach((r, i) => (seen[i] = engine.state(r.key)?.highWatermark ?? -1));
        continue;
      }
      await engine.waitForAppend(reads.map((r) => r.key), remaining).promise;
    }
  },
});
