// Thread: main. CreateAcls (key 30), versions 0–3.
// Needs ALTER on the cluster (else every creation answers CLUSTER_AUTHORIZATION_FAILED);
// SECURITY_DISABLED without an authorizer. Each creation is checked as Kafka's controller does
// (INVALID_REQUEST: resource type, LITERAL/PREFIXED, operation, ALLOW/DENY, `kafka-cluster` as
// the only cluster name, TYPE:NAME principal); the valid ones are stored together (an ACL that
// exists already is a success) and apply to every broker. A store that cannot be written
// answers UNKNOWN_SERVER_ERROR for them, with the reason; past MAX_ACLS, INVALID_REQUEST.
import { invalidBindingReason, type AclBinding } from '../../auth/acl-model.js';
import { MAX_ACLS } from '../../auth/acl-store.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  createAclsApi,
  decodeCreateAclsRequest,
  encodeCreateAclsResponse,
  type CreateAclsRequest,
  type CreateAclsResponse,
} from '../../protocol/generated/messages/30-create-acls.js';
import { aclStoreOf, NO_AUTHORIZER_MESSAGE } from './acl-common.js';
import { AclOperation, authorizeCluster } from './authz.js';
import { defineHandler } from './types.js';

export const createAclsHandler = defineHandler<CreateAclsRequest, CreateAclsResponse>({
  apiKey: createAclsApi.apiKey,
  name: 'CreateAcls',
  minVersion: 0,
  maxVersion: 3,
  decodeRequest: decodeCreateAclsRequest,
  encodeResponse: encodeCreateAclsResponse,
  async handle(ctx, req) {
    const all = (errorCode: number, errorMessage: string | null): CreateAclsResponse => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) });
    const acls = aclStoreOf(ctx);
    if (acls === undefined) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER_MESSAGE);
    if (!authorizeCluster(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'ALTER on the cluster is needed to create ACLs');
    const results: CreateAclsResponse['results'] = [];
    const valid: Array<{ binding: AclBinding; index: number }> = [];
    for (const c of req.creations) {
      const binding: AclBinding = { resourceType: c.resourceType, resourceName: c.resourceName, patternType: c.resourcePatternType, principal: c.principal, host: c.host, operation: c.operation, permissionType: c.permissionType };
      const reason = invalidBindingReason(binding);
      results.push(reason === undefined ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: reason });
      if (reason === undefined) valid.push({ binding, index: results.length - 1 });
    }
    if (valid.length === 0) return { throttleTimeMs: 0, results };
    const fail = (errorCode: number, errorMessage: string) => {
      for (const v of valid) results[v.index] = { errorCode, errorMessage };
    };
    if (acls.store.bindings().length + valid.length > MAX_ACLS) fail(ErrorCode.INVALID_REQUEST, `at most ${MAX_ACLS} ACLs can be stored`);
    else {
      try {
        await acls.store.add(valid.map((v) => v.binding));
      } catch (err) {
        ctx.broker.logger.warn({ err }, 'CreateAcls: storing ACLs failed');
        fail(ErrorCode.UNKNOWN_SERVER_ERROR, `storing the ACLs failed: ${(err as Error).message}`);
      }
    }
    return { throttleTimeMs: 0, results };
  },
});
