// Thread: worker. Kafka's sparse offset index (<base>.index): 8-byte big-endian entries
// (int32 offset relative to the segment's base offset, int32 byte position in the .log).
// As in Kafka's LogSegment, an entry maps the LAST offset of a batch to the position where
// that batch starts; one entry is added every index.interval.bytes of log.
// The entry format and lookup live in src/log-format/offset-index.ts (shared with src/tier).
import { IndexFile, readIndexFile } from './index-file.js';
import {
  OFFSET_INDEX_ENTRY_SIZE,
  lookupOffsetIndex,
  offsetIndexPosition,
  offsetIndexRelativeOffset,
  writeOffsetIndexEntry,
} from '../src/log-format/offset-index.js';

export { OFFSET_INDEX_ENTRY_SIZE };

export class OffsetIndex extends IndexFile {
  constructor(path: string, baseOffset: number, maxIndexBytes: number, initial?: Buffer) {
    super(path, baseOffset, OFFSET_INDEX_ENTRY_SIZE, Math.max(1, Math.floor(maxIndexBytes / OFFSET_INDEX_ENTRY_SIZE)), initial);
  }

  relativeOffsetAt(i: number): number {
    return offsetIndexRelativeOffset(this.buf, i);
  }

  positionAt(i: number): number {
    return offsetIndexPosition(this.buf, i);
  }

  get lastOffset(): number {
    return this.entries === 0 ? this.baseOffset : this.baseOffset + this.relativeOffsetAt(this.entries - 1);
  }

  get lastPosition(): number {
    return this.entries === 0 ? 0 : this.positionAt(this.entries - 1);
  }

  append(offset: number, position: number): void {
    this.slotFor();
    writeOffsetIndexEntry(this.buf, this.entries, offset - this.baseOffset, position);
    this.entries++;
  }

  /** Byte position of the last indexed batch whose last offset <= target (0 when none). */
  lookup(targetOffset: number): number {
    return lookupOffsetIndex(this.buf, this.baseOffset, targetOffset, this.entries);
  }

  /** Drops entries whose position is >= position. */
  truncateToPosition(position: number): void {
    let keep = this.entries;
    while (keep > 0 && this.positionAt(keep - 1) >= position) keep--;
    this.truncateEntries(keep);
  }

  /**
   * Number of leading entries that are sane: strictly increasing offsets and positions, offsets
   * below `offsetLimit` (the segment's end) and positions below `logSize`. A torn or zero-filled
   * tail after a crash fails these checks.
   */
  validPrefix(logSize: number, offsetLimit: number): number {
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < this.entries; i++) {
      const rel = this.relativeOffsetAt(i);
      const pos = this.positionAt(i);
      if (rel <= prevRel || pos <= prevPos || pos >= logSize || this.baseOffset + rel >= offsetLimit) return i;
      prevRel = rel;
      prevPos = pos;
    }
    return this.entries;
  }

  /** Loads the file; null when it is missing or its length is not a whole number of entries. */
  static load(path: string, baseOffset: number, maxIndexBytes: number): OffsetIndex | null {
    const data = readIndexFile(path);
    if (data === null || data.length % OFFSET_INDEX_ENTRY_SIZE !== 0) return null;
    return new OffsetIndex(path, baseOffset, maxIndexBytes, data);
  }
}
