// Thread: main. DescribeCluster (key 60), versions 0–1.
// One broker, which is also the controller. v1 endpoint type 1 (brokers) only; asking for
// controllers (2) answers UNSUPPORTED_ENDPOINT_TYPE as a broker does.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeDescribeClusterRequest,
  describeClusterApi,
  encodeDescribeClusterResponse,
  type DescribeClusterRequest,
  type DescribeClusterResponse,
} from '../../protocol/generated/messages/60-describe-cluster.js';
import { defineHandler } from './types.js';

const NO_AUTHORIZED_OPERATIONS = -2147483648;

export const describeClusterHandler = defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  apiKey: describeClusterApi.apiKey,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 1,
  decodeRequest: decodeDescribeClusterRequest,
  encodeResponse: encodeDescribeClusterResponse,
  handle(ctx, req) {
    const { broker } = ctx;
    const base = { throttleTimeMs: 0, endpointType: req.endpointType, clusterId: broker.clusterId, controllerId: broker.nodeId, clusterAuthorizedOperations: NO_AUTHORIZED_OPERATIONS };
    if (req.endpointType !== 1) {
      return { ...base, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'Only broker endpoints (type 1) can be described', brokers: [] };
    }
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      brokers: [{ brokerId: broker.nodeId, host: broker.advertised.host, port: broker.advertised.port, rack: null }],
    };
  },
});
