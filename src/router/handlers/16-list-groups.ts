// Thread: main. ListGroups (key 16), versions 0–5.
// Every group this coordinator knows (including offsets-only groups). v4+ states filter
// (case-insensitive; empty = all) and group state in the answer; v5+ types filter: every
// group here is "classic".
// ACLs (authorizer.class.name, src/router/handlers/authz.ts): every group with DESCRIBE on the cluster, else the groups the principal may DESCRIBE.
import {
  decodeListGroupsRequest,
  encodeListGroupsResponse,
  listGroupsApi,
  type ListGroupsRequest,
  type ListGroupsResponse,
} from '../../protocol/generated/messages/16-list-groups.js';
import { AclOperation, CLUSTER_RESOURCE, ResourceType, permits } from './authz.js';
import { defineHandler } from './types.js';

export const listGroupsHandler = defineHandler<ListGroupsRequest, ListGroupsResponse>({
  apiKey: listGroupsApi.apiKey,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeListGroupsRequest,
  encodeResponse: encodeListGroupsResponse,
  handle(ctx, req) {
    const { errorCode, groups } = ctx.broker.groups.listGroups();
    const states = ctx.apiVersion >= 4 ? new Set(req.statesFilter.map((s) => s.toLowerCase())) : new Set<string>();
    const types = ctx.apiVersion >= 5 ? new Set(req.typesFilter.map((s) => s.toLowerCase())) : new Set<string>();
    // ACLs (as Kafka): DESCRIBE on the cluster lists every group, else only the groups the principal may DESCRIBE.
    const everyGroup = permits(ctx, AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_RESOURCE);
    const listed = groups
      .filter((g) => everyGroup || permits(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId))
      .filter((g) => (states.size === 0 || states.has(g.state.toLowerCase())) && (types.size === 0 || types.has('classic')))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: 'classic' }));
    return { throttleTimeMs: 0, errorCode, groups: listed };
  },
});
