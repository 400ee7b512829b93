// Thread: either. Pure. Kafka's sparse time index (<base>.timeindex) entry format and lookup:
// 12-byte big-endian entries (int64 timestamp, int32 offset relative to the segment's base
// offset). Timestamps strictly increase: an entry holds the max timestamp seen so far and the
// (last) offset of the batch carrying it; the last entry of a sealed segment is its largest.
import { readInt64, writeInt64 } from '../protocol/record-batch.js';
import { largestLowerBound } from './index-search.js';

export const TIME_INDEX_ENTRY_SIZE = 12;

/** Whole entries in `buf` (a torn trailing partial entry is ignored). */
export const timeIndexEntries = (buf: Buffer): number => Math.floor(buf.length / TIME_INDEX_ENTRY_SIZE);
export const timeIndexTimestamp = (buf: Buffer, i: number): number => readInt64(buf, i * TIME_INDEX_ENTRY_SIZE);
export const timeIndexRelativeOffset = (buf: Buffer, i: number): number => buf.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);

export function writeTimeIndexEntry(buf: Buffer, i: number, timestamp: number, relativeOffset: number): void {
  writeInt64(buf, i * TIME_INDEX_ENTRY_SIZE, timestamp);
  buf.writeInt32BE(relativeOffset, i * TIME_INDEX_ENTRY_SIZE + 8);
}

/**
 * Offset from which to scan for the first batch with maxTimestamp >= targetTimestamp: the
 * entry with the largest timestamp strictly below the target (every batch up to it is older),
 * else the segment's base offset. `entries` defaults to every whole entry of `buf`.
 */
export function lookupTimeIndex(buf: Buffer, baseOffset: number, targetTimestamp: number, entries = timeIndexEntries(buf)): number {
  const i = largestLowerBound(entries, targetTimestamp, (k) => timeIndexTimestamp(buf, k), true);
  return i < 0 ? baseOffset : baseOffset + timeIndexRelativeOffset(buf, i);
}
