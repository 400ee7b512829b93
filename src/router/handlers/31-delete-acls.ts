// Thread: main. DeleteAcls (key 31), versions 0–3.
// Needs ALTER on the cluster (else every filter answers CLUSTER_AUTHORIZATION_FAILED);
// SECURITY_DISABLED without an authorizer. Each filter (Kafka's semantics, as DescribeAcls)
// removes the ACLs it matches and lists them; an invalid filter answers INVALID_REQUEST. All
// removals are stored together; a store that cannot be written answers UNKNOWN_SERVER_ERROR.
import { bindingKey, filterMatches, invalidFilterReason, type AclBinding } from '../../auth/acl-model.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeDeleteAclsRequest,
  deleteAclsApi,
  encodeDeleteAclsResponse,
  type DeleteAclsRequest,
  type DeleteAclsResponse,
} from '../../protocol/generated/messages/31-delete-acls.js';
import { aclStoreOf, NO_AUTHORIZER_MESSAGE } from './acl-common.js';
import { AclOperation, authorizeCluster } from './authz.js';
import { defineHandler } from './types.js';

export const deleteAclsHandler = defineHandler<DeleteAclsRequest, DeleteAclsResponse>({
  apiKey: deleteAclsApi.apiKey,
  name: 'DeleteAcls',
  minVersion: 0,
  maxVersion: 3,
  decodeRequest: decodeDeleteAclsRequest,
  encodeResponse: encodeDeleteAclsResponse,
  async handle(ctx, req) {
    const all = (errorCode: number, errorMessage: string): DeleteAclsResponse => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
    const acls = aclStoreOf(ctx);
    if (acls === undefined) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER_MESSAGE);
    if (!authorizeCluster(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'ALTER on the cluster is needed to delete ACLs');
    const current = acls.store.bindings();
    const removed = new Map<string, AclBinding>();
    const filterResults: DeleteAclsResponse['filterResults'] = req.filters.map((f) => {
      const reason = invalidFilterReason(f);
      if (reason !== undefined) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: reason, matchingAcls: [] };
      const matching = current.filter((b) => filterMatches(f, b));
      for (const b of matching) removed.set(bindingKey(b), b);
      return { errorCode: ErrorCode.NONE, errorMessage: null, matchingAcls: matching.map((b) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...b })) };
    });
    try {
      await acls.store.remove([...removed.values()]);
    } catch (err) {
      ctx.broker.logger.warn({ err }, 'DeleteAcls: removing ACLs failed');
      return all(ErrorCode.UNKNOWN_SERVER_ERROR, `removing the ACLs failed: ${(err as Error).message}`);
    }
    return { throttleTimeMs: 0, filterResults };
  },
});
