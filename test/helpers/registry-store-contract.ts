// Thread: vitest test worker. The behaviour every schema RegistryStore must have; run against
// the local file store (test/unit/schema-registry/local-registry-store.test.ts) and Redis
// (test/integration/schema-registry-redis-store.test.ts). A "peer" is another broker over the
// same store: two Redis stores on one key prefix, or for the local file the same store.
import { describe, expect, it } from 'vitest';
import type { RegistryStore, SchemaRecord } from '../../src/schema-registry/registry-store.js';

export interface RegistryStoreFactory {
  create(): Promise<RegistryStore>;
  peer(store: RegistryStore): Promise<RegistryStore>;
  /** The same durable data after `store` was closed (a restart). */
  reopen(store: RegistryStore): Promise<RegistryStore>;
}

const record = (n: number): SchemaRecord => ({ schemaType: 'AVRO', schema: JSON.stringify({ type: 'fixed', name: `F${n}`, size: 1 }), references: [] });

export function registryStoreContract(name: string, factory: RegistryStoreFactory): void {
  describe(`RegistryStore contract: ${name}`, () => {
    it('allocates ids from 1, one per fingerprint, and serves schemas by id', async () => {
      const store = await factory.create();
      expect(await store.schemaId('fp-a', record(1))).toBe(1);
      expect(await store.schemaId('fp-b', record(2))).toBe(2);
      expect(await store.schemaId('fp-a', record(1))).toBe(1);
      expect(await store.findSchemaId('fp-b')).toBe(2);
      expect(await store.findSchemaId('fp-none')).toBeUndefined();
      expect(await store.schema(2)).toEqual(record(2));
      expect(await store.schema(3)).toBeUndefined();
      await store.close();
    });

    it('writes subjects by compare-and-set on their revision', async () => {
      const store = await factory.create();
      const v1 = { rev: 1, versions: [{ version: 1, id: 1, deleted: false }] };
      expect(await store.putSubject('s', 0, v1)).toBe(true);
      expect(await store.putSubject('s', 0, v1)).toBe(false);
      const v2 = { rev: 2, versions: [...v1.versions, { version: 2, id: 2, deleted: false }], compatibility: 'FULL' as const };
      expect(await store.putSubject('s', 1, v2)).toBe(true);
      await store.refresh();
      expect(store.subjects().get('s')).toEqual(v2);
      expect(await store.putSubject('s', 1, null)).toBe(false);
      expect(await store.putSubject('s', 2, null)).toBe(true);
      await store.refresh();
      expect(store.subjects().has('s')).toBe(false);
      await store.close();
    });

    it('keeps the global compatibility level', async () => {
      const store = await factory.create();
      expect(store.globalCompatibility()).toBeUndefined();
      await store.setGlobalCompatibility('FORWARD_TRANSITIVE');
      await store.refresh();
      expect(store.globalCompatibility()).toBe('FORWARD_TRANSITIVE');
      await store.setGlobalCompatibility(undefined);
      await store.refresh();
      expect(store.globalCompatibility()).toBeUndefined();
      await store.close();
    });

    it('keeps everything across a restart', async () => {
      const store = await factory.create();
      const id = await store.schemaId('fp-x', record(7));
      await store.putSubject('kept', 0, { rev: 1, versions: [{ version: 1, id, deleted: true }] });
      await store.setGlobalCompatibility('NONE');
      const again = await factory.reopen(store);
      expect(again.subjects().get('kept')?.versions).toEqual([{ version: 1, id, deleted: true }]);
      expect(again.globalCompatibility()).toBe('NONE');
      expect(await again.schema(id)).toEqual(record(7));
      expect(await again.schemaId('fp-y', record(8))).toBe(id + 1);
      await again.close();
    });

    it('never hands out one id twice, even to concurrent peers', async () => {
      const a = await factory.create();
      const b = await factory.peer(a);
      const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).schemaId(`fp-${i}`, record(i))));
      expect(new Set(ids).size).toBe(40);
      // The same schema through either peer: one id.
      expect(await b.schemaId('fp-0', record(0))).toBe(ids[0]);
      await a.putSubject('shared', 0, { rev: 1, versions: [{ version: 1, id: ids[0]!, deleted: false }] });
      await b.refresh();
      expect(b.subjects().get('shared')?.versions[0]?.id).toBe(ids[0]);
      if (b !== a) await b.close();
      await a.close();
    });
  });
}
