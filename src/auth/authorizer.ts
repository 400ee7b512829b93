// Thread: main. The broker's authorizer (authorizer.class.name set): answers "may this
// connection's principal, from this host, do this operation to this resource?" from the ACL
// index, rebuilt whenever the store's snapshot changes. Super users (super.users) may do
// everything; a resource without any ACL follows allow.everyone.if.no.acl.found. With no
// authorizer configured (`enabled` false) every check passes, as in Kafka without one.
import type { Logger } from 'pino';
import { AclIndex } from './acl-index.js';
import { operationName, resourceTypeName } from './acl-model.js';
import type { AclStore } from './acl-store.js';

/** Who is asking: a Kafka connection or the HTTP front's bridge caller. */
export interface Requester {
  readonly principal: string;
  /** `address:port` of the peer. */
  readonly remote: string;
}

export interface AuthorizerSettings {
  enabled: boolean;
  superUsers: ReadonlySet<string>;
  allowEveryoneIfNoAclFound: boolean;
}

/** `User:a;User:b` → the set (blanks ignored). */
export function parseSuperUsers(value: string): Set<string> {
  return new Set(value.split(';').map((s) => s.trim()).filter((s) => s !== ''));
}

/** The address part of `address:port` (IPv6 too), IPv4-mapped IPv6 addresses as plain IPv4 — the host ACLs name. */
export function hostOf(remote: string): string {
  const colon = remote.lastIndexOf(':');
  const host = colon < 0 ? remote : remote.slice(0, colon);
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
}

export class Authorizer {
  private index = new AclIndex([]);

  constructor(
    readonly settings: AuthorizerSettings,
    /** Undefined when the authorizer is off (the ACL APIs answer SECURITY_DISABLED). */
    readonly store: AclStore | undefined,
    private readonly logger?: Logger,
  ) {
    store?.onChange(() => {
      this.index = new AclIndex(store.bindings());
    });
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** How many ACLs the index holds. */
  get aclCount(): number {
    return this.index.size;
  }

  async start(): Promise<void> {
    await this.store?.start();
    if (this.store) this.index = new AclIndex(this.store.bindings());
  }

  async close(): Promise<void> {
    await this.store?.close();
  }

  isSuperUser(principal: string): boolean {
    return this.settings.superUsers.has(principal);
  }

  /** One check. Denials are logged at debug (Kafka's authorizer logger logs them at INFO). */
  authorize(who: Requester, operation: number, resourceType: number, resourceName: string): boolean {
    if (!this.settings.enabled || this.isSuperUser(who.principal)) return true;
    const decision = this.index.authorize(who.principal, hostOf(who.remote), operation, resourceType, resourceName);
    const ok = decision === 'ALLOWED' || (decision === 'NO_ACL' && this.settings.allowEveryoneIfNoAclFound);
    if (!ok) {
      this.logger?.debug(
        { principal: who.principal, host: hostOf(who.remote), operation: operationName(operation), resourceType: resourceTypeName(resourceType), resource: resourceName },
        'authorization denied',
      );
    }
    return ok;
  }

  /** Kafka's authorizeByResourceType: may the principal do `operation` to at least one resource of the type (KIP-679)? */
  authorizeAny(who: Requester, operation: number, resourceType: number): boolean {
    if (!this.settings.enabled || this.isSuperUser(who.principal)) return true;
    if (this.settings.allowEveryoneIfNoAclFound && this.index.emptyType(resourceType)) return true;
    return this.index.allowedOnAny(who.principal, hostOf(who.remote), operation, resourceType);
  }
}
