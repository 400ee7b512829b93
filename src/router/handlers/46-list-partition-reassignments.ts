// Thread: main. ListPartitionReassignments (key 46), version 0: the moves between brokers not
// finished yet (src/cluster/reassignments.ts) — requested ones and handoffs under way — for all
// partitions or the ones asked for; unknown ones are simply not listed, as Kafka does. Each
// lists replicas [target, source], adding [target], removing [source], as Kafka shows a move of
// a one-replica partition. A single broker never has one in progress.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeListPartitionReassignmentsRequest,
  encodeListPartitionReassignmentsResponse,
  listPartitionReassignmentsApi,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
} from '../../protocol/generated/messages/46-list-partition-reassignments.js';
import { AclOperation, authorizeCluster } from './authz.js';
import { defineHandler } from './types.js';

export const listPartitionReassignmentsHandler = defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  apiKey: listPartitionReassignmentsApi.apiKey,
  name: 'ListPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  decodeRequest: decodeListPartitionReassignmentsRequest,
  encodeResponse: encodeListPartitionReassignmentsResponse,
  async handle(ctx, req) {
    // ACLs (as Kafka): DESCRIBE on the cluster.
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.', topics: [] };
    const reassignments = ctx.broker.reassignments;
    const topics: ListPartitionReassignmentsResponse['topics'] = [];
    if (reassignments !== undefined) {
      const filter = req.topics?.map((t) => ({ topic: t.name, partitions: t.partitionIndexes }));
      for (const o of await reassignments.ongoing(filter)) {
        let entry = topics.find((t) => t.name === o.topic);
        if (entry === undefined) topics.push((entry = { name: o.topic, partitions: [] }));
        entry.partitions.push({ partitionIndex: o.partition, replicas: [o.target, o.source], addingReplicas: [o.target], removingReplicas: [o.source] });
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics };
  },
});
