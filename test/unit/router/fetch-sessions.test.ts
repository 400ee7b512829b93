import { describe, expect, it } from 'vitest';
import { partitionId } from '../../../src/ipc/partition-id.js';
import { FetchSessionCache, MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS, nextEpoch, type PartitionAnswer } from '../../../src/router/fetch-sessions.js';

const TOPIC_ID = 'ab'.repeat(16);
const EVICT = MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS;

/** A random source that yields the given session ids (1-based), in order. */
function idSequence(...ids: number[]): () => number {
  let i = 0;
  return () => (ids[i++ % ids.length]! - 1) / 0x7fffffff;
}

function withPartitions(cache: FetchSessionCache, count: number, now: number) {
  const s = cache.create(true, count, now);
  if (!s) return undefined;
  for (let p = 0; p < count; p++) s.upsert('orders', TOPIC_ID, p, partitionId(TOPIC_ID, p), 0, 1024);
  return s;
}

function ok(highWatermark: number, records: Buffer | null = null, logStartOffset = 0): PartitionAnswer {
  return { errorCode: 0, highWatermark, lastStableOffset: highWatermark, logStartOffset, records };
}

describe('nextEpoch', () => {
  it('counts up from the initial epoch, wraps past int32 max to 1 and keeps the final epoch', () => {
    expect(nextEpoch(0)).toBe(1);
    expect(nextEpoch(41)).toBe(42);
    expect(nextEpoch(0x7fffffff)).toBe(1);
    expect(nextEpoch(-1)).toBe(-1);
  });
});

describe('FetchSessionCache', () => {
  it('creates sessions with distinct random nonzero int32 ids at epoch 1', () => {
    // The id source repeats 7: the cache must draw again instead of reusing it.
    const cache = new FetchSessionCache({ maxSessions: 10, random: idSequence(7, 7, 9, 0x7fffffff) });
    const a = cache.create(true, 1, 0)!;
    const b = cache.create(false, 1, 0)!;
    const c = cache.create(false, 1, 0)!;
    expect([a.id, b.id, c.id]).toEqual([7, 9, 0x7fffffff]);
    expect(a.epoch).toBe(1);
    expect(a.usesTopicIds).toBe(true);
    expect(b.usesTopicIds).toBe(false);
    expect(cache.size).toBe(3);
    expect(cache.get(9)).toBe(b);
    expect(cache.remove(9)).toBe(true);
    expect(cache.remove(9)).toBe(false);
    expect(cache.get(9)).toBeUndefined();
  });

  it('creates nothing with zero slots (sessions disabled)', () => {
    const cache = new FetchSessionCache({ maxSessions: 0 });
    expect(cache.create(true, 3, 0)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('merges added and updated partitions and forgets removed ones, keeping read order', () => {
    const cache = new FetchSessionCache({ maxSessions: 1 });
    const s = withPartitions(cache, 3, 0)!;
    expect(s.partitions().map((p) => p.partition)).toEqual([0, 1, 2]);
    const readsBefore = s.reads();
    // Update: same object, new offset and max bytes; the read arrays are not rebuilt.
    const updated = s.upsert('orders', TOPIC_ID, 1, partitionId(TOPIC_ID, 1), 55, 99);
    expect(updated).toBe(s.partitions()[1]);
    expect(updated.read.fetchOffset).toBe(55);
    expect(updated.partitionMaxBytes).toBe(99);
    expect(s.reads()).toBe(readsBefore);
    expect(s.reads()[1]).toBe(updated.read);
    // Add and forget: read items, keys and partitions stay index-aligned.
    s.upsert('orders', TOPIC_ID, 7, partitionId(TOPIC_ID, 7), 3, 1024);
    expect(s.forget(partitionId(TOPIC_ID, 0))).toBe(true);
    expect(s.forget(partitionId(TOPIC_ID, 0))).toBe(false);
    expect(s.partitions().map((p) => p.partition)).toEqual([1, 2, 7]);
    expect(s.keys()).toEqual([1, 2, 7].map((p) => partitionId(TOPIC_ID, p)));
    expect(s.reads().map((r) => r.fetchOffset)).toEqual([55, 0, 3]);
    expect(readsBefore).toHaveLength(3); // a fetch holding the old arrays keeps its view
    // Forget by name (a deleted topic's partition, pre-v13).
    expect(s.forgetByName('orders', 2)).toBe(true);
    expect(s.forgetByName('orders', 2)).toBe(false);
    expect(s.size).toBe(2);
    expect(s.partitions()[0]!.topicIdWire.toString('hex')).toBe(TOPIC_ID);
  });

  it('answers a partition only when it has records or its offsets or error changed', () => {
    const cache = new FetchSessionCache({ maxSessions: 1 });
    const cp = withPartitions(cache, 1, 0)!.partitions()[0]!;
    expect(cp.mustRespond(ok(10), true)).toBe(true); // never sent
    expect(cp.mustRespond(ok(10), true)).toBe(false);
    expect(cp.mustRespond(ok(10, Buffer.alloc(0)), true)).toBe(false);
    expect(cp.mustRespond(ok(10, Buffer.alloc(5)), true)).toBe(true); // records
    expect(cp.mustRespond(ok(11), false)).toBe(true); // high watermark moved, not remembered:
    expect(cp.mustRespond(ok(11), true)).toBe(true);
    expect(cp.mustRespond(ok(11), true)).toBe(false);
    expect(cp.mustRespond(ok(11, null, 4), true)).toBe(true); // log start moved
    expect(cp.mustRespond({ ...ok(11, null, 4), lastStableOffset: 9 }, true)).toBe(true);
    expect(cp.mustRespond(ok(11, null, 4), true)).toBe(true); // last stable offset back
    expect(cp.mustRespond(ok(11, null, 4), true)).toBe(false);
    // An error is always answered, and the partition is answered again once it clears.
    expect(cp.mustRespond({ ...ok(11, null, 4), errorCode: 1 }, true)).toBe(true);
    expect(cp.mustRespond({ ...ok(11, null, 4), errorCode: 1 }, true)).toBe(true);
    expect(cp.mustRespond(ok(11, null, 4), true)).toBe(true);
    expect(cp.mustRespond(ok(11, null, 4), true)).toBe(false);
  });

  it('keeps sessions in least-recently-used order and evicts one idle past the eviction time', () => {
    const cache = new FetchSessionCache({ maxSessions: 2, random: idSequence(1, 2, 3, 4) });
    const a = withPartitions(cache, 5, 0)!;
    const b = withPartitions(cache, 5, 0)!;
    cache.touch(a, EVICT); // b is now the least recently used, a was used at EVICT
    // Full, nobody idle long enough, both young: no session for the newcomer.
    expect(withPartitions(cache, 100, EVICT)).toBeUndefined();
    expect(cache.evictions).toBe(0);
    // b idle for more than the eviction time: it goes, even for a smaller newcomer.
    const c = withPartitions(cache, 1, EVICT + 1)!;
    expect(c).toBeDefined();
    expect(cache.get(b.id)).toBeUndefined();
    expect(cache.get(a.id)).toBe(a);
    expect(cache.evictions).toBe(1);
  });

  it('evicts the smallest old session only for a strictly larger newcomer; young sessions are protected', () => {
    const cache = new FetchSessionCache({ maxSessions: 3, random: idSequence(10, 20, 30, 40, 50, 60) });
    const old3 = withPartitions(cache, 3, 0)!;
    const old2 = withPartitions(cache, 2, 0)!;
    const young1 = withPartitions(cache, 1, EVICT)!;
    const now = EVICT + 10;
    // Every session used recently: only the age since creation counts.
    for (const s of [old3, old2, young1]) cache.touch(s, now);
    expect(withPartitions(cache, 2, now)).toBeUndefined(); // not larger than the smallest old one (2)
    expect(cache.size).toBe(3);
    const big = withPartitions(cache, 3, now)!;
    expect(big).toBeDefined();
    expect(cache.get(old2.id)).toBeUndefined(); // the smallest old session, not the younger smaller one
    expect(cache.get(young1.id)).toBe(young1);
    expect(cache.get(old3.id)).toBe(old3);
    expect(cache.evictions).toBe(1);
    // Now old3 is the only old session; a newcomer of 3 cannot take it, one of 4 can.
    expect(withPartitions(cache, 3, now)).toBeUndefined();
    expect(withPartitions(cache, 4, now)).toBeDefined();
    expect(cache.get(old3.id)).toBeUndefined();
    expect(cache.get(young1.id)).toBe(young1);
    expect(cache.evictions).toBe(2);
  });

  it('never holds more sessions than its slots, however many are created', () => {
    const cache = new FetchSessionCache({ maxSessions: 8, evictionMs: 10 });
    let created = 0;
    for (let t = 0; t < 1000; t++) if (withPartitions(cache, 1 + (t % 5), t)) created++;
    expect(cache.size).toBeLessThanOrEqual(8);
    expect(created - cache.evictions).toBe(cache.size);
    expect(cache.partitionCount()).toBeGreaterThan(0);
  });
});
