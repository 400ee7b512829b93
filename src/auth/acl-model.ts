// Thread: either (pure). Kafka's ACL model as the wire carries it: resource types, pattern
// types, operations and permission types with Kafka's numeric codes (AclOperation,
// ResourceType, PatternType, AclPermissionType in Kafka's clients), one ACL binding, the
// filters DescribeAcls/DeleteAcls use (ANY, MATCH), and the checks CreateAcls applies.
export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export const PermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

export type ResourceTypeCode = (typeof ResourceType)[keyof typeof ResourceType];
export type OperationCode = (typeof AclOperation)[keyof typeof AclOperation];

/** The one name of the cluster resource (Kafka's `kafka-cluster`). */
export const CLUSTER_RESOURCE = 'kafka-cluster';
/** The literal name (and principal, host) matching every one. */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

/** One ACL: who (principal, host) may or may not (permission) do what (operation) to which resources. */
export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** A DescribeAcls / DeleteAcls filter: null strings and ANY codes match everything. */
export interface AclFilter {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

const names = <T extends Record<string, number>>(table: T) => new Map(Object.entries(table).map(([k, v]) => [v, k]));
const resourceTypeNames = names(ResourceType);
const operationNames = names(AclOperation);
const patternTypeNames = names(PatternType);
const permissionNames = names(PermissionType);

export const resourceTypeName = (code: number): string => resourceTypeNames.get(code) ?? `UNKNOWN(${code})`;
export const operationName = (code: number): string => operationNames.get(code) ?? `UNKNOWN(${code})`;
export const patternTypeName = (code: number): string => patternTypeNames.get(code) ?? `UNKNOWN(${code})`;
export const permissionName = (code: number): string => permissionNames.get(code) ?? `UNKNOWN(${code})`;

/** Stable identity of a binding (storage key, de-duplication). */
export function bindingKey(b: AclBinding): string {
  return JSON.stringify([b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permissionType]);
}

export function bindingFromKey(key: string): AclBinding | undefined {
  let v: unknown;
  try {
    v = JSON.parse(key);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length !== 7) return undefined;
  const [resourceType, resourceName, patternType, principal, host, operation, permissionType] = v as unknown[];
  if (typeof resourceName !== 'string' || typeof principal !== 'string' || typeof host !== 'string') return undefined;
  if (![resourceType, patternType, operation, permissionType].every((n) => typeof n === 'number')) return undefined;
  const b = { resourceType, resourceName, patternType, principal, host, operation, permissionType } as AclBinding;
  return invalidBindingReason(b) === undefined ? b : undefined;
}

const MAX_NAME_CHARS = 1_000;

/** Why CreateAcls refuses a binding (Kafka's INVALID_REQUEST reasons, AclControlManager.validateNewAcl), or undefined when it is storable. */
export function invalidBindingReason(b: AclBinding): string | undefined {
  if (b.resourceType <= ResourceType.ANY || b.resourceType > ResourceType.USER) return `invalid resource type ${resourceTypeName(b.resourceType)}`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `invalid pattern type ${patternTypeName(b.patternType)} (LITERAL or PREFIXED)`;
  if (b.operation <= AclOperation.ANY || b.operation > AclOperation.DESCRIBE_TOKENS) return `invalid operation ${operationName(b.operation)}`;
  if (b.permissionType !== PermissionType.ALLOW && b.permissionType !== PermissionType.DENY) return `invalid permission type ${permissionName(b.permissionType)} (ALLOW or DENY)`;
  if (b.resourceName === '' || b.resourceName.length > MAX_NAME_CHARS) return 'the resource name must be 1 to 1000 characters';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_RESOURCE) return `the only valid name for the CLUSTER resource is ${CLUSTER_RESOURCE}`;
  if (!/^[^:]+:.+$/.test(b.principal) || b.principal.length > MAX_NAME_CHARS) return `principal ${JSON.stringify(b.principal)} is not TYPE:NAME (e.g. User:alice)`;
  if (b.host === '' || b.host.length > 255) return 'the host must be * or an address';
  return undefined;
}

/** Why a filter cannot be served (Kafka answers INVALID_REQUEST), or undefined. */
export function invalidFilterReason(f: AclFilter): string | undefined {
  if (f.resourceTypeFilter === ResourceType.UNKNOWN || f.patternTypeFilter === PatternType.UNKNOWN || f.operation === AclOperation.UNKNOWN || f.permissionType === PermissionType.UNKNOWN) {
    return 'a filter cannot ask for UNKNOWN';
  }
  if (f.patternTypeFilter < PatternType.ANY || f.patternTypeFilter > PatternType.PREFIXED) return `unknown pattern type ${f.patternTypeFilter}`;
  return undefined;
}

/**
 * Kafka's filter semantics: ANY matches every code, a null string every value; pattern MATCH
 * selects the bindings that would apply to the named resource (literal equal, literal `*`,
 * prefixed and a prefix of it); LITERAL / PREFIXED / ANY with a name compare it exactly.
 */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceTypeFilter !== ResourceType.ANY && f.resourceTypeFilter !== b.resourceType) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  if (f.permissionType !== PermissionType.ANY && f.permissionType !== b.permissionType) return false;
  if (f.principalFilter !== null && f.principalFilter !== b.principal) return false;
  if (f.hostFilter !== null && f.hostFilter !== b.host) return false;
  if (f.patternTypeFilter === PatternType.MATCH) {
    if (f.resourceNameFilter === null) return true;
    if (b.patternType === PatternType.LITERAL) return b.resourceName === f.resourceNameFilter || b.resourceName === WILDCARD;
    return f.resourceNameFilter.startsWith(b.resourceName);
  }
  if (f.patternTypeFilter !== PatternType.ANY && f.patternTypeFilter !== b.patternType) return false;
  return f.resourceNameFilter === null || f.resourceNameFilter === b.resourceName;
}
