import { describe, expect, it } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch } from '../../../src/protocol/records.js';
import { nextOffsetOf, TailCache } from '../../../src/partitions/tail-cache.js';
import { partitionId } from '../../../src/ipc/partition-id.js';

const pid = (name: string) => partitionId(name, 0);

/** A copy in its own ArrayBuffer, as a worker hands an append task's buffer back (never pooled). */
function own(bytes: Buffer): Buffer {
  const b = Buffer.from(new ArrayBuffer(bytes.length));
  bytes.copy(b);
  return b;
}

/** Batches as the worker leaves them: base offsets rewritten to their log offsets. */
function written(baseOffset: number, batchSizes: number[]): Buffer {
  let offset = baseOffset;
  return own(Buffer.concat(
    batchSizes.map((n) => {
      const b = encodeRecordBatch({ baseOffset: offset, records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${String(offset + i).padStart(6, "0")}`) })) });
      offset += n;
      return b;
    }),
  ));
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

  describe('with many tiny runs', () => {
    /** One 1-record batch with its base offset rewritten to `offset`, as the worker leaves it. */
    const template = encodeRecordBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('x') }] });
    function tiny(offset: number): Buffer {
      const b = own(template);
      b.writeUInt32BE(Math.floor(offset / 0x1_0000_0000), 0);
      b.writeUInt32BE(offset >>> 0, 4);
      return b;
    }

    it('keeps the per-partition bound and one contiguous run ending at the high watermark over 100,000 appends', () => {
      const perPartition = template.length * 1000 + 7;
      const cache = new TailCache({ maxBytes: 1 << 30, maxBytesPerPartition: perPartition });
      const held = Math.floor(perPartition / template.length);
      for (let offset = 0; offset < 100_000; offset++) {
        cache.append(pid('p'), offset, tiny(offset));
        expect(cache.bytes).toBeLessThanOrEqual(perPartition);
        if (offset % 997 === 0 || offset > 99_990) {
          // The oldest held offset is served, the one before it is not: exactly `held` runs.
          const oldest = Math.max(0, offset + 1 - held);
          expect(offsetsIn(cache.read(pid('p'), oldest, 1, true))).toEqual([oldest]);
          if (oldest > 0) expect(cache.read(pid('p'), oldest - 1, 1, true)).toBeNull();
          expect(cache.read(pid('p'), offset + 1, 1, true)).toBeNull();
        }
      }
      expect(cache.bytes).toBe(held * template.length);
      const all = offsetsIn(cache.read(pid('p'), 100_000 - held, 1 << 30, true));
      expect(all).toEqual(Array.from({ length: held }, (_, i) => 100_000 - held + i));
      // Any offset inside the run finds its batch (binary search over the live part only).
      for (const offset of [100_000 - held, 100_000 - held + 1, 99_500, 99_999]) {
        expect(offsetsIn(cache.read(pid('p'), offset, template.length * 2, true))).toEqual([offset, offset + 1].filter((o) => o < 100_000));
      }
    });

    it('keeps the total bound across partitions, evicting the least recently appended first', () => {
      const total = template.length * 500;
      const cache = new TailCache({ maxBytes: total, maxBytesPerPartition: total });
      const next = [0, 0, 0, 0];
      for (let i = 0; i < 100_000; i++) {
        // Partition 3 is appended to only now and then: it is the least recent and loses first.
        const p = i % 50 === 0 ? 3 : i % 3;
        cache.append(pid(`p${p}`), next[p]!, tiny(next[p]!));
        next[p]!++;
        expect(cache.bytes).toBeLessThanOrEqual(total);
      }
      expect(cache.bytes).toBeGreaterThan(total - template.length);
      for (const p of [0, 1, 2]) {
        // Each busy partition still holds a contiguous run ending at its high watermark.
        expect(cache.read(pid(`p${p}`), next[p]!, 1, true)).toBeNull();
        const last = offsetsIn(cache.read(pid(`p${p}`), next[p]! - 1, 1 << 20, true));
        expect(last).toEqual([next[p]! - 1]);
        let oldest = next[p]! - 1;
        while (oldest > 0 && cache.read(pid(`p${p}`), oldest - 1, 1, true) !== null) oldest--;
        const run = offsetsIn(cache.read(pid(`p${p}`), oldest, 1 << 30, true));
        expect(run).toEqual(Array.from({ length: next[p]! - oldest }, (_, i) => oldest + i));
      }
      expect(cache.read(pid('p3'), next[3]! - 1, 1, true)).toBeNull();
    });

    it('restarts cleanly after a gap once many runs were evicted', () => {
      const cache = new TailCache({ maxBytes: 1 << 30, maxBytesPerPartition: template.length * 100 });
      for (let offset = 0; offset < 1000; offset++) cache.append(pid('p'), offset, tiny(offset));
      cache.append(pid('p'), 2000, tiny(2000));
      expect(cache.bytes).toBe(template.length);
      expect(cache.read(pid('p'), 999, 1, true)).toBeNull();
      expect(offsetsIn(cache.read(pid('p'), 2000, 1 << 20, true))).toEqual([2000]);
    });
  });

  describe('memory held', () => {
    /** `batches` laid out in one task buffer of `size` bytes, as views (what the engine caches). */
    function inTaskBuffer(size: number, batches: Buffer[]): Buffer[] {
      const task = Buffer.from(new ArrayBuffer(size));
      let position = 0;
      return batches.map((b) => {
        b.copy(task, position);
        position += b.length;
        return task.subarray(position - b.length, position);
      });
    }

    it('counts a task buffer once, in full, while any cached run views it', () => {
      const cache = new TailCache(big);
      const views = inTaskBuffer(10_000, [written(0, [1]), written(0, [1]), written(0, [1])]);
      views.forEach((v, i) => cache.append(pid(`p${i}`), 0, v));
      expect(cache.bytes).toBe(10_000);
      cache.drop(pid('p0'));
      cache.drop(pid('p1'));
      expect(cache.bytes).toBe(10_000);
      expect(offsetsIn(cache.read(pid('p2'), 0, 1 << 20, true))).toEqual([0]);
      cache.drop(pid('p2'));
      expect(cache.bytes).toBe(0);
    });

    it('tiny runs viewing large task buffers are evicted by the memory they keep alive', () => {
      const cache = new TailCache({ maxBytes: 250_000, maxBytesPerPartition: 200_000 });
      for (let offset = 0; offset < 10; offset++) {
        // The rest of each task buffer belonged to other partitions' batches that are not cached.
        const [view] = inTaskBuffer(100_000, [written(offset, [1])]);
        cache.append(pid('p'), offset, view!);
        expect(cache.bytes).toBeLessThanOrEqual(250_000);
      }
      expect(cache.bytes).toBe(200_000);
      expect(offsetsIn(cache.read(pid('p'), 8, 1 << 20, true))).toEqual([8, 9]);
      expect(cache.read(pid('p'), 7, 1 << 20, true)).toBeNull();
    });

    it('copies a run out of a task buffer larger than a partition may hold', () => {
      const cache = new TailCache({ maxBytes: 1 << 20, maxBytesPerPartition: 64 * 1024 });
      const batch = written(0, [1]);
      const [view] = inTaskBuffer(1 << 20, [batch]);
      cache.append(pid('p'), 0, view!);
      expect(cache.bytes).toBe(batch.length);
      const read = cache.read(pid('p'), 0, 1 << 20, true)!;
      expect(read.buffer).not.toBe(view!.buffer);
      expect(read.equals(batch)).toBe(true);
    });
  });
});
