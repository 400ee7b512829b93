// Thread: worker. Walks the record batches of a .log file region with large positional reads
// into a reusable buffer: header-only (index rebuild, finding a fetch position, producer-state
// replay) or with CRC-32C validation (recovery; optionally only of the batches reaching past a
// given position). Stops at the first invalid batch. A header-only stretch over large batches
// reads each batch's header alone instead of every byte between them.
import fs from 'node:fs';
import {
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
  checkBatchAt,
  type BatchFailure,
} from '../src/log-format/batch-header.js';
import { ErrorCode } from '../src/protocol/generated/error-codes.js';

export interface ScanOutcome {
  /** File position after the last valid batch visited (where a stop or failure happened). */
  end: number;
  /** Why the walk stopped before `end` of the region; null when it reached it or the callback stopped it. */
  failure: BatchFailure | null;
}

/**
 * Called with the buffer holding the batch header (and, when validating CRCs, the whole batch)
 * at `at`, and the batch's file position. Return false to stop the walk before this batch.
 */
export type BatchVisitor = (buf: Buffer, at: number, filePosition: number, size: number) => boolean;

/** readSync until `length` bytes or end of file; returns bytes read. */
export function readFully(fd: number, into: Uint8Array, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, into, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Batches at least this large are walked header by header when their bytes are not needed. */
export const SPARSE_SCAN_MIN_BATCH_BYTES = 64 * 1024;
/** Bytes read for one header in a sparse walk (one page). */
const SPARSE_READ_BYTES = 4096;

export class FileScanner {
  private buf: Buffer;
  private bufStart = 0;
  private bufLen = 0;
  /** Bytes read from files (tests and recovery statistics). */
  bytesRead = 0;

  constructor(chunkBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /**
   * Walks batches in [start, end) of fd. With validateCrc, every batch ending after `crcFrom`
   * (default: all of them) has its CRC-32C checked; the others only their framing.
   */
  scan(fd: number, start: number, end: number, validateCrc: boolean, visit: BatchVisitor, crcFrom = start): ScanOutcome {
    this.bufLen = 0;
    let pos = start;
    let lastSize = 0;
    while (pos < end) {
      const fileRemaining = end - pos;
      // Header-only over large batches: read this header alone, not a chunk of batch bytes.
      const sparse = lastSize >= SPARSE_SCAN_MIN_BATCH_BYTES && !(validateCrc && pos + lastSize > crcFrom);
      this.ensure(fd, pos, Math.min(RECORD_BATCH_HEADER_SIZE, fileRemaining), end, sparse);
      let at = pos - this.bufStart;
      const available = Math.min(this.bufLen - at, fileRemaining);
      if (available < Math.min(RECORD_BATCH_HEADER_SIZE, fileRemaining)) {
        return { end: pos, failure: truncated(pos, available) };
      }
      // Framing and magic, judged against what the file holds (not what the buffer holds).
      const frame = checkBatchAt(this.buf, at, at + fileRemaining, false);
      if (frame !== null) return { end: pos, failure: { ...frame, position: pos } };
      const size = this.buf.readInt32BE(at + 8) + LOG_OVERHEAD;
      lastSize = size;
      if (validateCrc && pos + size > crcFrom) {
        this.ensure(fd, pos, size, end);
        at = pos - this.bufStart;
        if (this.bufLen - at < size) return { end: pos, failure: truncated(pos, this.bufLen - at) };
        const bad = checkBatchAt(this.buf, at, at + size, true);
        if (bad !== null) return { end: pos, failure: { ...bad, position: pos } };
      }
      if (!visit(this.buf, at, pos, size)) return { end: pos, failure: null };
      pos += size;
    }
    return { end: pos, failure: null };
  }

  /**
   * Makes file bytes [pos, pos + need) available in the buffer, reading ahead up to a chunk
   * (sparse: up to one page).
   */
  private ensure(fd: number, pos: number, need: number, end: number, sparse = false): void {
    if (pos >= this.bufStart && pos + need <= this.bufStart + this.bufLen) return;
    const want = Math.min(Math.max(need, sparse ? Math.min(SPARSE_READ_BYTES, this.buf.length) : this.buf.length), end - pos);
    if (want > this.buf.length) this.buf = Buffer.allocUnsafe(want);
    this.bufStart = pos;
    this.bufLen = readFully(fd, this.buf, 0, want, pos);
    this.bytesRead += this.bufLen;
  }
}

function truncated(position: number, available: number): BatchFailure {
  return {
    reason: 'truncated',
    errorCode: ErrorCode.CORRUPT_MESSAGE,
    message: `record batch truncated at position ${position}: ${Math.max(0, available)} bytes`,
    batchIndex: 0,
    position,
  };
}
