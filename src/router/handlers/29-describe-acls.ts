// Thread: main. DescribeAcls (key 29), versions 0–3.
// Needs DESCRIBE on the cluster (else CLUSTER_AUTHORIZATION_FAILED); SECURITY_DISABLED without an
// authorizer; INVALID_REQUEST for a filter asking for UNKNOWN. The ACLs matching the filter
// (Kafka's semantics: ANY, MATCH for "applies to this name", LITERAL/PREFIXED exact) grouped by
// resource. v0 filters carry no pattern type (LITERAL, as in Kafka).
import { filterMatches, invalidFilterReason } from '../../auth/acl-model.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeDescribeAclsRequest,
  describeAclsApi,
  encodeDescribeAclsResponse,
  type DescribeAclsRequest,
  type DescribeAclsResponse,
} from '../../protocol/generated/messages/29-describe-acls.js';
import { aclStoreOf, groupByResource, NO_AUTHORIZER_MESSAGE } from './acl-common.js';
import { AclOperation, authorizeCluster } from './authz.js';
import { defineHandler } from './types.js';

const failed = (errorCode: number, errorMessage: string): DescribeAclsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });

export const describeAclsHandler = defineHandler<DescribeAclsRequest, DescribeAclsResponse>({
  apiKey: describeAclsApi.apiKey,
  name: 'DescribeAcls',
  minVersion: 0,
  maxVersion: 3,
  decodeRequest: decodeDescribeAclsRequest,
  encodeResponse: encodeDescribeAclsResponse,
  handle(ctx, req) {
    const acls = aclStoreOf(ctx);
    if (acls === undefined) return failed(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER_MESSAGE);
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'DESCRIBE on the cluster is needed to list ACLs');
    const reason = invalidFilterReason(req);
    if (reason !== undefined) return failed(ErrorCode.INVALID_REQUEST, reason);
    const matching = acls.store.bindings().filter((b) => filterMatches(req, b));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: groupByResource(matching) };
  },
});
