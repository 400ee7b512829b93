// Runs the OffsetStore contract against the real Redis (REDIS_URL or 127.0.0.1:6379) under a
// key prefix unique to this run; every key under it is removed afterwards.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisOffsetStore } from '../../src/groups/redis-offset-store.js';
import { WriteBackOffsetStore } from '../../src/groups/offset-write-back.js';
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

describe('consumer-group state written back after Redis lost its data (WriteBackOffsetStore over RedisOffsetStore)', () => {
  const at = (topic: string, partition: number, offset: number, commitTimestampMs: number) => ({ topic, partition, committed: { offset: BigInt(offset), leaderEpoch: -1, metadata: '', commitTimestampMs } });
  const group = (generationId: number) => ({ protocolType: 'consumer', protocolName: 'range', generationId, leaderId: null, stateTimestampMs: 1, members: [] });

  it('writes back offsets (newest commit wins, whichever broker writes first), group metadata where absent and generations, for every group committed through it', async () => {
    const prefix = `${runPrefix}${n++}:`;
    const olderBroker = new WriteBackOffsetStore(await openWith(prefix));
    const newerBroker = new WriteBackOffsetStore(await openWith(prefix));
    const direct = await openWith(prefix);
    try {
      // Group g was coordinated by one broker, then by another that committed later offsets.
      await olderBroker.commitOffsets('g', [at('t', 0, 10, 1_000), at('t', 1, 11, 1_000)]);
      await olderBroker.saveGroup('g', group(3));
      await newerBroker.commitOffsets('g', [at('t', 0, 50, 2_000)]);
      await newerBroker.recordGeneration('g', 4);
      await olderBroker.commitOffsets('h', [at('u', 0, 7, 1_500)]);
      await olderBroker.deleteOffsets('h', [{ topic: 'u', partition: 0 }]);
      // Redis loses everything under the prefix.
      const r = new Redis(url);
      const keys = await r.keys(`${prefix}*`);
      await r.del(...keys);
      await r.quit();
      expect(await direct.listGroups()).toEqual([]);
      // The broker that coordinated before writes back first; the newer commit still wins.
      expect(await olderBroker.writeBack()).toEqual({ groups: 2, offsets: 2 });
      expect(await newerBroker.writeBack()).toEqual({ groups: 1, offsets: 1 });
      const back = (await direct.fetchOffsets('g', null)).map((o) => [o.partition, Number(o.committed.offset)]).sort();
      expect(back).toEqual([[0, 50], [1, 11]]);
      expect(await direct.loadGroup('g')).toMatchObject({ generationId: 3 });
      expect(await direct.generationFloor('g')).toBe(4);
      expect(await direct.fetchOffsets('h', null)).toEqual([]); // deleted offsets are not written back
      expect((await direct.listGroups()).sort()).toEqual(['g']);
      // Once written back, a second write-back changes nothing.
      expect(await newerBroker.writeBack()).toEqual({ groups: 1, offsets: 0 });
    } finally {
      await Promise.all([olderBroker.close(), newerBroker.close(), direct.close()]);
    }
  });
});
