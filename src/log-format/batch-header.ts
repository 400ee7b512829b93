// Thread: either. Pure. What the log layer (workers/ and src/tier) knows about the record
// batches a segment file holds. A segment is RecordBatch v2 bytes exactly as produced, so the
// field layout and its O(1) readers are the protocol's (src/protocol/record-batch.ts); this module
// re-exports the ones the log needs and adds the header prefixes a reader of a remote segment
// fetches to walk it without pulling whole batches.
import { LAST_OFFSET_DELTA_OFFSET, MAX_TIMESTAMP_OFFSET, RECORD_BATCH_HEADER_SIZE, readBatchSize, readInt64, readLastOffset } from '../protocol/record-batch.js';

export {
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
  checkBatchAt,
  readBaseOffset,
  readBatchInfo,
  readBatchSize,
  readInt64,
  readLastOffset,
  readMaxTimestamp,
  type BatchFailure,
  type BatchInfo,
} from '../protocol/record-batch.js';

/** Header bytes through lastOffsetDelta: enough for baseOffset, batch size and last offset. */
export const BATCH_OFFSETS_PREFIX_BYTES = LAST_OFFSET_DELTA_OFFSET + 4;
/** Header bytes through maxTimestamp. */
export const BATCH_TIMESTAMP_PREFIX_BYTES = MAX_TIMESTAMP_OFFSET + 8;

/** Where a batch sits in a segment: its offsets and whole size (batchLength + LOG_OVERHEAD). */
export interface BatchFrame {
  baseOffset: number;
  lastOffset: number;
  size: number;
}

/**
 * The frame of the batch at `pos` of a segment `segmentSize` bytes long, from at least
 * BATCH_OFFSETS_PREFIX_BYTES of header; null when the size field cannot be a batch there
 * (shorter than a header, or running past the segment's end): a torn or corrupt segment.
 */
export function readBatchFrame(buf: Buffer, pos: number, filePosition: number, segmentSize: number): BatchFrame | null {
  const size = readBatchSize(buf, pos);
  if (size < RECORD_BATCH_HEADER_SIZE || filePosition + size > segmentSize) return null;
  return { baseOffset: readInt64(buf, pos), lastOffset: readLastOffset(buf, pos), size };
}

