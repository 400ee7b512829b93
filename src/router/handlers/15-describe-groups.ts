// Thread: main. DescribeGroups (key 15), versions 0–5.
// State, protocol type, selected protocol and members of each group. As in Kafka, member
// metadata and assignments (and the protocol) are only reported for Stable groups; an unknown
// group is reported as Dead with no error. v3+ authorized operations when asked (no ACLs:
// every group operation is allowed); v4+ group.instance.id per member.
import {
  decodeDescribeGroupsRequest,
  describeGroupsApi,
  encodeDescribeGroupsResponse,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
} from '../../protocol/generated/messages/15-describe-groups.js';
import { AUTHORIZED_OPERATIONS_OMITTED, GROUP_AUTHORIZED_OPERATIONS } from './group-common.js';
import { defineHandler } from './types.js';

export const describeGroupsHandler = defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  apiKey: describeGroupsApi.apiKey,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeDescribeGroupsRequest,
  encodeResponse: encodeDescribeGroupsResponse,
  handle(ctx, req) {
    const authorizedOperations = ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? GROUP_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((groupId) => {
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
