// Thread: main. What the three ACL APIs share: the authorizer they manage (SECURITY_DISABLED
// without one, as Kafka answers "No Authorizer is configured") and bindings grouped by
// resource for the DescribeAcls answer.
import type { Authorizer } from '../../auth/authorizer.js';
import type { AclStore } from '../../auth/acl-store.js';
import type { AclBinding } from '../../auth/acl-model.js';
import type { RequestContext } from './types.js';

export const NO_AUTHORIZER_MESSAGE = 'No Authorizer is configured (authorizer.class.name)';

/** The authorizer and its store, or undefined when ACLs are off. */
export function aclStoreOf(ctx: RequestContext): { authorizer: Authorizer; store: AclStore } | undefined {
  const authorizer = ctx.broker.authorizer;
  if (authorizer === undefined || !authorizer.enabled || authorizer.store === undefined) return undefined;
  return { authorizer, store: authorizer.store };
}

export interface ResourceAcls {
  resourceType: number;
  resourceName: string;
  patternType: number;
  acls: Array<{ principal: string; host: string; operation: number; permissionType: number }>;
}

/** Bindings grouped by (type, name, pattern), in a stable order. */
export function groupByResource(bindings: readonly AclBinding[]): ResourceAcls[] {
  const out = new Map<string, ResourceAcls>();
  for (const b of bindings) {
    const key = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
    let r = out.get(key);
    if (r === undefined) out.set(key, (r = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] }));
    r.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType });
  }
  return [...out.values()].sort((a, b) => a.resourceType - b.resourceType || a.resourceName.localeCompare(b.resourceName) || a.patternType - b.patternType);
}
