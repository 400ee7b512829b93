// Thread: main. The ACL matcher, rebuilt whenever the ACLs change and read on every request:
// per resource type, literal bindings by exact name (the wildcard `*` is one more key) and
// prefixed bindings by prefix, with the distinct prefix lengths kept sorted, so a check costs
// one map lookup per literal key and per prefix length — not a scan of every ACL. Decisions
// follow Kafka's StandardAuthorizer: a matching DENY (same operation or ALL) wins over any
// ALLOW; an ALLOW matches the operation, ALL, or an operation implying it (READ, WRITE, DELETE
// and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS); principals match exactly or
// through `User:*`, hosts exactly or through `*`; a resource without any ACL (of anyone) is
// NO_ACL, which the authorizer turns into allow.everyone.if.no.acl.found.
import { AclOperation, PatternType, PermissionType, WILDCARD, WILDCARD_PRINCIPAL, type AclBinding } from './acl-model.js';

export type AclDecision = 'ALLOWED' | 'DENIED' | 'NO_ACL';

interface TypeIndex {
  literal: Map<string, AclBinding[]>;
  prefixed: Map<string, AclBinding[]>;
  /** Distinct lengths of the prefixes, ascending. */
  prefixLengths: number[];
}

/** Operations whose ALLOW also allows `op` (Kafka's implied operations). */
function allowImplies(aclOp: number, op: number): boolean {
  if (aclOp === op || aclOp === AclOperation.ALL) return true;
  if (op === AclOperation.DESCRIBE) return aclOp === AclOperation.READ || aclOp === AclOperation.WRITE || aclOp === AclOperation.DELETE || aclOp === AclOperation.ALTER;
  if (op === AclOperation.DESCRIBE_CONFIGS) return aclOp === AclOperation.ALTER_CONFIGS;
  return false;
}

const principalMatches = (acl: AclBinding, principal: string) => acl.principal === principal || acl.principal === WILDCARD_PRINCIPAL;
const hostMatches = (acl: AclBinding, host: string) => acl.host === WILDCARD || acl.host === host;

export class AclIndex {
  private readonly byType = new Map<number, TypeIndex>();
  readonly size: number;

  constructor(readonly bindings: readonly AclBinding[]) {
    for (const b of bindings) {
      let t = this.byType.get(b.resourceType);
      if (t === undefined) this.byType.set(b.resourceType, (t = { literal: new Map(), prefixed: new Map(), prefixLengths: [] }));
      const map = b.patternType === PatternType.PREFIXED ? t.prefixed : t.literal;
      const list = map.get(b.resourceName);
      if (list === undefined) map.set(b.resourceName, [b]);
      else list.push(b);
    }
    for (const t of this.byType.values()) t.prefixLengths = [...new Set([...t.prefixed.keys()].map((p) => p.length))].sort((a, b) => a - b);
    this.size = bindings.length;
  }

  /** Calls `visit` with every list of bindings that applies to the resource; stops when it returns true. */
  private forEachMatching(resourceType: number, name: string, visit: (acls: AclBinding[]) => boolean): boolean {
    const t = this.byType.get(resourceType);
    if (t === undefined) return false;
    const exact = t.literal.get(name);
    if (exact !== undefined && visit(exact)) return true;
    if (name !== WILDCARD) {
      const wild = t.literal.get(WILDCARD);
      if (wild !== undefined && visit(wild)) return true;
    }
    for (const len of t.prefixLengths) {
      if (len > name.length) break;
      const acls = t.prefixed.get(len === name.length ? name : name.slice(0, len));
      if (acls !== undefined && visit(acls)) return true;
    }
    return false;
  }

  authorize(principal: string, host: string, op: number, resourceType: number, name: string): AclDecision {
    let found = false;
    let allowed = false;
    const denied = this.forEachMatching(resourceType, name, (acls) => {
      found = true;
      for (const acl of acls) {
        if (!principalMatches(acl, principal) || !hostMatches(acl, host)) continue;
        if (acl.permissionType === PermissionType.DENY) {
          if (acl.operation === op || acl.operation === AclOperation.ALL) return true;
        } else if (allowImplies(acl.operation, op)) allowed = true;
      }
      return false;
    });
    if (denied) return 'DENIED';
    if (allowed) return 'ALLOWED';
    return found ? 'DENIED' : 'NO_ACL';
  }

  /** True when the resource type has no ACL at all (allow.everyone.if.no.acl.found applies to "any resource of it"). */
  emptyType(resourceType: number): boolean {
    return !this.byType.has(resourceType);
  }

  /**
   * Kafka's authorizeByResourceType (KIP-679): may the principal do `op` to at least one
   * resource of the type — an ALLOW (op or ALL) on some literal name or prefix that no DENY of
   * the principal covers (a DENY on `*`, on the same literal name, or on a prefix of it).
   */
  allowedOnAny(principal: string, host: string, op: number, resourceType: number): boolean {
    const t = this.byType.get(resourceType);
    if (t === undefined) return false;
    const applies = (acl: AclBinding, perm: number) => acl.permissionType === perm && (acl.operation === op || acl.operation === AclOperation.ALL) && principalMatches(acl, principal) && hostMatches(acl, host);
    const deniedLiteral = new Set<string>();
    const deniedPrefixes: string[] = [];
    for (const [name, acls] of t.literal) if (acls.some((a) => applies(a, PermissionType.DENY))) deniedLiteral.add(name);
    for (const [prefix, acls] of t.prefixed) if (acls.some((a) => applies(a, PermissionType.DENY))) deniedPrefixes.push(prefix);
    if (deniedLiteral.has(WILDCARD) || deniedPrefixes.includes('')) return false;
    const coveredByPrefix = (name: string) => deniedPrefixes.some((p) => name.startsWith(p));
    for (const [name, acls] of t.literal) {
      if (acls.some((a) => applies(a, PermissionType.ALLOW)) && !deniedLiteral.has(name) && !coveredByPrefix(name)) return true;
    }
    for (const [prefix, acls] of t.prefixed) if (acls.some((a) => applies(a, PermissionType.ALLOW)) && !coveredByPrefix(prefix)) return true;
    return false;
  }
}
