// Thread: either. Pure. Kafka's sparse offset index (<base>.index) entry format and lookup over
// the bytes of an index, wherever they come from (a worker's in-memory index file, an object
// fetched from object storage): 8-byte big-endian entries (int32 offset relative to the
// segment's base offset, int32 byte position in the .log). As in Kafka's LogSegment, an entry
// maps the LAST offset of a batch to the position where that batch starts.
import { largestLowerBound } from './index-search.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

/** Whole entries in `buf` (a torn trailing partial entry is ignored). */
export const offsetIndexEntries = (buf: Buffer): number => Math.floor(buf.length / OFFSET_INDEX_ENTRY_SIZE);
export const offsetIndexRelativeOffset = (buf: Buffer, i: number): number => buf.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
export const offsetIndexPosition = (buf: Buffer, i: number): number => buf.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4);

export function writeOffsetIndexEntry(buf: Buffer, i: number, relativeOffset: number, position: number): void {
  buf.writeInt32BE(relativeOffset, i * OFFSET_INDEX_ENTRY_SIZE);
  buf.writeInt32BE(position, i * OFFSET_INDEX_ENTRY_SIZE + 4);
}

/**
 * Byte position of the last indexed batch whose last offset <= targetOffset, 0 when none is
 * (the segment's first batch). `entries` defaults to every whole entry of `buf`.
 */
export function lookupOffsetIndex(buf: Buffer, baseOffset: number, targetOffset: number, entries = offsetIndexEntries(buf)): number {
  const i = largestLowerBound(entries, targetOffset - baseOffset, (k) => offsetIndexRelativeOffset(buf, k));
  return i < 0 ? 0 : offsetIndexPosition(buf, i);
}
