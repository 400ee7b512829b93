// Thread: main. JoinGroup (key 11), versions 0–9.
// Classic group protocol (src/groups/coordinator.ts): the response waits until the join phase
// completes (every member rejoined, or the rebalance timeout). v0 has no rebalance timeout:
// the session timeout serves. v4+ without group.instance.id: an unknown member first gets
// MEMBER_ID_REQUIRED with its member id. v5+ static membership (group.instance.id, fencing
// with FENCED_INSTANCE_ID). v7+ returns the protocol type; protocolName is nullable from v7.
// v8 carries a reason (logged); v9 skipAssignment is always false.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): READ on the group, else GROUP_AUTHORIZATION_FAILED.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeJoinGroupRequest,
  encodeJoinGroupResponse,
  joinGroupApi,
  type JoinGroupRequest,
  type JoinGroupResponse,
} from '../../protocol/generated/messages/11-join-group.js';
import { clientHost } from './group-common.js';
import { AclOperation, authorizeGroup } from './authz.js';
import { defineHandler } from './types.js';

export const joinGroupHandler = defineHandler<JoinGroupRequest, JoinGroupResponse>({
  apiKey: joinGroupApi.apiKey,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 9,
  decodeRequest: decodeJoinGroupRequest,
  encodeResponse: encodeJoinGroupResponse,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    if (!authorizeGroup(ctx, AclOperation.READ, req.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null, protocolName: v >= 7 ? null : '', leader: '', skipAssignment: false, memberId: req.memberId, members: [] };
    }
    const result = await ctx.broker.groups.join({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      clientId: ctx.clientId ?? '',
      clientHost: clientHost(ctx.conn),
      requireKnownMemberId: v >= 4,
      reason: req.reason,
    });
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: result.protocolType,
      protocolName: v >= 7 ? result.protocolName : (result.protocolName ?? ''),
      leader: result.leaderId,
      skipAssignment: result.skipAssignment,
      memberId: result.errorCode === ErrorCode.NONE || result.errorCode === ErrorCode.MEMBER_ID_REQUIRED ? result.memberId : req.memberId,
      members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
    };
  },
});
