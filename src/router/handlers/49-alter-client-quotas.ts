// Thread: main. AlterClientQuotas (key 49), versions 0-1 (1 is flexible).
// Sets and removes producer_byte_rate, consumer_byte_rate and request_percentage of user,
// client-id and user + client-id entities (a null name is `<default>`). Each entry is checked on
// its own (src/quotas/quota-requests.ts) and answers INVALID_REQUEST when bad (unknown type or
// key, a type or key twice, ip entities, empty names, non-positive or fractional byte rates);
// the valid ones are written together (one Redis transaction, or one local-file save) unless
// validateOnly. Removing a quota that is not set is not an error, as with Kafka. At most
// MAX_QUOTA_ENTITIES entities keep quotas (POLICY_VIOLATION past it). With the authorizer on it
// needs ALTER_CONFIGS on the cluster, as in Kafka (else every entry answers
// CLUSTER_AUTHORIZATION_FAILED and nothing is written).
import {
  alterClientQuotasApi,
  decodeAlterClientQuotasRequest,
  encodeAlterClientQuotasResponse,
  type AlterClientQuotasRequest,
  type AlterClientQuotasResponse,
} from '../../protocol/generated/messages/49-alter-client-quotas.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { entityKey } from '../../quotas/quota-entity.js';
import { MAX_QUOTA_ENTITIES, parseAlterEntity, parseAlterOps, QuotaRequestError } from '../../quotas/quota-requests.js';
import { applyChanges, type QuotaChange } from '../../quotas/quota-store.js';
import { AclOperation, authorizeCluster } from './authz.js';
import { defineHandler } from './types.js';

type Entry = AlterClientQuotasResponse['entries'][number];

export const alterClientQuotasHandler = defineHandler<AlterClientQuotasRequest, AlterClientQuotasResponse>({
  apiKey: alterClientQuotasApi.apiKey,
  name: 'AlterClientQuotas',
  minVersion: 0,
  maxVersion: 1,
  decodeRequest: decodeAlterClientQuotasRequest,
  encodeResponse: encodeAlterClientQuotasResponse,
  async handle(ctx, req) {
    if (!authorizeCluster(ctx, AclOperation.ALTER_CONFIGS)) {
      return {
        throttleTimeMs: 0,
        entries: req.entries.map((e) => ({
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: 'ALTER_CONFIGS on the cluster is needed to alter client quotas',
          entity: e.entity.map((c) => ({ entityType: c.entityType, entityName: c.entityName })),
        })),
      };
    }
    const results: Entry[] = [];
    const changes: Array<{ change: QuotaChange; result: Entry }> = [];
    const seen = new Set<string>();
    for (const e of req.entries) {
      const result: Entry = { errorCode: ErrorCode.NONE, errorMessage: null, entity: e.entity.map((c) => ({ entityType: c.entityType, entityName: c.entityName })) };
      results.push(result);
      try {
        const entity = parseAlterEntity(e.entity);
        const ops = parseAlterOps(e.ops);
        const key = entityKey(entity);
        if (seen.has(key)) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'The same entity appears more than once in the request');
        seen.add(key);
        changes.push({ change: { entity: key, set: ops.set, remove: ops.remove }, result });
      } catch (err) {
        if (!(err instanceof QuotaRequestError)) throw err;
        result.errorCode = err.errorCode;
        result.errorMessage = err.message;
      }
    }
    const quotas = ctx.broker.quotas;
    const failAll = (errorCode: number, message: string) => {
      for (const c of changes) {
        c.result.errorCode = errorCode;
        c.result.errorMessage = message;
      }
    };
    if (quotas === undefined) failAll(ErrorCode.UNKNOWN_SERVER_ERROR, 'client quotas are not available on this broker');
    else if (changes.length > 0) {
      const next = applyChanges(quotas.store.entries(), changes.map((c) => c.change));
      if (next.size > MAX_QUOTA_ENTITIES && next.size > quotas.store.entries().size) {
        failAll(ErrorCode.POLICY_VIOLATION, `at most ${MAX_QUOTA_ENTITIES} entities may have quotas`);
      } else if (!req.validateOnly) {
        try {
          await quotas.store.alter(changes.map((c) => c.change));
          ctx.broker.logger.info({ entities: changes.map((c) => c.change.entity), principal: ctx.conn.principal }, 'client quotas altered');
        } catch (err) {
          failAll(ErrorCode.UNKNOWN_SERVER_ERROR, `client quota store unavailable: ${(err as Error).message}`);
        }
      }
    }
    return { throttleTimeMs: 0, entries: results };
  },
});
