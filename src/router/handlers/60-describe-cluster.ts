// Thread: main. DescribeCluster (key 60), versions 0–1.
// Single broker: itself, which is also the controller. Cluster mode (src/cluster): every live
// broker as of the last heartbeat (this one always included: it is answering) and the holder
// of the controller lease (-1 while none is known). v1 endpoint type 1 (brokers) only; asking
// for controllers (2) answers UNSUPPORTED_ENDPOINT_TYPE as a broker does.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): none needed (as in Kafka); the cluster authorized-operation bits when asked.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeDescribeClusterRequest,
  describeClusterApi,
  encodeDescribeClusterResponse,
  type DescribeClusterRequest,
  type DescribeClusterResponse,
} from '../../protocol/generated/messages/60-describe-cluster.js';
import { brokerEndpoint, selfEndpoint } from './endpoints.js';
import { AclOperation, CLUSTER_RESOURCE, ResourceType, authorizedOperations } from './authz.js';
import { defineHandler } from './types.js';

const NO_AUTHORIZED_OPERATIONS = -2147483648;
const CLUSTER_OPERATIONS = [AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER, AclOperation.DESCRIBE];

export const describeClusterHandler = defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  apiKey: describeClusterApi.apiKey,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 1,
  decodeRequest: decodeDescribeClusterRequest,
  encodeResponse: encodeDescribeClusterResponse,
  handle(ctx, req) {
    const { broker } = ctx;
    const cluster = broker.cluster;
    const controllerId = cluster ? cluster.controllerId() : broker.nodeId;
    // No ACL is needed (as in Kafka's AuthHelper.computeDescribeClusterResponse); asked for, the
    // principal's operations on the cluster come back as a bit field (KIP-430).
    const clusterAuthorizedOperations = req.includeClusterAuthorizedOperations ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE, CLUSTER_OPERATIONS) : NO_AUTHORIZED_OPERATIONS;
    const base = { throttleTimeMs: 0, endpointType: req.endpointType, clusterId: broker.clusterId, controllerId, clusterAuthorizedOperations };
    if (req.endpointType !== 1) {
      return { ...base, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'Only broker endpoints (type 1) can be described', brokers: [] };
    }
    const self = { brokerId: broker.nodeId, ...selfEndpoint(broker, ctx.conn), rack: broker.config['broker.rack'] ?? null };
    const brokers = cluster ? cluster.liveBrokers().map((b) => ({ brokerId: b.nodeId, ...brokerEndpoint(b, ctx.conn), rack: b.rack ?? null })) : [];
    if (!brokers.some((b) => b.brokerId === self.brokerId)) brokers.push(self);
    brokers.sort((a, b) => a.brokerId - b.brokerId);
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, brokers };
  },
});
