// Thread: main. The one produce path of the REST proxy (v2, v3 and bulk): records are placed
// on partitions (partitioner.ts), each partition's records become one RecordBatch v2, and all
// batches of a request go to the broker's own Produce handler through the KafkaBridge with
// acks=all — validation, durability and metrics are the Kafka protocol's. The per-record
// answer is the partition, the offset (batch base offset + index) or the Kafka error. In a
// cluster, partitions led by another broker are forwarded to its REST proxy (leader-forward.ts).
import type { BrokerContext } from '../../broker-context.js';
import { ErrorCode, errorTable } from '../../protocol/generated/error-codes.js';
import type { ProduceRequest, ProduceResponse } from '../../protocol/generated/messages/00-produce.js';
import { encodeRecordBatch, type RecordHeader } from '../../protocol/records.js';
import type { BridgeCaller, KafkaBridge } from '../kafka-bridge.js';
import { forwardToLeader, leaderUrl } from './leader-forward.js';
import { partitionForKey, StickyRoundRobin } from './partitioner.js';
import { RestErrors } from './rest-errors.js';

const PRODUCE_API_KEY = 0;
const PRODUCE_TIMEOUT_MS = 30_000;

export interface ProduceRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Explicit partition; otherwise by key (murmur2) or sticky round robin. */
  partition?: number;
  timestamp?: number;
}

export interface RecordResult {
  partition: number;
  /** -1 when the record was not written. */
  offset: number;
  /** Kafka error code; 0 when written. */
  errorCode: number;
  error: string | null;
  timestamp: number;
}

export function kafkaErrorName(code: number): string {
  return errorTable.get(code)?.name ?? `KAFKA_ERROR_${code}`;
}

export function isRetriable(code: number): boolean {
  return errorTable.get(code)?.retriable ?? false;
}

export class RestProducer {
  private readonly sticky = new StickyRoundRobin();

  constructor(
    private readonly broker: BrokerContext,
    private readonly bridge: KafkaBridge,
  ) {}

  /** Partition count of a topic; RestError 40401 when it does not exist. */
  partitions(topic: string): number {
    const t = this.broker.topics.get(topic);
    if (t === undefined) throw RestErrors.topicNotFound(topic);
    return t.partitions;
  }

  /**
   * Writes the records (in order per partition) and answers one result per record, in the
   * request's order. Throws RestError 40401 / 40402 for an unknown topic or partition.
   */
  async produce(topic: string, records: ProduceRecord[], caller: BridgeCaller, forward = true): Promise<RecordResult[]> {
    const count = this.partitions(topic);
    const placed = new Array<number>(records.length);
    let stickyPartition = -1;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      let p: number;
      if (r.partition !== undefined) p = r.partition;
      else if (r.key !== null) p = partitionForKey(r.key, count);
      else p = stickyPartition >= 0 ? stickyPartition : (stickyPartition = this.sticky.pick(topic, count));
      if (!Number.isInteger(p) || p < 0 || p >= count) throw RestErrors.partitionNotFound(topic, p);
      placed[i] = p;
    }
    const byPartition = new Map<number, number[]>();
    placed.forEach((p, i) => {
      let list = byPartition.get(p);
      if (list === undefined) byPartition.set(p, (list = []));
      list.push(i);
    });
    const now = Date.now();
    const partitionData = [...byPartition].map(([index, ids]) => ({
      index,
      records: encodeRecordBatch({ baseTimestamp: now, records: ids.map((i) => records[i]!) }),
    }));
    const request: ProduceRequest = {
      transactionalId: null,
      acks: -1,
      timeoutMs: PRODUCE_TIMEOUT_MS,
      topicData: [{ name: topic, partitionData }],
    };
    const res = await this.bridge.call<ProduceResponse>(PRODUCE_API_KEY, request, caller);
    const results = new Array<RecordResult>(records.length);
    for (const t of res?.responses ?? []) {
      for (const pr of t.partitionResponses) {
        const ids = byPartition.get(pr.index) ?? [];
        ids.forEach((id, k) => {
          const r = records[id]!;
          const failed = pr.errorCode !== ErrorCode.NONE;
          results[id] = {
            partition: pr.index,
            offset: failed ? -1 : Number(pr.baseOffset) + k,
            errorCode: pr.errorCode,
            error: failed ? `${kafkaErrorName(pr.errorCode)}${pr.errorMessage ? `: ${pr.errorMessage}` : ''}` : null,
            timestamp: pr.logAppendTimeMs >= 0n ? Number(pr.logAppendTimeMs) : (r.timestamp ?? now),
          };
        });
      }
    }
    for (let i = 0; i < results.length; i++) {
      results[i] ??= { partition: placed[i]!, offset: -1, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, error: 'no produce answer for this partition', timestamp: now };
    }
    if (forward) await this.forwardNotLed(topic, records, byPartition, results, caller.authorization);
    return results;
  }

  /** Cluster mode: the partitions another broker leads go to its REST proxy (leader-forward.ts). */
  private async forwardNotLed(topic: string, records: ProduceRecord[], byPartition: Map<number, number[]>, results: RecordResult[], authorization: string | undefined): Promise<void> {
    const jobs: Array<Promise<void>> = [];
    for (const [partition, ids] of byPartition) {
      if (results[ids[0]!]!.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER) continue;
      const url = leaderUrl(this.broker, topic, partition);
      if (url === undefined) continue;
      jobs.push(
        forwardToLeader(url, topic, partition, ids.map((i) => records[i]!), authorization).then((forwarded) => {
          if (forwarded !== undefined) ids.forEach((id, k) => (results[id] = forwarded[k]!));
        }),
      );
    }
    await Promise.all(jobs);
  }
}
