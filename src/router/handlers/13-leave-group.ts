// Thread: main. LeaveGroup (key 13), versions 0–5.
// v0–2: one member id; its error is the top-level error. v3+: a batch of members identified
// by member id and/or group.instance.id (static members leave by instance id), one error per
// member. v5 adds a reason (logged). A member that leaves triggers a rebalance of the rest.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): READ on the group, else GROUP_AUTHORIZATION_FAILED.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeLeaveGroupRequest,
  encodeLeaveGroupResponse,
  leaveGroupApi,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
} from '../../protocol/generated/messages/13-leave-group.js';
import { AclOperation, authorizeGroup } from './authz.js';
import { defineHandler } from './types.js';

export const leaveGroupHandler = defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  apiKey: leaveGroupApi.apiKey,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeLeaveGroupRequest,
  encodeResponse: encodeLeaveGroupResponse,
  handle(ctx, req) {
    const groups = ctx.broker.groups;
    if (!authorizeGroup(ctx, AclOperation.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
    if (ctx.apiVersion < 3) {
      const result = groups.leave(req.groupId, [{ memberId: req.memberId, groupInstanceId: null }]);
      const errorCode = result.errorCode !== ErrorCode.NONE ? result.errorCode : (result.members[0]?.errorCode ?? ErrorCode.NONE);
      return { throttleTimeMs: 0, errorCode, members: [] };
    }
    const result = groups.leave(
      req.groupId,
      req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: m.reason })),
    );
    return { throttleTimeMs: 0, errorCode: result.errorCode, members: result.errorCode === ErrorCode.NONE ? result.members : [] };
  },
});
