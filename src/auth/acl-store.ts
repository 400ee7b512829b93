// Thread: main. Where ACLs live, one implementation per engine: local-acl-store.ts (`acls.json`
// in the first log dir, a single broker) and redis-acl-store.ts (shared by every broker on one
// Redis and redis.key.prefix). Readers take the in-memory snapshot (synchronous, on every
// request); writers wait until the change is stored; onChange fires after every snapshot change,
// local or from another broker.
import type { AclBinding } from './acl-model.js';

export interface AclStore {
  readonly kind: 'local' | 'redis';
  start(): Promise<void>;
  close(): Promise<void>;
  /** Every ACL as last loaded (may lag another broker's writes by one poll). */
  bindings(): readonly AclBinding[];
  /** Adds bindings (already stored ones are left as they are); resolves once stored. */
  add(bindings: readonly AclBinding[]): Promise<void>;
  /** Removes bindings (absent ones are ignored); resolves once stored. */
  remove(bindings: readonly AclBinding[]): Promise<void>;
  /** Called after the snapshot changed. */
  onChange(listener: () => void): void;
}

/** Most ACLs stored (CreateAcls refuses more): bounds memory and the index rebuild. */
export const MAX_ACLS = 100_000;
