import { describe, expect, it } from 'vitest';
import type { BrokerInfo } from '../../../../src/cluster/broker-info.js';
import type { ClusterView } from '../../../../src/cluster/cluster-membership.js';
import { ErrorCode } from '../../../../src/protocol/generated/error-codes.js';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../../../../src/protocol/generated/messages/60-describe-cluster.js';
import { describeClusterHandler } from '../../../../src/router/handlers/60-describe-cluster.js';
import type { RequestContext } from '../../../../src/router/handlers/types.js';

function context(cluster: ClusterView | undefined, rack?: string): RequestContext {
  return {
    broker: { nodeId: 2, clusterId: 'c-1', advertised: { host: '127.0.0.1', port: 9002 }, config: { 'broker.rack': rack }, cluster },
    apiVersion: 1,
  } as unknown as RequestContext;
}

const request: DescribeClusterRequest = { includeClusterAuthorizedOperations: false, endpointType: 1 };
const handle = (ctx: RequestContext, req = request) => describeClusterHandler.handle(ctx, req) as DescribeClusterResponse;

const info = (nodeId: number, rack?: string): BrokerInfo => ({ nodeId, host: '127.0.0.1', port: 9000 + nodeId, ...(rack ? { rack } : {}), startedAtMs: 0, incarnation: `i${nodeId}` });

describe('DescribeCluster handler', () => {
  it('single broker: itself, as the controller, with its rack', () => {
    const res = handle(context(undefined, 'r-2'));
    expect(res.errorCode).toBe(ErrorCode.NONE);
    expect(res.controllerId).toBe(2);
    expect(res.brokers).toEqual([{ brokerId: 2, host: '127.0.0.1', port: 9002, rack: 'r-2' }]);
  });

  it('cluster mode: every live broker by id and the lease holder as controller', () => {
    const res = handle(context({ liveBrokers: () => [info(1, 'a'), info(2), info(3, 'c')], controllerId: () => 3 }));
    expect(res.controllerId).toBe(3);
    expect(res.brokers.map((b) => [b.brokerId, b.port, b.rack])).toEqual([
      [1, 9001, 'a'],
      [2, 9002, null],
      [3, 9003, 'c'],
    ]);
  });

  it('cluster mode: the answering broker is listed even when its registration is not in the view; no controller is -1', () => {
    const res = handle(context({ liveBrokers: () => [info(3)], controllerId: () => -1 }));
    expect(res.controllerId).toBe(-1);
    expect(res.brokers.map((b) => b.brokerId)).toEqual([2, 3]);
  });

  it('controllers endpoint type is refused with UNSUPPORTED_ENDPOINT_TYPE', () => {
    const res = handle(context(undefined), { ...request, endpointType: 2 });
    expect(res.errorCode).toBe(ErrorCode.UNSUPPORTED_ENDPOINT_TYPE);
    expect(res.brokers).toEqual([]);
  });
});
