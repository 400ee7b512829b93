// Thread: main. Where client quotas live, one implementation per engine: local-quota-store.ts
// (a JSON file in the first log dir, embedded mode) and redis-quota-store.ts (shared by every
// broker on one Redis and redis.key.prefix). Reads are a synchronous snapshot (entity key →
// values, see quota-entity.ts); writes apply a batch of per-entity changes at once and reach
// the other brokers within one poll interval. Listeners hear of every snapshot change.
import type { QuotaKey, QuotaValues } from './quota-entity.js';

export interface QuotaChange {
  /** entityKey() of the entity */
  entity: string;
  set: Array<[QuotaKey, number]>;
  remove: QuotaKey[];
}

export interface QuotaStore {
  readonly kind: 'local' | 'redis';
  start(): Promise<void>;
  close(): Promise<void>;
  /** Entities with at least one quota, as last loaded. */
  entries(): ReadonlyMap<string, QuotaValues>;
  /** Applies every change (one transaction in Redis); the snapshot includes them when it resolves. */
  alter(changes: QuotaChange[]): Promise<void>;
  /** Makes entries() current (one round trip when nothing changed). */
  refresh(): Promise<void>;
  /** Called after every change of the snapshot (own writes and other brokers'). */
  onChange(listener: () => void): void;
}

/** The snapshot after `changes` (entities left without a quota disappear). */
export function applyChanges(current: ReadonlyMap<string, QuotaValues>, changes: QuotaChange[]): Map<string, QuotaValues> {
  const next = new Map(current);
  for (const c of changes) {
    const values: QuotaValues = { ...next.get(c.entity) };
    for (const k of c.remove) delete values[k];
    for (const [k, v] of c.set) values[k] = v;
    if (Object.keys(values).length === 0) next.delete(c.entity);
    else next.set(c.entity, values);
  }
  return next;
}
