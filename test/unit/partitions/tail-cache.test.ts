import { describe, expect, it } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch } from '../../../src/protocol/records.js';
import { nextOffsetOf, TailCache } from '../../../src/partitions/tail-cache.js';
import { partitionId } from '../../../src/ipc/partition-id.js';

const pid = (name: string) => partitionId(name, 0);

/** Batches as the worker leaves them: base offsets rewritten to their log offsets. */
function written(baseOffset: number, batchSizes: number[]): Buffer {
  let offset = baseOffset;
  return Buffer.concat(
    batchSizes.map((n) => {
      const b = encodeRecordBatch({ baseOffset: offset, records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${String(offset + i).padStart(6, "0")}`) })) });
      offset += n;
      return b;
    }),
  );
}

function offsetsIn(records: Buffer | null): number[] {
  if (!records || records.length === 0) return [];
  return decodeRecordBatches(records).flatMap((b) => b.records.map((r) => r.offset));
}

const big = { maxBytes: 1 << 20, maxBytesPerPartition: 1 << 20 };

describe('TailCache', () => {
  it('computes the offset after a run of batches', () => {
    expect(nextOffsetOf(written(10, [3, 2]))).toBe(15);
    expect(nextOffsetOf(written(10, [3]).subarray(0, 30))).toBe(-1);
  });

  it('serves whole batches from the one containing the fetch offset', () => {
    const cache = new TailCache(big);
    cache.append(pid('p'), 0, written(0, [3, 2]));
    cache.append(pid('p'), 5, written(5, [4]));
    expect(offsetsIn(cache.read(pid('p'), 0, 1 << 20, true))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // Offset 4 lies inside the batch 3..4: that whole batch comes back first.
    expect(offsetsIn(cache.read(pid('p'), 4, 1 << 20, true))).toEqual([3, 4, 5, 6, 7, 8]);
    expect(offsetsIn(cache.read(pid('p'), 7, 1 << 20, true))).toEqual([5, 6, 7, 8]);
  });

  it('misses outside the cached run so the worker answers', () => {
    const cache = new TailCache(big);
    cache.append(pid('p'), 10, written(10, [2]));
    expect(cache.read(pid('p'), 9, 1 << 20, true)).toBeNull();
    expect(cache.read(pid('p'), 12, 1 << 20, true)).toBeNull();
    expect(cache.read(pid('other'), 0, 1 << 20, true)).toBeNull();
  });

  it('respects maxBytes but always returns one batch when asked to', () => {
    const cache = new TailCache(big);
    const bytes = written(0, [5, 5]);
    cache.append(pid('p'), 0, bytes);
    const firstBatchSize = bytes.readInt32BE(8) + 12;
    expect(offsetsIn(cache.read(pid('p'), 0, firstBatchSize, true))).toEqual([0, 1, 2, 3, 4]);
    expect(offsetsIn(cache.read(pid('p'), 0, 10, true))).toEqual([0, 1, 2, 3, 4]);
    expect(cache.read(pid('p'), 0, 10, false)!.length).toBe(0);
  });

  it('restarts the run when an append is not contiguous with the cached tail', () => {
    const cache = new TailCache(big);
    cache.append(pid('p'), 0, written(0, [2]));
    cache.append(pid('p'), 5, written(5, [2]));
    expect(cache.read(pid('p'), 0, 1 << 20, true)).toBeNull();
    expect(offsetsIn(cache.read(pid('p'), 5, 1 << 20, true))).toEqual([5, 6]);
  });

  it('refuses bytes whose first batch does not carry the assigned offset', () => {
    const cache = new TailCache(big);
    cache.append(pid('p'), 7, written(0, [2]));
    expect(cache.read(pid('p'), 7, 1 << 20, true)).toBeNull();
  });

  it('evicts the least recently appended partition past the total bound, oldest runs first', () => {
    const one = written(0, [50]).length;
    const cache = new TailCache({ maxBytes: one * 3, maxBytesPerPartition: one * 2 });
    cache.append(pid('a'), 0, written(0, [50]));
    cache.append(pid('a'), 50, written(50, [50]));
    cache.append(pid('a'), 100, written(100, [50])); // per-partition bound drops a's first run
    expect(cache.read(pid('a'), 0, 1 << 20, true)).toBeNull();
    expect(offsetsIn(cache.read(pid('a'), 50, 1 << 20, true))[0]).toBe(50);
    cache.append(pid('b'), 0, written(0, [50]));
    cache.append(pid('b'), 50, written(50, [50])); // total bound: a (least recent) loses its oldest run
    expect(cache.bytes).toBeLessThanOrEqual(one * 3);
    expect(cache.read(pid('a'), 50, 1 << 20, true)).toBeNull();
    expect(offsetsIn(cache.read(pid('b'), 0, 1 << 20, true))[0]).toBe(0);
  });

  it('forgets a dropped partition', () => {
    const cache = new TailCache(big);
    cache.append(pid('p'), 0, written(0, [2]));
    cache.drop(pid('p'));
    expect(cache.read(pid('p'), 0, 1 << 20, true)).toBeNull();
    expect(cache.bytes).toBe(0);
  });
});
