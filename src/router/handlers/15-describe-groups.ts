// Thread: main. DescribeGroups (key 15), versions 0–5.
// State, protocol type, selected protocol and members of each group. As in Kafka, member
// metadata and assignments (and the protocol) are only reported for Stable groups; an unknown
// group is reported as Dead with no error. v3+ authorized operations when asked (no ACLs:
// every group operation is allowed); v4+ group.instance.id per member.
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): DESCRIBE on each group, else GROUP_AUTHORIZATION_FAILED; v3+ authorized-operation bits.
import {
  decodeDescribeGroupsRequest,
  describeGroupsApi,
  encodeDescribeGroupsResponse,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
} from '../../protocol/generated/messages/15-describe-groups.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { AUTHORIZED_OPERATIONS_OMITTED, GROUP_AUTHORIZED_OPERATIONS } from './group-common.js';
import { AclOperation, ResourceType, authorizeGroup, authorizedOperations as authorizedOperations_, authorizing } from './authz.js';
import { defineHandler } from './types.js';

const GROUP_OPERATIONS = [AclOperation.READ, AclOperation.DELETE, AclOperation.DESCRIBE];

export const describeGroupsHandler = defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  apiKey: describeGroupsApi.apiKey,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeDescribeGroupsRequest,
  encodeResponse: encodeDescribeGroupsResponse,
  handle(ctx, req) {
    const withOperations = ctx.apiVersion >= 3 && req.includeAuthorizedOperations;
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((groupId) => {
        // ACLs (as Kafka): DESCRIBE on each group, else GROUP_AUTHORIZATION_FAILED and nothing about it.
        if (!authorizeGroup(ctx, AclOperation.DESCRIBE, groupId)) {
          return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
        }
        const authorizedOperations = !withOperations
          ? AUTHORIZED_OPERATIONS_OMITTED
          : authorizing(ctx)
            ? authorizedOperations_(ctx, ResourceType.GROUP, groupId, GROUP_OPERATIONS)
            : GROUP_AUTHORIZED_OPERATIONS;
        const s = ctx.broker.groups.describeGroup(groupId);
        return {
          errorCode: s.errorCode,
          groupId,
          groupState: s.state,
          protocolType: s.protocolType,
          protocolData: s.protocolName,
          members: s.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
          authorizedOperations,
        };
      }),
    };
  },
});
