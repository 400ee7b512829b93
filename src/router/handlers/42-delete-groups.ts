// Thread: main. DeleteGroups (key 42), versions 0–2.
// Deletes empty groups with their committed offsets. GROUP_ID_NOT_FOUND for unknown groups,
// NON_EMPTY_GROUP while a group has members.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): DELETE on each group, else GROUP_AUTHORIZATION_FAILED.
import {
  decodeDeleteGroupsRequest,
  deleteGroupsApi,
  encodeDeleteGroupsResponse,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
} from '../../protocol/generated/messages/42-delete-groups.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { AclOperation, authorizeGroup } from './authz.js';
import { defineHandler } from './types.js';

export const deleteGroupsHandler = defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: deleteGroupsApi.apiKey,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  decodeRequest: decodeDeleteGroupsRequest,
  encodeResponse: encodeDeleteGroupsResponse,
  async handle(ctx, req) {
    const results: DeleteGroupsResponse['results'] = [];
    for (const groupId of req.groupsNames) {
      // ACLs (as Kafka): DELETE on each group.
      if (!authorizeGroup(ctx, AclOperation.DELETE, groupId)) results.push({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
      else results.push({ groupId, errorCode: await ctx.broker.groups.deleteGroup(groupId) });
    }
    return { throttleTimeMs: 0, results };
  },
});
