// Thread: main. DescribeClientQuotas (key 48), versions 0-1 (1 is flexible).
// Answers the quotas of every stored entity (user, client-id, user + client-id, with `<default>`
// names as null) that matches the filter: exact name, the default, or any name of a type
// (src/quotas/quota-requests.ts); `strict` leaves out entities with other types. A bad filter
// (unknown type, a type twice, ip with user or client-id, bad match) answers INVALID_REQUEST
// with no entries. The store is refreshed first, so a quota just set on another broker shows.
// With the authorizer on it needs DESCRIBE_CONFIGS on the cluster, as in Kafka (else
// CLUSTER_AUTHORIZATION_FAILED with no entries).
import {
  decodeDescribeClientQuotasRequest,
  describeClientQuotasApi,
  encodeDescribeClientQuotasResponse,
  type DescribeClientQuotasRequest,
  type DescribeClientQuotasResponse,
} from '../../protocol/generated/messages/48-describe-client-quotas.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { entityComponents, parseEntityKey, QUOTA_KEYS } from '../../quotas/quota-entity.js';
import { matchesFilter, parseFilter, QuotaRequestError } from '../../quotas/quota-requests.js';
import { AclOperation, authorizeCluster } from './authz.js';
import { defineHandler } from './types.js';

export const describeClientQuotasHandler = defineHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponse>({
  apiKey: describeClientQuotasApi.apiKey,
  name: 'DescribeClientQuotas',
  minVersion: 0,
  maxVersion: 1,
  decodeRequest: decodeDescribeClientQuotasRequest,
  encodeResponse: encodeDescribeClientQuotasResponse,
  async handle(ctx, req) {
    const fail = (errorCode: number, errorMessage: string): DescribeClientQuotasResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, entries: null });
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'DESCRIBE_CONFIGS on the cluster is needed to describe client quotas');
    let filter;
    try {
      filter = parseFilter(req.components, req.strict);
    } catch (err) {
      if (err instanceof QuotaRequestError) return fail(err.errorCode, err.message);
      throw err;
    }
    const quotas = ctx.broker.quotas;
    if (quotas === undefined) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries: [] };
    try {
      await quotas.store.refresh();
    } catch (err) {
      return fail(ErrorCode.UNKNOWN_SERVER_ERROR, `client quota store unavailable: ${(err as Error).message}`);
    }
    const entries: NonNullable<DescribeClientQuotasResponse['entries']> = [];
    for (const [key, values] of quotas.store.entries()) {
      const entity = parseEntityKey(key);
      if (entity === undefined || !matchesFilter(entity, filter)) continue;
      const list = QUOTA_KEYS.filter((k) => values[k] !== undefined).map((k) => ({ key: k, value: values[k]! }));
      if (list.length > 0) entries.push({ entity: entityComponents(entity), values: list });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries };
  },
});
