// Thread: main. DescribeProducers (key 61), version 0.
// For each requested partition, the idempotent producers its log's producer state holds (as
// Kafka's ReplicaManager.activeProducerState): producerId, producerEpoch, lastSequence (-1
// when no batch is retained), lastTimestamp (largest batch timestamp; -1 unknown),
// coordinatorEpoch -1 and currentTxnStartOffset -1 (no transactions yet). Producers stay
// listed until retention removes their last batch (there is no producer.id.expiration.ms
// yet). Unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION with no producers.
// Version notes: v0 is flexible.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): READ on each topic, else TOPIC_AUTHORIZATION_FAILED.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeDescribeProducersRequest,
  describeProducersApi,
  encodeDescribeProducersResponse,
  type DescribeProducersRequest,
  type DescribeProducersResponse,
} from '../../protocol/generated/messages/61-describe-producers.js';
import { partitionId, type PartitionId } from '../../ipc/partition-id.js';
import { PartitionCalls } from './partition-calls.js';
import { AclOperation, topicChecker } from './authz.js';
import { defineHandler } from './types.js';

type PartitionResponse = DescribeProducersResponse['topics'][number]['partitions'][number];

export const describeProducersHandler = defineHandler<DescribeProducersRequest, DescribeProducersResponse>({
  apiKey: describeProducersApi.apiKey,
  name: 'DescribeProducers',
  minVersion: 0,
  maxVersion: 0,
  decodeRequest: decodeDescribeProducersRequest,
  encodeResponse: encodeDescribeProducersResponse,
  async handle(ctx, req) {
    const { broker } = ctx;
    const topics: DescribeProducersResponse['topics'] = [];
    const calls = new PartitionCalls<PartitionId, PartitionResponse>();
    const canRead = topicChecker(ctx, AclOperation.READ);
    for (const t of req.topics) {
      const topic = broker.topics.get(t.name);
      const partitions: PartitionResponse[] = [];
      topics.push({ name: t.name, partitions });
      for (const index of t.partitionIndexes) {
        const result: PartitionResponse = { partitionIndex: index, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: [] };
        partitions.push(result);
        if (!canRead(t.name)) {
          result.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        } else if (!topic || index < 0 || index >= topic.partitions) {
          result.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        } else {
          calls.add(t.name, index, result, partitionId(topic.topicId, index));
        }
      }
    }
    await calls.run(ctx, (keys) => broker.engine.describeProducers(keys), (target, r) => {
      target.activeProducers = r.producers.map((p) => ({
        producerId: BigInt(p.producerId),
        producerEpoch: p.producerEpoch,
        lastSequence: p.lastSequence,
        lastTimestamp: BigInt(p.lastTimestamp),
        coordinatorEpoch: -1,
        currentTxnStartOffset: -1n,
      }));
    });
    return { throttleTimeMs: 0, topics };
  },
});
