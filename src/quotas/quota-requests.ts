// Thread: main. The rules of DescribeClientQuotas filters and AlterClientQuotas entries, as
// Kafka's controller applies them (ClientQuotaControlManager / ClientQuotasImage): filters
// match exactly (a name), the default (null) or any specified name of a type, `strict` wants
// the entity to have no other types; an alteration names each type once, user and client-id
// only (`ip` quotas are connection-creation rates, not served here), known keys only, integral
// positive byte rates and a positive request percentage. Failures are Kafka errors as data.
import { ErrorCode } from '../protocol/generated/error-codes.js';
import { CLIENT_ID, IP, isQuotaKey, USER, type QuotaEntity, type QuotaKey } from './quota-entity.js';

export const MATCH_EXACT = 0;
export const MATCH_DEFAULT = 1;
export const MATCH_SPECIFIED = 2;

/** Most entities with quotas kept at once (bounded store, bounded Describe answers). */
export const MAX_QUOTA_ENTITIES = 10_000;
/** Longest user or client id name accepted. */
export const MAX_ENTITY_NAME_CHARS = 1_000;

export class QuotaRequestError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface QuotaFilter {
  /** type → required name (null: the default) */
  exact: Map<string, string | null>;
  /** types that must be present with any name */
  specified: Set<string>;
  strict: boolean;
}

export function parseFilter(components: Array<{ entityType: string; matchType: number; match: string | null }>, strict: boolean): QuotaFilter {
  const filter: QuotaFilter = { exact: new Map(), specified: new Set(), strict };
  const seen = new Set<string>();
  for (const c of components) {
    if (c.entityType === '') throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Unexpected empty filter component entity type');
    if (c.entityType !== USER && c.entityType !== CLIENT_ID && c.entityType !== IP) {
      throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Invalid entity type ${c.entityType}`);
    }
    if (seen.has(c.entityType)) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Entity type ${c.entityType} cannot appear more than once in the filter.`);
    seen.add(c.entityType);
    if (c.matchType === MATCH_EXACT) {
      if (c.match === null) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Filter component of type ${c.entityType} with exact match needs a name`);
      filter.exact.set(c.entityType, c.match);
    } else if (c.matchType === MATCH_DEFAULT) {
      if (c.match !== null) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Filter component of type ${c.entityType} matching the default has a name`);
      filter.exact.set(c.entityType, null);
    } else if (c.matchType === MATCH_SPECIFIED) {
      if (c.match !== null) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Filter component of type ${c.entityType} matching any name has a name`);
      filter.specified.add(c.entityType);
    } else throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Unknown match type ${c.matchType}`);
  }
  if (seen.has(IP) && (seen.has(USER) || seen.has(CLIENT_ID))) {
    throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Invalid entity filter component combination, IP filter component should not be used with user or clientId filter component.');
  }
  return filter;
}

export function matchesFilter(e: QuotaEntity, f: QuotaFilter): boolean {
  const types = new Map<string, string | null>();
  if (e.user !== undefined) types.set(USER, e.user);
  if (e.clientId !== undefined) types.set(CLIENT_ID, e.clientId);
  if (f.strict && types.size !== f.exact.size + f.specified.size) return false;
  for (const [type, name] of f.exact) if (!types.has(type) || types.get(type) !== name) return false;
  for (const type of f.specified) if (!types.has(type)) return false;
  return true;
}

export function parseAlterEntity(components: Array<{ entityType: string; entityName: string | null }>): QuotaEntity {
  if (components.length === 0) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Invalid empty client quota entity');
  const e: QuotaEntity = {};
  for (const c of components) {
    if (c.entityName !== null && (c.entityName === '' || c.entityName.length > MAX_ENTITY_NAME_CHARS)) {
      throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Invalid ${c.entityType} name: empty or longer than ${MAX_ENTITY_NAME_CHARS} characters`);
    }
    if (c.entityType === USER) {
      if (e.user !== undefined) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Duplicate user entity type');
      e.user = c.entityName;
    } else if (c.entityType === CLIENT_ID) {
      if (e.clientId !== undefined) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'Duplicate client-id entity type');
      e.clientId = c.entityName;
    } else if (c.entityType === IP) {
      throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, 'ip quotas (connection_creation_rate) are not supported by this broker');
    } else throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Unhandled client quota entity type: ${c.entityType}`);
  }
  return e;
}

export interface QuotaOps {
  set: Array<[QuotaKey, number]>;
  remove: QuotaKey[];
}

export function parseAlterOps(ops: Array<{ key: string; value: number; remove: boolean }>): QuotaOps {
  const out: QuotaOps = { set: [], remove: [] };
  const seen = new Set<string>();
  for (const op of ops) {
    if (!isQuotaKey(op.key)) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Invalid configuration key ${op.key}`);
    if (seen.has(op.key)) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Duplicate quota key ${op.key}`);
    seen.add(op.key);
    if (op.remove) {
      out.remove.push(op.key);
      continue;
    }
    if (!Number.isFinite(op.value) || op.value <= 0) throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Value ${op.value} is not valid for ${op.key}: must be positive`);
    if (op.key !== 'request_percentage' && (!Number.isInteger(op.value) || op.value > Number.MAX_SAFE_INTEGER)) {
      throw new QuotaRequestError(ErrorCode.INVALID_REQUEST, `Integer value ${op.value} is not valid for config ${op.key}`);
    }
    out.set.push([op.key, op.value]);
  }
  return out;
}
