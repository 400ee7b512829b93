// Thread: test. The shared time-index entry format and lookup (src/log-format/time-index.ts).
import { describe, expect, it } from 'vitest';
import {
  TIME_INDEX_ENTRY_SIZE,
  lookupTimeIndex,
  timeIndexEntries,
  timeIndexRelativeOffset,
  timeIndexTimestamp,
  writeTimeIndexEntry,
} from '../../../src/log-format/time-index.js';

function index(entries: Array<[number, number]>): Buffer {
  const buf = Buffer.alloc(entries.length * TIME_INDEX_ENTRY_SIZE);
  entries.forEach(([ts, rel], i) => writeTimeIndexEntry(buf, i, ts, rel));
  return buf;
}

describe('time index format', () => {
  const t0 = 1_700_000_000_000; // above 2^32: exercises the int64 high word
  const idx = index([
    [t0 + 1000, 9],
    [t0 + 2000, 19],
    [t0 + 3000, 29],
  ]);

  it('lays entries out as Kafka does: int64 timestamp, int32 relative offset, big-endian', () => {
    expect(idx.readBigInt64BE(12)).toBe(BigInt(t0 + 2000));
    expect(idx.readInt32BE(20)).toBe(19);
    expect(timeIndexEntries(idx)).toBe(3);
    expect(timeIndexTimestamp(idx, 2)).toBe(t0 + 3000);
    expect(timeIndexRelativeOffset(idx, 0)).toBe(9);
  });

  it.each([
    [t0, 100],
    [t0 + 1000, 100], // strictly below: an entry equal to the target may hold the first match
    [t0 + 1001, 109],
    [t0 + 2500, 119],
    [t0 + 9999, 129],
  ])('timestamp %i → scan from offset %i (base 100)', (target, offset) => {
    expect(lookupTimeIndex(idx, 100, target)).toBe(offset);
  });

  it('an empty index → the base offset; an explicit entry count is honoured', () => {
    expect(lookupTimeIndex(Buffer.alloc(0), 7, t0)).toBe(7);
    expect(lookupTimeIndex(idx, 100, t0 + 9999, 1)).toBe(109);
  });
});
