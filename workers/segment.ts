// Thread: worker. One log segment: `<20-digit base offset>.log` plus its sparse `.index` and
// `.timeindex`. Sealed segments open their file descriptor and load their indexes lazily, on
// first read, so opening a partition with many sealed segments costs one stat per segment.
import fs from 'node:fs';
import path from 'node:path';
import { FileScanner, readFully } from './file-scan.js';
import type { IndexFile } from './index-file.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
import { readLastOffset, readMaxTimestamp } from '../src/log-format/batch-header.js';
import { TIME_INDEX_ENTRY_SIZE, timeIndexRelativeOffset, timeIndexTimestamp } from '../src/log-format/time-index.js';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';

export function offsetFileName(offset: number, suffix: string): string {
  return String(offset).padStart(20, '0') + suffix;
}

/** Base offset parsed from a `<20 digits><suffix>` name, or null. */
export function parseOffsetFileName(name: string, suffix: string): number | null {
  if (!name.endsWith(suffix)) return null;
  const digits = name.slice(0, -suffix.length);
  if (!/^\d{20}$/.test(digits)) return null;
  return Number(digits);
}

/** Index settings a segment needs. */
export interface SegmentIndexConfig {
  segmentIndexBytes: number;
  indexIntervalBytes: number;
}

export class Segment {
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  /** Bytes in the .log file. */
  size: number;
  private fd: number | null = null;
  private offsetIdx: OffsetIndex | null = null;
  private timeIdx: TimeIndex | null = null;
  /** Largest timestamp of a sealed segment, read lazily from the last .timeindex entry. */
  private sealedLargestTimestamp: number | null = null;

  // Append-side state (meaningful for the active segment and during recovery).
  bytesSinceLastIndexEntry = 0;
  maxTimestampSoFar = -1;
  offsetOfMaxTimestampSoFar = -1;
  /** Broker time of the first append (segment.ms roll), null while empty. */
  rollBaseMs: number | null = null;

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    size: number,
    private indexConfig: SegmentIndexConfig,
  ) {
    this.size = size;
    this.logPath = path.join(dir, offsetFileName(baseOffset, LOG_SUFFIX));
    this.indexPath = path.join(dir, offsetFileName(baseOffset, INDEX_SUFFIX));
    this.timeIndexPath = path.join(dir, offsetFileName(baseOffset, TIME_INDEX_SUFFIX));
  }

  /** Creates an empty segment (truncating leftovers with the same base offset). */
  static create(dir: string, baseOffset: number, indexConfig: SegmentIndexConfig): Segment {
    const seg = new Segment(dir, baseOffset, 0, indexConfig);
    seg.fd = fs.openSync(seg.logPath, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC, 0o644);
    seg.offsetIdx = new OffsetIndex(seg.indexPath, baseOffset, indexConfig.segmentIndexBytes);
    seg.timeIdx = new TimeIndex(seg.timeIndexPath, baseOffset, indexConfig.segmentIndexBytes);
    seg.offsetIdx.rewrite();
    seg.timeIdx.rewrite();
    return seg;
  }

  setIndexConfig(indexConfig: SegmentIndexConfig): void {
    this.indexConfig = indexConfig;
  }

  logFd(): number {
    if (this.fd === null) this.fd = fs.openSync(this.logPath, fs.constants.O_RDWR);
    return this.fd;
  }

  get hasOpenFd(): boolean {
    return this.fd !== null;
  }

  /** Whether index files are loaded (sealed segments load on first use). */
  get indexesLoaded(): boolean {
    return this.offsetIdx !== null && this.timeIdx !== null;
  }

  /**
   * The offset index, loading it on first use. A missing or insane file (torn tail, zero fill,
   * deleted by hand) is rebuilt from the .log headers. `endOffset` = the segment's next offset.
   */
  offsetIndex(endOffset: number, scanner: FileScanner): OffsetIndex {
    if (this.offsetIdx === null || this.timeIdx === null) this.loadIndexes(endOffset, scanner);
    return this.offsetIdx!;
  }

  timeIndex(endOffset: number, scanner: FileScanner): TimeIndex {
    if (this.offsetIdx === null || this.timeIdx === null) this.loadIndexes(endOffset, scanner);
    return this.timeIdx!;
  }

  /** Installs indexes prepared by recovery (active segment). */
  setIndexes(offsetIdx: OffsetIndex, timeIdx: TimeIndex): void {
    this.offsetIdx = offsetIdx;
    this.timeIdx = timeIdx;
  }

  private loadIndexes(endOffset: number, scanner: FileScanner): void {
    const { segmentIndexBytes } = this.indexConfig;
    const oi = OffsetIndex.load(this.indexPath, this.baseOffset, segmentIndexBytes);
    const ti = TimeIndex.load(this.timeIndexPath, this.baseOffset, segmentIndexBytes);
    if (
      oi !== null &&
      ti !== null &&
      oi.validPrefix(this.size, endOffset) === oi.entries &&
      ti.validPrefix(endOffset) === ti.entries
    ) {
      this.offsetIdx = oi;
      this.timeIdx = ti;
      return;
    }
    this.rebuildIndexes(scanner);
  }

  /** Rebuilds both indexes from the batch headers of the whole file and rewrites them. */
  rebuildIndexes(scanner: FileScanner): void {
    this.offsetIdx?.close();
    this.timeIdx?.close();
    const oi = new OffsetIndex(this.indexPath, this.baseOffset, this.indexConfig.segmentIndexBytes);
    const ti = new TimeIndex(this.timeIndexPath, this.baseOffset, this.indexConfig.segmentIndexBytes);
    this.offsetIdx = oi;
    this.timeIdx = ti;
    this.bytesSinceLastIndexEntry = 0;
    this.maxTimestampSoFar = -1;
    this.offsetOfMaxTimestampSoFar = -1;
    scanner.scan(this.logFd(), 0, this.size, false, (buf, at, position, size) => {
      this.onBatchAppended(readLastOffset(buf, at), position, size, readMaxTimestamp(buf, at));
      return true;
    });
    ti.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
    oi.rewrite();
    ti.rewrite();
  }

  /**
   * Index bookkeeping for a batch written at `position` (Kafka LogSegment.append / recover):
   * an offset-index entry (batch last offset -> batch position) and a time-index entry
   * (max timestamp so far) once more than index.interval.bytes were written since the last.
   */
  onBatchAppended(lastOffset: number, position: number, size: number, maxTimestamp: number): void {
    if (maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = maxTimestamp;
      this.offsetOfMaxTimestampSoFar = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.indexConfig.indexIntervalBytes) {
      this.offsetIdx!.append(lastOffset, position);
      this.timeIdx!.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
  }

  /** True when the indexes cannot take another entry (Kafka rolls then). */
  get indexesFull(): boolean {
    return (this.offsetIdx?.isFull ?? false) || (this.timeIdx?.isFull ?? false);
  }

  /** Writes buffers at the end of the file with positional writev; rolls the size back on failure. */
  write(buffers: Buffer[], total: number): void {
    this.writeReserved(buffers, total, this.reserve(total));
  }

  /**
   * Claims `total` bytes at the end of the segment for a write made later by writeReserved (the
   * appends of one task, staged and written with one writev). Returns the start position.
   */
  reserve(total: number): number {
    const start = this.size;
    this.size = start + total;
    return start;
  }

  /** Writes a reservation from `start` to the end; on failure truncates the file and the size back to `start`. */
  writeReserved(buffers: Buffer[], total: number, start: number): void {
    const fd = this.logFd();
    try {
      let written = 0;
      let list = buffers;
      while (written < total) {
        const n = fs.writevSync(fd, list, start + written);
        written += n;
        if (written < total) list = remainingBuffers(buffers, written);
      }
    } catch (err) {
      try {
        fs.ftruncateSync(fd, start);
      } catch {
        // the original error is the one to report
      }
      this.size = start;
      throw err;
    }
  }

  /** readSync of [position, position + length) into target at offset; returns bytes read. */
  read(target: Uint8Array, offset: number, position: number, length: number): number {
    return readFully(this.logFd(), target, offset, length, position);
  }

  /** Writes index entries not yet on disk. */
  persistIndexes(): void {
    this.offsetIdx?.persist();
    this.timeIdx?.persist();
  }

  /** Makes the last time-index entry the segment's max timestamp and persists (Kafka onBecomeInactiveSegment). */
  seal(): void {
    this.timeIdx?.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
    this.persistIndexes();
    this.sealedLargestTimestamp = this.maxTimestampSoFar;
  }

  /** Index files with writes the group commit must fdatasync (IndexFile.sync). */
  dirtyIndexes(): IndexFile[] {
    const out: IndexFile[] = [];
    if (this.offsetIdx?.needsSync) out.push(this.offsetIdx);
    if (this.timeIdx?.needsSync) out.push(this.timeIdx);
    return out;
  }

  /** Whether either index file holds an open fd right now (tests). */
  get indexFdsOpen(): boolean {
    return (this.offsetIdx?.hasOpenFd ?? false) || (this.timeIdx?.hasOpenFd ?? false);
  }

  /**
   * Largest record timestamp in the segment: in-memory for the active one, else the last
   * .timeindex entry (one 12-byte read), else the .log modification time (as Kafka does).
   */
  largestTimestamp(active: boolean): number {
    if (active || this.maxTimestampSoFar >= 0) return this.maxTimestampSoFar;
    if (this.sealedLargestTimestamp !== null) return this.sealedLargestTimestamp;
    let ts = -1;
    if (this.timeIdx !== null) {
      ts = this.timeIdx.lastTimestamp;
    } else {
      ts = readLastTimeIndexEntry(this.timeIndexPath)?.timestamp ?? -1;
    }
    if (ts < 0) {
      try {
        ts = Math.floor(fs.statSync(this.logPath).mtimeMs);
      } catch {
        ts = -1;
      }
    }
    this.sealedLargestTimestamp = ts;
    return ts;
  }

  /** Offset of the batch carrying largestTimestamp (sealed: from the last .timeindex entry). */
  offsetOfLargestTimestamp(active: boolean): number {
    if (active || this.maxTimestampSoFar >= 0) return this.offsetOfMaxTimestampSoFar;
    if (this.timeIdx !== null) return this.timeIdx.entries > 0 ? this.timeIdx.lastEntryOffset : -1;
    const rel = readLastTimeIndexEntry(this.timeIndexPath)?.relativeOffset;
    return rel === undefined ? -1 : this.baseOffset + rel;
  }

  truncateTo(position: number): void {
    fs.ftruncateSync(this.logFd(), position);
    this.size = position;
  }

  /** Closes the log fd and index fds (keeps in-memory indexes). */
  close(): void {
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      fs.closeSync(fd);
    }
    this.offsetIdx?.close();
    this.timeIdx?.close();
  }

  /**
   * A sealed segment nobody is reading: closes every fd and drops the in-memory indexes (up
   * to ~5 MiB for a full 1 GiB segment), which reload lazily on the next read. Indexes with
   * entries not yet written to their files are kept.
   */
  release(): void {
    this.close();
    if (this.offsetIdx?.dirty || this.timeIdx?.dirty) return;
    this.offsetIdx = null;
    this.timeIdx = null;
  }

  /** Closes the index files' fds (in-memory indexes stay). */
  closeIndexFds(): void {
    this.offsetIdx?.close();
    this.timeIdx?.close();
  }

  deleteFiles(): void {
    this.close();
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath]) {
      fs.rmSync(p, { force: true });
    }
  }
}

function remainingBuffers(buffers: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

function readLastTimeIndexEntry(p: string): { timestamp: number; relativeOffset: number } | null {
  let fd: number;
  try {
    fd = fs.openSync(p, 'r');
  } catch {
    return null;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < TIME_INDEX_ENTRY_SIZE || size % TIME_INDEX_ENTRY_SIZE !== 0) return null;
    const buf = Buffer.alloc(TIME_INDEX_ENTRY_SIZE);
    if (readFully(fd, buf, 0, TIME_INDEX_ENTRY_SIZE, size - TIME_INDEX_ENTRY_SIZE) !== TIME_INDEX_ENTRY_SIZE) return null;
    const timestamp = timeIndexTimestamp(buf, 0);
    return timestamp > 0 ? { timestamp, relativeOffset: timeIndexRelativeOffset(buf, 0) } : null;
  } finally {
    fs.closeSync(fd);
  }
}
