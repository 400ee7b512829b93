// Thread: main. What handlers ask before they act (Kafka's AuthHelper): may the request's
// principal do an operation to a resource? Every refusal is counted per API
// (strata_authorization_denials_total). Without an authorizer every check passes.
import { AclOperation, CLUSTER_RESOURCE, ResourceType } from '../../auth/acl-model.js';
import { countAuthorizationDenial } from '../../http/metrics.js';
import type { RequestContext } from './types.js';


/** True when the authorizer is on (handlers skip per-resource work otherwise). */
export function authorizing(ctx: RequestContext): boolean {
  return ctx.broker.authorizer?.enabled === true;
}

export function authorize(ctx: RequestContext, operation: number, resourceType: number, name: string): boolean {
  const authorizer = ctx.broker.authorizer;
  if (authorizer === undefined || !authorizer.enabled) return true;
  const ok = authorizer.authorize(ctx.conn, operation, resourceType, name);
  if (!ok) countAuthorizationDenial(ctx.apiName);
  return ok;
}

export const authorizeTopic = (ctx: RequestContext, operation: number, topic: string) => authorize(ctx, operation, ResourceType.TOPIC, topic);
export const authorizeGroup = (ctx: RequestContext, operation: number, group: string) => authorize(ctx, operation, ResourceType.GROUP, group);
export const authorizeCluster = (ctx: RequestContext, operation: number) => authorize(ctx, operation, ResourceType.CLUSTER, CLUSTER_RESOURCE);

/** Kafka's authorizeByResourceType: `operation` allowed on at least one resource of the type. */
export function authorizeAny(ctx: RequestContext, operation: number, resourceType: number): boolean {
  const authorizer = ctx.broker.authorizer;
  if (authorizer === undefined || !authorizer.enabled) return true;
  const ok = authorizer.authorizeAny(ctx.conn, operation, resourceType);
  if (!ok) countAuthorizationDenial(ctx.apiName);
  return ok;
}

/** Checks `operation` on each distinct name once; returns the allowed ones. */
export function allowedNames(ctx: RequestContext, operation: number, resourceType: number, names: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (authorize(ctx, operation, resourceType, name)) out.add(name);
  }
  return out;
}

export { AclOperation, ResourceType, CLUSTER_RESOURCE };

/** A per-request memo of one operation on topics (a request names a topic once per partition). */
export function topicChecker(ctx: RequestContext, operation: number): (topic: string) => boolean {
  if (!authorizing(ctx)) return () => true;
  const memo = new Map<string, boolean>();
  return (topic) => {
    let ok = memo.get(topic);
    if (ok === undefined) memo.set(topic, (ok = authorize(ctx, operation, ResourceType.TOPIC, topic)));
    return ok;
  };
}

/** A check that is not a refusal when false (a fallback follows, or an authorized-operations bit): not counted. */
export function permits(ctx: RequestContext, operation: number, resourceType: number, name: string): boolean {
  const authorizer = ctx.broker.authorizer;
  return authorizer === undefined || !authorizer.enabled || authorizer.authorize(ctx.conn, operation, resourceType, name);
}

/** Kafka's authorized-operations bit field (KIP-430): bit N set when operation N is allowed. */
export function authorizedOperations(ctx: RequestContext, resourceType: number, name: string, operations: readonly number[]): number {
  let bits = 0;
  for (const op of operations) if (permits(ctx, op, resourceType, name)) bits |= 1 << op;
  return bits;
}
