// Thread: main. SyncGroup (key 14), versions 0–5.
// The leader sends every member's assignment; the coordinator stores the group (offset store)
// and hands each member its own. Followers' requests wait for the leader's. In a Stable group
// a member gets its current assignment at once (static member rejoin). v3+ group.instance.id;
// v5 protocolType/protocolName are checked (INCONSISTENT_GROUP_PROTOCOL) and echoed.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): READ on the group, else GROUP_AUTHORIZATION_FAILED.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeSyncGroupRequest,
  encodeSyncGroupResponse,
  syncGroupApi,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from '../../protocol/generated/messages/14-sync-group.js';
import { AclOperation, authorizeGroup } from './authz.js';
import { defineHandler } from './types.js';

export const syncGroupHandler = defineHandler<SyncGroupRequest, SyncGroupResponse>({
  apiKey: syncGroupApi.apiKey,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeSyncGroupRequest,
  encodeResponse: encodeSyncGroupResponse,
  async handle(ctx, req) {
    if (!authorizeGroup(ctx, AclOperation.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    const result = await ctx.broker.groups.sync({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: ctx.apiVersion >= 5 ? req.protocolType : null,
      protocolName: ctx.apiVersion >= 5 ? req.protocolName : null,
      assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
    });
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      protocolType: result.protocolType,
      protocolName: result.protocolName,
      assignment: result.assignment,
    };
  },
});
