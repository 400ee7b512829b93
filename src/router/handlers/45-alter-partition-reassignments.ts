// Thread: main. AlterPartitionReassignments (key 45), version 0 — what Kafka's
// kafka-reassign-partitions and admin clients use to move partitions between brokers. A
// partition has one replica, its leader; the first broker of the requested replicas becomes its
// leader (src/cluster/reassignments.ts): the controller moves partitions of remote-storage
// topics through the bucket, and refuses (INVALID_REPLICA_ASSIGNMENT, saying why) to move a
// partition whose data lives on its broker's disk only, or to a broker that is not live.
// `replicas: null` cancels a move not finished (else NO_REASSIGNMENT_IN_PROGRESS). A single
// broker accepts only itself. Unknown topics and partitions answer UNKNOWN_TOPIC_OR_PARTITION.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  alterPartitionReassignmentsApi,
  decodeAlterPartitionReassignmentsRequest,
  encodeAlterPartitionReassignmentsResponse,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
} from '../../protocol/generated/messages/45-alter-partition-reassignments.js';
import { leaderOf } from './leadership.js';
import { AclOperation, authorizeCluster } from './authz.js';
import { defineHandler } from './types.js';

type PartitionResponse = AlterPartitionReassignmentsResponse['responses'][number]['partitions'][number];

export const alterPartitionReassignmentsHandler = defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>({
  apiKey: alterPartitionReassignmentsApi.apiKey,
  name: 'AlterPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  decodeRequest: decodeAlterPartitionReassignmentsRequest,
  encodeResponse: encodeAlterPartitionReassignmentsResponse,
  async handle(ctx, req) {
    const { broker } = ctx;
    // ACLs (as Kafka): ALTER on the cluster.
    if (!authorizeCluster(ctx, AclOperation.ALTER)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.', responses: [] };
    const responses = await Promise.all(
      req.topics.map(async (t) => {
        const topic = broker.topics.get(t.name);
        const partitions = await Promise.all(
          t.partitions.map(async (p): Promise<PartitionResponse> => {
            const answer = (errorCode: number, errorMessage: string | null): PartitionResponse => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage });
            if (broker.reassignments !== undefined) {
              const a = await broker.reassignments.request(t.name, p.partitionIndex, p.replicas);
              return answer(a.errorCode, a.errorMessage);
            }
            if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${t.name}-${p.partitionIndex}`);
            if (p.replicas === null) return answer(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, 'no reassignment is in progress for this partition');
            const { leaderId } = leaderOf(broker, topic.topicId, p.partitionIndex);
            if (p.replicas.length === 1 && p.replicas[0] === leaderId) return answer(ErrorCode.NONE, null);
            return answer(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `replicas ${JSON.stringify(p.replicas)} refused: this broker is not part of a cluster; its partitions have one replica, this broker (${leaderId})`);
          }),
        );
        return { name: t.name, partitions };
      }),
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
});
