// Thread: test. The shared offset-index entry format and lookup (src/log-format/offset-index.ts),
// which workers/offset-index.ts and src/tier both use.
import { describe, expect, it } from 'vitest';
import {
  OFFSET_INDEX_ENTRY_SIZE,
  lookupOffsetIndex,
  offsetIndexEntries,
  offsetIndexPosition,
  offsetIndexRelativeOffset,
  writeOffsetIndexEntry,
} from '../../../src/log-format/offset-index.js';

function index(entries: Array<[number, number]>): Buffer {
  const buf = Buffer.alloc(entries.length * OFFSET_INDEX_ENTRY_SIZE);
  entries.forEach(([rel, pos], i) => writeOffsetIndexEntry(buf, i, rel, pos));
  return buf;
}

describe('offset index format', () => {
  const idx = index([
    [9, 0],
    [19, 4096],
    [29, 8192],
  ]);

  it('lays entries out as Kafka does: int32 relative offset, int32 position, big-endian', () => {
    expect(idx.subarray(8, 16)).toEqual(Buffer.from([0, 0, 0, 19, 0, 0, 0x10, 0]));
    expect(offsetIndexEntries(idx)).toBe(3);
    expect(offsetIndexRelativeOffset(idx, 2)).toBe(29);
    expect(offsetIndexPosition(idx, 1)).toBe(4096);
  });

  it.each([
    [100, 0],
    [108, 0],
    [109, 0],
    [110, 0],
    [119, 4096],
    [125, 4096],
    [129, 8192],
    [500, 8192],
  ])('offset %i → position %i (base 100)', (target, position) => {
    expect(lookupOffsetIndex(idx, 100, target)).toBe(position);
  });

  it('an empty index, or a target below every entry, → 0 (the first batch)', () => {
    expect(lookupOffsetIndex(Buffer.alloc(0), 0, 5)).toBe(0);
    expect(lookupOffsetIndex(idx, 100, 50)).toBe(0);
  });

  it('honours an explicit entry count (in-memory indexes have spare capacity) and ignores a torn tail', () => {
    const spare = Buffer.concat([idx, Buffer.alloc(OFFSET_INDEX_ENTRY_SIZE * 4, 0xff)]);
    expect(lookupOffsetIndex(spare, 100, 500, 2)).toBe(4096);
    expect(offsetIndexEntries(Buffer.concat([idx, Buffer.alloc(5)]))).toBe(3);
  });
});
