// Thread: main. Heartbeat (key 12), versions 0–4.
// Keeps a member's session alive. REBALANCE_IN_PROGRESS while the group prepares a rebalance
// (the member must rejoin); UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID (v3+
// static members) as Kafka; COORDINATOR_NOT_AVAILABLE while the offset store is unreachable.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): READ on the group, else GROUP_AUTHORIZATION_FAILED.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeHeartbeatRequest,
  encodeHeartbeatResponse,
  heartbeatApi,
  type HeartbeatRequest,
  type HeartbeatResponse,
} from '../../protocol/generated/messages/12-heartbeat.js';
import { AclOperation, authorizeGroup } from './authz.js';
import { defineHandler } from './types.js';

export const heartbeatHandler = defineHandler<HeartbeatRequest, HeartbeatResponse>({
  apiKey: heartbeatApi.apiKey,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  decodeRequest: decodeHeartbeatRequest,
  encodeResponse: encodeHeartbeatResponse,
  handle(ctx, req) {
    if (!authorizeGroup(ctx, AclOperation.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const errorCode = ctx.broker.groups.heartbeat(req.groupId, req.memberId, req.groupInstanceId, req.generationId);
    return { throttleTimeMs: 0, errorCode };
  },
});
