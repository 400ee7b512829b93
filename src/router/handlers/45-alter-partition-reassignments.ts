// Thread: main. AlterPartitionReassignments (key 45), version 0 — what Kafka's
// kafka-reassign-partitions and admin clients use to move partitions between brokers.
// Strata has one replica per partition, its leader, and a partition's data lives on the broker
// that leads it until moves through object storage exist (issue 15): so a reassignment to the
// partition's current leader alone is accepted as already done, cancelling one answers
// NO_REASSIGNMENT_IN_PROGRESS, and anything else is refused with INVALID_REPLICA_ASSIGNMENT and
// a message saying why (never silently accepted). Unknown topics and partitions answer
// UNKNOWN_TOPIC_OR_PARTITION.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  alterPartitionReassignmentsApi,
  decodeAlterPartitionReassignmentsRequest,
  encodeAlterPartitionReassignmentsResponse,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
} from '../../protocol/generated/messages/45-alter-partition-reassignments.js';
import { leaderOf } from './leadership.js';
import { defineHandler } from './types.js';

type PartitionResponse = AlterPartitionReassignmentsResponse['responses'][number]['partitions'][number];

export const alterPartitionReassignmentsHandler = defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>({
  apiKey: alterPartitionReassignmentsApi.apiKey,
  name: 'AlterPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  decodeRequest: decodeAlterPartitionReassignmentsRequest,
  encodeResponse: encodeAlterPartitionReassignmentsResponse,
  handle(ctx, req) {
    const { broker } = ctx;
    const responses = req.topics.map((t) => {
      const topic = broker.topics.get(t.name);
      const partitions = t.partitions.map((p): PartitionResponse => {
        const answer = (errorCode: number, errorMessage: string | null): PartitionResponse => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage });
        if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${t.name}-${p.partitionIndex}`);
        if (p.replicas === null) return answer(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, 'no reassignment is in progress for this partition');
        const { leaderId } = leaderOf(broker, topic.topicId, p.partitionIndex);
        if (p.replicas.length === 1 && p.replicas[0] === leaderId) return answer(ErrorCode.NONE, null);
        return answer(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `replicas ${JSON.stringify(p.replicas)} refused: a partition has one replica, its leader (broker ${leaderId}), and its data stays on that broker until moves between brokers through object storage exist`,
        );
      });
      return { name: t.name, partitions };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
});
