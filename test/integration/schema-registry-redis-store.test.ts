// Integration: RedisRegistryStore against the real Redis (the test Redis), each test under its
// own key prefix (removed afterwards): the RegistryStore contract (ids unique across two stores
// allocating at once, subjects by compare-and-set, restart), a subject written by another store
// seen by the background poll, and a Redis that lost its data never handing out an id again.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisRegistryStore } from '../../src/schema-registry/redis-registry-store.js';
import type { RegistryStore } from '../../src/schema-registry/registry-store.js';
import { waitFor } from '../helpers/broker.js';
import { deleteRedisPrefix, redisUrl, uniqueRedisPrefix } from '../helpers/groups.js';
import { registryStoreContract } from '../helpers/registry-store-contract.js';

const url = redisUrl();
const prefixOf = new WeakMap<RegistryStore, string>();
const open: RedisRegistryStore[] = [];

async function openWith(keyPrefix: string): Promise<RedisRegistryStore> {
  const s = new RedisRegistryStore({ url, keyPrefix, commandTimeoutMs: 2000, pollIntervalMs: 100 });
  await s.start();
  prefixOf.set(s, keyPrefix);
  open.push(s);
  return s;
}

afterAll(async () => {
  for (const s of open) await s.close();
});

registryStoreContract('redis', {
  create: () => openWith(uniqueRedisPrefix()),
  peer: (store) => openWith(prefixOf.get(store)!),
  reopen: async (store) => {
    await store.close();
    return openWith(prefixOf.get(store)!);
  },
});

describe('RedisRegistryStore', () => {
  it('sees another store\'s subject writes through its background poll', async () => {
    const a = await openWith(uniqueRedisPrefix());
    const b = await openWith(prefixOf.get(a)!);
    await a.putSubject('seen', 0, { rev: 1, versions: [{ version: 1, id: 1, deleted: false }] });
    await waitFor(() => b.subjects().has('seen'), { timeoutMs: 5_000, what: 'the poll loading the other store\'s subject' });
  });

  it('never reuses an id it has seen after Redis lost its data', async () => {
    const prefix = uniqueRedisPrefix();
    const a = await openWith(prefix);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await a.schemaId(`fp-${i}`, { schemaType: 'JSON', schema: `{"n":${i}}`, references: [] }));
    expect(ids).toEqual([1, 2, 3]);
    await deleteRedisPrefix(url, prefix);
    const next = await a.schemaId('fp-new', { schemaType: 'JSON', schema: '{"n":9}', references: [] });
    expect(next).toBe(4);
    const r = new Redis(url);
    try {
      expect(await r.get(`${prefix}sr:next-id`)).toBe('4');
    } finally {
      r.disconnect();
    }
  });

  it('answers 50001 while Redis is unreachable, and a broker still starts', async () => {
    const s = new RedisRegistryStore({ url: 'redis://127.0.0.1:1', keyPrefix: 'x:', commandTimeoutMs: 200 });
    await s.start();
    await expect(s.refresh()).rejects.toMatchObject({ errorCode: 50001 });
    await expect(s.schema(1)).rejects.toMatchObject({ errorCode: 50001 });
    await s.close();
  });
});
