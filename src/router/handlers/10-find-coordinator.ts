// Thread: main. FindCoordinator (key 10), versions 0–6.
// A single broker coordinates every group and transactional id; in cluster mode with
// partition leadership, groups are spread over the live brokers by a hash of the group id. Key types: 0 group, 1
// transaction (answered with this broker so clients can probe; transactions themselves are
// not supported yet); anything else INVALID_REQUEST. v4+ batches keys in coordinatorKeys
// (top-level fields unused). Group keys answer COORDINATOR_NOT_AVAILABLE while the offset
// store (Redis) is unreachable, so clients back off and retry.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED) or transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
  findCoordinatorApi,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from '../../protocol/generated/messages/10-find-coordinator.js';
import { coordinatorFor } from '../../cluster/group-placement.js';
import { brokerEndpoint, selfEndpoint } from './endpoints.js';
import { AclOperation, ResourceType, authorize, authorizeGroup } from './authz.js';
import { defineHandler, type RequestContext } from './types.js';

type Coordinator = FindCoordinatorResponse['coordinators'][number];

function lookup(ctx: RequestContext, key: string, keyType: number): Coordinator {
  const { broker, conn } = ctx;
  const fail = (errorCode: number, errorMessage: string): Coordinator => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  if (keyType !== 0 && keyType !== 1) return fail(ErrorCode.INVALID_REQUEST, `unsupported coordinator key type ${keyType}`);
  // ACLs (as Kafka): DESCRIBE on the group, or on the transactional id.
  if (keyType === 0 && !authorizeGroup(ctx, AclOperation.DESCRIBE, key)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED, 'Not authorized to DESCRIBE this group.');
  if (keyType === 1 && !authorize(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)) return fail(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'Not authorized to DESCRIBE this transactional id.');
  if (keyType === 0 && key === '') return fail(ErrorCode.INVALID_REQUEST, 'empty group id');
  if (keyType === 0 && !broker.groups.available()) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the group coordinator is not available');
  if (keyType === 0 && broker.leadership !== undefined) {
    // Cluster mode: groups are spread over the live brokers (src/cluster/group-placement.ts).
    const live = broker.cluster?.liveBrokers() ?? [];
    const id = coordinatorFor(key, live.map((b) => b.nodeId));
    const b = live.find((x) => x.nodeId === id);
    if (b === undefined) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'no live broker is known yet');
    return { key, nodeId: b.nodeId, ...brokerEndpoint(b, conn), errorCode: ErrorCode.NONE, errorMessage: null };
  }
  return { key, nodeId: broker.nodeId, ...selfEndpoint(broker, conn), errorCode: ErrorCode.NONE, errorMessage: null };
}

export const findCoordinatorHandler = defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: findCoordinatorApi.apiKey,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 6,
  decodeRequest: decodeFindCoordinatorRequest,
  encodeResponse: encodeFindCoordinatorResponse,
  handle(ctx, req) {
    if (ctx.apiVersion >= 4) {
      const coordinators = req.coordinatorKeys.map((key) => lookup(ctx, key, req.keyType));
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators };
    }
    const c = lookup(ctx, req.key, req.keyType);
    return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port, coordinators: [] };
  },
});
