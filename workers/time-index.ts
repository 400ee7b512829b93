// Thread: worker. Kafka's sparse time index (<base>.timeindex): 12-byte big-endian entries
// (int64 timestamp, int32 offset relative to the segment's base offset). Timestamps strictly
// increase: an entry holds the max timestamp seen so far and the (last) offset of the batch
// carrying it, appended alongside offset-index entries and once more when the segment seals,
// so the last entry is the segment's largest timestamp.
// The entry format and lookup live in src/log-format/time-index.ts (shared with src/tier).
import { IndexFile, readIndexFile } from './index-file.js';
import {
  TIME_INDEX_ENTRY_SIZE,
  lookupTimeIndex,
  timeIndexRelativeOffset,
  timeIndexTimestamp,
  writeTimeIndexEntry,
} from '../src/log-format/time-index.js';

export { TIME_INDEX_ENTRY_SIZE };

export class TimeIndex extends IndexFile {
  constructor(path: string, baseOffset: number, maxIndexBytes: number, initial?: Buffer) {
    super(path, baseOffset, TIME_INDEX_ENTRY_SIZE, Math.max(1, Math.floor(maxIndexBytes / TIME_INDEX_ENTRY_SIZE)), initial);
  }

  timestampAt(i: number): number {
    return timeIndexTimestamp(this.buf, i);
  }

  offsetAt(i: number): number {
    return this.baseOffset + timeIndexRelativeOffset(this.buf, i);
  }

  get lastTimestamp(): number {
    return this.entries === 0 ? -1 : this.timestampAt(this.entries - 1);
  }

  get lastEntryOffset(): number {
    return this.entries === 0 ? this.baseOffset : this.offsetAt(this.entries - 1);
  }

  /** Kafka's TimeIndex.maybeAppend: only a strictly larger timestamp adds an entry. */
  maybeAppend(timestamp: number, offset: number): void {
    if (timestamp < 0) return;
    if (this.entries > 0 && timestamp <= this.lastTimestamp) return;
    this.slotFor();
    writeTimeIndexEntry(this.buf, this.entries, timestamp, offset - this.baseOffset);
    this.entries++;
  }

  /**
   * Offset from which to scan for the first batch with maxTimestamp >= target: the entry with
   * the largest timestamp strictly below target (every batch up to it is older), else the base.
   */
  lookup(targetTimestamp: number): number {
    return lookupTimeIndex(this.buf, this.baseOffset, targetTimestamp, this.entries);
  }

  /** Drops entries whose offset is >= offset. */
  truncateToOffset(offset: number): void {
    let keep = this.entries;
    while (keep > 0 && this.offsetAt(keep - 1) >= offset) keep--;
    this.truncateEntries(keep);
  }

  /** Leading sane entries: strictly increasing timestamps, non-decreasing offsets below offsetLimit. */
  validPrefix(offsetLimit: number): number {
    let prevTs = -1;
    let prevOffset = this.baseOffset;
    for (let i = 0; i < this.entries; i++) {
      const ts = this.timestampAt(i);
      const offset = this.offsetAt(i);
      if (ts <= prevTs || offset < prevOffset || offset >= offsetLimit) return i;
      prevTs = ts;
      prevOffset = offset;
    }
    return this.entries;
  }

  static load(path: string, baseOffset: number, maxIndexBytes: number): TimeIndex | null {
    const data = readIndexFile(path);
    if (data === null || data.length % TIME_INDEX_ENTRY_SIZE !== 0) return null;
    return new TimeIndex(path, baseOffset, maxIndexBytes, data);
  }
}
