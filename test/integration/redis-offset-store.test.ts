// Runs the OffsetStore contract against the real Redis (REDIS_URL or 127.0.0.1:6379) under a
// key prefix unique to this run; every key under it is removed afterwards.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisOffsetStore } from '../../src/groups/redis-offset-store.js';
import type { OffsetStore } from '../../src/groups/offset-store.js';
import { offsetStoreContract } from '../helpers/offset-store-contract.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runPrefix = `strata-test-${randomBytes(4).toString('hex')}:`;
const prefixOf = new WeakMap<OffsetStore, string>();
let n = 0;

async function openWith(keyPrefix: string): Promise<RedisOffsetStore> {
  const s = new RedisOffsetStore({ url, keyPrefix, commandTimeoutMs: 2000 });
  await s.open();
  prefixOf.set(s, keyPrefix);
  return s;
}

afterAll(async () => {
  const r = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${runPrefix}*`, 'COUNT', 1000);
    if (keys.length) await r.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await r.quit();
});

offsetStoreContract('redis', {
  create: () => openWith(`${runPrefix}${n++}:`),
  reopen: (s) => openWith(prefixOf.get(s)!),
});

describe('RedisOffsetStore', () => {
  it('fails fast with OffsetStoreUnavailableError when Redis is unreachable', async () => {
    // Port 1 on loopback: connection refused at once.
    const s = new RedisOffsetStore({ url: 'redis://127.0.0.1:1', keyPrefix: runPrefix, commandTimeoutMs: 500 });
    const started = Date.now();
    await s.open();
    expect(s.available()).toBe(false);
    await expect(s.commitOffsets('g', [])).rejects.toMatchObject({ code: 'STRATA_ERR_OFFSET_STORE_UNAVAILABLE' });
    await expect(s.fetchOffsets('g', null)).rejects.toMatchObject({ code: 'STRATA_ERR_OFFSET_STORE_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(2000);
    await s.close();
  });
});
